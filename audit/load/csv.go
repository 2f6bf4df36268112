package load

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/enrollaudit/enrollaudit/audit/rcni"
	"github.com/enrollaudit/enrollaudit/fileerr"
	"github.com/enrollaudit/enrollaudit/internal/sqltext"
)

// csvReader reads delimited text with DuckDB's parallel CSV reader, all
// columns as text. The header is read here too, so duplicate or empty header
// names are seen as they are in the file.
type csvReader struct{ delim string }

var scanSeq atomic.Int64

// maxLineSize is the longest line read; a longer one, such as a run of
// lines swallowed by a stray quote, is a reject. The reader's buffers are
// sized from it: DuckDB's default (2 MiB) made loading 10M rows 10% slower.
const maxLineSize = 16 << 20

func (c csvReader) Load(ctx context.Context, t *Target, src Source) error {
	delim := c.delim
	encoding := "utf-8"
	if m := src.Mapping; m != nil {
		if m.Delimiter != "" {
			delim = strings.ReplaceAll(m.Delimiter, `\t`, "\t")
		}
		if m.Encoding != "" {
			encoding = m.Encoding
		}
	}
	path := src.Path
	if encoding == "windows-1252" {
		// DuckDB reads UTF-8 and Latin-1 only: the file is read through a
		// UTF-8 copy in the run's private working directory.
		copyPath, err := t.transcode(ctx, src.Path)
		if err != nil {
			return err
		}
		defer os.Remove(copyPath)
		path, encoding = copyPath, "utf-8"
	}
	headers, delim, err := readHeader(path, delim)
	if err != nil {
		return err
	}
	cols := make([]string, len(headers))
	for i := range headers {
		cols[i] = "c" + strconv.Itoa(i)
	}
	n := scanSeq.Add(1)
	rejTable, scanTable := fmt.Sprintf("csv_rejects_%d", n), fmt.Sprintf("csv_scans_%d", n)
	relation := func(path, enc string) Relation {
		return Relation{
			// Nothing is auto-detected: a guessed comment character or
			// skipped preamble would drop rows without a trace.
			SQL: fmt.Sprintf("read_csv(%s, auto_detect = false, header = true, columns = {%s}, "+
				"delim = %s, quote = '\"', escape = '\"', comment = '', encoding = %s, store_rejects = true, rejects_table = %s, rejects_scan = %s, "+
				"max_line_size = %d, null_padding = false)",
				sqltext.Literal(path), varcharColumns(cols), sqltext.Literal(delim), sqltext.Literal(enc), sqltext.Literal(rejTable), sqltext.Literal(scanTable), maxLineSize),
			Columns: cols, Headers: headers, FirstLine: 2,
		}
	}
	read := func(path, enc string) error {
		if err := t.Insert(ctx, relation(path, enc)); err != nil {
			return err
		}
		return t.takeCSVRejects(ctx, src, path, delim, headers, rejTable, scanTable)
	}
	if encoding != "utf-8" || path != src.Path {
		return read(path, encoding)
	}
	// DuckDB must not read a byte that is not UTF-8 as UTF-8 in a column
	// the normaliser leaves out of the scan: it fails (an internal error
	// that closes the database) instead of rejecting the line. The file
	// is checked first, 15-30 ms per 100 MB.
	b, err := scanBytes(src.Path)
	if err != nil {
		return err
	}
	if b.utf8 {
		if b.loneCR && b.lf || b.mixed {
			// A carriage return inside a line of a file whose lines end
			// in LF, which DuckDB would take for a line break of its own,
			// or lines ending in CR LF among others in LF, which it
			// numbers otherwise than the lines are: read a copy in which
			// lines end in LF and another CR is a space.
			copyPath, err := t.copyFile(ctx, src.Path, "copy %s", dropCR)
			if err != nil {
				return err
			}
			defer os.Remove(copyPath)
			path = copyPath
		}
		return read(path, encoding)
	}
	ev, err := readEncodingEvidence(src.Path)
	if err != nil {
		return err
	}
	if !ev.utf8() {
		// No UTF-8 text but accented letters in a single-byte encoding:
		// exports from Windows tools are Windows-1252 (curly quotes, Š,
		// € in 0x80-0x9F) or Latin-1.
		enc := "latin-1"
		if ev.c1 {
			enc = "windows-1252"
		}
		bad, total, err := strayLines(src.Path)
		if err != nil {
			return err
		}
		t.Warn(fmt.Sprintf("%s is not UTF-8 (%s: no UTF-8 text anywhere): read it as %s (set encoding: in a mapping file to choose)", src.Path, linesList(bad, total), enc))
		if enc == "windows-1252" {
			copyPath, err := t.transcode(ctx, src.Path)
			if err != nil {
				return err
			}
			defer os.Remove(copyPath)
			path, enc = copyPath, "utf-8"
		}
		return read(path, enc)
	}
	// The rest of the file is UTF-8: reading it all in another encoding
	// would garble every accented name. DuckDB rejects the lines with stray
	// bytes (bad bytes) when it reads every column: the file goes to a
	// working table whole first, and is normalised from there.
	all := fmt.Sprintf("temp.main.csv_all_%d", n)
	defer t.Conn.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+all)
	if _, err := t.Conn.ExecContext(ctx, "CREATE TEMP TABLE "+all+" AS SELECT * FROM "+relation(path, encoding).SQL); err != nil {
		return fmt.Errorf("load %s: %w", src.Path, err)
	}
	badLines, err := t.invalidEncodingLines(ctx, rejTable)
	if err != nil {
		return err
	}
	t.Warn(fmt.Sprintf("%s is UTF-8 but has bytes that are not on %s: those lines are rejected (set encoding: in a mapping file if the file is not UTF-8)", src.Path, linesList(badLines, int64(len(badLines)))))
	rel := relation(path, encoding)
	rel.SQL = all
	if err := t.Insert(ctx, rel); err != nil {
		return err
	}
	return t.takeCSVRejects(ctx, src, path, delim, headers, rejTable, scanTable)
}

