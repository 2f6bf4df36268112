package rules

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/internal/dbexec"
)

// Uses lists the columns read through each row alias (m, i or r); Whole
// marks an alias read as a whole row (m, p.m, r.*, COLUMNS(...)).
type Uses struct {
	Cols  map[string][]string
	Whole map[string]bool
}

func newUses() Uses { return Uses{Cols: map[string][]string{}, Whole: map[string]bool{}} }

func (u Uses) addCol(alias, col string) {
	if !slices.Contains(u.Cols[alias], col) {
		u.Cols[alias] = append(u.Cols[alias], col)
	}
}

func (u Uses) merge(o Uses) {
	for a, cols := range o.Cols {
		for _, c := range cols {
			u.addCol(a, c)
		}
	}
	for a, w := range o.Whole {
		if w {
			u.Whole[a] = true
		}
	}
}

// compiled is what DuckDB's parser says a rule's expressions read. Check
// fills it in; the engine narrows relations and skips rules from it, so the
// run binds exactly what Check bound.
type compiled struct {
	when, amount Uses
	whenFields   []string // canonical fields the condition reads, in the order written
}

// parseTree asks DuckDB's parser (json_serialize_sql) for expr's tree and
// checks it is one plain expression: no statements, subqueries, table
// functions or functions that reach outside the data.
func parseTree(ctx context.Context, db dbexec.DB, expr string) (any, error) {
	if strings.Contains(stripStrings(expr), ";") {
		return nil, fmt.Errorf("a rule is one SQL expression; ';' is not allowed")
	}
	if len(expr) > maxExpressionBytes {
		return nil, fmt.Errorf("expression is %d bytes long; a rule's expression may have at most %d", len(expr), maxExpressionBytes)
	}
	var doc string
	if err := db.QueryRowContext(ctx, "SELECT CAST(json_serialize_sql(CAST(? AS VARCHAR)) AS VARCHAR)", "SELECT ("+expr+"\n)").Scan(&doc); err != nil {
		return nil, err
	}
	var tree struct {
		Error        bool   `json:"error"`
		ErrorMessage string `json:"error_message"`
		Statements   []struct {
			Node struct {
				Type       string `json:"type"`
				SelectList []any  `json:"select_list"`
				FromTable  struct {
					Type string `json:"type"`
				} `json:"from_table"`
			} `json:"node"`
		} `json:"statements"`
	}
	if err := json.Unmarshal([]byte(doc), &tree); err != nil {
		return nil, fmt.Errorf("parse expression: %w", err)
	}
	if tree.Error {
		return nil, fmt.Errorf("%s", tree.ErrorMessage)
	}
	if len(tree.Statements) != 1 || tree.Statements[0].Node.Type != "SELECT_NODE" ||
		len(tree.Statements[0].Node.SelectList) != 1 || tree.Statements[0].Node.FromTable.Type != "EMPTY" {
		return nil, fmt.Errorf("must be a single SQL expression, not a statement or query")
	}
	root := tree.Statements[0].Node.SelectList[0]
	nodes := 0
	var walk func(v any) error
	walk = func(v any) error {
		switch x := v.(type) {
		case map[string]any:
			if nodes++; nodes > maxExpressionNodes {
				return fmt.Errorf("expression has more than %d terms; split the rule", maxExpressionNodes)
			}
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
	if err := walk(root); err != nil {
		return nil, err
	}
	return root, nil
}

// Bounds on a rule's expression: DuckDB binds and optimises an expression
// in time that grows faster than its size, and a generated 50,000-term OR
// would keep validation busy for minutes.
const (
	maxExpressionBytes = 64 << 10
	maxExpressionNodes = 2000
)

// usesOf lists what a parse tree reads of the row aliases. DuckDB
// identifiers are case-insensitive, so names are lowered. In a pair relation
// (alias p) m and i are the sides' rows; in a rows relation (alias r) an
// unqualified canonical field is the row's. A star reads every alias whole.
// Fields come in the order they are written.
func usesOf(tree any, paired bool) (Uses, []string) {
	type ref struct {
		loc   float64
		names []string
	}
	var refs []ref
	u := newUses()
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			switch x["class"] {
			case "COLUMN_REF":
				var names []string
				if ns, ok := x["column_names"].([]any); ok {
					for _, n := range ns {
						s, _ := n.(string)
						names = append(names, strings.ToLower(s))
					}
				}
				loc, _ := x["query_location"].(float64)
				refs = append(refs, ref{loc, names})
			case "STAR":
				for _, a := range []string{"m", "i", "r"} {
					u.Whole[a] = true
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(tree)
	slices.SortStableFunc(refs, func(a, b ref) int { return cmp.Compare(a.loc, b.loc) })
	var fields []string
	for _, rf := range refs {
		alias, names := "", rf.names
		if paired {
			if len(names) > 1 && names[0] == "p" {
				names = names[1:]
			}
			if len(names) == 0 || (names[0] != "m" && names[0] != "i") {
				continue // a pair column or a lambda's parameter
			}
			alias, names = names[0], names[1:]
		} else {
			switch {
			case len(names) > 0 && names[0] == "r":
				alias, names = "r", names[1:]
			case len(names) > 0:
				if _, ok := canonical.Lookup(names[0]); !ok {
					continue
				}
				alias = "r"
			}
		}
		if len(names) == 0 {
			u.Whole[alias] = true
			continue
		}
		u.addCol(alias, names[0])
		if _, ok := canonical.Lookup(names[0]); ok && !slices.Contains(fields, names[0]) {
			fields = append(fields, names[0])
		}
	}
	return u, fields
}
