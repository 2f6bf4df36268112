package load

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/internal/sqltext"
)

// Relation is a reader's view of its file for the normaliser: a FROM-able
// SQL relation whose column Columns[i] holds the source header Headers[i].
type Relation struct {
	SQL     string
	Columns []string // SQL identifiers, already quoted where needed
	Headers []string
	Line    string // SQL expression for the row's source line (or record) number
	// FirstLine, when Line is empty, numbers rows by their order in the file:
	// the first row gets FirstLine (2 after a header line, 1 for records).
	// DuckDB keeps insertion order while loading, so the numbers come from
	// row ids (Target.lineSQL, SourceSQL); a row_number() window would hold
	// the whole parallel scan to one thread.
	FirstLine int64
	// ExcelEpoch is day 0 of the workbook's serial dates (XLSX: 1900 or
	// 1904 date system); "" for text formats, which may still hold a
	// serial now and then, read in the 1900 system.
	ExcelEpoch string
	// FileID, when set, is the SQL expression of each row's file_id, for a
	// relation holding several files' rows (an extract); otherwise every
	// row is the Target's file.
	FileID string
}

// Insert normalises rel into the side's canonical table. Headers are matched
// to canonical fields through the mapping (or by name without one).
func (t *Target) Insert(ctx context.Context, rel Relation) error {
	cols, err := t.src.Mapping.Resolve(rel.Headers, t.src.Path)
	if err != nil {
		return err
	}
	colOf := map[string]string{}
	for i, h := range rel.Headers {
		if _, dup := colOf[h]; !dup {
			colOf[h] = rel.Columns[i]
		}
	}
	dupHeaders := duplicates(rel.Headers)
	for field, h := range cols {
		if dupHeaders[h] {
			return fmt.Errorf("%s: header %q (for %s) appears more than once; rename one of them or map another header", t.src.Path, h, field)
		}
	}
	line := rel.Line
	if line == "" {
		line = "CAST(NULL AS BIGINT)"
	}
	fileID := strconv.FormatInt(t.fileID, 10)
	if rel.FileID != "" {
		fileID = rel.FileID
	}
	q := normaliseSQL(t, rel, line, fileID, cols, colOf)
	if _, err := t.Conn.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("load %s: %w", t.src.Path, err)
	}
	if rel.Line == "" {
		t.firstLine = rel.FirstLine
		return t.numberLines(ctx)
	}
	return nil
}

// numberLines fixes the lines of rows numbered by their order in the file:
// they went in in that order, with consecutive rowids, so the first one's
// rowid gives every line. Rows get their rowids when the insert commits.
func (t *Target) numberLines(ctx context.Context) error {
	q := fmt.Sprintf(`UPDATE %s SET line_offset = ? - (SELECT min(rowid) FROM %s WHERE file_id = ?) WHERE id = ? RETURNING line_offset`,
		FilesTable, CanonTable(t.src.Side))
	if err := t.Conn.QueryRowContext(ctx, q, t.firstLine, t.fileID, t.fileID).Scan(&t.lineOffset); err != nil {
		return fmt.Errorf("number lines of %s: %w", t.src.Path, err)
	}
	return nil
}

func duplicates(hs []string) map[string]bool {
	seen := map[string]bool{}
	dup := map[string]bool{}
	for _, h := range hs {
		if seen[h] {
			dup[h] = true
		}
		seen[h] = true
	}
	return dup
}

