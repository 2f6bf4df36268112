// Package audit reconciles marketplace enrollments against insurer rosters:
// it loads both sides into DuckDB as canonical rows, matches them, runs the
// declarative rules and hands the findings to the report writers.
package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" driver

	"github.com/enrollaudit/enrollaudit/audit/load"
	"github.com/enrollaudit/enrollaudit/audit/mapping"
	"github.com/enrollaudit/enrollaudit/audit/relations"
	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/fileerr"
	"github.com/enrollaudit/enrollaudit/internal/dbexec"
	"github.com/enrollaudit/enrollaudit/internal/sqltext"
	"github.com/enrollaudit/enrollaudit/reports"
	"github.com/enrollaudit/enrollaudit/rules"
)

// Options is everything `enrollaudit run` can be told.
type Options struct {
	Marketplace        []string // marketplace files (one side may arrive split)
	Insurer            []string
	MarketplaceMapping string
	InsurerMapping     string
	MarketplaceFormat  string // overrides extension and mapping (e.g. "rcni")
	InsurerFormat      string
	Rules              []string // extra rule files or directories
	DisableRules       []string
	NoDefaultRules     bool
	OutDir             string
	Formats            []string // report writers; default json and xlsx
	FindingsFormat     string   // "json" (in report.json) or "ndjson" (findings.ndjson)
	MaxRejects         int64    // rejected rows tolerated; more fails the run
	Match              string   // "keys" or "identity" (the default, ""): how records are paired
	FailOn             string   // severity; "" = never
	MemoryLimit        string   // DuckDB memory_limit, e.g. "4GB"
	TempDir            string   // parent of the private working directory (database file, spills); "" for the system temp dir
	Threads            int
	// Issuers sets the scope (HIOS IDs, or AllIssuers); empty: the issuers
	// of the insurer files.
	Issuers       []string
	RevealPII     bool
	AggregateOnly bool
	Version       string
	// History is the history file to record the run in ("" for none), and
	// AsOf the date the extracts describe (zero: the day of the run).
	History string
	AsOf    time.Time
	// SplitByIssuer also writes each issuer's packet to OutDir/issuers/<HIOS>.
	SplitByIssuer bool
	Now           func() time.Time
	// Progress, when set, is told what the run is doing.
	Progress Progress

	// workInFile keeps the working tables in a database file whatever the
	// inputs' size (tests of that path on small fixtures).
	workInFile bool
}

// Progress receives the run's stages; the command shows them as bars.
type Progress interface {
	Stage(name string, total int64) // a new stage; total 0 when unknown
	Add(n int64)
	Done()
}

// NoProgress shows nothing.
type NoProgress struct{}

func (NoProgress) Stage(string, int64) {}
func (NoProgress) Add(int64)           {}
func (NoProgress) Done()               {}

// UsageError: the command line itself is wrong (a missing or bad flag). It
// is the one usage error: the command adds "run --help for usage" to it.
// Failures of the machine (a full disk, an unwritable --temp-dir) are not
// usage errors.
type UsageError struct {
	Problems []string
}

func (e *UsageError) Error() string { return strings.Join(e.Problems, "; ") }

// Usagef returns a UsageError with one problem.
func Usagef(format string, args ...any) error {
	return &UsageError{Problems: []string{fmt.Sprintf(format, args...)}}
}

// RejectsError: more rows were rejected than --max-rejects allows. Load
// returns it with the counts; whoever publishes rejects.csv fills in the
// first few rejects and the file.
type RejectsError struct {
	Rejected int64
	Max      int64
	First    []reports.Reject // the first few, for the message
	File     string           // rejects.csv written with all of them
}

func (e *RejectsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d input rows could not be loaded (--max-rejects %d)", e.Rejected, e.Max)
	// Values stay out: this message goes to logs, and values may be
	// personal data. rejects.csv has them.
	for _, r := range e.First {
		fmt.Fprintf(&b, "\n  %s:%d: ", r.File, r.Line)
		if r.Field != "" {
			b.WriteString(r.Field + ": ")
		}
		b.WriteString(reports.RedactReason(r.Field, r.Reason))
	}
	if e.File != "" {
		fmt.Fprintf(&b, "\nall rejects are listed in %s", e.File)
	}
	return b.String()
}

