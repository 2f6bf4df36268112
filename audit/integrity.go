package audit

import (
	"context"

	"github.com/enrollaudit/enrollaudit/audit/relations"
	"github.com/enrollaudit/enrollaudit/reports"
)

// integrity fills summary.integrity from relations.Integrity, and
// summary.states (findings by state) from relations.FindingsByState.
func (e *Engine) integrity(ctx context.Context) error {
	rows, err := relations.Integrity(ctx, e.d.conn, reports.IntegrityCategories, e.filter)
	if err != nil {
		return err
	}
	g := &reports.Integrity{ByIssuer: []reports.IntegrityGroup{}, ByState: []reports.IntegrityGroup{}}
	for _, r := range rows {
		c := reports.IntegrityCounts{Policies: r.Policies, PoliciesIntact: r.PoliciesIntact, People: r.People, PeopleIntact: r.PeopleIntact,
			PoliciesRejected: r.PoliciesRejected, DollarsAtStake: reports.Money(r.DollarsCents), MonthlyAtStake: reports.Money(r.MonthlyCents)}.WithRates()
		switch r.Grouping {
		case "total":
			g.IntegrityCounts = c
		case "issuer":
			g.ByIssuer = append(g.ByIssuer, reports.IntegrityGroup{Key: r.Key, IntegrityCounts: c})
		case "state":
			g.ByState = append(g.ByState, reports.IntegrityGroup{Key: r.Key, IntegrityCounts: c})
		}
	}
	e.rep.Summary.Integrity = g
	states, err := relations.FindingsByState(ctx, e.d.conn, "touched")
	if err != nil {
		return err
	}
	for _, st := range states {
		e.rep.Summary.States = append(e.rep.Summary.States, reports.StateSummary{State: st.State, Findings: st.Findings,
			People: st.People, Policies: st.Policies, MonthlyAmount: reports.Money(st.Cents)})
	}
	return nil
}
