package audit

import (
	"context"
	"errors"
	"regexp"
	"strings"
)

// quotedValue is a value DuckDB quotes in an error message ('Bob',
// "123456789"): a row's data, which must not reach a log.
var quotedValue = regexp.MustCompile(`'(?:[^']|'')*'|"[^"]*"`)

// redactedError is an engine error with the rows' values taken out. It
// unwraps to the cancellation it may stand for, never to the original text.
type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

// redact returns err under what, with quoted values and DuckDB's repetition
// of the query removed: a rule that fails at run time makes DuckDB quote the
// value it choked on, which may be a name or an SSN.
func redact(what string, err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if i := strings.Index(msg, "\n"); i >= 0 {
		msg = msg[:i]
	}
	msg = quotedValue.ReplaceAllString(msg, "(value withheld)")
	e := &redactedError{msg: what + ": " + msg}
	for _, c := range []error{context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, c) {
			e.cause = c
		}
	}
	return e
}
