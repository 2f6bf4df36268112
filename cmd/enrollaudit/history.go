package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/enrollaudit/enrollaudit/audit"
	"github.com/enrollaudit/enrollaudit/history"
)

// historyOptions are the flags every history command shares.
type historyOptions struct {
	path string
}

func newHistoryCmd(e *env) *cobra.Command {
	var opts historyOptions
	cmd := &cobra.Command{
		Use:   "history",
		Short: "Runs recorded in a history file, the trend across them, the life of a finding",
		Long: `A history file (made by run --history, or by history import) remembers every audit:
its as-of date, scope, inputs and figures, and each finding's keys, amount and a hash of
its values (no SSNs, names or birth dates). From it each finding gets a lifecycle status:
new, persisting, changed, reopened, resolved or not_evaluated. See docs/history.md.`,
	}
	cmd.PersistentFlags().StringVar(&opts.path, "history", "", "history file")
	_ = cmd.MarkPersistentFlagRequired("history")
	cmd.AddCommand(newHistoryListCmd(e, &opts), newHistoryTrendCmd(e, &opts), newHistoryShowCmd(e, &opts),
		newHistoryForgetCmd(e, &opts), newHistoryImportCmd(e, &opts))
	return cmd
}

// parseAsOf reads an --as-of date; anything else is a usage error.
func parseAsOf(s string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, audit.Usagef("--as-of %q is not a date (YYYY-MM-DD)", s)
	}
	return d, nil
}

// withHistory opens an existing history for fn and closes it after.
func withHistory(ctx context.Context, opts *historyOptions, fn func(*history.Store) error) error {
	s, err := history.OpenExisting(ctx, opts.path)
	if err != nil {
		return err
	}
	err = fn(s)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}

func newHistoryListCmd(e *env, opts *historyOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "list --history FILE",
		Short:   "List the recorded runs: as-of date, scope, inputs, findings, integrity rate",
		Example: `  enrollaudit history list --history audits.history`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withHistory(cmd.Context(), opts, func(s *history.Store) error {
				runs, err := s.Runs(cmd.Context())
				if err != nil {
					return err
				}
				return writeRunList(e.stdout, runs)
			})
		},
	}
}

