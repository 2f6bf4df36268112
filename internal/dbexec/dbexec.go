// Package dbexec names what the packages that run SQL (audit, its
// relations and loaders, rules) need of DuckDB: one interface, at the
// lowest layer they all import.
package dbexec

import (
	"context"
	"database/sql"
)

// DB runs statements and queries: a *sql.Conn (the engine's one
// connection) or a *sql.DB (the pool report writers read through).
type DB interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
