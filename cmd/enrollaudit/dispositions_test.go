package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/enrollaudit/enrollaudit/internal/reportcheck"
)

// enrollaudit runs the command line and returns its exit code and streams.
func enrollaudit(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestDispositionsRoundTrip audits the fixture, records the run in a
// history, fills the workbook as a person would (a value picked from the
// list, a comment typed, a date entered, the author set by the
// spreadsheet program) and imports it.
func TestDispositionsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	out, hist := filepath.Join(dir, "out"), filepath.Join(dir, "audits.history")
	fx := "../../fixtures/basic/"
	if code, _, stderr := enrollaudit(t, "run", "--quiet", "--marketplace", fx+"marketplace.csv", "--insurer", fx+"insurer.csv",
		"--insurer-mapping", fx+"insurer-mapping.yaml", "--out", out); code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	if code, _, stderr := enrollaudit(t, "history", "import", "--history", hist, "--as-of", "2026-11-20", filepath.Join(out, "report.json")); code != 0 {
		t.Fatalf("history import: exit %d: %s", code, stderr)
	}

	f, err := excelize.OpenFile(filepath.Join(out, "report.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	planID, _ := f.GetCellValue("Wrong plan", "A2")
	subsidyID, _ := f.GetCellValue("Wrong subsidy", "A3")
	set := func(sheet, ref string, v any) {
		t.Helper()
		if err := f.SetCellValue(sheet, ref, v); err != nil {
			t.Fatal(err)
		}
	}
	set("Wrong plan", "B2", "disputed")
	set("Wrong plan", "C2", "the member changed plans on 11/02; see our 834 of 11/03")
	set("Wrong subsidy", "B3", "waived")
	set("Wrong subsidy", "D3", time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC))
	if err := f.SetDocProps(&excelize.DocProperties{Creator: "xuri", LastModifiedBy: "Jane Roe"}); err != nil {
		t.Fatal(err)
	}
	filled := filepath.Join(dir, "47825-answers.xlsx")
	if err := f.SaveAs(filled); err != nil {
		t.Fatal(err)
	}
	f.Close()

	code, stdout, stderr := enrollaudit(t, "dispositions", "import", "--history", hist, filled)
	if code != 0 || !strings.Contains(stdout, "recorded 2 answer(s) by Jane Roe") {
		t.Fatalf("import: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, _ = enrollaudit(t, "dispositions", "import", "--history", hist, filled)
	if code != 0 || !strings.Contains(stdout, "imported before") {
		t.Errorf("re-import: exit %d\n%s", code, stdout)
	}
	// The workbook comes back again with one more answer: the two given
	// before are not new answers.
	f, err = excelize.OpenFile(filled)
	if err != nil {
		t.Fatal(err)
	}
	set("Wrong plan", "B3", "agree")
	again := filepath.Join(dir, "47825-answers-2.xlsx")
	if err := f.SaveAs(again); err != nil {
		t.Fatal(err)
	}
	f.Close()
	code, stdout, stderr = enrollaudit(t, "dispositions", "import", "--history", hist, "--by", "J. Smith", again)
	if code != 0 || !strings.Contains(stdout, "recorded 1 answer(s) by J. Smith; 2 answer(s) as recorded before left as they were") {
		t.Errorf("second workbook: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, _ = enrollaudit(t, "history", "show", planID, "--history", hist)
	if code != 0 || strings.Count(stdout, "disputed") != 1 || !strings.Contains(stdout, "disputed") || !strings.Contains(stdout, "the member changed plans on 11/02") ||
		!strings.Contains(stdout, "47825-answers.xlsx") || !strings.Contains(stdout, "Jane Roe") {
		t.Errorf("history show %s: exit %d\n%s", planID, code, stdout)
	}
	code, stdout, _ = enrollaudit(t, "history", "show", subsidyID, "--history", hist)
	if code != 0 || !strings.Contains(stdout, "waived") || !strings.Contains(stdout, "2099-12-31") {
		t.Errorf("history show %s: exit %d\n%s", subsidyID, code, stdout)
	}

	// A CSV with every kind of mistake, and an answer that contradicts the
	// workbook's: all listed, nothing of it recorded.
	bad := filepath.Join(dir, "bad.csv")
	csv := "id,disposition,comment,until\n" +
		planID + ",agree,,\n" + // differs from nothing yet: recorded only if the file were valid
		"ffffffffffffffff,agree,,\n" +
		subsidyID + ",agre,,\n" +
		planID + ",waived,,\n" +
		planID + ",corrected,,2020-01-01\n"
	if err := os.WriteFile(bad, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = enrollaudit(t, "dispositions", "import", "--history", hist, "--by", "QA", bad)
	for _, want := range []string{
		"bad.csv:3: finding ffffffffffffffff is not in the history",
		"bad.csv:4: finding " + subsidyID + `: Disposition "agre" is not one of`,
		"bad.csv:5: finding " + planID + ": waived without an Until date",
		"bad.csv:6: finding " + planID + ": Until 2020-01-01 is in the past",
		"bad.csv:6: finding " + planID + " is answered differently at row 2",
		"nothing was recorded",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if code != 2 || stdout != "" {
		t.Errorf("bad answers: exit %d, stdout %q", code, stdout)
	}
	_, stdout, _ = enrollaudit(t, "history", "show", planID, "--history", hist)
	if strings.Contains(stdout, "agree") || strings.Contains(stdout, "QA") {
		t.Errorf("something of the invalid file was recorded:\n%s", stdout)
	}
}

// TestDispositionsInNextRun: answers imported after one run are honoured by
// the next: a running waiver leaves findings and counts, a correction still
// there is flagged, a dispute is listed on the Disputed sheet, and the
// workbook comes pre-filled.
func TestDispositionsInNextRun(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "audits.history")
	fx := "../../fixtures/basic/"
	run := func(out, asOf string) []byte {
		t.Helper()
		if code, _, stderr := enrollaudit(t, "run", "--quiet", "--marketplace", fx+"marketplace.csv", "--insurer", fx+"insurer.csv",
			"--insurer-mapping", fx+"insurer-mapping.yaml", "--out", out, "--history", hist, "--as-of", asOf, "--split-by-issuer"); code != 0 {
			t.Fatalf("run as of %s: exit %d: %s", asOf, code, stderr)
		}
		b, err := os.ReadFile(filepath.Join(out, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := reportcheck.Validate(b); err != nil {
			t.Errorf("report.json as of %s: %v", asOf, err)
		}
		return b
	}
	week1 := filepath.Join(dir, "week1")
	run(week1, "2026-11-20")
	f, err := excelize.OpenFile(filepath.Join(week1, "report.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	waivedID, _ := f.GetCellValue("Wrong plan", "A2")
	correctedID, _ := f.GetCellValue("Wrong plan", "A3")
	disputedID, _ := f.GetCellValue("Wrong status", "A2")
	for _, c := range []struct {
		sheet, ref string
		v          any
	}{
		{"Wrong plan", "B2", "waived"}, {"Wrong plan", "D2", time.Date(2099, 1, 31, 0, 0, 0, 0, time.UTC)},
		{"Wrong plan", "B3", "corrected"},
		{"Wrong status", "B2", "disputed"}, {"Wrong status", "C2", "effectuated on 11/03, see our 834"},
	} {
		if err := f.SetCellValue(c.sheet, c.ref, c.v); err != nil {
			t.Fatal(err)
		}
	}
	filled := filepath.Join(dir, "answers.xlsx")
	if err := f.SaveAs(filled); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if code, stdout, stderr := enrollaudit(t, "dispositions", "import", "--history", hist, "--by", "QA", filled); code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, stdout, stderr)
	}

	week2 := filepath.Join(dir, "week2")
	var rep struct {
		Summary struct {
			Findings     int64 `json:"findings"`
			Dispositions struct {
				Waived            int64 `json:"waived"`
				CorrectionNotSeen int64 `json:"correction_not_seen"`
			} `json:"dispositions"`
		} `json:"summary"`
		Waived   []struct{ ID string } `json:"waived"`
		Findings []struct {
			ID                string `json:"id"`
			CorrectionNotSeen bool   `json:"correction_not_seen"`
			Disposition       *struct {
				Status, Comment, Source string
			} `json:"disposition"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(run(week2, "2026-11-27"), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Findings != 146 || len(rep.Findings) != 146 || len(rep.Waived) != 1 || rep.Waived[0].ID != waivedID {
		t.Errorf("week 2: %d findings counted, %d listed, waived %+v", rep.Summary.Findings, len(rep.Findings), rep.Waived)
	}
	if d := rep.Summary.Dispositions; d.Waived != 1 || d.CorrectionNotSeen != 1 {
		t.Errorf("summary.dispositions = %+v", d)
	}
	for _, fd := range rep.Findings {
		switch fd.ID {
		case waivedID:
			t.Errorf("waived finding %s still listed", fd.ID)
		case correctedID:
			if !fd.CorrectionNotSeen || fd.Disposition == nil || fd.Disposition.Status != "corrected" {
				t.Errorf("corrected finding: %+v", fd)
			}
		case disputedID:
			if fd.Disposition == nil || fd.Disposition.Comment != "effectuated on 11/03, see our 834" || fd.Disposition.Source != "answers.xlsx" {
				t.Errorf("disputed finding: %+v", fd)
			}
		}
	}
	// history list counts findings as the reports did, the waived one apart.
	listing := historyListing(t, hist)
	for _, want := range []struct{ asOf, findings, waived string }{{"2026-11-20", "147", "0"}, {"2026-11-27", "146", "1"}} {
		var row []string
		for _, l := range strings.Split(listing, "\n") {
			if f := strings.Fields(l); len(f) > 6 && f[0] == want.asOf {
				row = f[len(f)-6:]
			}
		}
		if row == nil || row[0] != want.findings || row[1] != want.waived {
			t.Errorf("history list as of %s: findings, waived, ... = %q; want %s and %s\n%s", want.asOf, row, want.findings, want.waived, listing)
		}
	}
	// The packets: each issuer's own findings, waived and resolved ones only,
	// adding up to the whole.
	packets, _ := filepath.Glob(filepath.Join(week2, "issuers", "*", "report.json"))
	var total, waived int64
	for _, p := range packets {
		issuer := filepath.Base(filepath.Dir(p))
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := reportcheck.Validate(b); err != nil {
			t.Errorf("%s: %v", p, err)
		}
		var pr struct {
			Summary struct {
				Findings     int64 `json:"findings"`
				Dispositions struct {
					Waived int64 `json:"waived"`
				} `json:"dispositions"`
			} `json:"summary"`
			Waived, Resolved, Findings []struct {
				ID     string `json:"id"`
				Issuer string `json:"issuer_hios_id"`
			}
		}
		if err := json.Unmarshal(b, &pr); err != nil {
			t.Fatal(err)
		}
		for _, list := range [][]struct {
			ID     string `json:"id"`
			Issuer string `json:"issuer_hios_id"`
		}{pr.Waived, pr.Resolved, pr.Findings} {
			for _, x := range list {
				if x.Issuer != issuer {
					t.Errorf("packet %s holds %s of issuer %s", issuer, x.ID, x.Issuer)
				}
			}
		}
		if pr.Summary.Findings != int64(len(pr.Findings)) || pr.Summary.Dispositions.Waived != int64(len(pr.Waived)) {
			t.Errorf("packet %s: %+v", issuer, pr.Summary)
		}
		total += pr.Summary.Findings
		waived += int64(len(pr.Waived))
	}
	if len(packets) < 2 || total != 146 || waived != 1 {
		t.Errorf("%d packets: %d findings, %d waived; want 146 and 1", len(packets), total, waived)
	}

	f, err = excelize.OpenFile(filepath.Join(week2, "report.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, _ := f.GetCellValue("Wrong plan", "B2"); got != "corrected" { // the waived row is gone
		t.Errorf("Wrong plan!B2 = %q, want the pre-filled answer corrected", got)
	}
	for sheet, id := range map[string]string{"Waived": waivedID, "Disputed": disputedID} {
		if got, _ := f.GetCellValue(sheet, "A2"); got != id {
			t.Errorf("%s!A2 = %q, want %s", sheet, got, id)
		}
	}
}
