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

// IntegrityHide says which integrity figures of a group are hidden: People
// (people and policies) and Intact (people and policies intact, and the
// rates).
type IntegrityHide struct{ People, Intact bool }

// IntegrityDisclosure is what a publication shows of the integrity figures:
// the total, then each issuer and each state, in Integrity's order.
type IntegrityDisclosure struct {
	Total             IntegrityHide
	ByIssuer, ByState []IntegrityHide
}

// discloseIntegrity suppresses the integrity figures with suppressCells:
// in each group people = intact + not intact (the last never shown, but
// derived), and the issuers' (states') people and intact people add up to
// the total's.
func discloseIntegrity(g *Integrity) IntegrityDisclosure {
	var fs figureSet
	type cells struct{ people, intact int }
	group := func(c IntegrityCounts) cells {
		p, q := fs.add(c.People), fs.add(c.PeopleIntact)
		b := fs.addHidden(c.People - c.PeopleIntact)
		fs.ids = append(fs.ids, identity{{q, 1}, {b, 1}, {p, -1}})
		return cells{p, q}
	}
	total := group(g.IntegrityCounts)
	groups := func(gs []IntegrityGroup) []cells {
		out := make([]cells, len(gs))
		people, intact := identity{{total.people, -1}}, identity{{total.intact, -1}}
		for i, x := range gs {
			out[i] = group(x.IntegrityCounts)
			people, intact = append(people, term{out[i].people, 1}), append(intact, term{out[i].intact, 1})
		}
		if len(gs) > 0 {
			fs.ids = append(fs.ids, people, intact)
		}
		return out
	}
	issuers, states := groups(g.ByIssuer), groups(g.ByState)
	hidden := suppressCells(fs.cells, fs.ids)
	hide := func(c cells) IntegrityHide { return IntegrityHide{People: hidden[c.people], Intact: hidden[c.intact]} }
	d := IntegrityDisclosure{Total: hide(total)}
	for _, c := range issuers {
		d.ByIssuer = append(d.ByIssuer, hide(c))
	}
	for _, c := range states {
		d.ByState = append(d.ByState, hide(c))
	}
	return d
}

// integrityView is summary.integrity in an aggregate-only report: hidden
// figures are null.
type integrityView struct {
	integrityCountsView
	ByIssuer []integrityGroupView `json:"by_issuer"`
	ByState  []integrityGroupView `json:"by_state"`
}

type integrityCountsView struct {
	Policies         *int64   `json:"policies"`
	PoliciesIntact   *int64   `json:"policies_intact"`
	PolicyRate       *float64 `json:"policy_rate"`
	People           *int64   `json:"people"`
	PeopleIntact     *int64   `json:"people_intact"`
	PeopleRate       *float64 `json:"people_rate"`
	DollarsAtStake   Money    `json:"dollars_at_stake"`
	MonthlyAtStake   Money    `json:"monthly_at_stake"`
	PoliciesRejected *int64   `json:"policies_rejected"`
	Suppressed       bool     `json:"suppressed,omitempty"`
}

type integrityGroupView struct {
	Key string `json:"key"`
	integrityCountsView
}

func maybe[T any](hide bool, v T) *T {
	if hide {
		return nil
	}
	return &v
}

func (c IntegrityCounts) view(h IntegrityHide) integrityCountsView {
	v := integrityCountsView{Policies: maybe(h.People, c.Policies), People: maybe(h.People, c.People),
		PoliciesIntact: maybe(h.Intact, c.PoliciesIntact), PeopleIntact: maybe(h.Intact, c.PeopleIntact),
		PoliciesRejected: maybe(h.People, c.PoliciesRejected),
		DollarsAtStake:   c.DollarsAtStake, MonthlyAtStake: c.MonthlyAtStake, Suppressed: h.People || h.Intact}
	if !h.Intact {
		v.PolicyRate, v.PeopleRate = c.PolicyRate, c.PeopleRate
	}
	return v
}

func (g *Integrity) view(d IntegrityDisclosure) *integrityView {
	if g == nil {
		return nil
	}
	v := &integrityView{integrityCountsView: g.IntegrityCounts.view(d.Total), ByIssuer: []integrityGroupView{}, ByState: []integrityGroupView{}}
	for i, x := range g.ByIssuer {
		v.ByIssuer = append(v.ByIssuer, integrityGroupView{Key: x.Key, integrityCountsView: x.IntegrityCounts.view(d.ByIssuer[i])})
	}
	for i, x := range g.ByState {
		v.ByState = append(v.ByState, integrityGroupView{Key: x.Key, integrityCountsView: x.IntegrityCounts.view(d.ByState[i])})
	}
	return v
}