// invalidEncodingLines lists the lines DuckDB rejected as not UTF-8.
func (t *Target) invalidEncodingLines(ctx context.Context, rejTable string) ([]int64, error) {
	rows, err := t.Conn.QueryContext(ctx, "SELECT DISTINCT line FROM "+rejTable+" WHERE error_type = 'INVALID ENCODING' ORDER BY line")
	if err != nil {
		return nil, fmt.Errorf("read rejects of %s: %w", t.src.Path, err)
	}
	defer rows.Close()
	var lines []int64
	for rows.Next() {
		var l int64
		if err := rows.Scan(&l); err != nil {
			return nil, err
		}
		lines = append(lines, l)
	}
	return lines, rows.Err()
}

// linesList names the first few lines of a warning: "line 5", "lines 5, 9
// and 3 more".
func linesList(lines []int64, total int64) string {
	const shown = 5
	var b strings.Builder
	b.WriteString("line")
	if total > 1 {
		b.WriteString("s")
	}
	for i, l := range lines[:min(len(lines), shown)] {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, " %d", l)
	}
	if more := total - int64(min(len(lines), shown)); more > 0 {
		fmt.Fprintf(&b, " and %d more", more)
	}
	return b.String()
}

// encodingEvidence is what a file's bytes say of its encoding.
type encodingEvidence struct {
	multibyte int64 // valid UTF-8 sequences of more than one byte
	invalid   int64 // bytes that are not part of a valid UTF-8 sequence
	c1        bool  // an invalid byte in 0x80-0x9F: Windows-1252, not Latin-1
}

// utf8 reports whether the file is UTF-8 with a few stray bytes rather than
// text in a single-byte encoding.
func (e encodingEvidence) utf8() bool { return e.multibyte > e.invalid }

