package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHistoryCommands runs every directory under testdata/history: `script`
// holds commands (one per line, arguments split on spaces; $HIST stands for
// a history file in a fresh directory, $OUT for a directory beside it for
// the reports of run commands, $REPORTS for a directory of the end-to-end
// cases' report.json goldens, one per case, as <case>.json; commands run
// from this package's directory).
// Each command's exit code, stdout and stderr go to transcript.golden
// (go test ./cmd/enrollaudit -update rewrites it).
func TestHistoryCommands(t *testing.T) {
	reports := reportCopies(t)
	cases, err := filepath.Glob("testdata/history/*")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no history cases: %v", err)
	}
	for _, dir := range cases {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			script, err := os.ReadFile(filepath.Join(dir, "script"))
			if err != nil {
				t.Fatal(err)
			}
			tmp := t.TempDir()
			hist := filepath.Join(tmp, "audits.history")
			out := filepath.Join(tmp, "out")
			var transcript bytes.Buffer
			for _, line := range strings.Split(strings.TrimSpace(string(script)), "\n") {
				if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				args := strings.Fields(strings.NewReplacer("$HIST", hist, "$OUT", out, "$REPORTS", reports).Replace(line))
				var stdout, stderr bytes.Buffer
				code := Main(args, strings.NewReader(""), &stdout, &stderr)
				clean := strings.NewReplacer(hist, "$HIST", out, "$OUT", reports, "$REPORTS")
				fmt.Fprintf(&transcript, "$ enrollaudit %s\n(exit %d)\n%s", line, code, clean.Replace(stdout.String()))
				if stderr.Len() > 0 {
					fmt.Fprintf(&transcript, "stderr:\n%s", clean.Replace(stderr.String()))
				}
				transcript.WriteString("\n")
			}
			golden(t, filepath.Join(dir, "transcript.golden"), transcript.Bytes())
			if st, err := os.Stat(hist); err == nil && st.Mode().Perm() != 0o600 {
				t.Errorf("history file has mode %v, want 0600", st.Mode().Perm())
			}
		})
	}
}

// reportCopies writes each end-to-end case's report.json golden to a
// directory as <case>.json, with a fixed generated_at in place of the
// goldens' normalised one.
func reportCopies(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	paths, err := filepath.Glob("testdata/cases/*/out/report.json.golden")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no report goldens: %v", err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.Replace(b, []byte(`"generated_at": "(normalised)"`), []byte(`"generated_at": "2026-01-05T08:00:00Z"`), 1)
		name := filepath.Base(filepath.Dir(filepath.Dir(p))) + ".json"
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