func (o *Options) check() error {
	var probs []string
	if len(o.Marketplace) == 0 {
		probs = append(probs, "--marketplace is required")
	}
	if len(o.Insurer) == 0 {
		probs = append(probs, "--insurer is required")
	}
	if o.OutDir == "" {
		probs = append(probs, "--out is required")
	}
	if o.FailOn != "" && canonical.SeverityRank(o.FailOn) < 0 {
		probs = append(probs, fmt.Sprintf("--fail-on %q is not one of %s", o.FailOn, strings.Join(canonical.Severities, ", ")))
	}
	if o.Threads < 0 {
		probs = append(probs, "--threads must be 0 (all cores) or more")
	}
	if o.MaxRejects < 0 {
		probs = append(probs, "--max-rejects must be 0 or more")
	}
	if o.Match != "" && o.Match != string(relations.MatchKeys) && o.Match != string(relations.MatchIdentity) {
		probs = append(probs, fmt.Sprintf("--match %q is not keys or identity", o.Match))
	}
	if o.FindingsFormat != "" && o.FindingsFormat != "json" && o.FindingsFormat != "ndjson" {
		probs = append(probs, fmt.Sprintf("--findings-format %q is not json or ndjson", o.FindingsFormat))
	}
	for _, f := range o.Formats {
		if _, err := reports.Lookup(f); err != nil {
			probs = append(probs, err.Error())
		}
	}
	if !o.AsOf.IsZero() && o.History == "" {
		probs = append(probs, "--as-of needs --history")
	}
	if slices.Contains(o.Issuers, AllIssuers) && len(o.Issuers) > 1 {
		probs = append(probs, "--issuer all covers every issuer: give it alone")
	}
	for _, iss := range o.Issuers {
		if strings.TrimSpace(iss) == "" {
			probs = append(probs, "--issuer needs a HIOS ID (or all)")
		}
	}
	probs = append(probs, o.inputsInOut()...)
	if len(probs) > 0 {
		return &UsageError{Problems: probs}
	}
	return nil
}

// RunFormats are the reports `enrollaudit run` writes besides rejects.csv
// (--no-html leaves the page out); the benchmark writes the same.
var RunFormats = []string{"json", "xlsx", "html"}

// ReportWriters are the writers of the run's reports besides rejects.csv:
// the formats asked for (json and xlsx by default), and findings.ndjson
// with --findings-format ndjson, which rep then points to.
func (o Options) ReportWriters(rep *reports.Report) []reports.Writer {
	formats := o.Formats
	if len(formats) == 0 {
		formats = []string{"json", "xlsx"}
	}
	if o.FindingsFormat == "ndjson" && !o.AggregateOnly {
		formats = append(slices.Clip(formats), "ndjson")
		rep.FindingsFile = reports.NDJSON{}.FileName()
	}
	var writers []reports.Writer
	for _, f := range formats {
		w, _ := reports.Lookup(f) // check() refused unknown formats
		writers = append(writers, w)
	}
	return writers
}

// matching is how records are paired: by identity unless told keys.
func (o Options) matching() relations.Matching {
	if o.Match == string(relations.MatchKeys) {
		return relations.MatchKeys
	}
	return relations.MatchIdentity
}

// OutputNames are the files a run may write into --out.
var OutputNames = []string{reports.RejectsCSV{}.FileName(), reports.JSON{}.FileName(), reports.XLSX{}.FileName(), reports.NDJSON{}.FileName()}

// inputsInOut refuses an input that a report would overwrite: a file in
// --out named like an output.
func (o *Options) inputsInOut() []string {
	var probs []string
	for _, in := range append(append([]string{o.MarketplaceMapping, o.InsurerMapping}, o.Marketplace...), o.Insurer...) {
		if in == "" || !slices.Contains(OutputNames, filepath.Base(in)) {
			continue
		}
		inDir, err1 := os.Stat(filepath.Dir(in))
		outDir, err2 := os.Stat(o.OutDir)
		if err1 == nil && err2 == nil && os.SameFile(inDir, outDir) {
			probs = append(probs, fmt.Sprintf("input %s is in --out %s, where the run writes %s: move it or choose another --out", in, o.OutDir, filepath.Base(in)))
		}
	}
	return probs
}

// sources resolves the input files with their mappings. Every unreadable
// file and unknown format is reported at once, before anything is loaded.
func (o *Options) sources() ([]load.Source, error) {
	var out []load.Source
	var errs fileerr.List
	for _, side := range []struct {
		name, mappingPath, format string
		paths                     []string
	}{
		{"marketplace", o.MarketplaceMapping, o.MarketplaceFormat, o.Marketplace},
		{"insurer", o.InsurerMapping, o.InsurerFormat, o.Insurer},
	} {
		var m *mapping.Mapping
		if side.mappingPath != "" {
			var err error
			if m, err = mapping.Load(side.mappingPath); err != nil {
				errs.Collect(side.mappingPath, err)
				continue
			}
		}
		paths, err := load.ExpandPaths(side.paths)
		errs.Collect("", err)
		for _, p := range paths {
			src := load.Source{Path: p, Side: side.name, Mapping: m, Format: side.format}
			if err := load.Check(src); err != nil {
				errs.Collect(p, err)
				continue
			}
			out = append(out, src)
		}
	}
	return load.JoinExtracts(out), errs.Err()
}

