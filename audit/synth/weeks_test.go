package synth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/enrollaudit/enrollaudit/audit/synth"
	"github.com/enrollaudit/enrollaudit/history"
)

// TestWeekPair: each week of a pair audits to exactly its own truth, and
// truth-lifecycle.json says what the two audits show: a persisting finding
// has the same id, values (as the history compares them) and amount both
// weeks, a changed one the same id with other values or amount, a new one
// is in week 2 only and a resolved one in week 1 only. The first pair is
// fixtures/weekly's.
func TestWeekPair(t *testing.T) {
	for _, o := range []synth.Options{
		{Policies: 150, Seed: 2026, Rate: 0.3, Noise: true, Weeks: 2},
		{Policies: 300, Seed: 31, Rate: 0.3, Noise: true, Weeks: 2},
		{Policies: 300, Seed: 32, Rate: 0.3, Noise: true, Weeks: 2, Profile: synth.ProfileWide},
	} {
		t.Run(fmt.Sprintf("%sseed%d", o.Profile, o.Seed), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			sum, err := synth.Generate(context.Background(), dir, o)
			if err != nil {
				t.Fatal(err)
			}
			var lc struct {
				Seed  int64                  `json:"seed"`
				AsOf  []string               `json:"as_of"`
				Week2 []synth.LifecycleTruth `json:"week_2"`
			}
			if err := json.Unmarshal(read(t, dir, synth.LifecycleFile), &lc); err != nil {
				t.Fatal(err)
			}
			var weeks [2]map[string]weekFinding
			for w := range weeks {
				wd := filepath.Join(dir, synth.WeekDir(w+1))
				var truth struct{ Planted []synth.Truth }
				if err := json.Unmarshal(read(t, wd, synth.TruthFile), &truth); err != nil {
					t.Fatal(err)
				}
				got := audited(t, wd)
				if missing, extra := difference(truth.Planted, got); len(missing)+len(extra) > 0 {
					t.Fatalf("week %d: audit findings differ from truth\nmissing:\n%s\nextra:\n%s", w+1, lines(missing), lines(extra))
				}
				weeks[w] = reportedFindings(t, filepath.Join(wd, "out", "report.json"))
			}
			counts := map[string]int{}
			for _, x := range lc.Week2 {
				counts[x.Status]++
				k := key(x.Truth)
				a, inOne := weeks[0][k]
				b, inTwo := weeks[1][k]
				same := inOne && inTwo && a.ID == b.ID && reflect.DeepEqual(a.Values, b.Values)
				var ok bool
				switch x.Status {
				case synth.StatusNew:
					ok = !inOne && inTwo
				case synth.StatusResolved:
					ok = inOne && !inTwo
				case synth.StatusPersisting:
					ok = same
				case synth.StatusChanged:
					ok = inOne && inTwo && a.ID == b.ID && !same
				}
				if !ok {
					t.Errorf("%s %s: in week 1 %v (%s), in week 2 %v (%s)", x.Status, k, inOne, a.Values, inTwo, b.Values)
				}
			}
			for _, s := range []string{synth.StatusNew, synth.StatusPersisting, synth.StatusChanged, synth.StatusResolved} {
				if counts[s] == 0 || counts[s] != sum.Lifecycle[s] {
					t.Errorf("%d findings %s in the file, %d in the summary; want some", counts[s], s, sum.Lifecycle[s])
				}
			}
			if n := len(weeks[0]) + counts[synth.StatusNew] - counts[synth.StatusResolved]; n != len(weeks[1]) {
				t.Errorf("week 1 has %d findings, +%d new -%d resolved is %d, week 2 has %d", len(weeks[0]),
					counts[synth.StatusNew], counts[synth.StatusResolved], n, len(weeks[1]))
			}
		})
	}
}

// weekFinding is what tells persisting from changed: the finding's id, and
// the history's hash of both sides' values with the amount.
type weekFinding struct {
	ID     string
	Values string
}

func reportedFindings(t *testing.T, path string) map[string]weekFinding {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Findings []struct {
			synth.Truth
			ID          string             `json:"id"`
			Marketplace map[string]*string `json:"marketplace"`
			Insurer     map[string]*string `json:"insurer"`
			Amount      json.RawMessage    `json:"monthly_amount_difference"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	out := map[string]weekFinding{}
	for _, f := range rep.Findings {
		out[key(f.Truth)] = weekFinding{ID: f.ID, Values: history.ValuesHash(f.Marketplace, f.Insurer) + " " + string(f.Amount)}
	}
	return out
}

func key(x synth.Truth) string {
	m := "null"
	if x.ExchangeMemberID != nil {
		m = *x.ExchangeMemberID
	}
	return strings.Join([]string{x.Category, x.Rule, x.ExchangePolicyID, m, x.Side}, "|")
}

// TestWeeklyFixture: fixtures/weekly is what its README's command writes.
func TestWeeklyFixture(t *testing.T) {
	fixture := filepath.Join("..", "..", "fixtures", "weekly")
	dir := t.TempDir()
	if _, err := synth.Generate(context.Background(), dir, synth.Options{Policies: 150, Seed: 2026, Rate: 0.3, Noise: true, Weeks: 2}); err != nil {
		t.Fatal(err)
	}
	names := []string{synth.LifecycleFile}
	for _, w := range []string{synth.WeekDir(1), synth.WeekDir(2)} {
		for _, f := range files {
			names = append(names, filepath.Join(w, f))
		}
	}
	for _, f := range names {
		if string(read(t, fixture, f)) != string(read(t, dir, f)) {
			t.Errorf("fixtures/weekly/%s differs from the generator's output: regenerate it (see its README)", f)
		}
	}
}
