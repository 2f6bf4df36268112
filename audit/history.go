package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/enrollaudit/enrollaudit/history"
	"github.com/enrollaudit/enrollaudit/reports"
)

// RunHistory is a run's side of its history file (run --history,
// docs/history.md). The command opens it right after Open, so a history
// that is not ours, newer, corrupt or in use fails the run before any
// work; Record adds the findings after Evaluate in one transaction, which
// the command commits only once the reports are published; Close rolls an
// uncommitted run back, so a failed run leaves the history as it was.
type RunHistory struct {
	store *history.Store
	rec   *history.Recorder
	asOf  time.Time
}

// OpenHistory opens (or creates) the history of Options.History; nil
// without --history.
func (e *Engine) OpenHistory(ctx context.Context) (*RunHistory, error) {
	opts := e.opts
	if opts.History == "" {
		return nil, nil
	}
	s, err := history.Open(ctx, opts.History)
	if err != nil {
		return nil, err
	}
	asOf := opts.AsOf
	if asOf.IsZero() {
		asOf = opts.Now()
	}
	y, m, d := asOf.Date()
	return &RunHistory{store: s, asOf: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}, nil
}

// Record adds the audit's findings to the history (nothing personal: a
// history.Finding has no field for it) and works out their lifecycle,
// which it puts on the report: each finding's status as the writers read
// it, what was resolved, the counts per status.
func (h *RunHistory) Record(ctx context.Context, e *Engine) error {
	rep := e.Report()
	// The runs before this one, read before the transaction that records it.
	past, err := h.store.Trend(ctx, history.ByNone)
	if err != nil {
		return err
	}
	rec, err := h.store.Begin(ctx, h.run(e))
	if err != nil {
		return err
	}
	h.rec = rec
	inScope := map[string]bool{"": true}
	for _, iss := range e.Scope() {
		inScope[iss] = true
	}
	p := e.opts.Progress
	p.Stage("recording history", rep.Summary.Findings)
	n := 0
	err = e.Findings("").Each(ctx, "", func(f *reports.Finding) error {
		if n++; n%4096 == 0 {
			p.Add(4096)
		}
		hf := historyFinding(f)
		if !inScope[hf.IssuerHIOSID] {
			// Unreachable: the scope filters the rows every finding comes
			// from (README "Scope"). Recorded, such a finding would make
			// its issuer evaluated this run, and resolve its other findings.
			return fmt.Errorf("finding %s is of issuer %s, outside the audit's scope (internal error)", hf.ID, hf.IssuerHIOSID)
		}
		return rec.Add(ctx, hf)
	})
	p.Done()
	if err != nil {
		return fmt.Errorf("record findings in history: %w", err)
	}
	lc, err := rec.Lifecycle(ctx)
	if err != nil {
		return err
	}
	rep.History = reportHistory(h.asOf, lc)
	rep.History.Trend = reportTrend(past, rep)
	rep.Summary.Lifecycle = rep.History.Counts
	rep.Findings = reports.WithLifecycle(rep.Findings, rep.History)
	return h.applyDispositions(ctx, e)
}

// run describes the audit for the history.
func (h *RunHistory) run(e *Engine) history.Run {
	rep := e.Report()
	s := rep.Summary
	run := history.Run{AsOf: h.asOf, ToolVersion: rep.Tool.Version, RulesHash: rep.Rules.ContentHash, Scope: e.Scope(),
		Summary: history.Summary{MarketplaceRows: s.MarketplaceRows, InsurerRows: s.InsurerRows,
			MarketplaceRejected: s.MarketplaceRejected, InsurerRejected: s.InsurerRejected,
			MatchedMembers: s.MatchedMembers, MatchedPolicies: s.MatchedPolicies, Findings: s.Findings,
			PeopleAffected: s.PeopleAffected, PoliciesAffected: s.PoliciesAffected},
		Integrity: integrityFigures(rep)}
	for _, c := range s.Categories {
		run.Summary.MonthlyAmountCents += int64(c.MonthlyAmount)
	}
	for _, in := range rep.Inputs {
		run.Inputs = append(run.Inputs, history.Input{Side: in.Side, Name: in.Path, Bytes: in.Bytes, SHA256: in.SHA256,
			RowsLoaded: in.RowsLoaded, RowsRejected: in.RowsRejected})
	}
	return run
}