func writeRunList(w io.Writer, runs []history.RunInfo) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	// Findings as the run's report counted them; the waived ones apart
	// (open in the history: trend counts them among the open findings).
	fmt.Fprintln(tw, "as of\tscope\tsource\tinputs\tfindings\twaived\tnew\tresolved\tnot evaluated\tintegrity\t")
	for _, r := range runs {
		var names []string
		for _, in := range r.Inputs {
			names = append(names, filepath.Base(in.Name))
		}
		rate := "-"
		if g := r.Integrity; g != nil && g.Policies > 0 {
			rate = strconv.FormatFloat(100*float64(g.PoliciesIntact)/float64(g.Policies), 'f', 1, 64) + "%"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t\n", r.AsOf.Format(time.DateOnly), orDash(strings.Join(r.Scope, ",")),
			r.Source, orDash(strings.Join(names, ", ")), r.Summary.Findings-r.Waived, r.Waived, r.Counts[history.New], r.Counts[history.Resolved],
			r.Counts[history.NotEvaluated], rate)
	}
	if len(runs) == 0 {
		fmt.Fprintln(tw, "(no runs)\t\t\t\t\t\t\t\t\t\t")
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

type historyTrendOptions struct {
	by, format string
}

func newHistoryTrendCmd(e *env, hopts *historyOptions) *cobra.Command {
	var opts historyTrendOptions
	cmd := &cobra.Command{
		Use:   "trend --history FILE [--by category|issuer] [--format table|csv|json]",
		Short: "One row per run (and category or issuer): lifecycle counts, open findings, their median age, how fast findings get resolved",
		Long: `One row per run, or per run and category or issuer with --by: findings per lifecycle
status, open findings (new, persisting, changed, reopened), the median age in days of the
open ones, and of the findings first seen at least 30 (60) days before the run, the share
resolved within 30 (60) days; then the integrity figures recorded with the run, if any.`,
		Example: `  enrollaudit history trend --history audits.history
  enrollaudit history trend --history audits.history --by issuer --format csv > trend.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runHistoryTrend(cmd.Context(), e, hopts, opts)
		},
	}
	cmd.Flags().StringVar(&opts.by, "by", "", "group each run's row by category or issuer")
	cmd.Flags().StringVar(&opts.format, "format", "table", "table, csv or json")
	return cmd
}

func runHistoryTrend(ctx context.Context, e *env, hopts *historyOptions, opts historyTrendOptions) error {
	if opts.by != history.ByNone && opts.by != history.ByCategory && opts.by != history.ByIssuer {
		return audit.Usagef("--by %q: use category or issuer", opts.by)
	}
	if opts.format != "table" && opts.format != "csv" && opts.format != "json" {
		return audit.Usagef("--format %q: use table, csv or json", opts.format)
	}
	return withHistory(ctx, hopts, func(s *history.Store) error {
		rows, err := s.Trend(ctx, opts.by)
		if err != nil {
			return err
		}
		return writeTrend(e.stdout, rows, opts)
	})
}

// trendRecord is one trend row as JSON (and, flattened, as a CSV or table row).
type trendRecord struct {
	AsOf             string          `json:"as_of"`
	Scope            []string        `json:"scope"`
	Category         *string         `json:"category,omitempty"`
	Issuer           *string         `json:"issuer_hios_id,omitempty"`
	New              int64           `json:"new"`
	Persisting       int64           `json:"persisting"`
	Changed          int64           `json:"changed"`
	Reopened         int64           `json:"reopened"`
	Resolved         int64           `json:"resolved"`
	NotEvaluated     int64           `json:"not_evaluated"`
	Open             int64           `json:"open"`
	MedianAgeDays    *float64        `json:"median_age_days"`
	ResolvedWithin30 *float64        `json:"resolved_within_30_days"`
	ResolvedWithin60 *float64        `json:"resolved_within_60_days"`
	Integrity        *trendIntegrity `json:"integrity,omitempty"`
}

type trendIntegrity struct {
	Policies       int64       `json:"policies"`
	PoliciesIntact int64       `json:"policies_intact"`
	PolicyRate     float64     `json:"policy_rate"`
	People         int64       `json:"people"`
	PeopleIntact   int64       `json:"people_intact"`
	PeopleRate     float64     `json:"people_rate"`
	DollarsAtStake json.Number `json:"dollars_at_stake"`
}

func writeTrend(w io.Writer, rows []history.TrendRow, opts historyTrendOptions) error {
	recs := make([]trendRecord, len(rows))
	for i, r := range rows {
		rec := trendRecord{AsOf: r.AsOf.Format(time.DateOnly), Scope: r.Scope, New: r.Counts[history.New],
			Persisting: r.Counts[history.Persisting], Changed: r.Counts[history.Changed], Reopened: r.Counts[history.Reopened],
			Resolved: r.Counts[history.Resolved], NotEvaluated: r.Counts[history.NotEvaluated], Open: r.Open,
			MedianAgeDays: r.MedianAgeDays, ResolvedWithin30: r.ResolvedWithin30, ResolvedWithin60: r.ResolvedWithin60}
		if rec.Scope == nil {
			rec.Scope = []string{}
		}
		g := r.Group
		switch opts.by {
		case history.ByCategory:
			rec.Category = &g
		case history.ByIssuer:
			rec.Issuer = &g
		}
		if in := r.Integrity; in != nil {
			rec.Integrity = &trendIntegrity{in.Policies, in.PoliciesIntact, rate(in.PoliciesIntact, in.Policies), in.People, in.PeopleIntact,
				rate(in.PeopleIntact, in.People), json.Number(cents(in.DollarsAtStakeCents))}
		}
		recs[i] = rec
	}
	if opts.format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			By   string        `json:"by"`
			Runs []trendRecord `json:"rows"`
		}{orDefault(opts.by, "run"), recs})
	}
	header := []string{"as_of", "scope"}
	if opts.by != history.ByNone {
		header = append(header, opts.by)
	}
	header = append(header, "new", "persisting", "changed", "reopened", "resolved", "not_evaluated", "open",
		"median_age_days", "resolved_within_30_days", "resolved_within_60_days",
		"policies", "policies_intact", "policy_rate", "people", "people_intact", "people_rate", "dollars_at_stake")
	table := [][]string{header}
	for _, r := range recs {
		row := []string{r.AsOf, strings.Join(r.Scope, " ")}
		switch {
		case r.Category != nil:
			row = append(row, *r.Category)
		case r.Issuer != nil:
			row = append(row, orDefault(*r.Issuer, "(none)"))
		}
		row = append(row, itoa(r.New), itoa(r.Persisting), itoa(r.Changed), itoa(r.Reopened), itoa(r.Resolved),
			itoa(r.NotEvaluated), itoa(r.Open), decimal(r.MedianAgeDays, 1), decimal(r.ResolvedWithin30, 3), decimal(r.ResolvedWithin60, 3))
		if g := r.Integrity; g != nil {
			row = append(row, itoa(g.Policies), itoa(g.PoliciesIntact), strconv.FormatFloat(g.PolicyRate, 'f', 4, 64),
				itoa(g.People), itoa(g.PeopleIntact), strconv.FormatFloat(g.PeopleRate, 'f', 4, 64), g.DollarsAtStake.String())
		} else {
			row = append(row, "", "", "", "", "", "", "")
		}
		table = append(table, row)
	}
	if opts.format == "csv" {
		cw := csv.NewWriter(w)
		cw.WriteAll(table)
		return cw.Error()
	}
	// A table leaves out the integrity columns when no run has them.
	hasIntegrity := false
	for _, r := range recs {
		hasIntegrity = hasIntegrity || r.Integrity != nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, row := range table {
		if !hasIntegrity {
			row = row[:len(row)-7]
		}
		for i, c := range row {
			if c == "" {
				row[i] = "-"
			}
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	return tw.Flush()
}

func rate(part, whole int64) float64 {
	if whole == 0 {
		return 0
	}
	return float64(part) / float64(whole)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func decimal(p *float64, places int) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', places, 64)
}

// cents writes an amount in cents as dollars with two decimals.
func cents(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func newHistoryShowCmd(e *env, opts *historyOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "show ID --history FILE",
		Short:   "The life of one finding: every run's status, amount and whether its values changed",
		Example: `  enrollaudit history show eb060af8c684089d --history audits.history`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withHistory(cmd.Context(), opts, func(s *history.Store) error {
				life, err := s.FindingLife(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if len(life) == 0 {
					return fmt.Errorf("no finding %s in %s", args[0], opts.path)
				}
				answers, err := s.FindingDispositions(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if err := writeFindingLife(e.stdout, args[0], life); err != nil {
					return err
				}
				return writeFindingDispositions(e.stdout, answers)
			})
		},
	}
}

func writeFindingLife(w io.Writer, id string, life []history.Sighting) error {
	first := life[0]
	fmt.Fprintf(w, "finding %s: rule %s, %s, issuer %s, policy %s, member %s\n", id, first.Rule, first.Category,
		orDash(first.IssuerHIOSID), orDash(first.ExchangePolicyID), orDash(first.ExchangeMemberID))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "as of\tstatus\truns seen\tseverity\tmonthly $\tvalues")
	last := ""
	for _, sg := range life {
		amount, values := "-", "-"
		if sg.MonthlyAmountCents != nil {
			amount = cents(*sg.MonthlyAmountCents)
		}
		if sg.ValuesHash != "" {
			switch {
			case last == "":
				values = "hash " + sg.ValuesHash[:min(12, len(sg.ValuesHash))]
			case sg.ValuesHash != last:
				values = "changed: hash " + sg.ValuesHash[:min(12, len(sg.ValuesHash))]
			default:
				values = "same"
			}
			last = sg.ValuesHash
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", sg.AsOf.Format(time.DateOnly), sg.Status, sg.RunsSeen,
			orDash(sg.Severity), amount, values)
	}
	return tw.Flush()
}

// writeFindingDispositions lists a finding's answers in the order given;
// the last one counts.
func writeFindingDispositions(w io.Writer, answers []history.Disposition) error {
	if len(answers) == 0 {
		_, err := fmt.Fprintln(w, "dispositions: none")
		return err
	}
	fmt.Fprintln(w, "dispositions (the last counts):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "recorded at (UTC)\tdisposition\tuntil\tby\tsource\tcomment")
	for _, d := range answers {
		until := "-"
		if !d.Until.IsZero() {
			until = d.Until.Format(time.DateOnly)
		}
		src := d.Source + " (sha256 " + d.SourceSHA256[:min(12, len(d.SourceSHA256))] + ")"
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.RecordedAt.UTC().Format(time.DateTime), d.Status, until, d.RecordedBy, src,
			orDash(strings.ReplaceAll(d.Comment, "\n", " ")))
	}
	return tw.Flush()
}

type historyForgetOptions struct {
	asOf string
}

func newHistoryForgetCmd(e *env, hopts *historyOptions) *cobra.Command {
	var opts historyForgetOptions
	cmd := &cobra.Command{
		Use:     "forget --as-of DATE --history FILE",
		Short:   "Remove the runs of one as-of date (e.g. made from the wrong extract); later statuses are recomputed",
		Example: `  enrollaudit history forget --as-of 2026-11-20 --history audits.history`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runHistoryForget(cmd.Context(), e, hopts, opts)
		},
	}
	cmd.Flags().StringVar(&opts.asOf, "as-of", "", "the as-of date (YYYY-MM-DD) of the runs to remove")
	_ = cmd.MarkFlagRequired("as-of")
	return cmd
}

func runHistoryForget(ctx context.Context, e *env, hopts *historyOptions, opts historyForgetOptions) error {
	asOf, err := parseAsOf(opts.asOf)
	if err != nil {
		return err
	}
	return withHistory(ctx, hopts, func(s *history.Store) error {
		removed, err := s.Forget(ctx, asOf)
		if err != nil {
			return err
		}
		if len(removed) == 0 {
			return fmt.Errorf("no run as of %s in %s", opts.asOf, hopts.path)
		}
		for _, r := range removed {
			fmt.Fprintf(e.stdout, "removed the run as of %s (scope %s, %d findings); later runs' statuses recomputed\n",
				opts.asOf, orDash(strings.Join(r.Scope, ",")), r.Summary.Findings)
		}
		return nil
	})
}

type historyImportOptions struct {
	asOf    string
	issuers []string
}

func newHistoryImportCmd(e *env, hopts *historyOptions) *cobra.Command {
	var opts historyImportOptions
	cmd := &cobra.Command{
		Use:   "import --as-of DATE --history FILE report.json",
		Short: "Record an earlier report.json as the run of an as-of date (the history is created if absent)",
		Long: `Seeds a history from report.json files written before it existed: each becomes the run
of its --as-of date, with its findings' ids, keys, amounts and values hashes. A report
written without a scope covered every issuer it was given; its scope is taken as the issuers
of its findings and of the history, unless --issuer names it.`,
		Example: `  for d in 2026-11-06 2026-11-13 2026-11-20; do
    enrollaudit history import --history audits.history --as-of $d reports/$d/report.json
  done`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHistoryImport(cmd.Context(), e, hopts, opts, args[0])
		},
	}
	cmd.Flags().StringVar(&opts.asOf, "as-of", "", "the date the report's extracts describe (YYYY-MM-DD)")
	cmd.Flags().StringArrayVar(&opts.issuers, "issuer", nil, "an issuer (HIOS ID) the report covered, when it does not say (repeatable)")
	_ = cmd.MarkFlagRequired("as-of")
	return cmd
}

func runHistoryImport(ctx context.Context, e *env, hopts *historyOptions, opts historyImportOptions, report string) error {
	asOf, err := parseAsOf(opts.asOf)
	if err != nil {
		return err
	}
	rep, err := history.ReadReport(report)
	if err != nil {
		return err
	}
	s, err := history.Open(ctx, hopts.path)
	if err != nil {
		return err
	}
	lc, err := s.Import(ctx, asOf, rep, opts.issuers)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	var parts []string
	open := int64(0)
	for _, st := range history.Statuses {
		if st.Open() {
			open += lc.Counts[st]
		}
		parts = append(parts, fmt.Sprintf("%s %d", st, lc.Counts[st]))
	}
	prev := "no earlier run"
	if lc.Previous != nil {
		prev = "against " + lc.Previous.AsOf.Format(time.DateOnly)
	}
	_, err = fmt.Fprintf(e.stdout, "imported %s as of %s: %d findings (%s; %s)\n", filepath.Base(report), opts.asOf, open, strings.Join(parts, ", "), prev)
	return err
}