// inputSize is the inputs' size on disk and the text their rows come to
// (load.RowBytes: an 834 is about 2.5 times the CSV of the same rows),
// which sizes the working tables. A file that cannot be read counts for
// nothing (loading it reports why).
func inputSize(sources []load.Source) (onDisk, rows int64) {
	for _, src := range sources {
		if st, err := os.Stat(src.Path); err == nil {
			onDisk += st.Size()
			rows += load.RowBytes(src, st.Size())
		}
	}
	return onDisk, rows
}

// loadingStage starts one progress bar for loading all the input files: a
// week's 834s are often hundreds of files.
func loadingStage(sources []load.Source, p Progress) {
	name := fmt.Sprintf("loading %d files", len(sources))
	if len(sources) == 1 {
		name = "loading " + sources[0].Path
	}
	onDisk, _ := inputSize(sources)
	p.Stage(name, onDisk)
}

// loadSource loads one file and describes it for the report, hashing it
// alongside so a reader can verify what was audited.
func loadSource(ctx context.Context, conn *sql.Conn, src load.Source, p Progress) (reports.Input, []string, error) {
	st, err := os.Stat(src.Path)
	if err != nil {
		return reports.Input{}, nil, fmt.Errorf("load %s data: %w", src.Side, err)
	}
	var hashed atomic.Int64
	var lines load.LineCounter
	var digest string
	hashedAll := make(chan struct{})
	go func() {
		// The digest is background work: at national scale DuckDB keeps
		// both cores busy, and hashing at its priority slowed loading.
		// The thread is never unlocked, so it ends with this goroutine and
		// nothing else runs at that priority.
		runtime.LockOSThread()
		lowerThreadPriority()
		digest = fileSHA256(src.Path, &hashed, &lines)
		close(hashedAll)
	}()
	// The CSV reader checks that every line became a row or a reject.
	src.Lines = func() (*load.LineCounter, error) {
		<-hashedAll
		if digest == "" {
			return nil, errors.New("not read")
		}
		return &lines, nil
	}
	stopWatch := watchReads(st.Size(), &hashed, p)
	stats, err := load.Load(ctx, conn, src)
	stopWatch()
	<-hashedAll
	if err != nil {
		return reports.Input{}, nil, fmt.Errorf("load %s data: %w", src.Side, err)
	}
	in := reports.Input{Side: src.Side, Path: src.Path, Format: stats.Format, Bytes: st.Size(), SHA256: digest,
		RowsLoaded: stats.Loaded, RowsRejected: stats.Rejected}
	if src.Mapping != nil {
		in.Mapping = src.Mapping.File
	}
	return in, stats.Warnings, nil
}

// watchReads advances the progress by the bytes this process reads while a
// file loads (Linux /proc/self/io, less what the hasher read), since DuckDB
// reports no progress through its Go driver. Where /proc is missing the bar
// jumps to the end when the file is done. The returned func stops watching
// and completes the bar.
func watchReads(size int64, hashed *atomic.Int64, p Progress) func() {
	start, ok := readBytes()
	done := make(chan struct{})
	finished := make(chan int64)
	go func() {
		var shown int64
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				finished <- shown
				return
			case <-tick.C:
				if !ok {
					continue
				}
				now, _ := readBytes()
				read := min(now-start-hashed.Load(), size)
				if read > shown {
					p.Add(read - shown)
					shown = read
				}
			}
		}
	}()
	return func() {
		close(done)
		if shown := <-finished; shown < size {
			p.Add(size - shown)
		}
	}
}

