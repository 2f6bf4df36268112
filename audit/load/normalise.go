package load

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/enrollaudit/enrollaudit/audit/canonical"
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
	// DateFormat is the format's own date pattern (RCNI: %Y%m%d), used when
	// the mapping gives none.
	DateFormat string
	// ExcelDates: date cells may hold Excel serial day numbers (XLSX).
	ExcelDates bool
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
		if !t.inTransaction {
			return t.numberLines(ctx)
		}
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
	var text, typed, checks, conds []string
	for _, f := range canonical.Fields {
		x := "NULL"
		if h, ok := cols[f.Name]; ok {
			x = cleanSQL(colOf[h], f)
			if vals := t.src.Mapping; vals != nil && len(vals.Values[f.Name]) > 0 {
				x = valuesSQL(x, vals.Values[f.Name])
			}
		}
		text = append(text, x+" AS x_"+f.Name)
	}
	dateFmt := rel.DateFormat
	if t.src.Mapping != nil && t.src.Mapping.DateFormat != "" {
		dateFmt = t.src.Mapping.DateFormat
	}
	for _, f := range canonical.Fields {
		expr, reason := typedSQL("x_"+f.Name, f, dateFmt, rel.ExcelDates)
		typed = append(typed, expr+" AS "+f.Name)
		if reason != "" {
			cond := fmt.Sprintf("x_%s IS NOT NULL AND %s IS NULL", f.Name, f.Name)
			if f.Name == "ssn" {
				cond += " AND NOT regexp_full_match(x_ssn, '[*Xx#]{3}-?[*Xx#]{2}-?[0-9]{4}|[*Xx#]{5}[0-9]{4}')"
			}
			conds = append(conds, "("+cond+")")
			checks = append(checks, fmt.Sprintf("CASE WHEN %s THEN {'field': '%s', 'value': x_%s, 'reason': %s} END",
				cond, f.Name, f.Name, quote(reason)))
		}
	}
	for _, req := range canonical.Required {
		conds = append(conds, req+" IS NULL")
		checks = append(checks, fmt.Sprintf("CASE WHEN %s IS NULL THEN {'field': '%s', 'value': NULL, 'reason': 'required to match records, but empty'} END", req, req))
	}
	return fmt.Sprintf(`INSERT INTO %s BY NAME
SELECT %s, __file AS file_id, __line AS source_line,
  -- The list of reasons is built only for rows that have one.
  CASE WHEN %s THEN list_filter([%s], e -> e IS NOT NULL) END AS reject_reasons
FROM (SELECT *, %s FROM (SELECT %s AS __file, %s AS __line, %s FROM %s))`,
		CanonTable(t.src.Side), strings.Join(canonical.Names(), ", "),
		strings.Join(conds, " OR "), strings.Join(checks, ", "),
		strings.Join(typed, ", "), fileID, line, strings.Join(text, ", "), rel.SQL)
}

// cleanSQL trims a source value to NULL-when-empty text; names also get
// inner runs of space collapsed, since they are compared that way.
func cleanSQL(col string, f canonical.Field) string {
	c := "CAST(" + col + " AS VARCHAR)"
	// Most values have no space to trim; testing the ends first is cheaper.
	v := "CASE WHEN " + c + " LIKE ' %' OR " + c + " LIKE '% ' THEN nullif(trim(" + c + "), '') ELSE nullif(" + c + ", '') END"
	if f.Name == "first_name" || f.Name == "last_name" {
		// The regex runs only where there is a run of white space to collapse.
		return "CASE WHEN contains(" + v + ", '  ') OR contains(" + v + ", chr(9)) THEN regexp_replace(" + v + ", '\\s+', ' ', 'g') ELSE " + v + " END"
	}
	return v
}

// valuesSQL applies a mapping's values: translation (exact source text).
func valuesSQL(x string, m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("CASE " + x)
	for _, k := range keys {
		fmt.Fprintf(&b, " WHEN %s THEN %s", quote(k), quote(m[k]))
	}
	b.WriteString(" ELSE " + x + " END")
	return b.String()
}

