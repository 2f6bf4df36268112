package audit

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRejectedLineIsNotReportedMissing: a roster line that cannot be split
// into fields (a stray quote) is a reject, and its member is accounted for
// there: the marketplace's record of that member is not compared, so it is
// not reported missing at the insurer. Everything else is reported as on the
// intact roster.
func TestRejectedLineIsNotReportedMissing(t *testing.T) {
	opts := fixtureOptions("")
	intact := findingKeys(t, opts)

	raw, err := os.ReadFile(opts.Insurer[0])
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	const broken = 6 // a data line; its last name gets an opening quote only
	fields := strings.Split(lines[broken-1], ",")
	memberID := fields[2]
	fields[5] = `"` + fields[5]
	lines[broken-1] = strings.Join(fields, ",")
	roster := filepath.Join(t.TempDir(), "insurer.csv")
	if err := os.WriteFile(roster, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	opts.Insurer = []string{roster}
	opts.MaxRejects = 1
	got := findingKeys(t, opts)

	for _, k := range got {
		if strings.Contains(k, memberID) && strings.Contains(k, "missing") {
			t.Errorf("the member of the rejected line is reported missing: %s", k)
		}
	}
	for _, k := range intact {
		if !strings.Contains(k, memberID) && !slices.Contains(got, k) {
			t.Errorf("a finding of the intact roster is gone: %s", k)
		}
	}
	for _, k := range got {
		if !slices.Contains(intact, k) {
			t.Errorf("a finding the intact roster does not have: %s", k)
		}
	}
}
