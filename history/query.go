package history

import (
	"context"
	"database/sql"
	_ "embed"
	"fmt"
	"strings"
	"time"
)

// RunInfo is one recorded run, as `history list` shows it.
type RunInfo struct {
	ID          int64
	AsOf        time.Time
	RecordedAt  time.Time
	Source      string
	ToolVersion string
	RulesHash   string
	Scope       []string
	Inputs      []Input
	Summary     Summary
	// Integrity is the run's total integrity figures, when it has them.
	Integrity *Integrity
	// Counts of findings per lifecycle status in this run.
	Counts map[Status]int64
	// Waived counts the findings a waiver kept out of the run's report:
	// Summary.Findings counts them (they are open in the history), the
	// report's findings did not.
	Waived int64
}

//go:embed sql/waived.sql
var waivedSQL string

// Runs lists the recorded runs in as-of order.
func (s *Store) Runs(ctx context.Context) ([]RunInfo, error) {
	rows, err := s.conn.QueryContext(ctx, `SELECT run_id, as_of, recorded_at, source, tool_version, rules_hash,
			marketplace_rows, insurer_rows, marketplace_rejected, insurer_rejected, matched_members, matched_policies,
			findings, people_affected, policies_affected, monthly_amount_cents,
			coalesce((SELECT string_agg(issuer_hios_id, ',' ORDER BY issuer_hios_id) FROM run_scope s
				WHERE s.run_id = r.run_id AND issuer_hios_id <> ''), '')
		FROM run r ORDER BY as_of, run_id`)
	if err != nil {
		return nil, fmt.Errorf("history: list runs: %w", err)
	}
	var out []RunInfo
	for rows.Next() {
		var ri RunInfo
		var scope string
		sm := &ri.Summary
		if err := rows.Scan(&ri.ID, &ri.AsOf, &ri.RecordedAt, &ri.Source, &ri.ToolVersion, &ri.RulesHash,
			&sm.MarketplaceRows, &sm.InsurerRows, &sm.MarketplaceRejected, &sm.InsurerRejected, &sm.MatchedMembers, &sm.MatchedPolicies,
			&sm.Findings, &sm.PeopleAffected, &sm.PoliciesAffected, &sm.MonthlyAmountCents, &scope); err != nil {
			rows.Close()
			return nil, fmt.Errorf("history: list runs: %w", err)
		}
		if scope != "" {
			ri.Scope = strings.Split(scope, ",")
		}
		ri.Counts = map[Status]int64{}
		for _, st := range Statuses {
			ri.Counts[st] = 0
		}
		out = append(out, ri)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: list runs: %w", err)
	}
	byID := map[int64]*RunInfo{}
	for i := range out {
		byID[out[i].ID] = &out[i]
	}
	err = s.each(ctx, "SELECT run_id, side, name, bytes, sha256, rows_loaded, rows_rejected FROM run_input ORDER BY run_id, position",
		func(rows *sql.Rows) error {
			var id int64
			var in Input
			if err := rows.Scan(&id, &in.Side, &in.Name, &in.Bytes, &in.SHA256, &in.RowsLoaded, &in.RowsRejected); err != nil {
				return err
			}
			byID[id].Inputs = append(byID[id].Inputs, in)
			return nil
		})
	if err == nil {
		err = s.each(ctx, `SELECT run_id, policies, policies_intact, people, people_intact, dollars_at_stake_cents
			FROM run_integrity WHERE grouping = 'total'`, func(rows *sql.Rows) error {
			var id int64
			g := Integrity{Grouping: "total"}
			if err := rows.Scan(&id, &g.Policies, &g.PoliciesIntact, &g.People, &g.PeopleIntact, &g.DollarsAtStakeCents); err != nil {
				return err
			}
			byID[id].Integrity = &g
			return nil
		})
	}
	if err == nil {
		err = s.each(ctx, "SELECT run_id, status, count(*) FROM lifecycle GROUP BY ALL", func(rows *sql.Rows) error {
			var id, n int64
			var st string
			if err := rows.Scan(&id, &st, &n); err != nil {
				return err
			}
			byID[id].Counts[Status(st)] = n
			return nil
		})
	}
	if err == nil {
		err = s.each(ctx, waivedSQL, func(rows *sql.Rows) error {
			var id, n int64
			if err := rows.Scan(&id, &n); err != nil {
				return err
			}
			byID[id].Waived = n
			return nil
		})
	}
	if err != nil {
		return nil, fmt.Errorf("history: list runs: %w", err)
	}
	return out, nil
}

