package history

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The test binary doubles as a helper process: HISTORY_HELPER=hold opens a
// history and holds it until stdin closes; HISTORY_HELPER=write records a
// run of findings without end, saying how far it got, until killed;
// HISTORY_HELPER=reopen opens histories, interrupts queries on them and
// closes them, over and over, and says "reopened" when done.
func TestMain(m *testing.M) {
	switch os.Getenv("HISTORY_HELPER") {
	case "":
		os.Exit(m.Run())
	case "hold":
		s, err := Open(context.Background(), os.Getenv("HISTORY_FILE"))
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("ready")
		bufio.NewReader(os.Stdin).ReadString('\n')
		s.Close()
		os.Exit(0)
	case "write":
		ctx := context.Background()
		s, err := Open(ctx, os.Getenv("HISTORY_FILE"))
		if err == nil {
			var rec *Recorder
			rec, err = s.Begin(ctx, Run{AsOf: time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC), Scope: []string{"A"}})
			for i := 0; err == nil; i++ {
				err = rec.Add(ctx, Finding{ID: fmt.Sprintf("k%09d", i), Rule: "r", Category: "wrong_plan", Severity: "high",
					IssuerHIOSID: "A", ValuesHash: "h"})
				if i%50000 == 49999 {
					fmt.Println("added", i+1)
				}
			}
		}
		fmt.Println("error:", err)
		os.Exit(1)
	case "reopen":
		if err := interruptAndReopen(os.Getenv("HISTORY_FILE")); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("reopened")
		os.Exit(0)
	}
}

// interruptAndReopen opens four histories named after path, again and
// again, each time interrupting a query on its connection at another
// moment before closing it: DuckDB kept a database alive when an
// interrupt left tasks queued (about one query in a hundred) and the
// connection closed without a statement after, and the next open of its
// file spun forever.
func interruptAndReopen(path string) error {
	const files, rounds = 4, 60
	errs := make(chan error, files)
	for f := range files {
		go func() {
			name := fmt.Sprintf("%s.%d", path, f)
			for i := range rounds {
				s, err := Open(context.Background(), name)
				if err != nil {
					errs <- err
					return
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(1+(i+f*7)%30)*time.Millisecond)
				var n int64
				err = s.conn.QueryRowContext(ctx, "SELECT count(DISTINCT range % 1000003) FROM range(20000000)").Scan(&n)
				cancel()
				if cerr := s.Close(); cerr != nil {
					errs <- cerr
					return
				}
				if err == nil {
					errs <- errors.New("long query: done, want it interrupted")
					return
				}
			}
			errs <- nil
		}()
	}
	for range files {
		if err := <-errs; err != nil {
			return err
		}
	}
	return nil
}

func helper(t *testing.T, mode, path string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "HISTORY_HELPER="+mode, "HISTORY_FILE="+path)
	return cmd
}

func TestNewFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.duckdb")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	record(t, s, step{asOf: "2026-01-05", scope: []string{"A"}, findings: []string{"f1@A"}})
	ctx := context.Background()
	rec, err := s.Begin(ctx, Run{AsOf: date(t, "2026-01-12"), Scope: []string{"A"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + ".wal"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(p), st.Mode().Perm())
		}
	}
	rec.Rollback()
	s.Close()
}

func TestRefusesFilesNotOurs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	mk := map[string]func(string){
		"text file": func(p string) { os.WriteFile(p, []byte("id,rule\n1,x\n"), 0o644) },
		"other duckdb database": func(p string) {
			db, _ := sql.Open("duckdb", p)
			db.Exec("CREATE TABLE things (a INT)")
			db.Close()
		},
		"newer schema version": func(p string) {
			s, err := Open(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			s.exec(ctx, "INSERT INTO schema_version VALUES (?, now())", SchemaVersion+1)
			s.exec(ctx, "CHECKPOINT")
			s.Close()
		},
		"truncated": func(p string) {
			s, err := Open(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:5000], 0o600)
		},
		"garbled headers": func(p string) {
			s, err := Open(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			b, _ := os.ReadFile(p)
			for i := 4096; i < 12288 && i < len(b); i++ {
				b[i] ^= 0x5a
			}
			os.WriteFile(p, b, 0o600)
		},
	}
	want := map[string]error{"text file": ErrNotHistory, "other duckdb database": ErrNotHistory,
		"newer schema version": ErrNewerVersion, "truncated": ErrNotHistory, "garbled headers": ErrNotHistory}
	for name, build := range mk {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".duckdb")
			build(p)
			before, _ := os.ReadFile(p)
			s, err := Open(ctx, p)
			if err == nil {
				s.Close()
				t.Fatal("opened")
			}
			if !errors.Is(err, want[name]) {
				t.Errorf("error %v, want %v", err, want[name])
			}
			if !strings.Contains(err.Error(), p) {
				t.Errorf("error %q does not name the file", err)
			}
			after, _ := os.ReadFile(p)
			if !bytes.Equal(before, after) {
				t.Error("file changed")
			}
			if _, err := os.Stat(p + ".wal"); err == nil {
				t.Error("left a .wal beside it")
			}
		})
	}
}

func TestSecondWriterFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.duckdb")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), path); !errors.Is(err, ErrInUse) {
		t.Errorf("second open in this process: %v, want ErrInUse", err)
	}
	s.Close()

	// Another process holds it.
	cmd := helper(t, "hold", path)
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	if line, _ := bufio.NewReader(out).ReadString('\n'); line != "ready\n" {
		t.Fatalf("helper: %q", line)
	}
	_, err = Open(context.Background(), path)
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "another enrollaudit") {
		t.Errorf("open while another process holds it: %v", err)
	}
}

// TestReopenAfterInterruptedQuery: a history closed after an interrupted
// query (a run stopped while it used the history) opens again in the same
// process. In a helper process, so that a hang fails this test alone.
func TestReopenAfterInterruptedQuery(t *testing.T) {
	cmd := helper(t, "reopen", filepath.Join(t.TempDir(), "h.duckdb"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil || out.String() != "reopened\n" {
			t.Errorf("helper: %v\n%s", err, out.String())
		}
	case <-time.After(90 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Errorf("opening a history again after an interrupted query hung; the helper said:\n%s", out.String())
	}
}

func TestKilledRunLeavesHistoryIntact(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "h.duckdb")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	record(t, s, step{asOf: "2026-01-05", scope: []string{"A"}, findings: []string{"f1@A", "f2@A"}})
	s.Close()

	cmd := helper(t, "write", path)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(out)
	for i := 0; i < 3; i++ { // well into the appender's flushes
		if line, _ := r.ReadString('\n'); !strings.HasPrefix(line, "added") {
			t.Fatalf("helper: %q", line)
		}
	}
	cmd.Process.Kill()
	cmd.Wait()

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := state(t, s)
	if len(got) != 1 || strings.Join(got[0].statuses, " ") != "f1=new f2=new" {
		t.Fatalf("history after the kill: %+v", got)
	}
	var n int
	s.conn.QueryRowContext(ctx, "SELECT count(*) FROM finding").Scan(&n)
	if n != 2 {
		t.Errorf("%d findings stored, want 2", n)
	}
	record(t, s, step{asOf: "2026-01-12", scope: []string{"A"}, findings: []string{"f1@A"}})
	if got := state(t, s); len(got) != 2 || strings.Join(got[1].statuses, " ") != "f1=persisting f2=resolved" {
		t.Errorf("next run after the kill: %+v", got)
	}
}

// A writer killed after it made the (empty, private) write-ahead log and
// before DuckDB wrote to it leaves an empty log beside the file.
func TestEmptyLogLeftBehind(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "h.duckdb")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	record(t, s, step{asOf: "2026-01-05", scope: []string{"A"}, findings: []string{"f1@A"}})
	s.Close()
	if err := os.WriteFile(path+".wal", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	record(t, s, step{asOf: "2026-01-12", scope: []string{"A"}, findings: []string{"f1@A"}})
	if got := state(t, s); len(got) != 2 || strings.Join(got[1].statuses, " ") != "f1=persisting" {
		t.Errorf("history: %+v", got)
	}
}

func TestMigratesFromVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v1.duckdb")
	// A version 1 file as the first release wrote it.
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := applyMigrations(ctx, conn, 0, 1); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"INSERT INTO history_meta VALUES ('enrollaudit history', now())",
		"INSERT INTO run VALUES (1, DATE '2026-01-05', now(), 'run', 'v1', 'r', 10, 10, 0, 0, 9, 5, 1, 1, 1, 2500)",
		"INSERT INTO run_scope VALUES (1, ''), (1, 'A')",
		"INSERT INTO finding VALUES (1, 'f1', 'aptc-mismatch', 'wrong_subsidy', 'high', 'A', 'p1', NULL, 2500, 'h')",
		"INSERT INTO lifecycle VALUES (1, 'f1', 'A', 'aptc-mismatch', 'wrong_subsidy', 'p1', NULL, 'new', DATE '2026-01-05', DATE '2026-01-05', 1)",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close()
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var v int
	s.conn.QueryRowContext(ctx, "SELECT max(version) FROM schema_version").Scan(&v)
	if v != SchemaVersion {
		t.Errorf("schema version %d after migration, want %d", v, SchemaVersion)
	}
	rec, err := s.Begin(ctx, Run{AsOf: date(t, "2026-01-12"), Scope: []string{"A"},
		Integrity: []Integrity{{Grouping: "total", Policies: 5, PoliciesIntact: 4, People: 9, PeopleIntact: 8}}})
	if err != nil {
		t.Fatal(err)
	}
	amount := int64(2500)
	rec.Add(ctx, Finding{ID: "f1", Rule: "aptc-mismatch", Category: "wrong_subsidy", Severity: "high", IssuerHIOSID: "A",
		ExchangePolicyID: "p1", MonthlyAmountCents: &amount, ValuesHash: "h"})
	lc, err := rec.Lifecycle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if f := lc.Findings["f1"]; f.Status != Persisting || f.RunsSeen != 2 || lc.Previous == nil {
		t.Errorf("the version 1 run was not carried over: %+v, previous %+v", f, lc.Previous)
	}
	runs, err := s.Runs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[1].Integrity == nil || runs[1].Integrity.PoliciesIntact != 4 {
		t.Errorf("runs after migration: %+v", runs)
	}
}
