package load

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"

	"github.com/enrollaudit/enrollaudit/audit/rcni"
	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/fileerr"
	"github.com/enrollaudit/enrollaudit/internal/sqltext"
)

// rcniReader reads CMS RCNI files (README, "CMS RCNI") with DuckDB's
// parallel CSV reader, which splits each line at "|" into the fields up to
// the last one read (rcni.ReadFields); the few conversions the normaliser
// does not do are in SQL (rcni.DetailsSQL): nothing is parsed in Go on the
// way to the table. Rows are numbered by their order in the file, as for
// CSV. Lines that give no row (blank, summary records, rejects) are found,
// when the rows do not account for every line, by a pass over the file in
// Go that only classifies lines (rcni.Classify), which also gives the rows
// after them their lines.
//
// Line breaks are LF or CR LF. In a file with carriage returns other than
// before a line feed, which DuckDB would take for line breaks of their own,
// in a file mixing both line breaks, and in a file read in another encoding (a mapping's encoding:, or one
// that turns out not to be UTF-8), DuckDB reads a UTF-8 copy in the private
// working directory in which a line's closing carriage returns are dropped
// and any other is a space (a value's inner CR, which no RCNI field holds).
type rcniReader struct{}

func (rcniReader) Load(ctx context.Context, t *Target, src Source) error {
	if err := checkDelimited(src.Path); err != nil {
		return err
	}
	n := scanSeq.Add(1)
	r := rcniRead{t: t, src: src, rejTable: fmt.Sprintf("rcni_rejects_%d", n), scanTable: fmt.Sprintf("rcni_scans_%d", n), path: src.Path}
	defer r.drop(ctx)
	var dec *encoding.Decoder
	switch m := src.Mapping; {
	case m == nil:
	case m.Encoding == "latin-1":
		dec = charmap.ISO8859_1.NewDecoder()
	case m.Encoding == "windows-1252":
		dec = charmap.Windows1252.NewDecoder()
	}
	if dec != nil {
		return r.readCopy(ctx, dec, false)
	}
	// DuckDB must never see a byte that is not UTF-8: with the columns it
	// does not read left out, it fails on one (an internal error that
	// closes the database) instead of rejecting its line. The file is
	// checked first: 15-30 ms per 100 MB.
	b, err := scanBytes(src.Path)
	if err != nil {
		return err
	}
	switch {
	case !b.utf8:
		ev, err := readEncodingEvidence(src.Path)
		if err != nil {
			return err
		}
		if ev.utf8() {
			// The rest of the file is UTF-8: the lines with stray bytes
			// are rejects (as in a CSV file).
			return r.readCopy(ctx, nil, true)
		}
		enc, dec := "latin-1", charmap.ISO8859_1.NewDecoder()
		if ev.c1 {
			enc, dec = "windows-1252", charmap.Windows1252.NewDecoder()
		}
		bad, total, err := strayLines(src.Path)
		if err != nil {
			return err
		}
		t.Warn(fmt.Sprintf("%s is not UTF-8 (%s: no UTF-8 text anywhere): read it as %s (set encoding: in a mapping file to choose)", src.Path, linesList(bad, total), enc))
		return r.readCopy(ctx, dec, false)
	case b.loneCR || b.mixed:
		// DuckDB would take a lone CR for a line break, and may number
		// the lines of a file mixing CR LF and LF otherwise than they
		// are (as it does a CSV's).
		return r.readCopy(ctx, nil, false)
	}
	// Every line ends in CR LF, or none does.
	r.crlf = b.cr
	if err := r.insert(ctx); err != nil {
		return err
	}
	return r.finish(ctx)
}

// readCopy reads a UTF-8 copy of the file (decoded by dec, when not nil;
// with its lines that are not UTF-8 left blank and rejected, when stray).
func (r *rcniRead) readCopy(ctx context.Context, dec *encoding.Decoder, stray bool) error {
	write := func() error { return r.copy(ctx, dec) }
	if stray {
		write = func() error { return r.copyStray(ctx) }
	}
	if err := write(); err != nil {
		return err
	}
	if err := r.insert(ctx); err != nil {
		return err
	}
	return r.finish(ctx)
}

// rcniRead is one reading of an RCNI file.
type rcniRead struct {
	t                   *Target
	src                 Source
	rejTable, scanTable string
	path                string // what DuckDB reads: the file or its copy
	crlf                bool   // every carriage return is before a line feed
	copied              bool   // path is a copy, to remove
	// blanked are the lines the copy left blank, having bytes that are not
	// UTF-8, with the reject of each (none for a summary record).
	blanked map[int64]canonical.Reject
}

