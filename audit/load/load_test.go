package load

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/enrollaudit/enrollaudit/audit/mapping"
)

func newConn(t testing.TB) *sql.Conn {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := CreateTables(context.Background(), conn); err != nil {
		t.Fatal(err)
	}
	return conn
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestNormalise: formatting that only differs in form is typed to the same
// value; a value that cannot be read in a field other than the keys is a
// field problem: the field is empty, the row loads and is not rejected.
func TestNormalise(t *testing.T) {
	decimalComma := &mapping.Mapping{File: "m.yaml", Decimal: ","}
	tests := []struct {
		field, in string
		m         *mapping.Mapping
		want      string // typed value as text; "" = NULL
		problem   string // reason substring when the value is a field problem
	}{
		{field: "birth_date", in: "1980-01-02", want: "1980-01-02"},
		{field: "birth_date", in: "01/02/1980", want: "1980-01-02"},
		{field: "birth_date", in: "1/2/1980", want: "1980-01-02"},
		{field: "birth_date", in: "19800102", want: "1980-01-02"},
		{field: "birth_date", in: "1980-01-02 00:00:00", want: "1980-01-02"},
		{field: "birth_date", in: "02.01.1980", m: &mapping.Mapping{File: "m.yaml", DateFormat: "%d.%m.%Y"}, want: "1980-01-02"},
		{field: "birth_date", in: "02/30/2026", problem: "not a valid date"},
		{field: "birth_date", in: "2026-13-01", problem: "not a valid date"},
		{field: "birth_date", in: "not a date", problem: "not a valid date"},
		{field: "birth_date", in: "01/02/1980", m: &mapping.Mapping{File: "m.yaml", DateFormat: "%d.%m.%Y"}, problem: "expected %d.%m.%Y or YYYY-MM-DD"},
		// Two-digit years read with a four-digit pattern give year 26.
		{field: "birth_date", in: "01/02/26", m: &mapping.Mapping{File: "m.yaml", DateFormat: "%m/%d/%Y"}, problem: "the date pattern %m/%d/%Y does not fit this value (two-digit years need %y)"},
		{field: "birth_date", in: "01/02/26", m: &mapping.Mapping{File: "m.yaml", DateFormat: "%m/%d/%y"}, want: "2026-01-02"},
		{field: "benefit_end", in: "01/02/26", problem: "implausible date"},
		{field: "benefit_end", in: "1899-12-31", problem: "before 1900"},
		{field: "benefit_end", in: "2099-12-31", problem: "more than 2 years ahead"},
		{field: "benefit_end", in: "9999-12-31", want: "9999-12-31"},
		// Excel serial days in a text file, with or without a time of day.
		{field: "benefit_start", in: "46023", want: "2026-01-01"},
		{field: "benefit_start", in: "46023.75", want: "2026-01-01"},
		{field: "aptc_amount", in: "240.81", want: "240.81"},
		{field: "aptc_amount", in: "$1,234.50", want: "1234.50"},
		{field: "aptc_amount", in: "1,234", want: "1234.00"},
		{field: "aptc_amount", in: "(12.00)", want: "-12.00"},
		{field: "aptc_amount", in: "-$1,234.50", want: "-1234.50"},
		{field: "aptc_amount", in: "($1,234.50)", want: "-1234.50"},
		{field: "aptc_amount", in: "123.453", want: "123.45"},
		{field: "aptc_amount", in: "123.455", want: "123.46"},
		{field: "aptc_amount", in: "-0.005", want: "-0.01"},
		{field: "aptc_amount", in: " 12 ", want: "12.00"},
		{field: "aptc_amount", in: "twelve", problem: "not an amount of money"},
		{field: "aptc_amount", in: "abc", problem: "not an amount of money"},
		{field: "aptc_amount", in: "12,50", problem: "ambiguous amount"},
		{field: "aptc_amount", in: "1.234,50", problem: "ambiguous amount"},
		{field: "aptc_amount", in: "12,50", m: decimalComma, want: "12.50"},
		{field: "aptc_amount", in: "1.234,50", m: decimalComma, want: "1234.50"},
		{field: "aptc_amount", in: "(1.234,50)", m: decimalComma, want: "-1234.50"},
		{field: "aptc_amount", in: "1234", m: decimalComma, want: "1234.00"},
		{field: "aptc_amount", in: "12.50", m: decimalComma, problem: "decimal comma"},
		{field: "aptc_amount", in: "N/A", want: ""},
		{field: "aptc_amount", in: "-", want: ""},
		{field: "aptc_amount", in: " NULL ", want: ""},
		{field: "aptc_amount", in: "n/a", want: ""},
		{field: "aptc_amount", in: "none", m: &mapping.Mapping{File: "m.yaml", NullValues: []string{"none"}}, want: ""},
		{field: "aptc_amount", in: "N/A", m: &mapping.Mapping{File: "m.yaml", NullValues: []string{}}, problem: "not an amount of money"},
		{field: "aptc_amount", in: "N/A", m: &mapping.Mapping{File: "m.yaml", NullValues: []string{}, Values: map[string]map[string]string{"aptc_amount": {"N/A": ""}}}, want: ""},
		{field: "effectuation_status", in: "N/A", m: &mapping.Mapping{File: "m.yaml", Values: map[string]map[string]string{"effectuation_status": {"N/A": "pending"}}}, want: "pending"},
		{field: "qhp_id", in: "12345va0010001-04", want: "12345VA001000104"},
		{field: "ssn", in: "123-45-6789", want: "123456789"},
		{field: "ssn", in: "23456789", want: "023456789"},
		{field: "ssn", in: "12-34", problem: "SSN must have 9 digits"},
		{field: "ssn", in: "XXX-XX-6789", want: ""},
		{field: "ssn", in: "*****6789", want: ""},
		{field: "zip", in: "2110", want: "02110"},
		{field: "zip", in: "22030-1234", want: "22030-1234"},
		{field: "gender", in: "female", want: "F"},
		{field: "gender", in: "X", problem: "not M, F or U"},
		{field: "gender", in: "Q", problem: "not M, F or U"},
		{field: "effectuation_status", in: "Canceled", want: "cancelled"},
		{field: "effectuation_status", in: "active", problem: "translate it under values:"},
		{field: "subscriber_indicator", in: "yes", want: "Y"},
		{field: "subscriber_indicator", in: "maybe", problem: "not Y or N"},
		{field: "relationship_code", in: "1", want: "01"},
		{field: "first_name", in: "  Ann   Marie ", want: "Ann Marie"},
		{field: "coverage_year", in: "2026", want: "2026"},
		{field: "coverage_year", in: "twenty", problem: "not a whole number"},
		// Derived from benefit start when absent, never from an implausible one.
		{field: "benefit_start", in: "2099-01-01", problem: "implausible date"},
		{field: "state", in: "va", want: "VA"},
	}
	conn := newConn(t)
	ctx := context.Background()
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%s=%q", tt.field, tt.in), func(t *testing.T) {
			csvText := "exchange_policy_id,exchange_member_id," + tt.field + "\nP,M," + csvQuote(tt.in) + "\n"
			path := writeFile(t, fmt.Sprintf("case%d.csv", i), csvText)
			st, err := Load(ctx, conn, Source{Path: path, Side: "marketplace", Mapping: tt.m})
			if err != nil {
				t.Fatal(err)
			}
			if st.Loaded != 1 || st.Rejected != 0 {
				t.Fatalf("loaded %d rejected %d, want the row loaded", st.Loaded, st.Rejected)
			}
			var got, problems sql.NullString
			q := fmt.Sprintf("SELECT CAST(%s AS VARCHAR), CAST(to_json(field_problems) AS VARCHAR) FROM %s WHERE source_file = ?", tt.field, sourceRows(t, conn, "marketplace"))
			if err := conn.QueryRowContext(ctx, q, path).Scan(&got, &problems); err != nil {
				t.Fatalf("row not loaded: %v", err)
			}
			if tt.problem != "" {
				if tt.field == "benefit_start" {
					var year sql.NullInt64
					if err := conn.QueryRowContext(ctx, "SELECT coverage_year FROM "+sourceRows(t, conn, "marketplace")+" WHERE source_file = ?", path).Scan(&year); err != nil || year.Valid {
						t.Errorf("coverage_year %v (%v) from an unreadable benefit_start, want NULL", year, err)
					}
				}
				want := fmt.Sprintf(`[{"field":%q,"value":%q,"reason":`, tt.field, strings.TrimSpace(tt.in))
				if got.Valid || !strings.HasPrefix(problems.String, want) || !strings.Contains(problems.String, tt.problem) {
					t.Fatalf("%s = %v, problems %s; want NULL and %s...%q", tt.field, got, problems.String, want, tt.problem)
				}
				return
			}
			if got.String != tt.want || problems.Valid {
				t.Fatalf("%s = %q (problems %s), want %q", tt.field, got.String, problems.String, tt.want)
			}
			if tt.field == "benefit_start" {
				var year sql.NullInt64
				if err := conn.QueryRowContext(ctx, "SELECT coverage_year FROM "+sourceRows(t, conn, "marketplace")+" WHERE source_file = ?", path).Scan(&year); err != nil {
					t.Fatal(err)
				}
				if want := tt.want[:4]; fmt.Sprint(year.Int64) != want {
					t.Errorf("coverage_year %v, want %s from benefit_start", year, want)
				}
			}
		})
	}
}

