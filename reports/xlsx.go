package reports

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/enrollaudit/enrollaudit/canonical"
)

// XLSX writes report.xlsx.
type XLSX struct{}

// Name identifies the writer.
func (XLSX) Name() string { return "xlsx" }

// FileName is the file the writer produces in the output directory.
func (XLSX) FileName() string { return "report.xlsx" }

// xlsxMaxRows is the most rows one sheet holds, header included: Excel's
// limit. A variable so tests can exercise the split without a million rows.
var xlsxMaxRows = excelize.TotalRows

// xlsxCheckEvery is how many findings are written between checks for
// cancellation: often enough to stop promptly, rarely enough to cost nothing.
const xlsxCheckEvery = 4096

const (
	xlsxSummarySheet   = "Summary"
	xlsxIntegritySheet = "Integrity"
	xlsxMaxSheetName   = 31 // Excel's limit on sheet names
	xlsxSmallCell      = "<11"
	xlsxSuppressed     = "suppressed"
	xlsxMoneyFormat    = "$#,##0.00" // Excel puts a minus before negatives
	xlsxDateFormat     = "yyyy-mm-dd"
	xlsxDatetimeFormat = "yyyy-mm-dd hh:mm:ss"
)

// Write renders r as a workbook: a Summary sheet, then, unless the report is
// aggregate-only, one sheet (or more, past Excel's row limit) per category
// with findings. Findings are streamed through excelize's stream writers,
// which spill to temporary files, so memory does not grow with their number.
func (XLSX) Write(ctx context.Context, w io.Writer, r *Report) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	f := excelize.NewFile()
	defer func() {
		// Close removes the stream writers' temporary files.
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close workbook: %w", cerr)
		}
	}()
	st, err := newXLSXStyles(f)
	if err != nil {
		return fmt.Errorf("create styles: %w", err)
	}
	// The Summary is the first sheet (the new file's only one) but is
	// written last: it links to every other sheet, and they are known only
	// once written (a category past Excel's row limit takes several).
	if err := f.SetSheetName(f.GetSheetName(0), xlsxSummarySheet); err != nil {
		return fmt.Errorf("write summary sheet: %w", err)
	}
	if r.Summary.Integrity != nil {
		if err := writeXLSXRows(f, r, xlsxIntegritySheet, buildXLSXIntegrity(r, st), xlsxSheetPrint{}); err != nil {
			return fmt.Errorf("write integrity sheet: %w", err)
		}
	}
	if len(r.Summary.Issuers) > 0 {
		if err := writeXLSXRows(f, r, xlsxByIssuerSheet, buildXLSXByIssuer(r, st), xlsxSheetPrint{titleRows: true}); err != nil {
			return fmt.Errorf("write by issuer sheet: %w", err)
		}
	}
	rules := newXLSXRuleIndex(r, st)
	if !r.Options.AggregateOnly {
		if err := writeXLSXFindings(ctx, f, st, r, rules); err != nil {
			return err
		}
		if err := writeXLSXAnswerSheets(f, st, r, rules); err != nil {
			return err
		}
		if r.History != nil {
			if err := writeXLSXResolved(ctx, f, st, r, rules); err != nil {
				return fmt.Errorf("write resolved sheet: %w", err)
			}
		}
	}
	if err := writeXLSXRules(f, st, r, rules); err != nil {
		return fmt.Errorf("write rules sheet: %w", err)
	}
	charts, err := writeXLSXChartData(f, st, r)
	if err != nil {
		return fmt.Errorf("write chart data sheet: %w", err)
	}
	if err := writeXLSXSummary(f, st, r, charts); err != nil {
		return fmt.Errorf("write summary sheet: %w", err)
	}
	if err := setXLSXDocProps(f, r); err != nil {
		return fmt.Errorf("set document properties: %w", err)
	}
	// No SetActiveSheet: the Summary is sheet 0, the one a new file opens
	// on, and SetActiveSheet reads every sheet back from XML (each streamed
	// findings sheet whole: 0.7 s of a 500k members' run).
	// File.Write assembles the whole zip in a bytes.Buffer before copying it
	// to w; a zip writer on w streams the archive instead, so memory stays
	// flat however large the workbook is.
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return newXLSXZip(w) })
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	return nil
}

// xlsxZip is the workbook's zip writer. It deflates at the fastest level:
// at 10M members a side, compressing the sheets at the default level took
// a quarter of the workbook's time (1.1 s of 4.1 s). And it sorts the
// default content types, which excelize lists in map order once a sheet
// has a drawing (the charts): the same report makes the same workbook.
type xlsxZip struct {
	*zip.Writer
	contentTypes *bytes.Buffer // held until the next part begins
}

const xlsxContentTypesPart = "[Content_Types].xml"

func newXLSXZip(w io.Writer) *xlsxZip {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	return &xlsxZip{Writer: zw}
}