func normaliseSQL(t *Target, rel Relation, line, fileID string, cols map[string]string, colOf map[string]string) string {
	m := t.src.Mapping
	var text, typed, final, problemConds, problems, rejectConds, rejects []string
	for _, f := range canonical.Fields {
		x := "NULL"
		if h, ok := cols[f.Name]; ok {
			x = cleanSQL(colOf[h], f, m.Nulls(), m.ValuesOf(f.Name))
			if slices.Contains(canonical.Required, f.Name) {
				// The text as given, for the reject of a key read as empty.
				text = append(text, "CAST("+colOf[h]+" AS VARCHAR) AS r_"+f.Name)
			}
		} else if slices.Contains(canonical.Required, f.Name) {
			text = append(text, "NULL AS r_"+f.Name)
		}
		text = append(text, x+" AS x_"+f.Name)
	}
	var dateFmt string
	if m != nil {
		dateFmt = m.DateFormat
	}
	epoch := rel.ExcelEpoch
	if epoch == "" {
		epoch = excelEpoch1900
	}
	for _, f := range canonical.Fields {
		expr, reason := typedSQL("x_"+f.Name, f, dateFmt, epoch, rel.ExcelEpoch != "", m.DecimalComma())
		typed = append(typed, expr+" AS "+f.Name)
		out := f.Name
		if reason == "" {
			final = append(final, out)
			continue
		}
		cond := fmt.Sprintf("x_%s IS NOT NULL AND %s IS NULL", f.Name, f.Name)
		if f.Name == "ssn" {
			cond += " AND NOT regexp_full_match(x_ssn, '[*Xx#]{3}-?[*Xx#]{2}-?[0-9]{4}|[*Xx#]{5}[0-9]{4}')"
		}
		if f.Kind == canonical.Date {
			// A date that parses but lies outside the plausible window is
			// a pattern that does not fit the data (two-digit years read
			// with %Y give year 26), not a date to compare.
			plausible := plausibleSQL(f.Name)
			out = fmt.Sprintf("CASE WHEN %s THEN %s END AS %s", plausible, f.Name, f.Name)
			cond = fmt.Sprintf("x_%s IS NOT NULL AND (%s IS NULL OR NOT %s)", f.Name, f.Name, plausible)
			reason = fmt.Sprintf("CASE WHEN %s IS NULL THEN %s ELSE %s END", f.Name, reason, sqltext.Literal(implausibleDate(dateFmt)))
		}
		if f.Name == "coverage_year" {
			// Without a year of its own, a row's year is its (plausible)
			// benefit start's, derived from the value already parsed.
			out = "coalesce(coverage_year, CAST(year(CASE WHEN " + plausibleSQL("benefit_start") + " THEN benefit_start END) AS INTEGER)) AS coverage_year"
		}
		final = append(final, out)
		problemConds = append(problemConds, "("+cond+")")
		problems = append(problems, fmt.Sprintf("CASE WHEN %s THEN {'field': '%s', 'value': x_%s, 'reason': %s} END",
			cond, f.Name, f.Name, reason))
	}
	for _, req := range canonical.Required {
		rejectConds = append(rejectConds, req+" IS NULL")
		rejects = append(rejects, fmt.Sprintf("CASE WHEN %s IS NULL THEN {'field': '%s', 'value': nullif(trim(r_%s), ''), 'reason': 'required to match records, but empty'} END", req, req, req))
	}
	return fmt.Sprintf(`INSERT INTO %s BY NAME
SELECT %s, __file AS file_id, __line AS source_line,
  -- The lists are built only for rows that need one.
  CASE WHEN %s THEN list_filter([%s], e -> e IS NOT NULL) END AS reject_reasons,
  CASE WHEN %s THEN list_filter([%s], e -> e IS NOT NULL) END AS field_problems
FROM (SELECT *, %s FROM (SELECT %s AS __file, %s AS __line, %s FROM %s))`,
		CanonTable(t.src.Side), strings.Join(final, ", "),
		strings.Join(rejectConds, " OR "), strings.Join(rejects, ", "),
		strings.Join(problemConds, " OR "), strings.Join(problems, ", "),
		strings.Join(typed, ", "), fileID, line, strings.Join(text, ", "), rel.SQL)
}

// Dates before earliestDate, or more than two years ahead of the run (other
// than 9999-12-31, "no end"), are field problems: no enrollment or birth
// date lies there, and such years come from a pattern that does not fit.
const earliestDate = "1900-01-01"

