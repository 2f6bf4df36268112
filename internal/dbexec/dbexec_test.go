package dbexec

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

// TestCloseConnAfterInterrupt: a database file whose connection was closed
// after an interrupted query opens again in the same process. Without the
// statement CloseConn runs first, DuckDB kept the database alive when the
// interrupt left tasks queued (about one query in a hundred), and the next
// open of the file waited for it forever; so many interrupts, at many
// moments, on a few files at once. The query is short enough (a few
// hundred milliseconds) for that statement to clear its tasks quickly.
func TestCloseConnAfterInterrupt(t *testing.T) {
	const files, rounds = 4, 80
	dir := t.TempDir()
	progress := make(chan struct{}, files*rounds)
	errs := make(chan error, files)
	var wg sync.WaitGroup
	for f := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := filepath.Join(dir, fmt.Sprintf("f%d.duckdb", f))
			for i := range rounds {
				if err := interruptAndClose(path, time.Duration(1+(i+f*7)%30)*time.Millisecond); err != nil {
					errs <- err
					return
				}
				progress <- struct{}{}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for {
		select {
		case <-progress:
		case err := <-errs:
			t.Fatal(err)
		case <-done:
			return
		case <-time.After(30 * time.Second):
			// The goroutine that hangs spins in DuckDB for good; the test
			// binary ends with this failure all the same.
			t.Fatal("opening a database file again after an interrupted query hung")
		}
	}
}

// interruptAndClose opens the database file at path, interrupts a long
// query after timeout and closes it with CloseConn.
func interruptAndClose(path string, timeout time.Duration) error {
	db, err := sql.Open("duckdb", path)
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var n int64
	queryErr := conn.QueryRowContext(ctx, "SELECT count(DISTINCT range % 1000003) FROM range(20000000)").Scan(&n)
	if err := CloseConn(conn); err != nil {
		return err
	}
	if queryErr == nil {
		return errors.New("long query: done, want it interrupted")
	}
	return nil
}
