// Package reports holds the audit's report model and one writer per output
// format (report.json, report.xlsx, rejects.csv, the stdout summary). Writers
// only read the model; the engine in package audit fills it.
package reports

import (
	"context"
	"fmt"
	"math/big"
	"strconv"
	"time"
)

// SchemaVersion of report.json (docs/report.schema.json).
const SchemaVersion = 1

// CategoryTitles are the human names used for sheet titles and tables.
var CategoryTitles = map[string]string{
	"missing_enrollment":   "Missing enrollment",
	"unknown_enrollment":   "Unknown enrollment",
	"wrong_plan":           "Wrong plan",
	"wrong_subsidy":        "Wrong subsidy",
	"wrong_premium":        "Wrong premium",
	"wrong_coverage_dates": "Wrong coverage dates",
	"wrong_status":         "Wrong status",
	"wrong_demographics":   "Wrong demographics",
	"duplicate_enrollment": "Duplicate enrollment",
	"invalid_record":       "Invalid record",
	"wrong_identifiers":    "Wrong identifiers",
}

// SmallCellThreshold: in aggregate-only reports, counts of people from 1 to
// SmallCellThreshold-1 are suppressed, as public health statistics do.
const SmallCellThreshold = 11

// Suppressed reports whether a count of people must be hidden in an
// aggregate-only report.
func Suppressed(people int64) bool { return people > 0 && people < SmallCellThreshold }

// Money is an amount in whole cents. It marshals to JSON as a number with two
// decimals (-25.00), never through a float.
type Money int64

func (m Money) String() string {
	neg := m < 0
	v := int64(m)
	if neg {
		v = -v
	}
	s := strconv.FormatInt(v/100, 10) + "." + strconv.FormatInt(100+v%100, 10)[1:]
	if neg {
		return "-" + s
	}
	return s
}

// Dollars returns the amount as a float for spreadsheet cells.
func (m Money) Dollars() float64 { return float64(m) / 100 }

