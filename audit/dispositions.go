package audit

import (
	"context"
	"fmt"

	"github.com/enrollaudit/enrollaudit/reports"
)

// applyDispositions gives the run's findings their latest dispositions in
// the history, as recorded by the time of the run (docs/dispositions.md):
// each finding carries its answer, a running waiver takes it out of the
// findings and figures (not out of the history: only the data closes a
// finding), a correction not seen is flagged.
func (h *RunHistory) applyDispositions(ctx context.Context, e *Engine) error {
	latest, err := h.store.LatestDispositions(ctx, e.opts.Now())
	if err != nil {
		return err
	}
	rep := e.Report()
	if err := reports.ApplyDispositions(ctx, rep, reports.DispositionsFromHistory(latest), h.asOf); err != nil {
		return err
	}
	waived := rep.WaivedIDs()
	if len(waived) == 0 {
		return nil
	}
	// The figures again without the waived findings: people and policies
	// are distinct counts, which only the engine can make.
	conn := e.d.conn
	if _, err := conn.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE waived_ids AS SELECT unnest(?::VARCHAR[]) AS id", waived); err != nil {
		return fmt.Errorf("waived findings: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "CREATE OR REPLACE TEMP VIEW unwaived_findings AS SELECT * FROM findings ANTI JOIN waived_ids USING (id)"); err != nil {
		return fmt.Errorf("waived findings: %w", err)
	}
	s := &rep.Summary
	s.Categories, s.Issuers = nil, nil
	return summariseFindings(ctx, conn, s, "unwaived_findings", "true")
}
