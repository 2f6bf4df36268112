package reports

import (
	"strings"

	"github.com/xuri/excelize/v2"
)

// How the workbook prints (docs/workbook.md "Printing"): every sheet
// landscape on Letter paper, one page wide, its header row repeated on
// every page, a footer naming the sheet, the page and the run's as-of
// date, and a header marking the sheets that hold personal data.

// xlsxPersonalDataHeader heads every printed page of a sheet that lists
// findings (names, birth dates, member IDs): a printout left on a desk
// says what it is.
const xlsxPersonalDataHeader = "Contains personal data"

// xlsxSheetPrint is how one sheet prints.
type xlsxSheetPrint struct {
	// pagesTall caps the printed height in pages (0: as many as needed);
	// the sheet is scaled down to fit.
	pagesTall int
	// titleRows repeats the sheet's first row on every page.
	titleRows bool
	// personal marks the pages "Contains personal data".
	personal bool
}

// newXLSXSheet creates a sheet (the Summary exists already), sets how it
// prints and opens its stream writer. The fit-to-page flag lives in the
// sheet's properties, which the stream writer writes when it opens; the
// rest of the print setup is written on Flush.
func newXLSXSheet(f *excelize.File, r *Report, sheet string, p xlsxSheetPrint) (*excelize.StreamWriter, error) {
	if idx, err := f.GetSheetIndex(sheet); err != nil {
		return nil, err
	} else if idx < 0 {
		if _, err := f.NewSheet(sheet); err != nil {
			return nil, err
		}
	}
	if err := setXLSXPrint(f, r, sheet, p); err != nil {
		return nil, err
	}
	return f.NewStreamWriter(sheet)
}

func setXLSXPrint(f *excelize.File, r *Report, sheet string, p xlsxSheetPrint) error {
	fit := true
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	orientation, paper, wide, tall := "landscape", 1, 1, p.pagesTall // paper 1: Letter
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &orientation, Size: &paper,
		FitToWidth: &wide, FitToHeight: &tall}); err != nil {
		return err
	}
	side, top, edge := 0.4, 0.6, 0.25 // inches: narrow margins leave the page to the data
	if err := f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{Left: &side, Right: &side, Top: &top, Bottom: &top,
		Header: &edge, Footer: &edge}); err != nil {
		return err
	}
	hf := &excelize.HeaderFooterOptions{OddFooter: xlsxFooter(r)}
	if p.personal {
		hf.OddHeader = `&C&"-,Bold"` + xlsxPersonalDataHeader
	}
	if err := f.SetHeaderFooter(sheet, hf); err != nil {
		return err
	}
	if !p.titleRows {
		return nil
	}
	return f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: xlsxSheetRef(sheet) + "!$1:$1", Scope: sheet})
}

// xlsxFooter is "sheet – page x of y – as of date": the as-of date of a
// run recorded in a history, else the day the report was made.
func xlsxFooter(r *Report) string {
	footer := "&A – page &P of &N"
	switch {
	case r.History != nil:
		footer += " – as of " + r.History.AsOf.Format("2006-01-02")
	case !r.GeneratedAt.IsZero():
		footer += " – as of " + r.GeneratedAt.UTC().Format("2006-01-02")
	}
	return "&C" + footer
}

// xlsxSheetRef quotes a sheet name for a formula or a link.
func xlsxSheetRef(sheet string) string {
	return "'" + strings.ReplaceAll(sheet, "'", "''") + "'"
}
