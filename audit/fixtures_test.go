package audit

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/enrollaudit/enrollaudit/internal/reportcheck"
)

// TestFixturesProduceExpectedFindings: the shipped fixture yields exactly
// the findings listed in fixtures/basic/expected-findings.csv.
func TestFixturesProduceExpectedFindings(t *testing.T) {
	out := t.TempDir()
	opts := fixtureOptions(out)
	opts.Formats = []string{"json"}
	if _, err := runAndPublish(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, filepath.Join("..", "fixtures", "basic", "expected-findings.csv"))
	var want []string
	for _, r := range rows[1:] {
		want = append(want, strings.Join(r, ","))
	}
	raw, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := reportcheck.Validate(raw); err != nil {
		t.Errorf("report.json does not follow docs/report.schema.json: %v", err)
	}
	var rep struct {
		Findings []struct {
			Category, Rule, Side string
			Policy               *string `json:"exchange_policy_id"`
			Member               *string `json:"exchange_member_id"`
		}
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, fd := range rep.Findings {
		member := ""
		if fd.Member != nil {
			member = *fd.Member
		}
		got = append(got, strings.Join([]string{fd.Category, fd.Rule, *fd.Policy, member, fd.Side}, ","))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		for _, g := range got {
			if !slices.Contains(want, g) {
				t.Errorf("unexpected finding %s", g)
			}
		}
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("missing finding %s", w)
			}
		}
	}
}
