package reports

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/enrollaudit/enrollaudit/canonical"
)

// xlsxLocked reports whether the cell at ref is locked under sheet protection
// (a style without a protection element is locked, as in Excel).
func xlsxLocked(t *testing.T, f *excelize.File, sheet, ref string) bool {
	t.Helper()
	id, err := f.GetCellStyle(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	style, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	return style.Protection == nil || style.Protection.Locked
}

func TestXLSXResponseColumns(t *testing.T) {
	defer func(n int) { xlsxMaxRows = n }(xlsxMaxRows)
	xlsxMaxRows = 3 // header and two findings per sheet: the split sheets need the columns too

	findings := xlsxSampleFindings()
	until := "2027-01-31"
	findings[0].Disposition = &Disposition{Status: "waived", Comment: "known lag", Until: &until,
		RecordedAt: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), Source: "answers.xlsx"}
	f := writeXLSX(t, xlsxTestReport(findings))

	sheets := slices.DeleteFunc(f.GetSheetList()[1:], func(s string) bool { return s == xlsxRulesSheet || s == xlsxChartDataSheet })
	if !slices.Contains(sheets, "Wrong subsidy") {
		t.Fatalf("sheets = %q", sheets)
	}
	for _, sheet := range sheets {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if got := rows[0][:4]; !slices.Equal(got, []string{"ID", "Disposition", "Comment", "Until"}) {
			t.Errorf("%s: first columns %q", sheet, got)
		}
		dvs, err := f.GetDataValidations(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if len(dvs) != 2 {
			t.Fatalf("%s: %d data validations, want 2 (one a column)", sheet, len(dvs))
		}
		list, date := dvs[0], dvs[1]
		if list.Type != "list" || list.Sqref != "B2:B1048576" || list.Formula1 != `"`+strings.Join(canonical.Dispositions, ",")+`"` {
			t.Errorf("%s: disposition validation = %+v", sheet, list)
		}
		if date.Type != "date" || date.Sqref != "D2:D1048576" {
			t.Errorf("%s: until validation = %+v", sheet, date)
		}
		// Response cells are unlocked, written or not, below the last
		// finding too; everything else is locked.
		for _, ref := range []string{"B2", "C2", "D2", "B3", "D100"} {
			if xlsxLocked(t, f, sheet, ref) {
				t.Errorf("%s!%s is locked", sheet, ref)
			}
		}
		for _, ref := range []string{"A2", "E2", "B1", "L2"} {
			if !xlsxLocked(t, f, sheet, ref) {
				t.Errorf("%s!%s is not locked", sheet, ref)
			}
		}
	}
	// The pre-filled disposition, with Until a real date.
	xlsxWantText(t, f, "Wrong subsidy", "B2", "waived")
	xlsxWantText(t, f, "Wrong subsidy", "C2", "known lag")
	xlsxWantNumber(t, f, "Wrong subsidy", "D2", "46418", until, xlsxDateFormat)
	xlsxWantText(t, f, "Wrong subsidy", "B3", "")

	// Protected without a password, filters still usable.
	var buf bytes.Buffer
	if err := (XLSX{}).Write(context.Background(), &buf, xlsxTestReport(findings)); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for i := range sheets {
		name := fmt.Sprintf("xl/worksheets/sheet%d.xml", i+2)
		zf, err := zr.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(zf)
		zf.Close()
		prot := xlsxElement(string(b), "sheetProtection")
		if prot == "" || !strings.Contains(prot, `sheet="true"`) || strings.Contains(prot, "assword") || strings.Contains(prot, "hashValue") ||
			strings.Contains(prot, `autoFilter="true"`) {
			t.Errorf("%s: sheetProtection = %q, want the sheet protected, no password, filters allowed", name, prot)
		}
	}
	summary, err := f.GetRows(xlsxSummarySheet)
	if err != nil {
		t.Fatal(err)
	}
	at := slices.IndexFunc(summary, func(r []string) bool { return len(r) > 0 && r[0] == "How to respond" })
	if at < 0 {
		t.Fatal("no How to respond block on the Summary sheet")
	}
	for i, d := range canonical.Dispositions {
		if row := summary[at+2+i]; row[0] != d || row[1] != canonical.DispositionMeanings[d] {
			t.Errorf("How to respond row %d = %q, want %s", i, row, d)
		}
	}
}

// xlsxElement returns the first <name .../> element of doc.
func xlsxElement(doc, name string) string {
	i := strings.Index(doc, "<"+name+" ")
	if i < 0 {
		return ""
	}
	j := strings.Index(doc[i:], ">")
	return doc[i : i+j+1]
}
