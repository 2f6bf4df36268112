package audit

import (
	"context"
	"errors"

	"github.com/enrollaudit/enrollaudit/reports"
)

// published is what runAndPublish wrote.
type published struct {
	Report   *reports.Report
	Warnings []string
}

// runAndPublish is what `enrollaudit run` does (cmd/enrollaudit runAudit)
// for the options these tests use, none of history or issuer packets: the
// engine's steps in order, then the reports published into opts.OutDir
// through reports.Publish, or rejects.csv alone with too many rejects. The
// one place the engine's tests publish.
func runAndPublish(ctx context.Context, opts Options) (*published, error) {
	e, err := Open(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	rejects := reports.RejectsCSV{Source: e.Rejects(), RevealPII: opts.RevealPII, OmitValues: opts.AggregateOnly}
	if err := e.Load(ctx); err != nil {
		var rj *RejectsError
		if errors.As(err, &rj) {
			if _, perr := reports.Publish(ctx, opts.OutDir, e.Report(), rejects); perr != nil {
				return nil, perr
			}
		}
		return nil, err
	}
	if err := e.Match(ctx); err != nil {
		return nil, err
	}
	if err := e.Evaluate(ctx); err != nil {
		return nil, err
	}
	rep := e.Report()
	writers := append([]reports.Writer{rejects}, opts.ReportWriters(rep)...)
	if _, err := reports.Publish(ctx, opts.OutDir, rep, writers...); err != nil {
		return nil, err
	}
	return &published{Report: rep, Warnings: rep.Warnings}, nil
}
