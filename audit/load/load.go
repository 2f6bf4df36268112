// Package load reads input files into DuckDB as canonical rows. Every
// reader exposes its file as text columns; one SQL normaliser then types and
// checks them, so a bad value becomes a counted reject with file, line, field
// and reason rather than a crash or a silent drop.
package load

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/enrollaudit/enrollaudit/audit/mapping"
	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/fileerr"
	"github.com/enrollaudit/enrollaudit/internal/dbexec"
	"github.com/enrollaudit/enrollaudit/internal/sqltext"
)

// ErrUnknownFormat is returned for a file whose format cannot be told from
// its extension or its mapping file.
var ErrUnknownFormat = errors.New("unknown input format")

// Source is one input file.
type Source struct {
	Path    string
	Side    string           // "marketplace" or "insurer"
	Mapping *mapping.Mapping // nil: headers are canonical names
	Format  string           // "" = from the mapping or the extension
	// Extract, when set, is the set of files this one is read with
	// (JoinExtracts).
	Extract *Extract
	// Lines, when set, waits for the pass that hashes the file and returns
	// its line count; without it the CSV reader counts them itself.
	Lines func() (*LineCounter, error)
}

// Reader makes one input format available to the normaliser.
type Reader interface {
	// Load reads src and hands its rows to t.Insert (once or more), and its
	// unreadable rows to t.Reject.
	Load(ctx context.Context, t *Target, src Source) error
}

var readers = map[string]Reader{
	"csv":     csvReader{},
	"tsv":     csvReader{delim: "\t"},
	"parquet": parquetReader{},
	"json":    jsonReader{},
	"ndjson":  jsonReader{},
	"xlsx":    xlsxReader{},
	"rcni":    rcniReader{},
}

var extensions = map[string]string{
	".csv": "csv", ".tsv": "tsv", ".txt": "csv", ".parquet": "parquet",
	".json": "json", ".ndjson": "ndjson", ".jsonl": "ndjson", ".xlsx": "xlsx",
	".834": "x12", ".edi": "x12", ".x12": "x12",
}

// FormatOf returns the format of src: explicit, from the mapping, or from
// the file's extension.
func FormatOf(src Source) (string, error) {
	if src.Format != "" {
		return src.Format, nil
	}
	if src.Mapping != nil && src.Mapping.Format != "" {
		return src.Mapping.Format, nil
	}
	ext := strings.ToLower(filepath.Ext(src.Path))
	if f, ok := extensions[ext]; ok {
		return f, nil
	}
	known := make([]string, 0, len(extensions))
	for e := range extensions {
		known = append(known, e)
	}
	slices.Sort(known)
	return "", &fileerr.Error{File: src.Path, Msg: fmt.Sprintf("%v %q: use one of %s, or name the format in a mapping file (format: rcni)",
		ErrUnknownFormat, ext, strings.Join(known, " "))}
}

// rowShare is, for formats whose files are much larger than the rows they
// carry, the share of a file's bytes its values take: an 834 spends most
// of its bytes on segment IDs, qualifiers and envelopes. The generator's
// 834 of 1M members (461 MB) holds the rows of a 182 MB CSV; an FFM-style
// one of 490k members with full 2750 loops (294 MB), those of a 107 MB
// CSV: both about 0.4.
var rowShare = map[string]float64{"x12": 0.4}

// RowBytes estimates the bytes of text src's rows come to, as a CSV of the
// same data would hold them, from the file's size on disk. It sizes the
// working tables before anything is read.
func RowBytes(src Source, size int64) int64 {
	format, err := FormatOf(src)
	if share, ok := rowShare[format]; ok && err == nil {
		return int64(float64(size) * share)
	}
	return size
}

// Stats counts what one file yielded.
type Stats struct {
	Format   string
	Loaded   int64
	Rejected int64
	// FieldProblems counts the loaded rows with a value that could not be
	// read (the field_problems column): loaded with that field empty.
	FieldProblems int64
	Warnings      []string
}

// Table names the loader writes to.
const (
	RejectsTable = "rejects"
	// FilesTable lists the loaded files: id (the canonical rows' file_id),
	// side, path, and line_offset, which gives the line of a row numbered
	// by its order in the file: rowid + line_offset.
	FilesTable = "input_files"
)

// CanonTable is the per-side table of typed canonical rows.
func CanonTable(side string) string { return "canon_" + side }

