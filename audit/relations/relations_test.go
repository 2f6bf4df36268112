package relations

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/rules"
)

// TestSchema: the empty schema is created from the SQL files, and each
// relation has the columns rules are told about.
func TestSchema(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := Create(ctx, conn); err != nil {
		t.Fatal(err)
	}
	if err := CreateFindings(ctx, conn); err != nil {
		t.Fatal(err)
	}
	if err := CollectFindings(ctx, conn); err != nil {
		t.Fatal(err)
	}
	columns := func(rel string) []string {
		rows, err := conn.QueryContext(ctx, "SELECT column_name FROM (DESCRIBE SELECT * FROM "+rel+")")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				t.Fatal(err)
			}
			out = append(out, c)
		}
		return out
	}
	pairs := []string{"pair_id", "exchange_policy_id", "exchange_member_id", "issuer_hios_id", "segment", "in_marketplace", "in_insurer",
		"marketplace_has_policy", "insurer_has_policy", "marketplace_has_member", "insurer_has_member", "m", "i"}
	rowCols := append(append([]string{"row_id"}, canonical.Names()...), "source_file", "source_line", "occurrence", "duplicate_of", "overlapping_policy_id", "is_policy_row", canonical.UnreadableFieldsColumn)
	var findingCols []string
	for _, c := range canonical.FindingColumns {
		findingCols = append(findingCols, c.Name)
	}
	for rel, want := range map[string][]string{
		MemberPairs.Name: pairs, PolicyPairs.Name: pairs, MarketplaceRows.Name: rowCols, InsurerRows.Name: rowCols,
		RawFindingsTable: findingCols, FindingsTable: append([]string{"id", "category_order"}, findingCols...),
	} {
		if got := columns(rel); !slices.Equal(got, want) {
			t.Errorf("%s columns\n got %v\nwant %v", rel, got, want)
		}
	}
}

// TestPairScanNarrows: the condition pass carries only what conditions read.
func TestPairScanNarrows(t *testing.T) {
	conds := rulesUses(map[string][]string{"m": {"qhp_id"}, "i": {"qhp_id"}})
	scan := PairScan(MemberPairs, conds, rulesUses(map[string][]string{"m": {"qhp_id", "first_name"}}))
	if !contains(scan.All, "'qhp_id': m.qhp_id") || contains(scan.All, "first_name") {
		t.Errorf("condition scan: %s", scan.All)
	}
	if !contains(scan.Hits, "'first_name': m.first_name") || !contains(scan.Hits, HitsTable) {
		t.Errorf("findings scan: %s", scan.Hits)
	}
}

func rulesUses(cols map[string][]string) rules.Uses {
	return rules.Uses{Cols: cols, Whole: map[string]bool{}}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
