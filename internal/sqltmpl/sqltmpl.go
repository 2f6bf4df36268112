// Package sqltmpl renders a package's embedded .sql files: text/template
// over the closed set of parameters each statement takes (a missing one is
// an error), with the files' comment lines dropped (they explain the SQL to
// a reader; DuckDB needs none of them). The one SQL template mechanism of
// the engine (relations, rules, the summary).
package sqltmpl

import (
	"bytes"
	"io/fs"
	"path"
	"strings"
	"text/template"
)

// Set is the templates of a package's SQL files: each file by its base
// name, and every {{define "name"}} in them.
type Set struct{ t *template.Template }

// Must parses the files of fsys that match pattern; it panics on a
// template that does not parse, since the files are part of the build.
func Must(fsys fs.FS, pattern string) *Set {
	names, err := fs.Glob(fsys, pattern)
	if err != nil || len(names) == 0 {
		panic("sqltmpl: no files match " + pattern)
	}
	t := template.New("").Option("missingkey=error")
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			panic("sqltmpl: " + err.Error())
		}
		template.Must(t.New(path.Base(n)).Parse(dropComments(string(b))))
	}
	return &Set{t: t}
}

// Render fills in the template name with data. Values are spliced in as
// they are: the caller renders them as SQL (sqltext.Literal for text).
func (s *Set) Render(name string, data any) string {
	var b bytes.Buffer
	if err := s.t.ExecuteTemplate(&b, name, data); err != nil {
		panic("sqltmpl: " + name + ": " + err.Error()) // the templates are part of the build
	}
	return strings.TrimSpace(b.String())
}

// dropComments removes the comment and blank lines of a template's text,
// before any value is spliced in, so a value's own lines stay as they are.
func dropComments(text string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "--") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
