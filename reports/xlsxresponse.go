package reports

import (
	"strconv"
	"strings"
	"time"

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
		{xlsxDispositionHeader, 16, st.response.text, func(fd *Finding) any {
			if fd.Disposition == nil {
				return nil
			}
			return xlsxText(fd.Disposition.Status)
		}},
		{xlsxCommentHeader, 40, st.response.text, func(fd *Finding) any {
			if fd.Disposition == nil {
				return nil
			}
			return xlsxText(fd.Disposition.Comment)
		}},
		{xlsxUntilHeader, 14, st.response.date, func(fd *Finding) any {
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
	until.SetError(excelize.DataValidationErrorStyleStop, "Until", "Enter a date, e.g. "+time.Now().AddDate(0, 3, 0).Format(time.DateOnly)+".")
	for _, dv := range []*excelize.DataValidation{list, until} {
		if err := cw.f.AddDataValidation(cw.sheet, dv); err != nil {
			return err
		}
	}
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
