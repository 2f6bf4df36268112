package audit

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

	"github.com/enrollaudit/enrollaudit/audit/relations"
	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/internal/dbexec"
	"github.com/enrollaudit/enrollaudit/internal/sqltmpl"
	"github.com/enrollaudit/enrollaudit/reports"
)

//go:embed summary.sql
var summarySQLFile embed.FS

// summarySQL are the summary's statements (summary.sql).
var summarySQL = sqltmpl.Must(summarySQLFile, "summary.sql")

// summarise computes the report's aggregate figures.
func summarise(ctx context.Context, db dbexec.DB, s *reports.Summary) error {
	return summariseFindings(ctx, db, s, "findings", "true")
}

// summariseFindings computes the aggregate figures of the findings in the
// relation findings, and the matching figures of the policies and members
// that scope (a predicate on issuer_hios_id) selects.
func summariseFindings(ctx context.Context, db dbexec.DB, s *reports.Summary, findings, scope string) error {
	// member_keys holds numbers only; the pairs view has each pair's issuer.
	matchedMembers := "SELECT count(*) FROM member_keys WHERE mrow IS NOT NULL AND irow IS NOT NULL"
	if scope != "true" {
		matchedMembers = "SELECT count(*) FROM " + relations.MemberPairs.Name + " WHERE in_marketplace AND in_insurer AND " + scope
	}
	of := map[string]string{"Findings": findings}
	if _, err := db.ExecContext(ctx, summarySQL.Render("touched", of)); err != nil {
		return fmt.Errorf("summarise: %w", err)
	}
	scalar := func(q string, dst any) error {
		if err := db.QueryRowContext(ctx, q).Scan(dst); err != nil {
			return fmt.Errorf("summarise: %w", err)
		}
		return nil
	}
	for q, dst := range map[string]*int64{
		matchedMembers: &s.MatchedMembers,
		"SELECT count(*) FROM policy_keys WHERE mrow IS NOT NULL AND irow IS NOT NULL AND " + scope:                         &s.MatchedPolicies,
		"SELECT count(mrow) FROM policy_keys WHERE " + scope:                                                                &s.MarketplacePolicies,
		"SELECT count(irow) FROM policy_keys WHERE " + scope:                                                                &s.InsurerPolicies,
		"SELECT count(*) FROM " + findings:                                                                                  &s.Findings,
		"SELECT count(DISTINCT exchange_policy_id) FROM " + findings:                                                        &s.PoliciesAffected,
		"SELECT count(DISTINCT exchange_member_id) FROM touched":                                                            &s.PeopleAffected,
		"SELECT CAST(coalesce(sum(abs(amount)), 0) * 100 AS BIGINT) FROM " + findings + " WHERE category = 'wrong_subsidy'": (*int64)(&s.MonthlySubsidyDifference),
		"SELECT CAST(coalesce(sum(abs(amount)), 0) * 100 AS BIGINT) FROM " + findings + " WHERE category = 'wrong_premium'": (*int64)(&s.MonthlyPremiumDifference),
	} {
		if err := scalar(q, dst); err != nil {
			return err
		}
	}

	s.ByCategory = map[string]int64{}
	s.BySeverity = map[string]int64{}
	byCat := map[string]*reports.CategorySummary{}
	for _, c := range canonical.Categories {
		s.ByCategory[c] = 0
		cs := &reports.CategorySummary{Category: c, BySeverity: map[string]int64{}}
		for _, sev := range canonical.Severities {
			cs.BySeverity[sev] = 0
		}
		byCat[c] = cs
	}
	for _, sev := range canonical.Severities {
		s.BySeverity[sev] = 0
	}
	err := eachRow(ctx, db, `SELECT category, severity, count(*) FROM `+findings+` GROUP BY ALL`, func(r *sql.Rows) error {
		var cat, sev string
		var n int64
		if err := r.Scan(&cat, &sev, &n); err != nil {
			return err
		}
		s.ByCategory[cat] += n
		s.BySeverity[sev] += n
		byCat[cat].Findings += n
		byCat[cat].BySeverity[sev] += n
		return nil
	})
	if err != nil {
		return err
	}
	err = eachRow(ctx, db, summarySQL.Render("categories", of),
		func(r *sql.Rows) error {
			var cat string
			var pol, ppl, abs, net int64
			if err := r.Scan(&cat, &pol, &ppl, &abs, &net); err != nil {
				return err
			}
			cs := byCat[cat]
			cs.Policies, cs.People, cs.MonthlyAmount, cs.MonthlyAmountNet = pol, ppl, reports.Money(abs), reports.Money(net)
			return nil
		})
	if err != nil {
		return err
	}
	for _, c := range canonical.Categories {
		s.Categories = append(s.Categories, *byCat[c])
	}

	issuers := map[string]*reports.IssuerSummary{}
	var order []string
	err = eachRow(ctx, db, summarySQL.Render("issuers", of),
		func(r *sql.Rows) error {
			is := &reports.IssuerSummary{ByCategory: map[string]int64{}}
			var cents int64
			if err := r.Scan(&is.IssuerHIOSID, &is.Findings, &is.Policies, &is.People, &cents); err != nil {
				return err
			}
			is.MonthlyAmount = reports.Money(cents)
			for _, c := range canonical.Categories {
				is.ByCategory[c] = 0
			}
			issuers[is.IssuerHIOSID] = is
			order = append(order, is.IssuerHIOSID)
			return nil
		})
	if err != nil {
		return err
	}
	err = eachRow(ctx, db, `SELECT coalesce(issuer_hios_id, ''), category, count(*) FROM `+findings+` GROUP BY ALL`, func(r *sql.Rows) error {
		var iss, cat string
		var n int64
		if err := r.Scan(&iss, &cat, &n); err != nil {
			return err
		}
		issuers[iss].ByCategory[cat] = n
		return nil
	})
	if err != nil {
		return err
	}
	for _, iss := range order {
		s.Issuers = append(s.Issuers, *issuers[iss])
	}
	return nil
}

func eachRow(ctx context.Context, db dbexec.DB, q string, fn func(*sql.Rows) error) error {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("summarise: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return fmt.Errorf("summarise: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("summarise: %w", err)
	}
	return nil
}
