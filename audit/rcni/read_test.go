package rcni

import (
	"errors"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/canonical/canonicaltest"
)

const sample = "../../../shared/samples/rcni/RCNI_33653.txt"

func read(t *testing.T, data string) *canonicaltest.Collector {
	t.Helper()
	var c canonicaltest.Collector
	if err := Read(strings.NewReader(data), "x.txt", &c); err != nil {
		t.Fatalf("Read: %v", err)
	}
	return &c
}

func rec(line int, fields map[string]string) canonical.Record {
	r := canonical.Record{Line: line}
	for k, v := range fields {
		r.Set(k, v)
	}
	return r
}

// sampleMember is what both lines of the sample hold, but for the exchange IDs.
var sampleMember = map[string]string{
	"coverage_year": "2022", "issuer_hios_id": "33653", "exchange_policy_id": "1234567",
	"issuer_policy_id": "1234567", "issuer_member_id": "420144122", "subscriber_indicator": "Y",
	"relationship_code": "18", "first_name": "dummy", "last_name": "dummy", "birth_date": "20200101",
	"gender": "F", "ssn": "999999999", "state": "ME", "zip": "04021", "rating_area": "R-ME001",
	"qhp_id": "33653ME001000301", "benefit_start": "20220101", "benefit_end": "20221231",
	"total_premium": "1425.16", "member_premium": "460.44", "effectuation_status": "effectuated",
	"paid_through_date": "20220131",
}

func withIDs(id string) map[string]string {
	m := map[string]string{"exchange_subscriber_id": id, "exchange_member_id": id}
	for k, v := range sampleMember {
		m[k] = v
	}
	return m
}

func TestSample(t *testing.T) {
	f, err := os.Open(sample)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var c canonicaltest.Collector
	if err := Read(f, "RCNI_33653.txt", &c); err != nil {
		t.Fatal(err)
	}
	want := []canonical.Record{rec(1, withIDs("1234567")), rec(2, withIDs("1234890"))}
	if !slices.Equal(c.Records, want) {
		t.Errorf("records:\n%+v\nwant:\n%+v", c.Records, want)
	}
	if len(c.Rejects)+len(c.Warns) != 0 {
		t.Errorf("rejects %+v, warnings %q", c.Rejects, c.Warns)
	}
}

// sampleLine is the first line of the sample, as fields.
func sampleLine(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	return strings.Split(line, "|")
}

func TestFields(t *testing.T) {
	tests := []struct {
		name   string
		set    map[int]string // field position: value
		reason string         // of the one reject; "" when the line loads
		field  string         // canonical field, when it loads
		want   string
	}{
		// Values that cannot be read go on as sent, for the normaliser.
		{"birth date format", map[int]string{11: "2020-13-01"}, "", "birth_date", "2020-13-01"},
		{"benefit start calendar", map[int]string{37: "20220230"}, "", "benefit_start", "20220230"},
		{"gender", map[int]string{12: "X"}, "", "gender", "X"},
		{"subscriber indicator", map[int]string{14: "1"}, "", "subscriber_indicator", "1"},
		{"relationship", map[int]string{15: "1"}, "", "relationship_code", "1"},
		{"SSN", map[int]string{13: "99999"}, "", "ssn", "99999"},
		{"HIOS ID", map[int]string{4: "3365"}, "", "issuer_hios_id", "3365"},
		{"amount", map[int]string{45: "1,425.16"}, "", "total_premium", "1,425.16"},
		{"status", map[int]string{51: "E"}, "", "effectuation_status", "E"},
		{"coverage year", map[int]string{53: "22"}, "", "coverage_year", "22"},
		{"rating area without R-", map[int]string{33: "ME001"}, "", "rating_area", "R-ME001"},
		{"rating area as a number", map[int]string{33: "4"}, "", "rating_area", "R-ME004"},
		{"date, for the normaliser", map[int]string{11: "20200101"}, "", "birth_date", "20200101"},
		{"status N", map[int]string{51: "N"}, "", "effectuation_status", "pending"},
		{"status C", map[int]string{51: "C"}, "", "effectuation_status", "cancelled"},
		{"no status", map[int]string{51: ""}, "", "effectuation_status", ""},
		{"plan ID with hyphen, for the normaliser", map[int]string{36: "33653ME0010003-01"}, "", "qhp_id", "33653ME0010003-01"},
		{"dashed SSN, for the normaliser", map[int]string{13: "999-99-9999"}, "", "ssn", "999-99-9999"},
		{"APTC", map[int]string{39: "265.81"}, "", "aptc_amount", "265.81"},
		{"spaces around a value", map[int]string{26: " 04021 "}, "", "zip", "04021"},
		{"ZIP+4", map[int]string{26: "040211234"}, "", "zip", "040211234"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := sampleLine(t)
			for pos, v := range tt.set {
				fields[pos] = v
			}
			c := read(t, strings.Join(fields, "|")+"\n")
			if tt.reason != "" {
				if len(c.Rejects) != 1 || c.Rejects[0].Reason != tt.reason || c.Rejects[0].Line != 1 || len(c.Records) != 0 {
					t.Errorf("rejects %+v, records %d; want %q", c.Rejects, len(c.Records), tt.reason)
				}
				return
			}
			if len(c.Records) != 1 || len(c.Rejects) != 0 {
				t.Fatalf("records %d, rejects %+v", len(c.Records), c.Rejects)
			}
			if got := c.Records[0].Get(tt.field); got != tt.want {
				t.Errorf("%s = %q, want %q", tt.field, got, tt.want)
			}
		})
	}
}

