package load

import (
	"bufio"
	"bytes"
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/enrollaudit/enrollaudit/fileerr"
)

// LineCounter counts the lines of a file written through it: the pass that
// hashes every input counts them too, so the CSV reader can tell whether
// every line became a row or a reject without reading the file again.
type LineCounter struct {
	lf, cr, size int64
	last         byte
}

func (c *LineCounter) Write(p []byte) (int, error) {
	c.lf += int64(bytes.Count(p, []byte{'\n'}))
	c.cr += int64(bytes.Count(p, []byte{'\r'}))
	if len(p) > 0 {
		c.last = p[len(p)-1]
		c.size += int64(len(p))
	}
	return len(p), nil
}

// Lines is the number of lines: line breaks (LF, or CR in a file without
// any LF, which DuckDB reads as line breaks then), and a last line without one.
func (c *LineCounter) Lines() int64 {
	breaks, nl := c.lf, byte('\n')
	if c.lf == 0 && c.cr > 0 {
		breaks, nl = c.cr, '\r'
	}
	if c.size > 0 && c.last != nl {
		breaks++
	}
	return breaks
}

// newline is the byte that ends a line of the file: LF, or CR in a file
// without any LF.
func (c *LineCounter) newline() byte {
	if c.lf == 0 && c.cr > 0 {
		return '\r'
	}
	return '\n'
}

func countLines(path string) (*LineCounter, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &fileerr.Error{File: path, Msg: "cannot read input: " + pathReason(err)}
	}
	defer f.Close()
	var c LineCounter
	if _, err := io.Copy(&c, f); err != nil {
		return nil, &fileerr.Error{File: path, Msg: "cannot read input: " + pathReason(err)}
	}
	return &c, nil
}

// csvLayout is where a CSV file's records lie, as far as numbering rows and
// rejects needs it. DuckDB numbers records (a blank line is one, a record
// over several lines one), and its rows carry no line at all: rows get
// provisional lines from their order (FirstLine + index), and a shift
// applies from each threshold on.
type csvLayout struct {
	// rejectLine is the first line of each record DuckDB rejected, by
	// DuckDB's record number.
	rejectLine map[int64]int64
	shifts     []lineShift
	// swallowed are loaded rows each of whose lines has the fields of a
	// whole row: a stray quote opened a field that a quote lines later
	// happened to close.
	swallowed []swallowedRecord
	// multiline counts the loaded rows over several lines (a quoted field
	// with line breaks), and spans names the first few: "4-5".
	multiline int64
	spans     []string
}

type lineShift struct{ threshold, shift int64 }

type swallowedRecord struct {
	provisional, line int64
	field             int // the field the line breaks are in
	lines             []string
}

// layoutFromRejects lays out a file whose lines are all accounted for by
// its rows and the lines of its rejects: no blank line, no row over several
// lines. records are DuckDB's record numbers of the rejects, in order, and
// widths the lines each spans.
func layoutFromRejects(records, widths []int64) *csvLayout {
	l := &csvLayout{rejectLine: map[int64]int64{}}
	var lines int64
	for j, r := range records {
		// Every row after reject j is j+1 records further on than its
		// provisional line says, and lines+widths[j] lines.
		l.rejectLine[r] = r + lines - int64(j)
		lines += widths[j]
		l.shifts = append(l.shifts, lineShift{threshold: r - int64(j), shift: lines})
	}
	return l
}

// scanLayout reads the file's records as DuckDB's reader splits them
// (RFC 4180 quotes, doubled quotes inside; a quote inside an unquoted value
// is text), skipping the records DuckDB rejected (rejectWidths: lines by
// record number). It fails when the rows it finds are not the loaded ones.
func scanLayout(path, delim string, nl byte, columns int, firstLine, loaded, lines int64, rejectWidths map[int64]int64) (*csvLayout, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &fileerr.Error{File: path, Msg: "cannot read input: " + pathReason(err)}
	}
	defer f.Close()
	s := recordScanner{r: bufio.NewReaderSize(f, 1<<20), nl: nl, delim: []byte(delim)}
	if head, _ := s.r.Peek(3); bytes.Equal(head, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = s.r.Discard(3)
	}
	l := &csvLayout{rejectLine: map[int64]int64{}}
	line, shift := int64(1), int64(0)
	var k int64 // rows so far
	for record := int64(1); ; record++ {
		if w, ok := rejectWidths[record]; ok {
			l.rejectLine[record] = line
			for range w {
				if _, err := s.line(); err != nil {
					return nil, s.fail(path, err)
				}
			}
			line += w
			continue
		}
		rec, field, err := s.record()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, s.fail(path, err)
		}
		if record == 1 || len(rec) == 1 && len(rec[0]) == 0 { // the header, or a blank line
			line += int64(len(rec))
			continue
		}
		p := firstLine + k
		if line-p != shift {
			shift = line - p
			l.shifts = append(l.shifts, lineShift{threshold: p, shift: shift})
		}
		if len(rec) > 1 && !wholeRows(rec, s.delim, columns) {
			if l.multiline++; len(l.spans) < 5 {
				l.spans = append(l.spans, fmt.Sprintf("%d-%d", line, line+int64(len(rec))-1))
			}
		}
		if len(rec) > 1 && wholeRows(rec, s.delim, columns) {
			sw := swallowedRecord{provisional: p, line: line, field: field}
			for _, r := range rec {
				sw.lines = append(sw.lines, string(r))
			}
			l.swallowed = append(l.swallowed, sw)
		}
		line += int64(len(rec))
		k++
	}
	if k != loaded || line-1 != lines {
		return nil, fmt.Errorf("load %s: cannot account for every line: %d lines, %d rows loaded by the reader, %d found (internal error)", path, lines, loaded, k)
	}
	return l, nil
}

