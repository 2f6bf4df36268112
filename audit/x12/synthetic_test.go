package x12

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/canonical/canonicaltest"
)

// family is one transaction body: a subscriber who carries the policy's
// amounts, a spouse (001 change) and a child with only their own premium,
// and a member of another household without its subscriber.
func family() []string {
	return concat(
		memberLoop("Y*18*021*28", "S1", "M1", "DOE", "JANE", concat(
			hd("HLT", "20260101", "12345VA0010001-04"),
			[]string{"REF*1L*POL1", "REF*X9*IPOL1"},
			cats("APTC AMT", "250.00", "CSR AMT", "10.00", "PRE AMT TOT", "900.00", "PRE AMT 1", "400.00", "RATING AREA", "R-VA001"),
		)...),
		memberLoop("N*01*001*25", "S1", "M2", "DOE", "JOHN", concat(
			[]string{"HD*001**HLT**FAM", "DTP*348*D8*20260101"},
			cats("PRE AMT 1", "300.00"),
		)...),
		memberLoop("N*19*021*EC", "S1", "M3", "DOE", "JIM", concat(
			[]string{"HD*021**HLT**FAM", "DTP*348*D8*20260301"},
			cats("PRE AMT 1", "200.00", "RATING AREA", "R-VA002"),
		)...),
		memberLoop("N*19*021*EC", "S2", "M9", "ROE", "AMY", hd("HLT", "20260101", "12345VA001000101")...),
	)
}

var (
	person = map[string]string{
		"exchange_subscriber_id": "S1", "last_name": "DOE", "birth_date": "1980-01-01", "gender": "F",
		"ssn": "123456789", "state": "VA", "zip": "23220", "coverage_year": "2026",
	}
	policy = with(person, map[string]string{
		"exchange_policy_id": "POL1", "issuer_policy_id": "IPOL1", "qhp_id": "12345VA001000104",
		"rating_area": "R-VA001", "aptc_amount": "250.00", "csr_amount": "10.00", "total_premium": "900.00",
	})
)

// familyRecords are the rows of family when the subscriber's INS is segment first.
func familyRecords(first int) []canonical.Record {
	return []canonical.Record{
		rec(first, with(policy, map[string]string{
			"exchange_member_id": "M1", "subscriber_indicator": "Y", "relationship_code": "18", "first_name": "JANE",
			"benefit_start": "2026-01-01", "member_premium": "400.00", "effectuation_status": "effectuated",
		})),
		rec(first+33, with(policy, map[string]string{
			"exchange_member_id": "M2", "subscriber_indicator": "N", "relationship_code": "01", "first_name": "JOHN",
			"benefit_start": "2026-01-01", "member_premium": "300.00", "effectuation_status": "effectuated",
		})),
		rec(first+47, with(policy, map[string]string{
			"exchange_member_id": "M3", "subscriber_indicator": "N", "relationship_code": "19", "first_name": "JIM",
			"benefit_start": "2026-03-01", "member_premium": "200.00", "rating_area": "R-VA002", "effectuation_status": "pending",
		})),
		rec(first+65, with(person, map[string]string{
			"exchange_subscriber_id": "S2", "exchange_member_id": "M9", "subscriber_indicator": "N", "relationship_code": "19",
			"last_name": "ROE", "first_name": "AMY", "benefit_start": "2026-01-01", "qhp_id": "12345VA001000101",
			"effectuation_status": "pending",
		})),
	}
}

func TestCarryOver(t *testing.T) {
	c := read(t, "family.834", join(interchange(1, transaction("0001", family()))))
	diffRecords(t, c.Records, familyRecords(5))
	if len(c.Rejects)+len(c.Warns) != 0 {
		t.Errorf("rejects %v, warnings %v", c.Messages(), c.Warns)
	}
}

