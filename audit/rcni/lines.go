package rcni

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/enrollaudit/enrollaudit/canonical"
)

// LineReader reads the lines of an RCNI file: each ends at a line feed, and
// is returned without the carriage returns and line feed that end it. A
// UTF-8 byte order mark at the start of the file is skipped.
type LineReader struct {
	r   *bufio.Reader
	buf []byte
	max int // the longest line kept
}

// NewLineReader reads r, keeping lines up to MaxLine bytes.
func NewLineReader(r io.Reader) *LineReader { return NewLineReaderUpTo(r, MaxLine) }

// NewLineReaderUpTo reads r, keeping lines up to max bytes.
func NewLineReaderUpTo(r io.Reader, max int) *LineReader {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	return &LineReader{r: br, max: max}
}

// Next returns the next line, valid until the next call. A line longer than
// the reader's maximum is not kept (tooLong is set): at most one byte more
// is held. At the end of the file err is io.EOF, with the last line (empty
// after a final line feed).
func (lr *LineReader) Next() (line []byte, tooLong bool, err error) {
	lr.buf = lr.buf[:0]
	// length is the line's bytes so far, its ending included; content
	// those up to the last byte that is not CR or LF.
	length, content := 0, 0
	for {
		var chunk []byte
		chunk, err = lr.r.ReadSlice('\n')
		if n := len(bytes.TrimRight(chunk, "\r\n")); n > 0 {
			content = length + n
		}
		length += len(chunk)
		if room := lr.max + 1 - len(lr.buf); room > 0 {
			lr.buf = append(lr.buf, chunk[:min(room, len(chunk))]...)
		}
		if err != bufio.ErrBufferFull {
			break
		}
	}
	if content > lr.max {
		return nil, true, err
	}
	return lr.buf[:content], false, err
}

// Blank reports whether a line is skipped as blank.
func Blank(line []byte, tooLong bool) bool {
	return !tooLong && len(bytes.TrimSpace(line)) == 0
}

// CheckDelimited refuses a file whose first line that is not blank, line n,
// has no field separator: it is not an RCNI file.
func CheckDelimited(name string, n int, line []byte, tooLong bool) error {
	if !tooLong && bytes.IndexByte(line, '|') < 0 {
		return fmt.Errorf("%s: not a pipe-delimited RCNI file: line %d has no %q", name, n, "|")
	}
	return nil
}

// Kind is what a line of an RCNI file is.
type Kind int

const (
	BlankLine Kind = iota
	// Detail is a detail (01) record: one member's row.
	Detail
	// Summary is a summary (02) record, totals only: skipped.
	Summary
	// Rejected is a line that cannot be a row: too long, another record
	// type, fewer than minFields fields.
	Rejected
)

// Classify says what line n of the file name is (a line as LineReader
// returns it) and, for a rejected line, why. DetailsSQL selects the same
// lines as detail records.
func Classify(name string, n int, line string, tooLong bool) (Kind, canonical.Reject) {
	reject := func(value, reason string) (Kind, canonical.Reject) {
		return Rejected, canonical.Reject{File: name, Line: n, Value: value, Reason: reason}
	}
	if tooLong {
		return reject("", fmt.Sprintf("line %d is longer than %d bytes", n, MaxLine))
	}
	if strings.TrimSpace(line) == "" {
		return BlankLine, canonical.Reject{}
	}
	first, _, _ := strings.Cut(line, "|")
	switch typ := strings.TrimSpace(first); typ {
	case "01":
	case "02":
		return Summary, canonical.Reject{}
	default:
		return reject(typ, fmt.Sprintf("line %d: record type %q is not 01 (detail) or 02 (summary)", n, typ))
	}
	if fields := strings.Count(line, "|") + 1; fields < minFields {
		return reject("", fmt.Sprintf("line %d: %d fields, want at least %d", n, fields, minFields))
	}
	return Detail, canonical.Reject{}
}
