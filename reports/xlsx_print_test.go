package reports

import (
	"archive/zip"
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestXLSXPrintSetup: every sheet prints landscape, one page wide, with
// the footer; the Summary on at most two pages; finding sheets repeat
// their header row, print through Message and say they hold personal data.
func TestXLSXPrintSetup(t *testing.T) {
	f := writeXLSX(t, xlsxTestReport(xlsxSampleFindings()))
	names := map[string]string{} // "name scope" -> refers to
	for _, dn := range f.GetDefinedName() {
		names[dn.Name+" "+dn.Scope] = dn.RefersTo
	}
	for _, sheet := range f.GetSheetList() {
		layout, err := f.GetPageLayout(sheet)
		if err != nil {
			t.Fatal(err)
		}
		wantTall := 0
		if sheet == xlsxSummarySheet {
			wantTall = 2
		}
		if *layout.Orientation != "landscape" || *layout.FitToWidth != 1 || *layout.FitToHeight != wantTall {
			t.Errorf("%s: orientation %s, fit %d wide by %d tall; want landscape, 1 by %d", sheet, *layout.Orientation,
				*layout.FitToWidth, *layout.FitToHeight, wantTall)
		}
		props, err := f.GetSheetProps(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if props.FitToPage == nil || !*props.FitToPage {
			t.Errorf("%s: fit to page not set, so the fit is ignored", sheet)
		}
		hf, err := f.GetHeaderFooter(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if want := "&C&A – page &P of &N – as of 2026-03-14"; hf.OddFooter != want {
			t.Errorf("%s: footer %q, want %q", sheet, hf.OddFooter, want)
		}
		finding := strings.HasPrefix(sheet, "Wrong")
		if personal := strings.Contains(hf.OddHeader, xlsxPersonalDataHeader); personal != finding {
			t.Errorf("%s: header %q; personal data marked: %v, want %v", sheet, hf.OddHeader, personal, finding)
		}
		if finding {
			if got := names["_xlnm.Print_Titles "+sheet]; got != xlsxSheetRef(sheet)+"!$1:$1" {
				t.Errorf("%s: print titles %q, want the header row", sheet, got)
			}
			if got := names["_xlnm.Print_Area "+sheet]; got != xlsxSheetRef(sheet)+"!$A:$K" {
				t.Errorf("%s: print area %q, want A through Message (K)", sheet, got)
			}
			xlsxWantText(t, f, sheet, "K1", xlsxPrintedThrough)
		}
	}

	// Aggregate-only: nothing says personal data, as nothing is.
	r := xlsxTestReport(nil)
	r.Options.AggregateOnly = true
	r.Findings = xlsxFailSource{t}
	f = writeXLSX(t, r)
	for _, sheet := range f.GetSheetList() {
		if hf, _ := f.GetHeaderFooter(sheet); strings.Contains(hf.OddHeader, xlsxPersonalDataHeader) {
			t.Errorf("aggregate-only %s: header %q", sheet, hf.OddHeader)
		}
	}
}

// TestXLSXFooterAsOf: a run in a history prints its as-of date.
func TestXLSXFooterAsOf(t *testing.T) {
	r := lifecycleTestReport()
	f := writeXLSX(t, r)
	hf, err := f.GetHeaderFooter(xlsxSummarySheet)
	if err != nil {
		t.Fatal(err)
	}
	if want := "as of " + r.History.AsOf.Format("2006-01-02"); !strings.HasSuffix(hf.OddFooter, want) {
		t.Errorf("footer %q, want it to end %q", hf.OddFooter, want)
	}
}

// TestXLSXRulesSheet: each active rule with what it checks and the
// findings it raised; each finding's rule links to its row.
func TestXLSXRulesSheet(t *testing.T) {
	r := xlsxTestReport(xlsxSampleFindings())
	r.Rules.Active[1].Title = "Applied APTC differs"
	r.Rules.Active[1].Description = "The applied APTC differs."
	r.Rules.Active[1].Severity, r.Rules.Active[1].Grain, r.Rules.Active[1].AppliesTo = "high", "policy", "matched"
	r.Rules.Active[1].When = "m.aptc_amount IS DISTINCT FROM i.aptc_amount\n  AND $tolerance < 1"
	r.Rules.Active[1].Amount = "m.aptc_amount - i.aptc_amount"
	r.Rules.Active[1].Params = map[string]string{"tolerance": "0.5"}
	f := writeXLSX(t, r)

	rows, err := f.GetRows(xlsxRulesSheet)
	if err != nil {
		t.Fatal(err)
	}
	if want := "ID|Title|Category|Severity|Grain|What it checks|Expression|Parameters|Findings raised|Source"; strings.Join(rows[0], "|") != want {
		t.Errorf("header %q, want %q", rows[0], want)
	}
	if len(rows) != len(r.Rules.Active)+1 {
		t.Fatalf("%d rows, want a header and %d rules", len(rows), len(r.Rules.Active))
	}
	aptc := rows[2]
	for i, want := range []string{"aptc-mismatch", "Applied APTC differs", "Wrong subsidy", "high", "policy",
		"The applied APTC differs. Looks at aptc_amount on records both sides have; at most one finding per policy.",
		"m.aptc_amount IS DISTINCT FROM i.aptc_amount AND $tolerance < 1\nMonthly amount: m.aptc_amount - i.aptc_amount",
		"tolerance = 0.5", "1"} {
		if aptc[i] != want {
			t.Errorf("aptc-mismatch column %d = %q, want %q", i, aptc[i], want)
		}
	}
	if rows[1][8] != "0" {
		t.Errorf("plan-mismatch raised %q, want 0", rows[1][8])
	}

	// Wrong subsidy!E2 is sub-1's rule, aptc-mismatch, on row 3 of Rules.
	if got, _ := xlsxCellValue(t, f, "Wrong subsidy", "E2"); got != "aptc-mismatch" {
		t.Errorf("Wrong subsidy!E2 = %q, want aptc-mismatch", got)
	}
	formula, err := f.GetCellFormula("Wrong subsidy", "E2")
	if err != nil {
		t.Fatal(err)
	}
	if want := `HYPERLINK("#'Rules'!A3","aptc-mismatch")`; formula != want {
		t.Errorf("rule cell formula %q, want %q", formula, want)
	}
	tables, err := f.GetTables(xlsxRulesSheet)
	if err != nil || len(tables) != 1 {
		t.Errorf("Rules tables = %+v, %v; want one", tables, err)
	}
}

// TestXLSXDiffersShaded: a compared value that differs between the sides
// is shaded, on both sides; one that agrees, or that the finding does not
// compare, is not.
func TestXLSXDiffersShaded(t *testing.T) {
	findings := xlsxSampleFindings()
	// demo-1 compares first_name and birth_date; its ssn agrees.
	findings[3].Fields = []string{"first_name", "birth_date"}
	f := writeXLSX(t, xlsxTestReport(findings))
	shaded := func(sheet, ref string) bool {
		id, err := f.GetCellStyle(sheet, ref)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		return len(st.Fill.Color) == 1 && st.Fill.Color[0] == xlsxDifferFill.Color[0]
	}
	for ref, want := range map[string]bool{
		"N2": true, "O2": true, // first_name Ann / Anne
		"P2": true, "Q2": true, // birth dates
		"R2": false, "S2": false, // ssn agrees and is not compared
	} {
		if got := shaded("Wrong demographics", ref); got != want {
			t.Errorf("Wrong demographics!%s shaded %v, want %v", ref, got, want)
		}
	}
	// A shaded money value keeps its money format.
	xlsxWantNumber(t, f, "Wrong subsidy", "N2", "240.81", "$240.81", xlsxMoneyFormat)
	if !shaded("Wrong subsidy", "N2") || !shaded("Wrong subsidy", "O2") {
		t.Error("aptc_amount 240.81 against 265.81 not shaded")
	}
	// sub-2 compares csr_amount: empty against 12.00 differs.
	if !shaded("Wrong subsidy", "P3") || !shaded("Wrong subsidy", "Q3") {
		t.Error("csr_amount empty against 12.00 not shaded")
	}
}

// TestXLSXChartsHonourSuppression: the Summary's charts draw from the
// Chart data sheet, where a figure the tables suppress is an empty cell
// (a gap, never a zero) and its label says so.
func TestXLSXChartsHonourSuppression(t *testing.T) {
	r := xlsxTestReport(nil)
	r.Options.AggregateOnly = true
	r.Findings = xlsxFailSource{t}
	s := &r.Summary
	s.Categories = []CategorySummary{
		{Category: "wrong_plan", Findings: 3, People: 3, Policies: 3, BySeverity: map[string]int64{"high": 3}},
		{Category: "wrong_subsidy", Findings: 75, People: 50, Policies: 30, BySeverity: map[string]int64{"high": 75}},
		{Category: "wrong_premium", Findings: 40, People: 20, Policies: 10, BySeverity: map[string]int64{"high": 40}},
	}
	s.Findings, s.PeopleAffected, s.PoliciesAffected = 118, 73, 43
	s.ByCategory = map[string]int64{"wrong_plan": 3, "wrong_subsidy": 75, "wrong_premium": 40}
	f := writeXLSX(t, r)

	rows, err := f.GetRows(xlsxChartDataSheet)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], "|") != "Category|Findings|People" || len(rows) != 4 {
		t.Fatalf("chart data %q", rows)
	}
	hidden := 0
	for _, row := range rows[1:] {
		label, suppressed := strings.CutSuffix(row[0], xlsxSuppressedNote)
		summary := xlsxSummaryRow(t, f, label)
		if (summary[6] == xlsxSuppressed) != suppressed {
			t.Errorf("chart label %q, Summary row %q", row[0], summary)
		}
		if suppressed {
			hidden++
			if len(row) != 1 {
				t.Errorf("suppressed %s charted as %q", label, row[1:])
			}
		} else if row[1] != summary[6] || row[2] != summary[7] {
			t.Errorf("%s charted as %q, Summary shows %q", label, row[1:], summary)
		}
	}
	if hidden == 0 {
		t.Error("nothing suppressed: the test needs a small cell")
	}
	charts := xlsxChartParts(t, r)
	if len(charts) != 1 || !strings.Contains(charts[0], `Chart data&#39;!$B$2:$B$4`) || !strings.Contains(charts[0], `<dispBlanksAs val="gap"`) {
		t.Errorf("%d charts, want one drawn from Chart data, blanks as gaps", len(charts))
	}
}

// TestXLSXTrendChart: with a history, the rate and the open, new and
// resolved findings across runs.
func TestXLSXTrendChart(t *testing.T) {
	r := lifecycleTestReport()
	day := func(d int) time.Time { return time.Date(2026, 7, d, 0, 0, 0, 0, time.UTC) }
	r.History.Trend = []RunFigures{
		{AsOf: day(20), Policies: 100, PoliciesIntact: 80, People: 200, PeopleIntact: 150, New: 30, Open: 30},
		{AsOf: day(27), Policies: 100, PoliciesIntact: 90, People: 200, PeopleIntact: 170, New: 5, Resolved: 15, Open: 20},
	}
	f := writeXLSX(t, r)
	rows, err := f.GetRows(xlsxChartDataSheet)
	if err != nil {
		t.Fatal(err)
	}
	header := strings.Join(rows[0], "|")
	if !strings.HasSuffix(header, "As of|Policies intact|Open|New|Resolved") {
		t.Fatalf("chart data header %q", header)
	}
	last := rows[2][len(rows[2])-5:]
	if want := "2026-07-27|90.00%|20|5|15"; strings.Join(last, "|") != want {
		t.Errorf("second run %q, want %q", last, want)
	}
	if charts := xlsxChartParts(t, r); len(charts) != 3 { // by category, and the two trends
		t.Errorf("%d charts, want 3", len(charts))
	}
}

// xlsxChartParts returns the chart parts of r's workbook.
func xlsxChartParts(t *testing.T, r *Report) []string {
	t.Helper()
	var buf bytes.Buffer
	if err := (XLSX{}).Write(context.Background(), &buf, r); err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := 1; ; i++ {
		b := xlsxZipFile(t, buf.Bytes(), "xl/charts/chart"+strconv.Itoa(i)+".xml")
		if b == nil {
			return out
		}
		out = append(out, string(b))
	}
}

// TestXLSXDocProps: title, subject, tool version and rules hash.
func TestXLSXDocProps(t *testing.T) {
	f := writeXLSX(t, xlsxTestReport(xlsxSampleFindings()))
	p, err := f.GetDocProps()
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != "enrollaudit report" || !strings.Contains(p.Subject, "insurer rosters") || p.Version != "0.1.0-test" ||
		!strings.Contains(p.Description, "sha256:0f1e2d") || !strings.Contains(p.Description, "enrollaudit 0.1.0-test") {
		t.Errorf("document properties %+v", p)
	}
	custom, err := f.GetCustomProps()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for _, c := range custom {
		got[c.Name] = c.Value
	}
	if got["Tool version"] != "0.1.0-test" || got["Rules content hash"] != "sha256:0f1e2d" {
		t.Errorf("custom properties %v", got)
	}
}

// TestXLSXSummaryLinksEverySheet: the Summary lists every sheet, each a
// link to it.
func TestXLSXSummaryLinksEverySheet(t *testing.T) {
	f := writeXLSX(t, xlsxTestReport(xlsxSampleFindings()))
	rows, err := f.GetRows(xlsxSummarySheet)
	if err != nil {
		t.Fatal(err)
	}
	linked := map[string]bool{}
	for i, row := range rows {
		if len(row) == 0 {
			continue
		}
		ref := "A" + strconv.Itoa(i+1)
		if ok, target, err := f.GetCellHyperLink(xlsxSummarySheet, ref); err == nil && ok {
			if target != xlsxSheetRef(row[0])+"!A1" {
				t.Errorf("%s %q links to %q", ref, row[0], target)
			}
			linked[row[0]] = true
		}
	}
	for _, sheet := range f.GetSheetList() {
		if !linked[sheet] {
			t.Errorf("no link to sheet %q", sheet)
		}
	}
	xlsxSummaryRow(t, f, "How to read this")
	if got := xlsxSummaryRow(t, f, "Wrong status"); len(got) < 2 {
		t.Errorf("wrong status row %q", got)
	}
}

// xlsxZipFile returns a part of a workbook, nil when absent.
func xlsxZipFile(t *testing.T, workbook []byte, name string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(workbook), int64(len(workbook)))
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		if zf.Name == name {
			return xlsxReadZip(t, zf)
		}
	}
	return nil
}

