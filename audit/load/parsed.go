package load

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/enrollaudit/enrollaudit/audit/x12"
	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/fileerr"
	"github.com/enrollaudit/enrollaudit/internal/sqltext"
)

// parse is a Go parser of a format that emits canonical records.
type parse func(r io.Reader, name string, h canonical.Handler) error

// parsers are the formats read by Go parsers (X12 834). Their records are
// staged with canonical headers, so no mapping of columns is needed, and go
// through the same normaliser as every other format.
var parsers = map[string]parse{"x12": x12.Read}

// Extract is the files of one side in one parsed format, read as one
// extract: parsed in parallel into one staging table and normalised
// together, where a later X12 transaction for a member supersedes an
// earlier one (README, "Several files and maintenance order"). Load reads
// the whole extract when it is given the first of its files.
type Extract struct {
	srcs  []Source
	once  sync.Once
	err   error
	stats []*Stats // of srcs, in order
	next  int      // the file the next Load call is given
}

// JoinExtracts makes the X12 files of each side one extract; it returns
// srcs with Extract set on those.
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

// load reads the whole extract the first time and returns the share of
// src, which must be the next of its files in order.
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
		for _, t := range targets {
			e.stats = append(e.stats, t.stats)
		}
	})
	if e.err != nil {
		return nil, e.err
	}
	if e.next >= len(e.srcs) || e.srcs[e.next].Path != src.Path {
		return nil, fmt.Errorf("load %s: not the next file of its extract", src.Path)
	}
	e.next++
	return e.stats[e.next-1], nil
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
	defer st.drop()

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

// staging is the file parsed records wait in until they are normalised
// together: one line a record, its values separated by unit separators
// (US, 0x1F), read back with DuckDB's CSV reader, which reads it in
// parallel like any CSV input. It lies in DuckDB's private working
// directory (mode 0600) and is removed after loading. Staging through the
// appender cost a cgo call a value (29 a row; 4 when packed, but then split
// again in SQL): loading 100k members (then as RCNI) took twice the time of
// CSV.
type staging struct {
	f   *os.File
	w   *bufio.Writer
	buf []byte
	// sequenced: some record came with a transaction order (X12), so
	// some may be superseded.
	sequenced bool
	// txn numbers the runs of records with one transaction order: one
	// number never stands for two orders, so members whose records carry
	// several numbers include all those of several transactions.
	txn     int64
	lastSeq string
}

// unitSep separates a staged record's values. No 834 value holds it, nor a line break; one that does has it turned into a space.
const unitSep = '\x1f'

// stagedColumns are the staging file's columns before the canonical fields.
var stagedColumns = []string{"policy", "member", "seq", "txn", "__file", "__line"}