func TestDelimiters(t *testing.T) {
	enveloped := join(interchange(1, transaction("0001", family())))
	bare := join(transaction("0001", family()))
	tests := []struct {
		name, data string
		first      int // segment number of the first INS
		warns      []string
	}{
		{"tilde without newline", delimit(enveloped, "*", "^", ":", "~"), 5, nil},
		{"tilde CRLF", delimit(enveloped, "*", "^", ":", "~\r\n"), 5, nil},
		{"pipe and newline", delimit(enveloped, "|", "^", ":", "\n"), 5, nil},
		{"CRLF as terminator", delimit(enveloped, "|", "^", ":", "\r\n"), 5, nil},
		{"caret elements, quote terminator", delimit(enveloped, "^", "U", ">", "'"), 5, nil},
		{"no ISA/GS, tilde", bare, 3, []string{"x.834: no ISA/GS envelope; reading bare transactions"}},
		{"no ISA/GS, pipe and CRLF", delimit(bare, "|", "^", ":", "\r\n"), 3, []string{"x.834: no ISA/GS envelope; reading bare transactions"}},
		{"byte order mark and leading blank lines", "\xef\xbb\xbf\n\n" + enveloped, 5, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := read(t, "x.834", tt.data)
			diffRecords(t, c.Records, familyRecords(tt.first))
			if len(c.Rejects) != 0 {
				t.Errorf("rejects: %v", c.Messages())
			}
			if !slices.Equal(c.Warns, tt.warns) {
				t.Errorf("warnings %q, want %q", c.Warns, tt.warns)
			}
		})
	}
}

func TestTwoInterchanges(t *testing.T) {
	one := join(interchange(1, transaction("0001", family())))
	// The second interchange uses other delimiters, as its own ISA says.
	two := delimit(join(interchange(2, transaction("0001", family()), transaction("0002", family()))), "|", "^", ">", "\n")
	c := read(t, "two.834", one+two)
	n := len(interchange(1, transaction("0001", family()))) // segments of the first interchange
	want := concat2(familyRecords(5), familyRecords(n+5), familyRecords(n+5+len(transaction("0001", family()))))
	diffRecords(t, c.Records, want)
	if len(c.Rejects)+len(c.Warns) != 0 {
		t.Errorf("rejects %v, warnings %v", c.Messages(), c.Warns)
	}
}

func concat2(parts ...[]canonical.Record) []canonical.Record {
	var out []canonical.Record
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestTruncated(t *testing.T) {
	whole := join(interchange(1, transaction("0001", family()), transaction("0002", family())))
	st2 := strings.Index(whole, "ST*834*0002")
	nm1 := st2 + strings.Index(whole[st2:], "NM1*IL*1*DOE*JOHN")
	tests := []struct {
		name string
		cut  int // bytes kept
	}{
		{"between segments", nm1},
		{"inside a segment", nm1 + len("NM1*IL*1*DO")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := read(t, "cut.834", whole[:tt.cut])
			diffRecords(t, c.Records, familyRecords(5))
			st := 3 + len(transaction("0001", family()))
			want := []string{"cut.834: segment " + itoa(st) + " (ST): transaction 0002: no SE before the end of the file; is it truncated?"}
			if !slices.Equal(c.Messages(), want) {
				t.Errorf("rejects %q, want %q", c.Messages(), want)
			}
			wantWarns := []string{
				"cut.834: functional group 1 (segment 2) has no GE",
				"cut.834: interchange 000000001 (segment 1) has no IEA",
			}
			if !slices.Equal(c.Warns, wantWarns) {
				t.Errorf("warnings %q, want %q", c.Warns, wantWarns)
			}
		})
	}
}

// one is a transaction body of a single valid subscriber; its INS is segment 3
// of a bare transaction.
func one(more ...string) []string {
	return memberLoop("Y*18*021*EC", "S1", "M1", "DOE", "JANE", concat(hd("HLT", "20260101", "12345VA001000101"), more)...)
}

