package reports

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeWriter writes its text, fails with err, or waits for cancellation.
type fakeWriter struct {
	name, text string
	err        error
	wait       bool
}

func (f fakeWriter) Name() string     { return f.name }
func (f fakeWriter) FileName() string { return f.name + ".txt" }
func (f fakeWriter) Write(ctx context.Context, w io.Writer, _ *Report) error {
	if f.wait {
		<-ctx.Done()
		return ctx.Err()
	}
	if f.err != nil {
		return f.err
	}
	_, err := io.WriteString(w, f.text)
	return err
}

func TestPublish(t *testing.T) {
	boom := errors.New("boom")
	cases := []struct {
		name    string
		writers []Writer
		wantErr string // "" for success
	}{
		{"all written", []Writer{fakeWriter{name: "a", text: "A"}, fakeWriter{name: "b", text: "B"}}, ""},
		// The waiting writer is stopped by the failure; the error names the
		// writer that failed, not the one that was stopped.
		{"one fails, others stop", []Writer{fakeWriter{name: "a", wait: true}, fakeWriter{name: "b", err: boom}}, "write b.txt: boom"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			// A report from an earlier run stays when this one fails.
			if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			files, err := Publish(context.Background(), dir, &Report{}, tc.writers...)
			entries, _ := os.ReadDir(dir)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				if strings.Join(names, ",") != "a.txt" {
					t.Errorf("left %v, want only the earlier a.txt", names)
				}
				if b, _ := os.ReadFile(filepath.Join(dir, "a.txt")); string(b) != "old" {
					t.Errorf("earlier a.txt now %q", b)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != 2 || strings.Join(names, ",") != "a.txt,b.txt" {
				t.Errorf("files %v, dir %v", files, names)
			}
			for _, w := range tc.writers {
				b, _ := os.ReadFile(filepath.Join(dir, w.FileName()))
				if string(b) != w.(fakeWriter).text {
					t.Errorf("%s holds %q", w.FileName(), b)
				}
			}
		})
	}
}
