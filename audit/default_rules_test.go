package audit

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/enrollaudit/enrollaudit/reports"
	"github.com/enrollaudit/enrollaudit/rules"
)

// ruleRow is one canonical row of the default rules' test data.
type ruleRow map[string]string

var ruleColumns = []string{"coverage_year", "issuer_hios_id", "exchange_policy_id", "exchange_subscriber_id", "exchange_member_id",
	"subscriber_indicator", "relationship_code", "first_name", "last_name", "birth_date", "gender", "ssn", "state", "zip",
	"rating_area", "qhp_id", "benefit_start", "benefit_end", "aptc_amount", "csr_amount", "total_premium", "member_premium",
	"effectuation_status", "paid_through_date"}

// cleanRows: two policies, three members, the same on both sides.
func cleanRows() []ruleRow {
	row := func(pol, sub, mem, ind, rel, first, ssn string) ruleRow {
		return ruleRow{"coverage_year": "2026", "issuer_hios_id": "12345", "exchange_policy_id": pol, "exchange_subscriber_id": sub,
			"exchange_member_id": mem, "subscriber_indicator": ind, "relationship_code": rel, "first_name": first, "last_name": "Doe",
			"birth_date": "1980-05-05", "gender": "M", "ssn": ssn, "state": "VA", "zip": "22030", "rating_area": "R-VA001",
			"qhp_id": "12345VA001000101", "benefit_start": "2026-01-01", "benefit_end": "2026-12-31", "aptc_amount": "100.00",
			"csr_amount": "10.00", "total_premium": "500.00", "member_premium": "250.00", "effectuation_status": "effectuated",
			"paid_through_date": "2026-03-31"}
	}
	return []ruleRow{
		row("P1", "M1", "M1", "Y", "18", "Bob", "123456781"),
		row("P1", "M1", "M2", "N", "01", "Ann", "123456782"),
		row("P2", "M3", "M3", "Y", "18", "Cy", "123456783"),
	}
}

// ruleCase changes the clean data so that one rule fires.
type ruleCase struct {
	rule       string
	m, i       func([]ruleRow) []ruleRow // nil: the clean rows
	bothChange func([]ruleRow) []ruleRow // applied to both sides
}

func set(member, field, value string) func([]ruleRow) []ruleRow {
	return func(rows []ruleRow) []ruleRow {
		for _, r := range rows {
			if r["exchange_member_id"] == member {
				r[field] = value
			}
		}
		return rows
	}
}

func drop(field, value string) func([]ruleRow) []ruleRow {
	return func(rows []ruleRow) []ruleRow {
		return slices.DeleteFunc(rows, func(r ruleRow) bool { return r[field] == value })
	}
}

// split gives M2 a second segment: January to June, then July on.
func split(rows []ruleRow) []ruleRow {
	for _, r := range rows {
		if r["exchange_member_id"] == "M2" {
			r["benefit_end"] = "2026-06-30"
			second := maps.Clone(r)
			second["benefit_start"], second["benefit_end"] = "2026-07-01", "2026-12-31"
			return append(rows, second)
		}
	}
	return rows
}

func appendRow(change func(ruleRow)) func([]ruleRow) []ruleRow {
	return func(rows []ruleRow) []ruleRow {
		r := maps.Clone(rows[len(rows)-1])
		change(r)
		return append(rows, r)
	}
}