func newStaging(ctx context.Context, t *Target) (*staging, error) {
	var dir string
	if err := t.Conn.QueryRowContext(ctx, "SELECT current_setting('temp_directory')").Scan(&dir); err != nil {
		return nil, fmt.Errorf("find working directory: %w", err)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		dir = "" // an in-memory database without one: the system's
	}
	f, err := os.CreateTemp(dir, "enrollaudit-parsed-*.txt")
	if err != nil {
		return nil, fmt.Errorf("create staging file: %w", err)
	}
	return &staging{f: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
}

func (st *staging) append(file int64, seq string, rec *canonical.Record) error {
	st.sequenced = st.sequenced || seq != ""
	if seq != st.lastSeq {
		st.txn++
		st.lastSeq = seq
	}
	b := appendStaged(st.buf[:0], rec.Values[policyIndex])
	b = append(b, unitSep)
	b = appendStaged(b, rec.Values[memberIndex])
	b = append(b, unitSep)
	b = append(b, seq...)
	b = append(b, unitSep)
	b = strconv.AppendInt(b, st.txn, 10)
	b = append(b, unitSep)
	b = strconv.AppendInt(b, file, 10)
	b = append(b, unitSep)
	b = strconv.AppendInt(b, int64(rec.Line), 10)
	for _, v := range rec.Values {
		b = append(b, unitSep)
		b = appendStaged(b, v)
	}
	b = append(b, '\n')
	st.buf = b
	if _, err := st.w.Write(b); err != nil {
		return fmt.Errorf("stage rows: %w", err)
	}
	return nil
}

// appendStaged appends v, its separators and line breaks made spaces.
func appendStaged(b []byte, v string) []byte {
	start := len(b)
	b = append(b, v...)
	if strings.ContainsAny(v, "\x1f\n\r") {
		for k := start; k < len(b); k++ {
			if c := b[k]; c == unitSep || c == '\n' || c == '\r' {
				b[k] = ' '
			}
		}
	}
	return b
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
// they are found first, and the filter is a join with them alone (none
// for most files). Records without both keys are kept, for the normaliser
// to reject.
//
// Finding them groups every record, so it is done in two steps to keep
// that grouping small (at 10M members, grouping the IDs with their order
// strings took 1 GiB more than the run's peak otherwise): first on a hash
// of the two IDs and the transaction numbers, integers alone; then
// exactly, on the IDs and order strings, only the records whose hash came
// out of the first. A true repeat always shows in the first step; two IDs
// sharing a hash only widen the second, which then tells them apart.
func (st *staging) finish(ctx context.Context, t *Target) error {
	if err := st.w.Flush(); err != nil {
		return fmt.Errorf("stage rows: %w", err)
	}
	cols := make([]string, canonical.NumFields)
	defs := make([]string, 0, len(stagedColumns)+len(cols))
	for _, c := range stagedColumns {
		typ := "VARCHAR"
		if c == "txn" {
			typ = "BIGINT"
		}
		defs = append(defs, sqltext.Literal(c)+": "+sqltext.Literal(typ))
	}
	for i := range cols {
		cols[i] = "c" + strconv.Itoa(i)
		defs = append(defs, sqltext.Literal(cols[i])+": 'VARCHAR'")
	}
	file := fmt.Sprintf("read_csv(%s, auto_detect = false, header = false, delim = chr(31), quote = '', escape = '', comment = '', new_line = '\\n', columns = {%s})",
		sqltext.Literal(st.f.Name()), strings.Join(defs, ", "))
	rows := "(SELECT *, CAST(__file AS INTEGER) AS __file_id, CAST(__line AS BIGINT) AS __line_no FROM " + file + ")"
	rel := Relation{SQL: rows, Columns: cols, Headers: canonical.Names(), Line: "__line_no", FileID: "__file_id"}
	if !st.sequenced {
		return t.Insert(ctx, rel)
	}
	n := scanSeq.Add(1)
	candidates, latest := fmt.Sprintf("repeat_hashes_%d", n), fmt.Sprintf("latest_%d", n)
	defer t.Conn.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS temp.main."+candidates)
	defer t.Conn.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS temp.main."+latest)
	keyed := "policy IS NOT NULL AND member IS NOT NULL AND seq IS NOT NULL"
	var found int64
	err := t.Conn.QueryRowContext(ctx, fmt.Sprintf(`CREATE TEMP TABLE %s AS
		SELECT %s AS h FROM %s WHERE %s GROUP BY h HAVING min(txn) <> max(txn)`,
		candidates, keyHash, file, keyed)).Scan(&found)
	if err == nil && found > 0 {
		err = t.Conn.QueryRowContext(ctx, fmt.Sprintf(`CREATE TEMP TABLE %s AS
			SELECT policy, member, max(seq) AS latest FROM %s
			WHERE %s AND %s IN (SELECT h FROM temp.main.%s) GROUP BY ALL HAVING min(seq) <> max(seq)`,
			latest, file, keyed, keyHash, candidates)).Scan(&found)
	}
	if err != nil {
		return fmt.Errorf("find superseded records: %w", err)
	}
	if found > 0 {
		rel.SQL = fmt.Sprintf(`(SELECT s.* FROM %s AS s LEFT JOIN temp.main.%s AS x USING (policy, member)
			WHERE x.latest IS NULL OR s.seq = x.latest)`, rows, latest)
	}
	return t.Insert(ctx, rel)
}

// keyHash is what finish groups members by first. A variable for the
// test that makes hashes collide.
var keyHash = "hash(policy, member)"

// drop removes the staging file: it holds personal data.
func (st *staging) drop() {
	st.f.Close()
	os.Remove(st.f.Name())
}
