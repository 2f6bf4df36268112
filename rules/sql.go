package rules

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/enrollaudit/enrollaudit/audit/canonical"
)

// Relations the engine creates and rules are evaluated over.
const (
	MemberPairs     = "member_pairs"     // one row per member coverage segment, either side or both
	PolicyPairs     = "policy_pairs"     // one row per policy, each side's subscriber row
	MarketplaceRows = "marketplace_rows" // the marketplace file's canonical rows
	InsurerRows     = "insurer_rows"     // the insurer file's canonical rows
)

// pairColumns are the key columns of the pair relations, usable unqualified in
// expressions and as {name} in messages.
var pairColumns = []string{"issuer_hios_id", "exchange_policy_id", "exchange_member_id", "segment"}

// DerivedColumns are columns the engine adds to every canonical row (r, m and
// i) beyond the canonical fields.
var DerivedColumns = []string{"source_file", "source_line", "occurrence", "duplicate_of", "overlapping_policy_id", "is_policy_row"}

// FindingColumns are the columns every rule query yields, in order.
var FindingColumns = []string{"rule", "category", "severity", "issuer_hios_id", "exchange_policy_id",
	"exchange_member_id", "segment", "side", "marketplace", "insurer", "amount", "message",
	"m_file", "m_line", "i_file", "i_line"}

// SQLOptions change how values are rendered into findings.
type SQLOptions struct {
	RevealPII bool // show full SSNs instead of the last four digits
}

// Query returns the SELECT that yields the rule's findings, with the columns
// of FindingColumns. The rule's `when` stays one parenthesised expression.
// For single-file rules, sides limits the files read (nil: all the scope's).
func (r *Rule) Query(opts SQLOptions, sides []string) (string, error) {
	when, err := bindParams(r.When, r.Params)
	if err != nil {
		return "", err
	}
	amount := "NULL"
	if r.Amount != "" {
		if amount, err = bindParams(r.Amount, r.Params); err != nil {
			return "", err
		}
	}
	amount = "CAST((" + amount + ") AS DECIMAL(18,2))"
	var b strings.Builder
	head := func(issuer, policy, member, segment, side, mk, ins, msg, src string) {
		fmt.Fprintf(&b, "SELECT %s AS rule, %s AS category, %s AS severity, %s AS issuer_hios_id, %s AS exchange_policy_id, "+
			"%s AS exchange_member_id, %s AS segment, %s AS side, %s AS marketplace, %s AS insurer, %s AS amount, %s AS message, %s",
			quote(r.ID), quote(r.Category), quote(r.Severity), issuer, policy, member, segment, side, mk, ins, amount, msg, src)
	}
	if r.AppliesTo.Paired() {
		msg, err := r.messageSQL(opts)
		if err != nil {
			return "", err
		}
		rel, member, segment := MemberPairs, "p.exchange_member_id", "p.segment"
		if r.Grain == GrainPolicy {
			rel, member, segment = PolicyPairs, "CAST(NULL AS VARCHAR)", "CAST(0 AS BIGINT)"
		}
		mk, ins := valuesSQL("m", r.Fields, opts), valuesSQL("i", r.Fields, opts)
		scope := "p.in_marketplace AND p.in_insurer"
		switch r.AppliesTo {
		case ScopeMarketplaceOnly:
			ins, scope = nullMap, "p.in_marketplace AND NOT p.in_insurer"
		case ScopeInsurerOnly:
			mk, scope = nullMap, "p.in_insurer AND NOT p.in_marketplace"
		}
		head("p.issuer_hios_id", "p.exchange_policy_id", member, segment, "CAST(NULL AS VARCHAR)", mk, ins, msg,
			"m.source_file AS m_file, m.source_line AS m_line, i.source_file AS i_file, i.source_line AS i_line")
		fmt.Fprintf(&b, " FROM %s AS p WHERE %s AND (%s)", rel, scope, when)
		return b.String(), nil
	}
	if sides == nil {
		sides = r.AppliesTo.Sides()
	}
	for n, side := range sides {
		if n > 0 {
			b.WriteString(" UNION ALL ")
		}
		msg, err := r.messageSQL(opts)
		if err != nil {
			return "", err
		}
		vals := valuesSQL("r", r.Fields, opts)
		mk, ins, rel := vals, nullMap, MarketplaceRows
		src := "r.source_file AS m_file, r.source_line AS m_line, CAST(NULL AS VARCHAR) AS i_file, CAST(NULL AS BIGINT) AS i_line"
		if side == "insurer" {
			mk, ins, rel = nullMap, vals, InsurerRows
			src = "CAST(NULL AS VARCHAR) AS m_file, CAST(NULL AS BIGINT) AS m_line, r.source_file AS i_file, r.source_line AS i_line"
		}
		member, segment, filter := "r.exchange_member_id", "r.occurrence", "TRUE"
		if r.Grain == GrainPolicy {
			member, segment, filter = "CAST(NULL AS VARCHAR)", "CAST(0 AS BIGINT)", "r.is_policy_row"
		}
		head("r.issuer_hios_id", "r.exchange_policy_id", member, segment, quote(side), mk, ins, msg, src)
		fmt.Fprintf(&b, " FROM %s AS r WHERE %s AND (%s)", rel, filter, when)
	}
	return b.String(), nil
}

const nullMap = "CAST(NULL AS MAP(VARCHAR, VARCHAR))"

// valuesSQL builds the MAP of compared field values shown for one side.
func valuesSQL(alias string, fields []string, opts SQLOptions) string {
	if len(fields) == 0 {
		return "CAST(MAP {} AS MAP(VARCHAR, VARCHAR))"
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = quote(f) + ": " + renderSQL(alias+"."+f, f, opts)
	}
	return "CAST(MAP {" + strings.Join(parts, ", ") + "} AS MAP(VARCHAR, VARCHAR))"
}

