package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/enrollaudit/enrollaudit/rules"
)

// TestRulesCannotEscape: a rule is one SQL expression over the audit's data;
// anything that reaches files, other databases or the configuration is
// refused when the rule is compiled, before any data is read.
func TestRulesCannotEscape(t *testing.T) {
	tests := []struct{ when, want string }{
		{"true; DROP TABLE findings", "';' is not allowed"},
		{"(SELECT count(*) FROM read_csv('/etc/passwd')) > 0", "subqueries are not allowed"},
		{"EXISTS (SELECT 1 FROM read_text('/etc/passwd'))", "subqueries are not allowed"},
		{"m.qhp_id IN (SELECT qhp_id FROM marketplace_rows)", "subqueries are not allowed"},
		{"getenv('HOME') IS NOT NULL", "function getenv is not allowed"},
		{"current_setting('memory_limit') = '1GB'", "function current_setting is not allowed"},
		{"true) UNION SELECT * FROM read_csv('/etc/passwd') WHERE (true", "must be a single SQL expression"},
		{"ATTACH 'x.db'", "ATTACH does not exist"},
		{"COPY findings TO '/tmp/x.csv'", "syntax error"},
		{"INSTALL httpfs", "syntax error"},
		{"m.no_such_field = 1", `Could not find key "no_such_field"`},
	}
	for _, tt := range tests {
		t.Run(tt.when, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "hostile.yaml")
			content := "version: 1\nrules:\n  - id: hostile\n    title: hostile\n    category: wrong_plan\n    severity: high\n" +
				"    grain: policy\n    applies_to: matched\n    when: " + yamlQuote(tt.when) + "\n    message: x\n"
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := CheckRules(context.Background(), rules.LoadOptions{Paths: []string{p}, NoDefaults: true})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), p+":9: rule hostile: when:") {
				t.Errorf("error does not point at the rule's when line: %v", err)
			}
		})
	}
}

func yamlQuote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

func TestDefaultRulesCompile(t *testing.T) {
	if _, err := CheckRules(context.Background(), rules.LoadOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestRuleErrorsPointAtTheirKey: a bad column in the condition is reported
// at the when: line, one in the message template at the message: line.
func TestRuleErrorsPointAtTheirKey(t *testing.T) {
	rule := "version: 1\nrules:\n  - id: big\n    title: t\n    category: wrong_subsidy\n    severity: low\n    grain: policy\n" +
		"    applies_to: each_file\n    when: %s\n    message: \"%s\"\n"
	for _, tt := range []struct{ when, message, want string }{
		{"r.aptc > 1", "{r.aptc_amount}", ":9: rule big: when: "},
		{"r.aptc_amount > 1", "{r.aptc_amt}", ":10: rule big: message: "},
	} {
		p := filepath.Join(t.TempDir(), "r.yaml")
		if err := os.WriteFile(p, []byte(fmt.Sprintf(rule, tt.when, tt.message)), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := CheckRules(context.Background(), rules.LoadOptions{Paths: []string{p}, NoDefaults: true})
		if err == nil || !strings.Contains(err.Error(), p+tt.want) {
			t.Errorf("when %q, message %q: error %v, want %q", tt.when, tt.message, err, tt.want)
		}
	}
}

// TestClosedSetsCompareAsText: Y/N, M/F/U and the statuses are stored as
// enums; rules still compare them with text, use text functions on them,
// and a value outside the set is unequal, not an error.
func TestClosedSetsCompareAsText(t *testing.T) {
	dir := t.TempDir()
	rule := func(id, category, when string) string {
		return "  - id: " + id + "\n    title: t\n    category: " + category + "\n    severity: low\n    grain: member\n" +
			"    applies_to: each_file\n    when: " + yamlQuote(when) + "\n    message: x\n"
	}
	content := "version: 1\nrules:\n" +
		rule("as-text", "wrong_demographics", "lower(r.gender) = 'm' AND r.effectuation_status LIKE 'effect%' AND r.subscriber_indicator || '' IN ('Y', 'N')") +
		rule("as-enum", "invalid_record", "r.gender = 'M' AND r.effectuation_status = 'effectuated' AND r.subscriber_indicator IS NOT NULL") +
		rule("outside", "wrong_status", "r.gender = 'X' OR r.effectuation_status = 'bogus' OR r.subscriber_indicator = 'maybe'")
	p := filepath.Join(dir, "closed.yaml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := fixtureOptions(filepath.Join(dir, "out"))
	opts.Rules, opts.NoDefaultRules, opts.Formats = []string{p}, true, []string{"json"}
	res, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	by := res.Report.Summary.ByCategory
	if by["wrong_demographics"] == 0 || by["wrong_demographics"] != by["invalid_record"] || by["wrong_status"] != 0 {
		t.Errorf("as text %d, as enum %d, outside the set %d: want the first two equal and not 0, the last 0",
			by["wrong_demographics"], by["invalid_record"], by["wrong_status"])
	}
}
