package history

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func TestDispositionsStore(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	record(t, s, step{asOf: "2026-01-05", scope: []string{"A"}, findings: []string{"f1@A", "f2@A"}})

	known, err := s.KnownFindings(ctx, []string{"f1", "f2", "zz"})
	if err != nil {
		t.Fatal(err)
	}
	if !known["f1"] || !known["f2"] || known["zz"] {
		t.Errorf("known = %v", known)
	}
	t1 := time.Date(2026, 1, 8, 10, 0, 0, 0, time.UTC)
	t2 := t1.Add(48 * time.Hour)
	first := DispositionFile{Name: "a.xlsx", SHA256: "sha-a", By: "Jane", At: t1, Dispositions: []Disposition{
		{ID: "f1", Status: "disputed", Comment: "not ours", Sheet: "Wrong plan", Row: 2},
		{ID: "f2", Status: "waived", Until: date(t, "2026-02-01"), Sheet: "Wrong plan", Row: 3},
	}}
	second := DispositionFile{Name: "b.csv", SHA256: "sha-b", By: "Jim", At: t2, Dispositions: []Disposition{
		{ID: "f1", Status: "corrected", Row: 2},
	}}
	got, err := s.RecordDispositions(ctx, []DispositionFile{first, second})
	if err != nil || !got[0] || !got[1] {
		t.Fatalf("record: %v %v", got, err)
	}
	// The same file again changes nothing.
	again := first
	again.At = t2.Add(time.Hour)
	again.Dispositions = []Disposition{{ID: "f2", Status: "agree"}}
	if got, err := s.RecordDispositions(ctx, []DispositionFile{again}); err != nil || got[0] {
		t.Fatalf("re-record: %v %v", got, err)
	}
	if at, ok, err := s.Imported(ctx, "sha-a"); err != nil || !ok || !at.Equal(t1) {
		t.Errorf("Imported(sha-a) = %v %v %v", at, ok, err)
	}

	// Latest as of a time: the answers recorded by then, the last counting.
	latest, err := s.LatestDispositions(ctx, t1.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if d := latest["f1"]; d.Status != "disputed" || d.Comment != "not ours" || d.Source != "a.xlsx" || d.RecordedBy != "Jane" || !d.RecordedAt.Equal(t1) {
		t.Errorf("f1 at t1 = %+v", d)
	}
	if d := latest["f2"]; d.Status != "waived" || !d.Until.Equal(date(t, "2026-02-01")) {
		t.Errorf("f2 at t1 = %+v", d)
	}
	latest, err = s.LatestDispositions(ctx, t2)
	if err != nil {
		t.Fatal(err)
	}
	if d := latest["f1"]; d.Status != "corrected" || d.Source != "b.csv" {
		t.Errorf("f1 at t2 = %+v", d)
	}
	if latest, _ := s.LatestDispositions(ctx, t1.Add(-time.Hour)); len(latest) != 0 {
		t.Errorf("answers before any was recorded: %v", latest)
	}
	if d := latest["f2"]; d.Status != "waived" || d.Until.Format(time.DateOnly) != "2026-02-01" || d.Source != "a.xlsx" || !d.RecordedAt.Equal(t1) {
		t.Errorf("f2 at t2 = %+v", d)
	}
	life, err := s.FindingDispositions(ctx, "f1")
	if err != nil {
		t.Fatal(err)
	}
	if len(life) != 2 || life[0].Status != "disputed" || life[1].Status != "corrected" || life[0].Sheet != "Wrong plan" {
		t.Errorf("f1's dispositions = %+v", life)
	}
}

func TestDispositionWaives(t *testing.T) {
	until := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		d    Disposition
		asOf string
		want bool
	}{
		{Disposition{Status: "waived", Until: until}, "2026-01-31", true},
		{Disposition{Status: "waived", Until: until}, "2026-02-01", true}, // through its last day
		{Disposition{Status: "waived", Until: until}, "2026-02-02", false},
		{Disposition{Status: "waived"}, "2026-01-01", false},
		{Disposition{Status: "disputed", Until: until}, "2026-01-01", false},
	} {
		asOf, _ := time.Parse(time.DateOnly, tc.asOf)
		if got := tc.d.Waives(asOf); got != tc.want {
			t.Errorf("%+v.Waives(%s) = %v, want %v", tc.d, tc.asOf, got, tc.want)
		}
	}
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadAnswersCSV(t *testing.T) {
	tests := []struct {
		name, csv string
		want      []string // id=status/until/comment of each answer read
		problems  []string
		err       string
	}{
		{name: "every column", csv: "id,disposition,comment,until\na1,agree,,\na2,waived,lag,2026-03-01\na3,Not An Error,\"ok, expected\",\n",
			want: []string{"a1=agree//", "a2=waived/2026-03-01/lag", "a3=not_an_error//ok, expected"}},
		{name: "columns in any order, BOM, unanswered rows skipped", csv: "\ufeffUntil, ID ,Disposition\n,a1,\n3/1/2026,a2,waived\n",
			want: []string{"a2=waived/2026-03-01/"}},
		{name: "problems", csv: "id,disposition,comment,until\na1,agre,,\na2,waived,,\n,agree,,\na4,,why,\na5,agree,,tomorrow\n",
			problems: []string{`:2: finding a1: Disposition "agre" is not one of`, ":3: finding a2: waived without an Until date",
				":4: an answer without a finding ID", ":5: finding a4: Comment or Until without a Disposition",
				`:6: finding a5: Until "tomorrow" is not a date`}},
		{name: "SSNs in comments and quoted values are masked", csv: "id,disposition,comment\na1,agree,member 123-45-6789\na2,123456789,\n",
			want: []string{"a1=agree//member *****6789"}, problems: []string{`Disposition "*****6789"`}},
		{name: "no header", csv: "a1,agree\n", err: "the header must name the columns id and disposition"},
		{name: "empty", csv: "", err: "empty"},
		{name: "broken quote", csv: "id,disposition\n\"a1,agree\n", err: ":2:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, problems, err := ReadAnswers(writeTemp(t, "answers.csv", tc.csv))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range a.Dispositions {
				until := ""
				if !d.Until.IsZero() {
					until = d.Until.Format(time.DateOnly)
				}
				got = append(got, d.ID+"="+d.Status+"/"+until+"/"+d.Comment)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("answers = %q, want %q", got, tc.want)
			}
			if len(problems) != len(tc.problems) {
				t.Fatalf("problems = %v, want %d", problems, len(tc.problems))
			}
			for i, p := range problems {
				if !strings.Contains(p.Error(), tc.problems[i]) || strings.Contains(p.Error(), "123-45") {
					t.Errorf("problem %d = %q, want %q", i, p, tc.problems[i])
				}
			}
		})
	}
}