// MarshalJSON writes the amount as a JSON number with two decimals.
func (m Money) MarshalJSON() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalJSON reads an amount written by MarshalJSON (or any decimal
// number), rounding to cents half away from zero.
func (m *Money) UnmarshalJSON(b []byte) error {
	r, ok := new(big.Rat).SetString(string(b))
	if !ok {
		return fmt.Errorf("money: %s is not a number", b)
	}
	cents := new(big.Rat).Mul(r, big.NewRat(100, 1))
	q, rem := new(big.Int).QuoRem(cents.Num(), cents.Denom(), new(big.Int))
	if new(big.Int).Mul(new(big.Int).Abs(rem), big.NewInt(2)).Cmp(cents.Denom()) >= 0 {
		q.Add(q, big.NewInt(int64(cents.Sign())))
	}
	*m = Money(q.Int64())
	return nil
}

// Source points at the input row a value came from.
type Source struct {
	File string `json:"file"`
	Line int64  `json:"line"`
}

// Finding is one discrepancy. Marketplace and Insurer hold the compared
// fields' values as text (dates ISO, money with two decimals, SSNs masked
// unless revealed); a nil value means the field is empty on that side, a nil
// map means that side has no record.
type Finding struct {
	ID                      string             `json:"id"`
	Rule                    string             `json:"rule"`
	Category                string             `json:"category"`
	Severity                string             `json:"severity"`
	IssuerHIOSID            *string            `json:"issuer_hios_id"`
	ExchangePolicyID        *string            `json:"exchange_policy_id"`
	ExchangeMemberID        *string            `json:"exchange_member_id"`
	Segment                 int64              `json:"segment,omitempty"`
	Side                    string             `json:"side,omitempty"` // marketplace or insurer, for single-file findings
	Fields                  []string           `json:"fields"`
	Marketplace             map[string]*string `json:"marketplace"`
	Insurer                 map[string]*string `json:"insurer"`
	MonthlyAmountDifference *Money             `json:"monthly_amount_difference"`
	Message                 string             `json:"message"`
	MarketplaceSource       *Source            `json:"marketplace_source,omitempty"`
	InsurerSource           *Source            `json:"insurer_source,omitempty"`
	// Lifecycle is set when the run is recorded in a history.
	Lifecycle *FindingLifecycle `json:"lifecycle,omitempty"`
	// Match says how identity matching paired a wrong_identifiers finding's
	// records; nil on every other finding.
	Match *Match `json:"match,omitempty"`
	// Disposition is the latest answer recorded for the finding in the
	// history (run --history); nil when none.
	Disposition *Disposition `json:"disposition,omitempty"`
	// CorrectionNotSeen: the finding was answered "corrected" and is still
	// there.
	CorrectionNotSeen bool `json:"correction_not_seen,omitempty"`
}

// Match is how identity matching found a person or policy under other IDs:
// exchange_member_id, ssn_birth_date or name_birth_date.
type Match struct {
	Method string `json:"method"`
}

// Disposition is an answer given to a finding (docs/dispositions.md).
type Disposition struct {
	Status     string    `json:"status"` // one of canonical.Dispositions
	Comment    string    `json:"comment"`
	Until      *string   `json:"until"` // YYYY-MM-DD; set for waived
	RecordedAt time.Time `json:"recorded_at"`
	Source     string    `json:"source"` // the file it was imported from
}

// FindingSource streams findings in the report's stable order (category in
// contract order, then rule, issuer, policy, member, segment, side). With a
// non-empty category only that category's findings are visited.
type FindingSource interface {
	Each(ctx context.Context, category string, fn func(*Finding) error) error
}

// Tool identifies the program that wrote the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Input describes one audited file so a reader can verify what was audited.
type Input struct {
	Side         string `json:"side"` // marketplace or insurer
	Path         string `json:"path"`
	Format       string `json:"format"`
	Mapping      string `json:"mapping,omitempty"`
	Bytes        int64  `json:"bytes"`
	SHA256       string `json:"sha256"`
	RowsLoaded   int64  `json:"rows_loaded"`
	RowsRejected int64  `json:"rows_rejected"`
}

// RuleInfo describes an active rule.
type RuleInfo struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Category string   `json:"category"`
	Severity string   `json:"severity"`
	Grain    string   `json:"grain"`
	Fields   []string `json:"fields"`
	Source   string   `json:"source"` // file the rule came from ("default" for the embedded pack)
	// What the workbook's Rules sheet explains; report.json leaves them
	// to the rule files its content hash names.
	Description string            `json:"-"`
	AppliesTo   string            `json:"-"` // matched, marketplace_only, ... (docs/rules.md)
	When        string            `json:"-"` // the rule's SQL condition
	Amount      string            `json:"-"` // its monthly dollar difference, if any
	Params      map[string]string `json:"-"` // parameter values as the rule file gives them
}

// Rules describes the rule set a report was produced with.
type Rules struct {
	ContentHash string        `json:"content_hash"`
	Active      []RuleInfo    `json:"active"`
	Disabled    []string      `json:"disabled,omitempty"`
	Skipped     []SkippedRule `json:"skipped,omitempty"`
}

// SkippedRule is an active rule that was not evaluated, with the reason
// (usually: a file does not provide a field the rule reads).
type SkippedRule struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// CategorySummary is one row of the by-category table.
type CategorySummary struct {
	Category   string           `json:"category"`
	Findings   int64            `json:"findings"`
	People     int64            `json:"people"`   // distinct members touched
	Policies   int64            `json:"policies"` // distinct policies touched
	BySeverity map[string]int64 `json:"by_severity"`
	// MonthlyAmount is the sum of absolute monthly dollar differences, and
	// MonthlyAmountNet the signed sum (marketplace minus insurer).
	MonthlyAmount    Money `json:"monthly_amount"`
	MonthlyAmountNet Money `json:"monthly_amount_net"`
}

// IssuerSummary is one row of the by-issuer table.
type IssuerSummary struct {
	IssuerHIOSID  string           `json:"issuer_hios_id"`
	Findings      int64            `json:"findings"`
	People        int64            `json:"people"`
	Policies      int64            `json:"policies"`
	ByCategory    map[string]int64 `json:"by_category"`
	MonthlyAmount Money            `json:"monthly_amount"`
}

