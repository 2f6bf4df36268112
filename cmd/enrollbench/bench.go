package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/enrollaudit/enrollaudit/audit"
	"github.com/enrollaudit/enrollaudit/audit/synth"
	"github.com/enrollaudit/enrollaudit/reports"
)

// membersPerPolicy is the generator's average household size, used to turn
// a member count into a policy count.
const membersPerPolicy = 2.55

type measure struct {
	Wall    time.Duration
	CPU     time.Duration // user and system time: less moved by other load than wall time
	PeakRSS int64         // bytes
}

func benchMain(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "child" {
		if err := child(args[1:]); err != nil {
			fmt.Fprintln(stderr, "enrollbench child:", err)
			return 1
		}
		return 0
	}
	fs := flag.NewFlagSet("enrollbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sizes := fs.String("members", "1000000,10000000", "comma-separated member counts per side, for generated shapes")
	shapes := fs.String("shapes", strings.Join(synth.Profiles, ","), "generated shapes (generator profiles) to run; none when only --data is wanted")
	data := fs.String("data", "", "also (with --shapes given) or only benchmark the extracts in this directory (docs/benchmark.md)")
	dir := fs.String("dir", "bench-data", "where generated data and reports go (reused when present)")
	keep := fs.Bool("keep", false, "keep the generated data")
	memory := fs.String("memory-limit", "", "pass --memory-limit to the audit (default: its own default)")
	maxRejects := fs.Int64("max-rejects", 0, "pass --max-rejects to the audit: rows of your extracts it may reject")
	runs := fs.Int("runs", 3, "runs of each side per case, alternating; the table shows medians")
	marketplaceFormats := fs.String("marketplace-format", "csv", "comma-separated csv, 834, rcni: a row for each, the audit reading the generated marketplace side in that format (written by the generator from the CSV); the baseline always reads the CSV")
	rates := fs.Bool("rates", false, "also time loading the marketplace file alone in each format (MB/s, members/s)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *runs < 1 {
		fmt.Fprintln(stderr, "enrollbench: --runs must be 1 or more")
		return 2
	}
	var formats []string
	for _, f := range strings.Split(*marketplaceFormats, ",") {
		f = strings.TrimSpace(f)
		if _, rendered := synth.Renderings[f]; f != "csv" && !rendered {
			fmt.Fprintf(stderr, "enrollbench: --marketplace-format %q: want csv, 834 or rcni\n", f)
			return 2
		}
		formats = append(formats, f)
	}
	shapesSet := false
	fs.Visit(func(f *flag.Flag) { shapesSet = shapesSet || f.Name == "shapes" })
	var profiles []string
	if *data == "" || shapesSet {
		for _, p := range strings.Split(*shapes, ",") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			if !slices.Contains(synth.Profiles, p) {
				fmt.Fprintf(stderr, "enrollbench: unknown shape %q (want %s)\n", p, strings.Join(synth.Profiles, ", "))
				return 2
			}
			profiles = append(profiles, p)
		}
	}
	var members []int
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(stderr, "enrollbench: bad member count %q\n", s)
			return 2
		}
		members = append(members, n)
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	var rows []row
	var loads []loadRow
	measureCase := func(c benchCase) bool {
		r, err := measureRuns(self, c, *runs, childLimits{*memory, strconv.FormatInt(*maxRejects, 10)}, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "enrollbench:", err)
			return false
		}
		rows = append(rows, r)
		return true
	}
	for _, p := range profiles {
		for _, n := range members {
			gen, err := ensureData(filepath.Join(*dir, fmt.Sprintf("%s-m%d", p, n)), p, n, stderr)
			if err != nil {
				fmt.Fprintln(stderr, "enrollbench: generate:", err)
				return 1
			}
			for _, f := range formats {
				c, err := rendered(gen, f)
				if err != nil {
					fmt.Fprintln(stderr, "enrollbench: generate:", err)
					return 1
				}
				if !measureCase(c) {
					return 1
				}
			}
			if *rates {
				l, err := measureLoads(self, gen, formats, *runs, childLimits{*memory, "0"}, stderr)
				if err != nil {
					fmt.Fprintln(stderr, "enrollbench:", err)
					return 1
				}
				loads = append(loads, l...)
			}
			if !*keep {
				os.RemoveAll(gen.data)
			}
		}
	}
	if *data != "" {
		c := benchCase{shape: "data:" + filepath.Base(filepath.Clean(*data)), data: *data, out: filepath.Join(*dir, "data-out"), truth: -1}
		if raw, err := os.ReadFile(filepath.Join(*data, synth.TruthFile)); err == nil {
			var t struct{ Planted []json.RawMessage }
			if json.Unmarshal(raw, &t) == nil {
				c.truth = len(t.Planted)
			}
		}
		if !measureCase(c) {
			return 1
		}
	}
	printTable(stdout, rows, *runs)
	printFormatRatios(stdout, rows)
	if len(loads) > 0 {
		printLoads(stdout, loads)
	}
	return 0
}