// plausibleSQL tests the parsed date column d.
func plausibleSQL(d string) string {
	return fmt.Sprintf("(%s BETWEEN DATE '%s' AND DATE '%s' OR %s = DATE '9999-12-31')", d, earliestDate, latestDate(), d)
}

func latestDate() string { return time.Now().UTC().AddDate(2, 0, 0).Format("2006-01-02") }

func implausibleDate(dateFmt string) string {
	msg := "implausible date (before 1900 or more than 2 years ahead)"
	switch {
	case strings.Contains(dateFmt, "%Y"):
		return msg + ": the date pattern " + dateFmt + " does not fit this value (two-digit years need %y)"
	case dateFmt != "":
		return msg + ": the date pattern " + dateFmt + " does not fit this value"
	}
	return msg + ": no accepted date form fits this value (give formats: date: in a mapping file, e.g. %m/%d/%y for two-digit years)"
}

// cleanSQL trims a source value to NULL-when-empty text, applies the
// mapping's values: translation and reads the null markers as empty; names
// also get inner runs of space collapsed, since they are compared that way.
func cleanSQL(col string, f canonical.Field, nulls []string, values map[string]string) string {
	c := "CAST(" + col + " AS VARCHAR)"
	// A value translated under values: is not a null marker.
	var markers []string
	longest := 0
	for _, n := range nulls {
		if _, translated := values[n]; !translated {
			markers = append(markers, sqltext.Literal(n))
			longest = max(longest, len(n))
		}
	}
	trimmed, plain := "nullif(trim("+c+"), '')", "nullif("+c+", '')"
	if len(markers) > 0 {
		// strlen is the stored length: only values as short as a marker
		// are compared with the markers.
		in := strings.Join(markers, ", ")
		trimmed = "CASE WHEN trim(" + c + ") IN (" + in + ") THEN NULL ELSE " + trimmed + " END"
		plain = fmt.Sprintf("CASE WHEN strlen(%s) <= %d AND %s IN (%s) THEN NULL ELSE %s END", c, longest, c, in, plain)
	}
	// Most values have no space to trim; testing the ends first is cheaper.
	v := "CASE WHEN " + c + " LIKE ' %' OR " + c + " LIKE '% ' THEN " + trimmed + " ELSE " + plain + " END"
	if f.Name == "first_name" || f.Name == "last_name" {
		// The regex runs only where there is a run of white space to collapse.
		v = "CASE WHEN contains(" + v + ", '  ') OR contains(" + v + ", chr(9)) THEN regexp_replace(" + v + ", '\\s+', ' ', 'g') ELSE " + v + " END"
	}
	if len(values) > 0 {
		v = valuesSQL(v, values)
	}
	return v
}

// valuesSQL applies a mapping's values: translation (exact source text); a
// value translated to "" is empty.
func valuesSQL(x string, m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("CASE " + x)
	for _, k := range keys {
		to := "NULL"
		if strings.TrimSpace(m[k]) != "" {
			to = sqltext.Literal(m[k])
		}
		fmt.Fprintf(&b, " WHEN %s THEN %s", sqltext.Literal(k), to)
	}
	b.WriteString(" ELSE " + x + " END")
	return b.String()
}

// Excel day 0 of the two date systems of workbooks.
const (
	excelEpoch1900 = "1899-12-30"
	excelEpoch1904 = "1904-01-01"
)

