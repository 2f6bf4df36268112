package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/enrollaudit/enrollaudit/audit/load"
	"github.com/enrollaudit/enrollaudit/audit/mapping"
	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/fileerr"
	"github.com/enrollaudit/enrollaudit/internal/sqltext"
	"github.com/enrollaudit/enrollaudit/reports"
)

// ConvertOptions is everything `enrollaudit convert` can be told.
type ConvertOptions struct {
	Input      string
	Mapping    string
	Format     string // overrides extension and mapping
	Output     string // .csv or .parquet
	MaxRejects int64
	RevealPII  bool // keep full SSNs in the output
}

// ConvertResult says what a conversion wrote.
type ConvertResult struct {
	Rows     int64
	Rejected int64
	Rejects  string // rejects file written beside the output, when any
	Warnings []string
}

// Convert writes any readable input as canonical rows, so a user can open
// an 834 or RCNI file in Excel or hand it to other tools. Rows that cannot
// be read go to OUTPUT.rejects.csv, as in an audit.
func Convert(ctx context.Context, opts ConvertOptions) (*ConvertResult, error) {
	ext := strings.ToLower(filepath.Ext(opts.Output))
	if ext != ".csv" && ext != ".parquet" {
		return nil, Usagef("--to %q must end in .csv or .parquet", opts.Output)
	}
	src := load.Source{Path: opts.Input, Side: "marketplace", Format: opts.Format}
	if opts.Mapping != "" {
		m, err := mapping.Load(opts.Mapping)
		if err != nil {
			return nil, err
		}
		src.Mapping = m
	}
	if err := load.Check(src); err != nil {
		return nil, err
	}
	_, rows := inputSize([]load.Source{src})
	d, err := openDB(ctx, Options{}, rows)
	if err != nil {
		return nil, err
	}
	defer d.close()
	conn := d.conn
	if err := load.CreateTables(ctx, conn); err != nil {
		return nil, err
	}
	stats, err := load.Load(ctx, conn, src)
	if err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	res := &ConvertResult{Rows: stats.Loaded, Rejected: stats.Rejected, Warnings: stats.Warnings}
	if stats.FieldProblems > 0 {
		// The audit reports each as a finding; a conversion has only this.
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %d rows have values that could not be read, written empty (enrollaudit run reports each as a field-unreadable finding)", src.Path, stats.FieldProblems))
	}
	dir := filepath.Dir(opts.Output)
	if stats.Rejected > 0 {
		rejects := reports.RejectsCSV{Source: &rejectStream{db: conn}, RevealPII: opts.RevealPII}
		files, err := reports.Publish(ctx, dir, nil, renamed{rejects, filepath.Base(opts.Output) + ".rejects.csv"})
		if err != nil {
			return nil, err
		}
		res.Rejects = files[0]
		if stats.Rejected > opts.MaxRejects {
			return nil, &RejectsError{Rejected: stats.Rejected, Max: opts.MaxRejects, File: res.Rejects}
		}
	}

	format := "(FORMAT csv, HEADER true)"
	if ext == ".parquet" {
		format = "(FORMAT parquet)"
	}
	var cols []string
	for _, f := range canonical.Fields {
		col := f.Name
		if f.Name == "ssn" && !opts.RevealPII {
			col = canonical.MaskSSNSQL("ssn")
		}
		// Text a spreadsheet would run as a formula gets a leading quote in
		// CSV, as in every CSV this tool writes (reports.InertText).
		if ext == ".csv" && f.Kind == canonical.Text {
			col = "CASE WHEN left(" + col + ", 1) IN ('=', '+', '-', '@', chr(9), chr(13)) THEN chr(39) || " + col + " ELSE " + col + " END"
		}
		cols = append(cols, col+" AS "+f.Name)
	}
	// DuckDB writes the file under a temporary name in the target directory;
	// it is renamed into place only when complete.
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(opts.Output)+".*.tmp")
	if err != nil {
		return nil, &fileerr.Error{File: opts.Output, Msg: "cannot write: " + err.Error()}
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	q := fmt.Sprintf("COPY (SELECT %s FROM %s WHERE reject_reasons IS NULL ORDER BY rowid) TO %s %s",
		strings.Join(cols, ", "), load.CanonTable("marketplace"), sqltext.Literal(tmp.Name()), format)
	if _, err := conn.ExecContext(ctx, q); err != nil {
		return nil, fmt.Errorf("write %s: %w", opts.Output, err)
	}
	if err := os.Rename(tmp.Name(), opts.Output); err != nil {
		return nil, fmt.Errorf("write %s: %w", opts.Output, err)
	}
	return res, nil
}

// renamed gives a writer another file name (rejects of a conversion are
// named after its output).
type renamed struct {
	reports.Writer
	name string
}

func (r renamed) FileName() string { return r.name }
