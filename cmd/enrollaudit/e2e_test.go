package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/enrollaudit/enrollaudit/internal/reportcheck"
)

var update = flag.Bool("update", false, "rewrite the golden files of the end-to-end cases")

// TestEndToEnd runs every directory under testdata/cases as a user would:
// `args` holds the command line (one argument per line, run from the case
// directory, $OUT standing for a fresh output directory). The expected exit
// code, stdout, stderr and output files are golden files beside it:
// exit-code, stdout.golden, stderr.golden and out/<file>.golden for every
// file the run writes (a missing out/ file means the run must not write it).
func TestEndToEnd(t *testing.T) {
	cases, err := filepath.Glob("testdata/cases/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no end-to-end cases")
	}
	for _, dir := range cases {
		t.Run(filepath.Base(dir), func(t *testing.T) { runCase(t, dir) })
	}
}

func runCase(t *testing.T, dir string) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(abs, "args"))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	var args []string
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			args = append(args, strings.ReplaceAll(l, "$OUT", out))
		}
	}
	t.Chdir(abs)
	var stdout, stderr bytes.Buffer
	code := Main(args, strings.NewReader(""), &stdout, &stderr)

	clean := func(b []byte) []byte {
		b = bytes.ReplaceAll(b, []byte(out), []byte("$OUT"))
		b = generatedAt.ReplaceAll(b, []byte(`"generated_at": "(normalised)"`))
		return b
	}
	golden(t, filepath.Join(abs, "exit-code"), []byte(strconv.Itoa(code)+"\n"))
	golden(t, filepath.Join(abs, "stdout.golden"), clean(stdout.Bytes()))
	golden(t, filepath.Join(abs, "stderr.golden"), clean(stderr.Bytes()))

	// Every output file is compared; report.xlsx is binary and report.html
	// carries the time of the run, and both are checked by the reports
	// package (and the browser test), so only their presence is golden here.
	written, _ := filepath.Glob(filepath.Join(out, "*"))
	want, _ := filepath.Glob(filepath.Join(abs, "out", "*.golden"))
	seen := map[string]bool{}
	for _, f := range written {
		name := filepath.Base(f)
		seen[name] = true
		content, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasSuffix(name, ".xlsx"):
			content = []byte("(workbook present)\n")
		case name == "report.html":
			content = []byte("(page present)\n")
		}
		if name == "report.json" {
			if err := reportcheck.Validate(content); err != nil {
				t.Errorf("report.json does not follow docs/report.schema.json: %v", err)
			}
		}
		golden(t, filepath.Join(abs, "out", name+".golden"), clean(content))
	}
	for _, w := range want {
		name := strings.TrimSuffix(filepath.Base(w), ".golden")
		if !seen[name] {
			if *update {
				os.Remove(w)
				continue
			}
			t.Errorf("run did not write %s", name)
		}
	}
}

var generatedAt = regexp.MustCompile(`"generated_at": "[^"]*"`)

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("missing golden file %s (run go test ./cmd/enrollaudit -update): %v", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the run's output (go test ./cmd/enrollaudit -update rewrites it); -want +got:\n%s",
			path, cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n")))
	}
}
