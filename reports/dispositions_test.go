package reports

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestApplyDispositions(t *testing.T) {
	ctx := context.Background()
	findings := xlsxSampleFindings() // sub-1, sub-2 (wrong_subsidy), then one of dates and one of demographics
	r := xlsxTestReport(findings)
	str := func(s string) *string { return &s }
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	latest := map[string]Disposition{
		findings[0].ID: {Status: "waived", Comment: "known lag", Until: str("2026-12-04"), RecordedAt: at, Source: "a.xlsx"},
		findings[1].ID: {Status: "corrected", RecordedAt: at, Source: "a.xlsx"},
		findings[2].ID: {Status: "disputed", Comment: "we sent the change on 11/02", RecordedAt: at, Source: "a.xlsx"},
		findings[3].ID: {Status: "waived", Until: str("2026-12-03"), RecordedAt: at, Source: "a.xlsx"}, // ended the day before
		"gone":         {Status: "agree", RecordedAt: at, Source: "a.xlsx"},
	}
	if err := ApplyDispositions(ctx, r, latest, time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	d := r.Summary.Dispositions
	if d.Waived != 1 || d.CorrectionNotSeen != 1 || d.ByStatus["waived"] != 2 || d.ByStatus["disputed"] != 1 || d.ByStatus["agree"] != 0 {
		t.Errorf("summary = %+v", d)
	}
	if len(r.Waived) != 1 || r.Waived[0].ID != findings[0].ID || r.Waived[0].Disposition.Comment != "known lag" {
		t.Errorf("waived = %+v", r.Waived)
	}
	if len(r.Disputed) != 1 || r.Disputed[0].ID != findings[2].ID {
		t.Errorf("disputed = %+v", r.Disputed)
	}
	if got := r.WaivedIDs(); !slices.Equal(got, []string{findings[0].ID}) {
		t.Errorf("WaivedIDs = %q", got)
	}
	var ids []string
	r.Findings.Each(ctx, "", func(fd *Finding) error {
		ids = append(ids, fd.ID)
		switch fd.ID {
		case findings[1].ID:
			if !fd.CorrectionNotSeen || fd.Disposition.Status != "corrected" {
				t.Errorf("%s: %+v", fd.ID, fd)
			}
		case findings[3].ID:
			if fd.CorrectionNotSeen || fd.Disposition.Status != "waived" {
				t.Errorf("%s: expired waiver %+v", fd.ID, fd.Disposition)
			}
		}
		return nil
	})
	if slices.Contains(ids, findings[0].ID) || len(ids) != len(findings)-1 {
		t.Errorf("findings streamed = %q", ids)
	}

	// report.json carries it all.
	var buf strings.Builder
	if err := (JSON{}).Write(ctx, &buf, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"waived": [`, `"correction_not_seen":true`, `"status":"disputed"`, `"until": "2026-12-04"`, `"dispositions": {`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("report.json lacks %s", want)
		}
	}

	// The workbook: pre-filled answers, the Waived and Disputed sheets, the
	// counts on the Summary sheet.
	f := writeXLSX(t, r)
	if got := f.GetSheetList(); !slices.Contains(got, "Waived") || !slices.Contains(got, "Disputed") {
		t.Fatalf("sheets = %q", got)
	}
	xlsxWantText(t, f, "Wrong subsidy", "A2", findings[1].ID)
	xlsxWantText(t, f, "Wrong subsidy", "B2", "corrected")
	rows, _ := f.GetRows("Disputed")
	if len(rows) != 2 || rows[0][0] != "Finding ID" || rows[0][1] != "Disposition" || rows[1][0] != findings[2].ID || rows[1][2] != "we sent the change on 11/02" ||
		!strings.Contains(rows[1][10], "benefit_start: ") || !strings.Contains(rows[1][11], "benefit_end: ") {
		t.Errorf("Disputed sheet = %q", rows)
	}
	rows, _ = f.GetRows("Waived")
	if len(rows) != 2 || rows[1][0] != findings[0].ID || rows[1][3] != "2026-12-04" {
		t.Errorf("Waived sheet = %q", rows)
	}
	summary, _ := f.GetRows(xlsxSummarySheet)
	found := false
	for _, row := range summary {
		if len(row) > 1 && row[0] == "Corrected but still there (correction not seen)" {
			found = row[1] == "1"
		}
	}
	if !found {
		t.Error("Summary sheet lacks the correction-not-seen count")
	}
}
