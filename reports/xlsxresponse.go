package reports

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/enrollaudit/enrollaudit/canonical"
)

// The response columns of a finding sheet (docs/dispositions.md): right
// after ID, the three cells an insurer fills in. They are the only unlocked
// cells of a protected sheet, so a slip of the keyboard cannot change the
// evidence (the protection has no password: anyone who means to can lift it).
const (
	xlsxDispositionHeader = "Disposition"
	xlsxCommentHeader     = "Comment"
	xlsxUntilHeader       = "Until"
	xlsxResponseFirstCol  = 2 // column B, after ID
	xlsxResponseCols      = 3
)

// xlsxResponseStyles are the unlocked styles of the response columns.
type xlsxResponseStyles struct {
	text, date int
}

func newXLSXResponseStyles(f *excelize.File) (xlsxResponseStyles, error) {
	dateFmt := xlsxDateFormat
	unlocked := &excelize.Protection{Locked: false}
	text, err := f.NewStyle(&excelize.Style{Protection: unlocked, Fill: xlsxResponseFill})
	if err != nil {
		return xlsxResponseStyles{}, err
	}
	date, err := f.NewStyle(&excelize.Style{Protection: unlocked, Fill: xlsxResponseFill, CustomNumFmt: &dateFmt})
	return xlsxResponseStyles{text: text, date: date}, err
}

// xlsxResponseFill tints the cells to fill in, so they stand out.
var xlsxResponseFill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFF2CC"}}

// xlsxResponseColumns are Disposition, Comment and Until, pre-filled with
// the finding's latest disposition when the run has one. Their column
// styles unlock every cell of the column, written or not.
func xlsxResponseColumns(st *xlsxStyles) []xlsxColumn {
	return []xlsxColumn{
		{xlsxDispositionHeader, 13, st.response.text, func(fd *Finding) any {
			if fd.Disposition == nil {
				return nil
			}
			return xlsxText(fd.Disposition.Status)
		}},
		{xlsxCommentHeader, 18, st.response.text, func(fd *Finding) any {
			if fd.Disposition == nil {
				return nil
			}
			return xlsxText(fd.Disposition.Comment)
		}},
		{xlsxUntilHeader, 11, st.response.date, func(fd *Finding) any {
			if fd.Disposition == nil || fd.Disposition.Until == nil {
				return nil
			}
			return xlsxTyped(canonical.Date, *fd.Disposition.Until)
		}},
	}
}

// protectResponses adds the drop-down and date validations of the response
// columns (one record a column, over every row below the header, however
// many findings the sheet holds) and protects the sheet. Like AutoFilter,
// both go on the worksheet the stream writer holds, before Flush.
func (cw *xlsxCategoryWriter) protectResponses() error {
	col := func(i int) string {
		name, _ := excelize.ColumnNumberToName(xlsxResponseFirstCol + i)
		return name + "2:" + name + strconv.Itoa(excelize.TotalRows)
	}
	list := excelize.NewDataValidation(true)
	list.Sqref = col(0)
	if err := list.SetDropList(canonical.Dispositions); err != nil {
		return err
	}
	list.SetError(excelize.DataValidationErrorStyleStop, "Disposition",
		"Choose one of: "+strings.Join(canonical.Dispositions, ", ")+" (see How to respond on the Summary sheet).")
	until := excelize.NewDataValidation(true)
	until.Sqref = col(2)
	// Any date Excel can hold: 1900-01-01 to 9999-12-31.
	if err := until.SetRange(1, 2958465, excelize.DataValidationTypeDate, excelize.DataValidationOperatorBetween); err != nil {
		return err
	}
	until.SetError(excelize.DataValidationErrorStyleStop, "Until", "Enter a date (YYYY-MM-DD): the last day the waiver holds.")
	for _, dv := range []*excelize.DataValidation{list, until} {
		if err := cw.f.AddDataValidation(cw.sheet, dv); err != nil {
			return err
		}
	}
	return cw.protectSheet()
}

// protectSheet locks the sheet's cells against slips, filters and sorting
// still allowed.
func (cw *xlsxCategoryWriter) protectSheet() error {
	return cw.f.ProtectSheet(cw.sheet, &excelize.SheetProtectionOptions{
		SelectLockedCells: true, SelectUnlockedCells: true,
		AutoFilter: true, Sort: true, FormatColumns: true, FormatRows: true,
	})
}

// respondBlock is the Summary sheet's "How to respond": what each
// disposition means.
func (b *xlsxSummary) respondBlock() {
	b.section("How to respond")
	b.line(false, "Each finding sheet has three columns to fill in after ID: "+xlsxDispositionHeader+" (choose from the list), "+
		xlsxCommentHeader+" and "+xlsxUntilHeader+" (a date). The rest of the sheet is protected against slips (no password).")
	for _, d := range canonical.Dispositions {
		b.line(false, d, canonical.DispositionMeanings[d])
	}
	b.line(false, "Send the workbook back as it is: `enrollaudit dispositions import` reads every finding sheet. A disposition never closes a finding: only the data does.")
}

