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
			counts = append(counts, "count("+f.Name+") > 0")
		}
		row := db.QueryRowContext(ctx, "SELECT "+strings.Join(counts, ", ")+" FROM "+rel)
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
	for _, r := range set.Rules {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p.Add(1)
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
		var sides []string
		var reasons []string
		if r.AppliesTo.Paired() {
			mm, im := missing("m", "marketplace"), missing("i", "insurer")
			if len(mm) > 0 {
				reasons = append(reasons, "the marketplace data has no "+strings.Join(mm, ", "))
			}
			if len(im) > 0 {
				reasons = append(reasons, "the insurer data has no "+strings.Join(im, ", "))
			}
		} else {
			for _, side := range r.AppliesTo.Sides() {
				if ms := missing("r", side); len(ms) > 0 {
					reasons = append(reasons, "the "+side+" data has no "+strings.Join(ms, ", "))
					continue
				}
				sides = append(sides, side)
			}
		}
		if len(reasons) > 0 {
			skipped = append(skipped, reports.SkippedRule{ID: r.ID, Reason: strings.Join(reasons, "; ")})
			if r.AppliesTo.Paired() || len(sides) == 0 {
				continue
			}
		}
		q, err := r.Query(opts, sides)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.ID, err)
		}
		if _, err := db.ExecContext(ctx, "INSERT INTO findings_raw "+q); err != nil {
			return nil, fmt.Errorf("evaluate rule %s (%s:%d): %w", r.ID, r.Source, r.Line, err)
		}
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
	return skipped, nil
}
