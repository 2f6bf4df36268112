package history

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// A step records one run (or forgets a date). Findings are written
// "id@issuer" or "id@issuer=hash"; the hash defaults to "h".
type step struct {
	asOf     string
	scope    []string
	findings []string
	forget   bool
}

// runState is the expected lifecycle of one run once all steps are done:
// "id=status" for every lifecycle row, sorted.
type runState struct {
	asOf     string
	scope    string
	statuses []string
	previous string
}

func date(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func record(t *testing.T, s *Store, st step) *Lifecycle {
	t.Helper()
	ctx := context.Background()
	if st.forget {
		if _, err := s.Forget(ctx, date(t, st.asOf)); err != nil {
			t.Fatal(err)
		}
		return nil
	}
	rec, err := s.Begin(ctx, Run{AsOf: date(t, st.asOf), Scope: st.scope, ToolVersion: "test", RulesHash: "r"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range st.findings {
		id, rest, _ := strings.Cut(f, "@")
		issuer, hash, ok := strings.Cut(rest, "=")
		if !ok {
			hash = "h"
		}
		if err := rec.Add(ctx, Finding{ID: id, Rule: "r-" + id, Category: "wrong_plan", Severity: "high",
			IssuerHIOSID: issuer, ExchangePolicyID: "p-" + id, ValuesHash: hash}); err != nil {
			t.Fatal(err)
		}
	}
	lc, err := rec.Lifecycle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return lc
}

// state reads every run's lifecycle rows back.
func state(t *testing.T, s *Store) []runState {
	t.Helper()
	ctx := context.Background()
	runs, err := s.Runs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []runState
	for _, r := range runs {
		lc, err := lifecycleOf(ctx, s.conn, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		rs := runState{asOf: r.AsOf.Format(time.DateOnly), scope: strings.Join(r.Scope, ",")}
		if lc.Previous != nil {
			rs.previous = lc.Previous.AsOf.Format(time.DateOnly)
		}
		for id, f := range lc.Findings {
			rs.statuses = append(rs.statuses, id+"="+string(f.Status))
		}
		for _, f := range lc.Resolved {
			rs.statuses = append(rs.statuses, f.ID+"=resolved")
		}
		if lc.NotEvaluated > 0 {
			rs.statuses = append(rs.statuses, "not_evaluated="+string(rune('0'+lc.NotEvaluated)))
		}
		slices.Sort(rs.statuses)
		out = append(out, rs)
	}
	return out
}

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "history.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestLifecycle(t *testing.T) {
	a := []string{"A"}
	ab := []string{"A", "B"}
	tests := []struct {
		name  string
		steps []step
		want  []runState
	}{
		{
			name:  "first run: everything new",
			steps: []step{{asOf: "2026-01-05", scope: a, findings: []string{"f1@A", "f2@A"}}},
			want:  []runState{{asOf: "2026-01-05", scope: "A", statuses: []string{"f1=new", "f2=new"}}},
		},
		{
			name: "persisting, changed by hash, resolved, new",
			steps: []step{
				{asOf: "2026-01-05", scope: a, findings: []string{"f1@A", "f2@A", "f3@A"}},
				{asOf: "2026-01-12", scope: a, findings: []string{"f1@A", "f2@A=other", "f4@A"}},
			},
			want: []runState{
				{asOf: "2026-01-05", scope: "A", statuses: []string{"f1=new", "f2=new", "f3=new"}},
				{asOf: "2026-01-12", scope: "A", previous: "2026-01-05", statuses: []string{"f1=persisting", "f2=changed", "f3=resolved", "f4=new"}},
			},
		},
		{
			name: "reopened after a gap",
			steps: []step{
				{asOf: "2026-01-05", scope: a, findings: []string{"f1@A"}},
				{asOf: "2026-01-12", scope: a},
				{asOf: "2026-01-19", scope: a, findings: []string{"f1@A"}},
			},
			want: []runState{
				{asOf: "2026-01-05", scope: "A", statuses: []string{"f1=new"}},
				{asOf: "2026-01-12", scope: "A", previous: "2026-01-05", statuses: []string{"f1=resolved"}},
				{asOf: "2026-01-19", scope: "A", previous: "2026-01-12", statuses: []string{"f1=reopened"}},
			},
		},
		{
			name: "out-of-scope issuer is not evaluated, then compared with its last run",
			steps: []step{
				{asOf: "2026-01-05", scope: ab, findings: []string{"f1@A", "g1@B", "g2@B"}},
				{asOf: "2026-01-12", scope: a, findings: []string{"f1@A"}},
				{asOf: "2026-01-19", scope: ab, findings: []string{"f1@A", "g1@B"}},
			},
			want: []runState{
				{asOf: "2026-01-05", scope: "A,B", statuses: []string{"f1=new", "g1=new", "g2=new"}},
				{asOf: "2026-01-12", scope: "A", previous: "2026-01-05", statuses: []string{"f1=persisting", "not_evaluated=2"}},
				{asOf: "2026-01-19", scope: "A,B", previous: "2026-01-12", statuses: []string{"f1=persisting", "g1=persisting", "g2=resolved"}},
			},
		},
		{
			name: "same as-of and scope replaces the earlier run",
			steps: []step{
				{asOf: "2026-01-05", scope: a, findings: []string{"f1@A"}},
				{asOf: "2026-01-12", scope: a, findings: []string{"f1@A", "f2@A", "f3@A"}},
				{asOf: "2026-01-12", scope: a, findings: []string{"f1@A", "f2@A"}},
			},
			want: []runState{
				{asOf: "2026-01-05", scope: "A", statuses: []string{"f1=new"}},
				{asOf: "2026-01-12", scope: "A", previous: "2026-01-05", statuses: []string{"f1=persisting", "f2=new"}},
			},
		},
		{
			name: "disjoint scopes on one date are both kept",
			steps: []step{
				{asOf: "2026-01-05", scope: a, findings: []string{"f1@A"}},
				{asOf: "2026-01-05", scope: []string{"B"}, findings: []string{"g1@B"}},
				{asOf: "2026-01-12", scope: []string{"B"}},
			},
			want: []runState{
				{asOf: "2026-01-05", scope: "A", statuses: []string{"f1=new"}},
				{asOf: "2026-01-05", scope: "B", statuses: []string{"g1=new"}},
				{asOf: "2026-01-12", scope: "B", previous: "2026-01-05", statuses: []string{"g1=resolved"}},
			},
		},
		{
			name: "back-filling an earlier week recomputes the later ones",
			steps: []step{
				{asOf: "2026-01-05", scope: a, findings: []string{"f1@A"}},
				{asOf: "2026-01-19", scope: a, findings: []string{"f1@A", "f2@A"}},
				{asOf: "2026-01-12", scope: a, findings: []string{"f2@A"}},
			},
			want: []runState{
				{asOf: "2026-01-05", scope: "A", statuses: []string{"f1=new"}},
				{asOf: "2026-01-12", scope: "A", previous: "2026-01-05", statuses: []string{"f1=resolved", "f2=new"}},
				{asOf: "2026-01-19", scope: "A", previous: "2026-01-12", statuses: []string{"f1=reopened", "f2=persisting"}},
			},
		},
		{
			name: "forgetting a week recomputes the later ones",
			steps: []step{
				{asOf: "2026-01-05", scope: a, findings: []string{"f1@A"}},
				{asOf: "2026-01-12", scope: a, findings: []string{"f2@A"}},
				{asOf: "2026-01-19", scope: a, findings: []string{"f1@A", "f2@A"}},
				{asOf: "2026-01-12", forget: true},
			},
			want: []runState{
				{asOf: "2026-01-05", scope: "A", statuses: []string{"f1=new"}},
				{asOf: "2026-01-19", scope: "A", previous: "2026-01-05", statuses: []string{"f1=persisting", "f2=new"}},
			},
		},
		{
			name: "the same id under another issuer is another finding",
			steps: []step{
				{asOf: "2026-01-05", scope: ab, findings: []string{"f1@A"}},
				{asOf: "2026-01-12", scope: ab, findings: []string{"f1@B"}},
			},
			want: []runState{
				{asOf: "2026-01-05", scope: "A,B", statuses: []string{"f1=new"}},
				{asOf: "2026-01-12", scope: "A,B", previous: "2026-01-05", statuses: []string{"f1=new", "f1=resolved"}},
			},
		},
		{
			name: "findings without an issuer are always in scope",
			steps: []step{
				{asOf: "2026-01-05", scope: a, findings: []string{"x1@"}},
				{asOf: "2026-01-12", scope: []string{"B"}},
			},
			want: []runState{
				{asOf: "2026-01-05", scope: "A", statuses: []string{"x1=new"}},
				{asOf: "2026-01-12", scope: "B", previous: "2026-01-05", statuses: []string{"x1=resolved"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTemp(t)
			for _, st := range tt.steps {
				record(t, s, st)
			}
			got := state(t, s)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d runs %+v, want %d %+v", len(got), got, len(tt.want), tt.want)
			}
			for i := range got {
				if got[i].asOf != tt.want[i].asOf || got[i].scope != tt.want[i].scope || got[i].previous != tt.want[i].previous ||
					!slices.Equal(got[i].statuses, tt.want[i].statuses) {
					t.Errorf("run %d:\n got %+v\nwant %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestTrend(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	// f1 lives 14 days, f2 is open from the first week on, g1 (issuer B) 35 days.
	for _, st := range []step{
		{asOf: "2026-01-05", scope: []string{"A", "B"}, findings: []string{"f1@A", "f2@A", "g1@B"}},
		{asOf: "2026-01-19", scope: []string{"A", "B"}, findings: []string{"f2@A", "g1@B"}},
		{asOf: "2026-02-09", scope: []string{"A", "B"}, findings: []string{"f2@A", "f3@A"}},
		{asOf: "2026-03-09", scope: []string{"A"}, findings: []string{"f2@A"}},
	} {
		record(t, s, st)
	}
	type row struct {
		asOf, group                  string
		open, resolved, notEvaluated int64
		median, within30, within60   string
	}
	f := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprintf("%.2f", *p)
	}
	tests := []struct {
		by   string
		want []row
	}{
		{ByNone, []row{
			{"2026-01-05", "", 3, 0, 0, "0.00", "-", "-"},
			{"2026-01-19", "", 2, 1, 0, "14.00", "-", "-"},
			// 35 days on: of f1, f2, g1 only f1 was resolved within 30 days (g1 took 35);
			// on 03-09 the scope is A alone and f3 is too recent for either share.
			{"2026-02-09", "", 2, 1, 0, "17.50", "0.33", "-"},
			{"2026-03-09", "", 1, 1, 0, "63.00", "0.50", "0.50"},
		}},
		{ByIssuer, []row{
			{"2026-01-05", "A", 2, 0, 0, "0.00", "-", "-"},
			{"2026-01-05", "B", 1, 0, 0, "0.00", "-", "-"},
			{"2026-01-19", "A", 1, 1, 0, "14.00", "-", "-"},
			{"2026-01-19", "B", 1, 0, 0, "14.00", "-", "-"},
			{"2026-02-09", "A", 2, 0, 0, "17.50", "0.50", "-"},
			{"2026-02-09", "B", 0, 1, 0, "-", "0.00", "-"},
			{"2026-03-09", "A", 1, 1, 0, "63.00", "0.50", "0.50"},
		}},
	}
	for _, tt := range tests {
		rows, err := s.Trend(ctx, tt.by)
		if err != nil {
			t.Fatal(err)
		}
		var got []row
		for _, r := range rows {
			got = append(got, row{r.AsOf.Format(time.DateOnly), r.Group, r.Open, r.Counts[Resolved], r.Counts[NotEvaluated],
				f(r.MedianAgeDays), f(r.ResolvedWithin30), f(r.ResolvedWithin60)})
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("trend by %q:\n got %v\nwant %v", tt.by, got, tt.want)
		}
	}
}

func TestTrendIntegrity(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	rec, err := s.Begin(ctx, Run{AsOf: date(t, "2026-01-05"), Scope: []string{"A", "B"}, Integrity: []Integrity{
		{Grouping: "total", Policies: 100, PoliciesIntact: 90, People: 200, PeopleIntact: 170, DollarsAtStakeCents: 123456},
		{Grouping: "issuer", Key: "A", Policies: 60, PoliciesIntact: 55, People: 120, PeopleIntact: 110, DollarsAtStakeCents: 100000},
		{Grouping: "state", Key: "VA", Policies: 100, PoliciesIntact: 90, People: 200, PeopleIntact: 170, DollarsAtStakeCents: 123456},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	total, err := s.Trend(ctx, ByNone)
	if err != nil {
		t.Fatal(err)
	}
	if len(total) != 1 || total[0].Integrity == nil || total[0].Integrity.PoliciesIntact != 90 || total[0].Integrity.DollarsAtStakeCents != 123456 {
		t.Errorf("total trend: %+v", total)
	}
	byIssuer, err := s.Trend(ctx, ByIssuer)
	if err != nil {
		t.Fatal(err)
	}
	if len(byIssuer) != 2 || byIssuer[0].Group != "A" || byIssuer[0].Integrity == nil || byIssuer[0].Integrity.Policies != 60 ||
		byIssuer[1].Group != "B" || byIssuer[1].Integrity != nil {
		t.Errorf("trend by issuer: %+v", byIssuer)
	}
}

// snapshot lists every lifecycle row as text, sorted.
func snapshot(t *testing.T, s *Store) []string {
	t.Helper()
	var out []string
	err := s.each(context.Background(), `SELECT r.as_of, l.id, l.issuer_hios_id, l.rule, l.status, l.first_seen, l.last_seen, l.runs_seen
		FROM lifecycle l JOIN run r USING (run_id) ORDER BY ALL`, func(rows *sql.Rows) error {
		var asOf, first, last time.Time
		var id, iss, rule, st string
		var n int
		if err := rows.Scan(&asOf, &id, &iss, &rule, &st, &first, &last, &n); err != nil {
			return err
		}
		out = append(out, fmt.Sprintf("%s %s@%s %s %s first %s last %s runs %d", asOf.Format(time.DateOnly), id, iss, rule, st,
			first.Format(time.DateOnly), last.Format(time.DateOnly), n))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Recording runs one by one, in any date order, with replacements and
// forgets, recomputes only from the date that changed; the result must be
// what a recomputation of the whole history gives.
func TestIncrementalLifecycleEqualsFull(t *testing.T) {
	ctx := context.Background()
	for seed := int64(1); seed <= 4; seed++ {
		rnd := rand.New(rand.NewSource(seed))
		s := openTemp(t)
		issuers := []string{"A", "B", "C"}
		var dates []string
		for op := 0; op < 14; op++ {
			d := fmt.Sprintf("2026-02-%02d", 1+rnd.Intn(8))
			if len(dates) > 0 && rnd.Intn(7) == 0 {
				record(t, s, step{asOf: dates[rnd.Intn(len(dates))], forget: true})
				continue
			}
			dates = append(dates, d)
			var scope, findings []string
			for _, iss := range issuers {
				if rnd.Intn(3) > 0 {
					scope = append(scope, iss)
					for i := 0; i < 5; i++ {
						if rnd.Intn(2) == 0 {
							findings = append(findings, fmt.Sprintf("f%d%s@%s=h%d", i, iss, iss, rnd.Intn(2)))
						}
					}
				}
			}
			record(t, s, step{asOf: d, scope: scope, findings: findings})
		}
		got := snapshot(t, s)
		if err := s.exec(ctx, "BEGIN TRANSACTION"); err != nil {
			t.Fatal(err)
		}
		if err := s.exec(ctx, "DELETE FROM lifecycle"); err != nil {
			t.Fatal(err)
		}
		if err := recompute(ctx, s.conn, date(t, "2000-01-01")); err != nil {
			t.Fatal(err)
		}
		want := snapshot(t, s)
		s.exec(ctx, "ROLLBACK")
		if len(want) == 0 {
			t.Fatalf("seed %d: no lifecycle rows", seed)
		}
		if !slices.Equal(got, want) {
			t.Errorf("seed %d: incremental lifecycle differs from a full recomputation:\n got %s\nwant %s", seed,
				strings.Join(got, "\n     "), strings.Join(want, "\n     "))
		}
	}
}

func TestFirstSeenAndRunsSeen(t *testing.T) {
	s := openTemp(t)
	a := []string{"A"}
	for _, st := range []step{
		{asOf: "2026-01-05", scope: a, findings: []string{"f1@A"}},
		{asOf: "2026-01-12", scope: a, findings: []string{"f1@A"}},
		{asOf: "2026-01-19", scope: a},
		{asOf: "2026-01-26", scope: a, findings: []string{"f1@A"}},
	} {
		record(t, s, st)
	}
	want := []string{
		"2026-01-05 f1@A r-f1 new first 2026-01-05 last 2026-01-05 runs 1",
		"2026-01-12 f1@A r-f1 persisting first 2026-01-05 last 2026-01-12 runs 2",
		"2026-01-19 f1@A r-f1 resolved first 2026-01-05 last 2026-01-12 runs 2",
		"2026-01-26 f1@A r-f1 reopened first 2026-01-05 last 2026-01-26 runs 3",
	}
	if got := snapshot(t, s); !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
