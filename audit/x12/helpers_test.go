package x12

import (
	"strings"
	"testing"

	"github.com/enrollaudit/enrollaudit/canonical/canonicaltest"
)

func read(t *testing.T, name, data string) *canonicaltest.Collector {
	t.Helper()
	var c canonicaltest.Collector
	if err := Read(strings.NewReader(data), name, &c); err != nil {
		t.Fatalf("Read: %v", err)
	}
	return &c
}