// readEncodingEvidence reads the whole file; it runs only for files that
// turned out not to be valid UTF-8.
func readEncodingEvidence(path string) (encodingEvidence, error) {
	var ev encodingEvidence
	f, err := os.Open(path)
	if err != nil {
		return ev, &fileerr.Error{File: path, Msg: "cannot read input: " + pathReason(err)}
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	carry := 0
	for {
		n, err := io.ReadFull(f, buf[carry:])
		end := carry + n
		eof := err != nil
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return ev, &fileerr.Error{File: path, Msg: "cannot read input: " + pathReason(err)}
		}
		i := 0
		for i < end {
			if buf[i] < utf8.RuneSelf {
				i++
				continue
			}
			if !eof && !utf8.FullRune(buf[i:end]) {
				break // completed by the next read
			}
			r, size := utf8.DecodeRune(buf[i:end])
			if r == utf8.RuneError && size == 1 {
				ev.invalid++
				ev.c1 = ev.c1 || buf[i] <= 0x9F
			} else {
				ev.multibyte++
			}
			i += size
		}
		if eof {
			return ev, nil
		}
		carry = copy(buf, buf[i:end])
	}
}

// privateDir is DuckDB's temporary directory (the run's private working
// directory), where copies of inputs go.
func (t *Target) privateDir(ctx context.Context) string {
	var dir string
	err := t.Conn.QueryRowContext(ctx, "SELECT current_setting('temp_directory')").Scan(&dir)
	if st, serr := os.Stat(dir); err != nil || serr != nil || !st.IsDir() {
		dir = os.TempDir() // DuckDB's default, .tmp, is made only when it spills
	}
	return dir
}

// fileBytes is what the pass before reading finds in a text file.
type fileBytes struct {
	utf8   bool // valid UTF-8 throughout
	lf     bool // it holds a line feed
	cr     bool // it holds a carriage return
	loneCR bool // one that is not just before a line feed
	mixed  bool // lines ending in CR LF and others in LF alone
}

// scanBytes reads the file at path for fileBytes; it stops at the first
// byte that is not UTF-8.
func scanBytes(path string) (fileBytes, error) {
	f, err := os.Open(path)
	if err != nil {
		return fileBytes{}, &fileerr.Error{File: path, Msg: "cannot read input: " + pathReason(err)}
	}
	defer f.Close()
	out := fileBytes{utf8: true}
	buf := make([]byte, 1<<20)
	carry := 0 // bytes of a character the last read cut, moved to the front
	var lfs, crs, crlfs int64
	lastCR := false
	for {
		n, err := io.ReadFull(f, buf[carry:])
		eof := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !eof {
			return out, &fileerr.Error{File: path, Msg: "cannot read input: " + pathReason(err)}
		}
		end := carry + n
		fresh := buf[carry:end]
		lfs += int64(bytes.Count(fresh, []byte{'\n'}))
		crs += int64(bytes.Count(fresh, []byte{'\r'}))
		crlfs += int64(bytes.Count(fresh, []byte("\r\n")))
		if lastCR && len(fresh) > 0 && fresh[0] == '\n' {
			crlfs++ // a pair across two reads (nothing is carried after a CR)
		}
		if len(fresh) > 0 {
			lastCR = fresh[len(fresh)-1] == '\r'
		}
		cut := end
		if !eof {
			// Keep a character cut at the end for the next read.
			for k := 1; k <= utf8.UTFMax-1 && k <= end; k++ {
				if utf8.RuneStart(buf[end-k]) {
					if !utf8.FullRune(buf[end-k : end]) {
						cut = end - k
					}
					break
				}
			}
		}
		if !utf8.Valid(buf[:cut]) {
			out.utf8 = false
			return out, nil
		}
		if eof {
			out.lf, out.cr, out.loneCR, out.mixed = lfs > 0, crs > 0, crs > crlfs, crlfs > 0 && crlfs < lfs
			return out, nil
		}
		carry = copy(buf, buf[cut:end])
	}
}