// benchCase is one data set to measure: a shape at a size, or the user's.
type benchCase struct {
	shape   string // generator profile, or "data:NAME"
	data    string // directory of the inputs (docs/benchmark.md)
	out     string // where both sides write their outputs
	members int    // members a side (0: counted from the audit's report)
	truth   int    // planted findings; -1 unknown
	// marketplace is the file of data the audit reads as the marketplace
	// side, "" for the one inputsOf finds; the baseline reads that one.
	marketplace string
}

// rendered has the audit of c read the marketplace side in format: the CSV
// as generated, or a rendering of it (written by the generator unless it
// is there).
func rendered(c benchCase, format string) (benchCase, error) {
	name, ok := synth.Renderings[format]
	if !ok {
		return c, nil
	}
	if !fileExists(filepath.Join(c.data, name)) {
		if _, err := synth.Render(c.data, format); err != nil {
			return c, err
		}
	}
	c.shape += "/" + format
	c.marketplace = name
	return c, nil
}

// measureRuns runs both sides of c runs times, alternating.
func measureRuns(self string, c benchCase, runs int, lim childLimits, log io.Writer) (row, error) {
	in, err := inputsOf(c.data)
	if err != nil {
		return row{}, err
	}
	r := row{shape: c.shape, members: c.members, truth: c.truth}
	// Inputs are read once first, so neither side's first run pays
	// for reading them from disk while the other reads them cached.
	files := []string{in.marketplace, in.insurer}
	if c.marketplace != "" {
		files = append(files, filepath.Join(c.data, c.marketplace))
	}
	for _, f := range files {
		if err := readThrough(f); err != nil {
			return r, err
		}
	}
	// The two sides alternate, so a slow spell of the machine falls on
	// both rather than on one side's every run.
	for i := 1; i <= runs; i++ {
		fmt.Fprintf(log, "%s, run %d of %d: baseline...\n", c.shape, i, runs)
		b, err := runChild(self, "baseline", c.data, c.out, lim, "")
		if err != nil {
			return r, fmt.Errorf("baseline: %w", err)
		}
		fmt.Fprintf(log, "%s, run %d of %d: audit...\n", c.shape, i, runs)
		a, err := runChild(self, "audit", c.data, c.out, lim, c.marketplace)
		if err != nil {
			return r, fmt.Errorf("audit: %w", err)
		}
		findings, rows, err := readSummary(filepath.Join(c.out, "report.json"))
		if err != nil {
			return r, err
		}
		if i > 1 && findings != r.findings {
			return r, fmt.Errorf("%s: run %d found %d findings, run 1 found %d", c.shape, i, findings, r.findings)
		}
		if r.members == 0 {
			r.members = rows
		}
		r.findings = findings
		r.baseline, r.audit = append(r.baseline, b), append(r.audit, a)
		fmt.Fprintf(log, "%s, %d members, run %d of %d: audit %.1f s (CPU %.1f s), baseline %.1f s (CPU %.1f s) (%.2fx)\n", c.shape, r.members, i, runs,
			a.Wall.Seconds(), a.CPU.Seconds(), b.Wall.Seconds(), b.CPU.Seconds(), a.Wall.Seconds()/b.Wall.Seconds())
	}
	return r, nil
}

func printTable(w io.Writer, rows []row, runs int) {
	host, _ := os.Hostname()
	fmt.Fprintf(w, "enrollbench on %s: %s; %d run(s) a side, medians\n", host, machine(), runs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "shape\tmembers/side\taudit s\taudit peak RSS\tbaseline s\tbaseline peak RSS\taudit/baseline\tper run\tCPU ratio\tfindings (truth)\t")
	for _, r := range rows {
		a, b := median(r.audit), median(r.baseline)
		lo, hi := r.ratios()
		truth := "?"
		if r.truth >= 0 {
			truth = strconv.Itoa(r.truth)
		}
		cpu := medianCPU(r.audit).Seconds() / medianCPU(r.baseline).Seconds()
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%s\t%.1f\t%s\t%.2fx\t%.2f-%.2fx\t%.2fx\t%d (%s)\t\n", r.shape, r.members, a.Seconds(), mib(maxRSS(r.audit)),
			b.Seconds(), mib(maxRSS(r.baseline)), a.Seconds()/b.Seconds(), lo, hi, cpu, r.findings, truth)
	}
	tw.Flush()
	// Growth from the first to the last size of each shape.
	first := map[string]row{}
	last := map[string]row{}
	var order []string
	for _, r := range rows {
		if _, ok := first[r.shape]; !ok {
			first[r.shape] = r
			order = append(order, r.shape)
		}
		last[r.shape] = r
	}
	for _, s := range order {
		a, b := first[s], last[s]
		if a.members == b.members {
			continue
		}
		fmt.Fprintf(w, "%s growth %d -> %d members: audit %.2fx, baseline %.2fx (rows %.2fx)\n", s, a.members, b.members,
			median(b.audit).Seconds()/median(a.audit).Seconds(), median(b.baseline).Seconds()/median(a.baseline).Seconds(),
			float64(b.members)/float64(a.members))
	}
}

