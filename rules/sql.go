package rules

import (
	"embed"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/internal/sqltext"
	"github.com/enrollaudit/enrollaudit/internal/sqltmpl"
)

//go:embed sql/*.sql
var sqlFS embed.FS

// sqlFiles are the statements that evaluate rules (rules/sql).
var sqlFiles = sqltmpl.Must(sqlFS, "sql/*.sql")

// Relation is a relation rules are evaluated over, as the engine names it:
// its name, the alias rule expressions use for it (p for pairs, whose
// sides are m and i; r for one file's rows), the column that identifies a
// row, and whether it pairs the two sides.
type Relation struct {
	Name, Alias, ID string
	Paired          bool
}

// Schema is the relations the engine gives rules: one per grain for the
// paired scopes, one per side for the single-file scopes.
type Schema struct {
	MemberPairs, PolicyPairs, MarketplaceRows, InsurerRows Relation
	// Statements are what the engine runs to evaluate items of one
	// relation; Check binds them for each rule, so a rule compiles exactly
	// as it will run.
	Statements func(opts SQLOptions, items []Item) ([]string, error)
}

// pairColumns are the key columns of the pair relations, usable unqualified in
// expressions and as {name} in messages.
var pairColumns = []string{"issuer_hios_id", "exchange_policy_id", "exchange_member_id", "segment"}

// SQLOptions change how values are rendered into findings.
type SQLOptions struct {
	RevealPII bool // show full SSNs instead of the last four digits
}

// Query returns the SELECT that yields the rule's findings on its own, with
// the finding columns (rule, category, severity, issuer_hios_id,
// exchange_policy_id, exchange_member_id, segment, side, marketplace,
// insurer, amount, message, m_file, m_line, i_file, i_line); rules are
// compiled with it. For single-file rules, sides limits the files read
// (nil: all the scope's). The engine evaluates many rules at once with
// BatchQuery.
func (r *Rule) Query(opts SQLOptions, schema Schema, sides []string) (string, error) {
	type item struct{ Value, Relation, Alias, Cond string }
	var items []item
	for _, it := range r.Items(schema, sides) {
		cond, val, err := it.finding(opts)
		if err != nil {
			return "", err
		}
		items = append(items, item{Value: val, Relation: it.Rel.Name, Alias: it.Rel.Alias, Cond: cond})
	}
	return sqlFiles.Render("query.sql", items), nil
}

// Items applies the rule to the relations of schema it reads: once for a
// paired rule, once per side (of sides, or of its scope when nil) for a
// single-file rule.
func (r *Rule) Items(schema Schema, sides []string) []Item {
	if r.AppliesTo.Paired() {
		rel := schema.MemberPairs
		if r.Grain == GrainPolicy {
			rel = schema.PolicyPairs
		}
		return []Item{{Rule: r, Rel: rel}}
	}
	if sides == nil {
		sides = r.AppliesTo.Sides()
	}
	items := make([]Item, len(sides))
	for i, side := range sides {
		rel := schema.MarketplaceRows
		if side == "insurer" {
			rel = schema.InsurerRows
		}
		items[i] = Item{Rule: r, Side: side, Rel: rel}
	}
	return items
}

// Item is one rule applied to one relation: a paired rule (Side ""), or a
// single-file rule on one side's rows.
type Item struct {
	Rule *Rule
	Side string
	Rel  Relation
}

// BatchQuery returns the statement that evaluates every item (all reading
// the same relation) in one scan of scan, a SELECT with the relation's
// columns, and inserts their findings into table. Findings are built only
// for the rows a condition selects. It suits a scan that is cheap to carry
// every field the findings read through (a table); BatchQueries suits one
// that joins.
func BatchQuery(opts SQLOptions, items []Item, table, scan string) (string, error) {
	b, err := batch(opts, items)
	if err != nil {
		return "", err
	}
	return sqlFiles.Render("batch.sql", map[string]any{"Table": table, "Scan": scan, "Alias": b.alias, "Rules": b.rules}), nil
}

// Scan says where a two-pass batch reads: All is the SELECT of every row of
// the batch's relation (it may carry only the fields the conditions read);
// HitsTable is where the first pass records (row id, item number) of each
// hit; Hits is the SELECT of the rows recorded there, each with its item
// number as column "item" and the fields the findings read. Both keep the
// relation's column names and its id column.
type Scan struct {
	All, Hits, HitsTable string
}