// strayLines lists the first lines of the file at path with bytes that are
// not UTF-8, and counts them all.
func strayLines(path string) (first []int64, total int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, &fileerr.Error{File: path, Msg: "cannot read input: " + pathReason(err)}
	}
	defer f.Close()
	lr := rcni.NewLineReaderUpTo(f, maxLineSize)
	for n := int64(1); ; n++ {
		line, _, err := lr.Next()
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, &fileerr.Error{File: path, Msg: "cannot read input: " + pathReason(err)}
		}
		if !utf8.Valid(line) {
			total++
			if len(first) < 5 {
				first = append(first, n)
			}
		}
		if err != nil {
			return first, total, nil
		}
	}
}

// transcode writes a UTF-8 copy of a Windows-1252 file in DuckDB's
// temporary directory (the run's private working directory) and returns
// its path; the caller removes it.
func (t *Target) transcode(ctx context.Context, path string) (string, error) {
	return t.copyFile(ctx, path, "convert %s to UTF-8", func(w *bufio.Writer, in io.Reader) error {
		_, err := io.Copy(w, charmap.Windows1252.NewDecoder().Reader(in))
		return err
	})
}

// copyFile writes a copy of the file at path, as write makes it from the
// file's bytes, in the run's private working directory and returns its
// path; the caller removes it. what names the copy in an error (a format
// with the path's %s).
func (t *Target) copyFile(ctx context.Context, path, what string, write func(w *bufio.Writer, in io.Reader) error) (string, error) {
	in, err := os.Open(path)
	if err != nil {
		return "", &fileerr.Error{File: path, Msg: "cannot read input: " + pathReason(err)}
	}
	defer in.Close()
	out, err := os.CreateTemp(t.privateDir(ctx), "copy-*.txt")
	if err != nil {
		return "", fmt.Errorf(what+": %w", path, err)
	}
	w := bufio.NewWriterSize(out, 1<<20)
	err = write(w, bufio.NewReaderSize(in, 1<<20))
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Name())
		return "", fmt.Errorf(what+": %w", path, err)
	}
	return out.Name(), nil
}