// printFormatRatios compares the audit of each rendering (shape "basic/834")
// with the audit of the same data as CSV (shape "basic", same size): in
// seconds (medians), and against each row's own baseline, which reads the
// CSV both times and so takes out the machine's changes between the rows.
func printFormatRatios(w io.Writer, rows []row) {
	type key struct {
		shape   string
		members int
	}
	csv := map[key]row{}
	for _, r := range rows {
		if !strings.Contains(r.shape, "/") {
			csv[key{r.shape, r.members}] = r
		}
	}
	for _, r := range rows {
		base, format, ok := strings.Cut(r.shape, "/")
		c, found := csv[key{base, r.members}]
		if !ok || !found {
			continue
		}
		seconds := median(r.audit).Seconds() / median(c.audit).Seconds()
		normalised := (median(r.audit).Seconds() / median(r.baseline).Seconds()) / (median(c.audit).Seconds() / median(c.baseline).Seconds())
		fmt.Fprintf(w, "%s %d members: audit from the %s against audit from the CSV: %.2fx in seconds, %.2fx against each one's baseline\n",
			base, r.members, format, seconds, normalised)
	}
}

// row is one size's runs.
type row struct {
	shape           string
	members         int
	audit, baseline []measure
	findings, truth int
}

// median is the middle wall time of ms.
func median(ms []measure) time.Duration {
	return medianOf(ms, func(m measure) time.Duration { return m.Wall })
}

// medianCPU is the middle CPU time of ms.
func medianCPU(ms []measure) time.Duration {
	return medianOf(ms, func(m measure) time.Duration { return m.CPU })
}

func medianOf(ms []measure, of func(measure) time.Duration) time.Duration {
	ws := make([]time.Duration, len(ms))
	for i, m := range ms {
		ws[i] = of(m)
	}
	return middle(ws)
}

// middle is the median of ds, which it sorts.
func middle(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	if n := len(ds); n%2 == 0 {
		return (ds[n/2-1] + ds[n/2]) / 2
	}
	return ds[len(ds)/2]
}

// ratios is the lowest and highest audit/baseline of the runs, each audit
// against the baseline run just before it.
func (r row) ratios() (lo, hi float64) {
	for i := range r.audit {
		x := r.audit[i].Wall.Seconds() / r.baseline[i].Wall.Seconds()
		if i == 0 || x < lo {
			lo = x
		}
		if i == 0 || x > hi {
			hi = x
		}
	}
	return lo, hi
}

func maxRSS(ms []measure) int64 {
	var m int64
	for _, x := range ms {
		m = max(m, x.PeakRSS)
	}
	return m
}

