package x12

import (
	"bufio"
	"context"
	"flag"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/enrollaudit/enrollaudit/audit/synth"
	"github.com/enrollaudit/enrollaudit/canonical"
)

var (
	benchFile     = flag.String("x12.file", "", "834 file BenchmarkReadGenerated parses (default: one generated with -x12.policies)")
	benchPolicies = flag.Int("x12.policies", 20000, "policies of the 834 BenchmarkReadGenerated generates (196000 write about 230 MB)")
)

// counter is a handler that only counts, so that the benchmark measures
// the parser alone.
type counter struct{ records, rejects int }

func (d *counter) Record(canonical.Record) error { d.records++; return nil }
func (d *counter) Reject(canonical.Reject) error { d.rejects++; return nil }
func (d *counter) Warn(string)                   {}

// cpuTime is the user and system time of the process so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkReadGenerated measures the 834 parser alone, in MB/s of the
// file, read whole on one goroutine and split over GOMAXPROCS.
func BenchmarkReadGenerated(b *testing.B) {
	path := *benchFile
	if path == "" {
		dir := b.TempDir()
		opts := synth.DefaultOptions()
		opts.Policies = *benchPolicies
		if _, err := synth.Generate(context.Background(), dir, opts); err != nil {
			b.Fatal(err)
		}
		var err error
		if path, err = synth.Render(dir, "834"); err != nil {
			b.Fatal(err)
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		split splitting
	}{{"whole", splitting{jobBytes: defaultSplit().jobBytes}}, {"split", defaultSplit()}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(st.Size())
			b.ReportAllocs()
			cpu0 := cpuTime(b)
			for b.Loop() {
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				var d counter
				if err := readSplit(bufio.NewReaderSize(f, 1<<20), filepath.Base(path), &d, c.split); err != nil {
					b.Fatal(err)
				}
				f.Close()
				if d.records == 0 || d.rejects != 0 {
					b.Fatalf("%d records, %d rejects", d.records, d.rejects)
				}
			}
			// Other load on the machine moves wall time far more than CPU time.
			cpu := (cpuTime(b) - cpu0).Seconds() / float64(b.N)
			b.ReportMetric(cpu, "cpu-s/op")
			b.ReportMetric(float64(st.Size())/1e6/cpu, "MB/cpu-s")
		})
	}
}
