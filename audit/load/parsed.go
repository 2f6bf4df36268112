package load

import (
	"bufio"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/enrollaudit/enrollaudit/audit/canonical"
	"github.com/enrollaudit/enrollaudit/audit/fileerr"
	"github.com/enrollaudit/enrollaudit/audit/rcni"
	"github.com/enrollaudit/enrollaudit/audit/x12"
)

// parse is a Go parser of a format that emits canonical records.
type parse func(r io.Reader, name string, h canonical.Handler) error

// parsers are the formats read by Go parsers (X12 834, RCNI). Their records
// are staged with canonical headers, so no mapping of columns is needed,
// and go through the same normaliser as every other format.
var parsers = map[string]parse{"x12": x12.Read, "rcni": rcni.Read}

// Extract is the files of one side in one parsed format, read as one
// extract: parsed in parallel into one staging table and normalised
// together, where a later X12 transaction for a member supersedes an
// earlier one (README, "Several files and maintenance order"). Load reads
// the whole extract when it is given the first of its files.
type Extract struct {
	srcs  []Source
	once  sync.Once
	err   error
	stats map[string]*Stats
}

// JoinExtracts makes the X12 files of each side one extract, and the RCNI
// files of each side another; it returns srcs with Extract set on those.
func JoinExtracts(srcs []Source) []Source {
	extracts := map[string]*Extract{}
	for i, src := range srcs {
		format, err := FormatOf(src)
		if _, parsed := parsers[format]; err != nil || !parsed {
			continue
		}
		key := src.Side + "\x00" + format
		e := extracts[key]
		if e == nil {
			e = &Extract{}
			extracts[key] = e
		}
		e.srcs = append(e.srcs, src)
		srcs[i].Extract = e
	}
	return srcs
}

// load reads the whole extract the first time and returns src's share.
func (e *Extract) load(ctx context.Context, conn *sql.Conn, src Source) (*Stats, error) {
	e.once.Do(func() {
		var targets []*Target
		for _, s := range e.srcs {
			t, err := register(ctx, conn, s)
			if err != nil {
				e.err = err
				return
			}
			targets = append(targets, t)
		}
		if e.err = loadParsed(ctx, targets); e.err != nil {
			return
		}
		e.stats = map[string]*Stats{}
		for _, t := range targets {
			e.stats[t.src.Path] = t.stats
		}
	})
	if e.err != nil {
		return nil, e.err
	}
	return e.stats[src.Path], nil
}

// parsedReader reads one file of a parsed format on its own, as an extract
// of one file.
type parsedReader struct{}

func init() {
	for format := range parsers {
		readers[format] = parsedReader{}
	}
}

func (parsedReader) Load(ctx context.Context, t *Target, src Source) error {
	return loadParsed(ctx, []*Target{t})
}

// batchSize is how many records a parser hands over at a time.
const batchSize = 4096

// batch is what one parser has found since its last batch.
type batch struct {
	t       *Target
	seq     []string // transaction order of each record
	recs    []canonical.Record
	rejects []canonical.Reject
	warns   []string
}

// batcher is the canonical.Handler of one file's parser: it hands what it
// is given to the loader in batches.
type batcher struct {
	ctx context.Context
	t   *Target
	out chan<- *batch
	cur *batch
	seq string
	// base orders this file's transactions after the earlier files'.
	base string
}

func (b *batcher) Transaction(order string) { b.seq = b.base + order }

func (b *batcher) Record(rec canonical.Record) error {
	b.cur.recs = append(b.cur.recs, rec)
	b.cur.seq = append(b.cur.seq, b.seq)
	if len(b.cur.recs) == batchSize {
		return b.flush()
	}
	return nil
}

func (b *batcher) Reject(rej canonical.Reject) error {
	b.cur.rejects = append(b.cur.rejects, rej)
	return nil
}

func (b *batcher) Warn(msg string) { b.cur.warns = append(b.cur.warns, msg) }

func (b *batcher) flush() error {
	select {
	case b.out <- b.cur:
	case <-b.ctx.Done():
		return b.ctx.Err()
	}
	b.cur = &batch{t: b.t, recs: make([]canonical.Record, 0, batchSize)}
	return nil
}

