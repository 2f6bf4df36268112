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

// staging is the table parsed records wait in until they are normalised
// together. A record is its keys and transaction order, for finding
// superseded records without reading the rest, and one text value: its
// file, line and fields joined by unit separators (US, 0x1F), split again
// in SQL. The appender sets each value with a cgo call; 4 values a row
// instead of 29 made staging several times faster.
type staging struct {
	name string
	app  *duckdb.Appender
	buf  []byte
	vals [4]driver.Value
	// sequenced: some record came with a transaction order (X12), so
	// some may be superseded.
	sequenced bool
}

// unitSep separates a staged record's values. No 834 or RCNI value holds
// it (it is a control character); one that does has it turned into a space.
const unitSep = '\x1f'

func newStaging(ctx context.Context, t *Target) (*staging, error) {
	table := fmt.Sprintf("parsed_%d", scanSeq.Add(1))
	st := &staging{name: "temp.main." + table}
	if _, err := t.Conn.ExecContext(ctx, "CREATE TEMP TABLE "+table+" (policy VARCHAR, member VARCHAR, seq VARCHAR, r VARCHAR)"); err != nil {
		return nil, fmt.Errorf("create staging table: %w", err)
	}
	err := t.Conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppender(dc.(driver.Conn), "temp", "main", table)
		st.app = app
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open appender: %w", err)
	}
	return st, nil
}

func (st *staging) append(file int64, seq string, rec *canonical.Record) error {
	st.vals[0], st.vals[1], st.vals[2] = nullable(rec.Values[policyIndex]), nullable(rec.Values[memberIndex]), nullable(seq)
	st.sequenced = st.sequenced || seq != ""
	b := strconv.AppendInt(st.buf[:0], file, 10)
	b = append(b, unitSep)
	b = strconv.AppendInt(b, int64(rec.Line), 10)
	for _, v := range rec.Values {
		b = append(b, unitSep)
		start := len(b)
		b = append(b, v...)
		if strings.IndexByte(v, unitSep) >= 0 {
			for k := start; k < len(b); k++ {
				if b[k] == unitSep {
					b[k] = ' '
				}
			}
		}
	}
	st.buf = b
	st.vals[3] = string(b)
	if err := st.app.AppendRow(st.vals[:]...); err != nil {
		return fmt.Errorf("stage rows: %w", err)
	}
	return nil
}

func nullable(v string) driver.Value {
	if v == "" {
		return nil
	}
	return v
}

// Indexes of the keys in canonical.Fields.
var policyIndex, memberIndex = fieldIndex("exchange_policy_id"), fieldIndex("exchange_member_id")

func fieldIndex(name string) int {
	for i, f := range canonical.Fields {
		if f.Name == name {
			return i
		}
	}
	panic("load: unknown field " + name)
}

// finish normalises the staged records into the side's canonical table.
// Of the records of one member (policy and member ID), only those of the
// latest transaction are kept: transactions are ordered by file, then by
// the order the parser gives (X12: ISA, GS and BGN dates and times, then
// position). Members with records from several transactions are few, so
// they are found first with one narrow aggregate, and the filter is a join
// with them alone (none for most files). Records without both keys are
// kept, for the normaliser to reject.
func (st *staging) finish(ctx context.Context, t *Target) error {
	if err := st.app.Close(); err != nil {
		return fmt.Errorf("stage rows: %w", err)
	}
	st.app = nil
	cols := make([]string, canonical.NumFields)
	split := []string{"CAST(l[1] AS INTEGER) AS __file", "CAST(l[2] AS BIGINT) AS __line"}
	for i := range cols {
		cols[i] = "c" + strconv.Itoa(i)
		split = append(split, fmt.Sprintf("l[%d] AS %s", i+3, cols[i]))
	}
	rows := fmt.Sprintf("(SELECT %s FROM (SELECT string_split(r, chr(31)) AS l FROM %s))", strings.Join(split, ", "), st.name)
	rel := Relation{SQL: rows, Columns: cols, Headers: canonical.Names(), Line: "__line", FileID: "__file"}
	if !st.sequenced {
		return t.Insert(ctx, rel)
	}
	latest := "temp.main.latest_" + strings.TrimPrefix(st.name, "temp.main.")
	var repeated int64
	err := t.Conn.QueryRowContext(ctx, fmt.Sprintf(`CREATE TEMP TABLE %s AS
		SELECT policy, member, max(seq) AS latest FROM %s
		WHERE policy IS NOT NULL AND member IS NOT NULL AND seq IS NOT NULL GROUP BY ALL HAVING min(seq) <> max(seq)`,
		strings.TrimPrefix(latest, "temp.main."), st.name)).Scan(&repeated)
	if err != nil {
		return fmt.Errorf("find superseded records: %w", err)
	}
	defer t.Conn.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+latest)
	if repeated > 0 {
		rel.SQL = fmt.Sprintf(`(SELECT %s FROM (SELECT string_split(r, chr(31)) AS l FROM %s AS s LEFT JOIN %s AS x USING (policy, member)
			WHERE x.latest IS NULL OR s.seq = x.latest))`, strings.Join(split, ", "), st.name, latest)
	}
	return t.Insert(ctx, rel)
}

func (st *staging) drop(ctx context.Context, t *Target) {
	if st.app != nil {
		_ = st.app.Close()
	}
	_, _ = t.Conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+st.name)
}
