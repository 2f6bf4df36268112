// Package relations owns the audit's DuckDB schema: the canonical tables'
// flag columns, the rows views, the keys that pair the two sides, the pair
// views rules read and the findings tables. Its SQL lives in sql/*.sql
// (text/template over a closed set of names), readable and runnable with
// ordinary SQL tools once the names are filled in.
//
// Nearly every (policy, member) has one row a side, nearly every member one
// policy and nearly every policy one subscriber row, so the matching work is
// sized by the exceptions, each found with one aggregate; nothing copies a
// side's data.
package relations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"strconv"
	"strings"

	"github.com/enrollaudit/enrollaudit/audit/load"
	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/internal/dbexec"
	"github.com/enrollaudit/enrollaudit/internal/sqltmpl"
	"github.com/enrollaudit/enrollaudit/rules"
)

// The relations rules are evaluated over.
var (
	// MarketplaceRows and InsurerRows are each side's loaded rows (alias r),
	// with row_id, source_file, source_line, occurrence, duplicate_of,
	// overlapping_policy_id and is_policy_row.
	MarketplaceRows = rules.Relation{Name: "marketplace_rows", Alias: "r", ID: "row_id"}
	InsurerRows     = rules.Relation{Name: "insurer_rows", Alias: "r", ID: "row_id"}
	// MemberPairs has a row per member coverage segment, PolicyPairs one per
	// policy (its subscriber rows), either side or both (alias p): pair_id,
	// exchange_policy_id, exchange_member_id, issuer_hios_id, segment,
	// in_marketplace, in_insurer, marketplace_has_policy,
	// insurer_has_policy, marketplace_has_member, insurer_has_member, and
	// the sides' rows as structs m and i.
	MemberPairs = rules.Relation{Name: "member_pairs", Alias: "p", ID: "pair_id", Paired: true}
	PolicyPairs = rules.Relation{Name: "policy_pairs", Alias: "p", ID: "pair_id", Paired: true}

	// Schema is what rules compile against.
	Schema = rules.Schema{MemberPairs: MemberPairs, PolicyPairs: PolicyPairs,
		MarketplaceRows: MarketplaceRows, InsurerRows: InsurerRows, Statements: Statements}
)

// Sides are the two sides of an audit.
var Sides = []string{"marketplace", "insurer"}

// Rows returns a side's rows relation.
func Rows(side string) rules.Relation {
	if side == "insurer" {
		return InsurerRows
	}
	return MarketplaceRows
}

// Tables the engine reads besides the relations.
const (
	FindingsTable    = "findings"     // the run's findings, with id and category_order
	RawFindingsTable = "findings_raw" // what rule batches insert into
	HitsTable        = "rule_hits"    // (pair, rule) hits between a batch's two passes
	MemberKeysTable  = "member_keys"  // mrow, irow of each member pair
	PolicyKeysTable  = "policy_keys"  // mrow, irow of each policy pair
)

//go:embed sql/*.sql
var files embed.FS

var tmpl = sqltmpl.Must(files, "sql/*.sql")