// takeCSVRejects moves DuckDB's structural rejects (wrong column count,
// unterminated quotes, bad encoding) into the rejects table, one per line:
// a rejected record that spans several lines (a quoted field running past
// line ends, as a stray quote makes it swallow the lines after it) rejects
// each of them, so that rows loaded + rows rejected is the file's lines.
// It also gives every row and reject its line: DuckDB numbers records, not
// lines, and skips rejected records, so the row counter used as line
// number runs behind after a reject, a blank line or a quoted line break.
// Where the lines of the rows and rejects do not add up to the file's, the
// file is read again (scanLayout); a record over several lines each of
// which has the fields of a whole row is rejected line by line: rows
// swallowed by a stray quote that a later quote happened to close.
func (t *Target) takeCSVRejects(ctx context.Context, src Source, path, delim string, headers []string, rejTable, scanTable string) error {
	counter, err := t.lines(src, path)
	if err != nil {
		return err
	}
	newline := fmt.Sprintf("chr(%d)", counter.newline())
	spans := fmt.Sprintf(`SELECT line, max(1 + length(l) - length(replace(l, %[2]s, ''))) AS span
		FROM (SELECT line, trim(coalesce(csv_line, ''), chr(13) || chr(10)) AS l FROM %[1]s) GROUP BY line`, rejTable, newline)
	rows, err := t.Conn.QueryContext(ctx, spans+" ORDER BY line")
	if err != nil {
		return fmt.Errorf("read rejects of %s: %w", src.Path, err)
	}
	var records, widths []int64
	var rejected int64
	for rows.Next() {
		var l, w int64
		if err := rows.Scan(&l, &w); err != nil {
			rows.Close()
			return err
		}
		records, widths = append(records, l), append(widths, w)
		rejected += w
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	canon := CanonTable(src.Side)
	var loaded int64
	if err := t.Conn.QueryRowContext(ctx, "SELECT count(*) FROM "+canon+" WHERE file_id = ?", t.fileID).Scan(&loaded); err != nil {
		return fmt.Errorf("count rows of %s: %w", src.Path, err)
	}
	layout := layoutFromRejects(records, widths)
	if lines := counter.Lines(); lines != 1+loaded+rejected {
		widthOf := make(map[int64]int64, len(records))
		for j, r := range records {
			widthOf[r] = widths[j]
		}
		if layout, err = scanLayout(path, delim, counter.newline(), len(headers), 2, loaded, lines, widthOf); err != nil {
			return err
		}
		if n := layout.multiline; n > 0 {
			more := ""
			if n > int64(len(layout.spans)) {
				more = fmt.Sprintf(" and %d more", n-int64(len(layout.spans)))
			}
			rows := fmt.Sprintf("%d rows have", n)
			if n == 1 {
				rows = "1 row has"
			}
			t.Warn(fmt.Sprintf("%s: %s a quoted field over several lines (lines %s%s): each is read as one row; check them if the file should have none",
				src.Path, rows, strings.Join(layout.spans, ", "), more))
		}
	}
	if err := t.shiftLines(ctx, rejTable+"_shifts", layout.shifts); err != nil {
		return err
	}
	if len(records) > 0 {
		if err := t.insertCSVRejects(ctx, src, rejTable, spans, newline, records, layout); err != nil {
			return err
		}
	}
	if err := t.rejectSwallowed(ctx, src, headers, layout.swallowed); err != nil {
		return err
	}
	for _, s := range []string{"DROP TABLE " + rejTable, "DROP TABLE " + scanTable, "DROP TABLE IF EXISTS " + rejTable + "_lines"} {
		if _, err := t.Conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("drop rejects of %s: %w", src.Path, err)
		}
	}
	return nil
}

// shiftLines gives this file's rows, numbered by their order in the file,
// the lines the shifts say: each row takes the shift of the last threshold
// at or before its provisional line. table is the name of a temporary
// table it creates for them.
func (t *Target) shiftLines(ctx context.Context, table string, shifts []lineShift) error {
	if len(shifts) == 0 {
		return nil
	}
	rows := make([][]int64, len(shifts))
	for i, s := range shifts {
		rows[i] = []int64{s.threshold, s.shift}
	}
	if err := t.appendTable(ctx, table, []string{"threshold", "shift"}, rows); err != nil {
		return err
	}
	q := fmt.Sprintf(`UPDATE %[1]s AS c SET source_line = s.provisional + s.shift
		FROM (SELECT p.rowid AS id, p.rowid + %[2]d AS provisional, v.shift FROM %[1]s AS p ASOF JOIN %[3]s AS v ON p.rowid + %[2]d >= v.threshold
		      WHERE p.file_id = %[4]d) AS s
		WHERE c.rowid = s.id`, CanonTable(t.src.Side), t.lineOffset.Int64, table, t.fileID)
	if _, err := t.Conn.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("number lines of %s: %w", t.src.Path, err)
	}
	_, err := t.Conn.ExecContext(ctx, "DROP TABLE "+table)
	return err
}

