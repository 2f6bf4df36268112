package rules

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/enrollaudit/enrollaudit/audit/fileerr"
)

// Queryer is what Check needs of a DuckDB handle (*sql.DB or *sql.Conn).
type Queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// forbiddenFunctions reach outside the data even inside an expression.
var forbiddenFunctions = map[string]bool{"getenv": true, "current_setting": true, "query": true, "query_table": true}

// Check compiles every rule against DuckDB: each expression must parse as
// exactly one SQL expression (no statements, subqueries or table functions)
// and the rule's whole query must bind against the relations the engine
// creates (which must exist, empty, when Check runs). All problems are
// returned together as file:line errors.
func Check(ctx context.Context, db Queryer, set *Set, opts SQLOptions) error {
	var errs fileerr.List
	for _, r := range set.Rules {
		bad := func(key string, err error) {
			errs.Add(r.Source, r.LineOf(key), fmt.Sprintf("rule %s: %s: %s", r.ID, key, duckMessage(err)))
		}
		// Each expression must parse alone, then bind alone against the
		// rule's relation, so an error points at the key that has it; then
		// the whole query binds (message template, fields).
		ok := true
		for _, key := range []string{"when", "amount"} {
			expr := r.When
			if key == "amount" {
				expr = r.Amount
			}
			if expr == "" {
				continue
			}
			bound, err := bindParams(expr, r.Params)
			if err == nil {
				err = checkExpression(ctx, db, bound)
			}
			for _, it := range r.items(nil) {
				if err != nil {
					break
				}
				rel, alias, _ := it.from()
				err = explain(ctx, db, "SELECT ("+bound+"\n) FROM "+rel+" AS "+alias)
			}
			if err != nil {
				bad(key, err)
				ok = false
			}
		}
		if !ok {
			continue
		}
		q, err := r.Query(opts, nil)
		if err == nil {
			err = explain(ctx, db, q)
		}
		if err != nil {
			bad("message", err)
		}
	}
	return errs.Err()
}

// explain binds q without running it.
func explain(ctx context.Context, db Queryer, q string) error {
	rows, err := db.QueryContext(ctx, "EXPLAIN "+q)
	if err != nil {
		return err
	}
	return rows.Close()
}

// checkExpression asks DuckDB's parser whether expr is one plain expression.
func checkExpression(ctx context.Context, db Queryer, expr string) error {
	if strings.Contains(stripStrings(expr), ";") {
		return fmt.Errorf("a rule is one SQL expression; ';' is not allowed")
	}
	rows, err := db.QueryContext(ctx, "SELECT CAST(json_serialize_sql("+quote("SELECT ("+expr+"\n)")+") AS VARCHAR)")
	if err != nil {
		return err
	}
	defer rows.Close()
	var doc string
	if rows.Next() {
		if err := rows.Scan(&doc); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var tree struct {
		Error        bool   `json:"error"`
		ErrorMessage string `json:"error_message"`
		Statements   []struct {
			Node struct {
				Type       string            `json:"type"`
				SelectList []json.RawMessage `json:"select_list"`
				FromTable  struct {
					Type string `json:"type"`
				} `json:"from_table"`
			} `json:"node"`
		} `json:"statements"`
	}
	if err := json.Unmarshal([]byte(doc), &tree); err != nil {
		return fmt.Errorf("parse expression: %w", err)
	}
	if tree.Error {
		return fmt.Errorf("%s", tree.ErrorMessage)
	}
	if len(tree.Statements) != 1 || tree.Statements[0].Node.Type != "SELECT_NODE" ||
		len(tree.Statements[0].Node.SelectList) != 1 || tree.Statements[0].Node.FromTable.Type != "EMPTY" {
		return fmt.Errorf("must be a single SQL expression, not a statement or query")
	}
	var walk func(v any) error
	walk = func(v any) error {
		switch x := v.(type) {
		case map[string]any:
			if x["class"] == "SUBQUERY" || x["type"] == "SUBQUERY" {
				return fmt.Errorf("subqueries are not allowed in rules")
			}
			if x["type"] == "TABLE_FUNCTION" {
				return fmt.Errorf("table functions are not allowed in rules")
			}
			if name, ok := x["function_name"].(string); ok && forbiddenFunctions[strings.ToLower(name)] {
				return fmt.Errorf("function %s is not allowed in rules", name)
			}
			for _, c := range x {
				if err := walk(c); err != nil {
					return err
				}
			}
		case []any:
			for _, c := range x {
				if err := walk(c); err != nil {
					return err
				}
			}
		}
		return nil
	}
	var generic any
	_ = json.Unmarshal([]byte(doc), &generic)
	return walk(generic)
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
