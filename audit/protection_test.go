package audit

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fixtureSSNs returns every full SSN in the fixture's marketplace file.
func fixtureSSNs(t *testing.T) []string {
	t.Helper()
	rows := readCSV(t, filepath.Join("..", "fixtures", "basic", "marketplace.csv"))
	col := -1
	for i, h := range rows[0] {
		if h == "ssn" {
			col = i
		}
	}
	var out []string
	for _, r := range rows[1:] {
		if len(r[col]) == 9 {
			out = append(out, r[col])
		}
	}
	if len(out) < 100 {
		t.Fatalf("only %d SSNs in the fixture", len(out))
	}
	return out
}

func fixtureOptions(out string) Options {
	dir := filepath.Join("..", "fixtures", "basic")
	return Options{
		Marketplace: []string{filepath.Join(dir, "marketplace.csv")}, Insurer: []string{filepath.Join(dir, "insurer.csv")},
		InsurerMapping: filepath.Join(dir, "insurer-mapping.yaml"), OutDir: out,
		Now: func() time.Time { return time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC) },
	}
}

// outputsContain reports which output files hold any of the values, in any
// of the forms a writer could give them (plain, or dashed as 123-45-6789).
func outputsContain(t *testing.T, dir string, ssns []string) []string {
	t.Helper()
	var hits []string
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		if strings.HasSuffix(f, ".xlsx") {
			text = xlsxText(t, f)
		}
		for _, s := range ssns {
			if strings.Contains(text, s) || strings.Contains(text, s[:3]+"-"+s[3:5]+"-"+s[5:]) {
				hits = append(hits, filepath.Base(f)+": "+s)
				break
			}
		}
	}
	return hits
}

// xlsxText returns the text of a workbook's XML parts (it is a zip).
func xlsxText(t *testing.T, path string) string {
	t.Helper()
	out, err := unzipText(path)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestNoFullSSNInAnyOutputByDefault(t *testing.T) {
	ssns := fixtureSSNs(t)
	out := t.TempDir()
	opts := fixtureOptions(out)
	opts.FindingsFormat = "ndjson"
	opts.Formats = []string{"json", "xlsx"}
	if _, err := runAndPublish(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if hits := outputsContain(t, out, ssns); len(hits) > 0 {
		t.Errorf("full SSNs in outputs: %v", hits)
	}

	revealed := t.TempDir()
	opts = fixtureOptions(revealed)
	opts.RevealPII = true
	if _, err := runAndPublish(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if hits := outputsContain(t, revealed, ssns); len(hits) == 0 {
		t.Error("--reveal-pii revealed no SSN (the fixture has SSN mismatches)")
	}
}

// TestReportsAreReproducible: the same inputs and rules give byte-identical
// report.json and rejects.csv and the same workbook content (the run
// timestamp aside, fixed here).
func TestReportsAreReproducible(t *testing.T) {
	var first map[string][]byte
	for range 2 {
		out := t.TempDir()
		if _, err := runAndPublish(context.Background(), fixtureOptions(out)); err != nil {
			t.Fatal(err)
		}
		got := map[string][]byte{}
		for _, name := range []string{"report.json", "rejects.csv"} {
			b, err := os.ReadFile(filepath.Join(out, name))
			if err != nil {
				t.Fatal(err)
			}
			got[name] = b
		}
		// The workbook's parts; the zip's own entry times are not content.
		xml, err := unzipText(filepath.Join(out, "report.xlsx"))
		if err != nil {
			t.Fatal(err)
		}
		got["report.xlsx"] = []byte(xml)
		if first == nil {
			first = got
			continue
		}
		for name, b := range got {
			if string(b) != string(first[name]) {
				i := 0
				for i < min(len(b), len(first[name])) && b[i] == first[name][i] {
					i++
				}
				t.Errorf("%s differs between two runs at byte %d:\n%q\n%q", name, i, b[max(0, i-80):min(len(b), i+40)], first[name][max(0, i-80):min(len(first[name]), i+40)])
			}
		}
	}
	if !regexp.MustCompile(`"sha256": "[0-9a-f]{64}"`).Match(first["report.json"]) {
		t.Error("report.json does not record the inputs' SHA-256")
	}
}

// TestLockedDown: once inputs are loaded DuckDB cannot reach files, and its
// configuration cannot be changed back.
func TestLockedDown(t *testing.T) {
	ctx := context.Background()
	d, err := openDB(ctx, Options{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	if err := lockDown(ctx, d.conn); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"SELECT * FROM read_csv('../fixtures/basic/marketplace.csv')",
		"COPY (SELECT 1) TO '" + filepath.Join(t.TempDir(), "x.csv") + "'",
		"SET enable_external_access = true",
		"ATTACH '" + filepath.Join(t.TempDir(), "x.db") + "'",
	} {
		if _, err := d.conn.ExecContext(ctx, q); err == nil {
			t.Errorf("%s: allowed after lock-down", q)
		}
	}
}

// TestWorkingFilesRemoved: the working database holds every input row,
// personal data included, so it must not outlive the run, failed or not.
func TestWorkingFilesRemoved(t *testing.T) {
	for _, tc := range []struct {
		name   string
		modify func(*Options)
	}{
		{"success", func(*Options) {}},
		{"failure", func(o *Options) {
			// Fails after loading: a row that cannot be loaded, none allowed.
			bad := filepath.Join(t.TempDir(), "marketplace.csv")
			os.WriteFile(bad, []byte("exchange_policy_id,exchange_member_id,benefit_start\nP1,,2026-01-01\n"), 0o644)
			o.Marketplace = []string{bad}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			work := t.TempDir()
			opts := fixtureOptions(t.TempDir())
			opts.TempDir = work
			tc.modify(&opts)
			_, err := runAndPublish(context.Background(), opts)
			var rejects *RejectsError
			if (err != nil) != (tc.name == "failure") || (err != nil && !errors.As(err, &rejects)) {
				t.Fatalf("run: %v", err)
			}
			left, _ := os.ReadDir(work)
			if len(left) > 0 {
				t.Errorf("%s still holds %v", work, left)
			}
		})
	}
}

// TestInputInOutIsRefused: an input in --out named like a report would be
// overwritten by the run; it is refused before anything is read.
func TestInputInOutIsRefused(t *testing.T) {
	out := t.TempDir()
	b, err := os.ReadFile(filepath.Join("..", "fixtures", "basic", "insurer.csv"))
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(out, "rejects.csv")
	if err := os.WriteFile(in, b, 0o644); err != nil {
		t.Fatal(err)
	}
	opts := fixtureOptions(out)
	opts.Insurer = []string{in}
	_, err = runAndPublish(context.Background(), opts)
	var ue *UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "is in --out") {
		t.Fatalf("error = %v, want a usage error naming the input", err)
	}
	if after, _ := os.ReadFile(in); string(after) != string(b) {
		t.Error("the input was changed")
	}
}
