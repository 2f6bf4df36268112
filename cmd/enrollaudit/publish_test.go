package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/enrollaudit/enrollaudit/reports"
)

// TestPublishFromHistory: publish writes the page and figures.csv/json from
// a history alone; the files hold the same figures, exactly those the page
// shows (data-figure headline values included), and the integrity figures
// are the recorded report's.
func TestPublishFromHistory(t *testing.T) {
	out := fixturePage(t)
	raw, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep reports.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	hist := filepath.Join(t.TempDir(), "audits.history")
	pub := filepath.Join(t.TempDir(), "public")
	for _, args := range [][]string{
		{"history", "import", "--history", hist, "--as-of", "2026-01-05", filepath.Join(out, "report.json")},
		{"history", "import", "--history", hist, "--as-of", "2026-01-12", filepath.Join(out, "report.json")},
		{"publish", "--history", hist, "--out", pub, "--quiet"},
	} {
		var stdout, stderr strings.Builder
		if code := Main(args, strings.NewReader(""), &stdout, &stderr); code != exitOK {
			t.Fatalf("%v exited %d: %s", args, code, stderr.String())
		}
	}

	var figs struct{ Figures []reports.PageFigure }
	raw, err = os.ReadFile(filepath.Join(pub, "figures.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &figs); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(pub, "figures.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows)-1 != len(figs.Figures) {
		t.Fatalf("figures.csv has %d figures, figures.json %d", len(rows)-1, len(figs.Figures))
	}
	headline := map[string]string{}
	trendRuns := map[string]bool{}
	for i, fg := range figs.Figures {
		if got := rows[i+1]; got[0] != fg.Section || got[1] != fg.Row || got[2] != fg.Figure || got[3] != fg.Value {
			t.Errorf("figures.csv line %d = %v, figures.json has %+v", i+2, got, fg)
		}
		switch fg.Section {
		case "headline":
			headline[fg.Figure] = fg.Value
		case "trend":
			trendRuns[fg.Row] = true
		}
	}
	in := rep.Summary.Integrity
	if headline["policies"] != strconv.FormatInt(in.Policies, 10) || headline["policies_intact"] != strconv.FormatInt(in.PoliciesIntact, 10) ||
		headline["policy_rate"] != strconv.FormatFloat(100**in.PolicyRate, 'f', 1, 64)+"%" {
		t.Errorf("published headline %v, report.json integrity %+v", headline, in.IntegrityCounts)
	}
	if !trendRuns["2026-01-05"] || !trendRuns["2026-01-12"] || len(trendRuns) != 2 {
		t.Errorf("trend runs %v, want the two recorded", trendRuns)
	}

	page, err := os.ReadFile(filepath.Join(pub, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	shown := map[string]string{}
	for _, m := range regexp.MustCompile(`data-figure="([a-z_]+)">([^<]*)<`).FindAllStringSubmatch(string(page), -1) {
		shown[m[1]] = m[2]
	}
	if len(shown) != len(headline) {
		t.Errorf("page shows %d headline figures, figures.json %d", len(shown), len(headline))
	}
	for k, v := range headline {
		if shown[k] != strings.ReplaceAll(v, "&", "&amp;") {
			t.Errorf("headline %s: page %q, figures.json %q", k, shown[k], v)
		}
	}
}
