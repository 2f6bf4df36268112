package rules

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/fileerr"
	"github.com/enrollaudit/enrollaudit/internal/dbexec"
	"github.com/enrollaudit/enrollaudit/internal/sqltext"
)

// forbiddenFunctions reach outside the data even inside an expression.
var forbiddenFunctions = map[string]bool{"getenv": true, "current_setting": true, "query": true, "query_table": true}

// Check compiles every rule against DuckDB: each expression must parse as
// exactly one SQL expression (no statements, subqueries or table functions),
// the condition must be boolean, the amount numeric and free of personal
// fields, and the rule's whole query must bind against the relations the
// engine creates (which must exist, empty, when Check runs). It records
// what each rule reads (from DuckDB's parser), fills in the side-by-side
// fields of rules that name none, and sets the set's Hash. All problems are
// returned together as file:line errors.
func Check(ctx context.Context, db dbexec.DB, set *Set, opts SQLOptions, schema Schema) error {
	return check(ctx, db, set, opts, schema, false)
}

// CheckForRun is Check as an audit needs it: the default pack's rules as
// shipped are only parsed (what they read), not bound and tried on sample
// rows again, which TestDefaultRulesCompile does for the build: that took
// most of a run's start (0.7 s). User rules, and pack rules with an
// overridden parameter, get every check.
func CheckForRun(ctx context.Context, db dbexec.DB, set *Set, opts SQLOptions, schema Schema) error {
	return check(ctx, db, set, opts, schema, true)
}

func check(ctx context.Context, db dbexec.DB, set *Set, opts SQLOptions, schema Schema, trustShipped bool) error {
	var errs fileerr.List
	samples := map[Relation]string{}
	for _, r := range set.Rules {
		if err := ctx.Err(); err != nil {
			return err // not one error per rule
		}
		bad := func(key string, err error) {
			errs.Add(r.Source, r.LineOf(key), fmt.Sprintf("rule %s: %s: %s", r.ID, key, duckMessage(err)))
		}
		// Each expression must parse alone, then bind alone against the
		// rule's relation, so an error points at the key that has it; then
		// the whole query binds (message template, fields).
		if err := r.compile(ctx, db); err != nil {
			bad(err.key, err.err)
			continue
		}
		if trustShipped && r.shipped {
			continue
		}
		ok := true
		for _, key := range []string{"when", "amount"} {
			if err := r.checkType(ctx, db, schema, key); err != nil {
				bad(key, err)
				ok = false
			}
		}
		if !ok {
			continue
		}
		if key, err := r.trySample(ctx, db, schema, samples, opts); err != nil {
			bad(key, err)
			continue
		}
		if err := r.bind(ctx, db, schema, opts); err != nil {
			bad("message", err)
		}
	}
	set.Hash = hashRules(set)
	return errs.Err()
}

type keyError struct {
	key string
	err error
}

// compile parses the rule's expressions with DuckDB's parser and records
// what they read. An amount is shown in every report, so it may not read
// personal fields or whole rows.
func (r *Rule) compile(ctx context.Context, db dbexec.DB) *keyError {
	c := &compiled{amount: newUses()}
	for _, key := range []string{"when", "amount"} {
		expr := r.expr(key)
		if expr == "" {
			continue
		}
		bound, err := bindParams(expr, r.Params)
		var tree any
		if err == nil {
			tree, err = parseTree(ctx, db, bound)
		}
		if err != nil {
			return &keyError{key, err}
		}
		uses, fields := usesOf(tree, r.AppliesTo.Paired())
		if key == "when" {
			c.when, c.whenFields = uses, fields
			continue
		}
		c.amount = uses
		for alias, whole := range uses.Whole {
			if whole {
				return &keyError{key, fmt.Errorf("an amount reads single fields, not the whole row %s", alias)}
			}
		}
		for _, cols := range uses.Cols {
			for _, col := range cols {
				if f, ok := canonical.Lookup(col); ok && f.Personal {
					return &keyError{key, fmt.Errorf("an amount may not read personal data (%s)", col)}
				}
			}
		}
	}
	r.compiled = c
	if len(r.Fields) == 0 {
		r.Fields = c.whenFields
	}
	return nil
}

// expr returns the rule's when or amount expression.
func (r *Rule) expr(key string) string {
	if key == "amount" {
		return r.Amount
	}
	return r.When
}

// checkType binds the rule's when or amount against each relation it reads
// and checks its type: a condition is boolean, an amount a number.
func (r *Rule) checkType(ctx context.Context, db dbexec.DB, schema Schema, key string) error {
	expr := r.expr(key)
	if expr == "" {
		return nil
	}
	bound, err := bindParams(expr, r.Params)
	if err != nil {
		return err
	}
	for _, it := range r.Items(schema, nil) {
		var name, typ string
		var null, keyCol, def, extra sql.NullString
		row := db.QueryRowContext(ctx, "DESCRIBE SELECT ("+bound+"\n) AS v FROM "+it.Rel.Name+" AS "+it.Rel.Alias)
		if err := row.Scan(&name, &typ, &null, &keyCol, &def, &extra); err != nil {
			return err
		}
		switch {
		case key == "when" && typ != "BOOLEAN":
			return fmt.Errorf("must be true or false (a SQL boolean expression), not %s", typ)
		case key == "amount" && !numericType(typ):
			return fmt.Errorf("must be a number of dollars, not %s", typ)
		}
	}
	return nil
}

func numericType(typ string) bool {
	base, _, _ := strings.Cut(typ, "(")
	return slices.Contains([]string{"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
		"UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL"}, base)
}

