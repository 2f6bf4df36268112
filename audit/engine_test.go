package audit

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/enrollaudit/enrollaudit/reports"
)

// TestEngineSteps: the engine computes without writing any file, and its
// findings can be read more than once and by issuer.
func TestEngineSteps(t *testing.T) {
	ctx := context.Background()
	out := filepath.Join(t.TempDir(), "out")
	e, err := Open(ctx, fixtureOptions(out))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, step := range []func(context.Context) error{e.Load, e.Match, e.Evaluate} {
		if err := step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the engine wrote to the output directory: %v", err)
	}
	count := func(src reports.FindingSource) (map[string]int64, int64) {
		by := map[string]int64{}
		var n int64
		if err := src.Each(ctx, "", func(f *reports.Finding) error {
			n++
			if f.IssuerHIOSID != nil {
				by[*f.IssuerHIOSID]++
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return by, n
	}
	rep := e.Report()
	byIssuer, all := count(rep.Findings)
	if all == 0 || all != rep.Summary.Findings {
		t.Fatalf("%d findings read, summary says %d", all, rep.Summary.Findings)
	}
	if _, again := count(rep.Findings); again != all {
		t.Errorf("second read gave %d findings, first %d", again, all)
	}
	if len(byIssuer) < 2 {
		t.Fatalf("the fixture has findings of %d issuers; want several", len(byIssuer))
	}
	for issuer, want := range byIssuer {
		if got, n := count(e.Findings(issuer)); n != want || len(got) != 1 {
			t.Errorf("issuer %s: %d findings of %d issuers, want %d of 1", issuer, n, len(got), want)
		}
	}
}

// TestOpenChecksWhatTheBuildDidNot: Open trusts the default pack as shipped
// (TestDefaultRulesCompile checks it) but still binds and tries a pack rule
// whose parameter a rule file overrides, and every user rule.
func TestOpenChecksWhatTheBuildDidNot(t *testing.T) {
	tests := []struct{ name, file, want string }{
		{"overridden parameter", "version: 1\noverride:\n  - id: aptc-mismatch\n    params: {tolerance: \"abc\"}\n", "rule aptc-mismatch"},
		{"user rule", "version: 1\nrules:\n  - id: not-boolean\n    title: t\n    category: wrong_plan\n    severity: high\n" +
			"    grain: policy\n    applies_to: matched\n    when: m.aptc_amount + 1\n    message: x\n", "rule not-boolean: when: must be true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "r.yaml")
			if err := os.WriteFile(p, []byte(tt.file), 0o644); err != nil {
				t.Fatal(err)
			}
			opts := fixtureOptions(filepath.Join(t.TempDir(), "out"))
			opts.Rules = []string{p}
			e, err := Open(context.Background(), opts)
			if err == nil {
				e.Close()
				t.Fatalf("Open accepted %s", tt.name)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