// readBytes returns the bytes this process has read so far (rchar).
func readBytes() (int64, bool) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "rchar: "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// fileSHA256 returns the file's digest ("" when it cannot be read), and
// counts its bytes as they are read and its lines.
func fileSHA256(path string, counted *atomic.Int64, lines *load.LineCounter) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	for {
		n, err := f.Read(buf)
		h.Write(buf[:n])
		_, _ = lines.Write(buf[:n])
		counted.Add(int64(n))
		if err == io.EOF {
			break
		}
		if err != nil {
			return ""
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// DefaultMemoryLimit bounds DuckDB's memory when --memory-limit is not
// given: a national extract then spills to disk instead of exhausting an
// ordinary laptop. DuckDB does not count every allocation against it (scan
// buffers, the workbook writer's), so the process peak is higher: 2.5-2.8
// GiB at 10M members a side, against a 3 GiB target (README). More memory
// made the audit no faster (3 GB: slower, 3.7-4.0 GiB peak).
const DefaultMemoryLimit = "2GB"

// duck is the audit's DuckDB: one connection for the engine (writers take
// their own from db), and the private working directory it made, removed
// on close.
type duck struct {
	db   *sql.DB
	conn *sql.Conn
	dir  string
}

func (d *duck) close() {
	dbexec.CloseConn(d.conn)
	d.db.Close()
	os.RemoveAll(d.dir)
}

// workFile is the working database inside the private directory.
const workFile = "work.duckdb"

// openDB starts DuckDB with its working tables in memory or in a database
// file (workingInMemory decides), in a private directory under opts.TempDir
// (or the system's temp dir), which is also where it spills.
// Only the cheap compressions are used (constant and run-length: a source
// file's name, columns a file leaves empty); the others cost more at load
// than they save after.
func openDB(ctx context.Context, opts Options, inputBytes int64) (*duck, error) {
	dir, err := os.MkdirTemp(opts.TempDir, "enrollaudit-")
	if err != nil {
		return nil, fmt.Errorf("create working directory: %w", err)
	}
	limit := opts.MemoryLimit
	if limit == "" {
		limit = DefaultMemoryLimit
	}
	d := &duck{dir: dir}
	path := filepath.Join(dir, workFile)
	if !opts.workInFile && workingInMemory(inputBytes, limit) {
		path = "" // DuckDB's in-memory database
	}
	if d.db, err = sql.Open("duckdb", path); err == nil {
		d.conn, err = d.db.Conn(ctx)
	}
	if err != nil {
		if d.db != nil {
			d.db.Close()
		}
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start duckdb: %w", err)
	}
	threads := opts.Threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	if _, err := d.conn.ExecContext(ctx, "SET memory_limit = "+sqltext.Literal(limit)); err != nil {
		d.close()
		return nil, Usagef("--memory-limit %q is not a size such as 2GB or 512MB", limit)
	}
	// A working file means inputs too large to work on in memory (the
	// tables outgrow the limit): blocks are evicted and others allocated
	// all through the run. DuckDB then keeps them for reuse, up to the
	// limit, instead of giving them back to the system: each fresh page
	// costs a page fault, and at 10M members a side the faults took a
	// fifth of the CPU time (docs/benchmark.md). In memory it saves nothing
	// and raises the peak.
	if path != "" {
		if _, err := d.conn.ExecContext(ctx, "SET block_allocator_memory = "+sqltext.Literal(limit)); err != nil {
			d.close()
			return nil, fmt.Errorf("configure duckdb: block allocator: %w", err)
		}
	}
	for _, s := range []string{
		fmt.Sprintf("SET threads = %d", threads),
		"SET preserve_insertion_order = true",
		"SET temp_directory = " + sqltext.Literal(dir),
		"SET disabled_compression_methods = 'fsst,dict_fsst,dictionary,chimp,patas,alp,alprd,zstd,bitpacking,roaring'",
		// The working database is thrown away after the run: checkpointing
		// a file (when its WAL outgrows the default 16 MB, and again on
		// close) rewrites the loaded tables for nothing. Large loads are
		// written to the file as they arrive, so blocks can still be
		// dropped and read back under the memory limit.
		"SET checkpoint_threshold = '1000TB'",
		"PRAGMA disable_checkpoint_on_shutdown",
	} {
		if _, err := d.conn.ExecContext(ctx, s); err != nil {
			d.close()
			return nil, fmt.Errorf("configure duckdb: %s: %w", s, err)
		}
	}
	return d, nil
}

func lockDown(ctx context.Context, conn *sql.Conn) error {
	// Insertion order gives CSV rows their line numbers while loading;
	// afterwards every result is ordered explicitly, and keeping the order
	// would hold whole intermediate results in memory.
	for _, s := range []string{"SET preserve_insertion_order = false", "SET enable_external_access = false", "SET lock_configuration = true"} {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("lock down duckdb: %w", err)
		}
	}
	return nil
}

// CheckRules loads rule files (with the default pack, so overrides and
// disables of default rules resolve) and compiles every rule against
// DuckDB, without any data. It backs `enrollaudit rules validate`.
func CheckRules(ctx context.Context, lo rules.LoadOptions) (*rules.Set, error) {
	var errs fileerr.List
	set, err := rules.Load(lo)
	errs.Collect("", err)
	d, err := openDB(ctx, Options{}, 0)
	if err != nil {
		return nil, err
	}
	defer d.close()
	conn := d.conn
	if err := relations.Create(ctx, conn); err != nil {
		return nil, err
	}
	if set != nil {
		errs.Collect("", rules.Check(ctx, conn, set, rules.SQLOptions{}, relations.Schema))
	}
	return set, errs.Err()
}