func TestStructuralRejects(t *testing.T) {
	good := transaction("0009", one())
	tests := []struct {
		name    string
		segs    []string
		rejects []string
		records int
	}{
		{
			name:    "INS before BGN",
			segs:    concat([]string{"ST*834*0001"}, one(), []string{"SE*14*0001"}, good),
			rejects: []string{"x.834: segment 1 (ST): transaction 0001: INS at segment 2 comes before BGN"},
			records: 1,
		},
		// A wrong SE01 count is only a warning (TestSegmentCountWarns).
		{
			name:    "SE control number",
			segs:    concat([]string{"ST*834*0001", "BGN*00*1*20260115"}, one(), []string{"SE*12*0002"}, good),
			rejects: []string{`x.834: segment 1 (ST): transaction 0001: SE02 "0002" at segment 12 does not match ST02`},
			records: 1,
		},
		{
			name:    "ST without SE",
			segs:    concat([]string{"ST*834*0001", "BGN*00*1*20260115"}, one(), good),
			rejects: []string{"x.834: segment 1 (ST): transaction 0001: no SE before ST at segment 12"},
			records: 1,
		},
		{
			name:    "not an 834",
			segs:    concat([]string{"ST*820*0001", "BGN*00*1*20260115", "SE*3*0001"}, good),
			rejects: []string{`x.834: segment 1 (ST): transaction 0001: transaction set "820" is not an 834`},
			records: 1,
		},
		{
			name:    "member segment in the header",
			segs:    concat(transaction("0001", []string{"DMG*D8*19800101*F"}, one()), good),
			rejects: []string{"x.834: segment 1 (ST): transaction 0001: DMG at segment 3 is out of place before the first INS"},
			records: 1,
		},
		{
			name:    "segment after LE",
			segs:    concat(transaction("0001", one(cats("APTC AMT", "1.00")...), []string{"HD*021**DEN"}), good),
			rejects: []string{"x.834: segment 1 (ST): transaction 0001: HD at segment 18 is out of place after LE*2700"},
			records: 1,
		},
		{
			name:    "LS without LE",
			segs:    concat(transaction("0001", one("LS*2700", "LX*1", "N1*75*APTC AMT", "REF*9V*1.00")), good),
			rejects: []string{"x.834: segment 1 (ST): transaction 0001: LS at segment 12 has no LE"},
			records: 1,
		},
		{
			name:    "HD inside loop 2700",
			segs:    concat(transaction("0001", one("LS*2700", "HD*021**DEN", "LE*2700")), good),
			rejects: []string{"x.834: segment 1 (ST): transaction 0001: HD at segment 13 is out of place in loop 2700"},
			records: 1,
		},
		{
			name:    "LE without LS",
			segs:    concat(transaction("0001", one("LE*2700")), good),
			rejects: []string{"x.834: segment 1 (ST): transaction 0001: LE at segment 12 has no LS before it"},
			records: 1,
		},
		{
			name:    "segments outside a transaction",
			segs:    concat(good, one(), good),
			rejects: []string{"x.834: segment 13 (INS): outside any ST/SE transaction"},
			records: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := read(t, "x.834", join(tt.segs))
			if !slices.Equal(c.Messages(), tt.rejects) {
				t.Errorf("rejects:\n%s\nwant:\n%s", strings.Join(c.Messages(), "\n"), strings.Join(tt.rejects, "\n"))
			}
			if len(c.Records) != tt.records {
				t.Errorf("%d records, want %d", len(c.Records), tt.records)
			}
			for _, r := range c.Rejects {
				if r.Field != "" || !linedAsReason(r) {
					t.Errorf("reject %+v: want no field and the line of the segment it names", r)
				}
			}
		})
	}
}

