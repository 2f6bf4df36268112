// Package dbexec names what the packages that run SQL (audit, its
// relations and loaders, rules, history) need of DuckDB: one interface,
// and how a connection is closed, at the lowest layer they all import.
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

// CloseConn closes conn, first letting it run a statement of its own.
// After an interrupted statement DuckDB may leave the statement's tasks
// queued; only the connection's next statement clears them, and closing
// without one keeps the database alive for good. A database kept alive so
// stays in duckdb-go's cache of open files, and the next open of the same
// file in the process waits for it forever (a run interrupted while it
// recorded, then its history opened again).
func CloseConn(conn *sql.Conn) error {
	_, _ = conn.ExecContext(context.Background(), "SELECT 1")
	return conn.Close()
}
