package reports

// Aggregate-only reports (Options.AggregateOnly) are for publication: no
// person-level rows, and no count of fewer than SmallCellThreshold people,
// nor any figure that would let a reader back one out. Every writer hides
// the same cells through hideRows.

// rowHide says whether an aggregate-only report shows a table row.
type rowHide uint8

const (
	rowShown        rowHide = iota
	rowHiddenSmall          // the row counts 1 to 10 people
	rowHiddenOffset         // hidden so that totals cannot recover a small row
)

// hideRows decides which rows of a table an aggregate-only report hides:
// rows counting 1 to 10 people, then, while the hidden rows together count
// fewer than SmallCellThreshold people, the smallest shown rows too, so that
// subtracting the shown rows from a total never recovers a small row. It is
// suppressCells (the one implementation of small-cell suppression) on the
// table's rows and their total; whether the total itself is shown is
// Disclose's to decide (totalHide).
func hideRows(aggregate bool, people []int64) []rowHide {
	out := make([]rowHide, len(people))
	if !aggregate || len(people) == 0 {
		return out
	}
	var fs figureSet
	id := identity{}
	var total int64
	for _, n := range people {
		id = append(id, term{fs.add(n), 1})
		total += n
	}
	fs.cells = append(fs.cells, suppressCell{value: total, shown: true})
	fs.ids = append(fs.ids, append(id, term{len(fs.cells) - 1, -1}))
	hidden := suppressCells(fs.cells, fs.ids)
	for i, n := range people {
		switch {
		case hidden[i] && Suppressed(n):
			out[i] = rowHiddenSmall
		case hidden[i]:
			out[i] = rowHiddenOffset
		}
	}
	return out
}

// aggregateView is the summary of report.json in an aggregate-only report:
// the same shape, with suppressed figures as null and a list of what was
// suppressed and why.
type aggregateView struct {
	Integrity           *integrityView      `json:"integrity,omitempty"`
	Scope               *Scope              `json:"scope,omitempty"`
	MarketplaceRows     int64               `json:"marketplace_rows"`
	InsurerRows         int64               `json:"insurer_rows"`
	MarketplaceRejected int64               `json:"marketplace_rejected"`
	InsurerRejected     int64               `json:"insurer_rejected"`
	MarketplacePolicies int64               `json:"marketplace_policies"`
	InsurerPolicies     int64               `json:"insurer_policies"`
	MatchedMembers      *int64              `json:"matched_members"`
	MatchedPolicies     int64               `json:"matched_policies"`
	Findings            *int64              `json:"findings"`
	ByCategory          map[string]*int64   `json:"by_category"`
	Categories          []aggregateRow      `json:"categories"`
	Issuers             []aggregateRow      `json:"issuers"`
	States              []aggregateStateRow `json:"states,omitempty"`
	PeopleAffected      *int64              `json:"people_affected"`
	PoliciesAffected    *int64              `json:"policies_affected"`
	MonthlySubsidy      *Money              `json:"monthly_subsidy_difference"`
	MonthlyPremium      *Money              `json:"monthly_premium_difference"`
	SuppressionRule     string              `json:"suppression"`
	Lifecycle           map[string]*int64   `json:"lifecycle,omitempty"`
}

type aggregateRow struct {
	Category      string `json:"category,omitempty"`
	IssuerHIOSID  string `json:"issuer_hios_id,omitempty"`
	Findings      *int64 `json:"findings"`
	People        *int64 `json:"people"`
	Policies      *int64 `json:"policies"`
	MonthlyAmount *Money `json:"monthly_amount"`
	Suppressed    bool   `json:"suppressed,omitempty"`
}

type aggregateStateRow struct {
	State         string `json:"state"`
	Findings      *int64 `json:"findings"`
	People        *int64 `json:"people"`
	Policies      *int64 `json:"policies"`
	MonthlyAmount *Money `json:"monthly_amount"`
	Suppressed    bool   `json:"suppressed,omitempty"`
}

func shown[T any](h rowHide, v T) *T {
	if h != rowShown {
		return nil
	}
	return &v
}

func aggregateSummary(s Summary) aggregateView {
	d := Disclose(s, true)
	v := aggregateView{
		MarketplaceRows: s.MarketplaceRows, InsurerRows: s.InsurerRows,
		MarketplaceRejected: s.MarketplaceRejected, InsurerRejected: s.InsurerRejected,
		MarketplacePolicies: s.MarketplacePolicies, InsurerPolicies: s.InsurerPolicies,
		MatchedPolicies: s.MatchedPolicies, Findings: shown(d.Total.Findings, s.Findings), ByCategory: map[string]*int64{},
		SuppressionRule: "counts of 1 to 10 people, and the figures that would reveal them, are null",
		Integrity:       s.Integrity.view(d.Integrity), Scope: s.Scope,
	}
	if s.Lifecycle != nil {
		v.Lifecycle = map[string]*int64{}
		for st, n := range s.Lifecycle {
			v.Lifecycle[st] = shown(d.Lifecycle[st], n)
		}
	}
	v.MatchedMembers = shown(d.MatchedMembers, s.MatchedMembers)
	v.PeopleAffected, v.PoliciesAffected = shown(d.Total.People, s.PeopleAffected), shown(d.Total.Policies, s.PoliciesAffected)
	for i, c := range s.Categories {
		h := d.Categories[i]
		v.ByCategory[c.Category] = shown(h, c.Findings)
		v.Categories = append(v.Categories, aggregateRow{Category: c.Category, Findings: shown(h, c.Findings),
			People: shown(h, c.People), Policies: shown(h, c.Policies), MonthlyAmount: shown(h, c.MonthlyAmount), Suppressed: h != rowShown})
	}
	v.MonthlySubsidy = shown(d.Subsidy, s.MonthlySubsidyDifference)
	v.MonthlyPremium = shown(d.Premium, s.MonthlyPremiumDifference)
	for i, is := range s.Issuers {
		h := d.Issuers[i]
		v.Issuers = append(v.Issuers, aggregateRow{IssuerHIOSID: is.IssuerHIOSID, Findings: shown(d.IssuerFindings[i], is.Findings),
			People: shown(h, is.People), Policies: shown(h, is.Policies), MonthlyAmount: shown(h, is.MonthlyAmount), Suppressed: h != rowShown})
	}
	for i, st := range s.States {
		h := d.States[i]
		v.States = append(v.States, aggregateStateRow{State: st.State, Findings: shown(h, st.Findings), People: shown(h, st.People),
			Policies: shown(h, st.Policies), MonthlyAmount: shown(h, st.MonthlyAmount), Suppressed: h != rowShown})
	}
	return v
}
