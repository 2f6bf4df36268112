package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/enrollaudit/enrollaudit/canonical"
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
	res, err := runAndPublish(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	by := res.Report.Summary.ByCategory
	if by["wrong_demographics"] == 0 || by["wrong_demographics"] != by["invalid_record"] || by["wrong_status"] != 0 {
		t.Errorf("as text %d, as enum %d, outside the set %d: want the first two equal and not 0, the last 0",
			by["wrong_demographics"], by["invalid_record"], by["wrong_status"])
	}
}

// writeRule writes a one-rule file and returns its path; the rule's keys
// start at line 3 (id), when is at line 9, the extra lines follow message.
func writeRule(t *testing.T, scope, when, extra string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "r.yaml")
	content := "version: 1\nrules:\n  - id: probe\n    title: t\n    category: wrong_demographics\n    severity: low\n" +
		"    grain: member\n    applies_to: " + scope + "\n    when: " + yamlQuote(when) + "\n    message: x\n" + extra
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestUpperCaseRuleRuns: DuckDB identifiers are case-insensitive, so the
// fields a rule reads come from DuckDB's parser and a rule written in upper
// case runs (it failed at run time with a binder error) and finds what the
// lower-case rule finds.
func TestUpperCaseRuleRuns(t *testing.T) {
	count := func(when string) int64 {
		opts := fixtureOptions(t.TempDir())
		opts.Rules, opts.NoDefaultRules, opts.Formats = []string{writeRule(t, "matched", when, "")}, true, []string{"json"}
		res, err := runAndPublish(context.Background(), opts)
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		return res.Report.Summary.ByCategory["wrong_demographics"]
	}
	lower := count("m.birth_date IS DISTINCT FROM i.birth_date")
	if lower == 0 {
		t.Fatal("the fixture has no birth date mismatch")
	}
	for _, when := range []string{"M.BIRTH_DATE IS DISTINCT FROM I.BIRTH_DATE", `p.M."Birth_Date" IS DISTINCT FROM "i".birth_date`} {
		if got := count(when); got != lower {
			t.Errorf("%s: %d findings, want %d", when, got, lower)
		}
	}
}

// TestRulesCannotRevealPersonalData: fields are canonical names (checked at
// the fields: line), and an amount is a number that reads no personal field.
func TestRulesCannotRevealPersonalData(t *testing.T) {
	tests := []struct{ name, scope, extra, want string }{
		{"upper-case field", "matched", "    fields: [SSN]\n", `:11: rule probe: fields: "SSN" is not a canonical field (write ssn)`},
		{"quoted field", "matched", "    fields: ['\"ssn\"']\n", `:11: rule probe: fields: "\"ssn\"" is not a canonical field (write ssn)`},
		{"field injection", "matched", "    fields: [\"ssn AS VARCHAR), 'raw_ssn': CAST(m.ssn\"]\n", `:11: rule probe: fields: "ssn AS VARCHAR), 'raw_ssn': CAST(m.ssn" is not a canonical field`},
		{"amount of an SSN", "each_file", "    amount: CAST(r.ssn AS BIGINT)\n", ":11: rule probe: amount: an amount may not read personal data (ssn)"},
		{"amount of an unqualified SSN", "each_file", "    amount: CAST(SSN AS BIGINT)\n", ":11: rule probe: amount: an amount may not read personal data (ssn)"},
		{"amount of a birth date", "matched", "    amount: year(P.M.Birth_Date)\n", ":11: rule probe: amount: an amount may not read personal data (birth_date)"},
		{"amount through the whole row", "matched", "    amount: CAST(struct_extract(m, 'ssn') AS BIGINT)\n", ":11: rule probe: amount: an amount reads single fields, not the whole row m"},
		{"amount through a star", "each_file", "    amount: CAST(list_max([COLUMNS('ss.*')]) AS BIGINT)\n", ":11: rule probe: amount: an amount reads single fields"},
		{"amount not a number", "matched", "    amount: m.qhp_id\n", ":11: rule probe: amount: must be a number of dollars, not VARCHAR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeRule(t, tt.scope, "m.state <> 'x'", tt.extra)
			if tt.scope == "each_file" {
				p = writeRule(t, tt.scope, "r.state <> 'x'", tt.extra)
			}
			_, err := CheckRules(context.Background(), rules.LoadOptions{Paths: []string{p}, NoDefaults: true})
			if err == nil || !strings.Contains(err.Error(), p+tt.want) {
				t.Fatalf("error = %v, want %q", err, p+tt.want)
			}
		})
	}
}

// TestRuleTypes: a condition is boolean and an expression has a bounded size.
func TestRuleTypes(t *testing.T) {
	long := strings.Repeat("m.state = 'x' OR ", 50000) + "false"
	tests := []struct{ when, want string }{
		{"m.aptc_amount", "when: must be true or false (a SQL boolean expression), not DECIMAL(18,2)"},
		{"'yes'", "when: must be true or false"},
		{long, "when: expression is"},
		{strings.Repeat("m.state = 'x' OR ", 2500) + "false", "when: expression has more than"},
	}
	for _, tt := range tests {
		p := writeRule(t, "matched", tt.when, "")
		_, err := CheckRules(context.Background(), rules.LoadOptions{Paths: []string{p}, NoDefaults: true})
		if err == nil || !strings.Contains(err.Error(), p+":9: rule probe: "+tt.want) {
			t.Errorf("when %.40q: error = %v, want %q", tt.when, err, tt.want)
		}
	}
}