// integrityFigures are the summary's integrity figures as the history keeps
// them: the total, then each issuer and each state.
func integrityFigures(rep *reports.Report) []history.Integrity {
	return rep.Summary.Integrity.History()
}

// historyFinding is what the history keeps of a finding: keys, amount and
// the hash of its compared values.
func historyFinding(f *reports.Finding) history.Finding {
	hf := history.Finding{ID: f.ID, Rule: f.Rule, Category: f.Category, Severity: f.Severity,
		IssuerHIOSID: deref(f.IssuerHIOSID), ExchangePolicyID: deref(f.ExchangePolicyID), ExchangeMemberID: deref(f.ExchangeMemberID),
		ValuesHash: history.ValuesHash(f.Marketplace, f.Insurer)}
	if f.MonthlyAmountDifference != nil {
		cents := int64(*f.MonthlyAmountDifference)
		hf.MonthlyAmountCents = &cents
	}
	return hf
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func orNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// reportHistory turns the history's lifecycle into the report's.
func reportHistory(asOf time.Time, lc *history.Lifecycle) *reports.History {
	h := &reports.History{AsOf: asOf, Findings: make(map[string]reports.FindingLifecycle, len(lc.Findings)),
		Counts: map[string]int64{}}
	if lc.Previous != nil {
		h.PreviousRun = &reports.PreviousRun{AsOf: reports.Date(lc.Previous.AsOf)}
	}
	for id, l := range lc.Findings {
		h.Findings[id] = reports.FindingLifecycle{Status: string(l.Status), FirstSeen: reports.Date(l.FirstSeen), RunsSeen: l.RunsSeen}
	}
	for _, r := range lc.Resolved {
		h.Resolved = append(h.Resolved, reports.ResolvedFinding{ID: r.ID, Rule: r.Rule, Category: r.Category,
			IssuerHIOSID: orNil(r.IssuerHIOSID), ExchangePolicyID: orNil(r.ExchangePolicyID), ExchangeMemberID: orNil(r.ExchangeMemberID),
			FirstSeen: reports.Date(r.FirstSeen), LastSeen: reports.Date(r.LastSeen)})
	}
	for st, n := range lc.Counts {
		h.Counts[string(st)] = n
	}
	return h
}

// reportTrend is the runs of the history before this one (by as-of date),
// then this one, as the workbook charts them.
func reportTrend(past []history.TrendRow, rep *reports.Report) []reports.RunFigures {
	h := rep.History
	var out []reports.RunFigures
	for _, tr := range past {
		if tr.Group != "" || !tr.AsOf.Before(h.AsOf) {
			continue
		}
		r := reports.RunFigures{AsOf: tr.AsOf, New: tr.Counts[history.New], Resolved: tr.Counts[history.Resolved], Open: tr.Open}
		if in := tr.Integrity; in != nil {
			r.Policies, r.PoliciesIntact, r.People, r.PeopleIntact = in.Policies, in.PoliciesIntact, in.People, in.PeopleIntact
		}
		if tr.MedianAgeDays != nil {
			r.MedianAgeDays = *tr.MedianAgeDays
		}
		out = append(out, r)
	}
	now := reports.RunFigures{AsOf: h.AsOf, New: h.Counts["new"], Resolved: h.Counts["resolved"], Open: int64(len(h.Findings))}
	if g := rep.Summary.Integrity; g != nil {
		now.Policies, now.PoliciesIntact, now.People, now.PeopleIntact = g.Policies, g.PoliciesIntact, g.People, g.PeopleIntact
	}
	now.MedianAgeDays, _ = h.MedianAge()
	return append(out, now)
}

// Commit makes the run part of the history, once its reports are out.
func (h *RunHistory) Commit(ctx context.Context) error {
	if err := h.rec.Commit(ctx); err != nil {
		return fmt.Errorf("record the run in history %s: %w", h.store.Path(), err)
	}
	return nil
}

// Close abandons an uncommitted run (the history stays as it was) and
// releases the file.
func (h *RunHistory) Close() {
	if h == nil {
		return
	}
	if h.rec != nil {
		h.rec.Rollback()
	}
	h.store.Close()
}