// typedSQL returns the typed value of text column x and, for fields whose
// text can fail to parse, the problem's reason (an SQL expression). epoch
// is day 0 of Excel serial dates; serialsFirst when most dates are serials
// (workbooks). decimalComma reads amounts as 1.234,50.
func typedSQL(x string, f canonical.Field, dateFmt, epoch string, serialsFirst, decimalComma bool) (expr, reason string) {
	switch f.Kind {
	case canonical.Int:
		return "TRY_CAST(" + x + " AS INTEGER)", sqltext.Literal("not a whole number")
	case canonical.Date:
		want := "YYYY-MM-DD, YYYYMMDD or MM/DD/YYYY"
		if dateFmt != "" {
			want = dateFmt + " or YYYY-MM-DD"
		}
		return dateSQL(x, dateFmt, epoch, serialsFirst), sqltext.Literal("not a valid date (expected " + want + ")")
	case canonical.Money:
		return moneySQL(x, decimalComma)
	case canonical.Flag:
		return "CASE upper(" + x + ") WHEN 'Y' THEN 'Y' WHEN 'YES' THEN 'Y' WHEN 'TRUE' THEN 'Y' WHEN '1' THEN 'Y' " +
			"WHEN 'N' THEN 'N' WHEN 'NO' THEN 'N' WHEN 'FALSE' THEN 'N' WHEN '0' THEN 'N' END", sqltext.Literal("not Y or N")
	case canonical.Gender:
		return "CASE upper(" + x + ") WHEN 'M' THEN 'M' WHEN 'MALE' THEN 'M' WHEN 'F' THEN 'F' WHEN 'FEMALE' THEN 'F' " +
			"WHEN 'U' THEN 'U' WHEN 'UNKNOWN' THEN 'U' END", sqltext.Literal("not M, F or U")
	case canonical.Status:
		return "CASE lower(" + x + ") WHEN 'effectuated' THEN 'effectuated' WHEN 'pending' THEN 'pending' " +
				"WHEN 'cancelled' THEN 'cancelled' WHEN 'canceled' THEN 'cancelled' WHEN 'terminated' THEN 'terminated' END",
			sqltext.Literal("not effectuated, pending, cancelled or terminated (translate it under values: in the mapping file)")
	}
	switch f.Name {
	case "qhp_id":
		return planIDSQL(x), ""
	case "issuer_hios_id":
		return "coalesce(" + x + ", left(" + planIDSQL("x_qhp_id") + ", 5))", ""
	case "ssn":
		// Spreadsheets drop an SSN's leading zeros; 7 or 8 digits get them
		// back. A masked SSN (XXX-XX-1234, *****1234) is read as absent: it
		// cannot be compared, and is not an error in the file.
		d := "regexp_replace(" + x + ", '[\\s-]', '', 'g')"
		return "CASE WHEN regexp_full_match(" + x + ", '[0-9]{9}') THEN " + x +
			" WHEN regexp_full_match(" + x + ", '[0-9]{3}-[0-9]{2}-[0-9]{4}') THEN replace(" + x + ", '-', '')" +
			" WHEN regexp_full_match(" + d + ", '[0-9]{7,9}') THEN lpad(" + d + ", 9, '0') END", sqltext.Literal("SSN must have 9 digits")
	case "zip":
		return "CASE WHEN length(" + x + ") < 5 AND regexp_full_match(" + x + ", '[0-9]{3,4}') THEN lpad(" + x + ", 5, '0') ELSE " + x + " END", ""
	case "relationship_code":
		return "CASE WHEN regexp_full_match(" + x + ", '[0-9]') THEN '0' || " + x + " ELSE " + x + " END", ""
	case "state", "rating_area":
		return "upper(" + x + ")", ""
	}
	return x, ""
}

