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
	read := func(path, enc string) error {
		rel := Relation{
			// Nothing is auto-detected: a guessed comment character or
			// skipped preamble would drop rows without a trace.
			SQL: fmt.Sprintf("read_csv(%s, auto_detect = false, header = true, columns = {%s}, "+
				"delim = %s, quote = '\"', escape = '\"', comment = '', encoding = %s, store_rejects = true, rejects_table = %s, rejects_scan = %s, "+
				"max_line_size = %d, null_padding = false)",
				sqltext.Literal(path), varcharColumns(cols), sqltext.Literal(delim), sqltext.Literal(enc), sqltext.Literal(rejTable), sqltext.Literal(scanTable), maxLineSize),
			Columns: cols, Headers: headers, FirstLine: 2,
		}
		return t.Insert(ctx, rel)
	}
	if encoding != "utf-8" || path != src.Path {
		if err := read(path, encoding); err != nil {
			return err
		}
		return t.takeCSVRejects(ctx, src, rejTable, scanTable)
	}
	// Read as UTF-8 in a transaction, so that a file that is not can be
	// read again from scratch: rows deleted from the table instead would
	// leave gaps that DuckDB may close later, moving the rowids that pairs
	// and line numbers rest on.
	if _, err := t.Conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return fmt.Errorf("load %s: %w", src.Path, err)
	}
	t.inTransaction = true
	var badLines []int64
	err = read(path, encoding)
	if err == nil {
		badLines, err = t.invalidEncodingLines(ctx, rejTable)
	}
	var ev encodingEvidence
	if err == nil && len(badLines) > 0 {
		ev, err = readEncodingEvidence(src.Path)
	}
	if err != nil || (len(badLines) > 0 && !ev.utf8()) {
		t.inTransaction = false
		if _, rerr := t.Conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); rerr != nil && err == nil {
			err = fmt.Errorf("reload %s: %w", src.Path, rerr)
		}
		if err != nil {
			return err
		}
		// No UTF-8 text but accented letters in a single-byte encoding:
		// exports from Windows tools are Windows-1252 (curly quotes, Š,
		// € in 0x80-0x9F) or Latin-1.
		enc := "latin-1"
		if ev.c1 {
			enc = "windows-1252"
		}
		t.Warn(fmt.Sprintf("%s is not UTF-8 (%s: no UTF-8 text anywhere): read it as %s (set encoding: in a mapping file to choose)", src.Path, linesList(badLines, int64(len(badLines))), enc))
		if enc == "windows-1252" {
			copyPath, err := t.transcode(ctx, src.Path)
			if err != nil {
				return err
			}
			defer os.Remove(copyPath)
			path, enc = copyPath, "utf-8"
		}
		if err := read(path, enc); err != nil {
			return err
		}
		return t.takeCSVRejects(ctx, src, rejTable, scanTable)
	}
	if len(badLines) > 0 {
		// The rest of the file is UTF-8: reading it all in another
		// encoding would garble every accented name. The lines with stray
		// bytes are rejects (bad bytes).
		t.Warn(fmt.Sprintf("%s is UTF-8 but has bytes that are not on %s: those lines are rejected (set encoding: in a mapping file if the file is not UTF-8)", src.Path, linesList(badLines, int64(len(badLines)))))
	}
	t.inTransaction = false
	if _, err := t.Conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("load %s: %w", src.Path, err)
	}
	if err := t.numberLines(ctx); err != nil {
		return err
	}
	return t.takeCSVRejects(ctx, src, rejTable, scanTable)
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

// transcode writes a UTF-8 copy of a Windows-1252 file in DuckDB's
// temporary directory (the run's private working directory) and returns
// its path; the caller removes it.
func (t *Target) transcode(ctx context.Context, path string) (string, error) {
	var dir string
	err := t.Conn.QueryRowContext(ctx, "SELECT current_setting('temp_directory')").Scan(&dir)
	if st, serr := os.Stat(dir); err != nil || serr != nil || !st.IsDir() {
		dir = os.TempDir() // DuckDB's default, .tmp, is made only when it spills
	}
	in, err := os.Open(path)
	if err != nil {
		return "", &fileerr.Error{File: path, Msg: "cannot read input: " + pathReason(err)}
	}
	defer in.Close()
	out, err := os.CreateTemp(dir, "utf8-*.csv")
	if err != nil {
		return "", fmt.Errorf("convert %s to UTF-8: %w", path, err)
	}
	_, err = io.Copy(out, charmap.Windows1252.NewDecoder().Reader(bufio.NewReaderSize(in, 1<<20)))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Name())
		return "", fmt.Errorf("convert %s to UTF-8: %w", path, err)
	}
	return out.Name(), nil
}

