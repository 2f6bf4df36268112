package x12

import (
	"strings"
	"testing"

	"github.com/enrollaudit/enrollaudit/audit/canonical"
)

// collector is a canonical.Handler that keeps everything it is given.
type collector struct {
	records []canonical.Record
	rejects []canonical.Reject
	warns   []string
}

func (c *collector) Record(rec canonical.Record) error {
	c.records = append(c.records, rec)
	return nil
}

func (c *collector) Reject(rej canonical.Reject) error {
	c.rejects = append(c.rejects, rej)
	return nil
}

func (c *collector) Warn(msg string) { c.warns = append(c.warns, msg) }

// messages returns the rejects as "file: reason" lines.
func (c *collector) messages() []string {
	var out []string
	for _, r := range c.rejects {
		out = append(out, r.File+": "+r.Reason)
	}
	return out
}

func read(t *testing.T, name, data string) *collector {
	t.Helper()
	var c collector
	if err := Read(strings.NewReader(data), name, &c); err != nil {
		t.Fatalf("Read: %v", err)
	}
	return &c
}