// StateSummary is one row of the by-state table: findings by the state of
// their policy ("" when no record of it names one).
type StateSummary struct {
	State         string `json:"state"`
	Findings      int64  `json:"findings"`
	People        int64  `json:"people"`
	Policies      int64  `json:"policies"`
	MonthlyAmount Money  `json:"monthly_amount"`
}

// Summary holds the report's aggregate figures.
type Summary struct {
	// Integrity: how many live policies reached the insurer intact (nil
	// before Evaluate); Scope: the issuers audited and those left out.
	Integrity           *Integrity        `json:"integrity,omitempty"`
	Scope               *Scope            `json:"scope,omitempty"`
	MarketplaceRows     int64             `json:"marketplace_rows"`
	InsurerRows         int64             `json:"insurer_rows"`
	MarketplaceRejected int64             `json:"marketplace_rejected"`
	InsurerRejected     int64             `json:"insurer_rejected"`
	MarketplacePolicies int64             `json:"marketplace_policies"`
	InsurerPolicies     int64             `json:"insurer_policies"`
	MatchedMembers      int64             `json:"matched_members"`
	MatchedPolicies     int64             `json:"matched_policies"`
	Findings            int64             `json:"findings"`
	ByCategory          map[string]int64  `json:"by_category"`
	BySeverity          map[string]int64  `json:"by_severity"`
	Categories          []CategorySummary `json:"categories"`
	Issuers             []IssuerSummary   `json:"issuers"`
	States              []StateSummary    `json:"states,omitempty"`
	PeopleAffected      int64             `json:"people_affected"`
	PoliciesAffected    int64             `json:"policies_affected"`
	// Monthly dollar impact of subsidy and premium differences (sums of
	// absolute differences).
	MonthlySubsidyDifference Money `json:"monthly_subsidy_difference"`
	MonthlyPremiumDifference Money `json:"monthly_premium_difference"`
	// Lifecycle counts the findings per lifecycle status when the run is
	// recorded in a history (run --history); absent otherwise.
	Lifecycle map[string]int64 `json:"lifecycle,omitempty"`
	// Dispositions counts the answers honoured (runs with a history).
	Dispositions *DispositionSummary `json:"dispositions,omitempty"`
}

// Options records how the report was produced where that changes its content.
type Options struct {
	RevealPII     bool `json:"reveal_pii"`
	AggregateOnly bool `json:"aggregate_only"`
}

// Report is everything a writer needs.
type Report struct {
	SchemaVersion int       `json:"schema_version"`
	Tool          Tool      `json:"tool"`
	GeneratedAt   time.Time `json:"generated_at"`
	Options       Options   `json:"options"`
	Inputs        []Input   `json:"inputs"`
	Rules         Rules     `json:"rules"`
	Summary       Summary   `json:"summary"`
	// Warnings about the inputs and rules (e.g. a rule skipped because a
	// file lacks a field it reads).
	Warnings []string `json:"warnings"`
	// FindingsFile names the file holding the findings when they are not in
	// report.json (--findings-format ndjson).
	FindingsFile string `json:"findings_file,omitempty"`
	// Waived lists the findings left out because their waiver runs
	// (ApplyDispositions), each with its disposition.
	Waived []*Finding `json:"waived,omitempty"`
	// Disputed holds the disputed findings for the Disputed sheet; in
	// report.json they are among the findings, with their disposition.
	Disputed []*Finding `json:"-"`
	// Findings streams the findings; ignored when Options.AggregateOnly.
	Findings FindingSource `json:"-"`
	// History is set when the run is recorded in a history: report.json
	// then carries resolved and previous_run, the workbook a Resolved sheet.
	History *History `json:"-"`
}

// CategoryFields returns, per category, the union of the compared fields of
// the active rules in rule order: the side-by-side columns of that category.
func (r *Report) CategoryFields() map[string][]string {
	out := map[string][]string{}
	seen := map[string]map[string]bool{}
	for _, ri := range r.Rules.Active {
		if seen[ri.Category] == nil {
			seen[ri.Category] = map[string]bool{}
		}
		for _, f := range ri.Fields {
			if !seen[ri.Category][f] {
				seen[ri.Category][f] = true
				out[ri.Category] = append(out[ri.Category], f)
			}
		}
	}
	return out
}
