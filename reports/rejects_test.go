package reports

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

type rejectSlice []Reject

func (s rejectSlice) EachReject(_ context.Context, fn func(*Reject) error) error {
	for i := range s {
		if err := fn(&s[i]); err != nil {
			return err
		}
	}
	return nil
}

func strp(s string) *string { return &s }

func TestRejectsCSVProtectsSSNsAndSpreadsheets(t *testing.T) {
	rs := rejectSlice{
		{Side: "insurer", File: "r.csv", Line: 3, Field: "ssn", Value: strp("12345678"), Reason: "SSN must have 9 digits"},
		{Side: "marketplace", File: "m.834", Line: 10, Field: "NM109", Value: strp("12345678"), Reason: `segment 10 (NM1), element 9: SSN "12345678" is not 9 digits`},
		{Side: "insurer", File: "r.csv", Line: 4, Field: "last_name", Value: strp(`=HYPERLINK("http://x","y")`), Reason: "x"},
	}
	var buf bytes.Buffer
	if err := (RejectsCSV{Source: rs}).Write(context.Background(), &buf, nil); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "12345678") {
		t.Errorf("an SSN reached rejects.csv:\n%s", out)
	}
	if !strings.Contains(out, "*****5678") || !strings.Contains(out, `'=HYPERLINK`) {
		t.Errorf("masking or formula neutralising missing:\n%s", out)
	}
	buf.Reset()
	if err := (RejectsCSV{Source: rs, RevealPII: true}).Write(context.Background(), &buf, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"SSN ""12345678"" is not 9 digits"`) && !strings.Contains(buf.String(), `12345678`) {
		t.Errorf("--reveal-pii did not reveal:\n%s", buf.String())
	}
}

func TestRedactReason(t *testing.T) {
	if got := RedactReason("DMG02", `segment 8 (DMG), element 2: date "19800230" is not CCYYMMDD`); strings.Contains(got, "1980") {
		t.Errorf("birth date kept: %s", got)
	}
	if got := RedactReason("INS02", `relationship code "99" is not valid`); !strings.Contains(got, `"99"`) {
		t.Errorf("non-personal value removed: %s", got)
	}
}

func TestRejectsCSVAggregateOnlyOmitsValues(t *testing.T) {
	rs := rejectSlice{{Side: "insurer", File: "r.csv", Line: 3, Field: "birth_date", Value: strp("02/30/1980"), Reason: "not a valid date"},
		{Side: "insurer", File: "m.834", Line: 8, Field: "DMG02", Value: strp("19800230"), Reason: `date "19800230" is not CCYYMMDD`}}
	var buf bytes.Buffer
	if err := (RejectsCSV{Source: rs, OmitValues: true}).Write(context.Background(), &buf, nil); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "1980") || !strings.Contains(buf.String(), "r.csv,3,birth_date,,not a valid date") {
		t.Errorf("aggregate-only rejects:\n%s", buf.String())
	}
}

func TestSSNShapedTextMaskedInRejects(t *testing.T) {
	rs := rejectSlice{{Side: "insurer", File: "r.csv", Line: 3, Field: "last_name", Value: strp("123-45-6789"), Reason: "row 123456789"}}
	var buf bytes.Buffer
	if err := (RejectsCSV{Source: rs}).Write(context.Background(), &buf, nil); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "123") {
		t.Errorf("an SSN in another field reached rejects.csv:\n%s", buf.String())
	}
}
