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
// subtracting the shown rows from a total never recovers a small row.
func hideRows(aggregate bool, people []int64) []rowHide {
	out := make([]rowHide, len(people))
	if !aggregate {
		return out
	}
	var sum int64
	for i, n := range people {
		if Suppressed(n) {
			out[i] = rowHiddenSmall
			sum += n
		}
	}
	for sum > 0 && sum < SmallCellThreshold {
		j := -1
		for i, n := range people {
			if out[i] == rowShown && n > 0 && (j < 0 || n < people[j]) {
				j = i
			}
		}
		if j < 0 {
			break
		}
		out[j] = rowHiddenOffset
		sum += people[j]
	}
	return out
}

// aggregateView is the summary of report.json in an aggregate-only report:
// the same shape, with suppressed figures as null and a list of what was
// suppressed and why.
type aggregateView struct {
	MarketplaceRows     int64             `json:"marketplace_rows"`
	InsurerRows         int64             `json:"insurer_rows"`
	MarketplaceRejected int64             `json:"marketplace_rejected"`
	InsurerRejected     int64             `json:"insurer_rejected"`
	MarketplacePolicies int64             `json:"marketplace_policies"`
	InsurerPolicies     int64             `json:"insurer_policies"`
	MatchedMembers      *int64            `json:"matched_members"`
	MatchedPolicies     int64             `json:"matched_policies"`
	Findings            *int64            `json:"findings"`
	ByCategory          map[string]*int64 `json:"by_category"`
	Categories          []aggregateRow    `json:"categories"`
	Issuers             []aggregateRow    `json:"issuers"`
	PeopleAffected      *int64            `json:"people_affected"`
	PoliciesAffected    *int64            `json:"policies_affected"`
	MonthlySubsidy      *Money            `json:"monthly_subsidy_difference"`
	MonthlyPremium      *Money            `json:"monthly_premium_difference"`
	SuppressionRule     string            `json:"suppression"`
	Lifecycle           map[string]int64  `json:"lifecycle,omitempty"`
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
		Lifecycle:       s.Lifecycle,
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
	return v
}
