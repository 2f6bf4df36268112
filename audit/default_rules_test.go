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

// ruleCase is one default rule's pair of cases, each a change of the
// clean data: fire makes the rule fire; near comes as close as the rule's
// boundary allows (the same value written another way, a difference within
// tolerance, the neighbouring rule's case) and must not make it fire.
type ruleCase struct {
	rule       string
	fire, near change
}

// change alters the clean rows of each side (nil: leave them clean).
type change struct {
	m, i func([]ruleRow) []ruleRow
}

// both applies f to both sides.
func both(f func([]ruleRow) []ruleRow) change { return change{m: f, i: f} }

// then applies the changes in order.
func then(fs ...func([]ruleRow) []ruleRow) func([]ruleRow) []ruleRow {
	return func(rows []ruleRow) []ruleRow {
		for _, f := range fs {
			rows = f(rows)
		}
		return rows
	}
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

// moveToP3 puts M3 on a second policy P3 as well, from start to the end
// of the year, with its P2 coverage ending the day before start.
func moveToP3(start, endBefore string) func([]ruleRow) []ruleRow {
	return func(rows []ruleRow) []ruleRow {
		r := maps.Clone(rows[len(rows)-1])
		r["exchange_policy_id"], r["benefit_start"] = "P3", start
		rows[len(rows)-1]["benefit_end"] = endBefore
		return append(rows, r)
	}
}

var defaultRuleCases = []ruleCase{
	{rule: "plan-csr-variant-mismatch",
		fire: change{i: set("M1", "qhp_id", "12345VA001000102")},
		near: change{i: set("M1", "qhp_id", "12345VA001000201")}}, // another plan, not its variant
	{rule: "plan-mismatch",
		fire: change{i: set("M1", "qhp_id", "12345VA001000201")},
		near: change{i: set("M1", "qhp_id", "12345VA001000102")}}, // only the variant differs
	// Amounts: one cent beyond the tolerance (0.00) fires; the same amount
	// written another way does not.
	{rule: "aptc-mismatch", fire: change{i: set("M1", "aptc_amount", "100.01")}, near: change{i: set("M1", "aptc_amount", "100")}},
	{rule: "csr-amount-mismatch", fire: change{i: set("M1", "csr_amount", "10.01")}, near: change{i: set("M1", "csr_amount", "10.0")}},
	{rule: "total-premium-mismatch", fire: change{i: set("M1", "total_premium", "500.01")}, near: change{i: set("M1", "total_premium", "500")}},
	{rule: "member-premium-mismatch", fire: change{i: set("M2", "member_premium", "250.01")}, near: change{i: set("M2", "member_premium", "250.0")}},
	{rule: "coverage-dates-mismatch",
		fire: change{i: set("M2", "benefit_end", "2026-06-30")},
		near: change{i: set("M2", "benefit_end", "20261231")}}, // the same date written another way
	{rule: "segment-missing-at-insurer",
		fire: change{m: split, i: set("M2", "benefit_end", "2026-06-30")},
		// The segment the insurer lacks was cancelled.
		near: change{m: then(split, func(rows []ruleRow) []ruleRow {
			rows[len(rows)-1]["effectuation_status"] = "cancelled"
			return rows
		}), i: set("M2", "benefit_end", "2026-06-30")}},
	{rule: "segment-unknown-to-marketplace",
		fire: change{i: split, m: set("M2", "benefit_end", "2026-06-30")},
		near: both(split)}, // both sides have both segments
	{rule: "name-mismatch",
		fire: change{i: set("M1", "first_name", "Robert")},
		near: change{i: set("M1", "first_name", "BÖB")}}, // case and accents are not a different name
	{rule: "birth-date-mismatch",
		fire: change{i: set("M1", "birth_date", "1981-05-05")},
		near: change{i: set("M1", "birth_date", "05/05/1980")}},
	{rule: "gender-mismatch",
		fire: change{i: set("M1", "gender", "F")},
		near: change{i: set("M1", "gender", "male")}}, // the same gender written another way
	{rule: "ssn-mismatch",
		fire: change{i: set("M1", "ssn", "987654321")},
		near: change{i: set("M1", "ssn", "")}}, // absent on one side: common for infants
	// Presence: a record the other side lacks fires, unless it was
	// cancelled; one under a policy the other side has is the member rule.
	{rule: "policy-missing-at-insurer",
		fire: change{i: drop("exchange_policy_id", "P2")},
		near: change{m: set("M3", "effectuation_status", "cancelled"), i: drop("exchange_policy_id", "P2")}},
	{rule: "member-missing-at-insurer",
		fire: change{i: drop("exchange_member_id", "M2")},
		near: change{m: set("M2", "effectuation_status", "cancelled"), i: drop("exchange_member_id", "M2")}},
	{rule: "policy-unknown-to-marketplace",
		fire: change{m: drop("exchange_policy_id", "P2")},
		near: change{m: drop("exchange_member_id", "M2")}},
	{rule: "member-unknown-to-marketplace",
		fire: change{m: drop("exchange_member_id", "M2")},
		near: change{m: drop("exchange_policy_id", "P2")}},
	{rule: "status-cancelled-but-effectuated",
		fire: change{m: set("M2", "effectuation_status", "cancelled")},
		near: change{m: set("M2", "effectuation_status", "pending")}},
	{rule: "status-mismatch",
		fire: change{m: set("M2", "effectuation_status", "pending")},
		near: change{m: set("M2", "effectuation_status", "cancelled")}},
	{rule: "duplicate-member-row",
		fire: change{m: appendRow(func(r ruleRow) {})},
		near: both(split)}, // a second row of the member, for other months
	{rule: "member-in-overlapping-policies",
		fire: both(appendRow(func(r ruleRow) { r["exchange_policy_id"] = "P3" })),
		near: both(moveToP3("2026-07-01", "2026-06-30"))}, // one policy after the other
	{rule: "plan-id-malformed",
		fire: both(set("M1", "qhp_id", "12345VA00100010")),
		near: both(set("M1", "qhp_id", "12345VA001000106"))}, // variants go up to 06
	{rule: "plan-issuer-mismatch",
		fire: both(set("M3", "issuer_hios_id", "54321")),
		near: both(then(set("M3", "issuer_hios_id", "54321"), set("M3", "qhp_id", "54321VA001000101")))},
	{rule: "benefit-end-before-start",
		fire: both(set("M2", "benefit_end", "2025-12-31")),
		near: both(set("M2", "benefit_end", "2026-01-01"))}, // one day of coverage
	{rule: "benefit-start-missing",
		fire: both(set("M2", "benefit_start", "")),
		near: both(set("M2", "benefit_end", ""))},
	{rule: "coverage-before-birth",
		fire: both(set("M2", "birth_date", "2026-06-01")),
		near: both(set("M2", "birth_date", "2026-01-01"))}, // covered from the day of birth
	{rule: "premium-negative",
		fire: both(set("M2", "member_premium", "-0.01")),
		near: both(set("M2", "member_premium", "0.00"))},
	{rule: "aptc-above-premium",
		fire: both(set("M1", "aptc_amount", "500.01")),
		near: both(set("M1", "aptc_amount", "500.00"))},
	{rule: "aptc-negative",
		fire: both(set("M1", "aptc_amount", "-0.01")),
		near: both(set("M1", "aptc_amount", "0.00"))},
}

// nearCopy gives rows policy, subscriber and member IDs of their own (N
// before each), so a near case is audited beside its firing case.
func nearCopy(rows []ruleRow) []ruleRow {
	for _, r := range rows {
		for _, id := range []string{"exchange_policy_id", "exchange_subscriber_id", "exchange_member_id"} {
			r[id] = "N" + r[id]
		}
	}
	return rows
}

// auditRows audits the two sides' rows with the default rules and counts
// the findings of each rule, by the namespace of their policy: "" for
// plain IDs, "N" for the IDs nearCopy made.
func auditRows(t *testing.T, m, i []ruleRow) map[string]map[string]int {
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
	// Matching on keys: the near copy holds the same people, whom identity
	// matching could pair across the copies.
	e, err := Open(ctx, Options{Marketplace: []string{write("m.csv", m)}, Insurer: []string{write("i.csv", i)}, OutDir: filepath.Join(dir, "out"),
		Match: "keys"})
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
	got := map[string]map[string]int{"": {}, "N": {}}
	if err := e.Report().Findings.Each(ctx, "", func(f *reports.Finding) error {
		ns := ""
		if f.ExchangePolicyID != nil && strings.HasPrefix(*f.ExchangePolicyID, "N") {
			ns = "N"
		}
		got[ns][f.Rule]++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestEveryDefaultRule: each default rule fires on data made to break it,
// does not fire on data that comes as close to its boundary as it allows,
// and no rule fires on the clean data.
func TestEveryDefaultRule(t *testing.T) {
	pack, err := rules.Load(rules.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range pack.Rules {
		i := slices.IndexFunc(defaultRuleCases, func(c ruleCase) bool { return c.rule == r.ID })
		if i < 0 {
			t.Errorf("default rule %s has no case", r.ID)
			continue
		}
		for name, c := range map[string]change{"firing": defaultRuleCases[i].fire, "near": defaultRuleCases[i].near} {
			if c.m == nil && c.i == nil {
				t.Errorf("default rule %s has no %s case", r.ID, name)
			}
		}
	}
	if got := auditRows(t, cleanRows(), cleanRows()); len(got[""]) > 0 {
		t.Errorf("rules fire on the clean data: %v", got[""])
	}
	apply := func(f func([]ruleRow) []ruleRow) []ruleRow {
		if f == nil {
			return cleanRows()
		}
		return f(cleanRows())
	}
	for _, tc := range defaultRuleCases {
		t.Run(tc.rule, func(t *testing.T) {
			t.Parallel() // each audit waits on DuckDB more than it computes
			// One audit for both cases: the near case's rows under IDs of
			// their own.
			got := auditRows(t, append(apply(tc.fire.m), nearCopy(apply(tc.near.m))...),
				append(apply(tc.fire.i), nearCopy(apply(tc.near.i))...))
			if got[""][tc.rule] == 0 {
				t.Errorf("%s does not fire; findings: %v", tc.rule, got[""])
			}
			if got["N"][tc.rule] > 0 {
				t.Errorf("%s fires on the near case; findings: %v", tc.rule, got["N"])
			}
		})
	}
}
