package reports

// NewPage suppresses the figures into what the page shows. The counts of
// people (and the trend's counts of findings, each concerning at least one
// person) and the identities a reader knows between them go through
// suppressCells together; every other figure of a row or headline group is
// hidden with the count it is tied to, so a hidden count cannot be read
// back from its findings, policies, dollars or rate.
func NewPage(f PageFigures) *Page {
	var fs figureSet
	p := &Page{GeneratedAt: f.GeneratedAt, Method: f.Method}

	// Integrity: people = intact + not intact. The page shows the first two;
	// the third follows from them, and must not when it is small.
	var people, intact int
	if in := f.Integrity; in != nil {
		people = fs.add(in.People)
		intact = fs.add(in.PeopleIntact)
		broken := fs.addHidden(in.People - in.PeopleIntact)
		fs.ids = append(fs.ids, identity{{intact, 1}, {broken, 1}, {people, -1}})
	}

	// Findings tables: each one's people add up to the people with a
	// finding. They need not (a person can be in several categories), but
	// treating them as if they did only hides more.
	affected := fs.add(f.Overview.PeopleAffected)
	tables := []struct {
		key, title, label string
		rows              []RowFigures
	}{
		{"category", "Findings by category", "Category", f.ByCategory},
		{"issuer", "Findings by issuer", "Issuer (HIOS ID)", f.ByIssuer},
		{"state", "Findings by state", "State", f.ByState},
	}
	rowCells := make([][]int, len(tables))
	for t, tb := range tables {
		id := identity{{affected, -1}}
		for _, r := range tb.rows {
			c := fs.add(r.People)
			rowCells[t] = append(rowCells[t], c)
			id = append(id, term{c, 1})
		}
		if len(tb.rows) > 0 {
			fs.ids = append(fs.ids, id)
		}
	}

	// Trend: this run's open findings are the last run's plus the new ones
	// minus the resolved ones.
	type runCells struct{ new, resolved, open int }
	runs := make([]runCells, len(f.Trend))
	for i, r := range f.Trend {
		runs[i] = runCells{fs.add(r.New), fs.add(r.Resolved), fs.add(r.Open)}
		id := identity{{runs[i].new, 1}, {runs[i].resolved, -1}, {runs[i].open, -1}}
		if i > 0 {
			id = append(id, term{runs[i-1].open, 1})
		}
		fs.ids = append(fs.ids, id)
	}

	hidden := suppressCells(fs.cells, fs.ids)
	count := func(n int64, h bool) Count {
		if h {
			return Count{Suppressed: true}
		}
		return Count{N: n}
	}
	amount := func(m Money, h bool) Amount {
		if h {
			return Amount{Suppressed: true}
		}
		return Amount{M: m}
	}
	rate := func(num, den int64, h bool) Rate {
		if h {
			return Rate{Suppressed: true}
		}
		return Rate{Num: num, Den: den}
	}

	if in := f.Integrity; in != nil {
		hp, hi := hidden[people], hidden[intact]
		p.Integrity = &PageIntegrity{
			Policies: count(in.Policies, hp), PoliciesIntact: count(in.PoliciesIntact, hi),
			PolicyRate: rate(in.PoliciesIntact, in.Policies, hi),
			People:     count(in.People, hp), PeopleIntact: count(in.PeopleIntact, hi),
			PeopleRate:     rate(in.PeopleIntact, in.People, hi),
			DollarsAtStake: Amount{M: in.DollarsAtStake}, MonthlyDollars: Amount{M: in.MonthlyDollars, NotRecorded: in.FromHistory},
		}
	}

	o := f.Overview
	ha := hidden[affected]
	p.Overview = PageOverview{
		MarketplacePolicies: Count{N: o.MarketplacePolicies}, InsurerPolicies: Count{N: o.InsurerPolicies},
		MatchedPolicies: Count{N: o.MatchedPolicies}, Findings: Count{N: o.Findings},
		PeopleAffected: count(o.PeopleAffected, ha), PoliciesAffected: count(o.PoliciesAffected, ha),
		MonthlySubsidy: Amount{M: o.MonthlySubsidy}, MonthlyPremium: Amount{M: o.MonthlyPremium},
	}
	if o.FromHistory {
		p.Overview.MarketplacePolicies, p.Overview.InsurerPolicies = Count{NotRecorded: true}, Count{NotRecorded: true}
		p.Overview.MonthlySubsidy, p.Overview.MonthlyPremium = Amount{NotRecorded: true}, Amount{NotRecorded: true}
	}
	for t, tb := range tables {
		if len(tb.rows) == 0 {
			continue
		}
		pt := PageTable{Key: tb.key, Title: tb.title, Label: tb.label}
		var findings int64
		for i, r := range tb.rows {
			h := hidden[rowCells[t][i]]
			findings += r.Findings
			pt.Rows = append(pt.Rows, PageRow{Label: r.Label, Findings: count(r.Findings, h), People: count(r.People, h),
				Policies: count(r.Policies, h), Monthly: amount(r.Monthly, h), Suppressed: h})
			// The overview's dollar figures are the subsidy and premium
			// categories' own: hidden with their rows.
			if tb.key == "category" && h {
				switch r.Key {
				case "wrong_subsidy":
					p.Overview.MonthlySubsidy = Amount{Suppressed: true}
				case "wrong_premium":
					p.Overview.MonthlyPremium = Amount{Suppressed: true}
				}
			}
		}
		pt.Total = PageRow{Label: "Total", Findings: Count{N: findings}, People: count(o.PeopleAffected, ha),
			Policies: count(o.PoliciesAffected, ha), Suppressed: ha}
		p.Tables = append(p.Tables, pt)
	}
	for i, r := range f.Trend {
		c := runs[i]
		p.Trend = append(p.Trend, PageRun{AsOf: r.AsOf,
			Rate: rate(r.PoliciesIntact, r.Policies, integrityHidden(r.People, r.PeopleIntact)),
			New:  count(r.New, hidden[c.new]), Resolved: count(r.Resolved, hidden[c.resolved]), Open: count(r.Open, hidden[c.open]),
			MedianAgeDays: medianAge(r.MedianAgeDays, hidden[c.open]), MedianSuppressed: hidden[c.open]})
	}
	return p
}

// integrityHidden reports whether a run's integrity rate must be hidden:
// when the headline of that run would hide its intact count.
func integrityHidden(people, intact int64) bool {
	var fs figureSet
	n, q := fs.add(people), fs.add(intact)
	b := fs.addHidden(people - intact)
	fs.ids = append(fs.ids, identity{{q, 1}, {b, 1}, {n, -1}})
	return suppressCells(fs.cells, fs.ids)[q]
}

func medianAge(days float64, hidden bool) float64 {
	if hidden {
		return 0
	}
	return days
}

// figureSet collects a suppression problem.
type figureSet struct {
	cells []suppressCell
	ids   []identity
}

// add appends a shown count and returns its index.
func (fs *figureSet) add(v int64) int {
	fs.cells = append(fs.cells, suppressCell{value: v, count: true, shown: true})
	return len(fs.cells) - 1
}

// addHidden appends a count the page never shows but a reader can derive.
func (fs *figureSet) addHidden(v int64) int {
	fs.cells = append(fs.cells, suppressCell{value: v, count: true})
	return len(fs.cells) - 1
}
