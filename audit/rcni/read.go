package rcni

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/enrollaudit/enrollaudit/audit/canonical"
)

// maxLine bounds one line, so that a file without newlines is refused line
// by line instead of buffered whole.
const maxLine = 1 << 20

// minFields is the field count up to the last field read (54, paid-through
// date); the agent/broker fields after it may be missing.
const minFields = 55

// A conversion returns the canonical text of a field. A value it cannot
// read is returned as sent, for the normaliser to type or record as a field
// problem: a bad value never loses the member.
type conversion func(v string) string

// columns are the fields read from a detail (01) record: 0-based position,
// canonical field and conversion. Positions follow ideacrew/edi_gateway's
// RCNI code (README, "CMS RCNI").
var columns = []struct {
	pos     int
	field   string
	convert conversion
}{
	{4, "issuer_hios_id", text},
	{8, "first_name", text},
	{10, "last_name", text},
	{11, "birth_date", date},
	{12, "gender", text},
	{13, "ssn", text},
	{14, "subscriber_indicator", text},
	{15, "relationship_code", text},
	{16, "exchange_subscriber_id", text},
	{17, "exchange_member_id", text},
	{19, "issuer_member_id", text},
	{20, "exchange_policy_id", text},
	{21, "issuer_policy_id", text},
	{25, "state", text}, // residential address; 27-31 are the mailing address
	{26, "zip", text},
	{33, "rating_area", text}, // completed with the state once the record is read
	{36, "qhp_id", text},
	{37, "benefit_start", date},
	{38, "benefit_end", date},
	{39, "aptc_amount", text},
	{42, "csr_amount", text},
	{45, "total_premium", text},
	{48, "member_premium", text},
	{51, "effectuation_status", status},
	{53, "coverage_year", text},
	{54, "paid_through_date", date},
}

// fieldIndex[i] is the index in canonical.Fields of columns[i].field.
var fieldIndex = func() []int {
	out := make([]int, len(columns))
	for i, c := range columns {
		for fi, f := range canonical.Fields {
			if f.Name == c.field {
				out[i] = fi
			}
		}
	}
	return out
}()

// Read reads the RCNI file r, called name in messages, and passes each
// detail record, reject and warning to h in file order. It returns an error
// only when r cannot be read, when the file is not pipe-delimited, or when
// h returns one.
func Read(r io.Reader, name string, h canonical.Handler) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	rd := reader{name: name, h: h, r: br}
	seen := false
	for n := 1; ; n++ {
		line, tooLong, err := rd.readLine()
		if err != nil && err != io.EOF {
			return fmt.Errorf("%s: read: %w", name, err)
		}
		if len(bytes.TrimSpace(line)) > 0 || tooLong {
			if !seen && !tooLong && bytes.IndexByte(line, '|') < 0 {
				return fmt.Errorf("%s: not a pipe-delimited RCNI file: line %d has no %q", name, n, "|")
			}
			seen = true
			if err := rd.line(n, string(line), tooLong); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

type reader struct {
	name string
	h    canonical.Handler
	r    *bufio.Reader
	buf  []byte
}

// readLine returns the next line without its line ending; past maxLine
// bytes the rest of the line is dropped and tooLong is set.
func (rd *reader) readLine() (line []byte, tooLong bool, err error) {
	rd.buf = rd.buf[:0]
	for {
		var chunk []byte
		chunk, err = rd.r.ReadSlice('\n')
		if len(rd.buf)+len(chunk) <= maxLine+2 { // +2 for CR LF
			rd.buf = append(rd.buf, chunk...)
		} else {
			tooLong = true
		}
		if err != bufio.ErrBufferFull {
			return bytes.TrimRight(rd.buf, "\r\n"), tooLong, err
		}
	}
}

func (rd *reader) reject(n int, field, value, reason string) error {
	return rd.h.Reject(canonical.Reject{File: rd.name, Line: n, Field: field, Value: value, Reason: reason})
}

func (rd *reader) line(n int, line string, tooLong bool) error {
	if tooLong {
		return rd.reject(n, "", "", fmt.Sprintf("line %d is longer than %d bytes", n, maxLine))
	}
	fields := strings.Split(line, "|")
	switch typ := strings.TrimSpace(fields[0]); typ {
	case "01":
	case "02":
		return nil // summary (trailer) record: totals only
	default:
		return rd.reject(n, "", typ, fmt.Sprintf("line %d: record type %q is not 01 (detail) or 02 (summary)", n, typ))
	}
	if len(fields) < minFields {
		return rd.reject(n, "", "", fmt.Sprintf("line %d: %d fields, want at least %d", n, len(fields), minFields))
	}
	rec := canonical.Record{Line: n}
	for i, c := range columns {
		rec.Values[fieldIndex[i]] = c.convert(strings.TrimSpace(fields[c.pos]))
	}
	rec.Set("rating_area", canonical.RatingArea(rec.Get("rating_area"), rec.Get("state")))
	return rd.h.Record(rec)
}

func text(v string) string { return v }

// date turns CCYYMMDD into YYYY-MM-DD; the normaliser reads the rest or
// records it as a field problem.
func date(v string) string {
	if len(v) != 8 || strings.Trim(v, "0123456789") != "" {
		return v
	}
	if _, err := time.Parse("20060102", v); err != nil {
		return v
	}
	return v[:4] + "-" + v[4:6] + "-" + v[6:]
}

var statuses = map[string]string{"Y": "effectuated", "N": "pending", "C": "cancelled"}

// status reads the effectuation indicator; another code goes on as sent.
func status(v string) string {
	if s, ok := statuses[v]; ok {
		return s
	}
	return v
}
