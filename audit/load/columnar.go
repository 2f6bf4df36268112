package load

import (
	"context"
	"fmt"

	"strings"

	"github.com/enrollaudit/enrollaudit/fileerr"
	"github.com/enrollaudit/enrollaudit/internal/sqltext"
)

// parquetReader and jsonReader let DuckDB read the file; values of any type
// are cast to text and normalised like CSV values.
type parquetReader struct{}

type jsonReader struct{}

func (parquetReader) Load(ctx context.Context, t *Target, src Source) error {
	fn := fmt.Sprintf("read_parquet(%s, file_row_number = true)", sqltext.Literal(src.Path))
	names, err := describe(ctx, t, src.Path, fn)
	if err != nil {
		return err
	}
	names = without(names, "file_row_number")
	return t.Insert(ctx, Relation{SQL: fn, Columns: idents(names), Headers: names, Line: "file_row_number + 1"})
}

func (jsonReader) Load(ctx context.Context, t *Target, src Source) error {
	names, err := describe(ctx, t, src.Path, fmt.Sprintf("read_json(%s, format = 'auto', sample_size = -1)", sqltext.Literal(src.Path)))
	if err != nil {
		return err
	}
	// Reading every column as VARCHAR keeps numbers' text as written
	// (leading zeros of IDs, cents of amounts).
	var cols []string
	for _, n := range names {
		cols = append(cols, sqltext.Literal(n)+": 'VARCHAR'")
	}
	fn := fmt.Sprintf("read_json(%s, format = 'auto', columns = {%s})", sqltext.Literal(src.Path), strings.Join(cols, ", "))
	return t.Insert(ctx, Relation{SQL: fn, Columns: idents(names), Headers: names, FirstLine: 1})
}

func describe(ctx context.Context, t *Target, path, fn string) ([]string, error) {
	rows, err := t.Conn.QueryContext(ctx, "DESCRIBE SELECT * FROM "+fn)
	if err != nil {
		return nil, &fileerr.Error{File: path, Msg: "cannot read: " + firstLine(err.Error())}
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var names []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		names = append(names, fmt.Sprint(vals[0]))
	}
	if err := rows.Err(); err != nil {
		return nil, &fileerr.Error{File: path, Msg: "cannot read: " + firstLine(err.Error())}
	}
	return names, nil
}

func without(ss []string, drop string) []string {
	var out []string
	for _, s := range ss {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}

func idents(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = `"` + strings.ReplaceAll(n, `"`, `""`) + `"`
	}
	return out
}
