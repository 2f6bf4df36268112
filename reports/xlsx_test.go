package reports

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/enrollaudit/enrollaudit/canonical"
)

// xlsxSliceSource is a FindingSource over findings held in memory.
type xlsxSliceSource []*Finding

func (s xlsxSliceSource) Each(_ context.Context, category string, fn func(*Finding) error) error {
	for _, f := range s {
		if category != "" && f.Category != category {
			continue
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// xlsxFailSource fails the test if anything asks it for findings.
type xlsxFailSource struct{ t *testing.T }

func (s xlsxFailSource) Each(context.Context, string, func(*Finding) error) error {
	s.t.Error("findings were read for an aggregate-only report")
	return nil
}

func xlsxStr(s string) *string { return &s }

func xlsxCents(cents int64) *Money { m := Money(cents); return &m }

func xlsxTestRules() Rules {
	return Rules{ContentHash: "sha256:0f1e2d", Active: []RuleInfo{
		{ID: "plan-mismatch", Category: "wrong_plan", Fields: []string{"qhp_id"}},
		{ID: "aptc-mismatch", Category: "wrong_subsidy", Fields: []string{"aptc_amount"}},
		{ID: "csr-mismatch", Category: "wrong_subsidy", Fields: []string{"csr_amount", "aptc_amount"}},
		{ID: "benefit-dates", Category: "wrong_coverage_dates", Fields: []string{"benefit_start", "benefit_end"}},
		{ID: "demographics", Category: "wrong_demographics", Fields: []string{"first_name", "birth_date", "ssn"}},
	}}
}

// xlsxTestReport wraps findings in a report whose summary counts them.
func xlsxTestReport(findings []*Finding) *Report {
	r := &Report{
		SchemaVersion: SchemaVersion,
		Tool:          Tool{Name: "enrollaudit", Version: "0.1.0-test"},
		GeneratedAt:   time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC),
		Inputs: []Input{
			{Side: "marketplace", Path: "in/marketplace.csv", Format: "csv", Bytes: 123456, SHA256: strings.Repeat("a", 64), RowsLoaded: 1000, RowsRejected: 2},
			{Side: "insurer", Path: "in/insurer.834", Format: "x12", Mapping: "insurer.yaml", Bytes: 654321, SHA256: strings.Repeat("b", 64), RowsLoaded: 998},
		},
		Rules:    xlsxTestRules(),
		Findings: xlsxSliceSource(findings),
	}
	s := &r.Summary
	s.MarketplaceRows, s.InsurerRows, s.MatchedMembers = 1000, 998, 990
	s.ByCategory = map[string]int64{}
	byCat := map[string]*CategorySummary{}
	for _, f := range findings {
		s.Findings++
		s.ByCategory[f.Category]++
		cs := byCat[f.Category]
		if cs == nil {
			cs = &CategorySummary{Category: f.Category, BySeverity: map[string]int64{}}
			byCat[f.Category] = cs
		}
		cs.Findings++
		cs.People++
		cs.Policies++
		cs.BySeverity[f.Severity]++
	}
	for _, c := range canonical.Categories {
		if cs := byCat[c]; cs != nil {
			s.Categories = append(s.Categories, *cs)
		}
	}
	s.PeopleAffected, s.PoliciesAffected = s.Findings, s.Findings
	return r
}

func xlsxSampleFindings() []*Finding {
	src := func(file string, line int64) *Source { return &Source{File: file, Line: line} }
	return []*Finding{
		{
			ID: "sub-1", Rule: "aptc-mismatch", Category: "wrong_subsidy", Severity: "high",
			IssuerHIOSID: xlsxStr("38344"), ExchangePolicyID: xlsxStr("500000000"),
			Fields:                  []string{"aptc_amount"},
			Marketplace:             map[string]*string{"aptc_amount": xlsxStr("240.81")},
			Insurer:                 map[string]*string{"aptc_amount": xlsxStr("265.81")},
			MonthlyAmountDifference: xlsxCents(-2500),
			Message:                 "applied APTC differs: marketplace 240.81, insurer 265.81",
			MarketplaceSource:       src("in/marketplace.csv", 12), InsurerSource: src("in/insurer.834", 340),
		},
		{
			ID: "sub-2", Rule: "csr-mismatch", Category: "wrong_subsidy", Severity: "medium",
			IssuerHIOSID: xlsxStr("38344"), ExchangePolicyID: xlsxStr("500000001"),
			Fields:      []string{"csr_amount"},
			Marketplace: map[string]*string{"csr_amount": nil, "aptc_amount": xlsxStr("NaN")},
			Insurer:     map[string]*string{"csr_amount": xlsxStr("12.00")},
			Message:     "CSR amount differs",
		},
		{
			ID: "dates-1", Rule: "benefit-dates", Category: "wrong_coverage_dates", Severity: "low",
			IssuerHIOSID: xlsxStr("38344"), ExchangePolicyID: xlsxStr("500000002"), ExchangeMemberID: xlsxStr("0001234"),
			Segment:     2,
			Marketplace: map[string]*string{"benefit_start": xlsxStr("2024-01-01"), "benefit_end": xlsxStr("2024-12-31")},
			Insurer:     map[string]*string{"benefit_start": xlsxStr("2024-02-01"), "benefit_end": xlsxStr("2024-13-45")},
			Message:     "benefit dates differ",
		},
		{
			ID: "demo-1", Rule: "demographics", Category: "wrong_demographics", Severity: "info",
			IssuerHIOSID: xlsxStr("38344"), ExchangePolicyID: xlsxStr("500000003"), ExchangeMemberID: xlsxStr("0001235"),
			Marketplace: map[string]*string{"first_name": xlsxStr("Ann"), "birth_date": xlsxStr("1980-05-06"), "ssn": xlsxStr("***-**-1234")},
			Insurer:     map[string]*string{"first_name": xlsxStr("Anne"), "birth_date": xlsxStr("1880-06-05"), "ssn": xlsxStr("***-**-1234")},
			Message:     "first name and birth date differ",
		},
	}
}

func writeXLSX(t *testing.T, r *Report) *excelize.File {
	t.Helper()
	var buf bytes.Buffer
	if err := (XLSX{}).Write(context.Background(), &buf, r); err != nil {
		t.Fatalf("Write: %v", err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatalf("OpenReader: %v", err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// xlsxCellValue reads a cell's text and raw value, failing the test on error.
func xlsxCellValue(t *testing.T, f *excelize.File, sheet, ref string) (text, raw string) {
	t.Helper()
	text, err := f.GetCellValue(sheet, ref)
	if err != nil {
		t.Fatalf("%s!%s: %v", sheet, ref, err)
	}
	raw, err = f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatalf("%s!%s: %v", sheet, ref, err)
	}
	return text, raw
}

// xlsxWantNumber checks that a cell holds the number raw shown through numFmt.
func xlsxWantNumber(t *testing.T, f *excelize.File, sheet, ref, raw, text, numFmt string) {
	t.Helper()
	typ, err := f.GetCellType(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("%s!%s type = %v, want a number", sheet, ref, typ)
	}
	gotText, gotRaw := xlsxCellValue(t, f, sheet, ref)
	if gotRaw != raw || gotText != text {
		t.Errorf("%s!%s = %q (raw %q), want %q (raw %q)", sheet, ref, gotText, gotRaw, text, raw)
	}
	id, err := f.GetCellStyle(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	style, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if style.CustomNumFmt == nil || *style.CustomNumFmt != numFmt {
		t.Errorf("%s!%s number format = %v, want %q", sheet, ref, style.CustomNumFmt, numFmt)
	}
}

// xlsxWantText checks that a cell holds exactly s as a string.
func xlsxWantText(t *testing.T, f *excelize.File, sheet, ref, s string) {
	t.Helper()
	typ, err := f.GetCellType(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := xlsxCellValue(t, f, sheet, ref); got != s || (s != "" && typ != excelize.CellTypeInlineString) {
		t.Errorf("%s!%s = %q (type %v), want text %q", sheet, ref, got, typ, s)
	}
}

// xlsxSummaryRow returns the Summary row whose first cell is label.
func xlsxSummaryRow(t *testing.T, f *excelize.File, label string) []string {
	t.Helper()
	return xlsxSheetRow(t, f, xlsxSummarySheet, label)
}

// xlsxSheetRow is the first row of a sheet whose first cell is label.
func xlsxSheetRow(t *testing.T, f *excelize.File, sheet, label string) []string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if len(row) > 0 && row[0] == label {
			return row
		}
	}
	t.Fatalf("%s has no row %q", sheet, label)
	return nil
}

func TestXLSXNameAndFileName(t *testing.T) {
	if n, fn := (XLSX{}).Name(), (XLSX{}).FileName(); n != "xlsx" || fn != "report.xlsx" {
		t.Errorf("Name, FileName = %q, %q", n, fn)
	}
}

func TestXLSXSheetsAndHeaders(t *testing.T) {
	f := writeXLSX(t, xlsxTestReport(xlsxSampleFindings()))

	want := []string{"Summary", "Wrong subsidy", "Wrong coverage dates", "Wrong demographics", "Rules", "Chart data"}
	if got := f.GetSheetList(); !slices.Equal(got, want) {
		t.Fatalf("sheets = %q, want %q", got, want)
	}
	// What prints comes first, through Message.
	base := []string{"ID", "Disposition", "Comment", "Until", "Rule", "Severity", "Issuer HIOS ID", "Exchange policy ID", "Exchange member ID",
		"Monthly difference", "Message", "Segment", "Side"}
	tail := []string{"Marketplace source", "Insurer source"}
	for sheet, fields := range map[string][]string{
		"Wrong subsidy":        {"aptc_amount", "csr_amount"},
		"Wrong coverage dates": {"benefit_start", "benefit_end"},
		"Wrong demographics":   {"first_name", "birth_date", "ssn"},
	} {
		header := slices.Clone(base)
		for _, fl := range fields {
			header = append(header, "Marketplace "+fl, "Insurer "+fl)
		}
		header = append(header, tail...)
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rows[0], header) {
			t.Errorf("%s header = %q\nwant %q", sheet, rows[0], header)
		}
		for i := range header {
			ref, _ := excelize.CoordinatesToCellName(i+1, 1)
			if !xlsxBold(t, f, sheet, ref) {
				t.Errorf("%s!%s: header not bold", sheet, ref)
			}
		}
	}
	summaryRows, err := f.GetRows(xlsxSummarySheet)
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range summaryRows {
		if len(row) > 0 && (row[0] == "Side" || row[0] == "Category" || row[0] == "Issuer HIOS ID") {
			if ref := "A" + strconv.Itoa(i+1); !xlsxBold(t, f, xlsxSummarySheet, ref) {
				t.Errorf("Summary!%s: table header %q not bold", ref, row[0])
			}
		}
	}
}

func xlsxBold(t *testing.T, f *excelize.File, sheet, ref string) bool {
	t.Helper()
	id, err := f.GetCellStyle(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	style, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	return style.Font != nil && style.Font.Bold
}

func TestXLSXTypedCells(t *testing.T) {
	f := writeXLSX(t, xlsxTestReport(xlsxSampleFindings()))

	// Wrong subsidy: J monthly difference, N/O aptc_amount, P/Q csr_amount.
	xlsxWantNumber(t, f, "Wrong subsidy", "N2", "240.81", "$240.81", xlsxMoneyFormat)
	xlsxWantNumber(t, f, "Wrong subsidy", "O2", "265.81", "$265.81", xlsxMoneyFormat)
	xlsxWantNumber(t, f, "Wrong subsidy", "J2", "-25", "-$25.00", xlsxMoneyFormat)
	xlsxWantNumber(t, f, "Wrong subsidy", "Q3", "12", "$12.00", xlsxMoneyFormat)
	xlsxWantText(t, f, "Wrong subsidy", "N3", "NaN") // not money: kept as evidence
	xlsxWantText(t, f, "Wrong subsidy", "O3", "")    // insurer has no aptc_amount key
	xlsxWantText(t, f, "Wrong subsidy", "P3", "")    // nil value
	xlsxWantText(t, f, "Wrong subsidy", "J3", "")    // no monthly difference
	xlsxWantText(t, f, "Wrong subsidy", "I2", "")    // policy-level: no member
	xlsxWantText(t, f, "Wrong subsidy", "H2", "500000000")
	xlsxWantText(t, f, "Wrong subsidy", "R2", "in/marketplace.csv:12")
	xlsxWantText(t, f, "Wrong subsidy", "S2", "in/insurer.834:340")

	// Wrong coverage dates: N/O benefit_start, P/Q benefit_end.
	xlsxWantNumber(t, f, "Wrong coverage dates", "N2", "45292", "2024-01-01", xlsxDateFormat)
	xlsxWantNumber(t, f, "Wrong coverage dates", "P2", "45657", "2024-12-31", xlsxDateFormat)
	xlsxWantText(t, f, "Wrong coverage dates", "Q2", "2024-13-45")
	xlsxWantText(t, f, "Wrong coverage dates", "I2", "0001234") // leading zeros kept
	if _, raw := xlsxCellValue(t, f, "Wrong coverage dates", "L2"); raw != "2" {
		t.Errorf("segment = %q, want 2", raw)
	}

	// Wrong demographics: N/O first_name, P/Q birth_date, R/S ssn.
	xlsxWantText(t, f, "Wrong demographics", "N2", "Ann")
	xlsxWantNumber(t, f, "Wrong demographics", "P2", "29347", "1980-05-06", xlsxDateFormat)
	xlsxWantText(t, f, "Wrong demographics", "Q2", "1880-06-05") // before Excel's epoch
	xlsxWantText(t, f, "Wrong demographics", "R2", "***-**-1234")
}

func TestXLSXPanesAndAutofilter(t *testing.T) {
	var buf bytes.Buffer
	if err := (XLSX{}).Write(context.Background(), &buf, xlsxTestReport(xlsxSampleFindings())); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	// Each finding sheet is an Excel table (filter buttons, banded rows)
	// over its header and findings.
	wantTables := map[string]string{
		"Wrong subsidy":        "A1:S3",
		"Wrong coverage dates": "A1:S2",
		"Wrong demographics":   "A1:U2",
	}
	for sheet, ref := range wantTables {
		tables, err := f.GetTables(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if len(tables) != 1 || tables[0].Range != ref || tables[0].StyleName != xlsxTableStyle || tables[0].ShowRowStripes == nil || !*tables[0].ShowRowStripes {
			t.Errorf("tables of %s = %+v, want one over %s with banded rows", sheet, tables, ref)
		}
		panes, err := f.GetPanes(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 0 || panes.TopLeftCell != "A2" {
			t.Errorf("panes of %s = %+v, want the header row frozen", sheet, panes)
		}
	}

	// The table's own autoFilter draws the buttons; a worksheet autoFilter
	// beside it would make Excel repair the file.
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var autoFilters, tableFilters int
	colMin := regexp.MustCompile(`<col min="(\d+)"`)
	for _, zf := range zr.File {
		if strings.HasPrefix(zf.Name, "xl/tables/table") && bytes.Contains(xlsxReadZip(t, zf), []byte(`<autoFilter ref="A1:`)) {
			tableFilters++
		}
		if !strings.HasPrefix(zf.Name, "xl/worksheets/sheet") {
			continue
		}
		xml := xlsxReadZip(t, zf)
		if bytes.Contains(xml, []byte(`<autoFilter`)) {
			autoFilters++
		}
		// Excel wants column definitions in ascending order.
		var mins []int
		for _, m := range colMin.FindAllSubmatch(xml, -1) {
			n, _ := strconv.Atoi(string(m[1]))
			mins = append(mins, n)
		}
		if len(mins) == 0 || !slices.IsSorted(mins) {
			t.Errorf("%s: column definitions %v, want ascending", zf.Name, mins)
		}
	}
	if autoFilters != 0 {
		t.Errorf("%d worksheets have an autoFilter of their own, want none", autoFilters)
	}
	// The Rules sheet is a table too.
	if tableFilters != len(wantTables)+1 {
		t.Errorf("%d tables with filter buttons, want %d", tableFilters, len(wantTables)+1)
	}
}

func xlsxReadZip(t *testing.T, zf *zip.File) []byte {
	t.Helper()
	rc, err := zf.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestXLSXSummary(t *testing.T) {
	r := xlsxTestReport(xlsxSampleFindings())
	r.Options.RevealPII = true
	r.Summary.Issuers = []IssuerSummary{{IssuerHIOSID: "38344", Findings: 4, People: 4, Policies: 4,
		ByCategory: map[string]int64{"wrong_subsidy": 2, "wrong_coverage_dates": 1, "wrong_demographics": 1}, MonthlyAmount: 2500}}
	r.Summary.MonthlySubsidyDifference = 2500
	r.Warnings = []string{"rule ssn-mismatch skipped: the insurer data has no ssn"}
	f := writeXLSX(t, r)

	xlsxWantText(t, f, xlsxSummarySheet, "A1", "enrollaudit report")
	xlsxSummaryRow(t, f, "Warnings")
	xlsxSummaryRow(t, f, "rule ssn-mismatch skipped: the insurer data has no ssn")
	// 2026-03-14 15:09:26 UTC as an Excel serial.
	xlsxWantNumber(t, f, xlsxSummarySheet, "B2", "46095.6315509259", "2026-03-14 15:09:26", xlsxDatetimeFormat)
	if got := xlsxSummaryRow(t, f, "Tool"); got[1] != "enrollaudit 0.1.0-test" {
		t.Errorf("tool = %q", got[1])
	}
	if got := xlsxSummaryRow(t, f, "Rules content hash"); got[1] != "sha256:0f1e2d" {
		t.Errorf("rules hash = %q", got[1])
	}
	xlsxSummaryRow(t, f, "Personal data revealed: full SSNs are shown (--reveal-pii)")
	if got := xlsxSummaryRow(t, f, "insurer"); !slices.Equal(got, []string{"insurer", "in/insurer.834", "x12", "insurer.yaml", "654,321", strings.Repeat("b", 64), "998", "0"}) {
		t.Errorf("insurer input row = %q", got)
	}
	if got := xlsxSummaryRow(t, f, "Matched members"); got[1] != "990" {
		t.Errorf("matched members = %q", got)
	}
	if got := xlsxSummaryRow(t, f, "Category"); !slices.Equal(got, []string{"Category", "Info", "Low", "Medium", "High", "Critical",
		"Total", "People", "Policies", "Monthly $ (abs)", "Monthly $ (net)"}) {
		t.Errorf("category header = %q", got)
	}
	rows, err := f.GetRows(xlsxSummarySheet)
	if err != nil {
		t.Fatal(err)
	}
	// The rows of the findings table, from its header to its total.
	var titles []string
	at := slices.IndexFunc(rows, func(row []string) bool { return len(row) > 0 && row[0] == "Category" })
	for _, row := range rows[at+1:] {
		if len(row) == 0 || row[0] == "Total" {
			break
		}
		titles = append(titles, row[0])
	}
	var wantTitles []string
	for _, c := range canonical.Categories {
		wantTitles = append(wantTitles, CategoryTitles[c])
	}
	if !slices.Equal(titles, wantTitles) {
		t.Errorf("category rows = %q, want %q", titles, wantTitles)
	}
	if got := xlsxSummaryRow(t, f, "Wrong subsidy"); !slices.Equal(got, []string{"Wrong subsidy", "0", "0", "1", "1", "0", "2", "2", "2", "$0.00", "$0.00"}) {
		t.Errorf("wrong subsidy row = %q", got)
	}
	if got := xlsxSummaryRow(t, f, "Total"); !slices.Equal(got[:7], []string{"Total", "1", "1", "1", "1", "0", "4"}) {
		t.Errorf("total row = %q", got)
	}
	if got := xlsxSummaryRow(t, f, "38344"); got[1] != "4" || got[len(got)-1] != "$25.00" {
		t.Errorf("issuer row = %q", got)
	}
	if got := xlsxSummaryRow(t, f, "Subsidy differences (APTC, CSR)"); got[1] != "$25.00" {
		t.Errorf("subsidy impact = %q", got)
	}
	for _, row := range rows {
		if len(row) > 0 && strings.HasPrefix(row[0], "Aggregate only") {
			t.Error("aggregate-only note in a full report")
		}
	}
}

func TestXLSXSplitsAtRowLimit(t *testing.T) {
	defer func(n int) { xlsxMaxRows = n }(xlsxMaxRows)
	xlsxMaxRows = 5 // header and four findings per sheet

	var findings []*Finding
	for i := range 9 {
		findings = append(findings, &Finding{ID: fmt.Sprintf("plan-%d", i), Rule: "plan-mismatch", Category: "wrong_plan",
			Severity: "high", Marketplace: map[string]*string{"qhp_id": xlsxStr("12345VA001000104")}})
	}
	f := writeXLSX(t, xlsxTestReport(findings))

	want := []string{"Summary", "Wrong plan", "Wrong plan (2)", "Wrong plan (3)", "Rules", "Chart data"}
	if got := f.GetSheetList(); !slices.Equal(got, want) {
		t.Fatalf("sheets = %q, want %q", got, want)
	}
	next := 0
	for _, sheet := range want[1:4] {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) > xlsxMaxRows || rows[0][0] != "ID" {
			t.Fatalf("%s has %d rows starting %q, want at most %d with the header first", sheet, len(rows), rows[0], xlsxMaxRows)
		}
		for _, row := range rows[1:] {
			if id := fmt.Sprintf("plan-%d", next); row[0] != id {
				t.Errorf("%s: finding %q, want %q", sheet, row[0], id)
			}
			next++
		}
		if panes, _ := f.GetPanes(sheet); !panes.Freeze {
			t.Errorf("%s: header not frozen", sheet)
		}
	}
	if next != len(findings) {
		t.Errorf("wrote %d findings, want %d", next, len(findings))
	}
	var tables []string
	for _, sheet := range want[1:4] {
		ts, err := f.GetTables(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for _, tb := range ts {
			tables = append(tables, tb.Name+" "+tb.Range)
		}
	}
	wantTables := []string{"Findings_Wrong_plan A1:Q5", "Findings_Wrong_plan_2 A1:Q5", "Findings_Wrong_plan_3 A1:Q2"}
	if !slices.Equal(tables, wantTables) {
		t.Errorf("tables = %q, want %q", tables, wantTables)
	}
}

func TestXLSXSheetName(t *testing.T) {
	seen := map[string]bool{strings.ToLower(xlsxSummarySheet): true}
	for _, title := range CategoryTitles {
		for _, part := range []int{1, 2, 1000} {
			name := xlsxSheetName(title, part)
			if len(name) > xlsxMaxSheetName {
				t.Errorf("xlsxSheetName(%q, %d) = %q: longer than %d", title, part, name, xlsxMaxSheetName)
			}
			// Excel compares sheet names ignoring case.
			if seen[strings.ToLower(name)] {
				t.Errorf("xlsxSheetName(%q, %d) = %q: not unique", title, part, name)
			}
			seen[strings.ToLower(name)] = true
		}
	}
	long := "An exceptionally long category title"
	for part, want := range map[int]string{1: "An exceptionally long category", 2: "An exceptionally long categ (2)", 12: "An exceptionally long cate (12)"} {
		if got := xlsxSheetName(long, part); got != want {
			t.Errorf("xlsxSheetName(long, %d) = %q, want %q", part, got, want)
		}
	}
}

func TestXLSXHideRows(t *testing.T) {
	const s, o = rowHiddenSmall, rowHiddenOffset
	for _, tc := range []struct {
		people []int64
		want   []rowHide
	}{
		{[]int64{0, 11, 500}, []rowHide{rowShown, rowShown, rowShown}},
		{[]int64{3, 40, 20, 0}, []rowHide{s, rowShown, o, rowShown}},        // 3 alone could be backed out of a total
		{[]int64{3, 9, 40}, []rowHide{s, s, rowShown}},                      // 12 together: no total reveals either
		{[]int64{2, 3, 100, 50}, []rowHide{s, s, rowShown, o}},              // 5 together still small
		{[]int64{4, 0}, []rowHide{s, rowShown}},                             // nothing else to hide
		{[]int64{1, 1, 1, 12, 12}, []rowHide{s, s, s, o, rowShown}},         // one offset row suffices
		{[]int64{10, 10, 10}, []rowHide{s, s, s}},                           // all small
		{[]int64{5, 200}, []rowHide{s, o}},                                  // the only other row
		{[]int64{}, []rowHide{}},                                            // empty table
		{[]int64{1000, 5, 1000, 1000}, []rowHide{o, s, rowShown, rowShown}}, // first of equals
	} {
		if got := hideRows(true, tc.people); !slices.Equal(got, tc.want) {
			t.Errorf("hideRows(%v) = %v, want %v", tc.people, got, tc.want)
		}
		if got := hideRows(false, tc.people); slices.ContainsFunc(got, func(h rowHide) bool { return h != rowShown }) {
			t.Errorf("hideRows(false, %v) = %v, want nothing hidden", tc.people, got)
		}
	}
}

func TestXLSXAggregateOnly(t *testing.T) {
	r := &Report{
		Tool:        Tool{Name: "enrollaudit", Version: "0.1.0-test"},
		GeneratedAt: time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC),
		Options:     Options{AggregateOnly: true},
		Rules:       xlsxTestRules(),
		Summary: Summary{
			MarketplaceRows: 5000, InsurerRows: 4990, MatchedMembers: 4900, MatchedPolicies: 2100,
			Findings: 104, PeopleAffected: 73, PoliciesAffected: 40,
			ByCategory: map[string]int64{"wrong_plan": 4, "wrong_subsidy": 75, "wrong_premium": 25},
			Categories: []CategorySummary{
				{Category: "wrong_plan", Findings: 4, People: 3, Policies: 2, BySeverity: map[string]int64{"high": 4}},
				{Category: "wrong_subsidy", Findings: 75, People: 50, Policies: 30, BySeverity: map[string]int64{"high": 75}, MonthlyAmount: 123456, MonthlyAmountNet: -3456},
				{Category: "wrong_premium", Findings: 25, People: 20, Policies: 8, BySeverity: map[string]int64{"medium": 25}, MonthlyAmount: 9900},
			},
			Issuers: []IssuerSummary{
				{IssuerHIOSID: "11111", Findings: 6, People: 5, Policies: 2, ByCategory: map[string]int64{"wrong_plan": 4, "wrong_subsidy": 2}, MonthlyAmount: 500},
				{IssuerHIOSID: "22222", Findings: 60, People: 68, Policies: 30, ByCategory: map[string]int64{"wrong_subsidy": 50, "wrong_premium": 10}, MonthlyAmount: 100000},
				{IssuerHIOSID: "33333", Findings: 38, People: 40, Policies: 8, ByCategory: map[string]int64{"wrong_subsidy": 23, "wrong_premium": 15}, MonthlyAmount: 32856},
			},
			MonthlySubsidyDifference: 123456,
			MonthlyPremiumDifference: 9900,
		},
		Findings: xlsxFailSource{t},
	}
	f := writeXLSX(t, r)

	if got := f.GetSheetList(); !slices.Equal(got, []string{xlsxSummarySheet, xlsxByIssuerSheet, xlsxRulesSheet, xlsxChartDataSheet}) {
		t.Fatalf("sheets = %q, want no finding sheet", got)
	}
	// Columns: Category, 5 severities, Total, People, Policies, $ abs, $ net.
	for label, want := range map[string][]string{
		"Wrong plan":    {"Wrong plan", "suppressed", "suppressed", "suppressed", "suppressed", "suppressed", "suppressed", "<11", "suppressed", "suppressed", "suppressed"},
		"Wrong subsidy": {"Wrong subsidy", "0", "0", "0", "75", "0", "75", "50", "30", "$1,234.56", "-$34.56"},
		// Offset: with only Wrong plan hidden, the total would give it away.
		"Wrong premium": {"Wrong premium", "suppressed", "suppressed", "suppressed", "suppressed", "suppressed", "suppressed", "suppressed", "suppressed", "suppressed", "suppressed"},
		"Total":         {"Total", "0", "0", "25", "79", "0", "104", "73", "40", "$1,333.56", "-$34.56"},
		// Issuers: Findings, People, Policies, $.
		"11111":                           {"11111", "suppressed", "<11", "suppressed", "suppressed"},
		"22222":                           {"22222", "60", "68", "30", "$1,000.00"},
		"33333":                           {"33333", "suppressed", "suppressed", "suppressed", "suppressed"},
		"Subsidy differences (APTC, CSR)": {"Subsidy differences (APTC, CSR)", "$1,234.56"},
		"Premium differences":             {"Premium differences", "suppressed"},
		"People affected":                 {"People affected", "73"},
		"Matched members":                 {"Matched members", "4,900"},
	} {
		if got := xlsxSummaryRow(t, f, label); !slices.Equal(got, want) {
			t.Errorf("row %q = %q\nwant %q", label, got, want)
		}
	}
	// The By issuer sheet: Findings, People, Policies, 11 categories, $.
	for label, want := range map[string][]string{
		"11111": append([]string{"11111", "suppressed", "<11", "suppressed"}, slices.Repeat([]string{"suppressed"}, 12)...),
		"22222": {"22222", "60", "68", "30", "0", "0", "suppressed", "50", "suppressed", "0", "0", "0", "0", "0", "0", "$1,000.00"},
		"33333": append([]string{"33333", "suppressed", "suppressed", "suppressed"}, slices.Repeat([]string{"suppressed"}, 12)...),
	} {
		if got := xlsxSheetRow(t, f, xlsxByIssuerSheet, label); !slices.Equal(got, want) {
			t.Errorf("%s row %q = %q\nwant %q", xlsxByIssuerSheet, label, got, want)
		}
	}
	rows, err := f.GetRows(xlsxSummarySheet)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(rows, func(row []string) bool { return len(row) == 1 && strings.HasPrefix(row[0], "Aggregate only") }) {
		t.Error("no aggregate-only note")
	}

	// A tiny audit hides everything that counts people.
	r.Summary.PeopleAffected, r.Summary.MatchedMembers = 7, 9
	f = writeXLSX(t, r)
	for label, want := range map[string][]string{
		"People affected":   {"People affected", "<11"},
		"Policies affected": {"Policies affected", "suppressed"},
		"Matched members":   {"Matched members", "<11"},
		"Total":             {"Total", "suppressed", "suppressed", "suppressed", "suppressed", "suppressed", "suppressed", "<11", "suppressed", "suppressed", "suppressed"},
	} {
		if got := xlsxSummaryRow(t, f, label); !slices.Equal(got, want) {
			t.Errorf("row %q = %q\nwant %q", label, got, want)
		}
	}
}

func TestXLSXTextIsNeverAFormula(t *testing.T) {
	payloads := []string{`=HYPERLINK("http://x","y")`, "+1+1", "@SUM(A1)", "-2+3"}
	var findings []*Finding
	for i, p := range payloads {
		findings = append(findings, &Finding{
			ID: strconv.Itoa(i), Rule: "demographics", Category: "wrong_demographics", Severity: "low",
			Marketplace: map[string]*string{"first_name": xlsxStr(p)},
			Insurer:     map[string]*string{"first_name": xlsxStr("x")},
			Message:     p,
		})
	}
	r := xlsxTestReport(findings)
	r.Inputs[0].Path = "=cmd|' /C calc'!A0"
	f := writeXLSX(t, r)

	const sheet = "Wrong demographics"
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	msg := slices.Index(rows[0], "Message")
	first := slices.Index(rows[0], "Marketplace first_name")
	for i, p := range payloads {
		for _, col := range []int{msg, first} {
			ref, _ := excelize.CoordinatesToCellName(col+1, i+2)
			formula, err := f.GetCellFormula(sheet, ref)
			if err != nil {
				t.Fatal(err)
			}
			if formula != "" {
				t.Errorf("%s has formula %q", ref, formula)
			}
			xlsxWantText(t, f, sheet, ref, p)
		}
	}
	if got := xlsxSummaryRow(t, f, "marketplace"); got[1] != r.Inputs[0].Path {
		t.Errorf("input path = %q", got[1])
	}
}

func TestXLSXCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf bytes.Buffer
	if err := (XLSX{}).Write(ctx, &buf, xlsxTestReport(xlsxSampleFindings())); !errors.Is(err, context.Canceled) {
		t.Errorf("Write with a cancelled context = %v, want context.Canceled", err)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %d bytes after cancellation", buf.Len())
	}

	// Cancelled while streaming findings.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	findings := make([]*Finding, 3*xlsxCheckEvery)
	for i := range findings {
		findings[i] = &Finding{ID: strconv.Itoa(i), Category: "wrong_plan"}
	}
	r := xlsxTestReport(findings)
	r.Findings = xlsxCancelAfter{xlsxSliceSource(findings), xlsxCheckEvery / 2, cancel}
	buf.Reset()
	if err := (XLSX{}).Write(ctx, &buf, r); !errors.Is(err, context.Canceled) {
		t.Errorf("Write cancelled mid-stream = %v, want context.Canceled", err)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %d bytes after cancellation", buf.Len())
	}
}

// xlsxCancelAfter cancels its context once n findings have been handed out.
type xlsxCancelAfter struct {
	src    FindingSource
	n      int
	cancel context.CancelFunc
}

func (c xlsxCancelAfter) Each(ctx context.Context, category string, fn func(*Finding) error) error {
	seen := 0
	return c.src.Each(ctx, category, func(f *Finding) error {
		if seen++; seen == c.n {
			c.cancel()
		}
		return fn(f)
	})
}

type xlsxFailWriter struct{}

func (xlsxFailWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestXLSXWriteError(t *testing.T) {
	if err := (XLSX{}).Write(context.Background(), xlsxFailWriter{}, xlsxTestReport(xlsxSampleFindings())); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Write to a failing writer = %v, want the write error", err)
	}
}

// xlsxGenSource generates n findings per category on the fly, reusing one
// Finding, so the benchmark measures the writer's memory, not the input's.
type xlsxGenSource struct{ perCategory int }

func (g xlsxGenSource) Each(ctx context.Context, category string, fn func(*Finding) error) error {
	mp, ins := map[string]*string{}, map[string]*string{}
	f := &Finding{Category: category, Severity: "high", Marketplace: mp, Insurer: ins, IssuerHIOSID: xlsxStr("38344"),
		MarketplaceSource: &Source{File: "in/marketplace.csv"}, InsurerSource: &Source{File: "in/insurer.834"}}
	for i := range g.perCategory {
		id := strconv.Itoa(i)
		f.ID, f.Rule = category+"-"+id, category
		f.ExchangePolicyID, f.ExchangeMemberID = xlsxStr("5"+id), xlsxStr("9"+id)
		f.MarketplaceSource.Line, f.InsurerSource.Line = int64(i+2), int64(i*7)
		switch category {
		case "wrong_subsidy":
			mp["aptc_amount"], ins["aptc_amount"] = xlsxStr(Money(24081+i).String()), xlsxStr("265.81")
			f.MonthlyAmountDifference = xlsxCents(int64(-2500 - i))
			f.Message = "applied APTC differs: marketplace " + *mp["aptc_amount"] + ", insurer 265.81"
		case "wrong_coverage_dates":
			mp["benefit_start"], ins["benefit_start"] = xlsxStr("2024-01-01"), xlsxStr("2024-02-01")
			mp["benefit_end"], ins["benefit_end"] = xlsxStr("2024-12-31"), nil
			f.MonthlyAmountDifference = nil
			f.Message = "benefit start differs"
		default:
			mp["first_name"], ins["first_name"] = xlsxStr("Ann"), xlsxStr("Anne")
			mp["birth_date"], ins["birth_date"] = xlsxStr("1980-05-06"), xlsxStr("1980-06-05")
			mp["ssn"], ins["ssn"] = xlsxStr("***-**-1234"), xlsxStr("***-**-1234")
			f.MonthlyAmountDifference = nil
			f.Message = "first name differs"
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

type xlsxCountWriter struct{ n int64 }

func (w *xlsxCountWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// BenchmarkXLSX writes 200k findings (three categories) and reports the
// peak heap seen while writing.
func BenchmarkXLSX(b *testing.B) {
	const perCategory = 200_000 / 3
	r := xlsxTestReport(nil)
	r.Summary.ByCategory = map[string]int64{"wrong_subsidy": perCategory, "wrong_coverage_dates": perCategory, "wrong_demographics": perCategory}
	r.Findings = xlsxGenSource{perCategory}

	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
		}
	})
	var out xlsxCountWriter
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		out.n = 0
		if err := (XLSX{}).Write(context.Background(), &out, r); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	close(stop)
	wg.Wait()
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(out.n)/(1<<20), "xlsx-MB")
}
