package load

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"

	"github.com/enrollaudit/enrollaudit/audit/rcni"
	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/fileerr"
	"github.com/enrollaudit/enrollaudit/internal/sqltext"
)

// rcniReader reads CMS RCNI files (README, "CMS RCNI") with DuckDB's
// parallel CSV reader, a whole line a row, split into fields and converted
// in SQL (rcni.DetailsSQL): nothing is parsed in Go on the way to the
// table. Rows are numbered by their order in the file, as for CSV. Lines
// that give no row (blank, summary records, rejects) are found, when the
// rows do not account for every line, by a pass over the file in Go that
// only classifies lines (rcni.Classify), which also gives the rows after
// them their lines.
//
// Line breaks are LF. In a file with carriage returns other than before a
// line feed, and in a file read in another encoding (a mapping's
// encoding:, or one that turns out not to be UTF-8), DuckDB reads a UTF-8
// copy in the private working directory in which a line's closing carriage
// returns are dropped and any other is a space (a value's inner CR, which
// no RCNI field holds).
type rcniReader struct{}

// rcniDelim separates the columns of the lines DuckDB reads: four control
// characters no RCNI file holds. A line that does is rejected.
const rcniDelim = "chr(28) || chr(29) || chr(30) || chr(31)"

func (rcniReader) Load(ctx context.Context, t *Target, src Source) error {
	crInHead, err := checkDelimited(src.Path)
	if err != nil {
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
		return r.readCopy(ctx, dec)
	}
	if crInHead {
		// Lines end in CR LF, unless some CR is elsewhere too.
		if r.crlf, err = onlyCRLF(src.Path); err != nil {
			return err
		}
		if !r.crlf {
			if err := r.copy(ctx, nil); err != nil {
				return err
			}
		}
	}
	// Read as UTF-8 in a transaction, so that a file that is not can be
	// read again from scratch (Load in csv.go does the same, for the same
	// reason: rowids must not move).
	if _, err := t.Conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return fmt.Errorf("load %s: %w", src.Path, err)
	}
	t.inTransaction = true
	rollback := func(err error) error {
		t.inTransaction = false
		if _, rerr := t.Conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); rerr != nil && err == nil {
			err = fmt.Errorf("reload %s: %w", src.Path, rerr)
		}
		return err
	}
	err = r.insert(ctx)
	if err != nil && ctx.Err() == nil && !r.copied {
		// A carriage return past the head of the file, which DuckDB's
		// reader refuses when lines end in LF: read the copy without.
		if err := rollback(nil); err != nil {
			return err
		}
		return r.readCopy(ctx, nil)
	}
	var badLines []int64
	if err == nil {
		badLines, err = t.invalidEncodingLines(ctx, r.rejTable)
	}
	var ev encodingEvidence
	if err == nil && len(badLines) > 0 {
		ev, err = readEncodingEvidence(src.Path)
	}
	if err != nil || len(badLines) > 0 && !ev.utf8() {
		if err := rollback(err); err != nil {
			return err
		}
		enc, dec := "latin-1", charmap.ISO8859_1.NewDecoder()
		if ev.c1 {
			enc, dec = "windows-1252", charmap.Windows1252.NewDecoder()
		}
		t.Warn(fmt.Sprintf("%s is not UTF-8 (%s: no UTF-8 text anywhere): read it as %s (set encoding: in a mapping file to choose)", src.Path, linesList(badLines, int64(len(badLines))), enc))
		return r.readCopy(ctx, dec)
	}
	if len(badLines) > 0 {
		t.Warn(fmt.Sprintf("%s is UTF-8 but has bytes that are not on %s: those lines are rejected (set encoding: in a mapping file if the file is not UTF-8)", src.Path, linesList(badLines, int64(len(badLines)))))
	}
	t.inTransaction = false
	if _, err := t.Conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("load %s: %w", src.Path, err)
	}
	if err := t.numberLines(ctx); err != nil {
		return err
	}
	return r.finish(ctx)
}

