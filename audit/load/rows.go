package load

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// rowTable is a staging table of text columns that a reader parsing its
// format in Go fills through DuckDB's appender, then hands to the
// normaliser as a Relation. It is dropped once normalised.
type rowTable struct {
	name    string
	headers []string
	cols    []string
	conn    driver.Conn
	app     *duckdb.Appender
	vals    []driver.Value
}

// newRowTable creates the staging table for headers (plus a line column).
func newRowTable(ctx context.Context, t *Target, headers []string) (*rowTable, error) {
	rt := &rowTable{name: fmt.Sprintf("rows_%d", scanSeq.Add(1)), headers: headers}
	defs := []string{"__line BIGINT"}
	for i := range headers {
		rt.cols = append(rt.cols, "c"+strconv.Itoa(i))
		defs = append(defs, rt.cols[i]+" VARCHAR")
	}
	if _, err := t.Conn.ExecContext(ctx, fmt.Sprintf("CREATE TEMP TABLE %s (%s)", rt.name, strings.Join(defs, ", "))); err != nil {
		return nil, fmt.Errorf("create staging table: %w", err)
	}
	err := t.Conn.Raw(func(dc any) error {
		rt.conn = dc.(driver.Conn)
		app, err := duckdb.NewAppender(rt.conn, "temp", "main", rt.name)
		rt.app = app
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open appender: %w", err)
	}
	rt.vals = make([]driver.Value, len(headers)+1)
	return rt, nil
}

// Append adds one row; values beyond the headers are an error for the
// caller to report, fewer are padded with NULL.
func (rt *rowTable) Append(line int64, values []string) error {
	rt.vals[0] = line
	for i := range rt.headers {
		if i < len(values) && values[i] != "" {
			rt.vals[i+1] = values[i]
		} else {
			rt.vals[i+1] = nil
		}
	}
	return rt.app.AppendRow(rt.vals...)
}

// Finish closes the appender and normalises the staged rows into the side's
// canonical table.
func (rt *rowTable) Finish(ctx context.Context, t *Target, rel Relation) error {
	if err := rt.app.Close(); err != nil {
		return fmt.Errorf("stage rows: %w", err)
	}
	rel.SQL, rel.Columns, rel.Headers, rel.Line = "temp.main."+rt.name, rt.cols, rt.headers, "__line"
	if err := t.Insert(ctx, rel); err != nil {
		return err
	}
	_, err := t.Conn.ExecContext(ctx, "DROP TABLE temp.main."+rt.name)
	return err
}

// Abort drops the staging table after a failure.
func (rt *rowTable) Abort(ctx context.Context, t *Target) {
	_ = rt.app.Close()
	_, _ = t.Conn.ExecContext(ctx, "DROP TABLE IF EXISTS temp.main."+rt.name)
}
