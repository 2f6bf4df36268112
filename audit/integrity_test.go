package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/enrollaudit/enrollaudit/audit/synth"
	"github.com/enrollaudit/enrollaudit/reports"
)

// TestIntegrityMatchesTruth: on generated data, every live marketplace
// policy without a planted discrepancy of a category that breaks integrity
// is intact and every other is not, in total and per issuer and state; the
// people are the members of those policies.
func TestIntegrityMatchesTruth(t *testing.T) {
	for _, o := range []synth.Options{
		{Policies: 500, Seed: 31, Rate: 0.2, Noise: true},
		{Policies: 400, Seed: 32, Rate: -1, Noise: true}, // nothing planted: everything live is intact
	} {
		t.Run(fmt.Sprintf("seed%d", o.Seed), func(t *testing.T) {
			dir := t.TempDir()
			sum, err := synth.Generate(context.Background(), dir, o)
			if err != nil {
				t.Fatal(err)
			}
			broken := map[string]bool{}
			for _, p := range sum.Planted {
				if slices.Contains(reports.IntegrityCategories, p.Category) {
					broken[p.ExchangePolicyID] = true
				}
			}
			want := expectedIntegrity(t, filepath.Join(dir, synth.MarketplaceFile), broken)

			out := filepath.Join(dir, "out")
			_, err = runAndPublish(context.Background(), Options{Marketplace: []string{filepath.Join(dir, synth.MarketplaceFile)},
				Insurer: []string{filepath.Join(dir, synth.InsurerFile)}, InsurerMapping: filepath.Join(dir, synth.InsurerMappingFile),
				OutDir: out, Formats: []string{"json"}, Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(filepath.Join(out, "report.json"))
			if err != nil {
				t.Fatal(err)
			}
			var rep struct{ Summary reports.Summary }
			if err := json.Unmarshal(raw, &rep); err != nil {
				t.Fatal(err)
			}
			g := rep.Summary.Integrity
			if g == nil {
				t.Fatal("no summary.integrity")
			}
			got := map[string]counts{"": countsOf(g.IntegrityCounts)}
			for _, x := range g.ByIssuer {
				got["issuer "+x.Key] = countsOf(x.IntegrityCounts)
			}
			for _, x := range g.ByState {
				got["state "+x.Key] = countsOf(x.IntegrityCounts)
			}
			for k, w := range want {
				if got[k] != w {
					t.Errorf("%q: got %+v, want %+v", k, got[k], w)
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d groups, want %d", len(got), len(want))
			}
			if o.Rate < 0 && (g.PoliciesIntact != g.Policies || g.DollarsAtStake != 0) {
				t.Errorf("nothing planted: %d of %d intact, $%s at stake", g.PoliciesIntact, g.Policies, g.DollarsAtStake)
			}
			if o.Rate > 0 && (g.PoliciesIntact == g.Policies || g.DollarsAtStake <= g.MonthlyAtStake) {
				t.Errorf("planted: %d of %d intact, $%s at stake over the year, $%s a month", g.PoliciesIntact, g.Policies, g.DollarsAtStake, g.MonthlyAtStake)
			}
		})
	}
}

type counts struct{ Policies, PoliciesIntact, People, PeopleIntact int64 }

func countsOf(c reports.IntegrityCounts) counts {
	return counts{c.Policies, c.PoliciesIntact, c.People, c.PeopleIntact}
}

// expectedIntegrity reads the generated marketplace file (canonical
// headers): live policies are those whose subscriber row is effectuated or
// pending; people their distinct members.
func expectedIntegrity(t *testing.T, path string, broken map[string]bool) map[string]counts {
	t.Helper()
	rows := readCSV(t, path)
	col := func(name string) int {
		i := slices.Index(rows[0], name)
		if i < 0 {
			t.Fatalf("%s has no column %s", path, name)
		}
		return i
	}
	pol, mem, sub, status, issuer, state := col("exchange_policy_id"), col("exchange_member_id"), col("subscriber_indicator"),
		col("effectuation_status"), col("issuer_hios_id"), col("state")
	type policy struct {
		issuer, state string
		members       map[string]bool
	}
	live := map[string]*policy{}
	for _, r := range rows[1:] {
		if r[sub] == "Y" && (r[status] == "effectuated" || r[status] == "pending") {
			live[r[pol]] = &policy{issuer: r[issuer], state: r[state], members: map[string]bool{}}
		}
	}
	for _, r := range rows[1:] {
		if p := live[r[pol]]; p != nil {
			p.members[r[mem]] = true
		}
	}
	out := map[string]counts{}
	for id, p := range live {
		for _, k := range []string{"", "issuer " + p.issuer, "state " + p.state} {
			c := out[k]
			c.Policies++
			c.People += int64(len(p.members))
			if !broken[id] {
				c.PoliciesIntact++
				c.PeopleIntact += int64(len(p.members))
			}
			out[k] = c
		}
	}
	return out
}