// Target is where a reader's rows go: the side's canonical table and the
// rejects table.
type Target struct {
	Conn   *sql.Conn
	src    Source
	stats  *Stats
	fileID int64
	// lineOffset is set when the rows' lines are their order in the file
	// (from firstLine): a row's line is rowid + lineOffset.
	lineOffset sql.NullInt64
	firstLine  int64
}

// lineSQL is the line of one of this file's rows in its canonical table.
func (t *Target) lineSQL() string {
	if !t.lineOffset.Valid {
		return "source_line"
	}
	return fmt.Sprintf("coalesce(source_line, rowid + %d)", t.lineOffset.Int64)
}

// SourceSQL returns the expressions that give a canonical row its file
// path and line, for the files loaded so far; both are NULL before any
// file is loaded, with the same types.
func SourceSQL(ctx context.Context, db dbexec.DB) (file, line string, err error) {
	rows, err := db.QueryContext(ctx, "SELECT id, path, line_offset FROM "+FilesTable+" ORDER BY id")
	if err != nil {
		return "", "", fmt.Errorf("list input files: %w", err)
	}
	defer rows.Close()
	var paths, offsets strings.Builder
	for rows.Next() {
		var id int64
		var path string
		var offset sql.NullInt64
		if err := rows.Scan(&id, &path, &offset); err != nil {
			return "", "", err
		}
		fmt.Fprintf(&paths, " WHEN %d THEN %s", id, sqltext.Literal(path))
		if offset.Valid {
			fmt.Fprintf(&offsets, " WHEN %d THEN %d", id, offset.Int64)
		}
	}
	if err := rows.Err(); err != nil {
		return "", "", err
	}
	file, line = "CAST(NULL AS VARCHAR)", "source_line"
	if paths.Len() > 0 {
		file = "CASE file_id" + paths.String() + " END"
	}
	if offsets.Len() > 0 {
		line = "coalesce(source_line, rowid + CASE file_id" + offsets.String() + " END)"
	}
	return file, line, nil
}

// Warn records a diagnostic about the file (shown on stderr and in the report).
func (t *Target) Warn(msg string) { t.stats.Warnings = append(t.stats.Warnings, msg) }

// CreateTables creates the canonical and rejects tables for both sides.
func CreateTables(ctx context.Context, conn *sql.Conn) error {
	var cols []string
	for _, f := range canonical.Fields {
		cols = append(cols, f.Name+" "+sqlType(f.Kind))
	}
	// A row's file is a number and, for files numbered by row order (CSV,
	// JSON, Parquet without row numbers), its line is derived from its
	// rowid (SourceSQL): a file's path on every row, or a line number
	// written to every row after the insert, cost more to store than the
	// values themselves.
	cols = append(cols, "file_id INTEGER", "source_line BIGINT",
		"reject_reasons STRUCT(field VARCHAR, value VARCHAR, reason VARCHAR)[]",
		// Values that could not be read in fields other than the keys: the
		// field is NULL, the row loads (NULL when none).
		"field_problems STRUCT(field VARCHAR, value VARCHAR, reason VARCHAR)[]")
	stmts := []string{
		// raw is the text of a line the reader could not split into fields:
		// it stays in the working database (never in an output), where
		// matching looks for the keys it holds (audit/relations keys.sql).
		fmt.Sprintf("CREATE TABLE %s (side VARCHAR, file VARCHAR, line BIGINT, field VARCHAR, value VARCHAR, reason VARCHAR, raw VARCHAR)", RejectsTable),
		fmt.Sprintf("CREATE TABLE %s (id INTEGER, side VARCHAR, path VARCHAR, line_offset BIGINT)", FilesTable),
	}
	for _, side := range []string{"marketplace", "insurer"} {
		stmts = append(stmts, fmt.Sprintf("CREATE TABLE %s (%s)", CanonTable(side), strings.Join(cols, ", ")))
	}
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("create tables: %w", err)
		}
	}
	return nil
}

func sqlType(k canonical.Kind) string {
	switch k {
	case canonical.Int:
		return "INTEGER"
	case canonical.Date:
		return "DATE"
	case canonical.Money:
		return "DECIMAL(18,2)"
	// The closed sets are enums: a byte a value, where text took 16 in
	// every hash table and comparison of the rules' pass over all pairs
	// (0.8 s of its 3.5 s at 10M members a side). Values are listed in
	// alphabetical order, so enums sort as their text would, and compare
	// with any text (a value outside the set is simply unequal).
	case canonical.Flag:
		return "ENUM('N', 'Y')"
	case canonical.Gender:
		return "ENUM('F', 'M', 'U')"
	case canonical.Status:
		return "ENUM('cancelled', 'effectuated', 'pending', 'terminated')"
	}
	return "VARCHAR"
}

