// Package canonicaltest helps test readers that emit canonical records
// (X12 834, RCNI): a Handler that keeps what it is given, and a check that
// every value is trimmed.
package canonicaltest

import (
	"strings"
	"testing"

	"github.com/enrollaudit/enrollaudit/canonical"
)

// Collector is a canonical.Handler that keeps everything it is given.
type Collector struct {
	Records []canonical.Record
	Rejects []canonical.Reject
	Warns   []string
}

func (c *Collector) Record(rec canonical.Record) error {
	c.Records = append(c.Records, rec)
	return nil
}

func (c *Collector) Reject(rej canonical.Reject) error {
	c.Rejects = append(c.Rejects, rej)
	return nil
}

func (c *Collector) Warn(msg string) { c.Warns = append(c.Warns, msg) }

// Messages returns the rejects as "file: reason" lines.
func (c *Collector) Messages() []string {
	var out []string
	for _, r := range c.Rejects {
		out = append(out, r.File+": "+r.Reason)
	}
	return out
}

// CheckRecord reports a record without a line, and values with
// surrounding space. Values need not be in canonical form: a reader passes a
// value it cannot read on as sent, for the normaliser to type or record as a
// field problem.
func CheckRecord(t testing.TB, rec canonical.Record) {
	t.Helper()
	if rec.Line < 1 {
		t.Errorf("record at line %d", rec.Line)
	}
	for i, f := range canonical.Fields {
		if v := rec.Values[i]; v != strings.TrimSpace(v) {
			t.Errorf("record at line %d: %s = %q has surrounding space", rec.Line, f.Name, v)
		}
	}
}
