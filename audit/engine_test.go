package audit

import (
	"context"
	"os"
	"path/filepath"
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
