package audit

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/enrollaudit/enrollaudit/audit/relations"
	"github.com/enrollaudit/enrollaudit/internal/dbexec"
	"github.com/enrollaudit/enrollaudit/reports"
	"github.com/enrollaudit/enrollaudit/rules"
)

// evaluateRules runs every rule into the findings table, skipping (and
// saying why) rules or sides whose fields the inputs do not provide.
func evaluateRules(ctx context.Context, db dbexec.DB, set *rules.Set, opts rules.SQLOptions, matching relations.Matching, provided map[string]map[string]bool, p Progress) ([]reports.SkippedRule, error) {
	if err := relations.CreateFindings(ctx, db); err != nil {
		return nil, err
	}
	var skipped []reports.SkippedRule
	batches := map[rules.Relation][]rules.Item{}
	var order []rules.Relation
	add := func(it rules.Item) {
		if _, ok := batches[it.Rel]; !ok {
			order = append(order, it.Rel)
		}
		batches[it.Rel] = append(batches[it.Rel], it)
	}
	for _, r := range set.Rules {
		need := r.Needs()
		missing := func(alias, side string) []string {
			var out []string
			for _, f := range need[alias] {
				if !provided[side][f] {
					out = append(out, f)
				}
			}
			return out
		}
		var reasons []string
		switch {
		case r.AppliesTo == rules.ScopeMarketplaceOnly || r.AppliesTo == rules.ScopeInsurerOnly:
			// Presence rules always run: a record one side lacks is a finding
			// whatever fields the files carry, and the rule reads absent
			// fields as NULL.
			add(r.Items(relations.Schema, nil)[0])
		case r.AppliesTo.Paired():
			mm, im := missing("m", "marketplace"), missing("i", "insurer")
			if len(mm) > 0 {
				reasons = append(reasons, "the marketplace data has no "+strings.Join(mm, ", "))
			}
			if len(im) > 0 {
				reasons = append(reasons, "the insurer data has no "+strings.Join(im, ", "))
			}
			if len(reasons) == 0 {
				add(r.Items(relations.Schema, nil)[0])
			}
		default:
			for _, it := range r.Items(relations.Schema, nil) {
				if ms := missing("r", it.Side); len(ms) > 0 {
					reasons = append(reasons, "the "+it.Side+" data has no "+strings.Join(ms, ", "))
					continue
				}
				add(it)
			}
		}
		if len(reasons) > 0 {
			skipped = append(skipped, reports.SkippedRule{ID: r.ID, Reason: strings.Join(reasons, "; ")})
		}
	}
	// One scan per relation evaluates all its rules.
	for _, rel := range order {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		items := batches[rel]
		stmts, err := relations.Statements(opts, items)
		for _, q := range stmts {
			if err != nil {
				break
			}
			_, err = db.ExecContext(ctx, q)
		}
		if err != nil {
			return nil, blameRule(ctx, db, opts, items, err)
		}
		p.Add(int64(len(items)))
	}
	if err := relations.IdentityFindings(ctx, db, matching); err != nil {
		return nil, err
	}
	if err := relations.CollectFindings(ctx, db); err != nil {
		return nil, err
	}
	if err := emitFieldProblems(ctx, db, opts.RevealPII); err != nil {
		return nil, err
	}
	return skipped, nil
}

// blameRule finds which rule of a failed batch fails on its own, so the
// error names the rule and its file rather than a generated query.
func blameRule(ctx context.Context, db dbexec.DB, opts rules.SQLOptions, items []rules.Item, batchErr error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	for _, it := range items {
		q, err := it.Rule.Query(opts, relations.Schema, []string{it.Side}) // a paired rule has no sides
		if err == nil {
			var rows *sql.Rows
			if rows, err = db.QueryContext(ctx, q); err == nil {
				for rows.Next() {
				}
				err = rows.Err()
				rows.Close()
			}
		}
		if err != nil {
			return redact(fmt.Sprintf("rule %s (%s:%d) fails on the data", it.Rule.ID, it.Rule.Source, it.Rule.Line), err)
		}
	}
	return redact("evaluate rules", batchErr)
}
