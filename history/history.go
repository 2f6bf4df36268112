// Package history is the store that remembers audits across runs: one DuckDB
// file holding every run's scope, inputs and figures, and every finding's
// keys, amount and values hash, from which each finding's lifecycle (new,
// persisting, changed, reopened, resolved, not_evaluated) is derived. It
// holds no SSNs, names or birth dates. See docs/history.md.
package history

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver

	"github.com/enrollaudit/enrollaudit/internal/dbexec"
)

// SchemaVersion is the version of the store this package writes; Open
// migrates older files to it.
const SchemaVersion = 3

// appName marks our files among DuckDB databases (table history_meta).
const appName = "enrollaudit history"

//go:embed sql/*.sql
var sqlFiles embed.FS

// migrations[i] brings a store from version i to version i+1.
var migrations = []string{"sql/001_init.sql", "sql/002_integrity.sql", "sql/003_dispositions.sql"}

var (
	// ErrInUse: another process (or another Open in this one) holds the file.
	ErrInUse = errors.New("history file is in use")
	// ErrNotHistory: the file is not an enrollaudit history, or is corrupt.
	ErrNotHistory = errors.New("not an enrollaudit history file")
	// ErrNewerVersion: the file was written by a newer enrollaudit.
	ErrNewerVersion = errors.New("history file is of a newer version")
	// ErrNotFound: OpenExisting found no file.
	ErrNotFound = errors.New("no history file")
)

// Store is an open history file. It holds DuckDB's lock on the file until
// Close: a second writer fails at Open.
type Store struct {
	path string
	db   *sql.DB
	conn *sql.Conn
	busy bool // a Recorder's transaction is open
}

// open files of this process: DuckDB shares one database between opens of
// the same file in a process, so its file lock does not keep them apart.
var (
	openMu    sync.Mutex
	openPaths = map[string]bool{}
)

// Open opens the history at path, creating it (mode 0600) when absent and
// migrating an older one to SchemaVersion. A file that is not a history, is
// corrupt or of a newer version is left untouched.
func Open(ctx context.Context, path string) (*Store, error) {
	return open(ctx, path, true)
}

// OpenExisting is Open for commands that only make sense on an existing
// history: a missing file is ErrNotFound.
func OpenExisting(ctx context.Context, path string) (*Store, error) {
	return open(ctx, path, false)
}

func open(ctx context.Context, path string, create bool) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("history %s: %w", path, err)
	}
	openMu.Lock()
	defer openMu.Unlock()
	if openPaths[abs] {
		return nil, fmt.Errorf("%w: %s is open in this process already", ErrInUse, path)
	}
	_, statErr := os.Stat(abs)
	exists := statErr == nil
	switch {
	case errors.Is(statErr, os.ErrNotExist) && !create:
		return nil, fmt.Errorf("%w at %s", ErrNotFound, path)
	case statErr != nil && !errors.Is(statErr, os.ErrNotExist):
		return nil, fmt.Errorf("history %s: %w", path, statErr)
	}
	if exists {
		// Look before writing anything: a foreign, corrupt or newer file
		// must stay byte for byte as it was.
		if err := inspect(ctx, abs, path); err != nil {
			return nil, err
		}
	}
	db, err := sql.Open("duckdb", abs)
	var conn *sql.Conn
	if err == nil {
		conn, err = db.Conn(ctx)
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		if !exists {
			return nil, fmt.Errorf("create history %s: %w", path, err)
		}
		return nil, openError(path, err)
	}
	s := &Store{path: path, db: db, conn: conn}
	if !exists {
		// Only the empty schema is in the file yet.
		if err := os.Chmod(abs, 0o600); err != nil {
			s.close()
			return nil, fmt.Errorf("history %s: %w", path, err)
		}
	}
	if err := s.migrate(ctx, exists); err != nil {
		s.close()
		if !exists {
			os.Remove(abs)
			os.Remove(abs + ".wal")
		}
		return nil, err
	}
	openPaths[abs] = true
	s.path = abs
	return s, nil
}

// duckMagic is where DuckDB marks its files: "DUCK" at byte 8.
var duckMagic = []byte("DUCK")