// sourceRows is a side's canonical rows with their file path and line, as
// the audit's rows views give them.
func sourceRows(t *testing.T, conn *sql.Conn, side string) string {
	t.Helper()
	file, line, err := SourceSQL(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	return "(SELECT * EXCLUDE (source_line), " + file + " AS source_file, " + line + " AS source_line FROM " + CanonTable(side) + ")"
}

func csvQuote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func TestDerivedFields(t *testing.T) {
	conn := newConn(t)
	path := writeFile(t, "d.csv", "exchange_policy_id,exchange_member_id,qhp_id,benefit_start\nP,M,12345VA0010001-04,2026-02-01\nP,,x,\n")
	st, err := Load(context.Background(), conn, Source{Path: path, Side: "insurer"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Loaded != 1 || st.Rejected != 1 {
		t.Fatalf("loaded %d rejected %d, want 1 and 1", st.Loaded, st.Rejected)
	}
	var issuer string
	var year, line int
	err = conn.QueryRowContext(context.Background(), "SELECT issuer_hios_id, coverage_year, source_line FROM "+sourceRows(t, conn, "insurer")+" WHERE reject_reasons IS NULL").Scan(&issuer, &year, &line)
	if err != nil {
		t.Fatal(err)
	}
	if issuer != "12345" || year != 2026 || line != 2 {
		t.Errorf("issuer %s year %d line %d", issuer, year, line)
	}
	var reason string
	var rline int
	if err := conn.QueryRowContext(context.Background(), "SELECT reason, line FROM rejects WHERE field = 'exchange_member_id'").Scan(&reason, &rline); err != nil {
		t.Fatal(err)
	}
	if rline != 3 || !strings.Contains(reason, "required") {
		t.Errorf("reject line %d reason %q", rline, reason)
	}
}

// TestHostileCSV: broken or careless files either load correctly or become
// counted rejects naming the line; none panics or drops a row silently.
func TestHostileCSV(t *testing.T) {
	const head = "exchange_policy_id,exchange_member_id,last_name\n"
	tests := []struct {
		name, content    string
		loaded, rejected int64
		rejectLine       int64
		reason, lastName string
		err              string
		warn             string
		mapping          *mapping.Mapping
		problems         []string         // "field: reason" prefixes of the field problems, in line order
		lineOf           map[string]int64 // member -> line its row must carry
		side             string           // marketplace unless set
		// notRows counts the data lines that are neither a row nor a
		// reject: blank lines and the lines a quoted field continues on.
		notRows int64
	}{
		{name: "semicolons in a .csv", content: "exchange_policy_id;exchange_member_id;last_name\nP;M1;Lee\nP;M2;Ng\n", loaded: 2},
		{name: "tabs", content: strings.ReplaceAll(head+"P,M1,Lee\n", ",", "\t"), loaded: 1},
		{name: "utf-8 bom", content: "\ufeff" + head + "P,M1,Lee\n", loaded: 1},
		{name: "crlf", content: strings.ReplaceAll(head+"P,M1,Lee\nP,M2,Ng\n", "\n", "\r\n"), loaded: 2},
		{name: "extra column on one row", content: head + "P,M1,Lee\nP,M2,Ng,extra\nP,M3,Oh\n", loaded: 2, rejected: 1, rejectLine: 3, reason: "more fields than the header"},
		{name: "missing column on one row", content: head + "P,M1\nP,M2,Ng\n", loaded: 1, rejected: 1, rejectLine: 2, reason: "fewer fields than the header"},
		{name: "line numbers after a reject", content: head + "P,M1,Lee\nP,M2\nP,M3,Oh\nP,M4\nP,M5,Ng\n", loaded: 3, rejected: 2, rejectLine: 3, reason: "fewer fields"},
		{name: "unterminated quote at end", content: head + "P,M1,Lee\nP,M2,\"Ng\n", loaded: 1, rejected: 1, rejectLine: 3, reason: "quote"},
		{name: "latin-1", content: head + "P,M1,Mu\xf1oz\n", loaded: 1, lastName: "Muñoz", warn: "is not UTF-8 (line 2: no UTF-8 text anywhere): read it as latin-1"},
		{name: "windows-1252 declared", content: head + "P,M1,\x8aekerka \x93Jr\x94\n", loaded: 1, lastName: "Šekerka “Jr”",
			mapping: &mapping.Mapping{File: "m.yaml", Encoding: "windows-1252"}},
		{name: "windows-1252 found", content: head + "P,M1,Lee\nP,M2,\x8aekerka\n", loaded: 2, lastName: "Šekerka", warn: "line 3: no UTF-8 text anywhere): read it as windows-1252"},
		{name: "stray cp1252 byte in utf-8", content: head + "P,M1,Muñoz\nP,M2,O\x92Hara\nP,M3,Ñúñez\n", loaded: 2, rejected: 1, rejectLine: 3,
			reason: "invalid encoding", lastName: "Muñoz", warn: "is UTF-8 but has bytes that are not on line 3: those lines are rejected"},
		// DuckDB failed on such a byte in a column past the count of those
		// the audit reads (an internal error that closed the database).
		{name: "stray byte in a late column", content: "n0,n1,n2,n3,n4,n5,exchange_policy_id,exchange_member_id,last_name\n" +
			"a,b,c,d,e,f,P,M1,Muñoz\na,b,c,d,e,f,P,M2,O\x92Hara\na,b,c,d,e,f,P,M3,Ñúñez\n", loaded: 2, rejected: 1, rejectLine: 3,
			reason: "invalid encoding", lastName: "Muñoz", warn: "is UTF-8 but has bytes that are not on line 3: those lines are rejected"},
		// DuckDB takes a lone CR for a line break: it is a space.
		{name: "carriage return inside a line", content: head + "P,M1,Le\re\nP,M2,Ng\n", loaded: 2, lastName: "Le e"},
		{name: "embedded NUL", content: head + "P,M1,Le\x00e\n", loaded: 1},
		{name: "1 MB field", content: head + "P,M1," + strings.Repeat("x", 1<<20) + "\n", loaded: 1},
		{name: "line over the maximum", content: head + "P,M1," + strings.Repeat("x", maxLineSize) + "\nP,M2,Ng\n", loaded: 1, rejected: 1, rejectLine: 2, reason: "maximum"},
		{name: "duplicate unused header", content: "exchange_policy_id,exchange_member_id,note,note\nP,M1,a,b\n", loaded: 1},
		{name: "duplicate used header", content: "exchange_policy_id,exchange_member_id,last_name,last_name\nP,M1,a,b\n", err: `header "last_name" (for last_name) appears more than once`},
		{name: "empty header name", content: "exchange_policy_id,,exchange_member_id\nP,x,M1\n", loaded: 1},
		{name: "empty file", content: "", err: "file is empty"},
		{name: "header only", content: head, loaded: 0},
		{name: "row starting with #", content: head + "#P,M1,Lee\nP,M2,Ng\n", loaded: 2},
		{name: "no key column", content: "policy,member\nP,M\n", err: `no "exchange_member_id" column`},
		// issue items: each asserts rows in = loaded + rejected.
		{name: "stray quote swallows lines", content: head + strayQuote, loaded: 13, rejected: 15, rejectLine: 6,
			reason: "a quoted field runs past the end of the line, over lines 6-20 (a stray quote?)", lineOf: map[string]int64{"M5": 5, "M21": 21, "M29": 29}},
		{name: "unterminated quote to the end", content: head + "P,M1,Lee\nP,M2,\"Ng\nP,M3,Oh\nP,M4,Ng\n", loaded: 1, rejected: 3, rejectLine: 3, reason: "over lines 3-5"},
		// A stray quote that a later quote closes so that the span reads as
		// one record: every line of it is a reject, wherever the quote is.
		{name: "stray quote closed in the last field", content: head + "P2,M2,Lee\nP3,M3,\"Smith\nP4,M4,Ng\nP5,M5,Oh\"\nP6,M6,Lee\n", loaded: 2, rejected: 3, rejectLine: 3,
			reason: "over lines 3-5, each of which has the fields of a whole row: an unbalanced quote swallowed 2 lines", lineOf: map[string]int64{"M2": 2, "M6": 6}},
		{name: "stray quote in the first field", content: head + "P2,M2,Lee\n\"P3,M3,Smith\nP4\",M4,Ng\nP5,M5,Oh\n", loaded: 2, rejected: 2, rejectLine: 3,
			reason: "an unbalanced quote swallowed 1 line,", lineOf: map[string]int64{"M5": 5}},
		{name: "stray quote in a middle field", content: head + "P2,\"M2,Lee\nP3,M3\",Ng\nP4,M4,Oh\n", loaded: 1, rejected: 2, rejectLine: 2,
			reason: "over lines 2-3", lineOf: map[string]int64{"M4": 4}},
		{name: "stray quote closed on the last line", content: head + "P2,M2,Lee\nP3,M3,\"Smith\nP4,M4,Ng\"", loaded: 1, rejected: 2, rejectLine: 3,
			reason: "an unbalanced quote swallowed 1 line,"},
		{name: "stray quote in a tsv", content: strings.ReplaceAll(head+"P2,M2,\"Smith\nP3,M3,Ng\"\nP4,M4,Oh\n", ",", "\t"), loaded: 1, rejected: 2, rejectLine: 2,
			reason: "an unbalanced quote swallowed 1 line,", lineOf: map[string]int64{"M4": 4}},
		{name: "stray quote in an insurer file", side: "insurer", content: head + "P2,M2,\"Smith\nP3,M3,Ng\"\nP4,M4,Oh\n", loaded: 1, rejected: 2, rejectLine: 2,
			reason: "an unbalanced quote swallowed 1 line,", lineOf: map[string]int64{"M4": 4}},
		{name: "quoted line breaks", content: head + "P2,M2,\"Smith\nJr\"\nP4,M4,\"O'Neil,\r\nSr\"\nP6,M6,Lee\nP7,M7\n", loaded: 3, rejected: 1, rejectLine: 7,
			reason: "fewer fields", notRows: 2, lineOf: map[string]int64{"M2": 2, "M4": 4, "M6": 6},
			warn: "2 rows have a quoted field over several lines (lines 2-3, 4-5): each is read as one row"},
		{name: "quoted line breaks in a crlf file", content: strings.ReplaceAll(head+"P2,M2,\"Smith\nJr\"\nP4,M4\nP5,M5,Lee\n", "\n", "\r\n"), loaded: 2, rejected: 1, rejectLine: 4,
			reason: "fewer fields", notRows: 1, lineOf: map[string]int64{"M2": 2, "M5": 5},
			warn: "1 row has a quoted field over several lines (lines 2-3)"},
		{name: "blank lines", content: head + "P2,M2,Lee\n\nP4,M4,Ng\n\n\nP7,M7\nP8,M8,Oh\n\n", loaded: 3, rejected: 1, rejectLine: 7,
			reason: "fewer fields", notRows: 4, lineOf: map[string]int64{"M2": 2, "M4": 4, "M8": 8}},
		{name: "rejects after a swallowing reject", content: head + strayQuote + "P30,M30\nP31,M31,Lee\nP32,M32\nP33,M33,Ng\n", loaded: 15, rejected: 17, rejectLine: 6,
			reason: "over lines 6-20", lineOf: map[string]int64{"M5": 5, "M21": 21, "M29": 29, "M31": 31, "M33": 33}},
		{name: "decimal commas undeclared", content: "exchange_policy_id;exchange_member_id;aptc_amount\nP;M1;12,50\nP;M2;1.234,50\nP;M3;1,234.50\n", loaded: 3,
			problems: []string{"aptc_amount: ambiguous amount", "aptc_amount: ambiguous amount"}},
		{name: "decimal commas declared", content: "exchange_policy_id;exchange_member_id;aptc_amount\nP;M1;12,50\nP;M2;1.234,50\n", loaded: 2,
			mapping: &mapping.Mapping{File: "m.yaml", Decimal: ","}},
		{name: "two-digit years", content: "exchange_policy_id,exchange_member_id,birth_date\nP,M1,01/02/80\nP,M2,01/02/1980\n", loaded: 2,
			mapping: &mapping.Mapping{File: "m.yaml", DateFormat: "%m/%d/%Y"}, problems: []string{"birth_date: implausible date (before 1900 or more than 2 years ahead): the date pattern %m/%d/%Y does not fit"}},
		{name: "null markers", content: "exchange_policy_id,exchange_member_id,aptc_amount,birth_date,gender\nP,M1,N/A,NULL,-\nP,M2,n/a, , \n", loaded: 2},
		{name: "unreadable values load", content: "exchange_policy_id,exchange_member_id,total_premium,birth_date,gender,paid_through_date\nP,M1,abc,not a date,Q,13/45/2026\n", loaded: 1,
			problems: []string{"birth_date: not a valid date", "gender: not M, F or U", "total_premium: not an amount", "paid_through_date: not a valid date"}},
		{name: "headerless", content: "P1,M1,Lee,123-45-6789\nP2,M2,Ng,987-65-4321\n", err: "the first row looks like data"},
		{name: "header line without line breaks", content: strings.Repeat("x,", maxHeaderSize), err: "the header line is longer than"},
		{name: "zip renamed .csv", content: "PK\x03\x04\x14\x00secret", err: "is a ZIP archive"},
		{name: "pdf renamed .csv", content: "%PDF-1.7\n\x80\x81secret", err: "is a PDF document"},
		{name: "gzip renamed .csv", content: "\x1f\x8b\x08\x00secret", err: "is gzip-compressed"},
		{name: "utf-16 with bom", content: "\xff\xfee\x00x\x00", err: "is UTF-16 text"},
		{name: "utf-16 without bom", content: "e\x00x\x00c\x00,\x00\n\x00", err: "is UTF-16 text"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := newConn(t)
			path := writeFile(t, fmt.Sprintf("h%d.csv", i), tt.content)
			side := "marketplace"
			if tt.side != "" {
				side = tt.side
			}
			st, err := Load(context.Background(), conn, Source{Path: path, Side: side, Mapping: tt.mapping})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), path) {
					t.Fatalf("error = %v, want %q naming the file", err, tt.err)
				}
				for _, secret := range []string{"secret", "Lee", "6789", "\x00", "\x80"} {
					// The file's path is random and may hold one of them.
					if strings.Contains(strings.ReplaceAll(err.Error(), path, ""), secret) {
						t.Errorf("error shows the file's content %q: %v", secret, err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if st.Loaded != tt.loaded || st.Rejected != tt.rejected {
				t.Fatalf("loaded %d rejected %d, want %d and %d", st.Loaded, st.Rejected, tt.loaded, tt.rejected)
			}
			if in := dataLines(tt.content); st.Loaded+st.Rejected+tt.notRows != in {
				t.Errorf("%d lines in, %d loaded + %d rejected + %d not rows", in, st.Loaded, st.Rejected, tt.notRows)
			}
			var rejectRows int64
			if err := conn.QueryRowContext(context.Background(), "SELECT count(*) FROM rejects").Scan(&rejectRows); err != nil || rejectRows != st.Rejected {
				t.Errorf("%d rows in the rejects table for %d rejected (%v)", rejectRows, st.Rejected, err)
			}
			var got []string
			rows, err := conn.QueryContext(context.Background(), "SELECT p.field || ': ' || p.reason FROM (SELECT unnest(field_problems) AS p FROM "+sourceRows(t, conn, side)+" ORDER BY source_line)")
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var p string
				if err := rows.Scan(&p); err != nil {
					t.Fatal(err)
				}
				got = append(got, p)
			}
			rows.Close()
			if len(got) != len(tt.problems) {
				t.Errorf("field problems %q, want %q", got, tt.problems)
			}
			for i := range min(len(got), len(tt.problems)) {
				if !strings.HasPrefix(got[i], tt.problems[i]) {
					t.Errorf("field problem %q, want %q...", got[i], tt.problems[i])
				}
			}
			for member, want := range tt.lineOf {
				var line int64
				if err := conn.QueryRowContext(context.Background(), "SELECT source_line FROM "+sourceRows(t, conn, side)+" WHERE exchange_member_id = ? AND reject_reasons IS NULL", member).Scan(&line); err != nil {
					t.Fatal(err)
				}
				if line != want {
					t.Errorf("%s is on line %d, got %d", member, want, line)
				}
			}
			if tt.rejectLine > 0 {
				var line int64
				var reason string
				if err := conn.QueryRowContext(context.Background(), "SELECT line, reason FROM rejects ORDER BY line LIMIT 1").Scan(&line, &reason); err != nil {
					t.Fatal(err)
				}
				if line != tt.rejectLine || !strings.Contains(reason, tt.reason) {
					t.Errorf("first reject line %d %q, want line %d %q", line, reason, tt.rejectLine, tt.reason)
				}
			}
			if tt.name == "line numbers after a reject" {
				var line int64
				if err := conn.QueryRowContext(context.Background(), "SELECT source_line FROM "+sourceRows(t, conn, "marketplace")+" WHERE exchange_member_id = 'M5'").Scan(&line); err != nil {
					t.Fatal(err)
				}
				if line != 6 {
					t.Errorf("M5 is on line 6, got %d", line)
				}
			}
			if tt.lastName != "" {
				var got string
				if err := conn.QueryRowContext(context.Background(), "SELECT last_name FROM canon_marketplace ORDER BY last_name = 'Lee' LIMIT 1").Scan(&got); err != nil {
					t.Fatal(err)
				}
				if got != tt.lastName {
					t.Errorf("last_name %q, want %q", got, tt.lastName)
				}
			}
			if tt.warn != "" && !strings.Contains(strings.Join(st.Warnings, "\n"), tt.warn) {
				t.Errorf("warnings %v, want %q", st.Warnings, tt.warn)
			}
		})
	}
}

// strayQuote is 28 rows (lines 2-29) where the quote opened on line 6
// closes on line 20.
var strayQuote = func() string {
	var b strings.Builder
	for i := 2; i <= 29; i++ {
		name := "Lee"
		switch i {
		case 5:
			name = `O"Brien` // a quote inside a value is text
		case 6:
			name = `"Smith`
		case 20:
			name = `"Ng"`
		}
		fmt.Fprintf(&b, "P%d,M%d,%s\n", i, i, name)
	}
	return b.String()
}()

// dataLines counts the lines after the header, as a clerk would: every
// line break ends one, and a last line without one counts too.
func dataLines(content string) int64 {
	content = strings.ReplaceAll(content, "\r\n", "\n")
	n := int64(strings.Count(content, "\n"))
	if !strings.HasSuffix(content, "\n") {
		n++
	}
	return n - 1
}

// FuzzLoadCSV: no input makes the CSV reader panic or hang, and every data
// line is accounted for: it is the line of one row or of rejects, or blank,
// or the continuation of a row's quoted field (a row whose line holds a
// quote); a line swallowed without a word is a failure.
func FuzzLoadCSV(f *testing.F) {
	const head = "exchange_policy_id,exchange_member_id,last_name,birth_date,aptc_amount\n"
	for _, seed := range []string{
		head + "P,M1,Lee,1980-01-02,12.00\n",
		head + "P,M1,\"Le\"\"e\",02/30/2026,$1,234.50\n",
		head + "P,M2\nP,M3,a,b,c,d\n",
		head + "P,M1,\"unterminated\n",
		"a;b;c\n1;2;3\n",
		head + "P,M1,Mu\xf1oz,,(12.00)\n",
		head + "P,M1,Le\x00e,,\n",
		"\ufeff" + head + "\r\nP,M1,Lee,,\r\n",
		head + "P,M1,\"Smith,,\nP,M2,Lee,,\nP,M3,\"Ng\",,\n",
		head + "P,M1,\"Smith,,\nP,M2,Lee,,\nP,M3,Ng\",,\nP,M4,Oh,,\n",
		head + "\"P,M1,Smith,,\nP\",M2,Lee,,\n\nP,M3,\"a\nb\",,\nP,M4\n",
		"exchange_policy_id\texchange_member_id\tlast_name\nP\tM1\t\"Smith\nP\tM2\tNg\"\n",
		"exchange_policy_id,exchange_member_id\rP,M1\rP,\"M2\rP\",M3\r",
		"exchange_policy_id;exchange_member_id;aptc_amount\nP;M1;1.234,50\n",
		head + "P,M1,N/A,NULL,-\n",
		head + "P,M1,Lee,01/02/26,(1,234.5)\n",
		head + "P,M1,Lee,46023.5,$-0\n",
		"PK\x03\x04" + head,
		"\xff\xfee\x00x\x00",
	} {
		f.Add([]byte(seed))
	}
	conn := newConn(f)
	n := 0
	f.Fuzz(func(t *testing.T, data []byte) {
		n++
		path := filepath.Join(t.TempDir(), fmt.Sprintf("f%d.csv", n))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		st, err := Load(context.Background(), conn, Source{Path: path, Side: "marketplace"})
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatal(err)
			}
			return // a whole-file problem, reported with the file's name
		}
		// What a line is, by its number: 'r' a row, 'x' rejects.
		kind := map[int64]byte{}
		rows, err := conn.QueryContext(context.Background(), "SELECT source_line, reject_reasons IS NULL FROM "+sourceRows(t, conn, "marketplace")+
			" WHERE source_file = ? UNION ALL SELECT DISTINCT line, false FROM rejects WHERE file = ?", path, path)
		if err != nil {
			t.Fatal(err)
		}
		var entries int64
		for rows.Next() {
			var line int64
			var loaded bool
			if err := rows.Scan(&line, &loaded); err != nil {
				t.Fatal(err)
			}
			if loaded && kind[line] != 0 || !loaded && kind[line] == 'r' {
				t.Fatalf("line %d is given to more than one row", line)
			}
			if kind[line] == 0 {
				entries++
			}
			kind[line] = 'x'
			if loaded {
				kind[line] = 'r'
			}
		}
		rows.Close()
		if entries != st.Loaded+st.Rejected {
			t.Fatalf("%d loaded + %d rejected, on %d lines", st.Loaded, st.Rejected, entries)
		}
		nl := "\n"
		if !bytes.Contains(data, []byte(nl)) {
			nl = "\r"
		}
		lines := strings.Split(strings.TrimPrefix(string(data), "\ufeff"), nl)
		if lines[len(lines)-1] == "" {
			lines = lines[:len(lines)-1]
		}
		// A row whose lines each have the header's fields is lines swallowed
		// by a stray quote.
		delim := sniffDelimiter([]byte(lines[0]))
		wholeRow := func(l int64) bool {
			return !strings.Contains(lines[0], `"`) && strings.Count(lines[l-1], delim) == strings.Count(lines[0], delim)
		}
		for l := int64(2); l <= int64(len(lines)); l++ {
			if kind[l] != 0 || strings.TrimSuffix(lines[l-1], "\r") == "" {
				continue
			}
			from := l - 1
			for from > 1 && kind[from] == 0 {
				from--
			}
			if kind[from] == 'x' || !strings.Contains(lines[from-1], `"`) {
				t.Fatalf("line %d is neither a row nor a reject, nor inside a quoted field", l)
			}
			if swallowed := wholeRow(from); from > 1 && swallowed {
				to := l
				for to+1 <= int64(len(lines)) && kind[to+1] == 0 {
					to++
				}
				for x := from + 1; x <= to; x++ {
					swallowed = swallowed && wholeRow(x)
				}
				if swallowed {
					t.Fatalf("lines %d-%d, each a whole row, loaded as the one row of line %d", from, to, from)
				}
			}
		}
		for l := range kind {
			if l < 2 || l > int64(len(lines)) {
				t.Fatalf("line %d is outside the file's %d lines", l, len(lines))
			}
		}
	})
}

