package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/enrollaudit/enrollaudit/internal/reportcheck"
)

// splitReport is what the test reads of a report.json.
type splitReport struct {
	Summary struct {
		Findings        int64            `json:"findings"`
		MarketplaceRows int64            `json:"marketplace_rows"`
		InsurerRows     int64            `json:"insurer_rows"`
		MatchedMembers  int64            `json:"matched_members"`
		PeopleAffected  int64            `json:"people_affected"`
		ByCategory      map[string]int64 `json:"by_category"`
	} `json:"summary"`
	Inputs []struct {
		RowsLoaded int64 `json:"rows_loaded"`
	} `json:"inputs"`
	Findings []struct {
		ID     string  `json:"id"`
		Issuer *string `json:"issuer_hios_id"`
	} `json:"findings"`
}

// TestSplitByIssuer: the per-issuer packets hold only their issuer's
// findings, and add up exactly to the whole, in report.json and in the
// workbooks' finding rows.
func TestSplitByIssuer(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	fx := "../../fixtures/basic/"
	if code, _, stderr := enrollaudit(t, "run", "--quiet", "--marketplace", fx+"marketplace.csv", "--insurer", fx+"insurer.csv",
		"--insurer-mapping", fx+"insurer-mapping.yaml", "--out", out, "--split-by-issuer"); code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	read := func(dir string) (splitReport, map[string]int) {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := reportcheck.Validate(b); err != nil {
			t.Errorf("%s: %v", dir, err)
		}
		var r splitReport
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenFile(filepath.Join(dir, "report.xlsx"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows := map[string]int{}
		for _, sheet := range f.GetSheetList()[1:] {
			all, err := f.GetRows(sheet)
			if err != nil {
				t.Fatal(err)
			}
			rows[sheet] = len(all) - 1
		}
		return r, rows
	}
	whole, wholeRows := read(out)
	dirs, _ := filepath.Glob(filepath.Join(out, "issuers", "*"))
	if len(dirs) < 2 {
		t.Fatalf("packets: %q", dirs)
	}
	var sum splitReport
	sum.Summary.ByCategory = map[string]int64{}
	sumRows := map[string]int{}
	var ids []string
	for _, dir := range dirs {
		issuer := filepath.Base(dir)
		r, rows := read(dir)
		for _, f := range r.Findings {
			if f.Issuer == nil || *f.Issuer != issuer {
				t.Errorf("packet %s holds finding %s of issuer %v", issuer, f.ID, f.Issuer)
			}
			ids = append(ids, f.ID)
		}
		if r.Summary.Findings != int64(len(r.Findings)) {
			t.Errorf("packet %s counts %d findings and lists %d", issuer, r.Summary.Findings, len(r.Findings))
		}
		sum.Summary.Findings += r.Summary.Findings
		sum.Summary.MarketplaceRows += r.Summary.MarketplaceRows
		sum.Summary.InsurerRows += r.Summary.InsurerRows
		sum.Summary.MatchedMembers += r.Summary.MatchedMembers
		sum.Summary.PeopleAffected += r.Summary.PeopleAffected
		for c, n := range r.Summary.ByCategory {
			sum.Summary.ByCategory[c] += n
		}
		var loaded int64
		for _, in := range r.Inputs {
			loaded += in.RowsLoaded
		}
		if loaded != r.Summary.MarketplaceRows+r.Summary.InsurerRows {
			t.Errorf("packet %s: inputs load %d rows, summary %d", issuer, loaded, r.Summary.MarketplaceRows+r.Summary.InsurerRows)
		}
		for s, n := range rows {
			sumRows[s] += n
		}
	}
	var wholeIDs []string
	for _, f := range whole.Findings {
		wholeIDs = append(wholeIDs, f.ID)
	}
	slices.Sort(ids)
	slices.Sort(wholeIDs)
	if !slices.Equal(ids, wholeIDs) {
		t.Errorf("packets' findings (%d) are not the whole's (%d)", len(ids), len(wholeIDs))
	}
	w := whole.Summary
	if sum.Summary.Findings != w.Findings || sum.Summary.MarketplaceRows != w.MarketplaceRows || sum.Summary.InsurerRows != w.InsurerRows ||
		sum.Summary.MatchedMembers != w.MatchedMembers || sum.Summary.PeopleAffected != w.PeopleAffected {
		t.Errorf("packets add up to %+v, whole %+v", sum.Summary, w)
	}
	for c, n := range w.ByCategory {
		if sum.Summary.ByCategory[c] != n {
			t.Errorf("%s: packets %d, whole %d", c, sum.Summary.ByCategory[c], n)
		}
	}
	for s, n := range wholeRows {
		if strings.HasPrefix(s, "Wrong") || strings.HasPrefix(s, "Missing") || strings.HasPrefix(s, "Unknown") ||
			strings.HasPrefix(s, "Duplicate") || strings.HasPrefix(s, "Invalid") {
			if sumRows[s] != n {
				t.Errorf("sheet %s: packets' rows %d, whole %d", s, sumRows[s], n)
			}
		}
	}
}
