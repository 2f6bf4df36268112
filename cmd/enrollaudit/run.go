package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/enrollaudit/enrollaudit/audit"
	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/reports"
)

func newRunCmd(e *env) *cobra.Command {
	var opts audit.Options
	var noHTML, timings bool
	var asOf string
	cmd := &cobra.Command{
		Use:   "run --marketplace PATH --insurer PATH --out DIR",
		Short: "Audit marketplace enrollments against insurer rosters",
		Long: `Loads the marketplace's enrollment export and the insurer's roster, matches them on
exchange policy and member ID, runs the rules and writes DIR/report.json, DIR/report.xlsx,
DIR/report.html (the public page; --no-html leaves it out) and DIR/rejects.csv. A short
summary goes to stdout.

Input formats come from the extension (.csv .tsv .txt .parquet .json .ndjson .jsonl .xlsx
.834 .edi .x12) or from a mapping file's format: key (format: rcni for CMS RCNI files).
--marketplace and --insurer also take a directory (its files, in name order) or a quoted glob
pattern; a side's 834 files are read as one extract, where a member's later transaction
supersedes his earlier ones.

With --history FILE the run is recorded in a history file (created when absent) and each
finding gets its lifecycle against the previous run: new, persisting, changed, reopened;
what was fixed is listed as resolved (docs/history.md). --as-of is the date the extracts
describe (default: today); a run with the date and issuers of an earlier one replaces it.`,
		Example: `  # audit the shipped fixtures
  enrollaudit run --marketplace fixtures/basic/marketplace.csv \
      --insurer fixtures/basic/insurer.csv --insurer-mapping fixtures/basic/insurer-mapping.yaml \
      --out out/

  # two weekly extract files, an 834 and an insurer's Excel roster; fail a CI job on high findings
  enrollaudit run --marketplace wk1.834 --marketplace wk2.834 \
      --insurer roster.xlsx --insurer-mapping roster.yaml --fail-on high --out out/

  # two weeks audited into one history: week 2's findings are new, persisting, changed or resolved
  enrollaudit run --marketplace wk1/marketplace.csv --insurer wk1/insurer.csv \
      --history audits.history --as-of 2026-07-20 --out out/wk1
  enrollaudit run --marketplace wk2/marketplace.csv --insurer wk2/insurer.csv \
      --history audits.history --as-of 2026-07-27 --out out/wk2

  # a week of daily 834 files against the insurer's RCNI file
  enrollaudit run --marketplace 'week-47/*.834' --insurer RCNI_33653.txt --insurer-format rcni --out out/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Version = toolVersion()
			if asOf != "" {
				d, err := parseAsOf(asOf)
				if err != nil {
					return err
				}
				opts.AsOf = d
			}
			opts.Formats = audit.RunFormats
			if noHTML {
				opts.Formats = slices.DeleteFunc(slices.Clone(opts.Formats), func(f string) bool { return f == "html" })
			}
			if !e.quiet {
				opts.Progress = newProgress(e.stderr)
			}
			var timer stageTimer
			if timings {
				timer = func(stage string, wall, cpu time.Duration) {
					e.log.Info().Str("stage", stage).Str("wall", fmt.Sprintf("%.2fs", wall.Seconds())).
						Str("cpu", fmt.Sprintf("%.2fs", cpu.Seconds())).Msg("stage done")
				}
			}
			if opts.RevealPII {
				e.log.Warn().Msg("--reveal-pii: report files will contain full SSNs; share them only with authorised users")
			}
			res, err := runAudit(cmd.Context(), opts, timer)
			if err != nil {
				return err
			}
			for _, w := range res.warnings {
				e.log.Warn().Msg(w)
			}
			if err := reports.WriteSummary(e.stdout, res.report); err != nil {
				return err
			}
			if !e.quiet {
				for _, f := range res.files {
					e.log.Info().Str("file", f).Msg("wrote")
				}
			}
			if worst := mostSevere(res.report); opts.FailOn != "" && worst != "" &&
				canonical.SeverityRank(worst) >= canonical.SeverityRank(opts.FailOn) {
				return fmt.Errorf("%w: most severe finding is %s", errFindings, worst)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.Marketplace, "marketplace", nil, "marketplace enrollment file, directory or glob (repeat for several)")
	f.StringArrayVar(&opts.Insurer, "insurer", nil, "insurer roster file, directory or glob (repeat for several)")
	f.StringVar(&opts.MarketplaceMapping, "marketplace-mapping", "", "mapping file for the marketplace files")
	f.StringVar(&opts.InsurerMapping, "insurer-mapping", "", "mapping file for the insurer files")
	f.StringVar(&opts.MarketplaceFormat, "marketplace-format", "", "read marketplace files as this format (csv, tsv, parquet, json, ndjson, xlsx, x12, rcni)")
	f.StringVar(&opts.InsurerFormat, "insurer-format", "", "read insurer files as this format")
	f.StringArrayVar(&opts.Rules, "rules", nil, "extra rule file or directory of rule files (repeatable)")
	f.StringArrayVar(&opts.DisableRules, "disable-rule", nil, "turn off a rule by id (repeatable)")
	f.BoolVar(&opts.NoDefaultRules, "no-default-rules", false, "use only the rules given with --rules")
	f.StringVar(&opts.OutDir, "out", "", "output directory for the reports")
	f.StringVar(&opts.FindingsFormat, "findings-format", "json", "json: findings inside report.json; ndjson: in findings.ndjson, one per line")
	f.Int64Var(&opts.MaxRejects, "max-rejects", 0, "input rows that may be rejected before the run fails (0: any reject fails it)")
	f.StringVar(&opts.Match, "match", "identity", "keys: pair records on policy and member IDs only; identity: then pair the rest by the same person (README \"How records are matched\")")
	f.StringVar(&opts.FailOn, "fail-on", "", "exit 1 when a finding is at or above this severity (info, low, medium, high, critical)")
	f.StringVar(&opts.MemoryLimit, "memory-limit", "", "memory DuckDB may use before spilling to disk, e.g. 6GB (default "+audit.DefaultMemoryLimit+")")
	f.StringVar(&opts.TempDir, "temp-dir", "", "where the working database and spill files go, in a private subdirectory removed after the run (default: the system temp dir)")
	f.IntVar(&opts.Threads, "threads", 0, "worker threads (default: all cores)")
	f.StringArrayVar(&opts.Issuers, "issuer", nil, "audit this issuer (HIOS ID; repeatable) on both sides, or all: every issuer on either side (default: the issuers of the insurer files)")
	f.BoolVar(&opts.RevealPII, "reveal-pii", false, "show full SSNs in report files (for authorised users only)")
	f.BoolVar(&opts.AggregateOnly, "aggregate-only", false, "counts and dollar totals only, no person-level rows; small cells suppressed")
	f.BoolVar(&opts.SplitByIssuer, "split-by-issuer", false, "also write each issuer's packet: DIR/issuers/<HIOS>/report.json and report.xlsx with only its findings and figures")
	f.BoolVar(&noHTML, "no-html", false, "do not write report.html, the public page")
	f.BoolVar(&timings, "timings", false, "log each stage's wall and CPU time on stderr (where a run spends its time)")
	f.StringVar(&opts.History, "history", "", "record the run in this history file (created when absent) and report each finding's lifecycle")
	f.StringVar(&asOf, "as-of", "", "date the extracts describe, YYYY-MM-DD (with --history; default: today)")
	_ = cmd.MarkFlagRequired("marketplace")
	_ = cmd.MarkFlagRequired("insurer")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// runResult is what a run published.
type runResult struct {
	report   *reports.Report
	files    []string // files written
	warnings []string
}

// runAudit performs one audit with an audit.Engine and publishes its
// reports into opts.OutDir. The engine computes; the reports are
// published here, all or nothing (reports.Publish); with too many
// rejects, rejects.csv alone. The run's history is committed only once
// its reports (and packets) are out, and rolled back on every other way
// out.
func runAudit(ctx context.Context, opts audit.Options, timer stageTimer) (*runResult, error) {
	if opts.Progress == nil {
		opts.Progress = audit.NoProgress{}
	}
	clock := newStageClock(timer)
	defer clock.lap("close") // after e.Close: removing the working database
	e, err := audit.Open(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	clock.lap("open")
	hist, err := e.OpenHistory(ctx)
	if err != nil {
		return nil, err
	}
	defer hist.Close()
	rejects := reports.RejectsCSV{Source: e.Rejects(), RevealPII: opts.RevealPII, OmitValues: opts.AggregateOnly}
	if err := e.Load(ctx); err != nil {
		var rj *audit.RejectsError
		if errors.As(err, &rj) {
			return nil, publishRejects(ctx, opts.OutDir, e.Report(), rejects, rj)
		}
		return nil, err
	}
	clock.lap("load")
	if err := e.Match(ctx); err != nil {
		return nil, err
	}
	clock.lap("match")
	if err := e.Evaluate(ctx); err != nil {
		return nil, err
	}
	clock.lap("evaluate")
	rep := e.Report()
	if hist != nil {
		if err := hist.Record(ctx, e); err != nil {
			return nil, err
		}
		clock.lap("history")
	}
	writers := append([]reports.Writer{rejects}, opts.ReportWriters(rep)...)
	for i, w := range writers {
		writers[i] = counted{w, opts.Progress}
	}
	opts.Progress.Stage("reports", int64(len(writers)))
	files, err := reports.Publish(ctx, opts.OutDir, rep, writers...)
	opts.Progress.Done()
	if err != nil {
		return nil, err
	}
	clock.lap("reports")
	res := &runResult{report: rep, files: files, warnings: rep.Warnings}
	// The reports are out: the run finishes what goes with them (packets,
	// the history's commit) even if interrupted now, so that what it
	// leaves is the whole run, never reports without their history.
	ctx = context.WithoutCancel(ctx)
	if opts.SplitByIssuer {
		if err := publishIssuers(ctx, e, opts, res); err != nil {
			return nil, err
		}
		clock.lap("packets")
	}
	if hist != nil {
		if err := hist.Commit(ctx); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// mostSevere is the severity of the report's most severe finding, "" when
// it has none.
func mostSevere(rep *reports.Report) string {
	for i := len(canonical.Severities) - 1; i >= 0; i-- {
		if rep.Summary.BySeverity[canonical.Severities[i]] > 0 {
			return canonical.Severities[i]
		}
	}
	return ""
}

// publishRejects writes rejects.csv (and nothing else) and returns the
// error listing the first rejects.
func publishRejects(ctx context.Context, out string, rep *reports.Report, w reports.RejectsCSV, e *audit.RejectsError) error {
	_ = w.Source.EachReject(ctx, func(r *reports.Reject) error {
		if len(e.First) == 10 {
			return errStop
		}
		e.First = append(e.First, *r)
		return nil
	})
	files, err := reports.Publish(ctx, out, rep, w)
	if err != nil {
		return fmt.Errorf("%v; and writing rejects failed: %w", e, err)
	}
	e.File = files[0]
	return e
}

var errStop = errors.New("stop")

// issuerDir is where --split-by-issuer writes an issuer's packet, under
// the output directory: issuers/<HIOS ID>.
func issuerDir(out, issuer string) string { return filepath.Join(out, "issuers", issuer) }

// publishIssuers writes each issuer's packet (--split-by-issuer) with the
// writers of the main report that make sense for one issuer: one packet
// per issuer in scope (Engine.Issuers).
func publishIssuers(ctx context.Context, e *audit.Engine, opts audit.Options, res *runResult) error {
	issuers, err := e.Issuers(ctx)
	if err != nil {
		return fmt.Errorf("split by issuer: %w", err)
	}
	opts.Progress.Stage("issuer packets", int64(len(issuers)))
	defer opts.Progress.Done()
	for _, iss := range issuers {
		if !packetName(iss) {
			res.warnings = append(res.warnings, fmt.Sprintf("issuer %q: no packet written (not a HIOS ID a directory can be named after)", iss))
			continue
		}
		r, err := e.IssuerReport(ctx, iss)
		if err != nil {
			return err
		}
		writers := []reports.Writer{reports.JSON{}, reports.XLSX{}}
		if opts.FindingsFormat == "ndjson" && !opts.AggregateOnly {
			writers = append(writers, reports.NDJSON{})
			r.FindingsFile = reports.NDJSON{}.FileName()
		}
		files, err := reports.Publish(ctx, issuerDir(opts.OutDir, iss), r, writers...)
		if err != nil {
			return fmt.Errorf("issuer %s: %w", iss, err)
		}
		res.files = append(res.files, files...)
		opts.Progress.Add(1)
	}
	return nil
}

// packetName is an issuer's directory name: HIOS IDs are five digits, and
// an ID from a file that could climb out of the directory is refused.
func packetName(issuer string) bool {
	if issuer == "" || issuer == "." || issuer == ".." || len(issuer) > 64 {
		return false
	}
	for _, c := range issuer {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// counted advances the progress by one when its writer is done.
type counted struct {
	reports.Writer
	p audit.Progress
}

func (c counted) Write(ctx context.Context, w io.Writer, r *reports.Report) error {
	err := c.Writer.Write(ctx, w, r)
	c.p.Add(1)
	return err
}