// Create begins a part.
func (z *xlsxZip) Create(name string) (io.Writer, error) {
	if err := z.flushContentTypes(); err != nil {
		return nil, err
	}
	if name == xlsxContentTypesPart {
		z.contentTypes = &bytes.Buffer{}
		return z.contentTypes, nil
	}
	return z.Writer.Create(name)
}

// Close ends the archive.
func (z *xlsxZip) Close() error {
	if err := z.flushContentTypes(); err != nil {
		return err
	}
	return z.Writer.Close()
}

func (z *xlsxZip) flushContentTypes() error {
	if z.contentTypes == nil {
		return nil
	}
	b := xlsxSortDefaults(z.contentTypes.Bytes())
	z.contentTypes = nil
	w, err := z.Writer.Create(xlsxContentTypesPart)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

var xlsxDefaultType = regexp.MustCompile(`<Default [^>]*>(</Default>)?`)

// xlsxSortDefaults sorts the run of Default elements of a content types
// part; anything else is left as it is.
func xlsxSortDefaults(b []byte) []byte {
	locs := xlsxDefaultType.FindAllIndex(b, -1)
	if len(locs) < 2 {
		return b
	}
	var defaults [][]byte
	for i, l := range locs {
		if i > 0 && l[0] != locs[i-1][1] {
			return b // not one run: leave it
		}
		defaults = append(defaults, b[l[0]:l[1]])
	}
	slices.SortFunc(defaults, bytes.Compare)
	out := slices.Clone(b[:locs[0][0]])
	out = append(out, bytes.Join(defaults, nil)...)
	return append(out, b[locs[len(locs)-1][1]:]...)
}

// xlsxStyles holds the workbook's style IDs.
type xlsxStyles struct {
	title, section, header, warning int
	count, money, date, datetime    int
	hidden                          int // suppression text, right-aligned like the numbers it replaces
	wrap                            int // long text (paths, hashes) wrapped rather than widening a shared column
	totalLabel, totalCount          int
	totalMoney                      int
	percent                         int
	headerWrap                      int // a header of a narrow column, on two lines
	headerNum                       int // a header over numbers, aligned with them
	countTop                        int // a count at the top of a tall row
	link                            int
	// differ*: a compared value that differs from the other side's.
	differ, differDate, differMoney int
	response                        xlsxResponseStyles
}

// xlsxTableStyle is the Excel table style of the finding sheets and the
// Rules sheet: banded rows.
const xlsxTableStyle = "TableStyleMedium2"

// xlsxDifferFill shades a value that differs from the other side's.
var xlsxDifferFill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F8CBAD"}}

func newXLSXStyles(f *excelize.File) (*xlsxStyles, error) {
	moneyFmt, dateFmt, datetimeFmt := xlsxMoneyFormat, xlsxDateFormat, xlsxDatetimeFormat
	bold := &excelize.Font{Bold: true}
	s := &xlsxStyles{}
	for _, d := range []struct {
		id    *int
		style excelize.Style
	}{
		{&s.title, excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}},
		{&s.section, excelize.Style{Font: &excelize.Font{Bold: true, Size: 12}}},
		{&s.header, excelize.Style{Font: bold, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}}},
		{&s.warning, excelize.Style{Font: &excelize.Font{Bold: true, Color: "C00000"}}},
		{&s.count, excelize.Style{NumFmt: 3}}, // #,##0
		{&s.money, excelize.Style{CustomNumFmt: &moneyFmt}},
		{&s.date, excelize.Style{CustomNumFmt: &dateFmt}},
		{&s.datetime, excelize.Style{CustomNumFmt: &datetimeFmt}},
		{&s.hidden, excelize.Style{Alignment: &excelize.Alignment{Horizontal: "right"}}},
		{&s.wrap, excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}},
		{&s.totalLabel, excelize.Style{Font: bold}},
		{&s.totalCount, excelize.Style{Font: bold, NumFmt: 3}},
		{&s.totalMoney, excelize.Style{Font: bold, CustomNumFmt: &moneyFmt}},
		{&s.percent, excelize.Style{NumFmt: 10}}, // 0.00%
		{&s.headerWrap, excelize.Style{Font: bold, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
			Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}},
		{&s.headerNum, excelize.Style{Font: bold, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
			Alignment: &excelize.Alignment{Horizontal: "right"}}},
		{&s.countTop, excelize.Style{NumFmt: 3, Alignment: &excelize.Alignment{Vertical: "top"}}},
		{&s.link, excelize.Style{Font: &excelize.Font{Color: "0563C1", Underline: "single"}}},
		{&s.differ, excelize.Style{Fill: xlsxDifferFill}},
		{&s.differDate, excelize.Style{Fill: xlsxDifferFill, CustomNumFmt: &dateFmt}},
		{&s.differMoney, excelize.Style{Fill: xlsxDifferFill, CustomNumFmt: &moneyFmt}},
	} {
		id, err := f.NewStyle(&d.style)
		if err != nil {
			return nil, err
		}
		*d.id = id
	}
	var err error
	s.response, err = newXLSXResponseStyles(f)
	return s, err
}

