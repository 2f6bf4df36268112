package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/enrollaudit/enrollaudit/history"
	"github.com/enrollaudit/enrollaudit/internal/reportcheck"
)

// weeklyAsOf are the as-of dates of fixtures/weekly's two weeks.
var weeklyAsOf = [2]string{"2026-07-20", "2026-07-27"}

// runWeek audits week w (1 or 2) of fixtures/weekly into hist, writing the
// reports into out, and returns the exit code, stdout and stderr.
func runWeek(t *testing.T, hist, out string, w int, extra ...string) (int, string, string) {
	t.Helper()
	dir := filepath.Join("..", "..", "fixtures", "weekly", "week-"+string(rune('0'+w)))
	args := append([]string{"run", "-q", "--no-html",
		"--marketplace", filepath.Join(dir, "marketplace.csv"), "--insurer", filepath.Join(dir, "insurer.csv"),
		"--insurer-mapping", filepath.Join(dir, "insurer-mapping.yaml"),
		"--history", hist, "--as-of", weeklyAsOf[w-1], "--out", out}, extra...)
	var stdout, stderr bytes.Buffer
	code := Main(args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// lifeReport is what a report.json says of the history.
type lifeReport struct {
	PreviousRun *struct {
		AsOf string `json:"as_of"`
	} `json:"previous_run"`
	Resolved []struct {
		ID           string  `json:"id"`
		IssuerHIOSID *string `json:"issuer_hios_id"`
	} `json:"resolved"`
	Summary struct {
		Lifecycle map[string]int64 `json:"lifecycle"`
	} `json:"summary"`
	Findings []struct {
		ID               string  `json:"id"`
		IssuerHIOSID     *string `json:"issuer_hios_id"`
		Rule             string  `json:"rule"`
		Category         string  `json:"category"`
		ExchangePolicyID string  `json:"exchange_policy_id"`
		ExchangeMemberID *string `json:"exchange_member_id"`
		Side             string  `json:"side"`
		Lifecycle        *struct {
			Status    string `json:"status"`
			FirstSeen string `json:"first_seen"`
			RunsSeen  int    `json:"runs_seen"`
		} `json:"lifecycle"`
	} `json:"findings"`
}

func readLifeReport(t *testing.T, out string) *lifeReport {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := reportcheck.Validate(raw); err != nil {
		t.Errorf("%s/report.json does not follow docs/report.schema.json: %v", out, err)
	}
	var r lifeReport
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// truthKey names a finding as fixtures/weekly's truth files do.
func truthKey(category, rule, policy string, member *string, side string) string {
	m := "null"
	if member != nil {
		m = *member
	}
	return strings.Join([]string{category, rule, policy, m, side}, "|")
}

// TestRunHistoryWeekly audits fixtures/weekly's two weeks into one history:
// week 2's findings have the statuses of truth-lifecycle.json, exactly the
// fixed ones are resolved, re-running either week changes nothing, and the
// trend shows both weeks.
func TestRunHistoryWeekly(t *testing.T) {
	tmp := t.TempDir()
	hist := filepath.Join(tmp, "audits.history")
	out := func(name string) string { return filepath.Join(tmp, name) }
	for w := 1; w <= 2; w++ {
		if code, _, stderr := runWeek(t, hist, out("week-"+string(rune('0'+w))), w); code != 0 {
			t.Fatalf("week %d: exit %d: %s", w, code, stderr)
		}
	}
	w1, w2 := readLifeReport(t, out("week-1")), readLifeReport(t, out("week-2"))
	if w1.PreviousRun != nil || w1.Summary.Lifecycle["new"] != int64(len(w1.Findings)) || len(w1.Resolved) != 0 {
		t.Errorf("week 1: previous run %v, lifecycle %v, %d resolved; want none, all %d new, none", w1.PreviousRun,
			w1.Summary.Lifecycle, len(w1.Resolved), len(w1.Findings))
	}
	if w2.PreviousRun == nil || w2.PreviousRun.AsOf != weeklyAsOf[0] {
		t.Errorf("week 2: previous run %v, want as of %s", w2.PreviousRun, weeklyAsOf[0])
	}

	var truth struct {
		Week2 []struct {
			Category, Rule   string
			ExchangePolicyID string  `json:"exchange_policy_id"`
			ExchangeMemberID *string `json:"exchange_member_id"`
			Side, Status     string
		} `json:"week_2"`
	}
	raw, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "weekly", "truth-lifecycle.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &truth); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, x := range truth.Week2 {
		k := truthKey(x.Category, x.Rule, x.ExchangePolicyID, x.ExchangeMemberID, x.Side)
		want[k] = x.Status
	}
	got := map[string]string{}
	counts := map[string]int64{}
	for _, f := range w2.Findings {
		k := truthKey(f.Category, f.Rule, f.ExchangePolicyID, f.ExchangeMemberID, f.Side)
		if f.Lifecycle == nil {
			t.Errorf("week 2: %s has no lifecycle", k)
			continue
		}
		got[k] = f.Lifecycle.Status
		counts[f.Lifecycle.Status]++
	}
	keyOfWeek1 := map[string]string{}
	for _, f := range w1.Findings {
		keyOfWeek1[f.ID] = truthKey(f.Category, f.Rule, f.ExchangePolicyID, f.ExchangeMemberID, f.Side)
	}
	for _, r := range w2.Resolved {
		k, ok := keyOfWeek1[r.ID]
		if !ok {
			t.Errorf("week 2: resolved %s was no finding of week 1", r.ID)
		}
		got[k] = "resolved"
		counts["resolved"]++
	}
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("week 2: %s is %q, want %q", k, got[k], want[k])
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("week 2: %s (%s) is in no truth", k, got[k])
		}
	}
	counts["reopened"], counts["not_evaluated"] = 0, 0
	if !reflect.DeepEqual(w2.Summary.Lifecycle, counts) {
		t.Errorf("week 2: summary.lifecycle %v, findings and resolved count %v", w2.Summary.Lifecycle, counts)
	}

	// Re-running a week replaces its run: week 2 again, then week 1 again
	// and week 2 once more, say what the first audits said.
	for _, step := range []struct {
		week int
		name string
		want *lifeReport
	}{{2, "week-2-again", w2}, {1, "week-1-again", w1}, {2, "week-2-third", w2}} {
		if code, _, stderr := runWeek(t, hist, out(step.name), step.week); code != 0 {
			t.Fatalf("%s: exit %d: %s", step.name, code, stderr)
		}
		if again := readLifeReport(t, out(step.name)); !reflect.DeepEqual(again, step.want) {
			t.Errorf("%s: the history's part of the report differs from the first run of the week", step.name)
		}
	}

	var stdout, stderr bytes.Buffer
	if code := Main([]string{"history", "trend", "--history", hist, "--format", "csv"}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("history trend: exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], weeklyAsOf[0]+",") || !strings.HasPrefix(lines[2], weeklyAsOf[1]+",") {
		t.Errorf("history trend: want a header and one row per week, got\n%s", stdout.String())
	}
}

// historyListing is what `history list` prints of hist.
func historyListing(t *testing.T, hist string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"history", "list", "--history", hist}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("history list: exit %d: %s", code, stderr.String())
	}
	return stdout.String()
}