func TestLines(t *testing.T) {
	good := strings.Join(sampleLine(t), "|")
	tests := []struct {
		name    string
		data    string
		rejects []string
		lines   []int // of the records
	}{
		{"too few fields", "01|33653|x\n" + good, []string{"x.txt: line 1: 3 fields, want at least 55"}, []int{2}},
		{"unknown record type", "99|33653\n" + good, []string{`x.txt: line 1: record type "99" is not 01 (detail) or 02 (summary)`}, []int{2}},
		{"summary record", good + "\n02|33653|          |ME0|33653|33653ME002|20220201|2|2|0|2850.32|0.00|A\n", nil, []int{1}},
		{"blank lines and CRLF", "\r\n" + good + "\r\n\r\n" + good + "\r\n", nil, []int{2, 4}},
		{"no newline at the end", good + "\n" + good, nil, []int{1, 2}},
		{"byte order mark", "\xef\xbb\xbf" + good + "\n", nil, []int{1}},
		// Bad values are the normaliser's to record: the line loads.
		{"several bad fields", strings.Replace(strings.Replace(good, "|F|", "|X|", 1), "|20220131|", "|2022-01-31|", 1), nil, []int{1}},
		{"line too long", good + "\n01|" + strings.Repeat("x", MaxLine) + "\n" + good, []string{"x.txt: line 2 is longer than 1048576 bytes"}, []int{1, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := read(t, tt.data)
			var msgs []string
			for _, r := range c.Rejects {
				msgs = append(msgs, r.File+": "+r.Reason)
			}
			if !slices.Equal(msgs, tt.rejects) {
				t.Errorf("rejects:\n%s\nwant:\n%s", strings.Join(msgs, "\n"), strings.Join(tt.rejects, "\n"))
			}
			var lines []int
			for _, r := range c.Records {
				lines = append(lines, r.Line)
			}
			if !slices.Equal(lines, tt.lines) {
				t.Errorf("record lines %v, want %v", lines, tt.lines)
			}
		})
	}
}

func TestNotRCNI(t *testing.T) {
	for name, data := range map[string]string{
		"CSV":  "exchange_policy_id,exchange_member_id\n1,2\n",
		"X12":  "ISA*00*          *00~",
		"text": "\nhello\n",
	} {
		t.Run(name, func(t *testing.T) {
			var c canonicaltest.Collector
			err := Read(strings.NewReader(data), "x.txt", &c)
			if err == nil || !regexp.MustCompile(`^x\.txt: not a pipe-delimited RCNI file: line \d has no "\|"$`).MatchString(err.Error()) {
				t.Errorf("error %v", err)
			}
		})
	}
}

type stopper struct{ canonicaltest.Collector }

var errStop = errors.New("stop")

func (s *stopper) Record(canonical.Record) error { return errStop }

func TestHandlerErrorStops(t *testing.T) {
	var s stopper
	if err := Read(strings.NewReader(strings.Join(sampleLine(t), "|")), "x.txt", &s); !errors.Is(err, errStop) {
		t.Errorf("error %v, want the handler's", err)
	}
}

func FuzzRead(f *testing.F) {
	data, err := os.ReadFile(sample)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte("01|a\n02|b\n\n99|c"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var c canonicaltest.Collector
		if err := Read(strings.NewReader(string(data)), "f.txt", &c); err != nil {
			if !strings.HasPrefix(err.Error(), "f.txt: ") {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		for _, r := range c.Rejects {
			if r.File != "f.txt" || r.Line < 1 || !strings.HasPrefix(r.Reason, "line ") {
				t.Errorf("bad reject %+v", r)
			}
		}
		for _, r := range c.Records {
			canonicaltest.CheckRecord(t, r)
		}
	})
}

func TestLineReader(t *testing.T) {
	long := strings.Repeat("x", MaxLine)
	tests := []struct {
		name, data string
		lines      []string // "!" for a line too long
	}{
		{"LF", "a\nb\n", []string{"a", "b", ""}},
		{"no final LF", "a\nb", []string{"a", "b"}},
		{"CR LF and CRs", "a\r\nb\r\r\n\r\nc\rd\n", []string{"a", "b", "", "c\rd", ""}},
		{"ends in a multibyte character", "Zoë\n€\r\n€", []string{"Zoë", "€", "€"}},
		{"byte order mark", "\xef\xbb\xbfa\n\xef\xbb\xbfb", []string{"a", "\xef\xbb\xbfb"}},
		{"longest line", long + "\r\n" + long + "x\n" + long + "\r\r\r", []string{long, "!", long}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := NewLineReader(strings.NewReader(tt.data))
			var got []string
			for {
				line, tooLong, err := lr.Next()
				if err != nil && err != io.EOF {
					t.Fatal(err)
				}
				if tooLong {
					got = append(got, "!")
				} else {
					got = append(got, string(line))
				}
				if err == io.EOF {
					break
				}
			}
			if !slices.Equal(got, tt.lines) {
				t.Errorf("lines %q, want %q", got, tt.lines)
			}
		})
	}
}