// TestFieldProblemsKeepTheMember: a value X12 does not allow is passed on
// as sent, for the normaliser to record as a field problem; the member and
// the rest of the transaction still load.
func TestFieldProblemsKeepTheMember(t *testing.T) {
	tests := []struct {
		name  string
		old   string
		new   string
		field string
		want  string
	}{
		{"subscriber indicator", "INS*Y*18", "INS*X*18", "subscriber_indicator", "X"},
		{"relationship", "INS*Y*18", "INS*Y*99", "relationship_code", "99"},
		{"birth date format", "DMG*D8*19800101", "DMG*D8*2026-13-01", "birth_date", "2026-13-01"},
		{"birth date calendar", "DMG*D8*19800101", "DMG*D8*19800230", "birth_date", "19800230"},
		{"birth date qualifier", "DMG*D8*19800101", "DMG*RD8*19800101", "birth_date", "1980-01-01"},
		{"gender", "DMG*D8*19800101*F", "DMG*D8*19800101*Q", "gender", "Q"},
		{"benefit start qualifier", "DTP*348*D8*20260101", "DTP*348*RD8*20260101-20261231", "benefit_start", "20260101-20261231"},
		{"benefit start", "DTP*348*D8*20260101", "DTP*348*D8*2026011", "benefit_start", "2026011"},
		{"SSN", "****34*123456789", "****34*12345", "ssn", "12345"},
		{"identification qualifier without code", "****34*123456789", "****34", "ssn", ""},
		{"no member name", "NM1*IL*1*DOE*JANE****34*123456789", "NM1*31*1", "last_name", ""},
		{"no subscriber ID", "REF*0F*S1", "REF*6O*S1", "exchange_subscriber_id", ""},
		{"amount", "REF*9X*250.00", "REF*9X*25O.00", "aptc_amount", "25O.00"},
		{"amount sent twice from one date", "DTP*007*D8*20260101~\nLE*2700", "DTP*007*D8*20260101~\nLX*2~\nN1*75*APTC AMT~\nREF*9V*200.00~\nDTP*007*D8*20260101~\nLE*2700",
			"aptc_amount", "250.00 | 200.00"},
		{"amount changed later", "DTP*007*D8*20260101~\nLE*2700", "DTP*007*D8*20260101~\nLX*2~\nN1*75*APTC AMT~\nREF*9V*200.00~\nDTP*007*D8*20260301~\nLE*2700",
			"aptc_amount", "200.00"},
		{"amount changed earlier", "DTP*007*D8*20260101~\nLE*2700", "DTP*007*D8*20260101~\nLX*2~\nN1*75*APTC AMT~\nREF*9V*200.00~\nDTP*007*D8*20251201~\nLE*2700",
			"aptc_amount", "250.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			segs := concat(one(cats("APTC AMT", "250.00")...), memberLoop("N*01*021*EC", "S1", "M2", "DOE", "JOHN"))
			body := join(segs)
			if !strings.Contains(body, tt.old) {
				t.Fatalf("%q is not in the member", tt.old)
			}
			body = strings.Replace(body, tt.old, tt.new, 1)
			segs = strings.Split(strings.TrimSuffix(body, "~\n"), "~\n")
			c := read(t, "x.834", join(transaction("0001", segs)))
			if len(c.Rejects) > 0 {
				t.Errorf("rejects %+v, want none", c.Rejects)
			}
			if len(c.Records) != 2 || c.Records[0].Get("exchange_member_id") != "M1" || c.Records[1].Get("exchange_member_id") != "M2" {
				t.Fatalf("records %+v, want M1 and M2", c.Records)
			}
			if got := c.Records[0].Get(tt.field); got != tt.want {
				t.Errorf("%s = %q, want %q", tt.field, got, tt.want)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		name     string
		ins      string
		dates    []string
		category []string
		want     string
	}{
		{"addition", "Y*18*021*EC", nil, nil, "pending"},
		{"effectuation by INS04 28", "Y*18*021*28", nil, nil, "effectuated"},
		{"effectuation by ADDL MAINT REASON", "Y*18*021*EC", nil, []string{"ADDL MAINT REASON", "CONFIRM"}, "effectuated"},
		{"unknown ADDL MAINT REASON", "Y*18*021*EC", nil, []string{"ADDL MAINT REASON", "CONFIRMED"}, "pending"},
		{"termination", "Y*18*024*59", []string{"DTP*349*D8*20260331"}, nil, "terminated"},
		{"cancellation: end on start", "Y*18*024*59", []string{"DTP*349*D8*20260101"}, nil, "cancelled"},
		{"cancellation: end before start", "Y*18*024*59", []string{"DTP*349*D8*20251231"}, nil, "cancelled"},
		{"cancellation by ADDL MAINT REASON", "Y*18*024*59", []string{"DTP*349*D8*20260331"}, []string{"ADDL MAINT REASON", "CANCEL"}, "cancelled"},
		{"termination by ADDL MAINT REASON", "Y*18*024*59", []string{"DTP*349*D8*20260101"}, []string{"ADDL MAINT REASON", "TERM"}, "terminated"},
		{"reinstatement", "Y*18*025*41", nil, nil, "effectuated"},
		{"change keeps an unknown status", "Y*18*001*AI", nil, nil, ""},
		{"audit keeps an unknown status", "Y*18*030*XN", nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := memberLoop(tt.ins, "S1", "M1", "DOE", "JANE", concat(hd("HLT", "20260101", "12345VA001000101"), tt.dates)...)
			if tt.category != nil {
				m = append(m, "LS*2700", "LX*1", "N1*75*"+tt.category[0], "REF*17*"+tt.category[1], "LE*2700")
			}
			c := read(t, "x.834", join(transaction("0001", m)))
			if len(c.Records) != 1 {
				t.Fatalf("records %+v, rejects %q", c.Records, c.Messages())
			}
			if got := c.Records[0].Get("effectuation_status"); got != tt.want {
				t.Errorf("status %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSSNForms(t *testing.T) {
	for ssn, want := range map[string]string{"123456789": "123456789", "123-45-6789": "123456789", "XXX-XX-6789": "", "#####6789": ""} {
		segs := one()
		segs[3] = "NM1*IL*1*DOE*JANE****34*" + ssn
		c := read(t, "x.834", join(transaction("0001", segs)))
		if len(c.Records) != 1 || c.Records[0].Get("ssn") != want {
			t.Errorf("NM109 %q: records %+v, rejects %q; want ssn %q", ssn, c.Records, c.Messages(), want)
		}
	}
}

func TestMultipleCoverages(t *testing.T) {
	m := memberLoop("Y*18*021*EC", "S1", "M1", "DOE", "JANE", concat(
		hd("DEN", "20260101", "12345VA001000201"),
		hd("VIS", "20260201", "12345VA001000301"),
	)...)
	c := read(t, "x.834", join(transaction("0001", m)))
	if len(c.Records) != 2 {
		t.Fatalf("%d records, want one per HD", len(c.Records))
	}
	for i, want := range [][2]string{{"12345VA001000201", "2026-01-01"}, {"12345VA001000301", "2026-02-01"}} {
		r := c.Records[i]
		if r.Line != 3 || r.Get("qhp_id") != want[0] || r.Get("benefit_start") != want[1] || r.Get("exchange_member_id") != "M1" {
			t.Errorf("record %d: %+v", i, r)
		}
	}
}

func TestBareMemberLoops(t *testing.T) {
	tests := []struct {
		name string
		data string
	}{
		{"from INS", join(one())},
		{"from BGN", join(concat([]string{"BGN*00*1*20260115"}, one()))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := read(t, "x.834", tt.data)
			if len(c.Records) != 1 || c.Records[0].Get("qhp_id") != "12345VA001000101" || len(c.Rejects) != 0 {
				t.Errorf("records %+v, rejects %q", c.Records, c.Messages())
			}
			want := []string{"x.834: no ISA/GS/ST envelope; reading bare member loops as one transaction, without a segment count"}
			if !slices.Equal(c.Warns, want) {
				t.Errorf("warnings %q", c.Warns)
			}
		})
	}
}

func TestHeaderValues(t *testing.T) {
	// The issuer's N1 with a 5-digit ID gives the HIOS ID; without N4, a
	// state FFE's SOURCE EXCHANGE ID gives the state.
	m := memberLoop("Y*18*021*EC", "S1", "M1", "DOE", "JANE", concat(hd("HLT", "20260101", "12345VA001000101"), cats("SOURCE EXCHANGE ID", "VA0"))...)
	m = slices.DeleteFunc(m, func(s string) bool { return strings.HasPrefix(s, "N4*") })
	c := read(t, "x.834", join(transaction("0001", []string{"N1*P5*EXCHANGE*FI*123456789", "N1*IN*PLAN*XV*12345"}, m)))
	if len(c.Records) != 1 {
		t.Fatalf("records %+v, rejects %q", c.Records, c.Messages())
	}
	if r := c.Records[0]; r.Get("issuer_hios_id") != "12345" || r.Get("state") != "VA" || r.Get("zip") != "" {
		t.Errorf("issuer_hios_id %q, state %q, zip %q", r.Get("issuer_hios_id"), r.Get("state"), r.Get("zip"))
	}
}

func TestEnvelopeWarnings(t *testing.T) {
	segs := interchange(7, transaction("0001", one()))
	segs[1] = strings.Replace(segs[1], "005010X220A1", "004010X095A1", 1)
	segs[len(segs)-2] = "GE*2*9"
	segs[len(segs)-1] = "IEA*3*000000008"
	c := read(t, "x.834", join(segs))
	want := []string{
		`x.834: segment 2 (GS), element 8: version "004010X095A1" is not 005010X220A1; reading it as 005010X220A1`,
		`x.834: segment 15 (GE), element 1: GE01 "2" does not match the 1 transactions of group 1`,
		`x.834: segment 15 (GE), element 2: GE02 "9" does not match GS06 "1"`,
		`x.834: segment 16 (IEA), element 1: IEA01 "3" does not match the 1 functional groups of interchange 000000007`,
		`x.834: segment 16 (IEA), element 2: IEA02 "000000008" does not match ISA13 "000000007"`,
	}
	if !slices.Equal(c.Warns, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(c.Warns, "\n"), strings.Join(want, "\n"))
	}
	if len(c.Records) != 1 || len(c.Rejects) != 0 {
		t.Errorf("records %d, rejects %q", len(c.Records), c.Messages())
	}
}

func TestNotX12(t *testing.T) {
	tests := map[string]string{
		"empty":              "",
		"blank":              " \r\n\t",
		"CSV":                "exchange_policy_id,exchange_member_id\n1,2\n",
		"word":               "STATE*VA~",
		"truncated ISA":      "ISA*00*          *00",
		"ISA letter element": "ISAX00X",
		"ISA same delimiter": isa(1)[:len(isa(1))-1] + "**",
		"long segment":       "ST*834*0001~" + strings.Repeat("x", maxSegment+10),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			var c canonicaltest.Collector
			err := Read(strings.NewReader(data), "x.834", &c)
			if err == nil || !strings.HasPrefix(err.Error(), "x.834: ") {
				t.Errorf("error %v, want one naming x.834", err)
			}
		})
	}
}

type stopper struct{ canonicaltest.Collector }

var errStop = errors.New("stop")

func (s *stopper) Record(canonical.Record) error { return errStop }

func TestHandlerErrorStops(t *testing.T) {
	var s stopper
	err := Read(strings.NewReader(join(interchange(1, transaction("0001", family())))), "x.834", &s)
	if !errors.Is(err, errStop) {
		t.Errorf("error %v, want the handler's", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// linedAsReason says whether a reject's line is the segment its reason
// starts with: the ST for a whole transaction, else the offending segment.
func linedAsReason(r canonical.Reject) bool {
	var n int
	_, err := fmt.Sscanf(r.Reason, "segment %d ", &n)
	return err == nil && n == r.Line
}

// TestSegmentCountWarns: a wrong SE01 with every segment present loses no
// member; the reader warns instead of rejecting the transaction.
func TestSegmentCountWarns(t *testing.T) {
	for _, tt := range []struct{ se, warn string }{
		{"SE*99*0001", "x.834: SE01 at segment 12 says 99 segments, counted 12"},
		{"SE*x*0001", `x.834: SE01 "x" at segment 12 is not a segment count`},
	} {
		c := read(t, "x.834", join(concat([]string{"ST*834*0001", "BGN*00*1*20260115"}, one(), []string{tt.se})))
		if len(c.Rejects) != 0 || len(c.Records) != 1 {
			t.Errorf("%s: %d records, rejects %v; want the member loaded", tt.se, len(c.Records), c.Messages())
		}
		if !slices.Contains(c.Warns, tt.warn) {
			t.Errorf("%s: warnings %v, want %q", tt.se, c.Warns, tt.warn)
		}
	}
}

// TestImplausibleDatesLoad: an end before the start parses, so it loads and
// the invalid_record rules judge it, as for the same data in CSV.
func TestImplausibleDatesLoad(t *testing.T) {
	body := strings.Replace(join(one()), "REF*CE*", "DTP*349*D8*20251231~\nREF*CE*", 1)
	c := read(t, "x.834", join(transaction("0001", strings.Split(strings.TrimSuffix(body, "~\n"), "~\n"))))
	if len(c.Rejects) != 0 || len(c.Records) != 1 || c.Records[0].Get("benefit_end") != "2025-12-31" {
		t.Fatalf("records %+v rejects %v", c.Records, c.Messages())
	}
}
