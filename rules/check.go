package rules

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/fileerr"
)

// Queryer is what Check needs of a DuckDB handle (*sql.DB or *sql.Conn).
type Queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

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
func Check(ctx context.Context, db Queryer, set *Set, opts SQLOptions, schema Schema) error {
	var errs fileerr.List
	for _, r := range set.Rules {
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
		q, err := r.Query(opts, schema, nil)
		if err == nil {
			err = explain(ctx, db, q)
		}
		if err != nil {
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
func (r *Rule) compile(ctx context.Context, db Queryer) *keyError {
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
func (r *Rule) checkType(ctx context.Context, db Queryer, schema Schema, key string) error {
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

// explain binds q without running it.
func explain(ctx context.Context, db Queryer, q string) error {
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