// readThrough reads a file to its end (into the page cache).
func readThrough(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(io.Discard, f)
	return err
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

// ensureData generates a shape's data (reusing a complete earlier generation).
func ensureData(dir, profile string, members int, log io.Writer) (benchCase, error) {
	opts := synth.DefaultOptions()
	opts.Policies = int(float64(members) / membersPerPolicy)
	opts.Seed = 20261127
	opts.Profile = profile
	c := benchCase{shape: profile, data: dir, out: filepath.Join(dir, "out")}
	var sum synth.Summary
	if raw, err := os.ReadFile(filepath.Join(dir, "summary.json")); err == nil && json.Unmarshal(raw, &sum) == nil && sum.Policies == opts.Policies {
		c.members, c.truth = sum.Members, len(sum.Planted)
		return c, nil
	}
	fmt.Fprintf(log, "generating %d policies (%s) into %s...\n", opts.Policies, profile, dir)
	sum, err := synth.Generate(context.Background(), dir, opts)
	if err != nil {
		return c, err
	}
	c.members, c.truth = sum.Members, len(sum.Planted)
	raw, _ := json.Marshal(sum)
	return c, os.WriteFile(filepath.Join(dir, "summary.json"), raw, 0o644)
}

// childLimits are passed to each child: the memory limit ("" for the
// default) and, for the audit, the rejected rows it may let through.
type childLimits struct{ memory, maxRejects string }

// runChild runs one side in a child process and reads its resource usage;
// marketplace is the file of data it reads as the marketplace side ("": the
// one inputsOf finds).
func runChild(self, what, data, out string, lim childLimits, marketplace string) (measure, error) {
	cmd := exec.Command(self, "child", what, data, out, lim.memory, lim.maxRejects, marketplace)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	start := time.Now()
	err := cmd.Run()
	m := measure{Wall: time.Since(start)}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.PeakRSS = ru.Maxrss * 1024 // Linux reports KiB
		m.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return m, err
}

// readSummary reads the findings and marketplace rows of a report.json.
func readSummary(path string) (findings, marketplaceRows int, err error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	var rep struct {
		Summary struct {
			Findings        int `json:"findings"`
			MarketplaceRows int `json:"marketplace_rows"`
		} `json:"summary"`
	}
	err = json.Unmarshal(raw, &rep)
	return rep.Summary.Findings, rep.Summary.MarketplaceRows, err
}

// inputs are the files of a data directory (docs/benchmark.md).
type inputs struct {
	marketplace, insurer               string
	marketplaceMapping, insurerMapping string // "" when absent
}

// inputExts are the extensions looked for, in this order.
var inputExts = []string{".csv", ".tsv", ".txt", ".parquet"}

func inputsOf(dir string) (inputs, error) {
	var in inputs
	for _, side := range []struct {
		name          string
		file, mapping *string
	}{{"marketplace", &in.marketplace, &in.marketplaceMapping}, {"insurer", &in.insurer, &in.insurerMapping}} {
		for _, ext := range inputExts {
			if p := filepath.Join(dir, side.name+ext); fileExists(p) {
				*side.file = p
				break
			}
		}
		if *side.file == "" {
			return in, fmt.Errorf("%s: no %s file (%s.csv, .tsv, .txt or .parquet)", dir, side.name, side.name)
		}
		if p := filepath.Join(dir, side.name+"-mapping.yaml"); fileExists(p) {
			*side.mapping = p
		}
	}
	return in, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// child runs the audit or the baseline on a data directory.
func child(args []string) error {
	if len(args) != 6 {
		return fmt.Errorf("usage: child audit|baseline DATA OUT MEMORY MAX-REJECTS MARKETPLACE-FILE")
	}
	what, data, out, memory := args[0], args[1], args[2], args[3]
	maxRejects, err := strconv.ParseInt(args[4], 10, 64)
	if err != nil {
		return fmt.Errorf("max rejects: %w", err)
	}
	in, err := inputsOf(data)
	if err != nil {
		return err
	}
	if args[5] != "" {
		// A rendering of the marketplace CSV: its mapping, if any, is
		// the CSV's.
		in.marketplace, in.marketplaceMapping = filepath.Join(data, args[5]), ""
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	switch what {
	case "audit":
		return audit1(in, out, memory, maxRejects)
	case "load":
		return loadOnly(in, out, memory)
	case "baseline":
		return baseline(in, out, memory)
	}
	return fmt.Errorf("unknown child %q", what)
}

// audit1 does the work of `enrollaudit run` with its defaults: all default
// rules, report.json, report.xlsx, report.html and rejects.csv.
func audit1(in inputs, out, memory string, maxRejects int64) error {
	ctx := context.Background()
	opts := audit.Options{
		Marketplace:        []string{in.marketplace},
		MarketplaceFormat:  renderingFormat(in.marketplace),
		Insurer:            []string{in.insurer},
		MarketplaceMapping: in.marketplaceMapping, // "" for a rendering (inputsOf)
		InsurerMapping:     in.insurerMapping,
		OutDir:             out,
		MemoryLimit:        memory,
		MaxRejects:         maxRejects,
		Formats:            audit.RunFormats,
		Version:            "bench",
	}
	e, err := audit.Open(ctx, opts)
	if err != nil {
		return err
	}
	defer e.Close()
	for _, step := range []func(context.Context) error{e.Load, e.Match, e.Evaluate} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	writers := append([]reports.Writer{reports.RejectsCSV{Source: e.Rejects()}}, opts.ReportWriters(e.Report())...)
	_, err = reports.Publish(ctx, out, e.Report(), writers...)
	return err
}

// machine describes where the figures come from: CPU model, cores, memory.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.SplitN(string(b), "\n", 2)[0], "MemTotal: %d kB", &kb)
		mem = fmt.Sprintf(", %.0f GiB RAM", float64(kb)/(1<<20))
	}
	return fmt.Sprintf("%s, %d cores%s", cpu, runtime.NumCPU(), mem)
}
