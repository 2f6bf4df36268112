package load

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/duckdb/duckdb-go/v2"
	"golang.org/x/text/encoding/charmap"

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
	type strayBytes struct{ count, first int }
	notUTF8 := make(map[*Target]strayBytes)
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
				var bad bool
				bad, appendErr = st.append(b.t.fileID, b.seq[i], &b.recs[i])
				if bad {
					n := notUTF8[b.t]
					if n.count == 0 {
						n.first = b.recs[i].Line
					}
					n.count++
					notUTF8[b.t] = n
				}
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
	// The parsers' garbage goes back to the system before DuckDB fills its
	// buffers: Go would return it gradually, on top of DuckDB's peak.
	repeats, err := st.seen.repeats()
	if err != nil {
		return err
	}
	debug.FreeOSMemory()
	if err := st.finish(ctx, t0, repeats); err != nil {
		return err
	}
	for _, t := range targets {
		if n := notUTF8[t]; n.count > 0 {
			where := "line"
			if f, _ := FormatOf(t.src); f == "x12" {
				where = "segment"
			}
			records := "records"
			if n.count == 1 {
				records = "record"
			}
			t.Warn(fmt.Sprintf("%s: %d %s with bytes that are not UTF-8, the first at %s %d: those bytes were read as Windows-1252 (Latin-1 letters)", t.src.Path, n.count, records, where, n.first))
		}
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
//
// A record carries its transaction's number, not its order string: the
// orders (60 bytes and more) are written once a transaction, to a file of
// their own, and were a fifth of the staged bytes when every record held
// one.
type staging struct {
	dir string
	f   *os.File
	w   *bufio.Writer
	buf []byte
	// seen collects each keyed record's hash and transaction number: the
	// members of several transactions are among its repeats (finish).
	seen   repeatFinder
	idsBuf []byte
	// keys lists the repeated hashes for DuckDB, when there are any.
	keys *os.File
	// txns holds a line per transaction number: the number and its order.
	txns    *os.File
	txnsW   *bufio.Writer
	txnsBuf []byte
	// txn numbers the runs of records with one transaction order: one
	// number never stands for two orders, so members whose records carry
	// several numbers include all those of several transactions.
	txn     int64
	lastSeq string
}

// unitSep separates a staged record's values. No 834 value holds it, nor a
// line break; one that does has it turned into a space.
const unitSep = '\x1f'

// stagedColumns are the staging file's columns before the canonical fields,
// with their types.
var stagedColumns = []struct{ name, typ string }{
	{"key", "BIGINT"}, {"txn", "BIGINT"}, {"__file", "INTEGER"}, {"__line", "BIGINT"},
}

// keySeed seeds the key hashes of one process: they are compared only
// within a run.
var keySeed = maphash.MakeSeed()

// keyHash hashes a record's policy and member IDs as staged (separated by
// unitSep). A variable for the test that makes hashes collide.
var keyHash = func(ids []byte) uint64 { return maphash.Bytes(keySeed, ids) }

func newStaging(ctx context.Context, t *Target) (*staging, error) {
	var dir string
	if err := t.Conn.QueryRowContext(ctx, "SELECT current_setting('temp_directory')").Scan(&dir); err != nil {
		return nil, fmt.Errorf("find working directory: %w", err)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		dir = "" // an in-memory database without one: the system's
	}
	st := &staging{dir: dir, seen: repeatFinder{dir: dir}}
	for _, f := range []struct {
		file    **os.File
		w       **bufio.Writer
		pattern string
		size    int
	}{
		{&st.f, &st.w, "enrollaudit-parsed-*.txt", 1 << 20},
		{&st.txns, &st.txnsW, "enrollaudit-txns-*.txt", 64 << 10},
	} {
		file, err := os.CreateTemp(dir, f.pattern)
		if err != nil {
			st.drop()
			return nil, fmt.Errorf("create staging file: %w", err)
		}
		*f.file, *f.w = file, bufio.NewWriterSize(file, f.size)
	}
	return st, nil
}

// append stages rec; notUTF8 says some of its values were not UTF-8
// (appendStaged).
func (st *staging) append(file int64, seq string, rec *canonical.Record) (notUTF8 bool, err error) {
	if seq != "" && seq != st.lastSeq {
		st.txn++
		st.lastSeq = seq
		t := strconv.AppendInt(st.txnsBuf[:0], st.txn, 10)
		t = append(t, unitSep)
		t, _ = appendStaged(t, seq)
		t = append(t, '\n')
		st.txnsBuf = t
		if _, err := st.txnsW.Write(t); err != nil {
			return false, fmt.Errorf("stage rows: %w", err)
		}
	}
	policy, member := rec.Values[policyIndex], rec.Values[memberIndex]
	// Only records DuckDB reads with both IDs and an order are keyed: the
	// others are never superseded. The key hashes the IDs as staged.
	keyed := seq != "" && policy != "" && member != ""
	var key uint64
	if keyed {
		ids, _ := appendStaged(st.idsBuf[:0], policy)
		ids = append(ids, unitSep)
		ids, _ = appendStaged(ids, member)
		st.idsBuf = ids
		key = keyHash(ids)
		st.seen.add(key, st.txn)
	}
	b := st.buf[:0]
	if keyed {
		b = strconv.AppendInt(b, int64(key), 10)
	}
	b = append(b, unitSep)
	if seq != "" {
		b = strconv.AppendInt(b, st.txn, 10)
	}
	b = append(b, unitSep)
	b = strconv.AppendInt(b, file, 10)
	b = append(b, unitSep)
	b = strconv.AppendInt(b, int64(rec.Line), 10)
	for _, v := range rec.Values {
		b = append(b, unitSep)
		var bad bool
		b, bad = appendStaged(b, v)
		notUTF8 = notUTF8 || bad
	}
	b = append(b, '\n')
	st.buf = b
	if _, err := st.w.Write(b); err != nil {
		return notUTF8, fmt.Errorf("stage rows: %w", err)
	}
	return notUTF8, nil
}

// appendStaged appends v, its separators and line breaks made spaces.
// Bytes that are not UTF-8 (a Latin-1 or Windows-1252 letter in a file that
// is otherwise ASCII or UTF-8) are read as Windows-1252, which is Latin-1
// for letters, and reported (notUTF8): DuckDB reads the staged file as
// UTF-8 and would stop at them. Nearly every value is printable ASCII, so
// one look at its bytes settles it (strings.ContainsAny and
// utf8.ValidString on each were half of staging's CPU).
func appendStaged(b []byte, v string) (out []byte, notUTF8 bool) {
	plain := true
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c >= 0x80 {
			plain = false
			break
		}
	}
	if plain {
		return append(b, v...), false
	}
	if !utf8.ValidString(v) {
		return appendWindows1252(b, v), true
	}
	start := len(b)
	b = append(b, v...)
	for k := start; k < len(b); k++ {
		if c := b[k]; c == unitSep || c == '\n' || c == '\r' {
			b[k] = ' '
		}
	}
	return b, false
}

