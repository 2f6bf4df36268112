package main

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"

	"github.com/enrollaudit/enrollaudit/audit/synth"
)

// TestBaselineOnEveryShape: the baseline reads each generator shape through
// its mapping file and finds the planted differences of the categories it
// counts as the audit does, so it neither misses them nor reports
// formatting noise.
func TestBaselineOnEveryShape(t *testing.T) {
	for _, profile := range synth.Profiles {
		t.Run(profile, func(t *testing.T) {
			dir := t.TempDir()
			sum, err := synth.Generate(context.Background(), dir, synth.Options{Policies: 400, Seed: 4, Rate: 0.3, Noise: true, Profile: profile})
			if err != nil {
				t.Fatal(err)
			}
			in, err := inputsOf(dir)
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out")
			if err := os.MkdirAll(out, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := baseline(in, out, ""); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(filepath.Join(out, "baseline-findings.csv"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			recs, err := csv.NewReader(f).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			got, want := map[string]int{}, map[string]int{}
			for _, r := range recs[1:] {
				got[r[0]]++
			}
			for _, p := range sum.Planted {
				want[p.Category]++
			}
			// One finding per member or policy in both, as the audit has them.
			for _, c := range []string{"wrong_plan", "wrong_premium", "wrong_coverage_dates", "wrong_status", "wrong_demographics"} {
				if got[c] != want[c] || want[c] == 0 {
					t.Errorf("%s: baseline found %d, %d planted", c, got[c], want[c])
				}
			}
		})
	}
}

func TestInputsOf(t *testing.T) {
	dir := t.TempDir()
	if _, err := inputsOf(dir); err == nil {
		t.Error("an empty directory: no error")
	}
	for _, f := range []string{"marketplace.parquet", "insurer.tsv", "insurer-mapping.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in, err := inputsOf(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := inputs{marketplace: filepath.Join(dir, "marketplace.parquet"), insurer: filepath.Join(dir, "insurer.tsv"),
		insurerMapping: filepath.Join(dir, "insurer-mapping.yaml")}
	if in != want {
		t.Errorf("got %+v, want %+v", in, want)
	}
}
