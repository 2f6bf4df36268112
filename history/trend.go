package history

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"
)

// TrendRow is one run's figures, in total or for one group (a category or
// an issuer), as `history trend` shows them.
type TrendRow struct {
	AsOf  time.Time
	Scope []string
	Group string // "" for the total; the category or issuer otherwise
	// Counts of findings per lifecycle status (zeros included).
	Counts map[Status]int64
	// Open findings: new, persisting, changed and reopened.
	Open int64
	// MedianAgeDays of the open findings (days from first seen to this
	// run's as-of date); nil when none is open.
	MedianAgeDays *float64
	// ResolvedWithin30 and ResolvedWithin60: of the findings first seen at
	// least 30 (60) days before this run, the share resolved within 30 (60)
	// days of first being seen; nil when no finding is that old.
	ResolvedWithin30, ResolvedWithin60 *float64
	// Integrity figures recorded with the run for this group, if any.
	Integrity *Integrity
}

// Trend groupings.
const (
	ByNone     = ""
	ByCategory = "category"
	ByIssuer   = "issuer"
)

// Trend gives one row per run (and group, by ByCategory or ByIssuer) in
// as-of order.
func (s *Store) Trend(ctx context.Context, by string) ([]TrendRow, error) {
	var group string
	switch by {
	case ByNone:
		group = "''"
	case ByCategory:
		group = "category"
	case ByIssuer:
		group = "issuer_hios_id"
	default:
		return nil, fmt.Errorf("history: trend by %q: by category or issuer", by)
	}
	runs, err := s.Runs(ctx)
	if err != nil {
		return nil, err
	}
	type key struct {
		run   int64
		group string
	}
	rows := map[key]*TrendRow{}
	row := func(run int64, g string) *TrendRow {
		k := key{run, g}
		if rows[k] == nil {
			rows[k] = &TrendRow{Group: g, Counts: map[Status]int64{}}
			for _, st := range Statuses {
				rows[k].Counts[st] = 0
			}
		}
		return rows[k]
	}
	for _, r := range runs {
		row(r.ID, "")
		if by == ByIssuer {
			for _, iss := range r.Scope {
				row(r.ID, iss)
			}
		}
	}
	err = s.each(ctx, `SELECT run_id, `+group+` AS grp, status, count(*)
		FROM lifecycle GROUP BY ALL`, func(rs *sql.Rows) error {
		var run, n int64
		var g, st string
		if err := rs.Scan(&run, &g, &st, &n); err != nil {
			return err
		}
		tr := row(run, g)
		tr.Counts[Status(st)] = n
		if Status(st).Open() {
			tr.Open += n
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("history: trend: %w", err)
	}
	err = s.each(ctx, `SELECT run_id, `+group+` AS grp, median(date_diff('day', first_seen, r.as_of))
		FROM lifecycle JOIN run r USING (run_id)
		WHERE status IN ('new', 'persisting', 'changed', 'reopened') GROUP BY ALL`, func(rs *sql.Rows) error {
		var run int64
		var g string
		var med float64
		if err := rs.Scan(&run, &g, &med); err != nil {
			return err
		}
		row(run, g).MedianAgeDays = &med
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("history: trend: %w", err)
	}
	err = s.each(ctx, `WITH life AS (
			SELECT l.id, l.issuer_hios_id, any_value(l.category) AS category, min(l.first_seen) AS first_seen,
			       min(r.as_of) FILTER (WHERE l.status = 'resolved') AS first_resolved
			FROM lifecycle l JOIN run r USING (run_id) GROUP BY ALL)
		SELECT r.run_id, `+group+` AS grp,
			count(*) FILTER (WHERE first_seen <= r.as_of - 30),
			count(*) FILTER (WHERE first_seen <= r.as_of - 30 AND first_resolved <= first_seen + 30),
			count(*) FILTER (WHERE first_seen <= r.as_of - 60),
			count(*) FILTER (WHERE first_seen <= r.as_of - 60 AND first_resolved <= first_seen + 60)
		FROM run r JOIN run_scope s USING (run_id) JOIN life USING (issuer_hios_id)
		GROUP BY ALL`, func(rs *sql.Rows) error {
		var run, old30, res30, old60, res60 int64
		var g string
		if err := rs.Scan(&run, &g, &old30, &res30, &old60, &res60); err != nil {
			return err
		}
		tr := row(run, g)
		tr.ResolvedWithin30, tr.ResolvedWithin60 = share(res30, old30), share(res60, old60)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("history: trend: %w", err)
	}
	if by != ByCategory {
		grouping := "total"
		if by == ByIssuer {
			grouping = "issuer"
		}
		err = s.each(ctx, `SELECT run_id, group_key, policies, policies_intact, people, people_intact, dollars_at_stake_cents
			FROM run_integrity WHERE grouping = ?`, func(rs *sql.Rows) error {
			var run int64
			g := Integrity{Grouping: grouping}
			if err := rs.Scan(&run, &g.Key, &g.Policies, &g.PoliciesIntact, &g.People, &g.PeopleIntact, &g.DollarsAtStakeCents); err != nil {
				return err
			}
			row(run, g.Key).Integrity = &g
			return nil
		}, grouping)
		if err != nil {
			return nil, fmt.Errorf("history: trend: %w", err)
		}
	}
	var out []TrendRow
	for _, r := range runs {
		// A run's total row (group "") stands in when it has no groups.
		var groups []string
		for k := range rows {
			if k.run == r.ID && (by == ByNone || k.group != "" || rows[k].Open+rows[k].Counts[Resolved]+rows[k].Counts[NotEvaluated] > 0) {
				groups = append(groups, k.group)
			}
		}
		if len(groups) == 0 {
			groups = []string{""}
		}
		slices.Sort(groups)
		for _, g := range groups {
			tr := rows[key{r.ID, g}]
			tr.AsOf, tr.Scope = r.AsOf, r.Scope
			out = append(out, *tr)
		}
	}
	return out, nil
}

func share(part, whole int64) *float64 {
	if whole == 0 {
		return nil
	}
	v := float64(part) / float64(whole)
	return &v
}