// wholeRows reports whether every line of a record over several lines has
// the fields of a whole row, counting every delimiter: within a quoted
// field that a stray quote opened, the lines it swallowed hold no other
// quote (one would close the field, and the record could not be read), so
// each still has its own fields. A field legitimately broken over lines
// (an address, a note) leaves some line with fewer or more.
func wholeRows(lines [][]byte, delim []byte, columns int) bool {
	for _, l := range lines {
		if bytes.Count(l, delim) != columns-1 {
			return false
		}
	}
	return true
}

// recordScanner splits a file into lines and records.
type recordScanner struct {
	r     *bufio.Reader
	nl    byte
	delim []byte
	buf   []byte
}

// line returns the next line without its line break (nor the CR of a
// CRLF); it is valid until the next call.
func (s *recordScanner) line() ([]byte, error) {
	s.buf = s.buf[:0]
	for {
		chunk, err := s.r.ReadSlice(s.nl)
		s.buf = append(s.buf, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && (!errors.Is(err, io.EOF) || len(s.buf) == 0) {
			return nil, err
		}
		break
	}
	l := bytes.TrimSuffix(s.buf, []byte{s.nl})
	if s.nl == '\n' {
		l = bytes.TrimSuffix(l, []byte{'\r'})
	}
	return l, nil
}

// record returns the lines of the next record, and the field in which a
// quoted value runs past the first line end.
func (s *recordScanner) record() ([][]byte, int, error) {
	var lines [][]byte
	inQuote, atStart, field, brokenField := false, true, 0, -1
	for {
		l, err := s.line()
		if err != nil {
			if len(lines) > 0 && errors.Is(err, io.EOF) {
				return lines, brokenField, nil // unterminated: DuckDB rejected it
			}
			return nil, 0, err
		}
		for i := 0; i < len(l); i++ {
			switch c := l[i]; {
			case inQuote:
				if c == '"' {
					if i+1 < len(l) && l[i+1] == '"' {
						i++
					} else {
						inQuote = false
					}
				}
			case atStart && c == '"':
				inQuote, atStart = true, false
			case bytes.HasPrefix(l[i:], s.delim):
				field++
				atStart = true
				i += len(s.delim) - 1
			default:
				atStart = false
			}
		}
		if !inQuote && len(lines) == 0 {
			return [][]byte{l}, brokenField, nil // the common case: no copy kept
		}
		lines = append(lines, bytes.Clone(l))
		if !inQuote {
			return lines, brokenField, nil
		}
		if brokenField < 0 {
			brokenField = field
		}
	}
}

func (s *recordScanner) fail(path string, err error) error {
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("load %s: cannot account for every line: the file ends before a rejected record does (internal error)", path)
	}
	return &fileerr.Error{File: path, Msg: "cannot read input: " + pathReason(err)}
}

// appendTable creates a temporary table of BIGINT columns and fills it
// through DuckDB's appender (a list of lines can be as long as the file).
func (t *Target) appendTable(ctx context.Context, name string, cols []string, rows [][]int64) error {
	defs := make([]string, len(cols))
	for i, c := range cols {
		defs[i] = c + " BIGINT"
	}
	if _, err := t.Conn.ExecContext(ctx, fmt.Sprintf("CREATE OR REPLACE TEMP TABLE %s (%s)", name, strings.Join(defs, ", "))); err != nil {
		return fmt.Errorf("number lines of %s: %w", t.src.Path, err)
	}
	err := t.Conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppender(dc.(driver.Conn), "temp", "main", name)
		if err != nil {
			return err
		}
		vals := make([]driver.Value, len(cols))
		for _, r := range rows {
			for i, v := range r {
				vals[i] = v
			}
			if err := app.AppendRow(vals...); err != nil {
				_ = app.Close()
				return err
			}
		}
		return app.Close()
	})
	if err != nil {
		return fmt.Errorf("number lines of %s: %w", t.src.Path, err)
	}
	return nil
}
