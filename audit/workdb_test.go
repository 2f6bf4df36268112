package audit

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/enrollaudit/enrollaudit/audit/load"
)

func TestWorkingInMemory(t *testing.T) {
	const mb = 1_000_000
	for _, tc := range []struct {
		limit  string
		inputs int64
		want   bool
	}{
		{"2GB", 190 * mb, true},   // 500k members a side of CSV
		{"2GB", 500 * mb, true},   // a quarter of the limit
		{"2GB", 501 * mb, false},  // past it
		{"2GB", 3800 * mb, false}, // 10M members a side
		{"2 GiB", 530 * mb, true},
		{"512MB", 190 * mb, false},
		{"6gb", 1400 * mb, true},
		{"1.5GB", 375 * mb, true},
		{"80%", 1, false}, // not read here: the file is the safe choice
		{"", 1, false},
		{"GB", 1, false},
	} {
		if got := workingInMemory(tc.inputs, tc.limit); got != tc.want {
			t.Errorf("workingInMemory(%d, %q) = %v, want %v", tc.inputs, tc.limit, got, tc.want)
		}
	}
}

// TestWorkingDatabaseFileOrMemory: small inputs keep the working tables in
// memory, no database file; forced into a file, the same fixture gives the
// same report.
func TestWorkingDatabaseFileOrMemory(t *testing.T) {
	ctx := context.Background()
	for _, inFile := range []bool{false, true} {
		d, err := openDB(ctx, Options{workInFile: inFile}, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.conn.ExecContext(ctx, "CREATE TABLE t AS SELECT range AS n FROM range(10)"); err != nil {
			t.Fatal(err)
		}
		// A working file keeps evicted blocks for reuse, up to the limit.
		var blocks, limit string
		if err := d.conn.QueryRowContext(ctx, `SELECT
			(SELECT value FROM duckdb_settings() WHERE name = 'block_allocator_memory'),
			(SELECT value FROM duckdb_settings() WHERE name = 'memory_limit')`).Scan(&blocks, &limit); err != nil {
			t.Fatal(err)
		}
		if want := map[bool]string{false: "0 bytes", true: limit}[inFile]; blocks != want {
			t.Errorf("workInFile %v: block_allocator_memory %s, want %s", inFile, blocks, want)
		}
		_, statErr := os.Stat(filepath.Join(d.dir, workFile))
		d.close()
		if inFile != (statErr == nil) {
			t.Errorf("workInFile %v: database file there: %v", inFile, statErr == nil)
		}
	}

	reports := map[bool][]byte{}
	for _, inFile := range []bool{false, true} {
		out := t.TempDir()
		opts := fixtureOptions(out)
		opts.Formats = []string{"json"}
		opts.workInFile = inFile
		if _, err := runAndPublish(ctx, opts); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(filepath.Join(out, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		reports[inFile] = raw
	}
	if diff := cmp.Diff(string(reports[false]), string(reports[true])); diff != "" {
		t.Errorf("report.json, in memory (-) and in a file (+):\n%s", diff)
	}
}

// TestInputSizeRows: an 834 is sized by the rows it carries, about 0.4 of
// its bytes, so that an 834 of rows that fit in memory keeps the working
// tables there, as the CSV of the same rows does; the progress counts
// every byte read.
func TestInputSizeRows(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, size int) load.Source {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, make([]byte, size), 0o644); err != nil {
			t.Fatal(err)
		}
		return load.Source{Path: path}
	}
	sources := []load.Source{write("week.834", 1500), write("roster.csv", 500), {Path: filepath.Join(dir, "missing.csv")}}
	onDisk, rows := inputSize(sources)
	if onDisk != 2000 || rows != 1100 {
		t.Errorf("inputSize = %d on disk, %d of rows; want 2000 and 1100", onDisk, rows)
	}
	if workingInMemory(onDisk, "6KB") || !workingInMemory(rows, "6KB") {
		t.Errorf("under a 6KB limit, the bytes on disk should take a working file and the rows' should not")
	}
}
