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

	"github.com/enrollaudit/enrollaudit/audit/canonical"
	"github.com/enrollaudit/enrollaudit/audit/fileerr"
	"github.com/enrollaudit/enrollaudit/audit/mapping"
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

// Stats counts what one file yielded.
type Stats struct {
	Format   string
	Loaded   int64
	Rejected int64
	Warnings []string
}

// Table names the loader writes to.
const (
	RejectsTable = "rejects"
)

// CanonTable is the per-side table of typed canonical rows.
func CanonTable(side string) string { return "canon_" + side }

// Target is where a reader's rows go: the side's canonical table and the
// rejects table.
type Target struct {
	Conn  *sql.Conn
	src   Source
	stats *Stats
}

// Warn records a diagnostic about the file (shown on stderr and in the report).
func (t *Target) Warn(msg string) { t.stats.Warnings = append(t.stats.Warnings, msg) }

// CreateTables creates the canonical and rejects tables for both sides.
func CreateTables(ctx context.Context, conn *sql.Conn) error {
	var cols []string
	for _, f := range canonical.Fields {
		cols = append(cols, f.Name+" "+sqlType(f.Kind))
	}
	cols = append(cols, "source_file VARCHAR", "source_line BIGINT",
		"reject_reasons STRUCT(field VARCHAR, value VARCHAR, reason VARCHAR)[]")
	stmts := []string{
		fmt.Sprintf("CREATE TABLE %s (side VARCHAR, file VARCHAR, line BIGINT, field VARCHAR, value VARCHAR, reason VARCHAR)", RejectsTable),
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
	format, _ := FormatOf(src)
	stats := &Stats{Format: format}
	t := &Target{Conn: conn, src: src, stats: stats}
	if err := readers[format].Load(ctx, t, src); err != nil {
		return nil, err
	}
	if err := t.collectRejects(ctx); err != nil {
		return nil, err
	}
	return stats, nil
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
	q := fmt.Sprintf(`INSERT INTO %s SELECT ?, source_file, source_line, e.field, e.value, e.reason
		FROM (SELECT source_file, source_line, unnest(reject_reasons) AS e FROM %s WHERE source_file = ? AND reject_reasons IS NOT NULL)`,
		RejectsTable, table)
	if _, err := t.Conn.ExecContext(ctx, q, t.src.Side, t.src.Path); err != nil {
		return fmt.Errorf("collect rejects of %s: %w", t.src.Path, err)
	}
	row := t.Conn.QueryRowContext(ctx, fmt.Sprintf(
		"SELECT count(*) FILTER (WHERE reject_reasons IS NULL), count(*) FILTER (WHERE reject_reasons IS NOT NULL) FROM %s WHERE source_file = ?", table), t.src.Path)
	var rejected int64
	if err := row.Scan(&t.stats.Loaded, &rejected); err != nil {
		return fmt.Errorf("count rows of %s: %w", t.src.Path, err)
	}
	// Rows a reader could not split into fields never reach the table; they
	// are already in the rejects table, counted through the reader.
	t.stats.Rejected += rejected
	return nil
}

// Reject records a row the reader could not split into fields.
func (t *Target) Reject(ctx context.Context, rej canonical.Reject) error {
	_, err := t.Conn.ExecContext(ctx, "INSERT INTO "+RejectsTable+" VALUES (?, ?, ?, ?, ?, ?)",
		t.src.Side, t.src.Path, rej.Line, rej.Field, rej.Value, rej.Reason)
	if err != nil {
		return fmt.Errorf("record reject: %w", err)
	}
	t.stats.Rejected++
	return nil
}
