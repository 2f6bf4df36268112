package workbooktest

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// The workbook as a person opens it: converted by LibreOffice, headless,
// to PDF (as printing does) and back to xlsx (as saving does). CI installs
// libreoffice-calc (.ci/run); without it the test is skipped, and says so.
// A package of its own, so its minutes of LibreOffice run beside the other
// packages' tests rather than within one package's time limit.

// workbookPageLimit: every sheet of the fixtures' workbooks holds at most a
// page of rows, so a workbook prints on one page a sheet, plus the
// Summary's second page and the Rules sheet's second, and two to spare.
// The basic fixture's printed on 132 pages before the print setup, on 17
// with it (15 sheets).
const workbookPageLimit = 4

// TestWorkbookInLibreOffice converts the workbooks of fixtures/basic and
// of the second week of fixtures/weekly run with a history.
func TestWorkbookInLibreOffice(t *testing.T) {
	soffice := lookSoffice(t)
	dir := t.TempDir()
	books := map[string]struct {
		path   string
		charts int // on the Summary: by category, by issuer; with a history the two trends
	}{
		"basic":   {filepath.Join(basicRun(t), "report.xlsx"), 2},
		"history": {filepath.Join(weeklyHistoryRun(t), "report.xlsx"), 4},
	}
	var pdfIn, xlsxIn []string
	for name, b := range books {
		full := filepath.Join(dir, "in", name+".xlsx")
		workbookCopy(t, b.path, full)
		summary := filepath.Join(dir, "in", name+"-summary.xlsx")
		workbookSummaryOnly(t, b.path, summary)
		pdfIn = append(pdfIn, full, summary)
		xlsxIn = append(xlsxIn, full)
	}
	sofficeConvert(t, soffice, dir, "pdf", pdfIn)
	sofficeConvert(t, soffice, dir, "xlsx", xlsxIn)

	for name, b := range books {
		sheets := workbookSheets(t, b.path)
		pages := pdfPages(t, filepath.Join(dir, "pdf", name+".pdf"))
		t.Logf("%s: %d sheets print on %d pages", name, sheets, pages)
		if limit := sheets + workbookPageLimit; pages > limit {
			t.Errorf("%s: the workbook prints on %d pages, want at most %d (%d sheets)", name, pages, limit, sheets)
		}
		if pages < sheets-1 { // the Chart data sheet may share nothing, every other prints
			t.Errorf("%s: the workbook prints on %d pages, fewer than its %d sheets: sheets lost", name, pages, sheets)
		}
		if n := pdfPages(t, filepath.Join(dir, "pdf", name+"-summary.pdf")); n > 2 {
			t.Errorf("%s: the Summary prints on %d pages, want at most 2", name, n)
		}

		// Saved again by LibreOffice, the charts and tables are still there:
		// it read them as what they are.
		orig, saved := workbookParts(t, b.path), workbookParts(t, filepath.Join(dir, "xlsx", name+".xlsx"))
		if orig["chart"] != b.charts || saved["chart"] != b.charts {
			t.Errorf("%s: %d charts written, %d after LibreOffice, want %d", name, orig["chart"], saved["chart"], b.charts)
		}
		if orig["table"] == 0 || saved["table"] != orig["table"] {
			t.Errorf("%s: %d tables written, %d after LibreOffice", name, orig["table"], saved["table"])
		}
	}
}

func lookSoffice(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"soffice", "libreoffice"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("LibreOffice (soffice) is not installed: the workbook is not tried in a spreadsheet application (apt-get install libreoffice-calc)")
	return ""
}

var fixtures = filepath.Join("..", "..", "fixtures")

// enrollaudit is the command built once for these tests: the workbooks
// are made as a user makes them, by `enrollaudit run`.
var enrollaudit string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "workbooktest-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		enrollaudit = filepath.Join(dir, "enrollaudit")
		build := exec.Command("go", "build", "-o", enrollaudit, "../../cmd/enrollaudit")
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build enrollaudit: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}())
}