var defaultRuleCases = []ruleCase{
	{rule: "plan-csr-variant-mismatch", i: set("M1", "qhp_id", "12345VA001000102")},
	{rule: "plan-mismatch", i: set("M1", "qhp_id", "12345VA001000201")},
	{rule: "aptc-mismatch", i: set("M1", "aptc_amount", "90.00")},
	{rule: "csr-amount-mismatch", i: set("M1", "csr_amount", "5.00")},
	{rule: "total-premium-mismatch", i: set("M1", "total_premium", "400.00")},
	{rule: "member-premium-mismatch", i: set("M2", "member_premium", "200.00")},
	{rule: "coverage-dates-mismatch", i: set("M2", "benefit_end", "2026-06-30")},
	{rule: "segment-missing-at-insurer", m: split, i: set("M2", "benefit_end", "2026-06-30")},
	{rule: "segment-unknown-to-marketplace", i: split, m: set("M2", "benefit_end", "2026-06-30")},
	{rule: "name-mismatch", i: set("M1", "first_name", "Robert")},
	{rule: "birth-date-mismatch", i: set("M1", "birth_date", "1981-05-05")},
	{rule: "gender-mismatch", i: set("M1", "gender", "F")},
	{rule: "ssn-mismatch", i: set("M1", "ssn", "987654321")},
	{rule: "policy-missing-at-insurer", i: drop("exchange_policy_id", "P2")},
	{rule: "member-missing-at-insurer", i: drop("exchange_member_id", "M2")},
	{rule: "policy-unknown-to-marketplace", m: drop("exchange_policy_id", "P2")},
	{rule: "member-unknown-to-marketplace", m: drop("exchange_member_id", "M2")},
	{rule: "status-cancelled-but-effectuated", m: set("M2", "effectuation_status", "cancelled")},
	{rule: "status-mismatch", m: set("M2", "effectuation_status", "pending")},
	{rule: "duplicate-member-row", m: appendRow(func(r ruleRow) {})},
	{rule: "member-in-overlapping-policies", bothChange: appendRow(func(r ruleRow) { r["exchange_policy_id"] = "P3" })},
	{rule: "plan-id-malformed", bothChange: set("M1", "qhp_id", "12345VA00100010")},
	{rule: "plan-issuer-mismatch", bothChange: set("M3", "issuer_hios_id", "54321")},
	{rule: "benefit-end-before-start", bothChange: set("M2", "benefit_end", "2025-12-31")},
	{rule: "benefit-start-missing", bothChange: set("M2", "benefit_start", "")},
	{rule: "coverage-before-birth", bothChange: set("M2", "birth_date", "2026-06-01")},
	{rule: "premium-negative", bothChange: set("M2", "member_premium", "-5.00")},
	{rule: "aptc-above-premium", bothChange: set("M1", "aptc_amount", "600.00")},
	{rule: "aptc-negative", bothChange: set("M1", "aptc_amount", "-1.00")},
}

// auditRows audits the two sides' rows with the default rules and counts
// the findings of each rule.
func auditRows(t *testing.T, m, i []ruleRow) map[string]int {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, rows []ruleRow) string {
		var b strings.Builder
		b.WriteString(strings.Join(ruleColumns, ",") + "\n")
		for _, r := range rows {
			vals := make([]string, len(ruleColumns))
			for k, c := range ruleColumns {
				vals[k] = r[c]
			}
			b.WriteString(strings.Join(vals, ",") + "\n")
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ctx := context.Background()
	e, err := Open(ctx, Options{Marketplace: []string{write("m.csv", m)}, Insurer: []string{write("i.csv", i)}, OutDir: filepath.Join(dir, "out")})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, step := range []func(context.Context) error{e.Load, e.Match, e.Evaluate} {
		if err := step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(e.Report().Rules.Skipped) > 0 {
		t.Fatalf("rules skipped: %+v", e.Report().Rules.Skipped)
	}
	got := map[string]int{}
	if err := e.Report().Findings.Each(ctx, "", func(f *reports.Finding) error {
		got[f.Rule]++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestEveryDefaultRule: each default rule fires on data made to break it,
// and none fires on the clean data.
func TestEveryDefaultRule(t *testing.T) {
	pack, err := rules.Load(rules.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range pack.Rules {
		if !slices.ContainsFunc(defaultRuleCases, func(c ruleCase) bool { return c.rule == r.ID }) {
			t.Errorf("default rule %s has no case", r.ID)
		}
	}
	if got := auditRows(t, cleanRows(), cleanRows()); len(got) > 0 {
		t.Errorf("rules fire on the clean data: %v", got)
	}
	for _, tc := range defaultRuleCases {
		t.Run(tc.rule, func(t *testing.T) {
			m, i := cleanRows(), cleanRows()
			if tc.bothChange != nil {
				m, i = tc.bothChange(m), tc.bothChange(i)
			}
			if tc.m != nil {
				m = tc.m(m)
			}
			if tc.i != nil {
				i = tc.i(i)
			}
			if got := auditRows(t, m, i); got[tc.rule] == 0 {
				t.Errorf("%s does not fire; findings: %v", tc.rule, got)
			}
		})
	}
}
