package sqltmpl

import (
	"testing"
	"testing/fstest"
)

func TestRender(t *testing.T) {
	set := Must(fstest.MapFS{
		"sql/a.sql": {Data: []byte("-- what a does\nSELECT {{.X}}\n\n  -- why\nFROM t\n")},
		"sql/b.sql": {Data: []byte("{{define \"b\"}}SELECT 1{{end}}\n")},
	}, "sql/*.sql")
	for _, tc := range []struct {
		name string
		data any
		want string
	}{
		{"a.sql", map[string]string{"X": "1"}, "SELECT 1\nFROM t"},
		// A value's own lines (a string literal) are kept, blank or not.
		{"a.sql", map[string]string{"X": "'x\n\n-- y'"}, "SELECT 'x\n\n-- y'\nFROM t"},
		{"b", nil, "SELECT 1"},
	} {
		if got := set.Render(tc.name, tc.data); got != tc.want {
			t.Errorf("Render(%s, %v) = %q, want %q", tc.name, tc.data, got, tc.want)
		}
	}
}

func TestRenderMissingParameter(t *testing.T) {
	set := Must(fstest.MapFS{"q.sql": {Data: []byte("SELECT {{.X}}")}}, "*.sql")
	defer func() {
		if recover() == nil {
			t.Error("a missing parameter rendered")
		}
	}()
	set.Render("q.sql", map[string]string{})
}