// each runs a query and calls fn for every row.
func (s *Store) each(ctx context.Context, q string, fn func(*sql.Rows) error, args ...any) error {
	rows, err := s.conn.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Forget removes every run of the as-of date (in one transaction) and
// recomputes the statuses of the runs after it. It returns the runs
// removed; none is not an error.
func (s *Store) Forget(ctx context.Context, asOf time.Time) (removed []RunInfo, err error) {
	asOf = day(asOf)
	all, err := s.Runs(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range all {
		if r.AsOf.Equal(asOf) {
			removed = append(removed, r)
		}
	}
	if len(removed) == 0 {
		return nil, nil
	}
	if err := s.guardWAL(); err != nil {
		return nil, err
	}
	if err := s.exec(ctx, "BEGIN TRANSACTION"); err != nil {
		return nil, err
	}
	err = deleteRuns(ctx, s.conn, fmt.Sprintf("SELECT run_id FROM run WHERE as_of = DATE '%s'", asOf.Format(time.DateOnly)))
	if err == nil {
		err = recompute(ctx, s.conn, asOf)
	}
	if err == nil {
		err = s.exec(ctx, "COMMIT")
	}
	if err != nil {
		s.exec(context.WithoutCancel(ctx), "ROLLBACK")
		return nil, err
	}
	return removed, s.exec(ctx, "CHECKPOINT")
}

// Sighting is one run's view of a finding, for `history show`.
type Sighting struct {
	AsOf               time.Time
	Status             Status
	Rule, Category     string
	Severity           string // empty for resolved and not_evaluated
	IssuerHIOSID       string
	ExchangePolicyID   string
	ExchangeMemberID   string
	MonthlyAmountCents *int64
	ValuesHash         string
	RunsSeen           int
	FirstSeen          time.Time
}

// FindingLife gives every run's status of the finding id, in as-of order;
// none when the history never saw it.
func (s *Store) FindingLife(ctx context.Context, id string) ([]Sighting, error) {
	var out []Sighting
	err := s.each(ctx, `SELECT r.as_of, l.status, l.rule, l.category, coalesce(f.severity, ''), l.issuer_hios_id,
			coalesce(l.exchange_policy_id, ''), coalesce(l.exchange_member_id, ''), f.monthly_amount_cents, coalesce(f.values_hash, ''),
			l.runs_seen, l.first_seen
		FROM lifecycle l JOIN run r USING (run_id)
		LEFT JOIN finding f ON f.run_id = l.run_id AND f.id = l.id AND f.issuer_hios_id = l.issuer_hios_id
		WHERE l.id = ? ORDER BY r.as_of, r.run_id`, func(rows *sql.Rows) error {
		var sg Sighting
		var st string
		var amount sql.NullInt64
		if err := rows.Scan(&sg.AsOf, &st, &sg.Rule, &sg.Category, &sg.Severity, &sg.IssuerHIOSID, &sg.ExchangePolicyID,
			&sg.ExchangeMemberID, &amount, &sg.ValuesHash, &sg.RunsSeen, &sg.FirstSeen); err != nil {
			return err
		}
		sg.Status = Status(st)
		if amount.Valid {
			sg.MonthlyAmountCents = &amount.Int64
		}
		out = append(out, sg)
		return nil
	}, id)
	if err != nil {
		return nil, fmt.Errorf("history: finding %s: %w", id, err)
	}
	return out, nil
}
