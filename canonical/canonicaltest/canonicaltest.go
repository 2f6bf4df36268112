// Package canonicaltest helps test readers that emit canonical records
// (X12 834, RCNI): a Handler that keeps what it is given, and a check that
// every value is in its canonical text form.
package canonicaltest

import (
	"regexp"
	"slices"
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

var (
	isoDate = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	money   = regexp.MustCompile(`^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)
)

// CheckForms reports every value of rec that is not in its canonical text
// form (ISO dates, plain decimal money, Y/N, M/F/U, the four statuses),
// and a record without a line.
func CheckForms(t testing.TB, rec canonical.Record) {
	t.Helper()
	if rec.Line < 1 {
		t.Errorf("record at line %d", rec.Line)
	}
	for i, f := range canonical.Fields {
		v := rec.Values[i]
		if v == "" {
			continue
		}
		ok := true
		switch f.Kind {
		case canonical.Date:
			ok = isoDate.MatchString(v)
		case canonical.Money:
			ok = money.MatchString(v)
		case canonical.Flag:
			ok = v == "Y" || v == "N"
		case canonical.Gender:
			ok = slices.Contains([]string{"M", "F", "U"}, v)
		case canonical.Status:
			ok = slices.Contains([]string{"effectuated", "pending", "cancelled", "terminated"}, v)
		}
		if !ok {
			t.Errorf("record at line %d: %s = %q is not in canonical form", rec.Line, f.Name, v)
		}
	}
}
