package synth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/enrollaudit/enrollaudit/audit"
	"github.com/enrollaudit/enrollaudit/audit/synth"
	"github.com/enrollaudit/enrollaudit/reports"
)

// TestTruthMatchesAudit is the generator's contract: auditing the generated
// files with the default rules yields exactly the planted findings, no more
// and no fewer, and the insurer's formatting noise yields none.
func TestTruthMatchesAudit(t *testing.T) {
	for _, o := range []synth.Options{
		{Policies: 400, Seed: 7, Rate: 0.15, Noise: true},
		{Policies: 600, Seed: 20260101, Rate: 0.2, Noise: true},
		{Policies: 300, Seed: 3, Rate: 0.15},
		{Policies: 500, Seed: 11, Rate: -1, Noise: true}, // noise alone: no findings at all
		{Policies: 500, Seed: 12, Rate: 0.2, Noise: true, Profile: synth.ProfileWide},
		{Policies: 800, Seed: 13, Rate: -1, Noise: true, Profile: synth.ProfileWide},
	} {
		t.Run(fmt.Sprintf("%sseed%d", o.Profile, o.Seed), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			sum, err := synth.Generate(context.Background(), dir, o)
			if err != nil {
				t.Fatal(err)
			}
			got := audited(t, dir)
			missing, extra := difference(sum.Planted, got)
			if len(missing)+len(extra) > 0 {
				t.Errorf("audit findings differ from truth (%d planted, %d found)\nmissing (planted, not found):\n%s\nextra (found, not planted):\n%s",
					len(sum.Planted), len(got), lines(missing), lines(extra))
			}
		})
	}
}

// TestMessyTruthMatchesAudit: with unreadable values, mistyped member IDs
// and policies under another ID planted, the audit still reports exactly
// the truth: one field-unreadable finding per unreadable value, one
// wrong_identifiers finding per person (per policy) keyed under other IDs,
// and every other difference planted on those people.
func TestMessyTruthMatchesAudit(t *testing.T) {
	for _, o := range []synth.Options{
		{Policies: 700, Seed: 21, Rate: 0.25, Noise: true, Unreadable: true},
		{Policies: 700, Seed: 22, Rate: 0.25, Noise: true, MistypedIDs: true},
		{Policies: 700, Seed: 23, Rate: 0.25, Noise: true, Unreadable: true, MistypedIDs: true, Profile: synth.ProfileWide},
	} {
		t.Run(fmt.Sprintf("%sseed%d", o.Profile, o.Seed), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			sum, err := synth.Generate(context.Background(), dir, o)
			if err != nil {
				t.Fatal(err)
			}
			got, err := audit1(t, dir)
			if err != nil {
				t.Fatalf("audit: %v", err)
			}
			missing, extra := difference(sum.Planted, got)
			if len(missing)+len(extra) > 0 {
				t.Errorf("audit findings differ from truth (%d planted, %d found)\nmissing (planted, not found):\n%s\nextra (found, not planted):\n%s",
					len(sum.Planted), len(got), lines(missing), lines(extra))
			}
		})
	}
}

// audited runs the audit over a generated directory and returns its
// findings as truth entries.
func audited(t *testing.T, dir string) []synth.Truth {
	t.Helper()
	got, err := audit1(t, dir)
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	return got
}

// reportFinding is what the truth test reads of a finding in report.json.
type reportFinding struct {
	synth.Truth
	Match struct {
		Method string `json:"method"`
	} `json:"match"`
	Insurer map[string]any `json:"insurer"`
}

func audit1(t *testing.T, dir string) ([]synth.Truth, error) {
	t.Helper()
	ctx := context.Background()
	out := filepath.Join(dir, "out")
	e, err := audit.Open(ctx, audit.Options{
		Marketplace:    []string{filepath.Join(dir, synth.MarketplaceFile)},
		Insurer:        []string{filepath.Join(dir, synth.InsurerFile)},
		InsurerMapping: filepath.Join(dir, synth.InsurerMappingFile),
		OutDir:         out,
		Threads:        2,
	})
	if err != nil {
		return nil, err
	}
	defer e.Close()
	for _, step := range []func(context.Context) error{e.Load, e.Match, e.Evaluate} {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	// report.json, as `enrollaudit run` publishes it; the week-pair test
	// reads it again.
	if _, err := reports.Publish(ctx, out, e.Report(), reports.JSON{}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Findings []reportFinding `json:"findings"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("read report: %v", err)
	}
	got := make([]synth.Truth, len(rep.Findings))
	for i, f := range rep.Findings {
		got[i] = f.Truth
		got[i].Method = f.Match.Method
		if f.Category == "wrong_identifiers" {
			// The IDs the insurer has the person or policy under.
			got[i].InsurerPolicyID, _ = f.Insurer["exchange_policy_id"].(string)
			got[i].InsurerMemberID, _ = f.Insurer["exchange_member_id"].(string)
		}
		// A field problem names its field, or shows the insurer's value
		// of that one field.
		if f.Rule == synth.RuleFieldUnreadable && f.Field == "" && len(f.Insurer) == 1 {
			for k := range f.Insurer {
				got[i].Field = k
			}
		}
	}
	return got, nil
}

// difference returns the entries of want not in got and of got not in want,
// counting repeats.
func difference(want, got []synth.Truth) (missing, extra []synth.Truth) {
	key := func(x synth.Truth) string {
		m := "null"
		if x.ExchangeMemberID != nil {
			m = *x.ExchangeMemberID
		}
		field := ""
		if x.Rule == synth.RuleFieldUnreadable {
			field = x.Field
		}
		return strings.Join([]string{x.Category, x.Rule, x.Method, x.ExchangePolicyID, m, x.Side, field, x.InsurerPolicyID, x.InsurerMemberID}, "|")
	}
	left := map[string]int{}
	for _, w := range want {
		left[key(w)]++
	}
	for _, g := range got {
		if left[key(g)] > 0 {
			left[key(g)]--
			continue
		}
		extra = append(extra, g)
	}
	for _, w := range want {
		if left[key(w)] > 0 {
			left[key(w)]--
			missing = append(missing, w)
		}
	}
	slices.SortFunc(missing, synth.Compare)
	slices.SortFunc(extra, synth.Compare)
	return missing, extra
}

func lines(ts []synth.Truth) string {
	if len(ts) == 0 {
		return "  (none)"
	}
	var b strings.Builder
	for _, x := range ts {
		m := "-"
		if x.ExchangeMemberID != nil {
			m = *x.ExchangeMemberID
		}
		fmt.Fprintf(&b, "  %-20s %-32s policy %s member %s %s %s%s %s %s\n", x.Category, x.Rule, x.ExchangePolicyID, m, x.Side, x.Field, x.Method, x.InsurerPolicyID, x.InsurerMemberID)
	}
	return b.String()
}
