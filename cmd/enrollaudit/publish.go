package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/enrollaudit/enrollaudit/history"
	"github.com/enrollaudit/enrollaudit/reports"
)

// publishOptions are `enrollaudit publish`'s flags.
type publishOptions struct {
	history, out string
}

func newPublishCmd(e *env) *cobra.Command {
	var opts publishOptions
	cmd := &cobra.Command{
		Use:   "publish --history FILE --out DIR",
		Short: "Write the public page and its figures from a history alone",
		Long: `Writes DIR/report.html (the public page of the latest recorded run, with the trend across
every run), and DIR/figures.csv and DIR/figures.json holding exactly the figures the page
shows, suppressed the same way (counts of 1 to 10 people, and what would reveal them, read *).
It reads only the history file: no enrollment file is needed, and none is shown. Figures the
history does not keep read n/a. See README "The integrity figure".`,
		Example: `  enrollaudit publish --history audits.history --out public/`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			files, err := runPublish(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if !e.quiet {
				for _, f := range files {
					e.log.Info().Str("file", f).Msg("wrote")
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.history, "history", "", "history file (made by run --history or history import)")
	cmd.Flags().StringVar(&opts.out, "out", "", "output directory")
	_ = cmd.MarkFlagRequired("history")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func runPublish(ctx context.Context, opts publishOptions) ([]string, error) {
	var page *reports.Page
	err := withHistory(ctx, &historyOptions{path: opts.history}, func(s *history.Store) error {
		runs, err := s.Runs(ctx)
		if err != nil {
			return err
		}
		if len(runs) == 0 {
			return fmt.Errorf("publish: %s records no run yet", opts.history)
		}
		trend, err := s.Trend(ctx, history.ByNone)
		if err != nil {
			return err
		}
		page = reports.NewPage(reports.PageFiguresFromHistory(runs, trend))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return reports.Publish(ctx, opts.out, nil, reports.PageHTML{Page: page}, reports.FiguresCSV{Page: page}, reports.FiguresJSON{Page: page})
}
