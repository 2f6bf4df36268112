package audit

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/enrollaudit/enrollaudit/audit/canonical"
	"github.com/enrollaudit/enrollaudit/reports"
	"github.com/enrollaudit/enrollaudit/rules"
)

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const findingsTable = "findings"

// providedFields returns, per side, the canonical fields that hold at least
// one value. A rule reading a field one side never provides would report
// every record, which says nothing about the enrollments.
func providedFields(ctx context.Context, db execer) (map[string]map[string]bool, error) {
	out := map[string]map[string]bool{}
	for side, rel := range sideRelation {
		var counts []string
		for _, f := range canonical.Fields {
			// Stops at the first value: a full count would read every column.
			counts = append(counts, "EXISTS (SELECT 1 FROM "+rel+" WHERE "+f.Name+" IS NOT NULL LIMIT 1)")
		}
		row := db.QueryRowContext(ctx, "SELECT "+strings.Join(counts, ", "))
		vals := make([]bool, len(canonical.Fields))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := row.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("inspect %s: %w", side, err)
		}
		out[side] = map[string]bool{}
		for i, f := range canonical.Fields {
			out[side][f.Name] = vals[i]
		}
	}
	return out, nil
}

// evaluateRules runs every rule into the findings table, skipping (and
// saying why) rules or sides whose fields the inputs do not provide.
func evaluateRules(ctx context.Context, db execer, set *rules.Set, opts rules.SQLOptions, provided map[string]map[string]bool, p Progress) ([]reports.SkippedRule, error) {
	if _, err := db.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE findings_raw (rule VARCHAR, category VARCHAR, severity VARCHAR,
		issuer_hios_id VARCHAR, exchange_policy_id VARCHAR, exchange_member_id VARCHAR, segment BIGINT, side VARCHAR,
		marketplace MAP(VARCHAR, VARCHAR), insurer MAP(VARCHAR, VARCHAR), amount DECIMAL(18,2), message VARCHAR,
		m_file VARCHAR, m_line BIGINT, i_file VARCHAR, i_line BIGINT)`); err != nil {
		return nil, fmt.Errorf("create findings: %w", err)
	}
	var skipped []reports.SkippedRule
	batches := map[string][]rules.Item{}
	var relations []string
	add := func(it rules.Item) {
		rel := it.Relation()
		if _, ok := batches[rel]; !ok {
			relations = append(relations, rel)
		}
		batches[rel] = append(batches[rel], it)
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
			add(rules.Item{Rule: r})
		case r.AppliesTo.Paired():
			mm, im := missing("m", "marketplace"), missing("i", "insurer")
			if len(mm) > 0 {
				reasons = append(reasons, "the marketplace data has no "+strings.Join(mm, ", "))
			}
			if len(im) > 0 {
				reasons = append(reasons, "the insurer data has no "+strings.Join(im, ", "))
			}
			if len(reasons) == 0 {
				add(rules.Item{Rule: r})
			}
		default:
			for _, side := range r.AppliesTo.Sides() {
				if ms := missing("r", side); len(ms) > 0 {
					reasons = append(reasons, "the "+side+" data has no "+strings.Join(ms, ", "))
					continue
				}
				add(rules.Item{Rule: r, Side: side})
			}
		}
		if len(reasons) > 0 {
			skipped = append(skipped, reports.SkippedRule{ID: r.ID, Reason: strings.Join(reasons, "; ")})
		}
	}
	// One scan per relation evaluates all its rules.
	for _, rel := range relations {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		items := batches[rel]
		stmts, err := batchStatements(opts, rel, items)
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
	var order []string
	for i, c := range reports.Categories {
		order = append(order, fmt.Sprintf("WHEN '%s' THEN %d", c, i))
	}
	q := `CREATE OR REPLACE TABLE ` + findingsTable + ` AS
		SELECT left(sha256(concat_ws('|', rule, coalesce(side, ''), coalesce(exchange_policy_id, ''), coalesce(exchange_member_id, ''), CAST(segment AS VARCHAR))), 16) AS id,
		  CASE category ` + strings.Join(order, " ") + ` END AS category_order, *
		FROM findings_raw`
	if _, err := db.ExecContext(ctx, q); err != nil {
		return nil, fmt.Errorf("collect findings: %w", err)
	}
	if err := emitFieldProblems(ctx, db, opts.RevealPII); err != nil {
		return nil, err
	}
	return skipped, nil
}

// batchStatements evaluates the items of one relation: the rows views in
// one scan, the pair relations in two passes (pairScan).
func batchStatements(opts rules.SQLOptions, rel string, items []rules.Item) ([]string, error) {
	if rel != rules.MemberPairs && rel != rules.PolicyPairs {
		q, err := rules.BatchQuery(opts, items, "findings_raw", "SELECT * FROM "+rel)
		return []string{q}, err
	}
	conds, all, err := rules.Reads(opts, items)
	if err != nil {
		return nil, err
	}
	return rules.BatchQueries(opts, items, "findings_raw", pairScan(rel, conds, all))
}

// blameRule finds which rule of a failed batch fails on its own, so the
// error names the rule and its file rather than a generated query.
func blameRule(ctx context.Context, db execer, opts rules.SQLOptions, items []rules.Item, batchErr error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	for _, it := range items {
		q, err := it.Rule.Query(opts, []string{it.Side}) // a paired rule has no sides
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
			return fmt.Errorf("evaluate rule %s (%s:%d): %w", it.Rule.ID, it.Rule.Source, it.Rule.Line, err)
		}
	}
	return fmt.Errorf("evaluate rules: %w", batchErr)
}
