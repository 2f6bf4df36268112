package audit

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/enrollaudit/enrollaudit/audit/rcni"
	"github.com/enrollaudit/enrollaudit/audit/x12"
	"github.com/enrollaudit/enrollaudit/canonical/canonicaltest"
)

// TestConvertNewYorkStyle834: an 834 as New York's exchange writes it (a
// bare-number RATING AREA, a composite REF*1L, LF-CR after every segment,
// the policy's amounts on the subscriber only) converts with no rejects,
// and the dependent carries the subscriber's amounts and rating area.
func TestConvertNewYorkStyle834(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ny.csv")
	res, err := Convert(context.Background(), ConvertOptions{Input: filepath.Join("x12", "testdata", "ny-style.834"), Output: out})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 2 || res.Rejected != 0 || len(res.Warnings) != 0 {
		t.Fatalf("rows %d, rejected %d, warnings %q: want 2 rows and nothing else", res.Rows, res.Rejected, res.Warnings)
	}
	rows := convertedRows(t, out)
	for _, member := range []string{"NY7000001", "NY7000002"} {
		r, ok := rows[member]
		if !ok {
			t.Fatalf("no row for %s in %v", member, rows)
		}
		for field, want := range map[string]string{
			"exchange_policy_id": "NYP123456", "rating_area": "R-NY004", "aptc_amount": "412.50",
			"total_premium": "1234.56", "qhp_id": "88582NY001000101", "issuer_hios_id": "88582",
		} {
			if r[field] != want {
				t.Errorf("%s: %s = %q, want %q", member, field, r[field], want)
			}
		}
	}
}

// convertedRows returns a converted file's rows by exchange member ID.
func convertedRows(t *testing.T, path string) map[string]map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, h := range recs[0] {
			row[h] = rec[i]
		}
		out[row["exchange_member_id"]] = row
	}
	return out
}

// TestConvertEverySample: every public 834 and RCNI sample converts, and
// every record its reader finds is in the output or among the rejects.
func TestConvertEverySample(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(samples, "834", "*"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join(samples, "rcni", "RCNI_33653.txt"))
	for _, in := range files {
		t.Run(filepath.Base(in), func(t *testing.T) {
			format, read := "x12", x12.Read
			if filepath.Ext(in) == ".txt" {
				format, read = "rcni", rcni.Read
			}
			fh, err := os.Open(in)
			if err != nil {
				t.Fatal(err)
			}
			defer fh.Close()
			var c canonicaltest.Collector
			if err := read(fh, in, &c); err != nil {
				t.Fatal(err)
			}
			res, err := Convert(context.Background(), ConvertOptions{Input: in, Format: format,
				Output: filepath.Join(t.TempDir(), "out.csv"), MaxRejects: 1 << 30})
			if err != nil {
				t.Fatal(err)
			}
			// Rejected counts the reader's own rejects (broken transactions)
			// and the records the normaliser could not load.
			if got, want := res.Rows+res.Rejected, int64(len(c.Records)+len(c.Rejects)); got != want {
				t.Errorf("%d rows and %d rejects, want %d records and rejects in all", res.Rows, res.Rejected, want)
			}
		})
	}
}

// TestSeveralFilesByPattern: a glob on each side reads every file it
// matches, each listed in the report with its own rows and digest; a
// pattern that matches nothing is an error naming it, before any loading.
func TestSeveralFilesByPattern(t *testing.T) {
	pattern := filepath.Join(samples, "834", "AandP-IHG-new-enroll-*.edi")
	res, err := runAndPublish(context.Background(), Options{Marketplace: []string{pattern}, Insurer: []string{pattern},
		OutDir: t.TempDir(), Formats: []string{"json"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, in := range res.Report.Inputs {
		got = append(got, fmt.Sprintf("%s %s %d %d %t", in.Side, filepath.Base(in.Path), in.RowsLoaded, in.RowsRejected, len(in.SHA256) == 64))
	}
	var want []string
	for _, side := range []string{"marketplace", "insurer"} {
		for _, line := range []string{"dental", "medical", "vision"} {
			want = append(want, fmt.Sprintf("%s AandP-IHG-new-enroll-sub-spouse-dep-%s.edi 3 0 true", side, line))
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("inputs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := res.Report.Summary.MarketplaceRows; n != 9 {
		t.Errorf("%d marketplace rows, want 9", n)
	}

	none := filepath.Join(samples, "834", "*.none")
	_, err = runAndPublish(context.Background(), Options{Marketplace: []string{none}, Insurer: []string{pattern}, OutDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), none+": the pattern matches no file") {
		t.Errorf("error %v, want one naming %s", err, none)
	}
}

// stages records the progress of a run.
type stages struct {
	mu     sync.Mutex
	names  []string
	totals []int64
	added  []int64
}

func (s *stages) Stage(name string, total int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.names, s.totals, s.added = append(s.names, name), append(s.totals, total), append(s.added, 0)
}

func (s *stages) Add(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.added[len(s.added)-1] += n
}

func (s *stages) Done() {}

// TestOneProgressBarForTheFiles: the input files load under one stage,
// whose bar reaches their total size.
func TestOneProgressBarForTheFiles(t *testing.T) {
	pattern := filepath.Join(samples, "834", "AandP-IHG-new-enroll-*.edi")
	var p stages
	if _, err := runAndPublish(context.Background(), Options{Marketplace: []string{pattern}, Insurer: []string{pattern},
		OutDir: t.TempDir(), Formats: []string{"json"}, Progress: &p}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(pattern)
	var size int64
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		size += 2 * st.Size() // both sides
	}
	if len(p.names) == 0 || p.names[0] != "loading 6 files" || p.totals[0] != size || p.added[0] != size {
		t.Fatalf("stages %q, totals %v, added %v; want first \"loading 6 files\" of %d bytes", p.names, p.totals, p.added, size)
	}
	if slices.ContainsFunc(p.names[1:], func(n string) bool { return strings.HasPrefix(n, "loading") }) {
		t.Errorf("stages %q: more than one for loading", p.names)
	}
}