// BatchQueries returns the statements that evaluate every item (all reading
// the same relation) and insert their findings into table: the first scans
// All once, evaluating only the conditions, and keeps (row, rule) for each
// hit in scan.HitsTable; the second builds finding structs for the Hits rows
// alone. Discrepancies are few, so the costly part runs on a small fraction.
func BatchQueries(opts SQLOptions, items []Item, table string, scan Scan) ([]string, error) {
	b, err := batch(opts, items)
	if err != nil {
		return nil, err
	}
	return []string{
		sqlFiles.Render("hits.sql", map[string]any{"HitsTable": scan.HitsTable, "Alias": b.alias, "ID": b.id, "All": scan.All, "Rules": b.rules}),
		sqlFiles.Render("findings_of_hits.sql", map[string]any{"Table": table, "Alias": b.alias, "Hits": scan.Hits, "Rules": b.rules}),
	}, nil
}

// batchSQL is a batch's relation (alias, id column) and each item's
// condition and finding struct, in item order.
type batchSQL struct {
	alias, id string
	rules     []ruleSQL
}

// ruleSQL is one item of a batch as its SQL templates read it.
type ruleSQL struct{ Cond, Value string }

// batch renders the conditions and finding structs of items, which must all
// read one relation.
func batch(opts SQLOptions, items []Item) (batchSQL, error) {
	if len(items) == 0 {
		return batchSQL{}, fmt.Errorf("no rules to evaluate")
	}
	rel := items[0].Rel
	b := batchSQL{alias: rel.Alias, id: rel.ID, rules: make([]ruleSQL, len(items))}
	for n, it := range items {
		if it.Rel != rel {
			return b, fmt.Errorf("rule %s reads %s, not %s", it.Rule.ID, it.Rel.Name, rel.Name)
		}
		cond, val, err := it.finding(opts)
		if err != nil {
			return b, err
		}
		b.rules[n] = ruleSQL{Cond: "(" + cond + ")", Value: val}
	}
	return b, nil
}

// Reads returns what the items' conditions read, and what their findings
// read in all (conditions, amounts, messages, side-by-side fields, file and
// line), as DuckDB's parser found when Check compiled the rules.
func Reads(items []Item) (conds, all Uses, err error) {
	conds, all = newUses(), newUses()
	for _, it := range items {
		r := it.Rule
		if r.compiled == nil {
			return conds, all, fmt.Errorf("rule %s was not compiled", r.ID)
		}
		conds.merge(r.compiled.when)
		all.merge(r.compiled.when)
		for alias := range r.skipUnreadable() {
			conds.addCol(alias, canonical.UnreadableFieldsColumn)
			all.addCol(alias, canonical.UnreadableFieldsColumn)
		}
		all.merge(r.compiled.amount)
		aliases := []string{"r"}
		if r.AppliesTo.Paired() {
			aliases = []string{"m", "i"}
		}
		for _, a := range aliases {
			if (a == "m" && r.AppliesTo != ScopeInsurerOnly) || (a == "i" && r.AppliesTo != ScopeMarketplaceOnly) || a == "r" {
				for _, f := range r.Fields {
					all.addCol(a, f)
				}
			}
			all.addCol(a, "source_file")
			all.addCol(a, "source_line")
		}
		for _, ref := range templateRefs(r.Message) {
			if alias, col, ok := strings.Cut(ref, "."); ok {
				all.addCol(alias, col)
			}
		}
	}
	return conds, all, nil
}