// rcniLineSlack is how far past rcni.MaxLine DuckDB's reader takes lines:
// it counts a line's length from the line break before it (and with the
// carriage return in a file of CR LF lines), so that a line of exactly
// MaxLine bytes is refused at that limit. A line a few bytes longer that
// it takes is classified as any other.
const rcniLineSlack = 2

// insert normalises the file's detail records into the side's table.
// Fields past the last one read are not kept (strict_mode = false), a
// shorter line has the missing ones NULL (null_padding) and an empty field
// is "" (nullstr is a line feed, which no field holds): rcni.DetailsSQL
// tells the lines with fewer fields than a record needs by that NULL.
func (r *rcniRead) insert(ctx context.Context) error {
	newline := `'\n'`
	if r.crlf {
		newline = `'\r\n'`
	}
	cols := make([]string, rcni.ReadFields)
	for i := range cols {
		cols[i] = rcni.FieldColumn(i)
	}
	lines := fmt.Sprintf("read_csv(%s, auto_detect = false, header = false, columns = {%s}, delim = '|', "+
		"quote = '', escape = '', comment = '', new_line = %s, strict_mode = false, null_padding = true, nullstr = chr(10), encoding = 'utf-8', "+
		"store_rejects = true, rejects_table = %s, rejects_scan = %s, max_line_size = %d)",
		sqltext.Literal(r.path), varcharColumns(cols), newline, sqltext.Literal(r.rejTable), sqltext.Literal(r.scanTable), rcni.MaxLine+rcniLineSlack)
	q, fields := rcni.DetailsSQL(lines)
	names := make([]string, len(fields))
	for i := range fields {
		names[i] = fmt.Sprintf("c%d", i)
	}
	return r.t.Insert(ctx, Relation{SQL: "(" + q + ")", Columns: names, Headers: fields, FirstLine: 1})
}

// finish records the lines that gave no row, when some did not, and gives
// the rows after them their lines.
func (r *rcniRead) finish(ctx context.Context) error {
	t := r.t
	// The pass that hashes the file counts its lines meanwhile.
	counter, err := t.lines(r.src, r.src.Path)
	if err != nil {
		return err
	}
	lines := counter.lf
	if counter.size > 0 && counter.last != '\n' {
		lines++
	}
	var loaded int64
	if err := t.Conn.QueryRowContext(ctx, "SELECT count(*) FROM "+CanonTable(t.src.Side)+" WHERE file_id = ?", t.fileID).Scan(&loaded); err != nil {
		return fmt.Errorf("count rows of %s: %w", t.src.Path, err)
	}
	if loaded == lines {
		return nil
	}
	readerRejects, err := r.readerRejects(ctx)
	if err != nil {
		return err
	}
	k := rcniKinds{name: r.src.Path, readerRejects: readerRejects, blanked: r.blanked}
	// Most often the lines that give no row all follow the last record (a
	// summary record closing the file): then no row moves, and the end of
	// the file holds every reject.
	after, rejects, ok, err := rcniTail(r.path, lines, k)
	if err != nil {
		return err
	}
	if !ok || lines-after != loaded {
		var shifts []lineShift
		if shifts, rejects, err = rcniLayout(r.path, k, loaded); err != nil {
			return err
		}
		if err := t.shiftLines(ctx, r.rejTable+"_shifts", shifts); err != nil {
			return err
		}
	}
	for _, rej := range rejects {
		if err := t.Reject(ctx, rej); err != nil {
			return err
		}
	}
	return nil
}

