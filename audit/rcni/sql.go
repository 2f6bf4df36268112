package rcni

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/internal/sqltext"
)

// DetailsSQL returns a query of the detail records among lines, a relation
// of the file's lines in order, one a row as LineReader returns them
// (column l; NULL for an empty line). It gives one row a detail record, in
// order (the lines Classify calls Detail), with the canonical text of each
// field read in columns c0, c1, ... named by fields: what Read passes on as
// a record's values.
func DetailsSQL(lines string) (query string, fields []string) {
	positions := make([]string, len(columns))
	byPos := map[int]string{}
	for i, c := range columns {
		x := fmt.Sprintf("s[%d]", c.pos+1)
		if c.convert != asSent || c.field == "state" || i == ratingAreaColumn {
			// Converted here: trimmed first. Other values are trimmed by
			// the normaliser, as every format's.
			x = "trim(" + x + ")"
		}
		positions[i] = fmt.Sprintf("%s AS f%d", x, c.pos)
		byPos[c.pos] = "f" + strconv.Itoa(c.pos)
	}
	exprs := make([]string, len(columns))
	fields = make([]string, len(columns))
	for i, c := range columns {
		x := c.convert.sql(byPos[c.pos])
		if i == ratingAreaColumn {
			x = ratingAreaSQL(x, byPos[stateColumn().pos])
		}
		exprs[i] = fmt.Sprintf("%s AS c%d", x, i)
		fields[i] = c.field
	}
	// Lines too long to be a record are left out before they are split.
	// White space is trimmed as strings.TrimSpace trims it. A plain line
	// (ASCII, no white space but the space) has only spaces to trim, which
	// trim() does; in the others (few) every character TrimSpace trims is
	// removed around each separator and at the ends before the line is
	// split (trim() with those characters costs 7 times as much as trim(),
	// a CASE between two lists as much again).
	query = fmt.Sprintf(`SELECT %s FROM (SELECT %s FROM (
		  SELECT string_split(CASE WHEN strlen(l) = length(l) AND NOT (%s) THEN l
		    ELSE trim(regexp_replace(l, '%s*\|%s*', '|', 'g'), %s) END, '|') AS s
		  FROM %s WHERE strlen(l) <= %d)
		WHERE len(s) >= %d AND trim(s[1]) = '01')`,
		strings.Join(exprs, ", "), strings.Join(positions, ", "), asciiSpaceSQL("l"), spaceClass, spaceClass, sqltext.Literal(spaces), lines, MaxLine, minFields)
	return query, fields
}

// spaceClass is a regular expression's class of the characters in spaces.
var spaceClass = func() string {
	var b strings.Builder
	b.WriteString("[")
	for _, r := range spaces {
		fmt.Fprintf(&b, `\x{%x}`, r)
	}
	b.WriteString("]")
	return b.String()
}()

// asciiSpaceSQL tests whether x holds a tab, line feed, vertical tab, form
// feed or carriage return.
func asciiSpaceSQL(x string) string {
	var tests []string
	for c := '\t'; c <= '\r'; c++ {
		tests = append(tests, fmt.Sprintf("contains(%s, chr(%d))", x, c))
	}
	return strings.Join(tests, " OR ")
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

// sql is apply of the trimmed text x, in SQL.
func (c conversion) sql(x string) string {
	switch c {
	case date:
		iso := fmt.Sprintf("left(%[1]s, 4) || '-' || substr(%[1]s, 5, 2) || '-' || right(%[1]s, 2)", x)
		// GLOB costs less than a regular expression.
		return fmt.Sprintf("CASE WHEN strlen(%[1]s) = 8 AND NOT %[1]s GLOB '*[!0-9]*' AND TRY_CAST(%[2]s AS DATE) IS NOT NULL THEN %[2]s ELSE %[1]s END", x, iso)
	case status:
		var b strings.Builder
		b.WriteString("CASE " + x)
		for _, code := range []string{"Y", "N", "C"} {
			fmt.Fprintf(&b, " WHEN '%s' THEN '%s'", code, statuses[code])
		}
		b.WriteString(" ELSE " + x + " END")
		return b.String()
	}
	return x
}

// ratingAreaSQL is canonical.RatingArea of the text v and the state, in
// SQL: the same regular expression (canonical.ShortRatingArea), the same
// completion.
func ratingAreaSQL(v, state string) string {
	re := sqltext.Literal(canonical.ShortRatingArea)
	st := fmt.Sprintf("coalesce(nullif(regexp_extract(%s, %s, 1), ''), %s)", v, re, state)
	// One WHEN at a time: the usual form stops most values at the first.
	return fmt.Sprintf(`CASE WHEN strlen(%[1]s) = 7 AND starts_with(%[1]s, 'R-') THEN %[1]s WHEN %[1]s = '' THEN %[1]s
		WHEN NOT regexp_full_match(%[1]s, %[2]s) THEN %[1]s
		WHEN strlen(%[3]s) = 2 THEN 'R-' || upper(%[3]s) || lpad(regexp_extract(%[1]s, %[2]s, 2), 3, '0')
		ELSE %[1]s END`, v, re, st)
}
