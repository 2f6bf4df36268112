package rcni

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/internal/sqltext"
)

// ReadFields is how many fields of a line the reader gives DetailsSQL: those
// up to the last one read. The agent/broker fields after them are not read.
const ReadFields = minFields

// FieldColumn names the reader's column of field i (0-based): f0, f1, ...
func FieldColumn(i int) string { return "f" + strconv.Itoa(i) }

// DetailsSQL returns a query of the detail records of lines, a relation of
// the file's lines in order, split at "|" by DuckDB's CSV reader: one row a
// line, with columns FieldColumn(0) to FieldColumn(ReadFields-1), NULL past
// the line's last field and "" for an empty one. It gives one row a detail
// record (the lines Classify calls Detail), in order, with the text of each
// field read in columns c0, c1, ... named by fields: what Read passes on as
// a record's values, less the spaces around them, which the normaliser
// trims.
//
// Only the status and the rating area are converted here: the normaliser
// reads the rest as it reads a CSV file's, CCYYMMDD dates included. Each
// conversion takes the value as it comes first (nearly all are plain), and
// trims only the others: trimming every field cost as much as the whole
// load of a CSV file.
func DetailsSQL(lines string) (query string, fields []string) {
	state := FieldColumn(stateColumn().pos)
	exprs := make([]string, len(columns))
	fields = make([]string, len(columns))
	for i, c := range columns {
		x := c.convert.sql(FieldColumn(c.pos))
		if i == ratingAreaColumn {
			x = ratingAreaSQL(FieldColumn(c.pos), state)
		}
		exprs[i] = fmt.Sprintf("%s AS c%d", x, i)
		fields[i] = c.field
	}
	// A line has at least minFields fields when its last one read is not
	// NULL; its type is trimmed as Classify trims it, when it is not "01"
	// as it stands.
	first := FieldColumn(0)
	query = fmt.Sprintf(`SELECT %s FROM %s
		WHERE %s IS NOT NULL AND (%s = '01' OR trim(%s, %s) = '01')`,
		strings.Join(exprs, ", "), lines, FieldColumn(minFields-1), first, first, sqltext.Literal(spaces))
	return query, fields
}

func stateColumn() column {
	for _, c := range columns {
		if c.field == "state" {
			return c
		}
	}
	panic("rcni: no state column")
}

// spaces are the characters strings.TrimSpace trims.
var spaces = func() string {
	var b strings.Builder
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if unicode.IsSpace(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}()

// sql is apply of the text x, in SQL. A value it does not convert is left
// as it is, spaces and all.
func (c conversion) sql(x string) string {
	if c != status {
		return x
	}
	codes := func(x, otherwise string) string {
		var b strings.Builder
		b.WriteString("CASE " + x)
		for _, code := range []string{"Y", "N", "C"} {
			fmt.Fprintf(&b, " WHEN '%s' THEN '%s'", code, statuses[code])
		}
		b.WriteString(" ELSE " + otherwise + " END")
		return b.String()
	}
	return codes(x, codes(trimSQL(x), x))
}

// trimSQL is trim in SQL: the normaliser's trimming (cleanSQL in
// audit/load).
func trimSQL(x string) string {
	return fmt.Sprintf("CASE WHEN %[1]s LIKE ' %%' OR %[1]s LIKE '%% ' THEN trim(%[1]s) ELSE %[1]s END", x)
}

// ratingAreaSQL is canonical.RatingArea of the rating area v and the state,
// both trimmed (trimSQL), in SQL: the same regular expression
// (canonical.ShortRatingArea), the same completion. A value already in the
// usual form (R-SS999) is kept as it is.
func ratingAreaSQL(v, state string) string {
	re := sqltext.Literal(canonical.ShortRatingArea)
	tv, ts := trimSQL(v), trimSQL(state)
	st := fmt.Sprintf("coalesce(nullif(regexp_extract(%s, %s, 1), ''), %s)", tv, re, ts)
	// One WHEN at a time: the usual form stops most values at the first.
	return fmt.Sprintf(`CASE WHEN strlen(%[1]s) = 7 AND starts_with(%[1]s, 'R-') AND right(%[1]s, 1) <> ' ' THEN %[1]s
		WHEN NOT regexp_full_match(%[2]s, %[3]s) THEN %[1]s
		WHEN strlen(%[4]s) = 2 THEN 'R-' || upper(%[4]s) || lpad(regexp_extract(%[2]s, %[3]s, 2), 3, '0')
		ELSE %[1]s END`, v, tv, re, st)
}