// loadParsed parses the files of targets (one side, one format) in
// parallel, stages their records in one table and normalises them into the
// side's canonical table, each row under its own file.
func loadParsed(ctx context.Context, targets []*Target) error {
	t0 := targets[0]
	format, _ := FormatOf(t0.src)
	read := parsers[format]
	st, err := newStaging(ctx, t0)
	if err != nil {
		return err
	}
	defer st.drop(context.WithoutCancel(ctx), t0)

	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make(chan *batch, 4)
	errs := make(chan error, len(targets))
	files := make(chan int)
	var wg sync.WaitGroup
	for range min(len(targets), runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range files {
				t := targets[i]
				b := &batcher{ctx: ctx, t: t, out: out, base: fmt.Sprintf("%06d|", i),
					cur: &batch{t: t, recs: make([]canonical.Record, 0, batchSize)}}
				if err := parseFile(read, t.src.Path, b); err != nil {
					// A parser stopped by another's failure is not the cause.
					if !errors.Is(err, context.Canceled) || parent.Err() != nil {
						errs <- err
					}
					cancel()
					return
				}
				if err := b.flush(); err != nil {
					return
				}
			}
		}()
	}
	go func() {
		defer close(out)
		defer wg.Wait()
		for i := range targets {
			select {
			case files <- i:
			case <-ctx.Done():
				close(files)
				return
			}
		}
		close(files)
	}()
	staged := make(map[*Target]int64)
	var appendErr error
	for b := range out {
		if appendErr != nil {
			continue // drain, so that the parsers end
		}
		for _, w := range b.warns {
			b.t.Warn(w)
		}
		for _, rej := range b.rejects {
			if appendErr = b.t.Reject(ctx, rej); appendErr != nil {
				cancel()
				break
			}
		}
		for i := range b.recs {
			if appendErr == nil {
				appendErr = st.append(b.t.fileID, b.seq[i], &b.recs[i])
			}
		}
		staged[b.t] += int64(len(b.recs))
		if appendErr != nil {
			cancel()
		}
	}
	select {
	case err := <-errs:
		return err
	default:
	}
	if appendErr != nil {
		return appendErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := st.finish(ctx, t0); err != nil {
		return err
	}
	for _, t := range targets {
		before := t.stats.Rejected
		if err := t.collectRejects(ctx); err != nil {
			return err
		}
		if n := staged[t] - t.stats.Loaded - (t.stats.Rejected - before); n > 0 {
			t.Warn(fmt.Sprintf("%s: records superseded by a later transaction for the same member: %d (README, \"Several files and maintenance order\")", t.src.Path, n))
		}
	}
	return nil
}

// parseFile runs read on the file at path.
func parseFile(read parse, path string, h canonical.Handler) error {
	f, err := os.Open(path)
	if err != nil {
		return &fileerr.Error{File: path, Msg: "cannot read input: " + pathReason(err)}
	}
	defer f.Close()
	if err := read(bufio.NewReaderSize(f, 1<<20), path, h); err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

// staging is the table parsed records wait in, as text, with their file,
// line and transaction order, until they are normalised together.
type staging struct {
	name string
	app  *duckdb.Appender
	vals []driver.Value
}

func newStaging(ctx context.Context, t *Target) (*staging, error) {
	st := &staging{name: fmt.Sprintf("temp.main.parsed_%d", scanSeq.Add(1))}
	defs := []string{"__file INTEGER", "__line BIGINT", "__seq VARCHAR"}
	for i := range canonical.Fields {
		defs = append(defs, "c"+strconv.Itoa(i)+" VARCHAR")
	}
	if _, err := t.Conn.ExecContext(ctx, fmt.Sprintf("CREATE TEMP TABLE %s (%s)", strings.TrimPrefix(st.name, "temp.main."), strings.Join(defs, ", "))); err != nil {
		return nil, fmt.Errorf("create staging table: %w", err)
	}
	err := t.Conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppender(dc.(driver.Conn), "temp", "main", strings.TrimPrefix(st.name, "temp.main."))
		st.app = app
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open appender: %w", err)
	}
	st.vals = make([]driver.Value, 3+canonical.NumFields)
	return st, nil
}

func (st *staging) append(file int64, seq string, rec *canonical.Record) error {
	st.vals[0], st.vals[1] = file, int64(rec.Line)
	st.vals[2] = nil
	if seq != "" {
		st.vals[2] = seq
	}
	for i, v := range rec.Values {
		if v == "" {
			st.vals[3+i] = nil
		} else {
			st.vals[3+i] = v
		}
	}
	if err := st.app.AppendRow(st.vals...); err != nil {
		return fmt.Errorf("stage rows: %w", err)
	}
	return nil
}

// finish normalises the staged records into the side's canonical table.
// Of the records of one member (policy and member ID), only those of the
// latest transaction are kept: transactions are ordered by file, then by
// the order the parser gives (X12: ISA, GS and BGN dates and times, then
// position). Records without both keys are kept, for the normaliser to
// reject.
func (st *staging) finish(ctx context.Context, t *Target) error {
	if err := st.app.Close(); err != nil {
		return fmt.Errorf("stage rows: %w", err)
	}
	st.app = nil
	cols := make([]string, canonical.NumFields)
	for i := range cols {
		cols[i] = "c" + strconv.Itoa(i)
	}
	policy, member := columnOf("exchange_policy_id"), columnOf("exchange_member_id")
	rel := Relation{
		SQL: fmt.Sprintf(`(SELECT * FROM %s QUALIFY %s IS NULL OR %s IS NULL OR __seq IS NULL
			OR __seq = max(__seq) OVER (PARTITION BY %s, %s))`, st.name, policy, member, policy, member),
		Columns: cols, Headers: canonical.Names(), Line: "__line", FileID: "__file",
	}
	return t.Insert(ctx, rel)
}

func columnOf(field string) string {
	for i, f := range canonical.Fields {
		if f.Name == field {
			return "c" + strconv.Itoa(i)
		}
	}
	panic("load: unknown field " + field)
}

func (st *staging) drop(ctx context.Context, t *Target) {
	if st.app != nil {
		_ = st.app.Close()
	}
	_, _ = t.Conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+st.name)
}
