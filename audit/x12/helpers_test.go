package x12

import (
	"reflect"
	"strings"
	"testing"

	"github.com/enrollaudit/enrollaudit/canonical/canonicaltest"
)

// asWhole reads a file on one goroutine; apart reads each transaction as its
// own job, on three.
var (
	asWhole = splitting{jobBytes: 1 << 30}
	apart   = splitting{workers: 3, jobBytes: 1}
)

// read reads data whole, and checks that reading it split gives the same.
func read(t *testing.T, name, data string) *canonicaltest.Collector {
	t.Helper()
	var c canonicaltest.Collector
	if err := readSplit(strings.NewReader(data), name, &c, asWhole); err != nil {
		t.Fatalf("Read: %v", err)
	}
	checkSplit(t, name, data, &c)
	return &c
}

// checkSplit fails when data read split does not give what it gave whole.
func checkSplit(t *testing.T, name, data string, want *canonicaltest.Collector) {
	t.Helper()
	var got canonicaltest.Collector
	if err := readSplit(strings.NewReader(data), name, &got, apart); err != nil {
		t.Fatalf("Read split: %v", err)
	}
	if !reflect.DeepEqual(got, *want) {
		t.Errorf("%s: read split, %d records, %d rejects, %d warnings; whole, %d, %d, %d", name,
			len(got.Records), len(got.Rejects), len(got.Warns), len(want.Records), len(want.Rejects), len(want.Warns))
	}
}