// TestLineNumbersFollowTheFile: on files large enough for DuckDB to read
// in parallel chunks, every row keeps its own line number (they come from
// row order): after a rejected line (a.csv), in a file read again as
// Latin-1 (b.csv), and for every file once later files are in.
func TestLineNumbersFollowTheFile(t *testing.T) {
	conn := newConn(t)
	var paths []string
	for _, name := range []string{"a.csv", "b.csv", "c.csv"} {
		var b strings.Builder
		b.WriteString("exchange_policy_id,exchange_member_id,last_name,first_name\n")
		const rows = 400000
		wantRejected := int64(0)
		for i := range rows {
			line := i + 2
			switch {
			case name == "a.csv" && i == 1000:
				b.WriteString("P,short\n") // rejected: fields missing
				wantRejected = 1
				continue
			case name == "b.csv" && i == 300000:
				fmt.Fprintf(&b, "P%d,M%d,%d,Mu\xf1oz\n", line, line, line) // not UTF-8
				continue
			}
			fmt.Fprintf(&b, "P%d,M%d,%d,Ana\n", line, line, line)
		}
		path := writeFile(t, name, b.String())
		paths = append(paths, path)
		st, err := Load(context.Background(), conn, Source{Path: path, Side: "insurer"})
		if err != nil {
			t.Fatal(err)
		}
		if st.Loaded != rows-wantRejected || st.Rejected != wantRejected {
			t.Fatalf("%s: loaded %d rejected %d", name, st.Loaded, st.Rejected)
		}
		if name == "b.csv" && len(st.Warnings) == 0 {
			t.Fatalf("%s: read as UTF-8 without a warning", name)
		}
	}
	for _, path := range paths {
		var wrong int64
		err := conn.QueryRowContext(context.Background(),
			"SELECT count(*) FROM "+sourceRows(t, conn, "insurer")+" WHERE source_file = ? AND CAST(source_line AS VARCHAR) IS DISTINCT FROM last_name", path).Scan(&wrong)
		if err != nil {
			t.Fatal(err)
		}
		if wrong != 0 {
			t.Errorf("%s: %d rows carry another row's line number", path, wrong)
		}
	}
}

// TestRowBytes: an 834's rows are sized at 0.4 of its bytes, by extension
// or by a mapping's format; every other format at its size.
func TestRowBytes(t *testing.T) {
	for _, tc := range []struct {
		src  Source
		want int64
	}{
		{Source{Path: "week.834"}, 400},
		{Source{Path: "week.EDI"}, 400},
		{Source{Path: "week.txt", Mapping: &mapping.Mapping{Format: "x12"}}, 400},
		{Source{Path: "week.txt", Format: "x12"}, 400},
		{Source{Path: "roster.csv"}, 1000},
		{Source{Path: "pre-audit.txt", Format: "rcni"}, 1000},
		{Source{Path: "roster.unknown"}, 1000},
	} {
		if got := RowBytes(tc.src, 1000); got != tc.want {
			t.Errorf("RowBytes(%s, 1000) = %d, want %d", tc.src.Path, got, tc.want)
		}
	}
}