// readerRejects are the lines DuckDB's reader could not read, with why.
func (r *rcniRead) readerRejects(ctx context.Context) (map[int64]string, error) {
	rows, err := r.t.Conn.QueryContext(ctx, "SELECT line, any_value(error_type) FROM "+r.rejTable+" GROUP BY line")
	if err != nil {
		return nil, fmt.Errorf("read rejects of %s: %w", r.src.Path, err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var line int64
		var typ string
		if err := rows.Scan(&line, &typ); err != nil {
			return nil, err
		}
		out[line] = typ
	}
	return out, rows.Err()
}

// rcniKinds says what each line of a file is, as rcni.Classify does, with
// what the reading found: a detail record DuckDB's reader could not read
// (readerRejects: error types by line) is a reject, and a line the copy
// left blank has the reject it was given (blanked), if any.
type rcniKinds struct {
	name          string // the file, in messages
	readerRejects map[int64]string
	blanked       map[int64]canonical.Reject
}

func (k rcniKinds) classify(n int64, line []byte, tooLong bool) (rcni.Kind, canonical.Reject) {
	kind, rej := rcni.Classify(k.name, int(n), string(line), tooLong)
	if typ, bad := k.readerRejects[n]; bad && (kind == rcni.Detail || typ == "LINE SIZE OVER MAXIMUM") {
		kind, rej = rcni.Rejected, canonical.Reject{File: k.name, Line: int(n), Reason: readerRejectReason(n, typ)}
	}
	if b, ok := k.blanked[n]; ok && b.Reason != "" {
		kind, rej = rcni.Rejected, b
	}
	return kind, rej
}

// rcniTailBytes is how much of the end of a file rcniTail reads.
const rcniTailBytes = 64 << 10

// rcniTail classifies the last lines of the file at path, of lines lines,
// back to its last detail record: after is how many lines follow that
// record, and rejects are their rejects in order. ok is false when the end
// of the file read holds no detail record (or the file is no longer than
// that end).
func rcniTail(path string, lines int64, k rcniKinds) (after int64, rejects []canonical.Reject, ok bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, false, &fileerr.Error{File: k.name, Msg: "cannot read input: " + pathReason(err)}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() <= rcniTailBytes {
		return 0, nil, false, nil
	}
	buf := make([]byte, rcniTailBytes)
	if _, err := f.ReadAt(buf, st.Size()-rcniTailBytes); err != nil {
		return 0, nil, false, &fileerr.Error{File: k.name, Msg: "cannot read input: " + pathReason(err)}
	}
	pieces := bytes.Split(buf, []byte{'\n'})
	last := len(pieces) - 1
	if len(pieces[last]) == 0 {
		last-- // the file ends with a line feed
	}
	// The first piece is the end of a line begun before the window.
	for j := last; j >= 1; j-- {
		n := lines - int64(last-j)
		kind, rej := k.classify(n, bytes.TrimRight(pieces[j], "\r"), false)
		switch kind {
		case rcni.Detail:
			slices.Reverse(rejects)
			return int64(last - j), rejects, true, nil
		case rcni.Rejected:
			rejects = append(rejects, rej)
		}
	}
	return 0, nil, false, nil
}

// rcniLayout reads the lines of the file at path and returns the shifts
// that give the loaded rows, numbered 1, 2, ... in order, their lines, and
// the rejects of the lines that are not rows.
func rcniLayout(path string, k rcniKinds, loaded int64) ([]lineShift, []canonical.Reject, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, &fileerr.Error{File: k.name, Msg: "cannot read input: " + pathReason(err)}
	}
	defer f.Close()
	// The lines DuckDB takes whole are classified whole.
	lr := rcni.NewLineReaderUpTo(f, rcni.MaxLine+2*rcniLineSlack)
	var shifts []lineShift
	var rejects []canonical.Reject
	var rows, shift int64
	for n := int64(1); ; n++ {
		line, tooLong, err := lr.Next()
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, nil, &fileerr.Error{File: k.name, Msg: "cannot read input: " + pathReason(err)}
		}
		kind, rej := k.classify(n, line, tooLong)
		switch kind {
		case rcni.Detail:
			rows++
			if n-rows != shift {
				shift = n - rows
				shifts = append(shifts, lineShift{threshold: rows, shift: shift})
			}
		case rcni.Rejected:
			rejects = append(rejects, rej)
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	if rows != loaded {
		return nil, nil, fmt.Errorf("load %s: cannot account for every line: %d detail records, %d rows loaded by the reader (internal error)", k.name, rows, loaded)
	}
	return shifts, rejects, nil
}

func readerRejectReason(n int64, errorType string) string {
	switch errorType {
	case "INVALID ENCODING":
		return fmt.Sprintf("line %d: bytes that are not UTF-8", n)
	case "LINE SIZE OVER MAXIMUM":
		return fmt.Sprintf("line %d is longer than %d bytes", n, rcni.MaxLine)
	}
	return fmt.Sprintf("line %d: cannot be read (%s)", n, strings.ToLower(strings.ReplaceAll(errorType, "_", " ")))
}

// checkDelimited refuses a file whose first line that is not blank has no
// field separator.
func checkDelimited(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return &fileerr.Error{File: path, Msg: "cannot read input: " + pathReason(err)}
	}
	defer f.Close()
	lr := rcni.NewLineReader(f)
	for n := 1; ; n++ {
		line, tooLong, err := lr.Next()
		if err != nil && !errors.Is(err, io.EOF) {
			return &fileerr.Error{File: path, Msg: "cannot read input: " + pathReason(err)}
		}
		if !rcni.Blank(line, tooLong) {
			if err := rcni.CheckDelimited(path, n, line, tooLong); err != nil {
				return fmt.Errorf("read %s: %w", path, err)
			}
			return nil
		}
		if err != nil {
			return nil // at the end: no line but blank ones
		}
	}
}