// Check reports, without reading it, why src cannot be loaded: an unknown
// format, or a path that is missing, unreadable or a directory.
func Check(src Source) error {
	format, err := FormatOf(src)
	if err != nil {
		return err
	}
	if _, ok := readers[format]; !ok {
		return &fileerr.Error{File: src.Path, Msg: fmt.Sprintf("%v %q", ErrUnknownFormat, format)}
	}
	f, err := os.Open(src.Path)
	if err != nil {
		return &fileerr.Error{File: src.Path, Msg: "cannot read input: " + pathReason(err)}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return &fileerr.Error{File: src.Path, Msg: "cannot read input: " + pathReason(err)}
	}
	if st.IsDir() {
		return &fileerr.Error{File: src.Path, Msg: "is a directory, not an input file"}
	}
	return nil
}

// Load reads one file into its side's canonical table. Rows with values that
// do not parse stay in the table with reject_reasons set, and go to the
// rejects table; the caller decides whether that many rejects fail the run.
func Load(ctx context.Context, conn *sql.Conn, src Source) (*Stats, error) {
	if err := Check(src); err != nil {
		return nil, err
	}
	if src.Extract != nil && len(src.Extract.srcs) > 1 {
		return src.Extract.load(ctx, conn, src)
	}
	t, err := register(ctx, conn, src)
	if err != nil {
		return nil, err
	}
	if err := readers[t.stats.Format].Load(ctx, t, src); err != nil {
		return nil, err
	}
	if _, parsed := parsers[t.stats.Format]; parsed {
		return t.stats, nil // loadParsed collected the rejects
	}
	if err := t.collectRejects(ctx); err != nil {
		return nil, err
	}
	return t.stats, nil
}

// register lists src in the files table and returns the target its rows go
// to under that file's id.
func register(ctx context.Context, conn *sql.Conn, src Source) (*Target, error) {
	format, _ := FormatOf(src)
	t := &Target{Conn: conn, src: src, stats: &Stats{Format: format}}
	err := conn.QueryRowContext(ctx, "INSERT INTO "+FilesTable+" SELECT coalesce(max(id), 0) + 1, ?, ?, NULL FROM "+FilesTable+" RETURNING id",
		src.Side, src.Path).Scan(&t.fileID)
	if err != nil {
		return nil, fmt.Errorf("register %s: %w", src.Path, err)
	}
	return t, nil
}

func pathReason(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// collectRejects copies this file's rows with reject reasons into the
// rejects table, one line per bad field, and counts loaded and rejected rows.
func (t *Target) collectRejects(ctx context.Context) error {
	table := CanonTable(t.src.Side)
	q := fmt.Sprintf(`INSERT INTO %s SELECT ?, ?, line, e.field, e.value, e.reason, NULL
		FROM (SELECT %s AS line, unnest(reject_reasons) AS e FROM %s WHERE file_id = ? AND reject_reasons IS NOT NULL)
		ORDER BY line`,
		RejectsTable, t.lineSQL(), table)
	if _, err := t.Conn.ExecContext(ctx, q, t.src.Side, t.src.Path, t.fileID); err != nil {
		return fmt.Errorf("collect rejects of %s: %w", t.src.Path, err)
	}
	row := t.Conn.QueryRowContext(ctx, fmt.Sprintf(
		"SELECT count(*) FILTER (WHERE reject_reasons IS NULL), count(*) FILTER (WHERE reject_reasons IS NOT NULL), count(*) FILTER (WHERE reject_reasons IS NULL AND field_problems IS NOT NULL) FROM %s WHERE file_id = ?", table), t.fileID)
	var rejected int64
	if err := row.Scan(&t.stats.Loaded, &rejected, &t.stats.FieldProblems); err != nil {
		return fmt.Errorf("count rows of %s: %w", t.src.Path, err)
	}
	// Rows a reader could not split into fields never reach the table; they
	// are already in the rejects table, counted through the reader.
	t.stats.Rejected += rejected
	return nil
}

// Reject records a row the reader could not split into fields.
func (t *Target) Reject(ctx context.Context, rej canonical.Reject) error {
	_, err := t.Conn.ExecContext(ctx, "INSERT INTO "+RejectsTable+" VALUES (?, ?, ?, ?, ?, ?, NULL)",
		t.src.Side, t.src.Path, rej.Line, rej.Field, rej.Value, rej.Reason)
	if err != nil {
		return fmt.Errorf("record reject: %w", err)
	}
	t.stats.Rejected++
	return nil
}