// typedSQL returns the typed value of text column x and, for fields whose
// text can fail to parse, the reject reason.
func typedSQL(x string, f canonical.Field, dateFmt string, excelDates bool) (expr, reason string) {
	switch f.Kind {
	case canonical.Int:
		if f.Name == "coverage_year" {
			return fmt.Sprintf("coalesce(TRY_CAST(%s AS INTEGER), CAST(year(%s) AS INTEGER))", x, dateSQL("x_benefit_start", dateFmt, excelDates)),
				"not a whole number"
		}
		return "TRY_CAST(" + x + " AS INTEGER)", "not a whole number"
	case canonical.Date:
		want := "YYYY-MM-DD, YYYYMMDD or MM/DD/YYYY"
		if dateFmt != "" {
			want = dateFmt + " or YYYY-MM-DD"
		}
		return dateSQL(x, dateFmt, excelDates), "not a valid date (expected " + want + ")"
	case canonical.Money:
		// Plain numbers cast directly, $1,234.50 after two replaces; only
		// the rest (inner spaces, (negative)) pay for the regular expression.
		// A failed cast is costly, so the common forms are made to succeed.
		return fmt.Sprintf("CAST(round(coalesce(TRY_CAST(CASE WHEN contains(%[1]s, '$') OR contains(%[1]s, ',') THEN replace(replace(%[1]s, '$', ''), ',', '') ELSE %[1]s END AS DECIMAL(18,6)), CASE WHEN %[1]s LIKE '(%%)' OR %[1]s LIKE '-(%%)' THEN -1 ELSE 1 END * "+
				"TRY_CAST(regexp_replace(%[1]s, '[$,\\s()]', '', 'g') AS DECIMAL(18,6))), 2) AS DECIMAL(18,2))", x),
			"not an amount of money"
	case canonical.Flag:
		return "CASE upper(" + x + ") WHEN 'Y' THEN 'Y' WHEN 'YES' THEN 'Y' WHEN 'TRUE' THEN 'Y' WHEN '1' THEN 'Y' " +
			"WHEN 'N' THEN 'N' WHEN 'NO' THEN 'N' WHEN 'FALSE' THEN 'N' WHEN '0' THEN 'N' END", "not Y or N"
	case canonical.Gender:
		return "CASE upper(" + x + ") WHEN 'M' THEN 'M' WHEN 'MALE' THEN 'M' WHEN 'F' THEN 'F' WHEN 'FEMALE' THEN 'F' " +
			"WHEN 'U' THEN 'U' WHEN 'UNKNOWN' THEN 'U' END", "not M, F or U"
	case canonical.Status:
		return "CASE lower(" + x + ") WHEN 'effectuated' THEN 'effectuated' WHEN 'pending' THEN 'pending' " +
				"WHEN 'cancelled' THEN 'cancelled' WHEN 'canceled' THEN 'cancelled' WHEN 'terminated' THEN 'terminated' END",
			"not effectuated, pending, cancelled or terminated (translate it under values: in the mapping file)"
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
			" WHEN regexp_full_match(" + d + ", '[0-9]{7,9}') THEN lpad(" + d + ", 9, '0') END", "SSN must have 9 digits"
	case "zip":
		return "CASE WHEN length(" + x + ") < 5 AND regexp_full_match(" + x + ", '[0-9]{3,4}') THEN lpad(" + x + ", 5, '0') ELSE " + x + " END", ""
	case "relationship_code":
		return "CASE WHEN regexp_full_match(" + x + ", '[0-9]') THEN '0' || " + x + " ELSE " + x + " END", ""
	case "state", "rating_area":
		return "upper(" + x + ")", ""
	}
	return x, ""
}

// planIDSQL drops spaces and hyphens from a plan ID (38344VA0020002-06);
// IDs that are already plain skip the regular expression.
func planIDSQL(x string) string {
	return "CASE WHEN regexp_full_match(" + x + ", '[0-9A-Z]+') THEN " + x +
		" WHEN regexp_full_match(" + x + ", '[0-9A-Z-]+') THEN nullif(replace(" + x + ", '-', ''), '')" +
		" ELSE nullif(upper(regexp_replace(" + x + ", '[\\s-]', '', 'g')), '') END"
}

// dateSQL parses a date: the mapping's (or format's) pattern first, then
// ISO; without a pattern also YYYYMMDD and US MM/DD/YYYY.
func dateSQL(x, dateFmt string, excelDates bool) string {
	var alts []string
	if excelDates {
		alts = append(alts, "CASE WHEN regexp_full_match("+x+", '[0-9]{5}(\\.0+)?') THEN DATE '1899-12-30' + CAST(CAST("+x+" AS DOUBLE) AS INTEGER) END")
	}
	if dateFmt != "" {
		alts = append(alts, "CAST(try_strptime("+x+", "+quote(dateFmt)+") AS DATE)")
	}
	// A plain cast reads ISO dates fastest; strptime and timestamps catch
	// the rest. A failed parse is costly, so each is tried only on values
	// shaped for it.
	alts = append(alts, "CASE WHEN substr("+x+", 5, 1) IN ('-', '/', ' ') THEN coalesce(TRY_CAST("+x+" AS DATE), CAST(try_strptime("+x+", '%Y-%m-%d') AS DATE), "+
		"CAST(TRY_CAST("+x+" AS TIMESTAMP) AS DATE)) END")
	if dateFmt == "" {
		alts = append(alts, "CASE WHEN length("+x+") = 8 THEN CAST(try_strptime("+x+", '%Y%m%d') AS DATE) END", "CAST(try_strptime("+x+", '%m/%d/%Y') AS DATE)")
	}
	return "coalesce(" + strings.Join(alts, ", ") + ")"
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
