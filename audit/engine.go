package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/enrollaudit/enrollaudit/audit/load"
	"github.com/enrollaudit/enrollaudit/audit/relations"
	"github.com/enrollaudit/enrollaudit/fileerr"
	"github.com/enrollaudit/enrollaudit/reports"
	"github.com/enrollaudit/enrollaudit/rules"
)

// Engine is one audit in its working database. Its steps run in order:
// Open (configuration, schema, rules compiled), Load (the inputs), Match
// (pair the sides), Evaluate (rules, summary), then Report gives the result,
// whose findings are read live from the database until Close. The engine
// computes; it never writes report files: the command publishes them
// through reports writers.
type Engine struct {
	opts     Options
	d        *duck
	set      *rules.Set
	sources  []load.Source
	rep      *reports.Report
	rejected int64
	scope    []string        // issuers audited (decideScope)
	filter   relations.Scope // the rows views' filter that gives that scope
}

// Open checks the options and the configuration (rules, mappings, input
// paths: every problem reported together, before any data is read), starts
// DuckDB and compiles the rules against the empty schema.
func Open(ctx context.Context, opts Options) (*Engine, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Progress == nil {
		opts.Progress = NoProgress{}
	}
	started := opts.Now()
	var cfgErrs fileerr.List
	set, err := rules.Load(rules.LoadOptions{Paths: opts.Rules, Disable: opts.DisableRules, NoDefaults: opts.NoDefaultRules})
	cfgErrs.Collect("", err)
	sources, err := opts.sources()
	cfgErrs.Collect("", err)

	_, rows := inputSize(sources)
	d, err := openDB(ctx, opts, rows)
	if err != nil {
		return nil, err
	}
	e := &Engine{opts: opts, d: d, set: set, sources: sources}
	if err := relations.Create(ctx, d.conn); err != nil {
		e.Close()
		return nil, err
	}
	if set != nil {
		cfgErrs.Collect("", rules.CheckForRun(ctx, d.conn, set, e.sqlOptions(), relations.Schema))
	}
	if err := cfgErrs.Err(); err != nil {
		e.Close()
		return nil, err
	}
	e.rep = &reports.Report{
		SchemaVersion: reports.SchemaVersion,
		Tool:          reports.Tool{Name: "enrollaudit", Version: opts.Version},
		Options:       reports.Options{RevealPII: opts.RevealPII, AggregateOnly: opts.AggregateOnly},
		Rules:         reports.Rules{ContentHash: set.Hash, Disabled: set.Disabled, Active: []reports.RuleInfo{}},
		GeneratedAt:   started.UTC().Truncate(time.Second),
		Warnings:      []string{},
	}
	if len(set.Rules) == 0 {
		e.rep.Warnings = append(e.rep.Warnings, "no rules are active (--no-default-rules without --rules, or every rule disabled): nothing is compared, and the report can show no discrepancy")
	}
	for _, r := range set.Rules {
		e.rep.Rules.Active = append(e.rep.Rules.Active, reports.RuleInfo{ID: r.ID, Title: r.Title, Category: r.Category,
			Severity: r.Severity, Grain: string(r.Grain), Fields: r.Fields, Source: r.Source,
			Description: r.Description, AppliesTo: string(r.AppliesTo), When: r.When, Amount: r.Amount, Params: ruleParams(r)})
	}
	return e, nil
}

// ruleParams gives a rule's parameters as text, for the workbook's Rules
// sheet.
func ruleParams(r *rules.Rule) map[string]string {
	if len(r.Params) == 0 {
		return nil
	}
	out := make(map[string]string, len(r.Params))
	for k, v := range r.Params {
		out[k] = fmt.Sprint(v)
	}
	return out
}

func (e *Engine) sqlOptions() rules.SQLOptions { return rules.SQLOptions{RevealPII: e.opts.RevealPII} }

// Close removes the working database; the report's findings cannot be read
// after it.
func (e *Engine) Close() { e.d.close() }

