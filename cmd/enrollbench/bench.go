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
)

// membersPerPolicy is the generator's average household size, used to turn
// a member count into a policy count.
const membersPerPolicy = 2.55

type measure struct {
	Wall    time.Duration
	PeakRSS int64 // bytes
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
	sizes := fs.String("members", "1000000,10000000", "comma-separated member counts per side")
	dir := fs.String("dir", "bench-data", "where generated data and reports go (reused when present)")
	keep := fs.Bool("keep", false, "keep the generated data")
	memory := fs.String("memory-limit", "", "pass --memory-limit to the audit (default: its own default)")
	runs := fs.Int("runs", 3, "runs of each side per size, alternating; the table shows medians")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *runs < 1 {
		fmt.Fprintln(stderr, "enrollbench: --runs must be 1 or more")
		return 2
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	var rows []row
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(stderr, "enrollbench: bad member count %q\n", s)
			return 2
		}
		data := filepath.Join(*dir, fmt.Sprintf("m%d", n))
		sum, err := ensureData(data, n, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "enrollbench: generate:", err)
			return 1
		}
		r := row{members: sum.Members, truth: len(sum.Planted)}
		// Inputs are read once first, so neither side's first run pays
		// for reading them from disk while the other reads them cached.
		for _, f := range []string{synth.MarketplaceFile, synth.InsurerFile} {
			if err := readThrough(filepath.Join(data, f)); err != nil {
				fmt.Fprintln(stderr, "enrollbench:", err)
				return 1
			}
		}
		// The two sides alternate, so a slow spell of the machine falls on
		// both rather than on one side's every run.
		for i := 1; i <= *runs; i++ {
			fmt.Fprintf(stderr, "%d members, run %d of %d: baseline...\n", sum.Members, i, *runs)
			b, err := runChild(self, "baseline", data, *memory)
			if err != nil {
				fmt.Fprintln(stderr, "enrollbench: baseline:", err)
				return 1
			}
			fmt.Fprintf(stderr, "%d members, run %d of %d: audit...\n", sum.Members, i, *runs)
			a, err := runChild(self, "audit", data, *memory)
			if err != nil {
				fmt.Fprintln(stderr, "enrollbench: audit:", err)
				return 1
			}
			findings, err := countFindings(filepath.Join(data, "out", "report.json"))
			if err != nil {
				fmt.Fprintln(stderr, "enrollbench:", err)
				return 1
			}
			if i > 1 && findings != r.findings {
				fmt.Fprintf(stderr, "enrollbench: run %d found %d findings, run 1 found %d\n", i, findings, r.findings)
				return 1
			}
			r.findings = findings
			r.baseline, r.audit = append(r.baseline, b), append(r.audit, a)
			fmt.Fprintf(stderr, "%d members, run %d of %d: audit %.1f s, baseline %.1f s (%.2fx)\n", sum.Members, i, *runs,
				a.Wall.Seconds(), b.Wall.Seconds(), a.Wall.Seconds()/b.Wall.Seconds())
		}
		rows = append(rows, r)
		if !*keep {
			os.RemoveAll(data)
		}
	}
	host, _ := os.Hostname()
	fmt.Fprintf(stdout, "enrollbench on %s: %s; %d run(s) a side, medians\n", host, machine(), *runs)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "members/side\taudit s\taudit peak RSS\tbaseline s\tbaseline peak RSS\taudit/baseline\tper run\tfindings (truth)\t")
	for _, r := range rows {
		a, b := median(r.audit), median(r.baseline)
		lo, hi := r.ratios()
		fmt.Fprintf(tw, "%d\t%.1f\t%s\t%.1f\t%s\t%.2fx\t%.2f-%.2fx\t%d (%d)\t\n", r.members, a.Seconds(), mib(maxRSS(r.audit)),
			b.Seconds(), mib(maxRSS(r.baseline)), a.Seconds()/b.Seconds(), lo, hi, r.findings, r.truth)
	}
	tw.Flush()
	if len(rows) > 1 {
		a, b := rows[0], rows[len(rows)-1]
		fmt.Fprintf(stdout, "growth %d -> %d members: audit %.2fx, baseline %.2fx (rows %.2fx)\n", a.members, b.members,
			median(b.audit).Seconds()/median(a.audit).Seconds(), median(b.baseline).Seconds()/median(a.baseline).Seconds(),
			float64(b.members)/float64(a.members))
	}
	return 0
}

// row is one size's runs.
type row struct {
	members         int
	audit, baseline []measure
	findings, truth int
}

// median is the middle wall time of ms.
func median(ms []measure) time.Duration {
	ws := make([]time.Duration, len(ms))
	for i, m := range ms {
		ws[i] = m.Wall
	}
	slices.Sort(ws)
	if n := len(ws); n%2 == 0 {
		return (ws[n/2-1] + ws[n/2]) / 2
	}
	return ws[len(ws)/2]
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

// ensureData generates data (reusing a complete earlier generation).
func ensureData(dir string, members int, log io.Writer) (synth.Summary, error) {
	opts := synth.DefaultOptions()
	opts.Policies = int(float64(members) / membersPerPolicy)
	opts.Seed = 20261127
	var sum synth.Summary
	if raw, err := os.ReadFile(filepath.Join(dir, "summary.json")); err == nil && json.Unmarshal(raw, &sum) == nil && sum.Policies == opts.Policies {
		return sum, nil
	}
	fmt.Fprintf(log, "generating %d policies into %s...\n", opts.Policies, dir)
	sum, err := synth.Generate(context.Background(), dir, opts)
	if err != nil {
		return sum, err
	}
	raw, _ := json.Marshal(sum)
	return sum, os.WriteFile(filepath.Join(dir, "summary.json"), raw, 0o644)
}

// runChild runs one side in a child process and reads its resource usage.
func runChild(self, what, dir, memory string) (measure, error) {
	cmd := exec.Command(self, "child", what, dir, memory)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	start := time.Now()
	err := cmd.Run()
	m := measure{Wall: time.Since(start)}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.PeakRSS = ru.Maxrss * 1024 // Linux reports KiB
	}
	return m, err
}

func countFindings(path string) (int, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var rep struct{ Summary struct{ Findings int } }
	err = json.Unmarshal(raw, &rep)
	return rep.Summary.Findings, err
}

// child runs the audit or the baseline on dir.
func child(args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("usage: child audit|baseline DIR MEMORY")
	}
	what, dir, memory := args[0], args[1], args[2]
	switch what {
	case "audit":
		// The same work as `enrollaudit run` with its defaults: all default
		// rules, report.json, report.xlsx and rejects.csv.
		_, err := audit.Run(context.Background(), audit.Options{
			Marketplace:    []string{filepath.Join(dir, synth.MarketplaceFile)},
			Insurer:        []string{filepath.Join(dir, synth.InsurerFile)},
			InsurerMapping: filepath.Join(dir, synth.InsurerMappingFile),
			OutDir:         filepath.Join(dir, "out"),
			MemoryLimit:    memory,
			Version:        "bench",
		})
		return err
	case "baseline":
		return baseline(dir, memory)
	}
	return fmt.Errorf("unknown child %q", what)
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
