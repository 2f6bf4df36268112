// Package fileerr holds the typed error for problems found in a user's file
// (rule file, mapping file, input file): it carries the file, line, column
// and field so every message points at the place to fix.
package fileerr

import (
	"errors"
	"strconv"
	"strings"
)

// Error is a problem at a place in a file.
type Error struct {
	File   string
	Line   int // 1-based; 0 when the problem is with the whole file
	Column int // 1-based; 0 when unknown
	Field  string
	Msg    string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File == "" {
		return e.Msg
	}
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteString(":" + strconv.Itoa(e.Column))
		}
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// List collects every problem found in one pass, so a user fixes them all at
// once instead of one per run.
type List []*Error

func (l List) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Err returns nil for an empty list, so callers can `return list.Err()`.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Add appends a problem at file:line.
func (l *List) Add(file string, line int, format string) {
	*l = append(*l, &Error{File: file, Line: line, Msg: format})
}

// Collect flattens err into l: a List is merged, an *Error appended, anything
// else kept as a whole-file problem of file.
func (l *List) Collect(file string, err error) {
	if err == nil {
		return
	}
	var list List
	if errors.As(err, &list) {
		*l = append(*l, list...)
		return
	}
	var one *Error
	if errors.As(err, &one) {
		*l = append(*l, one)
		return
	}
	*l = append(*l, &Error{File: file, Msg: err.Error()})
}