// insertCSVRejects records DuckDB's rejects, each line of each on the line
// the layout gives it.
func (t *Target) insertCSVRejects(ctx context.Context, src Source, rejTable, spans, newline string, records []int64, layout *csvLayout) error {
	firsts := make([][]int64, 0, len(records))
	for _, r := range records {
		firsts = append(firsts, []int64{r, layout.rejectLine[r]})
	}
	if err := t.appendTable(ctx, rejTable+"_lines", []string{"line", "first"}, firsts); err != nil {
		return err
	}
	// One reject per line: DuckDB lists a short row once per missing column.
	q := fmt.Sprintf(`INSERT INTO %[1]s
		SELECT ?, ?, l, '', NULL, CASE
		    WHEN l > first THEN 'inside the record that starts on line ' || first || ', rejected with it'
		    WHEN span > 1 AND error_type IN ('UNQUOTED VALUE', 'INVALID UNICODE', 'MISSING COLUMNS', 'TOO MANY COLUMNS') THEN
		      'a quoted field runs past the end of the line, over lines ' || first || '-' || (first + span - 1) ||
		      ' (a stray quote?): those lines are rejected (' || lower(replace(error_type, '_', ' ')) || ')'
		    WHEN error_type = 'MISSING COLUMNS' THEN 'row has fewer fields than the header (' || error_message || ')'
		    WHEN error_type = 'TOO MANY COLUMNS' THEN 'row has more fields than the header (' || error_message || ')'
		    ELSE lower(replace(error_type, '_', ' ')) || ': ' || error_message END,
		  raw[CAST(l - first + 1 AS BIGINT)]
		FROM (SELECT f.first, s.span, unnest(generate_series(CAST(f.first AS BIGINT), CAST(f.first + s.span - 1 AS BIGINT))) AS l, r.error_type, r.error_message,
		        string_split(trim(r.raw, chr(13) || chr(10)), %[4]s) AS raw
		      FROM (SELECT line, arg_min(error_type, coalesce(column_idx, -1)) AS error_type, arg_min(error_message, coalesce(column_idx, -1)) AS error_message,
		              any_value(csv_line) AS raw
		            FROM %[2]s GROUP BY line) AS r JOIN (%[3]s) AS s USING (line) JOIN %[2]s_lines AS f USING (line))
		ORDER BY l`, RejectsTable, rejTable, spans, newline)
	res, err := t.Conn.ExecContext(ctx, q, src.Side, src.Path)
	if err != nil {
		return fmt.Errorf("record rejects of %s: %w", src.Path, err)
	}
	n, _ := res.RowsAffected()
	t.stats.Rejected += n
	return nil
}

// lines counts the file's lines, or takes them from the pass that hashes it.
func (t *Target) lines(src Source, path string) (*LineCounter, error) {
	if src.Lines != nil {
		if c, err := src.Lines(); err == nil {
			return c, nil
		}
	}
	return countLines(path)
}

// rejectSwallowed rejects the rows a stray quote swallowed: the loaded row
// takes a reject reason (collectRejects lists and counts it), and each line
// after its first is a reject of its own, with its text kept (never shown)
// for matching to find the keys it holds.
func (t *Target) rejectSwallowed(ctx context.Context, src Source, headers []string, swallowed []swallowedRecord) error {
	for _, sw := range swallowed {
		last := sw.line + int64(len(sw.lines)) - 1
		field := ""
		if sw.field >= 0 && sw.field < len(headers) {
			field = headers[sw.field]
		}
		swallowed := fmt.Sprintf("%d lines", len(sw.lines)-1)
		if len(sw.lines) == 2 {
			swallowed = "1 line"
		}
		reason := fmt.Sprintf("a quoted field runs past the end of the line, over lines %d-%d, each of which has the fields of a whole row: "+
			"an unbalanced quote swallowed %s, and those lines are rejected", sw.line, last, swallowed)
		q := fmt.Sprintf(`UPDATE %s SET source_line = ?, reject_reasons = [{'field': ?, 'value': NULL, 'reason': ?}] WHERE rowid = ?`, CanonTable(src.Side))
		if _, err := t.Conn.ExecContext(ctx, q, sw.line, field, reason, sw.provisional-t.lineOffset.Int64); err != nil {
			return fmt.Errorf("record rejects of %s: %w", src.Path, err)
		}
		for i, l := range sw.lines[1:] {
			_, err := t.Conn.ExecContext(ctx, "INSERT INTO "+RejectsTable+" VALUES (?, ?, ?, ?, NULL, ?, ?)",
				src.Side, src.Path, sw.line+int64(i)+1, field, fmt.Sprintf("inside the record that starts on line %d, rejected with it", sw.line), l)
			if err != nil {
				return fmt.Errorf("record rejects of %s: %w", src.Path, err)
			}
			t.stats.Rejected++
		}
	}
	return nil
}