// readCopy reads a UTF-8 copy of the file (decoded by dec, when not nil).
func (r *rcniRead) readCopy(ctx context.Context, dec *encoding.Decoder) error {
	if err := r.copy(ctx, dec); err != nil {
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
}

// insert normalises the file's detail records into the side's table.
func (r *rcniRead) insert(ctx context.Context) error {
	newline, strict := `'\n'`, true
	if r.crlf {
		// DuckDB takes a CR as a line break of its own unless told the
		// lines end in CR LF, which it reads leniently only.
		newline, strict = `'\r\n'`, false
	}
	lines := fmt.Sprintf("read_csv(%s, auto_detect = false, header = false, columns = {'l': 'VARCHAR'}, delim = %s, "+
		"quote = '', escape = '', comment = '', new_line = %s, strict_mode = %t, encoding = 'utf-8', "+
		"store_rejects = true, rejects_table = %s, rejects_scan = %s, max_line_size = %d)",
		sqltext.Literal(r.path), rcniDelim, newline, strict, sqltext.Literal(r.rejTable), sqltext.Literal(r.scanTable), maxLineSize)
	q, fields := rcni.DetailsSQL(lines)
	cols := make([]string, len(fields))
	for i := range fields {
		cols[i] = fmt.Sprintf("c%d", i)
	}
	return r.t.Insert(ctx, Relation{SQL: "(" + q + ")", Columns: cols, Headers: fields, FirstLine: 1})
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
	shifts, rejects, err := rcniLayout(r.path, r.src.Path, readerRejects, loaded)
	if err != nil {
		return err
	}
	if err := t.shiftLines(ctx, r.rejTable+"_shifts", shifts); err != nil {
		return err
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

// rcniLayout reads the lines of the file at path (name in messages) and
// returns the shifts that give the loaded rows, numbered 1, 2, ... in
// order, their lines, and the rejects of the lines that are not rows. A
// detail record the reader could not read (readerRejects: error types by
// line) is a reject.
func rcniLayout(path, name string, readerRejects map[int64]string, loaded int64) ([]lineShift, []canonical.Reject, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, &fileerr.Error{File: name, Msg: "cannot read input: " + pathReason(err)}
	}
	defer f.Close()
	lr := rcni.NewLineReader(f)
	var shifts []lineShift
	var rejects []canonical.Reject
	var rows, shift int64
	for n := int64(1); ; n++ {
		line, tooLong, err := lr.Next()
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, nil, &fileerr.Error{File: name, Msg: "cannot read input: " + pathReason(err)}
		}
		kind, rej := rcni.Classify(name, int(n), string(line), tooLong)
		if typ, bad := readerRejects[n]; bad && kind == rcni.Detail {
			kind, rej = rcni.Rejected, canonical.Reject{File: name, Line: int(n), Reason: readerRejectReason(n, typ)}
		}
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
		return nil, nil, fmt.Errorf("load %s: cannot account for every line: %d detail records, %d rows loaded by the reader (internal error)", name, rows, loaded)
	}
	return shifts, rejects, nil
}

func readerRejectReason(n int64, errorType string) string {
	switch errorType {
	case "INVALID ENCODING":
		return fmt.Sprintf("line %d: bytes that are not UTF-8", n)
	case "TOO MANY COLUMNS":
		return fmt.Sprintf("line %d: holds the control characters FS GS RS US in a row, which no RCNI file has", n)
	}
	return fmt.Sprintf("line %d: cannot be read (%s)", n, strings.ToLower(strings.ReplaceAll(errorType, "_", " ")))
}

// checkDelimited refuses a file whose first line that is not blank has no
// field separator. It also reports whether the file's first 64 KiB hold a
// carriage return.
func checkDelimited(path string) (crInHead bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return false, &fileerr.Error{File: path, Msg: "cannot read input: " + pathReason(err)}
	}
	defer f.Close()
	head := make([]byte, 64<<10)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return false, &fileerr.Error{File: path, Msg: "cannot read input: " + pathReason(err)}
	}
	crInHead = bytes.IndexByte(head[:n], '\r') >= 0
	lr := rcni.NewLineReader(io.MultiReader(bytes.NewReader(head[:n]), f))
	for n := 1; ; n++ {
		line, tooLong, err := lr.Next()
		if err != nil && !errors.Is(err, io.EOF) {
			return false, &fileerr.Error{File: path, Msg: "cannot read input: " + pathReason(err)}
		}
		if !rcni.Blank(line, tooLong) {
			if err := rcni.CheckDelimited(path, n, line, tooLong); err != nil {
				return false, fmt.Errorf("read %s: %w", path, err)
			}
			return crInHead, nil
		}
		if err != nil {
			return crInHead, nil // at the end: no line but blank ones
		}
	}
}

// onlyCRLF reports whether every carriage return of the file at path is
// just before a line feed.
func onlyCRLF(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, &fileerr.Error{File: path, Msg: "cannot read input: " + pathReason(err)}
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	for {
		if _, err := br.ReadSlice('\r'); err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if errors.Is(err, io.EOF) {
				return true, nil
			}
			return false, &fileerr.Error{File: path, Msg: "cannot read input: " + pathReason(err)}
		}
		if next, err := br.Peek(1); err != nil || next[0] != '\n' {
			return false, nil // a CR before another byte, or at the end
		}
	}
}

// copy makes r read a UTF-8 copy of the file (decoded by dec, when not
// nil), its carriage returns dropped at the end of a line and spaces
// elsewhere.
func (r *rcniRead) copy(ctx context.Context, dec *encoding.Decoder) error {
	in, err := os.Open(r.src.Path)
	if err != nil {
		return &fileerr.Error{File: r.src.Path, Msg: "cannot read input: " + pathReason(err)}
	}
	defer in.Close()
	out, err := os.CreateTemp(r.t.privateDir(ctx), "rcni-*.txt")
	if err != nil {
		return fmt.Errorf("copy %s: %w", r.src.Path, err)
	}
	var src io.Reader = bufio.NewReaderSize(in, 1<<20)
	if dec != nil {
		src = dec.Reader(src)
	}
	w := bufio.NewWriterSize(out, 1<<20)
	err = dropCR(w, src)
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Name())
		return fmt.Errorf("copy %s: %w", r.src.Path, err)
	}
	r.removeCopy()
	r.path, r.copied, r.crlf = out.Name(), true, false
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
