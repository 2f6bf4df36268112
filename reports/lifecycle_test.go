package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

func lifecycleDay(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// lifecycleTestReport is the sample report recorded in a history as of
// 2026-07-27, a week after the previous run.
func lifecycleTestReport() *Report {
	r := xlsxTestReport(xlsxSampleFindings())
	h := &History{AsOf: lifecycleDay("2026-07-27"), PreviousRun: &PreviousRun{AsOf: Date(lifecycleDay("2026-07-20"))},
		Findings: map[string]FindingLifecycle{
			"sub-1":   {Status: "persisting", FirstSeen: Date(lifecycleDay("2026-07-06")), RunsSeen: 3},
			"sub-2":   {Status: "new", FirstSeen: Date(lifecycleDay("2026-07-27")), RunsSeen: 1},
			"dates-1": {Status: "changed", FirstSeen: Date(lifecycleDay("2026-07-20")), RunsSeen: 2},
			"demo-1":  {Status: "reopened", FirstSeen: Date(lifecycleDay("2026-06-29")), RunsSeen: 2},
		},
		Resolved: []ResolvedFinding{{ID: "0123456789abcdef", Rule: "plan-mismatch", Category: "wrong_plan",
			IssuerHIOSID: xlsxStr("38344"), ExchangePolicyID: xlsxStr("500000009"),
			FirstSeen: Date(lifecycleDay("2026-07-13")), LastSeen: Date(lifecycleDay("2026-07-20"))}},
		Counts: map[string]int64{"new": 1, "persisting": 1, "changed": 1, "reopened": 1, "resolved": 1, "not_evaluated": 2},
	}
	r.History = h
	r.Summary.Lifecycle = h.Counts
	r.Findings = WithLifecycle(r.Findings, h)
	return r
}

func TestHistoryMedianAgeAndWeeksOpen(t *testing.T) {
	h := lifecycleTestReport().History
	// Ages 0, 7, 21, 28 days: the median is 14.
	if med, ok := h.MedianAge(); !ok || med != 14 {
		t.Errorf("median age = %v, %v; want 14", med, ok)
	}
	if w := h.WeeksOpen(h.Findings["demo-1"]); w != 4 {
		t.Errorf("weeks open of a finding first seen 28 days before = %d, want 4", w)
	}
	if w := h.WeeksOpen(h.Findings["dates-1"]); w != 1 {
		t.Errorf("weeks open of a finding first seen 7 days before = %d, want 1", w)
	}
	if _, ok := (&History{}).MedianAge(); ok {
		t.Error("median age of no open finding")
	}
}

func TestXLSXLifecycle(t *testing.T) {
	f := writeXLSX(t, lifecycleTestReport())
	if got := f.GetSheetList(); !slices.Equal(got[len(got)-3:], []string{xlsxResolvedSheet, xlsxRulesSheet, xlsxChartDataSheet}) {
		t.Errorf("sheets = %q, want the Resolved sheet after the findings, before Rules and Chart data", got)
	}
	rows, err := f.GetRows("Wrong demographics")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0][:9], []string{"ID", "Disposition", "Comment", "Until", "Rule", "Severity", "Status", "First seen", "Weeks open"}) {
		t.Errorf("category sheet header = %q", rows[0])
	}
	if !slices.Equal(rows[1][:9], []string{"demo-1", "", "", "", "demographics", "info", "reopened", "2026-06-29", "4"}) {
		t.Errorf("category sheet row = %q", rows[1])
	}
	rows, err = f.GetRows(xlsxResolvedSheet)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"ID", "Rule", "Category", "Issuer HIOS ID", "Exchange policy ID", "Exchange member ID", "First seen", "Last seen"},
		{"0123456789abcdef", "plan-mismatch", "wrong_plan", "38344", "500000009", "", "2026-07-13", "2026-07-20"},
	}
	if len(rows) != 2 || !slices.Equal(rows[0], want[0]) || !slices.Equal(rows[1], want[1]) {
		t.Errorf("Resolved sheet = %q, want %q", rows, want)
	}
	for label, value := range map[string]string{"Previous run as of": "2026-07-20", "New": "1", "Resolved": "1",
		"Not evaluated (issuer not in this run)": "2", "Open findings": "4", "Oldest open finding first seen": "2026-06-29",
		"Median age of open findings (days)": "14"} {
		if got := xlsxSummaryRow(t, f, label); got[1] != value {
			t.Errorf("Summary %q = %q, want %q", label, got[1], value)
		}
	}

	// Without a history: none of it.
	f = writeXLSX(t, xlsxTestReport(xlsxSampleFindings()))
	if slices.Contains(f.GetSheetList(), xlsxResolvedSheet) {
		t.Error("Resolved sheet in a report without history")
	}
	if rows, _ := f.GetRows("Wrong demographics"); slices.Contains(rows[0], "Status") {
		t.Error("lifecycle columns in a report without history")
	}
}

