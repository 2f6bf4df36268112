package synth_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/enrollaudit/enrollaudit/audit/synth"
	"github.com/enrollaudit/enrollaudit/canonical"
)

var files = []string{synth.MarketplaceFile, synth.InsurerFile, synth.InsurerMappingFile, synth.TruthFile}

func generate(t testing.TB, o synth.Options) (string, synth.Summary) {
	t.Helper()
	dir := t.TempDir()
	sum, err := synth.Generate(context.Background(), dir, o)
	if err != nil {
		t.Fatal(err)
	}
	return dir, sum
}

func read(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDeterministic(t *testing.T) {
	for _, o := range []synth.Options{
		{Policies: 300, Seed: 42, Rate: 0.2, Noise: true, Profile: synth.ProfileWide, Unreadable: true, MistypedIDs: true},
		{Policies: 300, Seed: 42, Rate: 0.2, Noise: true},
	} {
		a, _ := generate(t, o)
		b, _ := generate(t, o)
		for _, f := range files {
			if !bytes.Equal(read(t, a, f), read(t, b, f)) {
				t.Errorf("%s differs between two runs with %+v", f, o)
			}
		}
	}
	o := synth.Options{Policies: 300, Seed: 42, Rate: 0.2, Noise: true}
	a, _ := generate(t, o)
	o.Seed = 43
	c, _ := generate(t, o)
	for _, f := range []string{synth.MarketplaceFile, synth.InsurerFile, synth.TruthFile} {
		if bytes.Equal(read(t, a, f), read(t, c, f)) {
			t.Errorf("%s is the same for seeds 42 and 43", f)
		}
	}
}

// Noise only changes how the insurer roster is written, never the data, so
// the truth is the same with and without it.
func TestNoiseLeavesDataAlone(t *testing.T) {
	o := synth.Options{Policies: 200, Seed: 5, Rate: 0.2}
	plain, _ := generate(t, o)
	o.Noise = true
	noisy, _ := generate(t, o)
	for _, f := range []string{synth.MarketplaceFile, synth.TruthFile} {
		if !bytes.Equal(read(t, plain, f), read(t, noisy, f)) {
			t.Errorf("%s changes with noise", f)
		}
	}
	if bytes.Equal(read(t, plain, synth.InsurerFile), read(t, noisy, synth.InsurerFile)) {
		t.Error("noise did not change the insurer roster")
	}
}

func TestCounts(t *testing.T) {
	o := synth.Options{Policies: 400, Seed: 7, Rate: 0.15, Noise: true}
	dir, sum := generate(t, o)
	mk := records(t, dir, synth.MarketplaceFile)
	ins := records(t, dir, synth.InsurerFile)
	if len(mk)-1 != sum.MarketplaceRows || len(ins)-1 != sum.InsurerRows {
		t.Errorf("rows: files have %d and %d, summary says %d and %d", len(mk)-1, len(ins)-1, sum.MarketplaceRows, sum.InsurerRows)
	}
	policies, members := map[string]bool{}, map[[2]string]bool{}
	for _, r := range mk[1:] {
		policies[r[2]] = true
		members[[2]string{r[2], r[4]}] = true
	}
	if len(policies) != o.Policies || sum.Policies != o.Policies {
		t.Errorf("policies: %d in the file, %d in the summary, want %d", len(policies), sum.Policies, o.Policies)
	}
	if len(members) != sum.Members {
		t.Errorf("members: %d in the file, %d in the summary", len(members), sum.Members)
	}
	if avg := float64(sum.Members) / float64(sum.Policies); avg < 2 || avg > 3 {
		t.Errorf("%.2f members a policy, want families: 2 to 3 on average", avg)
	}

	var truth struct {
		Seed     int64         `json:"seed"`
		Policies int           `json:"policies"`
		Members  int           `json:"members"`
		Planted  []synth.Truth `json:"planted"`
	}
	if err := json.Unmarshal(read(t, dir, synth.TruthFile), &truth); err != nil {
		t.Fatal(err)
	}
	if truth.Seed != o.Seed || truth.Policies != sum.Policies || truth.Members != sum.Members || len(truth.Planted) != len(sum.Planted) {
		t.Errorf("truth.json says seed %d, %d policies, %d members, %d planted; summary %d, %d, %d",
			truth.Seed, truth.Policies, truth.Members, len(truth.Planted), sum.Policies, sum.Members, len(sum.Planted))
	}
	if want := float64(o.Policies) * o.Rate; float64(sum.PlantedPolicies) < want/2 || float64(sum.PlantedPolicies) > want*2 {
		t.Errorf("%d policies planted, want about %.0f", sum.PlantedPolicies, want)
	}
	seen := map[string]int{}
	for _, p := range truth.Planted {
		seen[p.Category]++
	}
	// Only messy plants (TestMessyPlants) give wrong_identifiers findings.
	want := slices.DeleteFunc(slices.Clone(canonical.Categories), func(c string) bool { return c == "wrong_identifiers" })
	for _, c := range want {
		if seen[c] == 0 {
			t.Errorf("no %s planted", c)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("planted categories %v, want those of the contract", seen)
	}
}

// TestMessyPlants: every kind of messy plant is in the truth, in both
// profiles, with what the audit must report about it.
func TestMessyPlants(t *testing.T) {
	for _, profile := range synth.Profiles {
		_, sum := generate(t, synth.Options{Policies: 400, Seed: 9, Rate: 0.3, Noise: true, Unreadable: true, MistypedIDs: true, Profile: profile})
		fields, methods := map[string]int{}, map[string]int{}
		for _, p := range sum.Planted {
			switch {
			case p.Rule == synth.RuleFieldUnreadable:
				if p.Category != "invalid_record" || p.Side != "insurer" || p.ExchangeMemberID == nil {
					t.Errorf("%s: %+v: want an insurer member's invalid_record", profile, p)
				}
				fields[p.Field]++
			case p.Category == "wrong_identifiers":
				if p.InsurerPolicyID == "" || (p.ExchangeMemberID == nil) != (p.InsurerMemberID == "") {
					t.Errorf("%s: %+v: want the insurer's IDs", profile, p)
				}
				if p.ExchangeMemberID != nil && *p.ExchangeMemberID == p.InsurerMemberID ||
					p.ExchangeMemberID == nil && p.ExchangePolicyID == p.InsurerPolicyID {
					t.Errorf("%s: %+v: the insurer's IDs are the marketplace's", profile, p)
				}
				methods[p.Method]++
			}
		}
		for _, f := range []string{"paid_through_date", "member_premium", "birth_date", "gender"} {
			if fields[f] == 0 {
				t.Errorf("%s: no unreadable %s planted (%v)", profile, f, fields)
			}
		}
		for _, m := range []string{synth.MethodMemberID, synth.MethodSSNBirthDate, synth.MethodNameBirth} {
			if methods[m] == 0 {
				t.Errorf("%s: no wrong_identifiers by %s planted (%v)", profile, m, methods)
			}
		}
	}
}

func records(t *testing.T, dir, name string) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(read(t, dir, name)))
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return recs
}

func TestBadOptions(t *testing.T) {
	for _, o := range []synth.Options{{Policies: 0}, {Policies: 10, Rate: 1.5}} {
		if _, err := synth.Generate(context.Background(), t.TempDir(), o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	dir := b.TempDir()
	o := synth.Options{Policies: 100_000, Seed: 1, Rate: synth.DefaultRate, Noise: true}
	members := 0
	start := time.Now()
	for b.Loop() {
		sum, err := synth.Generate(context.Background(), dir, o)
		if err != nil {
			b.Fatal(err)
		}
		members += sum.Members
	}
	b.ReportMetric(float64(members)/time.Since(start).Seconds(), "members/s")
}