// Load reads every input into the canonical tables. More rejected rows than
// Options.MaxRejects is a *RejectsError; Rejects still lists them.
func (e *Engine) Load(ctx context.Context) error {
	loadingStage(e.sources, e.opts.Progress)
	for _, src := range e.sources {
		in, warnings, err := loadSource(ctx, e.d.conn, src, e.opts.Progress)
		if err != nil {
			return err
		}
		e.rep.Inputs = append(e.rep.Inputs, in)
		e.rep.Warnings = append(e.rep.Warnings, warnings...)
		e.rejected += in.RowsRejected
		if src.Side == "marketplace" {
			e.rep.Summary.MarketplaceRows += in.RowsLoaded
			e.rep.Summary.MarketplaceRejected += in.RowsRejected
		} else {
			e.rep.Summary.InsurerRows += in.RowsLoaded
			e.rep.Summary.InsurerRejected += in.RowsRejected
		}
	}
	e.rep.Warnings = append(e.rep.Warnings, inputWarnings(e.rep.Inputs)...)
	if e.rejected > e.opts.MaxRejects {
		return &RejectsError{Rejected: e.rejected, Max: e.opts.MaxRejects}
	}
	return nil
}

// Match locks DuckDB down (from here on it may not touch the file system or
// network, and rules cannot change that) and pairs the two sides.
func (e *Engine) Match(ctx context.Context) error {
	conn := e.d.conn
	if err := lockDown(ctx, conn); err != nil {
		return err
	}
	filter, err := e.decideScope(ctx)
	if err != nil {
		return err
	}
	e.filter = filter
	if err := relations.RefreshScopedRows(ctx, conn, filter); err != nil {
		return err
	}
	e.opts.Progress.Stage("matching", 0)
	if err := relations.Match(ctx, conn, e.opts.matching()); err != nil {
		return err
	}
	crowded, err := relations.CrowdedMembers(ctx, conn)
	if err != nil {
		return err
	}
	e.rep.Warnings = append(e.rep.Warnings, crowded...)
	unmatched, err := relations.NothingMatched(ctx, conn)
	if err != nil {
		return err
	}
	e.rep.Warnings = append(e.rep.Warnings, unmatched...)
	return nil
}

// inputWarnings flags inputs that make an audit say nothing true: a file
// given twice on one side (every record would be its own duplicate) and a
// file with no data rows (every record of the other side would be missing).
func inputWarnings(inputs []reports.Input) []string {
	var out []string
	first := map[[2]string]string{}
	for _, in := range inputs {
		key := [2]string{in.Side, in.SHA256}
		if prev, ok := first[key]; ok && in.SHA256 != "" {
			out = append(out, fmt.Sprintf("%s data: %s has the same content (SHA-256) as %s: the same file given twice makes every record a duplicate", in.Side, in.Path, prev))
		} else {
			first[key] = in.Path
		}
		if in.RowsLoaded+in.RowsRejected == 0 {
			out = append(out, fmt.Sprintf("%s data: %s has no data rows (a header only?): every record of the other side will be reported missing or unknown", in.Side, in.Path))
		}
	}
	return out
}

// Evaluate runs the rules into the findings table and computes the summary.
func (e *Engine) Evaluate(ctx context.Context) error {
	conn := e.d.conn
	e.opts.Progress.Stage("rules", int64(len(e.set.Rules)))
	provided, err := relations.ProvidedFields(ctx, conn)
	if err != nil {
		return err
	}
	skipped, err := evaluateRules(ctx, conn, e.set, e.sqlOptions(), e.opts.matching(), provided, e.opts.Progress)
	if err != nil {
		return err
	}
	e.rep.Rules.Skipped = skipped
	for _, s := range skipped {
		e.rep.Warnings = append(e.rep.Warnings, "rule "+s.ID+" skipped: "+s.Reason)
	}
	if err := summarise(ctx, conn, &e.rep.Summary); err != nil {
		return err
	}
	if err := e.integrity(ctx); err != nil {
		return err
	}
	e.rep.Findings = e.Findings("")
	return nil
}

// Report is the audit's result so far; after Evaluate its Findings are read
// from the database, as often as a writer wants, until Close.
func (e *Engine) Report() *reports.Report { return e.rep }

// Findings returns the findings of one issuer (HIOS ID; "" for all), read
// live in the report's order. Report writers read through the pool, one
// connection each, as they run concurrently.
func (e *Engine) Findings(issuer string) reports.FindingSource {
	return &findingStream{db: e.d.db, rules: e.set, issuer: issuer}
}

// Rejects returns the rows that could not be loaded, in file and line order.
func (e *Engine) Rejects() reports.RejectSource { return &rejectStream{db: e.d.db} }