func TestJSONLifecycle(t *testing.T) {
	write := func(r *Report) map[string]json.RawMessage {
		var buf bytes.Buffer
		if err := (JSON{}).Write(context.Background(), &buf, r); err != nil {
			t.Fatal(err)
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatalf("report.json is not JSON: %v\n%s", err, buf.String())
		}
		return doc
	}
	doc := write(lifecycleTestReport())
	if got := string(doc["previous_run"]); !strings.Contains(got, `"as_of": "2026-07-20"`) {
		t.Errorf("previous_run = %s", got)
	}
	var resolved []struct{ ID string }
	if err := json.Unmarshal(doc["resolved"], &resolved); err != nil || len(resolved) != 1 || resolved[0].ID != "0123456789abcdef" {
		t.Errorf("resolved = %s (%v)", doc["resolved"], err)
	}
	if !strings.Contains(string(doc["findings"]), `"lifecycle":{"status":"reopened","first_seen":"2026-06-29","runs_seen":2}`) {
		t.Errorf("findings lack their lifecycle: %s", doc["findings"])
	}
	if !strings.Contains(string(doc["summary"]), `"not_evaluated": 2`) {
		t.Errorf("summary lacks lifecycle counts: %s", doc["summary"])
	}

	first := lifecycleTestReport()
	first.History.PreviousRun, first.History.Resolved = nil, nil
	first.Options.AggregateOnly = true
	doc = write(first)
	if string(doc["previous_run"]) != "null" || string(doc["resolved"]) != "[]" {
		t.Errorf("first run: previous_run %s, resolved %s; want null and []", doc["previous_run"], doc["resolved"])
	}

	doc = write(xlsxTestReport(xlsxSampleFindings()))
	for _, k := range []string{"previous_run", "resolved"} {
		if _, ok := doc[k]; ok {
			t.Errorf("%s in a report without history", k)
		}
	}
	if strings.Contains(string(doc["summary"]), "lifecycle") || strings.Contains(string(doc["findings"]), "lifecycle") {
		t.Error("lifecycle in a report without history")
	}
}

func TestSummaryLifecycleLine(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSummary(&buf, lifecycleTestReport()); err != nil {
		t.Fatal(err)
	}
	want := "since the previous run (as of 2026-07-20): 1 new, 1 resolved, 1 changed, 1 reopened, 1 persisting, 2 not evaluated\n"
	if !strings.HasSuffix(buf.String(), want) {
		t.Errorf("summary ends\n%s\nwant %q", buf.String(), want)
	}
}