// dispositionsBlock counts the answers a run with a history honoured.
func (b *xlsxSummary) dispositionsBlock(d *DispositionSummary) {
	if d == nil {
		return
	}
	b.section("Dispositions")
	b.header("Measure", "Findings")
	for _, s := range canonical.Dispositions {
		b.line(true, "Answered "+s, b.count(rowShown, d.ByStatus[s], b.st.count))
	}
	b.line(true, "Waived (left out of the figures above)", b.count(rowShown, d.Waived, b.st.count))
	b.line(true, "Corrected but still there (correction not seen)", b.count(rowShown, d.CorrectionNotSeen, b.st.count))
}

// xlsxAnswerSheets are the Waived and Disputed sheets: the findings of one
// answer, whatever their category, with both sides' values as text, for the
// side that reviews the answers.
func writeXLSXAnswerSheets(f *excelize.File, st *xlsxStyles, r *Report, rules *xlsxRuleIndex) error {
	for _, s := range []struct {
		name     string
		findings []*Finding
	}{{"Waived", r.Waived}, {"Disputed", r.Disputed}} {
		if len(s.findings) == 0 {
			continue
		}
		if err := writeXLSXAnswerSheet(f, st, r, rules, s.name, s.findings); err != nil {
			return fmt.Errorf("write %s sheet: %w", s.name, err)
		}
	}
	return nil
}

func writeXLSXAnswerSheet(f *excelize.File, st *xlsxStyles, r *Report, rules *xlsxRuleIndex, sheet string, findings []*Finding) error {
	sw, err := newXLSXSheet(f, r, sheet, xlsxSheetPrint{titleRows: true, personal: true})
	if err != nil {
		return err
	}
	answer := func(fd *Finding) *Disposition {
		if fd.Disposition == nil {
			return &Disposition{}
		}
		return fd.Disposition
	}
	cols := []xlsxColumn{
		// Not "ID": these sheets are for reading, and dispositions import
		// reads the answers of sheets headed ID and Disposition.
		{"Finding ID", 20, 0, func(fd *Finding) any { return xlsxText(fd.ID) }},
		{xlsxDispositionHeader, 14, 0, func(fd *Finding) any { return xlsxText(answer(fd).Status) }},
		{xlsxCommentHeader, 40, st.wrap, func(fd *Finding) any { return xlsxText(answer(fd).Comment) }},
		{xlsxUntilHeader, 12, st.date, func(fd *Finding) any {
			if u := answer(fd).Until; u != nil {
				return xlsxTyped(canonical.Date, *u)
			}
			return nil
		}},
		{"Category", 20, 0, func(fd *Finding) any { return xlsxText(CategoryTitles[fd.Category]) }},
		{"Rule", 22, 0, func(fd *Finding) any { return rules.cell(fd.Rule) }},
		{"Severity", 10, 0, func(fd *Finding) any { return xlsxText(fd.Severity) }},
		{"Issuer HIOS ID", 14, 0, func(fd *Finding) any { return xlsxPtrText(fd.IssuerHIOSID) }},
		{"Exchange policy ID", 20, 0, func(fd *Finding) any { return xlsxPtrText(fd.ExchangePolicyID) }},
		{"Exchange member ID", 20, 0, func(fd *Finding) any { return xlsxPtrText(fd.ExchangeMemberID) }},
		{"Marketplace values", 34, st.wrap, func(fd *Finding) any { return xlsxValuesText(fd.Fields, fd.Marketplace) }},
		{"Insurer values", 34, st.wrap, func(fd *Finding) any { return xlsxValuesText(fd.Fields, fd.Insurer) }},
		{"Message", 50, 0, func(fd *Finding) any { return xlsxText(fd.Message) }},
		{"Recorded at (UTC)", 20, st.datetime, func(fd *Finding) any {
			if t := answer(fd).RecordedAt; !t.IsZero() {
				return t.UTC()
			}
			return nil
		}},
		{"Source", 24, 0, func(fd *Finding) any { return xlsxText(answer(fd).Source) }},
	}
	header := make([]any, len(cols))
	for i := len(cols) - 1; i >= 0; i-- { // right to left: see xlsxCategoryWriter.open
		header[i] = excelize.Cell{StyleID: st.header, Value: cols[i].header}
		if err := sw.SetColWidth(i+1, i+1, cols[i].width); err != nil {
			return err
		}
		if cols[i].style != 0 {
			if err := sw.SetColStyle(i+1, i+1, cols[i].style); err != nil {
				return err
			}
		}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	row := make([]any, len(cols))
	for n, fd := range findings {
		for i, c := range cols {
			row[i] = c.value(fd)
		}
		if err := sw.SetRow("A"+strconv.Itoa(n+2), row); err != nil {
			return err
		}
	}
	if err := xlsxAddTable(sw, sheet, len(cols), len(findings)+1); err != nil {
		return err
	}
	return sw.Flush()
}

// xlsxValuesText is one side's compared values as "field: value" lines;
// nil when that side has no record.
func xlsxValuesText(fields []string, values map[string]*string) any {
	if values == nil {
		return nil
	}
	if len(fields) == 0 {
		fields = slices.Sorted(maps.Keys(values))
	}
	var lines []string
	for _, f := range fields {
		v := "(empty)"
		if p := values[f]; p != nil && *p != "" {
			v = *p
		}
		lines = append(lines, f+": "+v)
	}
	return xlsxText(strings.Join(lines, "\n"))
}