// moneySQL reads an amount: 240.81, $1,234.50, (12.00) for -12.00. With a
// decimal point (the default) a comma must separate thousands (1,234.50):
// 12,50 or 1.234,50 is ambiguous, a field problem, unless the mapping
// declares the decimal comma, which reads 1.234,50 and 12,50 and makes
// 12.50 ambiguous in turn.
func moneySQL(x string, decimalComma bool) (expr, reason string) {
	// Plain numbers cast directly, $1,234.50 after two replaces; only
	// the rest (inner spaces, (negative)) pay for the regular expression.
	// A failed cast is costly, so the common forms are made to succeed.
	typed := func(x string) string {
		return fmt.Sprintf("CAST(round(coalesce(TRY_CAST(CASE WHEN contains(%[1]s, '$') OR contains(%[1]s, ',') THEN replace(replace(%[1]s, '$', ''), ',', '') ELSE %[1]s END AS DECIMAL(18,6)), CASE WHEN %[1]s LIKE '(%%)' OR %[1]s LIKE '-(%%)' THEN -1 ELSE 1 END * "+
			"TRY_CAST(regexp_replace(%[1]s, '[$,\\s()]', '', 'g') AS DECIMAL(18,6))), 2) AS DECIMAL(18,2))", x)
	}
	const sign, tail = `[-(\s$]*`, `[\s)]*`
	if decimalComma {
		return fmt.Sprintf("CASE WHEN regexp_full_match(%[1]s, '%[2]s([0-9]+|[0-9]{1,3}(\\.[0-9]{3})+)(,[0-9]+)?%[3]s') THEN %[4]s END",
				x, sign, tail, typed("replace(replace("+x+", '.', ''), ',', '.')")),
			sqltext.Literal("not an amount of money with a decimal comma (1.234,50, as the mapping's formats: decimal: declares)")
	}
	return fmt.Sprintf("CASE WHEN NOT contains(%[1]s, ',') OR regexp_full_match(%[1]s, '%[2]s[0-9]{1,3}(,[0-9]{3})+(\\.[0-9]*)?%[3]s') THEN %[4]s END",
			x, sign, tail, typed(x)),
		fmt.Sprintf(`CASE WHEN contains(%s, ',') THEN %s ELSE %s END`, x,
			sqltext.Literal(`ambiguous amount: a comma that does not separate thousands may be a decimal comma (declare formats: decimal: "," in a mapping file)`),
			sqltext.Literal("not an amount of money"))
}

// planIDSQL drops spaces and hyphens from a plan ID (38344VA0020002-06);
// IDs that are already plain skip the regular expression.
func planIDSQL(x string) string {
	return "CASE WHEN regexp_full_match(" + x + ", '[0-9A-Z]+') THEN " + x +
		" WHEN regexp_full_match(" + x + ", '[0-9A-Z-]+') THEN nullif(replace(" + x + ", '-', ''), '')" +
		" ELSE nullif(upper(regexp_replace(" + x + ", '[\\s-]', '', 'g')), '') END"
}

// dateSQL parses a date: the mapping's (or format's) pattern first, then
// ISO; without a pattern also YYYYMMDD and US MM/DD/YYYY; and Excel serial
// day numbers from epoch (a fraction is a time of day, dropped).
func dateSQL(x, dateFmt, epoch string, serialsFirst bool) string {
	serial := "CASE WHEN strlen(" + x + ") >= 5 AND regexp_full_match(" + x + ", '[0-9]{5}(\\.[0-9]+)?') THEN DATE '" + epoch + "' + CAST(floor(CAST(" + x + " AS DOUBLE)) AS INTEGER) END"
	var alts []string
	if serialsFirst {
		alts = append(alts, serial)
	}
	if dateFmt != "" {
		alts = append(alts, "CAST(try_strptime("+x+", "+sqltext.Literal(dateFmt)+") AS DATE)")
	}
	// A plain cast reads ISO dates fastest; strptime and timestamps catch
	// the rest. A failed parse is costly, so each is tried only on values
	// shaped for it.
	alts = append(alts, "CASE WHEN substr("+x+", 5, 1) IN ('-', '/', ' ') THEN coalesce(TRY_CAST("+x+" AS DATE), CAST(try_strptime("+x+", '%Y-%m-%d') AS DATE), "+
		"CAST(TRY_CAST("+x+" AS TIMESTAMP) AS DATE)) END")
	if dateFmt == "" {
		alts = append(alts, "CASE WHEN length("+x+") = 8 THEN CAST(try_strptime("+x+", '%Y%m%d') AS DATE) END", "CAST(try_strptime("+x+", '%m/%d/%Y') AS DATE)")
	}
	if !serialsFirst {
		// Text exports of workbooks mix serial numbers with text dates.
		alts = append(alts, serial)
	}
	return "coalesce(" + strings.Join(alts, ", ") + ")"
}
