package canonical

import (
	"regexp"
	"slices"
)

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
	"wrong_identifiers",
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

// ssnShape is 9 digits (123456789, 123-45-6789, 123 45 6789) not inside a
// longer run of digits: an SSN typed into another column. The same pattern
// serves Go and DuckDB (both RE2).
const ssnShape = `(^|[^0-9])[0-9]{3}[- ]?[0-9]{2}[- ]?([0-9]{4})($|[^0-9])`

var ssnShapeRE = regexp.MustCompile(ssnShape)

// MaskSSNs masks every SSN-shaped run of digits in s to its last four.
func MaskSSNs(s string) string {
	// Adjacent SSNs share the character between them: repeat until stable.
	for {
		m := ssnShapeRE.ReplaceAllString(s, "${1}*****${2}${3}")
		if m == s {
			return m
		}
		s = m
	}
}

// MaskSSNsSQL is MaskSSNs as a DuckDB expression over the text x.
func MaskSSNsSQL(x string) string {
	// Two passes cover adjacent SSNs sharing a separator; a third would
	// need three SSNs in a row in one value.
	once := func(x string) string { return "regexp_replace(" + x + ", '" + ssnShape + "', '\\1*****\\2\\3', 'g')" }
	return once(once(x))
}

// UnreadableFieldsColumn is a column of every rows relation (and so of m,
// i and r in rules): the canonical fields whose values could not be read on
// that row (NULL when there are none). A rule skips a record on which a field
// its condition reads is unreadable: it is reported once, as a field problem,
// not as a difference against an empty value.
const UnreadableFieldsColumn = "unreadable_fields"

// FindingColumn is one column of a finding as the engine stores it.
type FindingColumn struct{ Name, Type string }

// FindingColumns are a finding's stored columns, in order: the findings
// table, each rule's projection and the read-back of findings are all made
// from this list. marketplace and insurer hold each side's compared values
// by field; m_/i_ file and line say where each side's row came from;
// match_method is how identity matching paired a wrong_identifiers finding's
// records (NULL on every other finding).
var FindingColumns = []FindingColumn{
	{"rule", "VARCHAR"}, {"category", "VARCHAR"}, {"severity", "VARCHAR"},
	{"issuer_hios_id", "VARCHAR"}, {"exchange_policy_id", "VARCHAR"}, {"exchange_member_id", "VARCHAR"},
	{"segment", "BIGINT"}, {"side", "VARCHAR"},
	{"marketplace", "MAP(VARCHAR, VARCHAR)"}, {"insurer", "MAP(VARCHAR, VARCHAR)"},
	{"amount", "DECIMAL(18,2)"}, {"message", "VARCHAR"},
	{"m_file", "VARCHAR"}, {"m_line", "BIGINT"}, {"i_file", "VARCHAR"}, {"i_line", "BIGINT"},
	{"match_method", "VARCHAR"},
}