func TestReadAnswersWorkbook(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetName("Sheet1", "Summary")
	f.SetSheetRow("Summary", "A1", &[]any{"enrollaudit report"})
	for _, sheet := range []string{"Wrong plan", "Wrong plan (2)"} {
		f.NewSheet(sheet)
		f.SetSheetRow(sheet, "A1", &[]any{"ID", "Disposition", "Comment", "Until", "Rule"})
	}
	f.SetSheetRow("Wrong plan", "A2", &[]any{"p1", "disputed", "not ours", nil, "plan-mismatch"})
	f.SetSheetRow("Wrong plan", "A3", &[]any{"p2", nil, nil, nil, "plan-mismatch"})
	f.SetSheetRow("Wrong plan (2)", "A2", &[]any{"p3", "waived", nil, time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC), "plan-mismatch"})
	f.SetSheetRow("Wrong plan (2)", "A3", &[]any{"p4", "wavied", nil, nil, "plan-mismatch"})
	f.SetDocProps(&excelize.DocProperties{Creator: "enrollaudit", LastModifiedBy: "Jane Roe"})
	path := filepath.Join(t.TempDir(), "filled.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	a, problems, err := ReadAnswers(path)
	if err != nil {
		t.Fatal(err)
	}
	if a.Author != "Jane Roe" || len(a.SHA256) != 64 {
		t.Errorf("author %q, sha %q", a.Author, a.SHA256)
	}
	if len(a.Dispositions) != 2 || a.Dispositions[0].ID != "p1" || a.Dispositions[1].ID != "p3" ||
		a.Dispositions[1].Until.Format(time.DateOnly) != "2026-06-30" || a.Dispositions[1].Sheet != "Wrong plan (2)" {
		t.Errorf("answers = %+v", a.Dispositions)
	}
	if len(problems) != 1 || !strings.Contains(problems[0].Error(), `filled.xlsx: sheet "Wrong plan (2)", row 3: finding p4: Disposition "wavied"`) {
		t.Errorf("problems = %v", problems)
	}
}

func TestCheckAnswers(t *testing.T) {
	today := time.Date(2026, 1, 10, 15, 0, 0, 0, time.UTC)
	d := func(id, status, until string, row int) Disposition {
		out := Disposition{ID: id, Status: status, Row: row, Sheet: "S"}
		if until != "" {
			out.Until, _ = time.Parse(time.DateOnly, until)
		}
		return out
	}
	a := &AnswerFile{Path: "a.xlsx", Dispositions: []Disposition{d("f1", "agree", "", 2), d("f2", "waived", "2026-01-10", 3),
		d("zz", "agree", "", 4), d("f3", "waived", "2026-01-09", 5)}}
	b := &AnswerFile{Path: "b.xlsx", Dispositions: []Disposition{d("f1", "agree", "", 2), d("f2", "disputed", "", 3)}}
	known := map[string]bool{"f1": true, "f2": true, "f3": true}
	var got []string
	for _, p := range CheckAnswers([]*AnswerFile{a, b}, known, today) {
		got = append(got, p.Error())
	}
	want := []string{
		`a.xlsx: sheet "S", row 4: finding zz is not in the history (no run has seen it)`,
		`a.xlsx: sheet "S", row 5: finding f3: Until 2026-01-09 is in the past`,
		`b.xlsx: sheet "S", row 3: finding f2 is answered differently at a.xlsx sheet "S", row 3`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// FuzzReadAnswersCSV: whatever a CSV file holds, reading it returns answers,
// problems or an error, and never a disposition outside the list.
func FuzzReadAnswersCSV(f *testing.F) {
	f.Add("id,disposition,comment,until\na1,waived,x,2026-01-01\n")
	f.Add("until,id,disposition\n46000,a,agree\n\"\n")
	f.Add("id,disposition\n,,,,\n")
	f.Add("id,disposition,until\na,waived,0001-01-01\n")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content string) {
		p := filepath.Join(dir, "fuzz.csv")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		a, _, err := ReadAnswers(p)
		if err != nil {
			return
		}
		for _, d := range a.Dispositions {
			if d.ID == "" || (d.Status == "waived" && d.Until.IsZero()) {
				t.Errorf("accepted %+v", d)
			}
		}
	})
}