// finding returns the condition under which the item reports a row, and
// the STRUCT of the finding it reports.
func (it Item) finding(opts SQLOptions) (cond, value string, err error) {
	r := it.Rule
	when, err := bindParams(r.When, r.Params)
	if err != nil {
		return "", "", err
	}
	amount := "NULL"
	if r.Amount != "" {
		if amount, err = bindParams(r.Amount, r.Params); err != nil {
			return "", "", err
		}
	}
	msg, err := r.messageSQL(opts)
	if err != nil {
		return "", "", err
	}
	var f struct{ issuer, policy, member, segment, side, mk, ins, mFile, mLine, iFile, iLine string }
	if r.AppliesTo.Paired() {
		f.issuer, f.policy, f.member, f.segment, f.side = "p.issuer_hios_id", "p.exchange_policy_id", "p.exchange_member_id", "p.segment", "NULL"
		f.mk, f.ins = valuesSQL("m", r.Fields, opts), valuesSQL("i", r.Fields, opts)
		f.mFile, f.mLine, f.iFile, f.iLine = "m.source_file", "m.source_line", "i.source_file", "i.source_line"
		cond = "p.in_marketplace AND p.in_insurer"
		switch r.AppliesTo {
		case ScopeMarketplaceOnly:
			f.ins, cond = "NULL", "p.in_marketplace AND NOT p.in_insurer"
		case ScopeInsurerOnly:
			f.mk, cond = "NULL", "p.in_insurer AND NOT p.in_marketplace"
		}
	} else {
		f.issuer, f.policy, f.member, f.segment, f.side = "r.issuer_hios_id", "r.exchange_policy_id", "r.exchange_member_id", "r.occurrence", sqltext.Literal(it.Side)
		vals := valuesSQL("r", r.Fields, opts)
		f.mk, f.ins, f.mFile, f.mLine, f.iFile, f.iLine = vals, "NULL", "r.source_file", "r.source_line", "NULL", "NULL"
		if it.Side == "insurer" {
			f.mk, f.ins, f.mFile, f.mLine, f.iFile, f.iLine = "NULL", vals, "NULL", "NULL", "r.source_file", "r.source_line"
		}
		cond = "TRUE"
		if r.Grain == GrainPolicy {
			cond = "r.is_policy_row"
		}
	}
	if r.Grain == GrainPolicy {
		f.member, f.segment = "NULL", "0"
	}
	exprs := map[string]string{"rule": sqltext.Literal(r.ID), "category": sqltext.Literal(r.Category), "severity": sqltext.Literal(r.Severity),
		"issuer_hios_id": f.issuer, "exchange_policy_id": f.policy, "exchange_member_id": f.member,
		"segment": f.segment, "side": f.side, "marketplace": f.mk, "insurer": f.ins, "amount": amount, "message": msg,
		"m_file": f.mFile, "m_line": f.mLine, "i_file": f.iFile, "i_line": f.iLine, "match_method": "NULL"}
	// Every value is cast to its column's type: a bare literal would be
	// typed STRING_LITERAL and could not share a list with other rules'
	// structs.
	parts := make([]string, len(canonical.FindingColumns))
	for i, c := range canonical.FindingColumns {
		e, ok := exprs[c.Name]
		if !ok {
			return "", "", fmt.Errorf("finding column %s has no value", c.Name)
		}
		parts[i] = fmt.Sprintf("'%s': CAST((%s) AS %s)", c.Name, e, c.Type)
	}
	value = "{" + strings.Join(parts, ", ") + "}"
	for _, alias := range slices.Sorted(maps.Keys(r.skipUnreadable())) {
		fields := r.skipUnreadable()[alias]
		lits := make([]string, len(fields))
		for i, f := range fields {
			lits[i] = sqltext.Literal(f)
		}
		cond += fmt.Sprintf(" AND NOT coalesce(list_has_any(%s.%s, [%s]), false)", alias, canonical.UnreadableFieldsColumn, strings.Join(lits, ", "))
	}
	return cond + " AND (" + when + ")", value, nil
}

// skipUnreadable returns, per alias, the canonical fields the rule's
// condition reads on which an unreadable value makes the rule skip the
// record: that value is reported once as a field problem, and comparing
// the empty field it left would report a difference nobody made. Presence
// rules (marketplace_only, insurer_only) skip nothing: a record one side
// lacks is a finding whatever its fields hold.
func (r *Rule) skipUnreadable() map[string][]string {
	if r.AppliesTo == ScopeMarketplaceOnly || r.AppliesTo == ScopeInsurerOnly {
		return nil
	}
	return r.Needs()
}

// valuesSQL builds the MAP of compared field values shown for one side.
func valuesSQL(alias string, fields []string, opts SQLOptions) string {
	if len(fields) == 0 {
		return "MAP {}"
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = sqltext.Literal(f) + ": " + renderSQL(alias+"."+f, f, opts)
	}
	return "MAP {" + strings.Join(parts, ", ") + "}"
}

// renderSQL turns a field reference into display text: ISO dates, money with
// two decimals, SSNs masked to the last four digits unless revealed.
func renderSQL(ref, field string, opts SQLOptions) string {
	if field == "ssn" && !opts.RevealPII {
		return canonical.MaskSSNSQL(ref)
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
			parts = append(parts, sqltext.Literal(r.Message[last:loc[0]]))
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
			parts = append(parts, sqltext.Literal(fmt.Sprint(v)))
		}
		last = loc[1]
	}
	if last < len(r.Message) {
		parts = append(parts, sqltext.Literal(r.Message[last:]))
	}
	if len(parts) == 0 {
		return "''", nil
	}
	return "concat(" + strings.Join(parts, ", ") + ")", nil
}

// Needs lists the canonical fields the rule's condition reads, per alias
// (m, i or r): a side that never provides one of them cannot be judged by a
// comparison. (The amount is presentation: without its fields it is empty.)
// It is known once Check has compiled the rule.
func (r *Rule) Needs() map[string][]string {
	out := map[string][]string{}
	if r.compiled == nil {
		return out
	}
	for alias, cols := range r.compiled.when.Cols {
		for _, c := range cols {
			if _, ok := canonical.Lookup(c); ok {
				out[alias] = append(out[alias], c)
			}
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
		return sqltext.Literal(x), nil
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
