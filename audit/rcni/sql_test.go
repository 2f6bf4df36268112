package rcni

import (
	"database/sql"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/enrollaudit/enrollaudit/internal/sqltext"
)

// TestConversionsSQL: each conversion's SQL form gives what its Go form
// (apply, canonical.RatingArea) gives, on a table of values, run through
// DetailsSQL as the fields of a line, once the normaliser has trimmed
// spaces and upper-cased rating areas.
func TestConversionsSQL(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	values := []string{
		"", " ", "20200101", "20200230", "20000229", "19000229", "00000229", "00000101", "99991231", "2020010",
		"202001011", "+2020010", "2020011.", "2020011T", "2020-1-1", "2020 101", "２０２００１０１", "20201301", "20200100", " 20200101 ",
		"\t20200101\u00a0", "\t \u00a0", "Y", "N", "C", "y", "E", " C ", "\u3000N\u2028", "\u200bY",
		"4", "12", "123", "1234", "R-4", "R-NY4", "RNY4", "ny4", "NJ010", "R-NJ001", "R-ABCDE", "Area 4", "R-ME1234",
		"\v4\f", " 4 ", "Zoë", "Ñúñez\u0085", "a|b",
	}
	states := []string{"", "ny", "N", "NYC", "é", " me ", "\tVA"}
	type row struct {
		pos      int
		v, state string
	}
	var rows []row
	for _, c := range columns {
		for _, v := range values {
			if strings.Contains(v, "|") {
				continue
			}
			rows = append(rows, row{c.pos, v, "ME"})
		}
	}
	for _, v := range values {
		for _, st := range states {
			if !strings.Contains(v, "|") {
				rows = append(rows, row{33, v, st})
			}
		}
	}
	var lines, literals []string
	for _, r := range rows {
		fields := make([]string, minFields)
		fields[0] = "01"
		fields[25] = r.state
		fields[r.pos] = r.v
		lines = append(lines, strings.Join(fields, "|"))
		values := make([]string, len(fields))
		for i, f := range fields {
			values[i] = sqltext.Literal(f)
		}
		literals = append(literals, "("+strings.Join(values, ", ")+")")
	}
	names := make([]string, minFields)
	for i := range names {
		names[i] = FieldColumn(i)
	}
	q, fields := DetailsSQL("(VALUES " + strings.Join(literals, ", ") + ") AS t(" + strings.Join(names, ", ") + ")")
	res, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	got := make([]sql.NullString, len(fields))
	ptrs := make([]any, len(fields))
	for i := range got {
		ptrs[i] = &got[i]
	}
	n := 0
	for i := 0; res.Next(); i++ {
		n++
		if err := res.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var it item
		parseLine(&it, "x", 1, lines[i], false, nil)
		for j, c := range columns {
			want := it.rec.Values[fieldIndex[j]]
			// Spaces are left to the normaliser, which trims them, and
			// rating areas are upper-cased there.
			got[j].String = trim(got[j].String)
			if j == ratingAreaColumn {
				got[j].String, want = strings.ToUpper(got[j].String), strings.ToUpper(want)
			}
			if got[j].String != want {
				t.Errorf("%s of %q (state %q): SQL %q, Go %q", c.field, rows[i].v, rows[i].state, got[j].String, want)
			}
		}
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(lines) {
		t.Errorf("%d rows, want %d", n, len(lines))
	}
}
