package reports

import (
	"archive/zip"
	"compress/flate"
	"context"
	"fmt"
	"io"
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
// fastZip is a zip writer that deflates at the fastest level: at 10M
// members a side, compressing the sheets at the default level took a
// quarter of the workbook's time (1.1 s of 4.1 s).
func fastZip(w io.Writer) *zip.Writer {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	return zw
}

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
	if err := writeXLSXSummary(f, st, r); err != nil {
		return fmt.Errorf("write summary sheet: %w", err)
	}
	if !r.Options.AggregateOnly {
		if err := writeXLSXFindings(ctx, f, st, r); err != nil {
			return err
		}
		if err := writeXLSXAnswerSheets(f, st, r); err != nil {
			return err
		}
		if r.History != nil {
			if err := writeXLSXResolved(ctx, f, st, r.History); err != nil {
				return fmt.Errorf("write resolved sheet: %w", err)
			}
		}
	}
	// File.Write assembles the whole zip in a bytes.Buffer before copying it
	// to w; a zip writer on w streams the archive instead, so memory stays
	// flat however large the workbook is.
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return fastZip(w) })
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	return nil
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
	response                        xlsxResponseStyles
}

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
	st   *xlsxStyles
	rows [][]any
	fit  []bool // whether the row's cells size the columns
}

func (b *xlsxSummary) line(fit bool, cells ...any) {
	b.rows = append(b.rows, cells)
	b.fit = append(b.fit, fit)
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
	const minWidth, wrapWidth, maxWidth = 8, 34, 40
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

func buildXLSXSummary(r *Report, st *xlsxStyles) *xlsxSummary {
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
		b.line(false, excelize.Cell{StyleID: st.warning, Value: "Aggregate only: findings are not listed; people counts from 1 to 10 read " +
			xlsxSmallCell + ", and the other figures of their row, and of rows that would let them be recovered, read " + xlsxSuppressed + "."})
	}

	b.section("Inputs")
	b.header("Side", "Path", "Format", "Mapping", "Bytes", "SHA-256", "Rows loaded", "Rows rejected")
	for _, in := range r.Inputs {
		b.line(true, xlsxText(in.Side), excelize.Cell{StyleID: st.wrap, Value: in.Path}, xlsxText(in.Format), xlsxText(in.Mapping),
			b.count(rowShown, in.Bytes, st.count), excelize.Cell{StyleID: st.wrap, Value: in.SHA256},
			b.count(rowShown, in.RowsLoaded, st.count), b.count(rowShown, in.RowsRejected, st.count))
	}

	b.section("Matching")
	b.header("Measure", "Count")
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

	b.section("Findings by category")
	header := []string{"Category"}
	for _, sev := range canonical.Severities {
		header = append(header, xlsxSeverityTitle(sev))
	}
	b.header(append(header, "Total", "People", "Policies", "Monthly $ (abs)", "Monthly $ (net)")...)
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

	b.section("Findings by issuer")
	header = []string{"Issuer HIOS ID", "Findings", "People", "Policies"}
	for _, c := range canonical.Categories {
		header = append(header, CategoryTitles[c])
	}
	b.header(append(header, "Monthly $")...)
	for i, h := range d.Issuers {
		is := s.Issuers[i]
		row := []any{xlsxText(is.IssuerHIOSID), b.count(d.IssuerFindings[i], is.Findings, st.count), b.people(h, is.People, st.count),
			b.count(h, is.Policies, st.count)}
		for j, c := range canonical.Categories {
			row = append(row, b.count(d.IssuerCategory[i][j], is.ByCategory[c], st.count))
		}
		b.line(true, append(row, b.money(h, is.MonthlyAmount, st.money))...)
	}

	b.section("Monthly dollar impact")
	b.header("Measure", "Monthly $")
	b.line(true, "Subsidy differences (APTC, CSR)", b.money(d.Subsidy, s.MonthlySubsidyDifference, st.money))
	b.line(true, "Premium differences", b.money(d.Premium, s.MonthlyPremiumDifference, st.money))
	b.line(false, "Sums of absolute monthly differences.")

	if !agg {
		b.respondBlock()
	}
	b.dispositionsBlock(s.Dispositions)

	// What limits the audit (a rule that could not run, a file read as
	// Latin-1) belongs beside the numbers it qualifies.
	if len(r.Warnings) > 0 {
		b.section("Warnings")
		for _, w := range r.Warnings {
			b.line(false, xlsxText(w))
		}
	}
	return b
}

func writeXLSXSummary(f *excelize.File, st *xlsxStyles, r *Report) error {
	if err := f.SetSheetName(f.GetSheetName(0), xlsxSummarySheet); err != nil {
		return err
	}
	if err := writeXLSXRows(f, xlsxSummarySheet, buildXLSXSummary(r, st)); err != nil {
		return err
	}
	if r.Summary.Integrity == nil {
		return nil
	}
	if _, err := f.NewSheet(xlsxIntegritySheet); err != nil {
		return err
	}
	return writeXLSXRows(f, xlsxIntegritySheet, buildXLSXIntegrity(r, st))
}