// copy makes r read a UTF-8 copy of the file (decoded by dec, when not
// nil), its carriage returns dropped at the end of a line and spaces
// elsewhere.
func (r *rcniRead) copy(ctx context.Context, dec *encoding.Decoder) error {
	return r.writeCopy(ctx, func(w *bufio.Writer, in io.Reader) error {
		if dec != nil {
			in = dec.Reader(in)
		}
		return dropCR(w, in)
	})
}

// copyStray makes r read a copy of the file in which the lines with bytes
// that are not UTF-8 are blank, their rejects kept (r.blanked) for
// finish, and carriage returns are as copy leaves them.
func (r *rcniRead) copyStray(ctx context.Context) error {
	r.blanked = map[int64]canonical.Reject{}
	var stray []int64
	err := r.writeCopy(ctx, func(w *bufio.Writer, in io.Reader) error {
		lr := rcni.NewLineReaderUpTo(in, rcni.MaxLine+2*rcniLineSlack)
		for n := 1; ; n++ {
			line, tooLong, err := lr.Next()
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			if tooLong || !utf8.Valid(line) {
				kind, rej := rcni.Classify(r.src.Path, n, string(line), tooLong)
				if kind == rcni.Detail {
					rej = canonical.Reject{File: r.src.Path, Line: n, Reason: readerRejectReason(int64(n), "INVALID ENCODING")}
				}
				r.blanked[int64(n)] = rej
				if !tooLong {
					stray = append(stray, int64(n))
				}
				line = nil
			}
			for i, c := range line {
				if c == '\r' {
					line[i] = ' '
				}
			}
			w.Write(line)
			if errors.Is(err, io.EOF) {
				return nil
			}
			w.WriteByte('\n')
		}
	})
	if err != nil {
		return err
	}
	r.t.Warn(fmt.Sprintf("%s is UTF-8 but has bytes that are not on %s: those lines are rejected (set encoding: in a mapping file if the file is not UTF-8)", r.src.Path, linesList(stray, int64(len(stray)))))
	return nil
}

// writeCopy makes r read a copy of the file, written by write from the
// file's bytes to the copy.
func (r *rcniRead) writeCopy(ctx context.Context, write func(w *bufio.Writer, in io.Reader) error) error {
	path, err := r.t.copyFile(ctx, r.src.Path, "copy %s", write)
	if err != nil {
		return err
	}
	r.removeCopy()
	r.path, r.copied, r.crlf = path, true, false
	return nil
}

// dropCR copies src to w, a line's closing carriage returns dropped and
// the others made spaces.
func dropCR(w *bufio.Writer, src io.Reader) error {
	buf := make([]byte, 1<<20)
	pending := 0 // carriage returns not yet written
	for {
		n, err := src.Read(buf)
		for chunk := buf[:n]; len(chunk) > 0; {
			i := bytes.IndexAny(chunk, "\r\n")
			if i < 0 {
				i = len(chunk)
			}
			if i > 0 {
				for ; pending > 0; pending-- {
					w.WriteByte(' ')
				}
				w.Write(chunk[:i])
			}
			if i == len(chunk) {
				break
			}
			if chunk[i] == '\r' {
				pending++
			} else {
				pending = 0
				w.WriteByte('\n')
			}
			chunk = chunk[i+1:]
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (r *rcniRead) removeCopy() {
	if r.copied {
		os.Remove(r.path)
	}
}

// drop removes DuckDB's rejects tables and the copy.
func (r *rcniRead) drop(ctx context.Context) {
	r.removeCopy()
	for _, table := range []string{r.rejTable, r.scanTable} {
		_, _ = r.t.Conn.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+table)
	}
}
