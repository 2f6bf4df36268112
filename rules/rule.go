// Package rules defines enrollaudit's declarative rule format: YAML files of
// rules, each a single SQL boolean expression over the marketplace side (m),
// the insurer side (i) or one file's row (r). It parses rule files strictly,
// turns each rule into the query that yields its findings, and compiles every
// rule against DuckDB before any data is read.
package rules

import (
	"regexp"
	"slices"
)

// FormatVersion is the rule-file version this build reads.
const FormatVersion = 1

// Grain says what one finding stands for.
type Grain string

const (
	GrainMember Grain = "member" // one member's coverage segment
	GrainPolicy Grain = "policy" // one policy, compared on its subscriber's row
)

// Scope says which records a rule looks at.
type Scope string

const (
	ScopeMatched         Scope = "matched"          // both sides have the record
	ScopeMarketplaceOnly Scope = "marketplace_only" // only the marketplace has it
	ScopeInsurerOnly     Scope = "insurer_only"     // only the insurer has it
	ScopeMarketplace     Scope = "marketplace"      // every marketplace row alone
	ScopeInsurer         Scope = "insurer"          // every insurer row alone
	ScopeEachFile        Scope = "each_file"        // every row of either file alone
)

var scopes = []Scope{ScopeMatched, ScopeMarketplaceOnly, ScopeInsurerOnly, ScopeMarketplace, ScopeInsurer, ScopeEachFile}

// Paired reports whether the scope compares the two sides (aliases m and i)
// rather than one file's rows (alias r).
func (s Scope) Paired() bool {
	return s == ScopeMatched || s == ScopeMarketplaceOnly || s == ScopeInsurerOnly
}

// Sides lists the sides a single-file scope reads.
func (s Scope) Sides() []string {
	switch s {
	case ScopeMarketplace:
		return []string{"marketplace"}
	case ScopeInsurer:
		return []string{"insurer"}
	case ScopeEachFile:
		return []string{"marketplace", "insurer"}
	}
	return nil
}

// Rule is one compiled-ready rule.
type Rule struct {
	ID          string
	Title       string
	Description string
	Category    string
	Severity    string
	Grain       Grain
	AppliesTo   Scope
	When        string         // SQL boolean expression
	Amount      string         // optional SQL expression: monthly dollar difference
	Message     string         // template with {m.field}, {i.field}, {r.field}, {param}
	Fields      []string       // compared fields, shown side by side
	Params      map[string]any // values for $name in When and Amount

	Source string // file the rule came from; "default/<file>" for the embedded pack
	Line   int    // line of the rule in Source
	lines  map[string]int

	compiled *compiled // what the expressions read, once Check has parsed them
	// shipped: from the embedded pack with none of its parameters
	// overridden, so TestDefaultRulesCompile has bound and tried it.
	shipped bool
}

// LineOf returns the line of the rule's key (when, amount, ...) in its file.
func (r *Rule) LineOf(key string) int {
	if l, ok := r.lines[key]; ok {
		return l
	}
	return r.Line
}

var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// Set is the active rule set.
type Set struct {
	Rules    []*Rule
	Disabled []string // ids turned off, in the order given
	Hash     string   // SHA-256 of the effective rules, recorded in reports; set by Check
}

// ByID returns the active rule with that id.
func (s *Set) ByID(id string) *Rule {
	i := slices.IndexFunc(s.Rules, func(r *Rule) bool { return r.ID == id })
	if i < 0 {
		return nil
	}
	return s.Rules[i]
}
