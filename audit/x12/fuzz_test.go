package x12

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/canonical/canonicaltest"
)

func FuzzRead(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(sampleDir, "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(join(interchange(1, transaction("0001", family())))))
	f.Add([]byte(join(one())))
	f.Fuzz(func(t *testing.T, data []byte) {
		var c canonicaltest.Collector
		if err := Read(strings.NewReader(string(data)), "f.834", &c); err != nil {
			if !strings.HasPrefix(err.Error(), "f.834: ") {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		for _, r := range c.Rejects {
			if r.File != "f.834" || r.Line < 1 || !linedAsReason(r) {
				t.Errorf("bad reject %+v", r)
			}
		}
		for _, r := range c.Records {
			canonicaltest.CheckRecord(t, r)
		}
		checkSplit(t, "f.834", string(data), &c)
	})
}

type discard struct{}

func (discard) Record(canonical.Record) error { return nil }
func (discard) Reject(canonical.Reject) error { return nil }
func (discard) Warn(string)                   {}

// BenchmarkRead reads an interchange of 2,500 transactions of 4 members.
func BenchmarkRead(b *testing.B) {
	txns := make([][]string, 2500)
	for i := range txns {
		txns[i] = transaction(strconv.Itoa(i+1), family())
	}
	data := join(interchange(1, txns...))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Read(strings.NewReader(data), "bench.834", discard{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(4*len(txns)), "members/op")
}

// FuzzIndexSep holds indexSep to strings.IndexByte, around the length
// where it hands over to it.
func FuzzIndexSep(f *testing.F) {
	for _, s := range []string{"", "*", "INS*Y*18", "NM1", strings.Repeat("A", 16) + "*", strings.Repeat("A", 15) + "*B", strings.Repeat("A", 40)} {
		f.Add(s, byte('*'))
	}
	f.Fuzz(func(t *testing.T, s string, sep byte) {
		if got, want := indexSep(s, sep), strings.IndexByte(s, sep); got != want {
			t.Errorf("indexSep(%q, %q) = %d, want %d", s, sep, got, want)
		}
	})
}