// xlsxSummary collects the Summary sheet's rows (a few hundred at most) so the
// column widths can be fitted before the stream writer needs them.
type xlsxSummary struct {
	st      *xlsxStyles
	rows    [][]any
	fit     []bool    // whether the row's cells size the columns
	heights []float64 // row heights in points; 0 for the default
	paras   []int     // rows holding a paragraph (see para)
	links   []xlsxLink
	charts  []xlsxPlacedChart
}

// xlsxLink is a link from a cell to a place in the workbook.
type xlsxLink struct{ cell, target string }

func (b *xlsxSummary) line(fit bool, cells ...any) {
	b.rows = append(b.rows, cells)
	b.fit = append(b.fit, fit)
	b.heights = append(b.heights, 0)
}

// para adds a paragraph: text wrapped across the width of the sheet's
// tables (writeXLSXRows merges the cells), which a long line spilling to
// the right would leave cut off on paper.
func (b *xlsxSummary) para(text string) {
	b.paras = append(b.paras, len(b.rows))
	b.line(false, excelize.Cell{StyleID: b.st.wrap, Value: text})
}

// link adds a line whose first cell links to a sheet.
func (b *xlsxSummary) link(sheet string, cells ...any) {
	b.links = append(b.links, xlsxLink{cell: "A" + strconv.Itoa(len(b.rows)+1), target: xlsxSheetRef(sheet) + "!A1"})
	// Not fitted: the text beside the link may spill to the right.
	b.line(false, append([]any{excelize.Cell{StyleID: b.st.link, Value: sheet}}, cells...)...)
}

func (b *xlsxSummary) section(title string) {
	b.line(false)
	b.line(false, excelize.Cell{StyleID: b.st.section, Value: title})
}

func (b *xlsxSummary) header(titles ...string) {
	cells := make([]any, len(titles))
	for i, t := range titles {
		cells[i] = excelize.Cell{StyleID: b.st.header, Value: t}
	}
	b.line(true, cells...)
}

// numberHeader heads a table whose columns after the first hold numbers:
// their titles align right, over the figures.
func (b *xlsxSummary) numberHeader(titles ...string) {
	cells := make([]any, len(titles))
	for i, t := range titles {
		style := b.st.headerNum
		if i == 0 {
			style = b.st.header
		}
		cells[i] = excelize.Cell{StyleID: style, Value: t}
	}
	b.line(true, cells...)
}

// wrappedHeader is a header on two lines, for a table of many narrow
// columns that must not widen the sheet.
func (b *xlsxSummary) wrappedHeader(titles ...string) {
	cells := make([]any, len(titles))
	for i, t := range titles {
		cells[i] = excelize.Cell{StyleID: b.st.headerWrap, Value: t}
	}
	b.line(true, cells...)
	b.heights[len(b.heights)-1] = 30
}

func (b *xlsxSummary) count(h rowHide, n int64, style int) any {
	if h != rowShown {
		return excelize.Cell{StyleID: b.st.hidden, Value: xlsxSuppressed}
	}
	return excelize.Cell{StyleID: style, Value: n}
}

// people renders a count of people: only a small one reads "<11"; the rest
// of a hidden row, and rows hidden to protect it, read "suppressed".
func (b *xlsxSummary) people(h rowHide, n int64, style int) any {
	if h == rowHiddenSmall {
		return excelize.Cell{StyleID: b.st.hidden, Value: xlsxSmallCell}
	}
	return b.count(h, n, style)
}

func (b *xlsxSummary) money(h rowHide, m Money, style int) any {
	if h != rowShown {
		return excelize.Cell{StyleID: b.st.hidden, Value: xlsxSuppressed}
	}
	return excelize.Cell{StyleID: style, Value: m.Dollars()}
}

// widths fits each column to its longest fitted cell. The tables share
// columns, so wrapped text counts for at most wrapWidth and nothing for more
// than maxWidth.
func (b *xlsxSummary) widths() []float64 {
	const minWidth, wrapWidth, headerWidth, maxWidth = 8, 20, 11, 40
	var out []float64
	for i, row := range b.rows {
		if !b.fit[i] {
			continue
		}
		for col, v := range row {
			if col >= len(out) {
				out = append(out, minWidth)
			}
			w := xlsxCellWidth(v)
			if c, ok := v.(excelize.Cell); ok && c.StyleID == b.st.wrap {
				w = min(w, wrapWidth)
			}
			if c, ok := v.(excelize.Cell); ok && c.StyleID == b.st.headerWrap {
				w = min(w, headerWidth)
			}
			out[col] = max(out[col], min(float64(w+2), maxWidth))
		}
	}
	return out
}

