package reports

import (
	"github.com/xuri/excelize/v2"
)

// integrityLines are the Summary sheet's first lines: the integrity figures
// and the scope.
func (b *xlsxSummary) integrityLines(s Summary, d Disclosure) {
	st := b.st
	if g := s.Integrity; g != nil {
		h := d.Integrity.Total
		b.line(true, excelize.Cell{StyleID: st.totalLabel, Value: "Live policies that reached the insurer intact"},
			b.rate(h, g.PolicyRate), b.hidden(h.Intact, g.PoliciesIntact), "of", b.hidden(h.People, g.Policies))
		b.line(true, excelize.Cell{StyleID: st.totalLabel, Value: "People on them"},
			b.rate(h, g.PeopleRate), b.hidden(h.Intact, g.PeopleIntact), "of", b.hidden(h.People, g.People))
		b.line(true, excelize.Cell{StyleID: st.totalLabel, Value: "Dollars at stake over the coverage year"},
			excelize.Cell{StyleID: st.totalMoney, Value: g.DollarsAtStake.Dollars()})
		b.line(true, "Dollars at stake a month", excelize.Cell{StyleID: st.money, Value: g.MonthlyAtStake.Dollars()})
		b.line(true, "Policies with rejected rows (counted, not intact)", b.hidden(h.People, g.PoliciesRejected))
	}
	if sc := s.Scope; sc != nil {
		b.line(false, "Scope", xlsxText(ScopeText(sc)))
	}
	if s.Integrity != nil || s.Scope != nil {
		b.line(false)
	}
}

func (b *xlsxSummary) hidden(hide bool, n int64) any {
	if hide {
		return excelize.Cell{StyleID: b.st.hidden, Value: xlsxSuppressed}
	}
	return excelize.Cell{StyleID: b.st.count, Value: n}
}

func (b *xlsxSummary) rate(h IntegrityHide, r *float64) any {
	switch {
	case h.Intact || h.People:
		return excelize.Cell{StyleID: b.st.hidden, Value: xlsxSuppressed}
	case r == nil:
		return excelize.Cell{StyleID: b.st.hidden, Value: "n/a"}
	}
	return excelize.Cell{StyleID: b.st.percent, Value: *r}
}

// buildXLSXIntegrity is the Integrity sheet: the figures in total, per
// issuer and per state.
func buildXLSXIntegrity(r *Report, st *xlsxStyles) *xlsxSummary {
	b := &xlsxSummary{st: st}
	g := r.Summary.Integrity
	d := Disclose(r.Summary, r.Options.AggregateOnly).Integrity
	b.line(false, excelize.Cell{StyleID: st.title, Value: "Integrity: live marketplace policies in scope that reached the insurer intact"})
	table := func(title, label string, groups []IntegrityGroup, hides []IntegrityHide) {
		b.section(title)
		b.header(label, "Policies", "Policies intact", "Policy rate", "People", "People intact", "People rate",
			"Dollars at stake", "Monthly at stake", "Policies with rejected rows")
		for i, x := range groups {
			h := hides[i]
			key := x.Key
			if key == "" {
				key = "(none)"
			}
			b.line(true, xlsxText(key), b.hidden(h.People, x.Policies), b.hidden(h.Intact, x.PoliciesIntact), b.rate(h, x.PolicyRate),
				b.hidden(h.People, x.People), b.hidden(h.Intact, x.PeopleIntact), b.rate(h, x.PeopleRate),
				excelize.Cell{StyleID: st.money, Value: x.DollarsAtStake.Dollars()}, excelize.Cell{StyleID: st.money, Value: x.MonthlyAtStake.Dollars()},
				b.hidden(h.People, x.PoliciesRejected))
		}
	}
	table("Total", "", []IntegrityGroup{{Key: "all", IntegrityCounts: g.IntegrityCounts}}, []IntegrityHide{d.Total})
	table("By issuer", "Issuer (HIOS ID)", g.ByIssuer, d.ByIssuer)
	table("By state", "State", g.ByState, d.ByState)
	return b
}
