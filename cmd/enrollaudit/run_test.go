package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/enrollaudit/enrollaudit/audit"
)

// fixtureRun is the options of a run on the basic fixture into out.
func fixtureRun(out string) audit.Options {
	fx := filepath.Join("..", "..", "fixtures", "basic")
	return audit.Options{
		Marketplace: []string{filepath.Join(fx, "marketplace.csv")}, Insurer: []string{filepath.Join(fx, "insurer.csv")},
		InsurerMapping: filepath.Join(fx, "insurer-mapping.yaml"), OutDir: out,
		Now: func() time.Time { return time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC) },
	}
}

// TestFailedRunKeepsPreviousReport: a run that fails leaves the reports of
// the previous run as they were and no partial file.
func TestFailedRunKeepsPreviousReport(t *testing.T) {
	out := t.TempDir()
	if _, err := runAudit(context.Background(), fixtureRun(out), nil); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(out, "report.json"))
	opts := fixtureRun(out)
	opts.InsurerMapping = filepath.Join(t.TempDir(), "missing.yaml")
	if _, err := runAudit(context.Background(), opts, nil); err == nil {
		t.Fatal("run with a missing mapping succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := runAudit(ctx, fixtureRun(out), nil); err == nil {
		t.Fatal("cancelled run succeeded")
	}
	after, _ := os.ReadFile(filepath.Join(out, "report.json"))
	if string(before) != string(after) {
		t.Error("a failed run changed the previous report")
	}
	files, _ := filepath.Glob(filepath.Join(out, ".*"))
	if len(files) > 0 {
		t.Errorf("temporary files left behind: %v", files)
	}
}

// TestPublishingIsAllOrNothing: when one report cannot be written (here
// report.json is a directory), no other report is published either.
func TestPublishingIsAllOrNothing(t *testing.T) {
	out := t.TempDir()
	if err := os.Mkdir(filepath.Join(out, "report.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := runAudit(context.Background(), fixtureRun(out), nil); err == nil || !strings.Contains(err.Error(), "is not a regular file") {
		t.Fatalf("error = %v, want report.json refused", err)
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 1 {
		t.Errorf("output directory holds %d entries, want only the report.json directory", len(entries))
	}
}

// TestSplitByIssuerKeepsToScope: with --issuer, only the issuers audited
// get a packet, with and without identity matching.
func TestSplitByIssuerKeepsToScope(t *testing.T) {
	fx := "../../fixtures/basic/"
	for _, match := range []string{"identity", "keys"} {
		out := filepath.Join(t.TempDir(), "out")
		if code, _, stderr := enrollaudit(t, "run", "--quiet", "--marketplace", fx+"marketplace.csv", "--insurer", fx+"insurer.csv",
			"--insurer-mapping", fx+"insurer-mapping.yaml", "--out", out, "--split-by-issuer", "--issuer", "38344", "--match", match); code != 0 {
			t.Fatalf("run --match %s: exit %d: %s", match, code, stderr)
		}
		dirs, _ := filepath.Glob(filepath.Join(out, "issuers", "*"))
		if len(dirs) != 1 || filepath.Base(dirs[0]) != "38344" {
			t.Errorf("--match %s: packets %q, want only issuers/38344", match, dirs)
		}
	}
}

// TestRunTimesItsStages: run --timings hears every stage of a run once, in
// order, as it ends.
func TestRunTimesItsStages(t *testing.T) {
	var stages []string
	timer := func(stage string, wall, cpu time.Duration) {
		stages = append(stages, stage)
		if wall <= 0 || cpu < 0 {
			t.Errorf("stage %s: wall %v, cpu %v", stage, wall, cpu)
		}
	}
	if _, err := runAudit(context.Background(), fixtureRun(filepath.Join(t.TempDir(), "out")), timer); err != nil {
		t.Fatal(err)
	}
	want := []string{"open", "load", "match", "evaluate", "reports", "close"}
	if !slices.Equal(stages, want) {
		t.Errorf("stages %v, want %v", stages, want)
	}
}
