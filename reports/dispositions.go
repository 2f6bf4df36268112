package reports

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// DispositionSummary counts the answers a run honoured (docs/dispositions.md).
type DispositionSummary struct {
	// ByStatus counts the findings of the run (waived ones included) by
	// their latest disposition.
	ByStatus map[string]int64 `json:"by_status"`
	// Waived: findings left out of findings and counts, their waiver
	// running at the run's as-of date.
	Waived int64 `json:"waived"`
	// CorrectionNotSeen: findings answered "corrected" that are still there.
	CorrectionNotSeen int64 `json:"correction_not_seen"`
}

// ApplyDispositions gives each finding of r its latest disposition (by
// finding id) as of the run's date asOf: a finding whose waiver runs at
// asOf leaves the findings for r.Waived; a finding answered "corrected"
// that is still there is flagged CorrectionNotSeen; disputed findings are
// kept for the Disputed sheet. It reads the findings once, and holds only
// the waived and disputed ones in memory. The summary's figures are the
// engine's: it recomputes them without the waived findings (WaivedIDs).
func ApplyDispositions(ctx context.Context, r *Report, latest map[string]Disposition, asOf time.Time) error {
	ds := &DispositionSummary{ByStatus: map[string]int64{}}
	r.Summary.Dispositions = ds
	if len(latest) == 0 || r.Findings == nil {
		return nil
	}
	waived := map[string]bool{}
	err := r.Findings.Each(ctx, "", func(fd *Finding) error {
		d, ok := latest[fd.ID]
		if !ok {
			return nil
		}
		ds.ByStatus[d.Status]++
		switch {
		case d.Waives(asOf):
			waived[fd.ID] = true
			if !r.Options.AggregateOnly { // no person-level rows
				f := *fd
				f.Disposition = &d
				r.Waived = append(r.Waived, &f)
			}
			ds.Waived++
		case d.Status == "corrected":
			ds.CorrectionNotSeen++
		case d.Status == "disputed" && !r.Options.AggregateOnly:
			f := *fd
			f.Disposition = &d
			r.Disputed = append(r.Disputed, &f)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("apply dispositions: %w", err)
	}
	r.Findings = dispositionSource{inner: r.Findings, latest: latest, waived: waived}
	return nil
}

// WaivedIDs are the ids of the findings ApplyDispositions left out.
func (r *Report) WaivedIDs() []string {
	s, ok := r.Findings.(dispositionSource)
	if !ok {
		return nil
	}
	ids := make([]string, 0, len(s.waived))
	for id := range s.waived {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Waives reports whether d keeps its finding out of a run as of asOf: a
// waiver holds through its Until date.
func (d Disposition) Waives(asOf time.Time) bool {
	if d.Status != "waived" || d.Until == nil {
		return false
	}
	until, err := time.Parse(time.DateOnly, *d.Until)
	return err == nil && !until.Before(asOf.Truncate(24*time.Hour))
}

// dispositionSource streams a run's findings with their dispositions,
// without the waived ones.
type dispositionSource struct {
	inner  FindingSource
	latest map[string]Disposition
	waived map[string]bool
}

func (s dispositionSource) Each(ctx context.Context, category string, fn func(*Finding) error) error {
	return s.inner.Each(ctx, category, func(fd *Finding) error {
		if s.waived[fd.ID] {
			return nil
		}
		// Sources may hand over the same Finding for every row: set both
		// fields each time.
		fd.Disposition, fd.CorrectionNotSeen = nil, false
		if d, ok := s.latest[fd.ID]; ok {
			fd.Disposition = &d
			fd.CorrectionNotSeen = d.Status == "corrected"
		}
		return fn(fd)
	})
}

// ForIssuer is r as one issuer's packet sees it: findings from src (that
// issuer's, read by the engine) with the run's lifecycle and dispositions
// applied as in r, and only that issuer's resolved, waived and disputed
// findings. The summary and inputs are the caller's to set.
func (r *Report) ForIssuer(issuer string, src FindingSource) *Report {
	out := *r
	mine := func(id *string) bool { return id != nil && *id == issuer }
	if r.History != nil {
		h := *r.History
		h.Resolved = nil
		for _, f := range r.History.Resolved {
			if mine(f.IssuerHIOSID) {
				h.Resolved = append(h.Resolved, f)
			}
		}
		out.History = &h
		src = WithLifecycle(src, &h)
	}
	if ds, ok := r.Findings.(dispositionSource); ok {
		src = dispositionSource{inner: src, latest: ds.latest, waived: ds.waived}
	}
	out.Findings = src
	out.Waived, out.Disputed = nil, nil
	for _, f := range r.Waived {
		if mine(f.IssuerHIOSID) {
			out.Waived = append(out.Waived, f)
		}
	}
	for _, f := range r.Disputed {
		if mine(f.IssuerHIOSID) {
			out.Disputed = append(out.Disputed, f)
		}
	}
	return &out
}
