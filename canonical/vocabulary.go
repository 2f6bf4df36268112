package canonical

import "slices"

// Categories of findings, in the order reports list them (zeros included, so
// readers can rely on every key being present). docs/categories.md says what
// each one means.
var Categories = []string{
	"missing_enrollment",
	"unknown_enrollment",
	"wrong_plan",
	"wrong_subsidy",
	"wrong_premium",
	"wrong_coverage_dates",
	"wrong_status",
	"wrong_demographics",
	"duplicate_enrollment",
	"invalid_record",
}

// Severities of findings, from least to most severe.
var Severities = []string{"info", "low", "medium", "high", "critical"}

// SeverityRank returns the position of s in Severities, or -1.
func SeverityRank(s string) int { return slices.Index(Severities, s) }

// MaskSSN hides an SSN but for its last four characters: the one form an SSN
// takes in any output without --reveal-pii.
func MaskSSN(v string) string {
	if len(v) <= 4 {
		return "****"
	}
	return "*****" + v[len(v)-4:]
}

// MaskSSNSQL is MaskSSN as a SQL expression over ref (NULL stays NULL), for
// values masked inside DuckDB.
func MaskSSNSQL(ref string) string {
	return "CASE WHEN " + ref + " IS NULL THEN NULL ELSE '*****' || right(" + ref + ", 4) END"
}