// takeCSVRejects moves DuckDB's structural rejects (wrong column count,
// unterminated quotes, bad encoding) into the rejects table, one per line:
// a rejected record that spans several lines (a quoted field running past
// line ends, as a stray quote makes it swallow the lines after it) rejects
// each of them, so that rows loaded + rows rejected is the file's lines. It
// also corrects the line numbers of the rows after each reject: DuckDB skips
// rejected records, so the row counter used as line number runs behind.
func (t *Target) takeCSVRejects(ctx context.Context, src Source, rejTable, scanTable string) error {
	spans := fmt.Sprintf(`SELECT line, max(1 + length(l) - length(replace(l, chr(10), ''))) AS span
		FROM (SELECT line, rtrim(coalesce(csv_line, ''), chr(13) || chr(10)) AS l FROM %s) GROUP BY line`, rejTable)
	rows, err := t.Conn.QueryContext(ctx, spans+" ORDER BY line")
	if err != nil {
		return fmt.Errorf("read rejects of %s: %w", src.Path, err)
	}
	var lines, widths []int64
	for rows.Next() {
		var l, w int64
		if err := rows.Scan(&l, &w); err != nil {
			rows.Close()
			return err
		}
		lines, widths = append(lines, l), append(widths, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(lines) > 0 {
		// Lines no longer follow from row order: each row gets its own,
		// provisional first. A reject at line L spanning w lines, after
		// rejects spanning s lines in all, pushes every accepted row whose
		// provisional line is at least L-s down to s+w in all.
		var vals []string
		var before int64
		for j, l := range lines {
			vals = append(vals, fmt.Sprintf("(%d, %d)", l-before, before+widths[j]))
			before += widths[j]
		}
		canon := CanonTable(src.Side)
		for _, q := range []string{
			fmt.Sprintf("UPDATE %s SET source_line = %s WHERE file_id = %d", canon, t.lineSQL(), t.fileID),
			fmt.Sprintf(`UPDATE %s AS c SET source_line = c.source_line + s.shift
			FROM (SELECT p.source_line AS provisional, max(v.shift) AS shift FROM %s AS p, (VALUES %s) AS v(threshold, shift)
			      WHERE p.file_id = %d AND p.source_line >= v.threshold GROUP BY p.source_line) AS s
			WHERE c.file_id = %d AND c.source_line = s.provisional`,
				canon, canon, strings.Join(vals, ", "), t.fileID, t.fileID),
		} {
			if _, err := t.Conn.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("number lines of %s: %w", src.Path, err)
			}
		}
	}
	// One reject per line: DuckDB lists a short row once per missing column.
	q := fmt.Sprintf(`INSERT INTO %[1]s
		SELECT ?, ?, l, '', NULL, CASE
		    WHEN l > line THEN 'inside the record that starts on line ' || line || ', rejected with it'
		    WHEN span > 1 AND error_type IN ('UNQUOTED VALUE', 'INVALID UNICODE', 'MISSING COLUMNS', 'TOO MANY COLUMNS') THEN
		      'a quoted field runs past the end of the line, over lines ' || line || '-' || (line + span - 1) ||
		      ' (a stray quote?): those lines are rejected (' || lower(replace(error_type, '_', ' ')) || ')'
		    WHEN error_type = 'MISSING COLUMNS' THEN 'row has fewer fields than the header (' || error_message || ')'
		    WHEN error_type = 'TOO MANY COLUMNS' THEN 'row has more fields than the header (' || error_message || ')'
		    ELSE lower(replace(error_type, '_', ' ')) || ': ' || error_message END,
		  raw[CAST(l - line + 1 AS BIGINT)]
		FROM (SELECT r.line, s.span, unnest(generate_series(CAST(r.line AS BIGINT), CAST(r.line + s.span - 1 AS BIGINT))) AS l, r.error_type, r.error_message,
		        string_split(r.raw, chr(10)) AS raw
		      FROM (SELECT line, arg_min(error_type, coalesce(column_idx, -1)) AS error_type, arg_min(error_message, coalesce(column_idx, -1)) AS error_message,
		              any_value(csv_line) AS raw
		            FROM %[2]s GROUP BY line) AS r JOIN (%[3]s) AS s USING (line))
		ORDER BY l`, RejectsTable, rejTable, spans)
	res, err := t.Conn.ExecContext(ctx, q, src.Side, src.Path)
	if err != nil {
		return fmt.Errorf("record rejects of %s: %w", src.Path, err)
	}
	n, _ := res.RowsAffected()
	t.stats.Rejected += n
	for _, s := range []string{"DROP TABLE " + rejTable, "DROP TABLE " + scanTable} {
		if _, err := t.Conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("drop rejects of %s: %w", src.Path, err)
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