// TestXLSXSameReportSameWorkbook: the charts' drawing makes excelize list
// the image content types in map order; they are sorted, so every part of
// the workbook is the same from one write to the next.
func TestXLSXSameReportSameWorkbook(t *testing.T) {
	var first map[string]string
	for range 5 {
		var buf bytes.Buffer
		if err := (XLSX{}).Write(context.Background(), &buf, xlsxTestReport(xlsxSampleFindings())); err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		parts := map[string]string{}
		for _, zf := range zr.File {
			parts[zf.Name] = string(xlsxReadZip(t, zf))
		}
		if first == nil {
			first = parts
			if !strings.Contains(parts[xlsxContentTypesPart], `<Default Extension="bmp"`) {
				t.Fatalf("no image content types: the test no longer covers the drawing's")
			}
			continue
		}
		for name, p := range parts {
			if p != first[name] {
				t.Errorf("%s differs from the first write", name)
			}
		}
	}
}

func TestXLSXSortDefaults(t *testing.T) {
	in := `<Types><Default Extension="png" ContentType="image/png"></Default><Default Extension="bmp" ContentType="image/bmp"></Default>` +
		`<Override PartName="/a"></Override></Types>`
	want := `<Types><Default Extension="bmp" ContentType="image/bmp"></Default><Default Extension="png" ContentType="image/png"></Default>` +
		`<Override PartName="/a"></Override></Types>`
	if got := string(xlsxSortDefaults([]byte(in))); got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}
