package reports

import "github.com/enrollaudit/enrollaudit/history"

// IntegrityCategories are the finding categories that break a policy's
// integrity (README "The integrity figure"): demographic differences,
// duplicates, invalid records and enrollments the marketplace does not have
// do not.
var IntegrityCategories = []string{"missing_enrollment", "wrong_plan", "wrong_subsidy", "wrong_premium",
	"wrong_coverage_dates", "wrong_status", "wrong_identifiers"}

// Integrity is summary.integrity: the share of live marketplace policies in
// scope (and of their people) that reached the insurer intact, the dollars
// at stake, and the same per issuer and per state.
type Integrity struct {
	IntegrityCounts
	ByIssuer []IntegrityGroup `json:"by_issuer"`
	ByState  []IntegrityGroup `json:"by_state"`
}

// IntegrityCounts are the integrity figures of all policies in scope or of
// one group of them.
type IntegrityCounts struct {
	Policies       int64    `json:"policies"`
	PoliciesIntact int64    `json:"policies_intact"`
	PolicyRate     *float64 `json:"policy_rate"` // null without policies
	People         int64    `json:"people"`
	PeopleIntact   int64    `json:"people_intact"`
	PeopleRate     *float64 `json:"people_rate"`
	// DollarsAtStake: each finding's absolute monthly difference times the
	// months of the coverage year its record covers; MonthlyAtStake: the
	// absolute monthly differences alone.
	DollarsAtStake Money `json:"dollars_at_stake"`
	MonthlyAtStake Money `json:"monthly_at_stake"`
	// PoliciesRejected: policies counted (never intact) that have a row
	// rejected on either side, so could not be checked.
	PoliciesRejected int64 `json:"policies_rejected"`
}

// IntegrityGroup is the integrity figures of one issuer (HIOS ID) or state
// ("" when the records carry none).
type IntegrityGroup struct {
	Key string `json:"key"`
	IntegrityCounts
}

// WithRates fills in the rates from the counts.
func (c IntegrityCounts) WithRates() IntegrityCounts {
	rate := func(k, n int64) *float64 {
		if n == 0 {
			return nil
		}
		r := float64(k) / float64(n)
		return &r
	}
	c.PolicyRate, c.PeopleRate = rate(c.PoliciesIntact, c.Policies), rate(c.PeopleIntact, c.People)
	return c
}

// PageFigures are the counts as the page takes them.
func (c IntegrityCounts) PageFigures() *IntegrityFigures {
	return &IntegrityFigures{Policies: c.Policies, PoliciesIntact: c.PoliciesIntact, People: c.People, PeopleIntact: c.PeopleIntact,
		DollarsAtStake: c.DollarsAtStake, MonthlyDollars: c.MonthlyAtStake}
}

// History is what the history store keeps of the integrity figures: the
// total, then each issuer and each state. It is the one conversion between
// the two.
func (g *Integrity) History() []history.Integrity {
	if g == nil {
		return nil
	}
	conv := func(grouping, key string, c IntegrityCounts) history.Integrity {
		return history.Integrity{Grouping: grouping, Key: key, Policies: c.Policies, PoliciesIntact: c.PoliciesIntact,
			People: c.People, PeopleIntact: c.PeopleIntact, DollarsAtStakeCents: int64(c.DollarsAtStake)}
	}
	out := []history.Integrity{conv("total", "", g.IntegrityCounts)}
	for _, is := range g.ByIssuer {
		out = append(out, conv("issuer", is.Key, is.IntegrityCounts))
	}
	for _, st := range g.ByState {
		out = append(out, conv("state", st.Key, st.IntegrityCounts))
	}
	return out
}

// Scope is summary.scope: the issuers an audit covers and what it left out.
type Scope struct {
	Issuers    []string   `json:"issuers"`
	OutOfScope OutOfScope `json:"out_of_scope"`
}

// OutOfScope counts the loaded rows of issuers outside the scope; Issuers
// maps each such issuer ("" for rows without one) to its marketplace rows.
type OutOfScope struct {
	MarketplaceRows int64            `json:"marketplace_rows"`
	InsurerRows     int64            `json:"insurer_rows"`
	Issuers         map[string]int64 `json:"issuers"`
}
