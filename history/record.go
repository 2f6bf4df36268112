package history

import (
	"context"
	"database/sql"
	"database/sql/driver"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// Run describes one audit (or one imported report) for Begin.
type Run struct {
	// AsOf is the date the extracts describe; runs are ordered by it.
	AsOf time.Time
	// RecordedAt is when the run happened (default: now).
	RecordedAt  time.Time
	Source      string // "run" (default) or "import"
	ToolVersion string
	RulesHash   string
	// Scope lists the issuers (HIOS IDs) the audit covered.
	Scope     []string
	Inputs    []Input
	Summary   Summary
	Integrity []Integrity
}

// Input is one audited file.
type Input struct {
	Side         string // marketplace or insurer
	Name         string
	Bytes        int64
	SHA256       string
	RowsLoaded   int64
	RowsRejected int64
}

// Summary holds a run's headline figures. Amounts are in cents.
type Summary struct {
	MarketplaceRows, InsurerRows         int64
	MarketplaceRejected, InsurerRejected int64
	MatchedMembers, MatchedPolicies      int64
	Findings                             int64
	PeopleAffected, PoliciesAffected     int64
	MonthlyAmountCents                   int64
}

// Integrity holds the integrity figures of a run, in total (Grouping
// "total", Key "") or for one issuer or state.
type Integrity struct {
	Grouping                 string // total, issuer or state
	Key                      string
	Policies, PoliciesIntact int64
	People, PeopleIntact     int64
	DollarsAtStakeCents      int64
}

// Finding is what the history keeps of a finding: keys, amount and a hash
// of the compared values (ValuesHash), never the values themselves, so no
// SSN, name or birth date can reach the store.
type Finding struct {
	ID, Rule, Category, Severity string
	IssuerHIOSID                 string // "" when the finding has no issuer
	ExchangePolicyID             string // "" when none
	ExchangeMemberID             string // "" on policy-level findings
	MonthlyAmountCents           *int64
	ValuesHash                   string
}

// Recorder records one run inside one transaction: nothing of it is in the
// file until Commit, and a crash or Rollback leaves the history as it was.
type Recorder struct {
	s      *Store
	id     int64
	run    Run
	driver driver.Conn
	app    *duckdb.Appender
	vals   []driver.Value
	life   *Lifecycle
	done   bool
}

// Begin starts recording a run. Only one Recorder per Store at a time.
func (s *Store) Begin(ctx context.Context, run Run) (*Recorder, error) {
	if s.busy {
		return nil, errors.New("history: a run is being recorded already")
	}
	if run.AsOf.IsZero() {
		return nil, errors.New("history: run without an as-of date")
	}
	run.AsOf = day(run.AsOf)
	if run.RecordedAt.IsZero() {
		run.RecordedAt = time.Now()
	}
	if run.Source == "" {
		run.Source = "run"
	}
	if err := s.guardWAL(); err != nil {
		return nil, err
	}
	if err := s.exec(ctx, "BEGIN TRANSACTION"); err != nil {
		return nil, err
	}
	r := &Recorder{s: s, run: run}
	s.busy = true
	if err := r.insertRun(ctx); err != nil {
		r.Rollback()
		return nil, err
	}
	err := s.conn.Raw(func(dc any) error {
		r.driver = dc.(driver.Conn)
		var err error
		r.app, err = duckdb.NewAppender(r.driver, "", "main", "finding")
		return err
	})
	if err != nil {
		r.Rollback()
		return nil, fmt.Errorf("history: open appender: %w", err)
	}
	r.vals = make([]driver.Value, 10)
	return r, nil
}

// day keeps the calendar date of t.
func day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func (r *Recorder) insertRun(ctx context.Context) error {
	c := r.s.conn
	if err := c.QueryRowContext(ctx, "SELECT coalesce(max(run_id), 0) + 1 FROM run").Scan(&r.id); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	run, sm := r.run, r.run.Summary
	_, err := c.ExecContext(ctx, `INSERT INTO run VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.id, run.AsOf, run.RecordedAt.UTC(), run.Source, run.ToolVersion, run.RulesHash,
		sm.MarketplaceRows, sm.InsurerRows, sm.MarketplaceRejected, sm.InsurerRejected,
		sm.MatchedMembers, sm.MatchedPolicies, sm.Findings, sm.PeopleAffected, sm.PoliciesAffected, sm.MonthlyAmountCents)
	if err != nil {
		return fmt.Errorf("history: record run: %w", err)
	}
	scope := append([]string{""}, run.Scope...)
	slices.Sort(scope)
	for _, iss := range slices.Compact(scope) {
		if _, err := c.ExecContext(ctx, "INSERT INTO run_scope VALUES (?, ?)", r.id, iss); err != nil {
			return fmt.Errorf("history: record scope: %w", err)
		}
	}
	for i, in := range run.Inputs {
		if _, err := c.ExecContext(ctx, "INSERT INTO run_input VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			r.id, i+1, in.Side, in.Name, in.Bytes, in.SHA256, in.RowsLoaded, in.RowsRejected); err != nil {
			return fmt.Errorf("history: record inputs: %w", err)
		}
	}
	for _, g := range run.Integrity {
		if _, err := c.ExecContext(ctx, "INSERT INTO run_integrity VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			r.id, g.Grouping, g.Key, g.Policies, g.PoliciesIntact, g.People, g.PeopleIntact, g.DollarsAtStakeCents); err != nil {
			return fmt.Errorf("history: record integrity figures: %w", err)
		}
	}
	return nil
}

// Add records one finding of the run. Findings go through DuckDB's
// appender: 300k of them take well under a second.
func (r *Recorder) Add(ctx context.Context, f Finding) error {
	if r.done || r.life != nil {
		return errors.New("history: Add after Lifecycle, Commit or Rollback")
	}
	if f.ID == "" || f.Rule == "" || f.Category == "" || f.Severity == "" {
		return fmt.Errorf("history: finding %q lacks an id, rule, category or severity", f.ID)
	}
	r.vals[0], r.vals[1], r.vals[2], r.vals[3], r.vals[4] = r.id, f.ID, f.Rule, f.Category, f.Severity
	r.vals[5], r.vals[6], r.vals[7] = f.IssuerHIOSID, orNil(f.ExchangePolicyID), orNil(f.ExchangeMemberID)
	r.vals[8], r.vals[9] = nil, f.ValuesHash
	if f.MonthlyAmountCents != nil {
		r.vals[8] = *f.MonthlyAmountCents
	}
	if err := r.app.AppendRow(r.vals...); err != nil {
		return fmt.Errorf("history: record finding %s: %w", f.ID, err)
	}
	return ctx.Err()
}

func orNil(s string) driver.Value {
	if s == "" {
		return nil
	}
	return s
}

var (
	//go:embed sql/lifecycle.sql
	lifecycleSQL string
	//go:embed sql/not_evaluated.sql
	notEvaluatedSQL string
)

// Lifecycle ends the run's findings and works out their lifecycle against
// the history (still inside the transaction): an earlier run of the same
// as-of date whose issuers this run all covers is replaced, and later runs'
// statuses are recomputed when this one is back-filled before them.
func (r *Recorder) Lifecycle(ctx context.Context) (*Lifecycle, error) {
	if r.done {
		return nil, errors.New("history: Lifecycle after Commit or Rollback")
	}
	if r.life != nil {
		return r.life, nil
	}
	if err := r.app.Close(); err != nil {
		return nil, fmt.Errorf("history: record findings: %w", err)
	}
	c := r.s.conn
	var dup string
	err := c.QueryRowContext(ctx, "SELECT id FROM finding WHERE run_id = ? GROUP BY id HAVING count(*) > 1 LIMIT 1", r.id).Scan(&dup)
	switch {
	case err == nil:
		return nil, fmt.Errorf("history: finding id %s given twice in one run", dup)
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("history: %w", err)
	}
	var outside string
	err = c.QueryRowContext(ctx, `SELECT id || ' (issuer ' || issuer_hios_id || ')' FROM finding f WHERE run_id = ?
		AND issuer_hios_id NOT IN (SELECT issuer_hios_id FROM run_scope WHERE run_id = ?) LIMIT 1`, r.id, r.id).Scan(&outside)
	switch {
	case err == nil:
		return nil, fmt.Errorf("history: finding %s is outside the run's scope", outside)
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("history: %w", err)
	}
	// Earlier runs of this date whose every issuer this run covers.
	_, err = c.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE replaced AS
		SELECT run_id FROM run o WHERE o.as_of = ? AND o.run_id <> ?
		AND NOT EXISTS (SELECT 1 FROM run_scope s WHERE s.run_id = o.run_id AND s.issuer_hios_id <> ''
			AND s.issuer_hios_id NOT IN (SELECT issuer_hios_id FROM run_scope WHERE run_id = ?))`, r.run.AsOf, r.id, r.id)
	if err == nil {
		err = deleteRuns(ctx, c, "SELECT run_id FROM temp.replaced")
	}
	if err == nil {
		err = recompute(ctx, c, r.run.AsOf)
	}
	if err != nil {
		return nil, err
	}
	if r.life, err = lifecycleOf(ctx, c, r.id); err != nil {
		return nil, err
	}
	return r.life, nil
}

// deleteRuns removes the runs that the query selects, with all they hold.
func deleteRuns(ctx context.Context, c *sql.Conn, runs string) error {
	for _, t := range []string{"lifecycle", "finding", "run_input", "run_integrity", "run_scope", "run"} {
		if _, err := c.ExecContext(ctx, "DELETE FROM "+t+" WHERE run_id IN ("+runs+")"); err != nil {
			return fmt.Errorf("history: remove runs: %w", err)
		}
	}
	return nil
}

// recompute derives the lifecycle rows of every run as of from and later.
func recompute(ctx context.Context, c *sql.Conn, from time.Time) error {
	if _, err := c.ExecContext(ctx, "DELETE FROM lifecycle WHERE run_id IN (SELECT run_id FROM run WHERE as_of >= ?)", from); err != nil {
		return fmt.Errorf("history: lifecycle: %w", err)
	}
	for _, q := range []string{lifecycleSQL, notEvaluatedSQL} {
		if _, err := c.ExecContext(ctx, q, from); err != nil {
			return fmt.Errorf("history: lifecycle: %w", err)
		}
	}
	return nil
}

// Commit writes the run to the file for good (working out its lifecycle
// first if Lifecycle was not called) and checkpoints, so the file alone
// holds the whole history.
func (r *Recorder) Commit(ctx context.Context) error {
	if _, err := r.Lifecycle(ctx); err != nil {
		r.Rollback()
		return err
	}
	r.done, r.s.busy = true, false
	if err := r.s.exec(ctx, "COMMIT"); err != nil {
		r.s.exec(context.WithoutCancel(ctx), "ROLLBACK")
		return err
	}
	return r.s.exec(ctx, "CHECKPOINT")
}

// Rollback abandons the run: the history stays as it was. It is safe to
// call after Commit (it does nothing then).
func (r *Recorder) Rollback() error {
	if r.done {
		return nil
	}
	r.done, r.s.busy = true, false
	if r.app != nil {
		r.app.Close()
	}
	return r.s.exec(context.Background(), "ROLLBACK")
}

// Status is a finding's lifecycle status in a run.
type Status string

// Lifecycle statuses (docs/history.md "Lifecycle").
const (
	New          Status = "new"
	Persisting   Status = "persisting"
	Changed      Status = "changed"
	Reopened     Status = "reopened"
	Resolved     Status = "resolved"
	NotEvaluated Status = "not_evaluated"
)

// Statuses in the order reports list them.
var Statuses = []Status{New, Persisting, Changed, Reopened, Resolved, NotEvaluated}

// Open reports whether the status is that of a finding present in the run.
func (s Status) Open() bool { return s == New || s == Persisting || s == Changed || s == Reopened }

// FindingLifecycle is one finding's place in its history as of a run.
type FindingLifecycle struct {
	Status    Status
	FirstSeen time.Time
	RunsSeen  int
}

// ResolvedFinding is a finding open in the previous run and absent now.
type ResolvedFinding struct {
	ID, Rule, Category, IssuerHIOSID   string
	ExchangePolicyID, ExchangeMemberID string // "" when none
	FirstSeen, LastSeen                time.Time
}

// RunRef names a recorded run.
type RunRef struct {
	AsOf  time.Time
	Scope []string
}

// Lifecycle is what a run's findings mean against the history.
type Lifecycle struct {
	// Previous is the latest earlier run that covered one of this run's
	// issuers; nil for the first.
	Previous *RunRef
	// Findings gives the status of each finding of the run, by id.
	Findings map[string]FindingLifecycle
	// Resolved lists, in id order, the findings that were open in the
	// previous run of their issuer and are absent now.
	Resolved []ResolvedFinding
	// NotEvaluated counts findings open in the previous run for issuers
	// this run did not cover.
	NotEvaluated int64
	// Counts per status (every status present, zeros included).
	Counts map[Status]int64
}

func lifecycleOf(ctx context.Context, c *sql.Conn, runID int64) (*Lifecycle, error) {
	l := &Lifecycle{Findings: map[string]FindingLifecycle{}, Counts: map[Status]int64{}}
	for _, st := range Statuses {
		l.Counts[st] = 0
	}
	var prev sql.NullInt64
	if err := c.QueryRowContext(ctx, "SELECT max(previous_run_id) FROM run_previous WHERE run_id = ?", runID).Scan(&prev); err != nil {
		return nil, fmt.Errorf("history: previous run: %w", err)
	}
	if prev.Valid {
		ref, err := runRef(ctx, c, prev.Int64)
		if err != nil {
			return nil, err
		}
		l.Previous = ref
	}
	rows, err := c.QueryContext(ctx, `SELECT id, status, first_seen, last_seen, runs_seen, rule, category, issuer_hios_id,
			exchange_policy_id, exchange_member_id
		FROM lifecycle WHERE run_id = ? ORDER BY id, issuer_hios_id`, runID)
	if err != nil {
		return nil, fmt.Errorf("history: lifecycle: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, status     string
			first, last    time.Time
			runs           int
			rule, cat      string
			issuer         string
			policy, member sql.NullString
		)
		if err := rows.Scan(&id, &status, &first, &last, &runs, &rule, &cat, &issuer, &policy, &member); err != nil {
			return nil, fmt.Errorf("history: lifecycle: %w", err)
		}
		st := Status(status)
		l.Counts[st]++
		switch {
		case st.Open():
			l.Findings[id] = FindingLifecycle{Status: st, FirstSeen: first, RunsSeen: runs}
		case st == Resolved:
			l.Resolved = append(l.Resolved, ResolvedFinding{ID: id, Rule: rule, Category: cat, IssuerHIOSID: issuer,
				ExchangePolicyID: policy.String, ExchangeMemberID: member.String, FirstSeen: first, LastSeen: last})
		case st == NotEvaluated:
			l.NotEvaluated++
		}
	}
	return l, rows.Err()
}

func runRef(ctx context.Context, c *sql.Conn, runID int64) (*RunRef, error) {
	ref := &RunRef{}
	var scope string
	err := c.QueryRowContext(ctx, `SELECT r.as_of, coalesce(string_agg(s.issuer_hios_id, ',' ORDER BY s.issuer_hios_id) FILTER (WHERE s.issuer_hios_id <> ''), '')
		FROM run r LEFT JOIN run_scope s USING (run_id) WHERE r.run_id = ? GROUP BY r.as_of`, runID).Scan(&ref.AsOf, &scope)
	if err != nil {
		return nil, fmt.Errorf("history: run %d: %w", runID, err)
	}
	if scope != "" {
		ref.Scope = strings.Split(scope, ",")
	}
	return ref, nil
}