func TestXLSXResolvedSplitsAtRowLimit(t *testing.T) {
	defer func(n int) { xlsxMaxRows = n }(xlsxMaxRows)
	xlsxMaxRows = 3 // a header and two findings a sheet
	r := lifecycleTestReport()
	one := r.History.Resolved[0]
	r.History.Resolved = nil
	for i := range 5 {
		one.ID = strings.Repeat("0", 15) + string(rune('a'+i))
		r.History.Resolved = append(r.History.Resolved, one)
	}
	f := writeXLSX(t, r)
	var ids []string
	for _, sheet := range []string{"Resolved", "Resolved (2)", "Resolved (3)"} {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatalf("sheet %s: %v", sheet, err)
		}
		for _, row := range rows[1:] {
			ids = append(ids, row[0])
		}
	}
	if len(ids) != 5 || ids[4] != strings.Repeat("0", 15)+"e" {
		t.Errorf("resolved across sheets = %q", ids)
	}
	if slices.Contains(f.GetSheetList(), "Resolved (4)") {
		t.Error("an empty fourth Resolved sheet")
	}
}

// TestAggregateLifecycleSuppressed: an aggregate-only report hides the
// small counts per lifecycle status in report.json, the workbook and
// stdout, and no hidden one follows from the open findings shown.
func TestAggregateLifecycleSuppressed(t *testing.T) {
	r := lifecycleTestReport()
	r.Options.AggregateOnly = true
	r.History.Counts = map[string]int64{"new": 3, "persisting": 40, "changed": 0, "reopened": 0, "resolved": 5, "not_evaluated": 12}
	r.Summary.Lifecycle = r.History.Counts
	var buf bytes.Buffer
	if err := (JSON{}).Write(context.Background(), &buf, r); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Summary struct{ Lifecycle map[string]*int64 } `json:"summary"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	f := writeXLSX(t, r)
	var text bytes.Buffer
	if err := WriteSummary(&text, r); err != nil {
		t.Fatal(err)
	}
	for _, s := range xlsxLifecycleStatusTitles {
		n := r.History.Counts[s.status]
		got := doc.Summary.Lifecycle[s.status]
		cell := xlsxSummaryRow(t, f, s.title)[1]
		if Suppressed(n) && (got != nil || cell != xlsxSmallCell) {
			t.Errorf("%s = %d shown: JSON %v, workbook %q", s.status, n, got, cell)
		}
		if (got == nil) != (cell == xlsxSmallCell || cell == xlsxSuppressed) {
			t.Errorf("%s: JSON %v, workbook %q", s.status, got, cell)
		}
	}
	for _, shown := range []string{"12 not evaluated", "suppressed new", "suppressed resolved"} {
		if !strings.Contains(text.String(), shown) {
			t.Errorf("stdout lacks %q:\n%s", shown, text.String())
		}
	}
	if doc.Summary.Lifecycle["not_evaluated"] == nil || *doc.Summary.Lifecycle["not_evaluated"] != 12 {
		t.Errorf("not_evaluated = %v, want 12 shown", doc.Summary.Lifecycle["not_evaluated"])
	}

	rng := rand.New(rand.NewPCG(5, 6))
	for n := range 2000 {
		s := randomSummary(rng)
		s.Lifecycle = map[string]int64{}
		for _, st := range LifecycleStatuses {
			s.Lifecycle[st] = []int64{0, 0, 1, 3, 9, 10, 11, 25, 200}[rng.IntN(9)]
		}
		d := Disclose(s, true)
		var open int64
		var cells []cell
		for _, st := range OpenLifecycleStatuses {
			v, h := s.Lifecycle[st], d.Lifecycle[st]
			open += v
			hi := int64(unbounded)
			if h == rowHiddenSmall {
				hi = SmallCellThreshold - 1
			}
			cells = append(cells, cell{v, h != rowShown, 1, hi})
		}
		for _, st := range LifecycleStatuses {
			if Suppressed(s.Lifecycle[st]) && d.Lifecycle[st] == rowShown {
				t.Fatalf("lifecycle %d: %s = %d shown", n, st, s.Lifecycle[st])
			}
		}
		if d.LifecycleOpen != d.Total.Findings {
			t.Fatalf("lifecycle %d: open findings and findings disclosed apart", n)
		}
		if d.LifecycleOpen == rowShown {
			if v, ok := recovered(open, cells); ok {
				t.Fatalf("lifecycle %d: a hidden %d follows from the open findings %d: %v", n, v, open, s.Lifecycle)
			}
		}
	}
}