// sniffDelimiter picks the candidate that splits the header line into the
// most fields. Sniffing the header alone is stable where sampling rows is
// not: one ragged row must become a reject, not change how the file is read.
func sniffDelimiter(header []byte) string {
	best, bestN := ",", 0
	for _, d := range []byte{',', '\t', ';', '|'} {
		n, inQuote := 0, false
		for _, c := range header {
			switch {
			case c == '"':
				inQuote = !inQuote
			case c == d && !inQuote:
				n++
			}
		}
		if n > bestN {
			best, bestN = string(d), n
		}
	}
	return best
}

// maxHeaderSize bounds the header line: a longer first line is a file
// without line breaks or not delimited text, and is not read into memory.
const maxHeaderSize = 1 << 20

// readHeader returns the first record's fields, without a UTF-8 BOM, and
// the delimiter: delim, or sniffed from the header line when empty.
func readHeader(path, delim string) ([]string, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", &fileerr.Error{File: path, Msg: "cannot read input: " + pathReason(err)}
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, maxHeaderSize+1)
	head, _ := br.Peek(maxHeaderSize + 1)
	if what := binaryKind(head); what != "" {
		return nil, "", &fileerr.Error{File: path, Msg: "is " + what + ", not delimited text"}
	}
	if bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
		head = head[3:]
	}
	line := head
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	} else if len(head) > maxHeaderSize {
		return nil, "", &fileerr.Error{File: path, Line: 1, Msg: fmt.Sprintf("the header line is longer than %d bytes: the file has no line breaks or is not delimited text", maxHeaderSize)}
	}
	if delim == "" {
		delim = sniffDelimiter(line)
	}
	r := csv.NewReader(br)
	r.Comma = []rune(delim)[0]
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	rec, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, "", &fileerr.Error{File: path, Msg: "file is empty: expected a header row"}
	}
	if err != nil {
		return nil, "", &fileerr.Error{File: path, Line: 1, Msg: "cannot read the header row: " + err.Error()}
	}
	for i, h := range rec {
		rec[i] = strings.TrimSpace(h)
	}
	return rec, delim, nil
}

// binaryKind names what a file that is not text is, from its first bytes
// (magic numbers, NUL bytes), or returns "". Its bytes are never shown.
func binaryKind(head []byte) string {
	for _, m := range []struct {
		magic []byte
		what  string
	}{
		{[]byte("PK\x03\x04"), "a ZIP archive (an .xlsx workbook is one: if it is, name it .xlsx)"},
		{[]byte("%PDF-"), "a PDF document"},
		{[]byte{0x1F, 0x8B}, "gzip-compressed (decompress it first)"},
		{[]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, "an old Excel .xls (or other Office) file (save it as .xlsx or CSV UTF-8)"},
		{[]byte{0xFF, 0xFE}, "UTF-16 text (save it as CSV UTF-8)"},
		{[]byte{0xFE, 0xFF}, "UTF-16 text (save it as CSV UTF-8)"},
	} {
		if bytes.HasPrefix(head, m.magic) {
			return m.what
		}
	}
	line := head
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	if i := bytes.IndexByte(line, 0); i >= 0 {
		// UTF-16 without a byte-order mark has a NUL beside every ASCII
		// character of the header.
		if len(line) >= 4 && (line[1] == 0 && line[3] == 0 || line[0] == 0 && line[2] == 0) {
			return "UTF-16 text (save it as CSV UTF-8)"
		}
		return "binary data (a NUL byte in the header line)"
	}
	return ""
}

func varcharColumns(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = sqltext.Literal(c) + ": 'VARCHAR'"
	}
	return strings.Join(q, ", ")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