// appendWindows1252 appends v with its stray bytes read as Windows-1252 and
// its valid UTF-8 kept, separators and line breaks made spaces.
func appendWindows1252(b []byte, v string) []byte {
	for len(v) > 0 {
		r, size := utf8.DecodeRuneInString(v)
		if r == utf8.RuneError && size == 1 {
			r = charmap.Windows1252.DecodeByte(v[0])
		}
		if r == unitSep || r == '\n' || r == '\r' {
			r = ' '
		}
		b = utf8.AppendRune(b, r)
		v = v[size:]
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
// they are found first, and the filter is a join with their superseded
// records alone (none for most files). Records without both keys are kept,
// for the normaliser to reject.
//
// Finding them takes two steps, the first while staging: the key hashes
// seen with more than one transaction number (repeats); then, exactly,
// from the records with those hashes, their IDs, transactions and orders.
// A true repeat always shows in the first step; IDs that share a hash only
// widen the second, which tells them apart. (Grouping every record's IDs
// with its order string took the 834 path's peak to 3.7 GiB at 10M
// members.)
func (st *staging) finish(ctx context.Context, t *Target, repeats []uint64) error {
	for _, w := range []*bufio.Writer{st.w, st.txnsW} {
		if err := w.Flush(); err != nil {
			return fmt.Errorf("stage rows: %w", err)
		}
	}
	cols := make([]string, canonical.NumFields)
	defs := make([]string, 0, len(stagedColumns)+len(cols))
	for _, c := range stagedColumns {
		defs = append(defs, sqltext.Literal(c.name)+": "+sqltext.Literal(c.typ))
	}
	for i := range cols {
		cols[i] = "c" + strconv.Itoa(i)
		defs = append(defs, sqltext.Literal(cols[i])+": 'VARCHAR'")
	}
	file := stagedCSV(st.f.Name(), chr31, strings.Join(defs, ", "))
	rel := Relation{SQL: file, Columns: cols, Headers: canonical.Names(), Line: "__line", FileID: "__file"}
	if len(repeats) == 0 {
		return withoutRecords(t.Insert(ctx, rel))
	}
	keys, err := st.writeRepeats(repeats)
	if err != nil {
		return err
	}
	superseded := fmt.Sprintf("superseded_%d", scanSeq.Add(1))
	defer t.Conn.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS temp.main."+superseded)
	txns := stagedCSV(st.txns.Name(), chr31, "'txn': 'BIGINT', 'seq': 'VARCHAR'")
	policy, member := cols[policyIndex], cols[memberIndex]
	var found int64
	err = t.Conn.QueryRowContext(ctx, fmt.Sprintf(`CREATE TEMP TABLE %[1]s AS
		WITH repeats AS (
			SELECT s.%[2]s AS policy, s.%[3]s AS member, s.txn, x.seq FROM %[4]s AS s JOIN %[5]s AS x USING (txn)
			WHERE s.key IN (SELECT key FROM %[6]s)),
		latest AS (SELECT policy, member, max(seq) AS seq FROM repeats GROUP BY ALL HAVING min(seq) <> max(seq))
		SELECT DISTINCT r.policy, r.member, r.txn FROM repeats AS r JOIN latest AS l USING (policy, member)
		WHERE r.seq <> l.seq`, superseded, policy, member, file, txns, keys)).Scan(&found)
	if err != nil {
		return withoutRecords(fmt.Errorf("find superseded records: %w", err))
	}
	if found > 0 {
		rel.SQL = fmt.Sprintf(`(SELECT s.* FROM %s AS s LEFT JOIN temp.main.%s AS x
			ON s.%s = x.policy AND s.%s = x.member AND s.txn = x.txn WHERE x.txn IS NULL)`, file, superseded, policy, member)
	}
	return withoutRecords(t.Insert(ctx, rel))
}

// writeRepeats writes the repeated key hashes to a file for DuckDB and
// returns the SQL that reads it.
func (st *staging) writeRepeats(repeats []uint64) (string, error) {
	f, err := os.CreateTemp(st.dir, "enrollaudit-keys-*.txt")
	if err != nil {
		return "", fmt.Errorf("create staging file: %w", err)
	}
	st.keys = f
	w := bufio.NewWriterSize(f, 64<<10)
	var b []byte
	for _, key := range repeats {
		b = strconv.AppendInt(b[:0], int64(key), 10)
		b = append(b, '\n')
		w.Write(b)
	}
	if err := w.Flush(); err != nil {
		return "", fmt.Errorf("stage rows: %w", err)
	}
	return stagedCSV(f.Name(), "','", "'key': 'BIGINT'"), nil
}

// chr31 is the unit separator (unitSep) in SQL.
const chr31 = "chr(31)"

// stagedCSV reads one of the staging files: no header, quote, escape or
// comment, one record a line, the columns (a struct's fields in SQL)
// given.
func stagedCSV(path, delim, columns string) string {
	return fmt.Sprintf("read_csv(%s, auto_detect = false, header = false, delim = %s, quote = '', escape = '', comment = '', new_line = '\\n', columns = {%s})",
		sqltext.Literal(path), delim, columns)
}

// withoutRecords keeps the first line of DuckDB's error reading the staged
// records back: its next lines quote the record it stopped at, which holds
// names and SSNs. Other errors (a mapping's problems, one a line) and
// cancellations pass as they are.
func withoutRecords(err error) error {
	var de *duckdb.Error
	if err == nil || !errors.As(err, &de) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return errors.New(msg)
}

// drop removes the staging files: they hold personal data.
func (st *staging) drop() {
	st.seen.drop()
	for _, f := range []*os.File{st.f, st.keys, st.txns} {
		if f != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}
}