// xlsxCellWidth estimates the characters a cell displays.
func xlsxCellWidth(v any) int {
	switch v := v.(type) {
	case excelize.Cell:
		return xlsxCellWidth(v.Value)
	case string:
		return utf8.RuneCountInString(v)
	case int64:
		n := len(strconv.FormatInt(v, 10))
		return n + n/3 // thousands separators
	case float64:
		n := len(strconv.FormatFloat(v, 'f', 0, 64))
		return n + n/3 + 4 // separators, "$" and cents
	case time.Time:
		return len(xlsxDatetimeFormat)
	}
	return 0
}

func xlsxText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func xlsxSeverityTitle(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// buildXLSXSummary lays the Summary out for two printed pages: the
// headline figures, the findings by category and the charts first, then
// the detail (matching, issuers, how to read and answer the workbook, its
// sheets, the inputs, warnings). sheets lists the workbook's sheets.
func buildXLSXSummary(r *Report, st *xlsxStyles, charts []*excelize.Chart, sheets []string) *xlsxSummary {
	b := &xlsxSummary{st: st}
	agg := r.Options.AggregateOnly
	s := r.Summary

	b.line(false, excelize.Cell{StyleID: st.title, Value: "enrollaudit report"})
	d := Disclose(s, agg)
	b.integrityLines(s, d)
	var generated any
	if !r.GeneratedAt.IsZero() {
		// Excel datetimes carry no zone, so the label says which one.
		generated = excelize.Cell{StyleID: st.datetime, Value: r.GeneratedAt.UTC()}
	}
	b.line(true, "Generated at (UTC)", generated)
	// Long single values may spill into the empty cells to their right rather
	// than widen a column the tables below share.
	b.line(false, "Tool", xlsxText(strings.TrimSpace(r.Tool.Name+" "+r.Tool.Version)))
	b.line(false, "Rules content hash", xlsxText(r.Rules.ContentHash))
	if r.Options.RevealPII {
		b.line(false, excelize.Cell{StyleID: st.warning, Value: "Personal data revealed: full SSNs are shown (--reveal-pii)"})
	}
	if agg {
		b.para("Aggregate only: findings are not listed; people counts from 1 to 10 read " +
			xlsxSmallCell + ", and the other figures of their row, and of rows that would let them be recovered, read " + xlsxSuppressed + ".")
	}

	b.categoryTable(s, d)
	b.placeCharts(charts)

	b.section("Matching")
	b.numberHeader("Measure", "Count")
	for _, m := range []struct {
		label string
		cell  any
	}{
		{"Marketplace rows", b.count(rowShown, s.MarketplaceRows, st.count)},
		{"Insurer rows", b.count(rowShown, s.InsurerRows, st.count)},
		{"Marketplace rows rejected", b.count(rowShown, s.MarketplaceRejected, st.count)},
		{"Insurer rows rejected", b.count(rowShown, s.InsurerRejected, st.count)},
		{"Marketplace policies", b.count(rowShown, s.MarketplacePolicies, st.count)},
		{"Insurer policies", b.count(rowShown, s.InsurerPolicies, st.count)},
		{"Matched members", b.people(d.MatchedMembers, s.MatchedMembers, st.count)},
		{"Matched policies", b.count(rowShown, s.MatchedPolicies, st.count)},
		{"People affected", b.people(d.Total.People, s.PeopleAffected, st.count)},
		{"Policies affected", b.count(d.Total.Policies, s.PoliciesAffected, st.count)},
	} {
		b.line(true, m.label, m.cell)
	}

	if r.History != nil {
		xlsxLifecycleSummary(b, r.History, d)
	}

	b.section("Findings by issuer")
	b.numberHeader("Issuer HIOS ID", "Findings", "People", "Policies", "Monthly $")
	for i, h := range d.Issuers {
		is := s.Issuers[i]
		b.line(true, xlsxText(is.IssuerHIOSID), b.count(d.IssuerFindings[i], is.Findings, st.count), b.people(h, is.People, st.count),
			b.count(h, is.Policies, st.count), b.money(h, is.MonthlyAmount, st.money))
	}
	if len(s.Issuers) > 0 {
		b.line(false, "Each issuer's findings by category are on the "+xlsxByIssuerSheet+" sheet.")
	}

	b.section("Monthly dollar impact")
	b.numberHeader("Measure", "Monthly $")
	b.line(true, "Subsidy differences (APTC, CSR)", b.money(d.Subsidy, s.MonthlySubsidyDifference, st.money))
	b.line(true, "Premium differences", b.money(d.Premium, s.MonthlyPremiumDifference, st.money))
	b.line(false, "Sums of absolute monthly differences.")

	b.howToRead(r)
	b.sheetsBlock(r, sheets)
	if !agg {
		b.respondBlock()
	}
	b.dispositionsBlock(s.Dispositions)

	b.section("Inputs")
	b.header("Side", "Path", "Format", "Mapping", "Bytes", "SHA-256", "Rows loaded", "Rows rejected")
	for _, in := range r.Inputs {
		b.line(true, xlsxText(in.Side), excelize.Cell{StyleID: st.wrap, Value: in.Path}, xlsxText(in.Format), excelize.Cell{StyleID: st.wrap, Value: xlsxText(in.Mapping)},
			b.count(rowShown, in.Bytes, st.count), excelize.Cell{StyleID: st.wrap, Value: in.SHA256},
			b.count(rowShown, in.RowsLoaded, st.count), b.count(rowShown, in.RowsRejected, st.count))
	}

	// What limits the audit (a rule that could not run, a file read as
	// Latin-1) belongs beside the numbers it qualifies.
	if len(r.Warnings) > 0 {
		b.section("Warnings")
		for _, w := range r.Warnings {
			b.para(w)
		}
	}
	return b
}

// xlsxByIssuerSheet holds the findings by issuer and category: eleven
// columns of categories would make the Summary too wide to print legibly.
const xlsxByIssuerSheet = "By issuer"

// buildXLSXByIssuer is the By issuer sheet.
func buildXLSXByIssuer(r *Report, st *xlsxStyles) *xlsxSummary {
	b := &xlsxSummary{st: st}
	s := r.Summary
	d := Disclose(s, r.Options.AggregateOnly)
	header := []string{"Issuer HIOS ID", "Findings", "People", "Policies"}
	for _, c := range canonical.Categories {
		header = append(header, CategoryTitles[c])
	}
	b.wrappedHeader(append(header, "Monthly $")...)
	for i, h := range d.Issuers {
		is := s.Issuers[i]
		row := []any{xlsxText(is.IssuerHIOSID), b.count(d.IssuerFindings[i], is.Findings, st.count), b.people(h, is.People, st.count),
			b.count(h, is.Policies, st.count)}
		for j, c := range canonical.Categories {
			row = append(row, b.count(d.IssuerCategory[i][j], is.ByCategory[c], st.count))
		}
		b.line(true, append(row, b.money(h, is.MonthlyAmount, st.money))...)
	}
	return b
}

// categoryTable is the findings by category and severity, with totals.
func (b *xlsxSummary) categoryTable(s Summary, d Disclosure) {
	st := b.st
	b.section("Findings by category")
	header := []string{"Category"}
	for _, sev := range canonical.Severities {
		header = append(header, xlsxSeverityTitle(sev))
	}
	b.numberHeader(append(header, "Total", "People", "Policies", "Monthly $ (abs)", "Monthly $ (net)")...)
	byCat := make(map[string]CategorySummary, len(s.Categories))
	catHide := make([]rowHide, len(canonical.Categories))
	for i, cs := range s.Categories {
		byCat[cs.Category] = cs
		catHide[slices.Index(canonical.Categories, cs.Category)] = d.Categories[i]
	}
	total := CategorySummary{BySeverity: map[string]int64{}}
	for i, c := range canonical.Categories {
		cs, h := byCat[c], catHide[i]
		row := []any{CategoryTitles[c]}
		for _, sev := range canonical.Severities {
			row = append(row, b.count(h, cs.BySeverity[sev], st.count))
			total.BySeverity[sev] += cs.BySeverity[sev]
		}
		b.line(true, append(row, b.count(h, cs.Findings, st.count), b.people(h, cs.People, st.count),
			b.count(h, cs.Policies, st.count), b.money(h, cs.MonthlyAmount, st.money),
			b.money(h, cs.MonthlyAmountNet, st.money))...)
		total.Findings += cs.Findings
		total.MonthlyAmount += cs.MonthlyAmount
		total.MonthlyAmountNet += cs.MonthlyAmountNet
	}
	// The total row sums the rows above, so the table adds up, except for
	// people and policies, which are distinct counts.
	row := []any{excelize.Cell{StyleID: st.totalLabel, Value: "Total"}}
	for _, sev := range canonical.Severities {
		row = append(row, b.count(d.Total.BySeverity[sev], total.BySeverity[sev], st.totalCount))
	}
	b.line(true, append(row, b.count(d.Total.Findings, total.Findings, st.totalCount), b.people(d.Total.People, s.PeopleAffected, st.totalCount),
		b.count(d.Total.Policies, s.PoliciesAffected, st.totalCount), b.money(d.Total.Amount, total.MonthlyAmount, st.totalMoney),
		b.money(d.Total.AmountNet, total.MonthlyAmountNet, st.totalMoney))...)
	b.line(false, "People and policies are counted once in the total even when they appear in several categories. Net $ is marketplace minus insurer.")
}

func writeXLSXSummary(f *excelize.File, st *xlsxStyles, r *Report, charts []*excelize.Chart) error {
	b := buildXLSXSummary(r, st, charts, f.GetSheetList())
	// The Summary prints on at most two pages, scaled down if need be.
	return writeXLSXRows(f, r, xlsxSummarySheet, b, xlsxSheetPrint{pagesTall: 2})
}

// writeXLSXRows writes a sheet of rows collected by an xlsxSummary.
func writeXLSXRows(f *excelize.File, r *Report, sheet string, b *xlsxSummary, p xlsxSheetPrint) error {
	sw, err := newXLSXSheet(f, r, sheet, p)
	if err != nil {
		return err
	}
	// Right to left, for the column order Excel expects (see xlsxCategoryWriter.open).
	widths := b.widths()
	for i := len(widths) - 1; i >= 0; i-- {
		if err := sw.SetColWidth(i+1, i+1, widths[i]); err != nil {
			return err
		}
	}
	for _, i := range b.paras {
		b.heights[i] = xlsxParaHeight(xlsxCellWidth(b.rows[i][0]), widths)
		last, _ := excelize.ColumnNumberToName(max(len(widths), 1))
		if err := sw.MergeCell("A"+strconv.Itoa(i+1), last+strconv.Itoa(i+1)); err != nil {
			return err
		}
	}
	for i, row := range b.rows {
		if len(row) == 0 {
			continue
		}
		if b.heights[i] == 0 {
			b.heights[i] = b.wrappedHeight(row, widths)
		}
		var opts []excelize.RowOpts
		if h := b.heights[i]; h > 0 {
			opts = append(opts, excelize.RowOpts{Height: h})
		}
		if err := sw.SetRow("A"+strconv.Itoa(i+1), row, opts...); err != nil {
			return err
		}
	}
	for _, l := range b.links {
		if err := f.SetCellHyperLink(sheet, l.cell, l.target, "Location"); err != nil {
			return err
		}
	}
	for _, c := range b.charts {
		if err := f.AddChart(sheet, c.anchor(widths), c.chart); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// wrappedHeight is the height in points of a row with wrapped cells
// (0: the default), which Excel and LibreOffice do not fit to a streamed
// row themselves.
func (b *xlsxSummary) wrappedHeight(row []any, widths []float64) float64 {
	lines := 1
	for col, v := range row {
		if c, ok := v.(excelize.Cell); ok && c.StyleID == b.st.wrap && col < len(widths) {
			lines = max(lines, xlsxWrappedLines(fmt.Sprint(c.Value), int(widths[col])-1))
		}
	}
	if lines == 1 {
		return 0
	}
	return float64(lines) * 15
}

// xlsxParaHeight is the height in points of a paragraph of chars
// characters wrapped across columns of the given widths, with room to
// spare: Excel does not fit the height of merged cells itself.
func xlsxParaHeight(chars int, widths []float64) float64 {
	var total float64
	for _, w := range widths {
		total += w
	}
	total = max(total, 40)
	lines := int(float64(chars)*1.1/total) + 1
	return float64(lines) * 15
}

// xlsxColumn is one column of a category sheet.
type xlsxColumn struct {
	header string
	width  float64
	style  int // column style for typed values; 0 for text
	value  func(*Finding) any
}

// xlsxColumns are a category sheet's columns. What prints comes first,
// through Message (xlsxPrintedThrough): the finding, its answer and the
// message naming both sides' values; the side-by-side values and the
// source lines follow, on screen, where a sheet of every compared field
// would print too small to read on one page's width.
func xlsxColumns(st *xlsxStyles, fields []string, rules *xlsxRuleIndex) []xlsxColumn {
	cols := []xlsxColumn{
		{"ID", 18, 0, func(fd *Finding) any { return xlsxText(fd.ID) }},
	}
	cols = append(cols, xlsxResponseColumns(st)...)
	cols = append(cols, []xlsxColumn{
		{"Rule", 30, 0, func(fd *Finding) any { return rules.cell(fd.Rule) }},
		{"Severity", 9, 0, func(fd *Finding) any { return xlsxText(fd.Severity) }},
		{"Issuer HIOS ID", 9, 0, func(fd *Finding) any { return xlsxPtrText(fd.IssuerHIOSID) }},
		{"Exchange policy ID", 14, 0, func(fd *Finding) any { return xlsxPtrText(fd.ExchangePolicyID) }},
		{"Exchange member ID", 14, 0, func(fd *Finding) any { return xlsxPtrText(fd.ExchangeMemberID) }},
		{"Monthly difference", 12, st.money, func(fd *Finding) any {
			if fd.MonthlyAmountDifference == nil {
				return nil
			}
			return fd.MonthlyAmountDifference.Dollars()
		}},
		{xlsxPrintedThrough, xlsxMessageWidth, st.wrap, func(fd *Finding) any { return xlsxText(fd.Message) }},
		{"Segment", 9, 0, func(fd *Finding) any {
			if fd.Segment == 0 {
				return nil
			}
			return fd.Segment
		}},
		{"Side", 11, 0, func(fd *Finding) any { return xlsxText(fd.Side) }},
	}...)
	for _, field := range fields {
		cols = append(cols,
			xlsxSideColumn(st, "Marketplace", field, func(fd *Finding) map[string]*string { return fd.Marketplace }),
			xlsxSideColumn(st, "Insurer", field, func(fd *Finding) map[string]*string { return fd.Insurer }))
	}
	return append(cols,
		xlsxColumn{"Marketplace source", 30, 0, func(fd *Finding) any { return xlsxSourceText(fd.MarketplaceSource) }},
		xlsxColumn{"Insurer source", 30, 0, func(fd *Finding) any { return xlsxSourceText(fd.InsurerSource) }},
	)
}

// xlsxPrintedThrough heads the last column a category sheet prints.
const xlsxPrintedThrough = "Message"

// xlsxMessageWidth is the width of the Message column, whose text wraps.
const xlsxMessageWidth = 50

// xlsxWrappedLines estimates the lines text takes wrapped in a column of
// width characters (proportional text runs a little narrower than the
// digits column widths count, wrapping at spaces a little wider).
func xlsxWrappedLines(text string, width int) int {
	n := utf8.RuneCountInString(text)
	return (n*10/11 + width - 1) / width
}

// xlsxSideColumn is one side's value of a compared field, typed by the field's
// canonical kind so dates sort and money sums in Excel, and shaded where the
// finding compares it and the sides differ.
func xlsxSideColumn(st *xlsxStyles, side, field string, values func(*Finding) map[string]*string) xlsxColumn {
	kind := canonical.Text
	if fd, ok := canonical.Lookup(field); ok {
		kind = fd.Kind
	}
	col := xlsxColumn{header: side + " " + field, width: 18}
	differ := st.differ
	switch kind {
	case canonical.Date:
		col.width, col.style, differ = 12, st.date, st.differDate
	case canonical.Money:
		col.width, col.style, differ = 12, st.money, st.differMoney
	}
	col.value = func(fd *Finding) any {
		v := values(fd)[field]
		if xlsxDiffers(fd, field) {
			var typed any
			if v != nil && *v != "" {
				typed = xlsxTyped(kind, *v)
			}
			return excelize.Cell{StyleID: differ, Value: typed}
		}
		if v == nil || *v == "" {
			return nil
		}
		return xlsxTyped(kind, *v)
	}
	return col
}

// xlsxDiffers reports whether a finding compares field and finds the two
// sides' values different (an empty value differs from a present one).
// Values are the model's normalised text, so formatting never differs.
func xlsxDiffers(fd *Finding, field string) bool {
	if fd.Marketplace == nil || fd.Insurer == nil || !slices.Contains(fd.Fields, field) {
		return false
	}
	text := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	return text(fd.Marketplace[field]) != text(fd.Insurer[field])
}

// xlsxTyped converts a field's text for a cell; text that does not parse is
// kept as it is, since it is often the evidence (a malformed date, say).
func xlsxTyped(kind canonical.Kind, s string) any {
	switch kind {
	case canonical.Date:
		// Excel has no dates before 1900.
		if t, err := time.Parse(time.DateOnly, s); err == nil && t.Year() >= 1900 {
			return t
		}
	case canonical.Money:
		if v, ok := xlsxParseMoney(s); ok {
			return v
		}
	}
	return s
}

// xlsxParseMoney accepts the model's money text (-?digits[.digits]) and nothing
// looser, so that "NaN" or "1e9" stay text.
func xlsxParseMoney(s string) (float64, bool) {
	whole, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	if whole == "" || !xlsxAllDigits(whole) || !xlsxAllDigits(frac) {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

func xlsxAllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func xlsxPtrText(p *string) any {
	if p == nil {
		return nil
	}
	return xlsxText(*p)
}

func xlsxSourceText(s *Source) any {
	if s == nil || s.File == "" {
		return nil
	}
	if s.Line <= 0 {
		return s.File
	}
	return s.File + ":" + strconv.FormatInt(s.Line, 10)
}

// xlsxSheetName names part n of a category's sheets, shortening the title so the
// name fits Excel's 31 characters with its " (n)" suffix.
func xlsxSheetName(title string, part int) string {
	suffix := ""
	if part > 1 {
		suffix = " (" + strconv.Itoa(part) + ")"
	}
	if r := []rune(title); len(r)+len(suffix) > xlsxMaxSheetName {
		title = strings.TrimSpace(string(r[:xlsxMaxSheetName-len(suffix)]))
	}
	return title + suffix
}

func writeXLSXFindings(ctx context.Context, f *excelize.File, st *xlsxStyles, r *Report, rules *xlsxRuleIndex) error {
	fields := r.CategoryFields()
	for _, c := range canonical.Categories {
		if r.Summary.ByCategory[c] == 0 {
			continue
		}
		if r.Findings == nil {
			return fmt.Errorf("write %s sheet: report counts findings but has no finding source", c)
		}
		cols := xlsxColumns(st, fields[c], rules)
		if r.History != nil {
			cols = withLifecycleColumns(cols, st, r.History)
		}
		cw := &xlsxCategoryWriter{f: f, r: r, st: st, title: CategoryTitles[c], cols: cols, rules: rules, responses: true}
		if err := cw.write(ctx, r.Findings, c); err != nil {
			return fmt.Errorf("write %s sheet: %w", c, err)
		}
	}
	return nil
}

// xlsxCategoryWriter streams one category's findings over as many sheets as
// Excel's row limit requires.
type xlsxCategoryWriter struct {
	f     *excelize.File
	r     *Report
	st    *xlsxStyles
	title string
	cols  []xlsxColumn
	// rules counts the findings per rule; nil for sheets of other rows.
	rules *xlsxRuleIndex
	// responses: the sheet takes answers (xlsxresponse.go).
	responses bool
	part      int
	sheet     string
	sw        *excelize.StreamWriter
	rows      int // rows in the current sheet, header included
}

func (cw *xlsxCategoryWriter) write(ctx context.Context, src FindingSource, category string) error {
	if err := cw.open(); err != nil {
		return err
	}
	row := make([]any, len(cw.cols))
	n := 0
	err := src.Each(ctx, category, func(fd *Finding) error {
		if n%xlsxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		n++
		if cw.rows >= xlsxMaxRows {
			if err := cw.close(); err != nil {
				return err
			}
			if err := cw.open(); err != nil {
				return err
			}
		}
		for i, col := range cw.cols {
			row[i] = col.value(fd)
		}
		cw.rules.count(fd.Rule)
		cw.rows++
		// Excel and LibreOffice keep a streamed row at the default
		// height, so a message wrapped on several lines needs its own.
		if lines := xlsxWrappedLines(fd.Message, xlsxMessageWidth); lines > 1 {
			return cw.sw.SetRow("A"+strconv.Itoa(cw.rows), row, excelize.RowOpts{Height: float64(lines) * 15})
		}
		return cw.sw.SetRow("A"+strconv.Itoa(cw.rows), row)
	})
	if err != nil {
		return err
	}
	return cw.close()
}

// open starts the next sheet and writes its header row.
func (cw *xlsxCategoryWriter) open() error {
	cw.part++
	cw.sheet = xlsxSheetName(cw.title, cw.part)
	sw, err := newXLSXSheet(cw.f, cw.r, cw.sheet, xlsxSheetPrint{titleRows: true, personal: true})
	if err != nil {
		return err
	}
	header := make([]any, len(cw.cols))
	// excelize puts each column it touches first in the sheet's column list
	// and the stream writer writes that list as is; going right to left
	// leaves it in the ascending order Excel expects.
	for i := len(cw.cols) - 1; i >= 0; i-- {
		col := cw.cols[i]
		// Styled cell by cell: a row style would paint the whole row.
		// Wrapped, so narrow columns keep their headers whole.
		header[i] = excelize.Cell{StyleID: cw.st.headerWrap, Value: col.header}
		if err := sw.SetColWidth(i+1, i+1, col.width); err != nil {
			return err
		}
		if col.style != 0 {
			if err := sw.SetColStyle(i+1, i+1, col.style); err != nil {
				return err
			}
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := sw.SetRow("A1", header, excelize.RowOpts{Height: 30}); err != nil {
		return err
	}
	if at := slices.IndexFunc(cw.cols, func(c xlsxColumn) bool { return c.header == xlsxPrintedThrough }); at >= 0 {
		last, _ := excelize.ColumnNumberToName(at + 1)
		if err := cw.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Area", RefersTo: xlsxSheetRef(cw.sheet) + "!$A:$" + last,
			Scope: cw.sheet}); err != nil {
			return err
		}
	}
	cw.sw, cw.rows = sw, 1
	return nil
}

// close makes the sheet's rows an Excel table and ends the sheet.
func (cw *xlsxCategoryWriter) close() error {
	if err := xlsxAddTable(cw.sw, cw.sheet, len(cw.cols), cw.rows); err != nil {
		return err
	}
	protect := cw.protectSheet
	if cw.responses {
		protect = cw.protectResponses
	}
	if err := protect(); err != nil {
		return err
	}
	return cw.sw.Flush()
}

// xlsxAddTable makes a finding sheet's rows (header included) an Excel
// table: filter buttons, banded rows, and structured references a pivot
// table picks up without selecting a range. It goes on once the last row
// is known, before Flush.
func xlsxAddTable(sw *excelize.StreamWriter, sheet string, cols, rows int) error {
	last, err := excelize.ColumnNumberToName(cols)
	if err != nil {
		return err
	}
	return sw.AddTable(&excelize.Table{Range: "A1:" + last + strconv.Itoa(max(rows, 2)), Name: xlsxTableName(sheet),
		StyleName: xlsxTableStyle})
}

// xlsxTableName names a sheet's table after it ("Wrong plan (2)" is
// Wrong_plan_2): letters, digits and underscores only.
func xlsxTableName(sheet string) string {
	var b strings.Builder
	under := false
	for _, c := range sheet {
		if c < 128 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b.WriteRune(c)
			under = false
		} else if !under && b.Len() > 0 {
			b.WriteByte('_')
			under = true
		}
	}
	return "Findings_" + strings.TrimSuffix(b.String(), "_")
}