// inspect checks an existing file read-only: that it is a DuckDB database
// holding an enrollaudit history of a version this package knows.
func inspect(ctx context.Context, abs, name string) error {
	f, err := os.Open(abs)
	if err != nil {
		return fmt.Errorf("history %s: %w", name, err)
	}
	head := make([]byte, 12)
	_, err = io.ReadFull(f, head)
	f.Close()
	if err != nil || !bytes.Equal(head[8:12], duckMagic) {
		return fmt.Errorf("%w: %s is not a DuckDB database", ErrNotHistory, name)
	}
	if _, err := os.Stat(abs + ".wal"); err == nil {
		// A run killed before its commit leaves a WAL for DuckDB to replay
		// (or discard); only a read-write open does that.
		return nil
	}
	db, err := sql.Open("duckdb", abs+"?access_mode=READ_ONLY")
	if err != nil {
		return openError(name, err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return openError(name, err)
	}
	defer dbexec.CloseConn(conn)
	_, err = version(ctx, conn, name)
	return err
}

// version reads the schema version of an existing file and checks it is ours.
func version(ctx context.Context, q querier, name string) (int, error) {
	var app string
	if err := q.QueryRowContext(ctx, "SELECT app FROM history_meta").Scan(&app); err != nil || app != appName {
		return 0, fmt.Errorf("%w: %s is a DuckDB database of something else", ErrNotHistory, name)
	}
	var v int
	if err := q.QueryRowContext(ctx, "SELECT max(version) FROM schema_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("%w: %s: no schema version: %v", ErrNotHistory, name, err)
	}
	if v > SchemaVersion {
		return 0, fmt.Errorf("%w: %s is schema version %d, this enrollaudit reads up to version %d; use a newer enrollaudit",
			ErrNewerVersion, name, v, SchemaVersion)
	}
	return v, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

var (
	lockRE = regexp.MustCompile(`Could not set lock on file|Conflicting lock is held`)
	pidRE  = regexp.MustCompile(`\(PID (\d+)\)`)
)

// openError turns DuckDB's open failures into what a user can act on.
func openError(name string, err error) error {
	msg := err.Error()
	switch {
	case lockRE.MatchString(msg):
		pid := ""
		if m := pidRE.FindStringSubmatch(msg); m != nil {
			pid = " (process " + m[1] + ")"
		}
		return fmt.Errorf("%w: %s is being written by another enrollaudit%s; try again when it has finished", ErrInUse, name, pid)
	case strings.Contains(msg, "not a valid DuckDB database"):
		return fmt.Errorf("%w: %s is not a DuckDB database", ErrNotHistory, name)
	case strings.Contains(msg, "version number"): // "a database file with version number N, ... only read version M"
		return fmt.Errorf("%w: %s was written by another DuckDB version: %v", ErrNewerVersion, name, err)
	}
	return fmt.Errorf("%w: %s cannot be read (corrupt?): %v", ErrNotHistory, name, err)
}

// migrate creates the schema of a new file, or brings an older one up to
// SchemaVersion, in one transaction.
func (s *Store) migrate(ctx context.Context, exists bool) (err error) {
	from := 0
	if exists {
		if from, err = version(ctx, s.conn, s.path); err != nil {
			return err
		}
	}
	if from == SchemaVersion {
		return nil
	}
	if err := s.exec(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			s.exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	if err := s.guardWAL(); err != nil {
		return err
	}
	if err := applyMigrations(ctx, s.conn, from, SchemaVersion); err != nil {
		return fmt.Errorf("history %s: %w", s.path, err)
	}
	if !exists {
		if _, err := s.conn.ExecContext(ctx, "INSERT INTO history_meta VALUES (?, ?)", appName, time.Now().UTC()); err != nil {
			return fmt.Errorf("history %s: %w", s.path, err)
		}
	}
	if err := s.exec(ctx, "COMMIT"); err != nil {
		return err
	}
	return s.exec(ctx, "CHECKPOINT")
}

// applyMigrations runs the migrations from version from up to version to.
func applyMigrations(ctx context.Context, conn *sql.Conn, from, to int) error {
	for v := from; v < to; v++ {
		stmts, err := sqlFiles.ReadFile(migrations[v])
		if err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, string(stmts)); err != nil {
			return fmt.Errorf("migrate to version %d: %w", v+1, err)
		}
		if _, err := conn.ExecContext(ctx, "INSERT INTO schema_version VALUES (?, ?)", v+1, time.Now().UTC()); err != nil {
			return fmt.Errorf("migrate to version %d: %w", v+1, err)
		}
	}
	return nil
}

// guardWAL makes sure DuckDB's write-ahead log, which holds a run's
// findings until the checkpoint after its commit, is private too: DuckDB
// writes into an existing log file and keeps its mode.
func (s *Store) guardWAL() error {
	wal := s.path + ".wal"
	f, err := os.OpenFile(wal, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("history %s: %w", s.path, err)
	}
	f.Close()
	if err := os.Chmod(wal, 0o600); err != nil {
		return fmt.Errorf("history %s: %w", s.path, err)
	}
	return nil
}

func (s *Store) exec(ctx context.Context, stmt string, args ...any) error {
	if _, err := s.conn.ExecContext(ctx, stmt, args...); err != nil {
		return fmt.Errorf("history %s: %s: %w", s.path, strings.Fields(stmt)[0], err)
	}
	return nil
}

// Path is the absolute path of the history file.
func (s *Store) Path() string { return s.path }

// Close releases the file. A Recorder not committed by then is rolled back.
func (s *Store) Close() error {
	openMu.Lock()
	defer openMu.Unlock()
	delete(openPaths, s.path)
	return s.close()
}

func (s *Store) close() error {
	err := dbexec.CloseConn(s.conn)
	if e := s.db.Close(); err == nil {
		err = e
	}
	return err
}
