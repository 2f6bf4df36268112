package rcni

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/enrollaudit/enrollaudit/canonical"
)

// maxLine bounds one line, so that a file without newlines is refused line
// by line instead of buffered whole.
const maxLine = 1 << 20

// minFields is the field count up to the last field read (54, paid-through
// date); the agent/broker fields after it may be missing.
const minFields = 55

// A conversion returns the canonical text of a field, or a problem.
type conversion func(v string) (string, string)

// columns are the fields read from a detail (01) record: 0-based position,
// canonical field and conversion. Positions follow ideacrew/edi_gateway's
// RCNI code (shared/samples/README.md).
var columns = []struct {
	pos     int
	field   string
	convert conversion
}{
	{4, "issuer_hios_id", pattern(regexp.MustCompile(`^[0-9]{5}$`), "HIOS ID %q is not 5 digits")},
	{8, "first_name", text},
	{10, "last_name", text},
	{11, "birth_date", date},
	{12, "gender", oneOf("gender", "M", "F", "U")},
	{13, "ssn", ssn},
	{14, "subscriber_indicator", oneOf("subscriber indicator", "Y", "N")},
	{15, "relationship_code", pattern(regexp.MustCompile(`^[0-9A-Z]{2}$`), "relationship code %q is not 2 characters")},
	{16, "exchange_subscriber_id", text},
	{17, "exchange_member_id", text},
	{19, "issuer_member_id", text},
	{20, "exchange_policy_id", text},
	{21, "issuer_policy_id", text},
	{25, "state", text}, // residential address; 27-31 are the mailing address
	{26, "zip", text},
	{33, "rating_area", pattern(regexp.MustCompile(`^R-[A-Z]{2}[0-9]{3}$`), "rating area %q is not R-, a state code and 3 digits (R-ME001)")},
	{36, "qhp_id", qhp},
	{37, "benefit_start", date},
	{38, "benefit_end", date},
	{39, "aptc_amount", money},
	{42, "csr_amount", money},
	{45, "total_premium", money},
	{48, "member_premium", money},
	{51, "effectuation_status", status},
	{53, "coverage_year", pattern(regexp.MustCompile(`^[0-9]{4}$`), "coverage year %q is not 4 digits")},
	{54, "paid_through_date", date},
}

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
	bad := false
	for _, c := range columns {
		v := strings.TrimSpace(fields[c.pos])
		out, problem := c.convert(v)
		if problem != "" {
			bad = true
			if err := rd.reject(n, c.field, v, fmt.Sprintf("line %d, field %d (%s): %s", n, c.pos, c.field, problem)); err != nil {
				return err
			}
			continue
		}
		rec.Set(c.field, out)
	}
	if bad {
		return nil
	}
	return rd.h.Record(rec)
}

func text(v string) (string, string) { return v, "" }

// pattern accepts "" or a value matching re; problem has one %q verb.
func pattern(re *regexp.Regexp, problem string) conversion {
	return func(v string) (string, string) {
		if v == "" || re.MatchString(v) {
			return v, ""
		}
		return "", fmt.Sprintf(problem, v)
	}
}

func oneOf(what string, codes ...string) conversion {
	return func(v string) (string, string) {
		for _, c := range codes {
			if v == c {
				return v, ""
			}
		}
		if v == "" {
			return "", ""
		}
		return "", fmt.Sprintf("%s %q is not %s", what, v, strings.Join(codes, ", "))
	}
}

func date(v string) (string, string) {
	switch {
	case v == "":
		return "", ""
	case len(v) != 8 || strings.Trim(v, "0123456789") != "":
		return "", fmt.Sprintf("date %q is not CCYYMMDD", v)
	}
	if _, err := time.Parse("20060102", v); err != nil {
		return "", fmt.Sprintf("date %q is not a calendar date", v)
	}
	return v[:4] + "-" + v[4:6] + "-" + v[6:], ""
}

var moneyRE = regexp.MustCompile(`^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)

func money(v string) (string, string) {
	if v == "" || moneyRE.MatchString(v) {
		return v, ""
	}
	return "", fmt.Sprintf("amount %q is not a decimal amount", v)
}

var (
	ssnRE       = regexp.MustCompile(`^([0-9]{9}|[0-9]{3}-[0-9]{2}-[0-9]{4})$`)
	maskedSSNRE = regexp.MustCompile(`^([*Xx#]{3}-?[*Xx#]{2}-?|[*Xx#]{5})[0-9]{4}$`)
)

// ssn accepts 9 digits, dashed or not. A masked SSN (XXX-XX-1234) is
// absent, as in the other input formats.
func ssn(v string) (string, string) {
	switch {
	case maskedSSNRE.MatchString(v):
		return "", ""
	case v == "" || ssnRE.MatchString(v):
		return strings.ReplaceAll(v, "-", ""), ""
	}
	return "", fmt.Sprintf("SSN %q is not 9 digits", v)
}

func qhp(v string) (string, string) { return strings.ReplaceAll(v, "-", ""), "" }

var statuses = map[string]string{"Y": "effectuated", "N": "pending", "C": "cancelled"}

func status(v string) (string, string) {
	if s, ok := statuses[v]; ok || v == "" {
		return s, ""
	}
	return "", fmt.Sprintf("effectuation status %q is not Y, N or C", v)
}
