package main

import (
	"context"
	"database/sql"
	_ "embed"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/enrollaudit/enrollaudit/audit/mapping"
	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/internal/sqltext"
)

// baselineSQL is what an analyst would write by hand in DuckDB for the same
// job: load both sides (tables m and i, built by sideSQL from each side's
// mapping: its headers, date pattern and value translations; IDs kept as
// text, the insurer's dates and "$1,234.50" amounts converted, names folded
// for comparison), set duplicates aside, join on policy and member, run the
// same comparisons and write the findings out. No rule engine, no rejects
// accounting, no workbook.
//
//go:embed baseline.sql
var baselineSQL string

// compared are the canonical fields the baseline reads.
var compared = []string{"exchange_policy_id", "exchange_member_id", "subscriber_indicator", "first_name", "last_name",
	"birth_date", "gender", "ssn", "qhp_id", "benefit_start", "benefit_end", "effectuation_status",
	"aptc_amount", "csr_amount", "total_premium", "member_premium"}

func baseline(in inputs, out, memory string) error {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		return err
	}
	defer conn.Close()
	if memory != "" {
		if _, err := conn.ExecContext(context.Background(), "SET memory_limit = '"+memory+"'"); err != nil {
			return err
		}
	}
	mk, err := sideSQL(conn, "m", in.marketplace, in.marketplaceMapping)
	if err != nil {
		return err
	}
	ins, err := sideSQL(conn, "i", in.insurer, in.insurerMapping)
	if err != nil {
		return err
	}
	q := mk + ";\n" + ins + ";\n" + strings.ReplaceAll(baselineSQL, "{{out}}", sqltext.Literal(filepath.Join(out, "baseline-findings.csv")))
	for _, stmt := range strings.Split(q, ";\n") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := conn.ExecContext(context.Background(), stmt); err != nil {
			return fmt.Errorf("%w\nin: %.200s", err, strings.TrimSpace(stmt))
		}
	}
	return nil
}

// sideSQL creates table name from one input file: the compared fields under
// their canonical names, typed the way the file's mapping says. DuckDB types
// the columns it recognises itself (ISO dates, plain amounts); the rest are
// converted from text; fields the file lacks are NULL.
func sideSQL(conn *sql.Conn, name, path, mappingPath string) (string, error) {
	m := &mapping.Mapping{}
	if mappingPath != "" {
		var err error
		if m, err = mapping.Load(mappingPath); err != nil {
			return "", err
		}
	}
	opts := ""
	if m.Delimiter != "" {
		opts = ", delim = " + sqltext.Literal(strings.ReplaceAll(m.Delimiter, `\t`, "\t"))
	}
	var reader string
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv", ".tsv", ".txt":
		reader = fmt.Sprintf("read_csv(%s, header = true%s", sqltext.Literal(path), opts)
	case ".parquet":
		reader = "read_parquet(" + sqltext.Literal(path)
	default:
		return "", fmt.Errorf("%s: the baseline reads CSV and Parquet files only, not %s", path, ext)
	}
	headers, err := headersOf(conn, reader+", all_varchar = true)")
	if err != nil {
		return "", fmt.Errorf("read headers of %s: %w", path, err)
	}
	header := map[string]string{} // canonical field -> header in the file
	for _, name := range compared {
		want := column(m, name)
		for _, h := range headers {
			if h == want || header[name] == "" && strings.EqualFold(strings.TrimSpace(h), strings.TrimSpace(want)) {
				header[name] = h
			}
		}
	}
	if strings.HasPrefix(reader, "read_csv") {
		// Text fields stay text: IDs, SSNs and zips have leading zeros.
		var types []string
		for _, f := range canonical.Fields {
			if h := header[f.Name]; h != "" && f.Kind == canonical.Text {
				types = append(types, fmt.Sprintf("%s: 'VARCHAR'", sqltext.Literal(h)))
			}
		}
		sort.Strings(types)
		reader += ", types = {" + strings.Join(types, ", ") + "}"
	}
	reader += ")"
	var cols []string
	for _, name := range compared {
		f, _ := canonical.Lookup(name)
		if header[name] == "" {
			cols = append(cols, "CAST(NULL AS "+sqlType(f)+") AS "+name)
			continue
		}
		x := `"` + strings.ReplaceAll(header[name], `"`, `""`) + `"`
		if vals := m.Values[name]; len(vals) > 0 {
			x = valuesCase(x, vals)
		}
		cols = append(cols, typed(x, f, m.DateFormat)+" AS "+name)
	}
	return fmt.Sprintf("CREATE TABLE %s AS SELECT %s FROM %s", name, strings.Join(cols, ",\n  "), reader), nil
}

func headersOf(conn *sql.Conn, reader string) ([]string, error) {
	rows, err := conn.QueryContext(context.Background(), "SELECT column_name FROM (DESCRIBE SELECT * FROM "+reader+")")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var hs []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		hs = append(hs, h)
	}
	return hs, rows.Err()
}

// column is the source header of a canonical field.
func column(m *mapping.Mapping, field string) string {
	if h, ok := m.Columns[field]; ok {
		return h
	}
	return field
}

func typed(x string, f canonical.Field, dateFmt string) string {
	text := "nullif(trim(CAST(" + x + " AS VARCHAR)), '')"
	switch f.Kind {
	case canonical.Date:
		if dateFmt == "" {
			return "TRY_CAST(" + x + " AS DATE)"
		}
		return "coalesce(CAST(try_strptime(" + text + ", " + sqltext.Literal(dateFmt) + ") AS DATE), TRY_CAST(" + x + " AS DATE))"
	case canonical.Money:
		return "round(coalesce(TRY_CAST(" + x + " AS DECIMAL(18,6)), TRY_CAST(replace(replace(" + text + ", '$', ''), ',', '') AS DECIMAL(18,6))), 2)"
	case canonical.Flag, canonical.Gender:
		return "upper(left(" + text + ", 1))" // Y/Yes, M/Male
	case canonical.Status:
		return "lower(" + text + ")"
	}
	switch f.Name {
	case "first_name", "last_name":
		return "lower(strip_accents(regexp_replace(" + text + ", '\\s+', ' ', 'g')))"
	case "ssn":
		return "lpad(replace(" + text + ", '-', ''), 9, '0')"
	case "qhp_id":
		return "replace(" + text + ", '-', '')"
	}
	return text
}

func sqlType(f canonical.Field) string {
	switch f.Kind {
	case canonical.Date:
		return "DATE"
	case canonical.Money:
		return "DECIMAL(18,2)"
	}
	return "VARCHAR"
}

func valuesCase(x string, vals map[string]string) string {
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("CASE CAST(" + x + " AS VARCHAR)")
	for _, k := range keys {
		fmt.Fprintf(&b, " WHEN %s THEN %s", sqltext.Literal(k), sqltext.Literal(vals[k]))
	}
	b.WriteString(" ELSE CAST(" + x + " AS VARCHAR) END")
	return b.String()
}
