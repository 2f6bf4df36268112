package main

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/enrollaudit/enrollaudit/audit"
	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/fileerr"
	"github.com/enrollaudit/enrollaudit/history"
)

func newDispositionsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dispositions",
		Short: "Answers to findings (agree, corrected, disputed, not_an_error, waived), kept in the history",
		Long: `An insurer answers findings in the Disposition, Comment and Until columns of report.xlsx
(or a CSV file id,disposition,comment,until); dispositions import records the answers in the
history, where later runs find them. See docs/dispositions.md.`,
	}
	cmd.AddCommand(newDispositionsImportCmd(e))
	return cmd
}

type dispositionsImportOptions struct {
	history string
	by      string
}

func newDispositionsImportCmd(e *env) *cobra.Command {
	var opts dispositionsImportOptions
	cmd := &cobra.Command{
		Use:   "import --history FILE [--by NAME] INPUT...",
		Short: "Record the answers of filled workbooks or CSV files in the history",
		Long: `Reads filled report.xlsx workbooks (every sheet with ID and Disposition headers, split
sheets included) or CSV files with the columns id,disposition,comment,until. Every answer
is checked first: the finding must be in the history, the disposition one of ` + strings.Join(canonical.Dispositions, ", ") + `,
waived needs an Until date, an Until may not be in the past, and a finding answered twice
must be answered the same way. Any problem (all are listed, by file, sheet and row) and
nothing is recorded. Each answer is recorded with who (--by, else the workbook's author,
else the user running the command), when, and the file's name and SHA-256; a file
imported before is skipped, and so is an answer the same as its finding's latest (a
workbook pre-filled by a run comes back with them).`,
		Example: `  enrollaudit dispositions import --history audits.history answers/47825-report.xlsx
  enrollaudit dispositions import --history audits.history --by "J. Smith, Plan 47825" answers.csv`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDispositionsImport(cmd.Context(), e, opts, args)
		},
	}
	cmd.Flags().StringVar(&opts.history, "history", "", "history file (made by run --history or history import)")
	cmd.Flags().StringVar(&opts.by, "by", "", "who gave the answers (default: the workbook's author, else the user running the command)")
	_ = cmd.MarkFlagRequired("history")
	return cmd
}

func runDispositionsImport(ctx context.Context, e *env, opts dispositionsImportOptions, inputs []string) error {
	if strings.TrimSpace(opts.by) == "" && opts.by != "" {
		return audit.Usagef("--by is empty")
	}
	var files []*history.AnswerFile
	var problems fileerr.List
	for _, in := range inputs {
		f, probs, err := history.ReadAnswers(in)
		if err != nil {
			return err
		}
		files = append(files, f)
		problems = append(problems, probs...)
	}
	return withHistory(ctx, &historyOptions{path: opts.history}, func(s *history.Store) error {
		// A file imported before is skipped before it is checked: its
		// Until dates may have passed since.
		latest, err := s.LatestDispositions(ctx, time.Now())
		if err != nil {
			return err
		}
		var fresh []*history.AnswerFile
		var ids []string
		unchanged := map[*history.AnswerFile]int{}
		for _, f := range files {
			at, seen, err := s.Imported(ctx, f.SHA256)
			if err != nil {
				return err
			}
			if seen {
				fmt.Fprintf(e.stdout, "%s: imported before (%s); nothing changed\n", f.Path, at.UTC().Format(time.DateTime+" UTC"))
				continue
			}
			unchanged[f] = f.DropUnchanged(latest)
			fresh = append(fresh, f)
			for _, d := range f.Dispositions {
				ids = append(ids, d.ID)
			}
		}
		known, err := s.KnownFindings(ctx, ids)
		if err != nil {
			return err
		}
		problems = append(problems, history.CheckAnswers(fresh, known, time.Now())...)
		if len(problems) > 0 {
			return fmt.Errorf("%d problem(s) in the answers; nothing was recorded:\n%w", len(problems), problems)
		}
		records := make([]history.DispositionFile, len(fresh))
		for i, f := range fresh {
			records[i] = history.DispositionFile{Name: filepath.Base(f.Path), SHA256: f.SHA256, By: answeredBy(opts.by, f.Author),
				Dispositions: f.Dispositions}
		}
		if _, err := s.RecordDispositions(ctx, records); err != nil {
			return err
		}
		for i, f := range fresh {
			fmt.Fprintf(e.stdout, "%s: recorded %d answer(s) by %s", f.Path, len(f.Dispositions), records[i].By)
			if n := unchanged[f]; n > 0 {
				fmt.Fprintf(e.stdout, "; %d answer(s) as recorded before left as they were", n)
			}
			fmt.Fprintln(e.stdout)
		}
		return nil
	})
}

// answeredBy is who the answers are recorded as given by: --by, the
// workbook's author, or the user running the command.
func answeredBy(flag, author string) string {
	switch {
	case flag != "":
		return strings.TrimSpace(flag)
	case author != "":
		return author
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if name := os.Getenv("USER"); name != "" {
		return name
	}
	return "unknown"
}