// renderSQL turns a field reference into display text: ISO dates, money with
// two decimals, SSNs masked to the last four digits unless revealed.
func renderSQL(ref, field string, opts SQLOptions) string {
	if field == "ssn" && !opts.RevealPII {
		return "CASE WHEN " + ref + " IS NULL THEN NULL ELSE '*****' || right(" + ref + ", 4) END"
	}
	if f, ok := canonical.Lookup(field); ok && f.Kind == canonical.Date {
		return "strftime(" + ref + ", '%Y-%m-%d')"
	}
	return "CAST(" + ref + " AS VARCHAR)"
}

var templateRE = regexp.MustCompile(`\{([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?)\}`)

func templateRefs(tmpl string) []string {
	var out []string
	for _, m := range templateRE.FindAllStringSubmatch(tmpl, -1) {
		out = append(out, m[1])
	}
	return out
}

// messageSQL compiles the message template into a SQL string expression.
func (r *Rule) messageSQL(opts SQLOptions) (string, error) {
	var parts []string
	last := 0
	for _, loc := range templateRE.FindAllStringSubmatchIndex(r.Message, -1) {
		if loc[0] > last {
			parts = append(parts, quote(r.Message[last:loc[0]]))
		}
		ref := r.Message[loc[2]:loc[3]]
		switch {
		case strings.Contains(ref, "."):
			field := ref[strings.Index(ref, ".")+1:]
			parts = append(parts, "coalesce("+renderSQL(ref, field, opts)+", '(empty)')")
		case slices.Contains(pairColumns, ref):
			alias := "p."
			if !r.AppliesTo.Paired() {
				alias = "r."
			}
			parts = append(parts, "coalesce(CAST("+alias+ref+" AS VARCHAR), '(empty)')")
		default:
			v, ok := r.Params[ref]
			if !ok {
				return "", fmt.Errorf("message: {%s} is not a parameter", ref)
			}
			parts = append(parts, quote(fmt.Sprint(v)))
		}
		last = loc[1]
	}
	if last < len(r.Message) {
		parts = append(parts, quote(r.Message[last:]))
	}
	if len(parts) == 0 {
		return "''", nil
	}
	return "concat(" + strings.Join(parts, ", ") + ")", nil
}

var fieldRefRE = regexp.MustCompile(`\b([mir])\.([a-z_][a-z0-9_]*)`)

// Needs lists the canonical fields the rule's expressions read, per alias
// (m, i or r): a side that never provides one of them cannot be judged.
func (r *Rule) Needs() map[string][]string {
	out := map[string][]string{}
	for _, m := range fieldRefRE.FindAllStringSubmatch(stripStrings(r.When+" "+r.Amount), -1) {
		if _, ok := canonical.Lookup(m[2]); ok && !slices.Contains(out[m[1]], m[2]) {
			out[m[1]] = append(out[m[1]], m[2])
		}
	}
	return out
}

// referencedFields lists the canonical fields an expression reads, in order:
// the default side-by-side columns of a rule.
func referencedFields(expr string) []string {
	var out []string
	for _, m := range fieldRefRE.FindAllStringSubmatch(stripStrings(expr), -1) {
		if _, ok := canonical.Lookup(m[2]); ok && !slices.Contains(out, m[2]) {
			out = append(out, m[2])
		}
	}
	return out
}

// stripStrings blanks out SQL string literals so scans for references and
// parameters do not look inside them.
func stripStrings(expr string) string {
	b := []byte(expr)
	in := byte(0)
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case in == 0 && (c == '\'' || c == '"'):
			in = c
		case in != 0 && c == in:
			in = 0
		case in != 0:
			b[i] = ' '
		}
	}
	return string(b)
}

var paramRE = regexp.MustCompile(`\$([a-z_][a-z0-9_]*)`)

func paramRefs(expr string) []string {
	var out []string
	for _, m := range paramRE.FindAllStringSubmatch(stripStrings(expr), -1) {
		out = append(out, m[1])
	}
	return out
}

// bindParams replaces $name outside string literals by the parameter's SQL
// literal. Parameters are plain values, so the result stays one expression.
func bindParams(expr string, params map[string]any) (string, error) {
	masked := stripStrings(expr)
	var b strings.Builder
	last := 0
	for _, loc := range paramRE.FindAllStringSubmatchIndex(masked, -1) {
		name := masked[loc[2]:loc[3]]
		v, ok := params[name]
		if !ok {
			return "", fmt.Errorf("$%s is not a parameter of this rule", name)
		}
		lit, err := sqlLiteral(v)
		if err != nil {
			return "", fmt.Errorf("parameter %s: %w", name, err)
		}
		b.WriteString(expr[last:loc[0]])
		b.WriteString(lit)
		last = loc[1]
	}
	b.WriteString(expr[last:])
	return b.String(), nil
}

// sqlLiteral renders a parameter value from YAML as a SQL literal.
func sqlLiteral(v any) (string, error) {
	switch x := v.(type) {
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", fmt.Errorf("%v is not a finite number", x)
		}
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case bool:
		if x {
			return "TRUE", nil
		}
		return "FALSE", nil
	case string:
		return quote(x), nil
	case []any:
		items := make([]string, len(x))
		for i, e := range x {
			s, err := sqlLiteral(e)
			if err != nil {
				return "", err
			}
			items[i] = s
		}
		return "[" + strings.Join(items, ", ") + "]", nil
	}
	return "", fmt.Errorf("value %v must be a number, text, true/false or a list of those", v)
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
