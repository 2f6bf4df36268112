package history

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/enrollaudit/enrollaudit/fileerr"
)

// goldenReports are copies of the report.json files the end-to-end cases
// expect the audit to write.
func goldenReports(t *testing.T) map[string]string {
	t.Helper()
	paths, err := filepath.Glob("../cmd/enrollaudit/testdata/cases/*/out/report.json.golden")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden reports: %v", err)
	}
	dir := t.TempDir()
	out := map[string]string{}
	for _, p := range paths {
		name := filepath.Base(filepath.Dir(filepath.Dir(p)))
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		// The goldens normalise the time a report was written.
		b = []byte(strings.Replace(string(b), `"generated_at": "(normalised)"`, `"generated_at": "2026-01-05T08:00:00Z"`, 1))
		out[name] = filepath.Join(dir, name+".json")
		if err := os.WriteFile(out[name], b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// plainFindings decodes a report's findings without the import's code.
func plainFindings(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Findings []map[string]any }
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Findings
}

func TestImportGoldenReports(t *testing.T) {
	ctx := context.Background()
	for name, path := range goldenReports(t) {
		t.Run(name, func(t *testing.T) {
			s := openTemp(t)
			lc, err := importFile(t, s, "2026-01-05", path)
			if name == "aggregate-only" {
				if err == nil || !strings.Contains(err.Error(), "aggregate-only") {
					t.Fatalf("import of an aggregate-only report: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := plainFindings(t, path)
			if len(lc.Findings) != len(want) || lc.Counts[New] != int64(len(want)) {
				t.Fatalf("%d findings, %d new; report has %d", len(lc.Findings), lc.Counts[New], len(want))
			}
			// Each stored finding carries the report's keys, amount and the hash of its values.
			for _, w := range want {
				id := w["id"].(string)
				life, err := s.FindingLife(ctx, id)
				if err != nil || len(life) != 1 {
					t.Fatalf("finding %s: %v %+v", id, err, life)
				}
				got := life[0]
				if got.Rule != w["rule"] || got.Category != w["category"] || got.Severity != w["severity"] ||
					got.ExchangePolicyID != str(w["exchange_policy_id"]) || got.ExchangeMemberID != str(w["exchange_member_id"]) ||
					got.IssuerHIOSID != str(w["issuer_hios_id"]) {
					t.Errorf("finding %s stored as %+v", id, got)
				}
				if got.ValuesHash != ValuesHash(values(w["marketplace"]), values(w["insurer"])) {
					t.Errorf("finding %s: values hash differs from ValuesHash of its values", id)
				}
				if amt, ok := w["monthly_amount_difference"].(float64); ok {
					if got.MonthlyAmountCents == nil || *got.MonthlyAmountCents != int64(amt*100+copysign(0.5, amt)) {
						t.Errorf("finding %s: amount %v stored as %v", id, amt, got.MonthlyAmountCents)
					}
				} else if got.MonthlyAmountCents != nil {
					t.Errorf("finding %s: no amount, stored %d", id, *got.MonthlyAmountCents)
				}
			}
		})
	}
}

func importFile(t *testing.T, s *Store, asOf, path string) (*Lifecycle, error) {
	t.Helper()
	rep, err := ReadReport(path)
	if err != nil {
		return nil, err
	}
	return s.Import(context.Background(), date(t, asOf), rep, nil)
}

func copysign(v, sign float64) float64 {
	if sign < 0 {
		return -v
	}
	return v
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func values(v any) map[string]*string {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	out := map[string]*string{}
	for k, x := range m {
		if s, ok := x.(string); ok {
			out[k] = &s
		} else {
			out[k] = nil
		}
	}
	return out
}

// Two weeks of the same report: everything persists; a third week of
// another data set resolves every finding it lacks.
func TestImportWeeks(t *testing.T) {
	ctx := context.Background()
	g := goldenReports(t)
	s := openTemp(t)
	for _, asOf := range []string{"2026-01-05", "2026-01-12"} {
		if _, err := importFile(t, s, asOf, g["fixtures-basic"]); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := s.Runs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	basic := plainFindings(t, g["fixtures-basic"])
	if len(runs) != 2 || runs[1].Counts[Persisting] != int64(len(basic)) || runs[1].Source != "import" {
		t.Fatalf("second week: %+v", runs)
	}
	if runs[0].Scope == nil || runs[0].Summary.Findings != int64(len(basic)) || len(runs[0].Inputs) != 2 {
		t.Errorf("first week's run: %+v", runs[0])
	}

	// The third week's report covers only its own issuer; recorded as an
	// audit of every issuer so far, it resolves what it lacks.
	rep, err := ReadReport(g["minimal-columns"])
	if err != nil {
		t.Fatal(err)
	}
	rep.Summary.Scope.Issuers = append(slices.Clone(runs[1].Scope), rep.Summary.Scope.Issuers...)
	lc, err := s.Import(ctx, date(t, "2026-01-19"), rep, nil)
	if err != nil {
		t.Fatal(err)
	}
	third := map[string]bool{}
	for _, f := range plainFindings(t, g["minimal-columns"]) {
		third[f["id"].(string)] = true
	}
	wantResolved := 0
	for _, f := range basic {
		if !third[f["id"].(string)] {
			wantResolved++
		}
	}
	if len(lc.Resolved) != wantResolved || lc.Previous == nil || lc.Previous.AsOf.Format("2006-01-02") != "2026-01-12" {
		t.Errorf("third week: %d resolved (want %d), previous %+v", len(lc.Resolved), wantResolved, lc.Previous)
	}
	for _, r := range lc.Resolved {
		if r.Rule == "" || r.Category == "" || r.LastSeen.Format("2006-01-02") != "2026-01-12" || r.FirstSeen.Format("2006-01-02") != "2026-01-05" {
			t.Errorf("resolved finding %+v", r)
			break
		}
	}
}

func TestImportRejectsBadReports(t *testing.T) {
	ctx := context.Background()
	g := goldenReports(t)
	good, err := os.ReadFile(g["fixtures-basic"])
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, content, want string
	}{
		{"not json", "id,rule\n", "report.json:1: not a report.json"},
		{"truncated", string(good[:len(good)/2]), "report.json:"},
		{"newer version", strings.Replace(string(good), `"schema_version": 1`, `"schema_version": 2`, 1), "schema_version: 2 is not a version"},
		{"finding without rule", strings.Replace(string(good), `"rule":"member-missing-at-insurer"`, `"rule":""`, 1), "report.json:929: rule: missing in finding \"eb060af8c684089d\""},
		{"bad amount", strings.Replace(string(good), `"monthly_amount_difference":610.43`, `"monthly_amount_difference":"x"`, 1), "report.json:934: not a report.json: json: invalid number literal"},
		{"count differs", strings.Replace(string(good), `"findings": 147`, `"findings": 148`, 1), "holds 147 findings where its summary counts 148"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "report.json")
			os.WriteFile(path, []byte(tt.content), 0o600)
			s := openTemp(t)
			_, err := importFile(t, s, "2026-01-05", path)
			var fe *fileerr.Error
			var fl fileerr.List
			if err == nil || !strings.Contains(err.Error(), tt.want) || !(errors.As(err, &fe) || errors.As(err, &fl)) {
				t.Fatalf("error %v, want a file error containing %q", err, tt.want)
			}
			if runs, _ := s.Runs(ctx); len(runs) != 0 {
				t.Errorf("a run was recorded: %+v", runs)
			}
		})
	}
}

func FuzzParseReport(f *testing.F) {
	b, err := os.ReadFile("../cmd/enrollaudit/testdata/cases/minimal-columns/out/report.json.golden")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"schema_version": 1, "findings": [{"id": "a", "rule": "r", "category": "c", "severity": "s", "monthly_amount_difference": 1e400}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := parseReport(strings.NewReader(string(b)), "report.json")
		if err != nil {
			var fe *fileerr.Error
			var fl fileerr.List
			if !errors.As(err, &fe) && !errors.As(err, &fl) {
				t.Fatalf("error of another type: %T %v", err, err)
			}
			return
		}
		for _, f := range rep.findings {
			if f.ID == "" || f.Rule == "" || f.Category == "" || f.Severity == "" || len(f.ValuesHash) != 32 {
				t.Fatalf("accepted finding %+v", f)
			}
		}
	})
}

func TestImportOutsideScope(t *testing.T) {
	g := goldenReports(t)
	rep, err := ReadReport(g["minimal-columns"])
	if err != nil {
		t.Fatal(err)
	}
	rep.Summary.Scope = nil // a report written before reports named their scope
	s := openTemp(t)
	_, err = s.Import(context.Background(), date(t, "2026-01-05"), rep, []string{"99999"})
	if err == nil || !strings.Contains(err.Error(), "outside the run's scope") {
		t.Fatalf("import with a scope that leaves its findings out: %v", err)
	}
	if runs, _ := s.Runs(context.Background()); len(runs) != 0 {
		t.Errorf("recorded %+v", runs)
	}
}

// The store keeps no SSN, name or birth date: none of the personal values
// of the fixture's findings is in any text column of any table.
// (Dates are stored as DATE: the as-of dates and first/last seen.)
func TestNoPersonalData(t *testing.T) {
	ctx := context.Background()
	g := goldenReports(t)
	personal := map[string]bool{}
	for _, f := range plainFindings(t, g["fixtures-basic"]) {
		for _, side := range []string{"marketplace", "insurer"} {
			for k, v := range values(f[side]) {
				if (k == "first_name" || k == "last_name" || k == "birth_date" || k == "ssn") && v != nil {
					personal[*v] = true
				}
			}
		}
	}
	if len(personal) < 10 {
		t.Fatalf("only %d personal values in the fixture's findings", len(personal))
	}
	s := openTemp(t)
	if _, err := importFile(t, s, "2026-01-05", g["fixtures-basic"]); err != nil {
		t.Fatal(err)
	}
	var cols [][2]string
	err := s.each(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE data_type = 'VARCHAR' AND table_schema = 'main'`, func(rows *sql.Rows) error {
		var c [2]string
		if err := rows.Scan(&c[0], &c[1]); err != nil {
			return err
		}
		cols = append(cols, c)
		return nil
	})
	if err != nil || len(cols) < 10 {
		t.Fatalf("columns %v: %v", cols, err)
	}
	for _, c := range cols {
		err := s.each(ctx, "SELECT DISTINCT "+c[1]+" FROM "+c[0]+" WHERE "+c[1]+" IS NOT NULL", func(rows *sql.Rows) error {
			var v string
			if err := rows.Scan(&v); err != nil {
				return err
			}
			for p := range personal {
				if strings.Contains(v, p) {
					t.Errorf("%s.%s holds a personal value", c[0], c[1])
					return nil
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// A report written with --findings-format ndjson keeps its findings in
// findings.ndjson beside it.
func TestImportNDJSONFindings(t *testing.T) {
	g := goldenReports(t)
	b, err := os.ReadFile(g["minimal-columns"])
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var findings []json.RawMessage
	if err := json.Unmarshal(doc["findings"], &findings); err != nil || len(findings) == 0 {
		t.Fatalf("findings: %v", err)
	}
	dir := t.TempDir()
	var nd bytes.Buffer
	for _, f := range findings {
		nd.Write(f)
		nd.WriteByte('\n')
	}
	delete(doc, "findings")
	doc["findings_file"] = json.RawMessage(`"findings.ndjson"`)
	head, _ := json.Marshal(doc)
	os.WriteFile(filepath.Join(dir, "report.json"), head, 0o600)
	os.WriteFile(filepath.Join(dir, "findings.ndjson"), nd.Bytes(), 0o600)

	s := openTemp(t)
	lc, err := importFile(t, s, "2026-01-05", filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(lc.Findings) != len(findings) {
		t.Errorf("%d findings imported from findings.ndjson, want %d", len(lc.Findings), len(findings))
	}
	// A finding file cut short no longer matches the summary's count.
	os.WriteFile(filepath.Join(dir, "findings.ndjson"), nd.Bytes()[:bytes.IndexByte(nd.Bytes(), '\n')+1], 0o600)
	if _, err := ReadReport(filepath.Join(dir, "report.json")); err == nil || !strings.Contains(err.Error(), "holds 1 findings") {
		t.Errorf("truncated findings.ndjson: %v", err)
	}
}

func TestRollbackLeavesHistory(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	record(t, s, step{asOf: "2026-01-05", scope: []string{"A"}, findings: []string{"f1@A"}})
	before := snapshot(t, s)
	rec, err := s.Begin(ctx, Run{AsOf: date(t, "2026-01-05"), Scope: []string{"A"}})
	if err != nil {
		t.Fatal(err)
	}
	rec.Add(ctx, Finding{ID: "f2", Rule: "r", Category: "wrong_plan", Severity: "high", IssuerHIOSID: "A", ValuesHash: "h"})
	if _, err := rec.Lifecycle(ctx); err != nil { // replaces the first run inside the transaction
		t.Fatal(err)
	}
	if err := rec.Rollback(); err != nil {
		t.Fatal(err)
	}
	if after := snapshot(t, s); !slices.Equal(before, after) {
		t.Errorf("after a rollback:\n%v\nwant\n%v", after, before)
	}
	if runs, _ := s.Runs(ctx); len(runs) != 1 {
		t.Errorf("runs after a rollback: %+v", runs)
	}
}