// runCommand runs `enrollaudit run` with args, quietly.
func runCommand(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(enrollaudit, append([]string{"run", "--quiet"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("enrollaudit run %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// basicRun audits fixtures/basic as the README's quick start does and
// returns the output directory.
func basicRun(t *testing.T) string {
	t.Helper()
	out := t.TempDir()
	in := filepath.Join(fixtures, "basic")
	runCommand(t, "--marketplace", filepath.Join(in, "marketplace.csv"), "--insurer", filepath.Join(in, "insurer.csv"),
		"--insurer-mapping", filepath.Join(in, "insurer-mapping.yaml"), "--out", out)
	return out
}

// weeklyHistoryRun audits both weeks of fixtures/weekly into one history
// and returns the second week's output directory.
func weeklyHistoryRun(t *testing.T) string {
	t.Helper()
	tmp := t.TempDir()
	hist := filepath.Join(tmp, "history.duckdb")
	var out string
	for week, asOf := range []string{"2026-07-20", "2026-07-27"} {
		name := "week-" + string(rune('1'+week))
		in := filepath.Join(fixtures, "weekly", name)
		out = filepath.Join(tmp, name)
		runCommand(t, "--marketplace", filepath.Join(in, "marketplace.csv"), "--insurer", filepath.Join(in, "insurer.csv"),
			"--insurer-mapping", filepath.Join(in, "insurer-mapping.yaml"), "--out", out, "--history", hist, "--as-of", asOf)
	}
	return out
}

// sofficeConvert has LibreOffice convert files into dir/<format>, with a profile
// of its own so parallel tests do not share one.
func sofficeConvert(t *testing.T, soffice, dir, format string, files []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	profile := "file://" + filepath.ToSlash(filepath.Join(dir, "profile"))
	args := append([]string{"-env:UserInstallation=" + profile, "--headless", "--norestore", "--convert-to", format,
		"--outdir", filepath.Join(dir, format)}, files...)
	cmd := exec.CommandContext(ctx, soffice, args...)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	outText, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("soffice --convert-to %s: %v\n%s", format, err, outText)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".xlsx") + "." + format
		if st, err := os.Stat(filepath.Join(dir, format, name)); err != nil || st.Size() == 0 {
			t.Fatalf("LibreOffice did not convert %s to %s: %v\n%s", filepath.Base(f), format, err, outText)
		}
	}
}

var pdfPage = regexp.MustCompile(`/Type\s*/Page[^s]`)

// pdfPages counts the page objects of a PDF.
func pdfPages(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("%s is not a PDF", path)
	}
	return len(pdfPage.FindAll(b, -1))
}

// workbookSummaryOnly writes a copy of a workbook that prints only its Summary
// (Chart data stays, hidden, for the charts).
func workbookSummaryOnly(t *testing.T, src, dst string) {
	t.Helper()
	f, err := excelize.OpenFile(src)
	if err != nil {
		t.Fatalf("open %s: %v", src, err)
	}
	defer f.Close()
	for _, sheet := range f.GetSheetList() {
		switch sheet {
		case "Summary":
		case "Chart data":
			if err := f.SetSheetVisible(sheet, false); err != nil {
				t.Fatal(err)
			}
		default:
			if err := f.DeleteSheet(sheet); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.SaveAs(dst); err != nil {
		t.Fatal(err)
	}
}

func workbookSheets(t *testing.T, path string) int {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return f.SheetCount
}

// workbookParts counts a workbook's charts and tables.
func workbookParts(t *testing.T, path string) map[string]int {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer zr.Close()
	n := map[string]int{}
	for _, f := range zr.File {
		switch {
		case strings.HasPrefix(f.Name, "xl/charts/chart"):
			n["chart"]++
		case strings.HasPrefix(f.Name, "xl/tables/table"):
			n["table"]++
		}
	}
	return n
}

func workbookCopy(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