// statements splits rendered SQL into its statements (the files hold no
// semicolons but the ones that end statements).
func statements(sqlText string) []string {
	var out []string
	for _, s := range strings.Split(sqlText, ";") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func exec(ctx context.Context, db dbexec.DB, what string, stmts []string) error {
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return nil
}

// flagColumns are added to each canonical table; matching fills them in
// for the few rows that need a value, and the rows views give the rest
// their usual value.
var flagColumns = []string{
	"occurrence BIGINT",             // rank among rows of the same (policy, member); NULL: the only one
	"duplicate_of VARCHAR",          // file:line of the key's first row, when this row repeats its coverage
	"overlapping_policy_id VARCHAR", // another policy of the member with overlapping live coverage
	"policy_row BOOLEAN",            // set for every row of a policy without exactly one subscriber row
}

// Create makes the whole schema, empty: the canonical tables, their flag
// columns, the rows views and the (empty) pair relations, so rules compile
// against them before any data is read.
func Create(ctx context.Context, conn *sql.Conn) error {
	if err := load.CreateTables(ctx, conn); err != nil {
		return err
	}
	for _, side := range Sides {
		for _, c := range flagColumns {
			if _, err := conn.ExecContext(ctx, "ALTER TABLE "+load.CanonTable(side)+" ADD COLUMN "+c); err != nil {
				return fmt.Errorf("prepare relations: %w", err)
			}
		}
	}
	if err := RefreshRows(ctx, conn); err != nil {
		return err
	}
	if err := Match(ctx, conn, MatchKeys); err != nil {
		return err
	}
	// Empty, so the rules' statements bind when they are compiled.
	if err := CreateFindings(ctx, conn); err != nil {
		return err
	}
	return exec(ctx, conn, "prepare relations", []string{"CREATE OR REPLACE TEMP TABLE " + HitsTable + " (id BIGINT, item INTEGER)"})
}

// Statements evaluates items, which all read one relation, into the raw
// findings table: the rows relations in one scan, the pair relations in
// two passes (PairScan).
func Statements(opts rules.SQLOptions, items []rules.Item) ([]string, error) {
	if len(items) == 0 {
		return nil, fmt.Errorf("no rules to evaluate")
	}
	rel := items[0].Rel
	if !rel.Paired {
		q, err := rules.BatchQuery(opts, items, RawFindingsTable, "SELECT * FROM "+rel.Name)
		return []string{q}, err
	}
	conds, all, err := rules.Reads(items)
	if err != nil {
		return nil, err
	}
	return rules.BatchQueries(opts, items, RawFindingsTable, PairScan(rel, conds, all))
}

// RefreshRows (re)creates both sides' rows views for the files loaded so
// far: file paths and line offsets are written into them.
func RefreshRows(ctx context.Context, db dbexec.DB) error { return RefreshScopedRows(ctx, db, Scope{}) }

// Scope keeps, on each side, the rows of the listed issuers; a nil list
// keeps every row of the side (no filter at all, so an audit of every
// issuer pays nothing for it).
type Scope struct{ Marketplace, Insurer []string }

func (s Scope) of(side string) []string {
	if side == "insurer" {
		return s.Insurer
	}
	return s.Marketplace
}

// inList is issuers as a SQL list of string literals ("" when nil; NULL
// when empty, which keeps no row).
func inList(issuers []string) string {
	if issuers == nil {
		return ""
	}
	if len(issuers) == 0 {
		return "NULL"
	}
	q := make([]string, len(issuers))
	for i, s := range issuers {
		q[i] = "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	return strings.Join(q, ", ")
}

// RefreshScopedRows is RefreshRows keeping, on each side, only the rows of
// the issuers in scope: every relation rules read is built on these views.
func RefreshScopedRows(ctx context.Context, db dbexec.DB, scope Scope) error {
	file, line, err := load.SourceSQL(ctx, db)
	if err != nil {
		return err
	}
	for _, side := range Sides {
		q := tmpl.Render("rows_view.sql", map[string]string{"Rows": Rows(side).Name, "Fields": strings.Join(canonical.Names(), ", "),
			"File": file, "Line": line, "Canon": load.CanonTable(side), "Scope": inList(scope.of(side)),
			"Unreadable": canonical.UnreadableFieldsColumn})
		if err := exec(ctx, db, "prepare relations", statements(q)); err != nil {
			return err
		}
	}
	return nil
}

// MaxMemberRows is the most rows one member ID may have for the check of
// overlapping policies: a person has a few policies and segments a year,
// while an ID on thousands of rows (member numbers given per policy, 01,
// 02, ...) would pair every one of its rows with every other.
const MaxMemberRows = 1000

// Matching says how records are paired: on their keys alone, or then by
// identity (README "How records are matched").
type Matching string

// The ways of matching (run --match).
const (
	MatchKeys     Matching = "keys"
	MatchIdentity Matching = "identity"
)

// Identity-matching methods, in the order they are tried, as report.json
// names them ("match": {"method": ...}).
const (
	MethodMemberID     = "exchange_member_id"
	MethodSSNBirthDate = "ssn_birth_date"
	MethodNameBirth    = "name_birth_date"
)

// Rules of the wrong_identifiers findings identity matching makes.
const (
	PolicyIdentifiersRule = "policy-identifiers-differ"
	MemberIdentifiersRule = "member-identifiers-differ"
)

// identityTier is one tier of identity matching: the key two one-sided
// people must share (over lone_people, alias p), when a person has one, and
// what else two people sharing it must pass to be candidates (over
// identity_tier, aliases m and i; empty: nothing).
type identityTier struct{ Method, Label, Key, Known, Compatible string }

var identityTiers = []identityTier{
	// Exchange member IDs are given by the exchange, one per person: the
	// same ID under another policy ID is the same person.
	{Method: MethodMemberID, Label: "the same exchange member ID", Key: "p.mem", Known: "p.mem IS NOT NULL"},
	{Method: MethodSSNBirthDate, Label: "the same SSN and birth date", Key: "p.ssn || '|' || CAST(p.birth_date AS VARCHAR)",
		Known: "p.ssn IS NOT NULL AND p.birth_date IS NOT NULL"},
	// Two people can share a name and a birth date; a mistyped SSN differs
	// from the right one in a digit or two (one wrong, or two adjacent
	// swapped), another person's in most of its nine. Canonical SSNs are
	// nine digits, as hamming needs. Without an SSN on both sides (infants
	// often have none), two namesakes born the same day are told apart by
	// where they live: a mistyped ID does not move a person to another ZIP
	// code (at 10M generated members a side, two such pairs of babies).
	{Method: MethodNameBirth, Label: "the same name and birth date", Key: "p.last_name || '|' || p.first_name || '|' || CAST(p.birth_date AS VARCHAR)",
		Known: "p.last_name IS NOT NULL AND p.first_name IS NOT NULL AND p.birth_date IS NOT NULL",
		Compatible: "CASE WHEN m.ssn IS NOT NULL AND i.ssn IS NOT NULL THEN hamming(m.ssn, i.ssn) <= 2 " +
			"ELSE m.zip IS NULL OR i.zip IS NULL OR m.zip = i.zip END"},
}

// methodLabel is a SQL expression giving the label of the method in expr.
func methodLabel(expr string) string {
	var whens []string
	for _, t := range identityTiers {
		whens = append(whens, "WHEN '"+t.Method+"' THEN '"+t.Label+"'")
	}
	return "CASE " + expr + " " + strings.Join(whens, " ") + " END"
}

func identityData(m Matching) map[string]any {
	tiers := identityTiers
	if m == MatchKeys {
		tiers = nil
	}
	return map[string]any{"Tiers": tiers, "Label": methodLabel, "MemberKeys": MemberKeysTable, "PolicyKeys": PolicyKeysTable,
		"MarketplaceRows": MarketplaceRows.Name, "InsurerRows": InsurerRows.Name, "Raw": RawFindingsTable,
		"PolicyRule": PolicyIdentifiersRule, "MemberRule": MemberIdentifiersRule}
}

// IdentityFindings adds the wrong_identifiers findings of identity matching
// to the raw findings (run after Match, before CollectFindings).
func IdentityFindings(ctx context.Context, db dbexec.DB, m Matching) error {
	return exec(ctx, db, "report identity matches", statements(tmpl.Render("identity_findings", identityData(m))))
}

// Match (re)computes the flags and keys behind the relations rules read,
// pairing on keys and then, with MatchIdentity, by identity. Run on empty
// canonical tables it gives the schema rules compile against.
func Match(ctx context.Context, db dbexec.DB, m Matching) error {
	var stmts []string
	for _, side := range Sides {
		stmts = append(stmts, statements(tmpl.Render("flags.sql", map[string]string{"Side": side, "Canon": load.CanonTable(side),
			"Rows": Rows(side).Name, "MaxMemberRows": strconv.Itoa(MaxMemberRows)}))...)
	}
	type segmented struct{ Name, Rows string }
	stmts = append(stmts, statements(tmpl.Render("keys.sql", map[string]any{
		"MarketplaceCanon": load.CanonTable("marketplace"), "InsurerCanon": load.CanonTable("insurer"), "Rejects": load.RejectsTable,
		"MarketplaceRows": MarketplaceRows.Name, "InsurerRows": InsurerRows.Name,
		"Segmented":   []segmented{{"mk", MarketplaceRows.Name}, {"ik", InsurerRows.Name}},
		"MemberPairs": MemberPairs.Name, "PolicyPairs": PolicyPairs.Name,
		"MemberPairsSelect": pairSelect(false, "m", "i", false), "PolicyPairsSelect": pairSelect(true, "m", "i", false),
	}))...)
	stmts = append(stmts, statements(tmpl.Render("identity.sql", identityData(m)))...)
	return exec(ctx, db, "match records", stmts)
}

// CrowdedMembers says, per side, how many member IDs have more rows than
// the check of overlapping policies looks at (run after Match).
func CrowdedMembers(ctx context.Context, db dbexec.DB) ([]string, error) {
	var warnings []string
	for _, side := range Sides {
		var ids, most int64
		q := fmt.Sprintf("SELECT count(*), coalesce(max(n), 0) FROM repeated_%s WHERE n > %d", side, MaxMemberRows)
		if err := db.QueryRowContext(ctx, q).Scan(&ids, &most); err != nil {
			return nil, fmt.Errorf("count member rows: %w", err)
		}
		if ids > 0 {
			warnings = append(warnings, fmt.Sprintf("%s data: %d member IDs have more than %d rows each (up to %d), too many for one person: "+
				"members on overlapping policies are not looked for among them; check that exchange_member_id is mapped to the exchange's member ID, not a number within the policy",
				side, ids, MaxMemberRows, most))
		}
	}
	return warnings, nil
}

// NothingMatched warns when both sides have records and not one member
// pairs on the keys (identity matches aside): the IDs are most likely not
// comparable, and every record would be a finding. When the member IDs
// match once leading zeros are removed, it says so (a spreadsheet drops
// them). Run after Match; the counts are only made when nothing matched.
func NothingMatched(ctx context.Context, db dbexec.DB) ([]string, error) {
	var keyPairs, mRows, iRows int64
	q := "SELECT (SELECT count(*) FROM " + MemberKeysTable + " WHERE mrow IS NOT NULL AND irow IS NOT NULL) - (SELECT count(*) FROM identity_rows), " +
		"EXISTS (SELECT 1 FROM " + MarketplaceRows.Name + "), EXISTS (SELECT 1 FROM " + InsurerRows.Name + ")"
	var mAny, iAny bool
	if err := db.QueryRowContext(ctx, q).Scan(&keyPairs, &mAny, &iAny); err != nil {
		return nil, fmt.Errorf("count matches: %w", err)
	}
	if keyPairs > 0 || !mAny || !iAny {
		return nil, nil
	}
	q = tmpl.Render("nothing_matched", map[string]string{"MarketplaceRows": MarketplaceRows.Name, "InsurerRows": InsurerRows.Name})
	var ids, zeros int64
	if err := db.QueryRowContext(ctx, q).Scan(&ids, &zeros, &mRows, &iRows); err != nil {
		return nil, fmt.Errorf("count matches: %w", err)
	}
	w := fmt.Sprintf("nothing matched: none of %d insurer member IDs pairs with a marketplace record on policy and member ID (%d marketplace rows, %d insurer rows)", ids, mRows, iRows)
	if zeros > 0 {
		w += fmt.Sprintf("; %d match after removing leading zeros: the file may have lost them in a spreadsheet", zeros)
	} else {
		w += "; check that both files are of the same issuer and period, and that the mappings map the exchange's policy and member IDs"
	}
	return []string{w}, nil
}

// pairSelect is the SELECT of a pair relation (policy grain or member
// grain; sql/pairs.sql). mStruct and iStruct are what it gives as m and i.
// With hits it selects only the pairs in HitsTable, with their item number
// first.
func pairSelect(policy bool, mStruct, iStruct string, hits bool) string {
	keys := MemberKeysTable
	if policy {
		keys = PolicyKeysTable
	}
	mRows, iRows := MarketplaceRows.Name, InsurerRows.Name
	if policy {
		mRows, iRows = "(SELECT * FROM "+mRows+" WHERE is_policy_row)", "(SELECT * FROM "+iRows+" WHERE is_policy_row)"
	}
	hitsTable := ""
	if hits {
		hitsTable = HitsTable
		mRows = "(SELECT * FROM " + mRows + " WHERE row_id IN (SELECT mrow FROM hk))"
		iRows = "(SELECT * FROM " + iRows + " WHERE row_id IN (SELECT irow FROM hk))"
	}
	return tmpl.Render("pairs.sql", map[string]any{"Hits": hitsTable, "Keys": keys, "Policy": policy, "M": mStruct, "I": iStruct,
		"MarketplaceRows": mRows, "InsurerRows": iRows})
}

// PairScan is where the rules of a pair relation are evaluated: the
// conditions see m and i narrowed to the fields they read, and findings are
// built from the hit pairs with the fields findings read. Joining both
// sides' whole rows for every pair would not fit a national extract in
// memory.
func PairScan(rel rules.Relation, conds, all rules.Uses) rules.Scan {
	policy := rel == PolicyPairs
	return rules.Scan{
		All:       pairSelect(policy, narrowStruct("m", conds), narrowStruct("i", conds), false),
		Hits:      pairSelect(policy, narrowStruct("m", all), narrowStruct("i", all), true),
		HitsTable: HitsTable,
	}
}

// narrowStruct is the struct of alias's row with just the columns u reads
// (the whole row when u uses it whole). A side without the record stays
// NULL, as in the full relation.
func narrowStruct(alias string, u rules.Uses) string {
	if u.Whole[alias] {
		return alias
	}
	parts := []string{"'row_id': " + alias + ".row_id"}
	for _, c := range u.Cols[alias] {
		if c != "row_id" {
			parts = append(parts, "'"+c+"': "+alias+"."+c)
		}
	}
	return "CASE WHEN " + alias + ".row_id IS NOT NULL THEN {" + strings.Join(parts, ", ") + "} END"
}

// ProvidedFields returns, per side, the canonical fields that hold at least
// one value. A rule reading a field one side never provides would report
// every record, which says nothing about the enrollments.
func ProvidedFields(ctx context.Context, db dbexec.DB) (map[string]map[string]bool, error) {
	out := map[string]map[string]bool{}
	for _, side := range Sides {
		var counts []string
		for _, f := range canonical.Fields {
			// Stops at the first value: a full count would read every column.
			counts = append(counts, "EXISTS (SELECT 1 FROM "+Rows(side).Name+" WHERE "+f.Name+" IS NOT NULL LIMIT 1)")
		}
		row := db.QueryRowContext(ctx, "SELECT "+strings.Join(counts, ", "))
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

// CreateFindings makes the empty raw findings table rule batches insert
// into, with canonical.FindingColumns.
func CreateFindings(ctx context.Context, db dbexec.DB) error {
	cols := make([]string, len(canonical.FindingColumns))
	for i, c := range canonical.FindingColumns {
		cols[i] = c.Name + " " + c.Type
	}
	q := tmpl.Render("raw", map[string]string{"Raw": RawFindingsTable, "Columns": strings.Join(cols, ", ")})
	return exec(ctx, db, "create findings", statements(q))
}

// CollectFindings makes the findings table from the raw findings.
func CollectFindings(ctx context.Context, db dbexec.DB) error {
	var order []string
	for i, c := range canonical.Categories {
		order = append(order, fmt.Sprintf("WHEN '%s' THEN %d", c, i))
	}
	q := tmpl.Render("collect", map[string]string{"Findings": FindingsTable, "Raw": RawFindingsTable, "CategoryOrder": strings.Join(order, " ")})
	return exec(ctx, db, "collect findings", statements(q))
}

// IntegrityRow is one line of the integrity figures (sql/integrity.sql):
// Grouping is total, issuer or state, Key the issuer or state ("" in
// total, or for records without one); amounts in cents.
type IntegrityRow struct {
	Grouping, Key                                  string
	Policies, PoliciesIntact, People, PeopleIntact int64
	PoliciesRejected, DollarsCents, MonthlyCents   int64
}

// Integrity computes the integrity figures over the live marketplace
// policies in scope, once the findings are collected. breaking lists the
// categories that break a policy's integrity; scope is the rows filter the
// rows views were made with.
func Integrity(ctx context.Context, db dbexec.DB, breaking []string, scope Scope) ([]IntegrityRow, error) {
	cats := make([]string, len(breaking))
	for i, c := range breaking {
		cats[i] = "'" + c + "'"
	}
	data := map[string]string{"MarketplaceRows": MarketplaceRows.Name, "InsurerRows": InsurerRows.Name,
		"MarketplaceCanon": load.CanonTable("marketplace"), "Findings": FindingsTable,
		"Categories": strings.Join(cats, ", "), "Scope": inList(scope.Marketplace)}
	if err := exec(ctx, db, "integrity figures", statements(tmpl.Render("integrity.sql", data))); err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, tmpl.Render("integrity_figures", data))
	if err != nil {
		return nil, fmt.Errorf("integrity figures: %w", err)
	}
	defer rows.Close()
	var out []IntegrityRow
	for rows.Next() {
		var r IntegrityRow
		if err := rows.Scan(&r.Grouping, &r.Key, &r.Policies, &r.PoliciesIntact, &r.People, &r.PeopleIntact,
			&r.PoliciesRejected, &r.DollarsCents, &r.MonthlyCents); err != nil {
			return nil, fmt.Errorf("integrity figures: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("integrity figures: %w", err)
	}
	return out, nil
}

// StateRow is one state's findings (sql/integrity.sql): people touched,
// policies, and the absolute monthly differences in cents.
type StateRow struct {
	State                             string
	Findings, People, Policies, Cents int64
}

// FindingsByState counts the findings per state of their policy; touched
// is the table of the members each finding touches (finding id, policy,
// member).
func FindingsByState(ctx context.Context, db dbexec.DB, touched string) ([]StateRow, error) {
	q := tmpl.Render("findings_by_state", map[string]string{"Findings": FindingsTable, "MarketplaceRows": MarketplaceRows.Name,
		"InsurerRows": InsurerRows.Name, "Touched": touched})
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("findings by state: %w", err)
	}
	defer rows.Close()
	var out []StateRow
	for rows.Next() {
		var r StateRow
		if err := rows.Scan(&r.State, &r.Findings, &r.People, &r.Policies, &r.Cents); err != nil {
			return nil, fmt.Errorf("findings by state: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("findings by state: %w", err)
	}
	return out, nil
}