// TestRunHistoryFailedRun: a run that fails after the audit (its report
// cannot be published) leaves the history as it was; a history that is not
// one, and an --as-of that is not a date, fail the run before anything is
// written.
func TestRunHistoryFailedRun(t *testing.T) {
	tmp := t.TempDir()
	hist := filepath.Join(tmp, "audits.history")
	if code, _, stderr := runWeek(t, hist, filepath.Join(tmp, "week-1"), 1); code != 0 {
		t.Fatalf("week 1: exit %d: %s", code, stderr)
	}
	before := historyListing(t, hist)

	blocked := filepath.Join(tmp, "blocked")
	if err := os.MkdirAll(filepath.Join(blocked, "report.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runWeek(t, hist, blocked, 2)
	if code != exitError || !strings.Contains(stderr, "report.json") {
		t.Errorf("week 2 into an --out whose report.json is a directory: exit %d, stderr %q; want exit 2 naming report.json", code, stderr)
	}
	if after := historyListing(t, hist); after != before {
		t.Errorf("a failed run changed the history:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	store, err := history.Open(context.Background(), hist)
	if err != nil {
		t.Fatal(err)
	}
	busyOut := filepath.Join(tmp, "busy-out")
	code, _, stderr = runWeek(t, hist, busyOut, 2)
	store.Close()
	if code != exitError || !strings.Contains(stderr, "history file is in use") {
		t.Errorf("a history in use: exit %d, stderr %q; want exit 2 saying it is in use", code, stderr)
	}
	if _, err := os.Stat(busyOut); !os.IsNotExist(err) {
		t.Errorf("a run refused for its history in use wrote %s (%v)", busyOut, err)
	}

	foreign := filepath.Join(tmp, "notes.txt")
	if err := os.WriteFile(foreign, []byte("not a history\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "foreign-out")
	code, _, stderr = runWeek(t, foreign, out, 1)
	if code != exitError || !strings.Contains(stderr, "not a DuckDB database") {
		t.Errorf("a history that is not one: exit %d, stderr %q; want exit 2 saying what it is", code, stderr)
	}
	if b, _ := os.ReadFile(foreign); string(b) != "not a history\n" {
		t.Errorf("the foreign file was changed")
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a run refused for its history wrote %s (%v)", out, err)
	}

	var stdout, errb bytes.Buffer
	code = Main([]string{"run", "-q", "--marketplace", "x.csv", "--insurer", "y.csv", "--out", out, "--history", hist, "--as-of", "last-monday"},
		strings.NewReader(""), &stdout, &errb)
	if code != exitError || !strings.Contains(errb.String(), "usage: --as-of") {
		t.Errorf("--as-of last-monday: exit %d, stderr %q; want a usage error", code, errb.String())
	}
}

// TestRunHistoryInterrupted: a run interrupted at any moment, recording
// included, leaves the history as it was (or, if it finished first, has
// recorded it whole).
func TestRunHistoryInterrupted(t *testing.T) {
	tmp := t.TempDir()
	hist := filepath.Join(tmp, "audits.history")
	if code, _, stderr := runWeek(t, hist, filepath.Join(tmp, "week-1"), 1); code != 0 {
		t.Fatalf("week 1: exit %d: %s", code, stderr)
	}
	before := historyListing(t, hist)
	dir := filepath.Join("..", "..", "fixtures", "weekly", "week-2")
	for _, after := range []time.Duration{0, 500 * time.Millisecond, 1500 * time.Millisecond, 3 * time.Second} {
		out := filepath.Join(tmp, "week-2-"+after.String())
		args := []string{"run", "-q", "--no-html", "--marketplace", filepath.Join(dir, "marketplace.csv"),
			"--insurer", filepath.Join(dir, "insurer.csv"), "--insurer-mapping", filepath.Join(dir, "insurer-mapping.yaml"),
			"--history", hist, "--as-of", weeklyAsOf[1], "--out", out}
		ctx, cancel := context.WithCancel(context.Background())
		timer := time.AfterFunc(after, cancel)
		var stdout, stderr bytes.Buffer
		code := mainContext(ctx, args, strings.NewReader(""), &stdout, &stderr)
		timer.Stop()
		cancel()
		if code == exitOK {
			if historyListing(t, hist) == before {
				t.Errorf("a run that finished (after %v) is not in the history", after)
			}
			return
		}
		if code != exitInterrupted {
			t.Errorf("interrupted after %v: exit %d, stderr %q; want 130", after, code, stderr.String())
		}
		if got := historyListing(t, hist); got != before {
			t.Fatalf("interrupted after %v, the history changed:\nbefore:\n%s\nafter:\n%s", after, before, got)
		}
		if _, err := os.Stat(filepath.Join(out, "report.json")); err == nil {
			t.Errorf("interrupted after %v, report.json was written", after)
		}
	}
	t.Log("every run was interrupted before it finished")
}

// TestRunHistoryRosterMissing: when an issuer's rows are missing from the
// insurer's file, the issuer is out of the run's scope (a warning names it):
// its findings of the previous run are not_evaluated, not resolved, and the
// run reports none of its own.
func TestRunHistoryRosterMissing(t *testing.T) {
	const issuer = "71837"
	tmp := t.TempDir()
	hist := filepath.Join(tmp, "audits.history")
	if code, _, stderr := runWeek(t, hist, filepath.Join(tmp, "week-1"), 1); code != 0 {
		t.Fatalf("week 1: exit %d: %s", code, stderr)
	}
	w1 := readLifeReport(t, filepath.Join(tmp, "week-1"))
	raw, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "weekly", "week-2", "insurer.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, line := range strings.SplitAfter(string(raw), "\n") {
		if !strings.Contains(line, ","+issuer+",") {
			kept = append(kept, line)
		}
	}
	insurer := filepath.Join(tmp, "insurer.csv")
	if err := os.WriteFile(insurer, []byte(strings.Join(kept, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "..", "fixtures", "weekly", "week-2")
	out := filepath.Join(tmp, "week-2")
	var stdout, stderr bytes.Buffer
	code := Main([]string{"run", "-q", "--no-html", "--marketplace", filepath.Join(dir, "marketplace.csv"), "--insurer", insurer,
		"--insurer-mapping", filepath.Join(dir, "insurer-mapping.yaml"), "--history", hist, "--as-of", weeklyAsOf[1], "--out", out},
		strings.NewReader(""), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("week 2 without issuer %s: exit %d: %s", issuer, code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "issuer "+issuer+" is out of scope") {
		t.Errorf("no warning that issuer %s is out of scope: %q", issuer, stderr.String())
	}
	w2 := readLifeReport(t, out)
	of := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	var open1, found2 int64
	for _, f := range w1.Findings {
		if of(f.IssuerHIOSID) == issuer {
			open1++
		}
	}
	for _, f := range w2.Findings {
		if of(f.IssuerHIOSID) != issuer {
			continue
		}
		found2++
	}
	if open1 == 0 || found2 != 0 || w2.Summary.Lifecycle["not_evaluated"] != open1 {
		t.Errorf("issuer %s: %d findings in week 1, %d in week 2, %d not evaluated; want the week-1 ones not evaluated",
			issuer, open1, found2, w2.Summary.Lifecycle["not_evaluated"])
	}
	for _, r := range w2.Resolved {
		if of(r.IssuerHIOSID) == issuer {
			t.Errorf("finding %s of issuer %s resolved though its roster did not come", r.ID, issuer)
		}
	}
}