// TestReads: what a batch's condition scan and findings pass must carry,
// from DuckDB's parse of the rule.
func TestReads(t *testing.T) {
	// A side whose fields the condition reads carries its unreadable
	// fields too: the rule skips a record on which one could not be read.
	u := canonical.UnreadableFieldsColumn
	tests := []struct {
		name, when, msg, fields string
		condM, allM, allI       []string
		wholeCond, wholeAll     bool
	}{
		{"condition fields only in conditions", "m.qhp_id <> i.qhp_id", "plan {m.qhp_id}", "[qhp_id]",
			[]string{"qhp_id", u}, []string{"qhp_id", "source_file", "source_line", u}, []string{"qhp_id", "source_file", "source_line", u}, false, false},
		{"message fields only in findings", "m.ssn <> i.ssn", "{m.first_name} {i.last_name}", "",
			[]string{"ssn", u}, []string{"ssn", "source_file", "source_line", "first_name", u}, []string{"ssn", "source_file", "source_line", "last_name", u}, false, false},
		{"a quoted m.x is not a read", "m.gender = 'm.x'", "g", "",
			[]string{"gender", u}, []string{"gender", "source_file", "source_line", u}, []string{"gender", "source_file", "source_line"}, false, false},
		{"upper case", "M.QHP_ID <> P.I.Qhp_Id", "g", "[state]",
			[]string{"qhp_id", u}, []string{"qhp_id", "state", "source_file", "source_line", u}, []string{"qhp_id", "state", "source_file", "source_line", u}, false, false},
		{"whole row", "m IS NULL OR m.state <> i.state", "s", "",
			[]string{"state", u}, []string{"state", "source_file", "source_line", u}, []string{"state", "source_file", "source_line", u}, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			extra := ""
			if tc.fields != "" {
				extra = "    fields: " + tc.fields + "\n"
			}
			p := writeRule(t, "matched", tc.when, extra)
			content, _ := os.ReadFile(p)
			content = []byte(strings.Replace(string(content), "message: x", "message: "+yamlQuote(tc.msg), 1))
			if err := os.WriteFile(p, content, 0o644); err != nil {
				t.Fatal(err)
			}
			set, err := CheckRules(context.Background(), rules.LoadOptions{Paths: []string{p}, NoDefaults: true})
			if err != nil {
				t.Fatal(err)
			}
			conds, all, err := rules.Reads([]rules.Item{{Rule: set.Rules[0]}})
			if err != nil {
				t.Fatal(err)
			}
			check := func(what string, got, want []string) {
				got, want = slices.Clone(got), slices.Clone(want)
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("%s = %v, want %v", what, got, want)
				}
			}
			check("conditions read of m", conds.Cols["m"], tc.condM)
			check("findings read of m", all.Cols["m"], tc.allM)
			check("findings read of i", all.Cols["i"], tc.allI)
			if conds.Whole["m"] != tc.wholeCond || all.Whole["m"] != tc.wholeAll {
				t.Errorf("whole m: conditions %v, findings %v", conds.Whole["m"], all.Whole["m"])
			}
		})
	}
}

// TestRuleFailureRedacted: a rule that fails on the data is named, and the
// value it failed on (a name here) stays out of the error.
func TestRuleFailureRedacted(t *testing.T) {
	// It fails on one of the fixture's names only, so it compiles.
	name := fixtureFirstNames(t)[0]
	p := writeRule(t, "matched", "CASE WHEN m.first_name = '"+name+"' THEN CAST(m.first_name AS INTEGER) > 0 ELSE false END", "")
	opts := fixtureOptions(t.TempDir())
	opts.Rules, opts.NoDefaultRules = []string{p}, true
	_, err := runAndPublish(context.Background(), opts)
	if err == nil {
		t.Fatal("the rule ran")
	}
	if !strings.Contains(err.Error(), "rule probe ("+p+":3) fails on the data: Conversion Error") {
		t.Errorf("error does not name the rule: %v", err)
	}
	for _, name := range fixtureFirstNames(t) {
		if strings.Contains(err.Error(), "'"+name+"'") {
			t.Fatalf("error shows a first name: %v", err)
		}
	}
}

// fixtureFirstNames returns the first names of the fixture's marketplace file.
func fixtureFirstNames(t *testing.T) []string {
	t.Helper()
	rows := readCSV(t, filepath.Join("..", "fixtures", "basic", "marketplace.csv"))
	col := slices.Index(rows[0], "first_name")
	var out []string
	for _, r := range rows[1:] {
		out = append(out, r[col])
	}
	return out
}

// TestRulesRunOnASampleRow: a rule that cannot run on ordinary data fails
// when it is compiled, at the key at fault, not halfway through an audit.
func TestRulesRunOnASampleRow(t *testing.T) {
	tests := []struct{ scope, when, extra, want string }{
		{"matched", "error('no') IS NULL", "", ":9: rule probe: when: fails on a sample row: Invalid Input Error: no"},
		{"matched", "CAST(m.first_name AS INTEGER) > 0", "", ":9: rule probe: when: fails on a sample row: Conversion Error"},
		{"each_file", "r.state = 'VA'", "    amount: CAST(r.state AS INTEGER)\n", ":11: rule probe: amount: fails on a sample row: Conversion Error"},
		{"each_file", "CAST(r.zip AS INTEGER) > 20000 AND r.effectuation_status = 'effectuated'", "", ""},
	}
	for _, tt := range tests {
		p := writeRule(t, tt.scope, tt.when, tt.extra)
		_, err := CheckRules(context.Background(), rules.LoadOptions{Paths: []string{p}, NoDefaults: true})
		if tt.want == "" {
			if err != nil {
				t.Errorf("when %q: %v", tt.when, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), p+tt.want) {
			t.Errorf("when %q: error = %v, want %q", tt.when, err, tt.want)
		}
	}
}
