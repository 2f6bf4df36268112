package rules

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/enrollaudit/enrollaudit/canonical"
)

func TestDefaultPackCoversEveryCategory(t *testing.T) {
	set, err := Load(LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range canonical.Categories {
		if c == "wrong_identifiers" {
			continue // found by identity matching, not by a rule
		}
		if !slices.ContainsFunc(set.Rules, func(r *Rule) bool { return r.Category == c }) {
			t.Errorf("no default rule for category %s", c)
		}
	}
	for _, id := range []string{"plan-csr-variant-mismatch", "status-cancelled-but-effectuated", "aptc-above-premium", "benefit-end-before-start", "plan-id-malformed"} {
		if set.ByID(id) == nil {
			t.Errorf("default pack lacks %s", id)
		}
	}
	if h := hashRules(set); len(h) != 64 {
		t.Errorf("hash %q", h)
	}
}

// testSchema stands for the engine's relations.
var testSchema = Schema{
	MemberPairs:     Relation{Name: "member_pairs", Alias: "p", ID: "pair_id", Paired: true},
	PolicyPairs:     Relation{Name: "policy_pairs", Alias: "p", ID: "pair_id", Paired: true},
	MarketplaceRows: Relation{Name: "marketplace_rows", Alias: "r", ID: "row_id"},
	InsurerRows:     Relation{Name: "insurer_rows", Alias: "r", ID: "row_id"},
}

func writeRules(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "r.yaml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const okRule = `version: 1
rules:
  - id: big-aptc
    title: APTC over a limit
    category: wrong_subsidy
    severity: low
    grain: policy
    applies_to: each_file
    params: {limit: 2000}
    when: r.aptc_amount > $limit
    message: "APTC {r.aptc_amount} over {limit}"
`

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		{"ok", okRule, ""},
		{"missing fields", "version: 1\nrules:\n  - id: x\n", "r.yaml:3: rule x: title is required"},
		{"bad category", strings.Replace(okRule, "wrong_subsidy", "subsidy", 1), `r.yaml:5: rule big-aptc: category "subsidy" is not one of`},
		{"bad grain", strings.Replace(okRule, "grain: policy", "grain: family", 1), `r.yaml:7: rule big-aptc: grain "family" is not member or policy`},
		{"unknown param", strings.Replace(okRule, "$limit", "$cap", 1), `r.yaml:10: rule big-aptc: $cap is not a parameter of this rule`},
		{"unknown placeholder", strings.Replace(okRule, "{limit}", "{cap}", 1), `r.yaml:11: rule big-aptc: {cap} is neither a parameter nor one of`},
		{"bad id", strings.Replace(okRule, "big-aptc", "Big APTC", 1), `r.yaml:3: rule Big APTC: id "Big APTC" must be lowercase`},
		{"duplicate of default", strings.Replace(okRule, "big-aptc", "aptc-mismatch", 1), "rule aptc-mismatch: id already used at default/coverage.yaml"},
		{"disable unknown", "version: 1\ndisable: [no-such-rule]\n", `r.yaml:2: disable: no rule with id "no-such-rule"`},
		{"override unknown param", "version: 1\noverride:\n  - id: aptc-mismatch\n    params: {tolerence: 1}\n", `override aptc-mismatch: rule has no parameter "tolerence"`},
		{"unknown key", okRule + "    colour: red\n", `r.yaml:12: unknown key "colour"`},
		{"wrong version", strings.Replace(okRule, "version: 1", "version: 2", 1), `r.yaml:1: version: unsupported version "2"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeRules(t, tt.file)
			_, err := Load(LoadOptions{Paths: []string{p}})
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v\nwant it to contain %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), p) && !strings.HasPrefix(tt.want, "rule ") && !strings.Contains(tt.want, "override") {
				t.Errorf("error does not name the file %s: %v", p, err)
			}
		})
	}
}

func TestOverrideAndDisable(t *testing.T) {
	p := writeRules(t, "version: 1\ndisable: [gender-mismatch]\noverride:\n  - id: aptc-mismatch\n    severity: critical\n    params: {tolerance: 1.5}\n")
	set, err := Load(LoadOptions{Paths: []string{p}, Disable: []string{"name-mismatch"}})
	if err != nil {
		t.Fatal(err)
	}
	if set.ByID("gender-mismatch") != nil || set.ByID("name-mismatch") != nil {
		t.Error("disabled rules still active")
	}
	if !slices.Equal(set.Disabled, []string{"gender-mismatch", "name-mismatch"}) {
		t.Errorf("Disabled = %v", set.Disabled)
	}
	r := set.ByID("aptc-mismatch")
	if r.Severity != "critical" {
		t.Errorf("severity = %s", r.Severity)
	}
	q, err := r.Query(SQLOptions{}, testSchema, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(q, "> 1.5") {
		t.Errorf("tolerance not bound: %s", q)
	}
	def, _ := Load(LoadOptions{})
	if hashRules(def) == hashRules(set) {
		t.Error("rule hash does not change with overrides")
	}
}

func TestQueryRendering(t *testing.T) {
	set, err := Load(LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	q, _ := set.ByID("ssn-mismatch").Query(SQLOptions{}, testSchema, nil)
	if !strings.Contains(q, "'*****' || right(m.ssn, 4)") {
		t.Errorf("SSN not masked by default: %s", q)
	}
	q, _ = set.ByID("ssn-mismatch").Query(SQLOptions{RevealPII: true}, testSchema, nil)
	if strings.Contains(q, "*****") {
		t.Errorf("SSN masked with RevealPII: %s", q)
	}
	q, _ = set.ByID("plan-id-malformed").Query(SQLOptions{}, testSchema, []string{"insurer"})
	if strings.Contains(q, testSchema.MarketplaceRows.Name) || !strings.Contains(q, testSchema.InsurerRows.Name) {
		t.Errorf("sides not limited: %s", q)
	}
}

func TestBindParamsLeavesStringsAlone(t *testing.T) {
	got, err := bindParams(`r.state = '$limit' AND r.aptc_amount > $limit`, map[string]any{"limit": 10})
	if err != nil {
		t.Fatal(err)
	}
	if want := `r.state = '$limit' AND r.aptc_amount > 10`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if _, err := sqlLiteral(map[string]any{}); err == nil {
		t.Error("a map parameter was accepted")
	}
	if s, _ := sqlLiteral("O'Brien"); s != "'O''Brien'" {
		t.Errorf("string literal %s", s)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add(okRule)
	f.Add("version: 1\nrules: [{id: a, when: \"$x\"}]\n")
	f.Fuzz(func(t *testing.T, content string) {
		dir := t.TempDir()
		p := filepath.Join(dir, "f.yaml")
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		set, err := Load(LoadOptions{Paths: []string{p}, NoDefaults: true})
		if err == nil {
			for _, r := range set.Rules {
				if _, err := r.Query(SQLOptions{}, testSchema, nil); err != nil {
					t.Fatalf("valid rule %s does not render: %v", r.ID, err)
				}
			}
		}
	})
}
