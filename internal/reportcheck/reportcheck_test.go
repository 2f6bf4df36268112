package reportcheck

import (
	"strings"
	"testing"
)

// TestValidateRejects: the schema is strict enough to catch a report that
// breaks it.
func TestValidateRejects(t *testing.T) {
	const ok = `{"schema_version": 1, "tool": {"name": "enrollaudit", "version": "dev"}, "generated_at": "2026-01-01T00:00:00Z",
		"options": {"reveal_pii": false, "aggregate_only": false}, "inputs": [], "rules": {"content_hash": "` + hash + `", "active": []},
		"summary": {"marketplace_rows": 0, "insurer_rows": 0, "matched_members": 0, "matched_policies": 0, "findings": 0,
		  "by_category": {}, "by_severity": {}, "categories": [], "people_affected": 0, "policies_affected": 0,
		  "monthly_subsidy_difference": 0, "monthly_premium_difference": 0}, "warnings": [], "findings": []}`
	if err := Validate([]byte(ok)); err != nil {
		t.Fatalf("a valid report is refused: %v", err)
	}
	for name, bad := range map[string]string{
		"schema version": strings.Replace(ok, `"schema_version": 1`, `"schema_version": 2`, 1),
		"negative count": strings.Replace(ok, `"findings": 0`, `"findings": -1`, 1),
		"bad category":   strings.Replace(ok, `"by_category": {}`, `"by_category": {"wrong_thing": 1}`, 1),
		"bad finding":    strings.Replace(ok, `"findings": []}`, `"findings": [{"id": "x"}]}`, 1),
	} {
		if err := Validate([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

const hash = "0000000000000000000000000000000000000000000000000000000000000000"