// bind binds the statements that will evaluate the rule, without running
// them: its query alone, and its batch as the engine runs it.
func (r *Rule) bind(ctx context.Context, db dbexec.DB, schema Schema, opts SQLOptions) error {
	q, err := r.Query(opts, schema, nil)
	if err != nil {
		return err
	}
	if err := explain(ctx, db, q); err != nil {
		return err
	}
	if schema.Statements == nil {
		return nil
	}
	for _, it := range r.Items(schema, nil) {
		stmts, err := schema.Statements(opts, []Item{it})
		if err != nil {
			return err
		}
		for _, s := range stmts {
			if err := explain(ctx, db, s); err != nil {
				return err
			}
		}
	}
	return nil
}

// explain binds q without running it.
func explain(ctx context.Context, db dbexec.DB, q string) error {
	rows, err := db.QueryContext(ctx, "EXPLAIN "+q)
	if err != nil {
		return err
	}
	return rows.Close()
}

// duckMessage keeps the first paragraph of a DuckDB error: the rest repeats
// the generated query, which means nothing to the rule's author.
func duckMessage(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "\n\nLINE "); i >= 0 {
		msg = msg[:i]
	}
	if i := strings.Index(msg, "\n\n"); i >= 0 {
		msg = msg[:i]
	}
	return strings.TrimSpace(msg)
}

// trySample evaluates the rule's condition, amount and finding on a typical
// row of each relation it reads, so a rule that cannot run (error(), a cast
// that fails on ordinary values) fails here, before any data is read,
// rather than halfway through an audit. It returns the key at fault.
func (r *Rule) trySample(ctx context.Context, db dbexec.DB, schema Schema, samples map[Relation]string, opts SQLOptions) (string, error) {
	for _, it := range r.Items(schema, nil) {
		sample, ok := samples[it.Rel]
		if !ok {
			var err error
			if sample, err = sampleSQL(ctx, db, it.Rel, schema); err != nil {
				return "when", fmt.Errorf("build a sample row: %w", err)
			}
			samples[it.Rel] = sample
		}
		for _, key := range []string{"when", "amount"} {
			if r.expr(key) == "" {
				continue
			}
			bound, err := bindParams(r.expr(key), r.Params)
			if err == nil {
				err = run(ctx, db, "SELECT ("+bound+"\n) FROM ("+sample+") AS "+it.Rel.Alias)
			}
			if err != nil {
				return key, fmt.Errorf("fails on a sample row: %s", duckMessage(err))
			}
		}
		_, val, err := it.finding(opts)
		if err == nil {
			err = run(ctx, db, "SELECT "+val+" FROM ("+sample+") AS "+it.Rel.Alias)
		}
		if err != nil {
			return "message", fmt.Errorf("fails on a sample row: %s", duckMessage(err))
		}
	}
	return "", nil
}

// run executes q and reads its rows, so errors in evaluation surface.
func run(ctx context.Context, db dbexec.DB, q string) error {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

// sampleText holds typical values of the text fields, so that a rule doing
// ordinary things with them (a zip code cast to a number) runs on a sample.
var sampleText = map[string]string{
	"issuer_hios_id": "12345", "exchange_policy_id": "1000000001", "exchange_subscriber_id": "2000000001",
	"exchange_member_id": "2000000001", "issuer_policy_id": "P1000001", "issuer_member_id": "M1000001",
	"relationship_code": "18", "first_name": "Ann", "last_name": "Doe", "ssn": "123456789", "state": "VA",
	"zip": "22030", "rating_area": "R-VA001", "qhp_id": "12345VA001000101", "source_file": "sample.csv",
	"birth_date": "1980-05-05", "coverage_year": "2026",
}

var enumFirst = regexp.MustCompile(`^ENUM\('((?:[^']|'')*)'`)

// sampleSQL returns a SELECT of one typical row with rel's columns and
// types: a pair relation's sides are both the same typical row of the
// marketplace's rows.
func sampleSQL(ctx context.Context, db dbexec.DB, rel Relation, schema Schema) (string, error) {
	rows, err := db.QueryContext(ctx, "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "+rel.Name+")")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var parts []string
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return "", err
		}
		if rel.Paired && (name == "m" || name == "i") {
			parts = append(parts, "s AS "+name)
			continue
		}
		v, ok := sampleText[name]
		switch {
		case ok:
		case name == "duplicate_of" || name == "overlapping_policy_id" || name == canonical.UnreadableFieldsColumn:
			parts = append(parts, "CAST(NULL AS "+typ+") AS "+name)
			continue
		case typ == "DATE":
			v = "2026-01-01"
		case strings.HasPrefix(typ, "DECIMAL"), typ == "DOUBLE":
			v = "100.00"
		case typ == "BOOLEAN":
			v = "true"
		case strings.HasPrefix(typ, "ENUM("):
			m := enumFirst.FindStringSubmatch(typ)
			if m == nil {
				return "", fmt.Errorf("column %s: type %s", name, typ)
			}
			v = strings.ReplaceAll(m[1], "''", "'")
			if name == "effectuation_status" {
				v = "effectuated"
			}
		case strings.Contains(typ, "INT"):
			v = "1"
		default:
			v = "x"
		}
		parts = append(parts, "CAST("+sqltext.Literal(v)+" AS "+typ+") AS "+name)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	q := "SELECT " + strings.Join(parts, ", ")
	if rel.Paired {
		side, err := sampleSQL(ctx, db, schema.MarketplaceRows, schema)
		if err != nil {
			return "", err
		}
		q += " FROM (" + side + ") AS s"
	}
	return q, nil
}
