package load

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/enrollaudit/enrollaudit/audit/synth"
)

// benchData generates a marketplace file of about 2.5 members a policy
// (40,000 policies: about 100,000 members) and renders it as 834 and RCNI.
func benchData(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	opts := synth.DefaultOptions()
	opts.Policies = 40000
	if _, err := synth.Generate(context.Background(), dir, opts); err != nil {
		b.Fatal(err)
	}
	for f := range synth.Renderings {
		if _, err := synth.Render(dir, f); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

// BenchmarkLoad loads the same marketplace data as CSV, X12 834 and RCNI
// (README, "Performance"); MB/s are of each file's own bytes.
func BenchmarkLoad(b *testing.B) {
	dir := benchData(b)
	for _, c := range []struct{ name, file, format string }{
		{"csv", "marketplace.csv", ""},
		{"834", "marketplace.834", ""},
		{"rcni", "marketplace.rcni", "rcni"},
	} {
		b.Run(c.name, func(b *testing.B) {
			path := filepath.Join(dir, c.file)
			st, err := os.Stat(path)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(st.Size())
			for b.Loop() {
				b.StopTimer()
				conn := newConn(b)
				b.StartTimer()
				if _, err := Load(context.Background(), conn, Source{Path: path, Side: "marketplace", Format: c.format}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