// writeXLSXRows writes a sheet of rows collected by an xlsxSummary.
func writeXLSXRows(f *excelize.File, sheet string, b *xlsxSummary) error {
	sw, err := f.NewStreamWriter(sheet)
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
	for i, row := range b.rows {
		if len(row) == 0 {
			continue
		}
		if err := sw.SetRow("A"+strconv.Itoa(i+1), row); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// xlsxColumn is one column of a category sheet.
type xlsxColumn struct {
	header string
	width  float64
	style  int // column style for typed values; 0 for text
	value  func(*Finding) any
}

func xlsxColumns(st *xlsxStyles, fields []string) []xlsxColumn {
	cols := []xlsxColumn{
		{"ID", 26, 0, func(fd *Finding) any { return xlsxText(fd.ID) }},
	}
	cols = append(cols, xlsxResponseColumns(st)...)
	cols = append(cols, []xlsxColumn{
		{"Rule", 24, 0, func(fd *Finding) any { return xlsxText(fd.Rule) }},
		{"Severity", 14, 0, func(fd *Finding) any { return xlsxText(fd.Severity) }},
		{"Issuer HIOS ID", 16, 0, func(fd *Finding) any { return xlsxPtrText(fd.IssuerHIOSID) }},
		{"Exchange policy ID", 22, 0, func(fd *Finding) any { return xlsxPtrText(fd.ExchangePolicyID) }},
		{"Exchange member ID", 22, 0, func(fd *Finding) any { return xlsxPtrText(fd.ExchangeMemberID) }},
		{"Segment", 14, 0, func(fd *Finding) any {
			if fd.Segment == 0 {
				return nil
			}
			return fd.Segment
		}},
		{"Side", 14, 0, func(fd *Finding) any { return xlsxText(fd.Side) }},
	}...)
	for _, field := range fields {
		cols = append(cols,
			xlsxSideColumn(st, "Marketplace", field, func(fd *Finding) map[string]*string { return fd.Marketplace }),
			xlsxSideColumn(st, "Insurer", field, func(fd *Finding) map[string]*string { return fd.Insurer }))
	}
	return append(cols,
		xlsxColumn{"Monthly difference", 20, st.money, func(fd *Finding) any {
			if fd.MonthlyAmountDifference == nil {
				return nil
			}
			return fd.MonthlyAmountDifference.Dollars()
		}},
		xlsxColumn{"Message", 60, 0, func(fd *Finding) any { return xlsxText(fd.Message) }},
		xlsxColumn{"Marketplace source", 36, 0, func(fd *Finding) any { return xlsxSourceText(fd.MarketplaceSource) }},
		xlsxColumn{"Insurer source", 36, 0, func(fd *Finding) any { return xlsxSourceText(fd.InsurerSource) }},
	)
}

// xlsxSideColumn is one side's value of a compared field, typed by the field's
// canonical kind so dates sort and money sums in Excel.
func xlsxSideColumn(st *xlsxStyles, side, field string, values func(*Finding) map[string]*string) xlsxColumn {
	kind := canonical.Text
	if fd, ok := canonical.Lookup(field); ok {
		kind = fd.Kind
	}
	col := xlsxColumn{header: side + " " + field, width: 20}
	switch kind {
	case canonical.Date:
		col.width, col.style = 14, st.date
	case canonical.Money:
		col.width, col.style = 14, st.money
	}
	// Room for the header and its filter button.
	col.width = max(col.width, min(float64(len(col.header)+4), 40))
	col.value = func(fd *Finding) any {
		v := values(fd)[field]
		if v == nil || *v == "" {
			return nil
		}
		return xlsxTyped(kind, *v)
	}
	return col
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

func writeXLSXFindings(ctx context.Context, f *excelize.File, st *xlsxStyles, r *Report) error {
	fields := r.CategoryFields()
	for _, c := range canonical.Categories {
		if r.Summary.ByCategory[c] == 0 {
			continue
		}
		if r.Findings == nil {
			return fmt.Errorf("write %s sheet: report counts findings but has no finding source", c)
		}
		cols := xlsxColumns(st, fields[c])
		if r.History != nil {
			cols = withLifecycleColumns(cols, st, r.History)
		}
		cw := &xlsxCategoryWriter{f: f, st: st, title: CategoryTitles[c], cols: cols}
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
	st    *xlsxStyles
	title string
	cols  []xlsxColumn
	part  int
	sheet string
	sw    *excelize.StreamWriter
	rows  int // rows in the current sheet, header included
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
		cw.rows++
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
	if _, err := cw.f.NewSheet(cw.sheet); err != nil {
		return err
	}
	sw, err := cw.f.NewStreamWriter(cw.sheet)
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
		header[i] = excelize.Cell{StyleID: cw.st.header, Value: col.header}
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
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	cw.sw, cw.rows = sw, 1
	return nil
}

// close adds the autofilter and ends the current sheet.
func (cw *xlsxCategoryWriter) close() error {
	last, err := excelize.ColumnNumberToName(len(cw.cols))
	if err != nil {
		return err
	}
	// AutoFilter records the range on the worksheet the stream writer still
	// holds, so it goes after the last row is known and before Flush.
	if err := cw.f.AutoFilter(cw.sheet, "A1:"+last+strconv.Itoa(cw.rows), nil); err != nil {
		return err
	}
	if err := cw.protectResponses(); err != nil {
		return err
	}
	return cw.sw.Flush()
}
