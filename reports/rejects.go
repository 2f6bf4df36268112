package reports

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"github.com/enrollaudit/enrollaudit/canonical"
)

// Reject is an input row (or one bad field of it) that was not loaded.
type Reject struct {
	Side   string  `json:"side"`
	File   string  `json:"file"`
	Line   int64   `json:"line"`
	Field  string  `json:"field"`
	Value  *string `json:"value"`
	Reason string  `json:"reason"`
}

// RejectSource streams rejects in file and line order.
type RejectSource interface {
	EachReject(ctx context.Context, fn func(*Reject) error) error
}

// RejectsCSV writes rejects.csv: every row that was not loaded, with its
// file, line, field and reason. SSN values are masked like everywhere else.
type RejectsCSV struct {
	Source    RejectSource
	RevealPII bool
	// OmitValues leaves the value column empty and redacts personal values
	// from reasons (aggregate-only reports are for publication).
	OmitValues bool
}

func (RejectsCSV) Name() string     { return "rejects" }
func (RejectsCSV) FileName() string { return "rejects.csv" }

func (w RejectsCSV) Write(ctx context.Context, out io.Writer, _ *Report) error {
	cw := csv.NewWriter(out)
	if err := cw.Write([]string{"side", "file", "line", "field", "value", "reason"}); err != nil {
		return fmt.Errorf("write rejects: %w", err)
	}
	n := 0
	err := w.Source.EachReject(ctx, func(r *Reject) error {
		n++
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		v, reason := "", r.Reason
		switch {
		case w.OmitValues:
			reason = RedactReason(r.Field, reason)
		case r.Value != nil:
			v = MaskValue(r.Field, *r.Value, w.RevealPII)
		}
		if !w.RevealPII {
			if ssnFields[r.Field] {
				reason = RedactReason(r.Field, reason)
			}
			reason = canonical.MaskSSNs(reason)
		}
		return cw.Write([]string{r.Side, InertText(r.File), strconv.FormatInt(r.Line, 10), r.Field, InertText(v), InertText(reason)})
	})
	if err != nil {
		return fmt.Errorf("write rejects: %w", err)
	}
	cw.Flush()
	return cw.Error()
}

// ssnFields name an SSN: the canonical field, and the X12 element a reader
// reports it under.
var ssnFields = map[string]bool{"ssn": true, "NM109": true}

// personalFields hold personal data (SSN, names, birth date), by canonical
// name or X12 element.
var personalFields = map[string]bool{"ssn": true, "NM109": true, "first_name": true, "last_name": true,
	"NM103": true, "NM104": true, "birth_date": true, "DMG02": true}

// MaskValue hides personal values written next to a field name: an SSN keeps
// its last four characters at most, and in any other field text shaped like
// an SSN (typed into the wrong column) is masked the same way.
func MaskValue(field, v string, reveal bool) string {
	if reveal {
		return v
	}
	if !ssnFields[field] {
		return canonical.MaskSSNs(v)
	}
	return canonical.MaskSSN(v)
}

// InertText makes a value that a spreadsheet would take for a formula
// (leading =, +, -, @, tab or carriage return) inert by prefixing a quote.
func InertText(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

var quotedRE = regexp.MustCompile(`"[^"]*"`)

// RedactReason removes quoted values from a reject's reason when its field
// holds personal data: readers quote the bad value ("SSN "12345678" is not 9
// digits"), which must not reach logs.
func RedactReason(field, reason string) string {
	if !personalFields[field] {
		return reason
	}
	return quotedRE.ReplaceAllString(reason, `(value withheld)`)
}
