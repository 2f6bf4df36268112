package reports

import "github.com/enrollaudit/enrollaudit/canonical"

// Disclosure says which figures of a summary an aggregate-only report shows.
// It is computed once, by Disclose, and every writer renders it, so the
// JSON, the workbook and stdout hide the same cells.
type Disclosure struct {
	MatchedMembers rowHide
	Categories     []rowHide   // by Summary.Categories
	Issuers        []rowHide   // by Summary.Issuers
	States         []rowHide   // by Summary.States
	IssuerCategory [][]rowHide // [issuer][category, by canonical.Categories]
	IssuerFindings []rowHide   // an issuer's findings count, by Summary.Issuers
	Total          TotalHide   // the totals over categories and issuers
	Subsidy        rowHide     // monthly subsidy difference (the wrong_subsidy row's)
	Premium        rowHide     // monthly premium difference (the wrong_premium row's)
	// Integrity: which integrity figures are hidden (all shown when the
	// summary has none or the report is not aggregate-only).
	Integrity IntegrityDisclosure
	// Lifecycle: the counts per lifecycle status (by status; nil shows
	// them all), and the open findings, which they add up to.
	Lifecycle     map[string]rowHide
	LifecycleOpen rowHide
}

// OpenLifecycleStatuses are the statuses of a run's open findings: their
// counts add up to the open findings.
var OpenLifecycleStatuses = []string{"new", "persisting", "changed", "reopened"}

// TotalHide says which totals are shown.
type TotalHide struct {
	Findings, People, Policies, Amount, AmountNet rowHide
	BySeverity                                    map[string]rowHide
}

// A column of a table, as a reader of the shown figures can reason about
// it: a total is the sum of its cells, a hidden row's cell is at least lo,
// and a small row's people count at most SmallCellThreshold-1.
type column struct {
	values []int64
	lo     int64 // least value of a hidden row's cell (1 for people, findings, policies)
	capped bool  // small rows' cells are at most SmallCellThreshold-1
	signed bool  // cells may be negative (net amounts): only the count of hidden cells protects
}

// totalHide decides whether the total of col may be shown next to rows
// hidden as rows say: only when it leaves every hidden cell undetermined,
// which needs two hidden cells at least and room for them to trade a unit
// (their sum strictly between its least and greatest possible values).
// Otherwise total minus the shown cells would give a hidden cell away.
//
// A column of zeros is shown: it tells only that nothing was found, and a
// zero is no small cell.
func totalHide(rows []rowHide, col column) rowHide {
	var k, sum, least, most, all int64
	bounded := true
	for i, h := range rows {
		all += col.values[i]
		if h == rowShown {
			continue
		}
		k++
		sum += col.values[i]
		least += col.lo
		if col.capped && h == rowHiddenSmall {
			most += SmallCellThreshold - 1
		} else {
			bounded = false
		}
	}
	switch {
	case k == 0, all == 0 && !col.signed:
		return rowShown
	case k == 1:
		return rowHiddenOffset
	case col.signed:
		return rowShown
	case sum <= least || (bounded && sum >= most):
		return rowHiddenOffset
	}
	return rowShown
}

// Disclose computes what an aggregate-only report shows of s (everything
// when aggregate is false): rows counting 1 to 10 people hidden, rows
// hidden with them so the hidden ones together count at least
// SmallCellThreshold (complementary suppression), and every total or
// cross-table cell hidden that would let a hidden cell be recovered.
func Disclose(s Summary, aggregate bool) Disclosure {
	d := Disclosure{
		Categories:     make([]rowHide, len(s.Categories)),
		Issuers:        make([]rowHide, len(s.Issuers)),
		IssuerCategory: make([][]rowHide, len(s.Issuers)),
		IssuerFindings: make([]rowHide, len(s.Issuers)),
		States:         make([]rowHide, len(s.States)),
		Total:          TotalHide{BySeverity: map[string]rowHide{}},
	}
	for i := range d.IssuerCategory {
		d.IssuerCategory[i] = make([]rowHide, len(canonical.Categories))
	}
	if s.Integrity != nil {
		d.Integrity = IntegrityDisclosure{ByIssuer: make([]IntegrityHide, len(s.Integrity.ByIssuer)),
			ByState: make([]IntegrityHide, len(s.Integrity.ByState))}
	}
	if !aggregate {
		return d
	}
	d.MatchedMembers = hideRows(true, []int64{s.MatchedMembers})[0]
	affected := hideRows(true, []int64{s.PeopleAffected})[0]

	catCol := func(f func(CategorySummary) int64, lo int64, capped, signed bool) column {
		c := column{lo: lo, capped: capped, signed: signed}
		for _, cs := range s.Categories {
			c.values = append(c.values, f(cs))
		}
		return c
	}
	issCol := func(f func(IssuerSummary) int64, lo int64, capped bool) column {
		c := column{lo: lo, capped: capped}
		for _, is := range s.Issuers {
			c.values = append(c.values, f(is))
		}
		return c
	}
	people := catCol(func(c CategorySummary) int64 { return c.People }, 1, true, false)
	d.Categories = hideRows(true, people.values)
	issPeople := issCol(func(i IssuerSummary) int64 { return i.People }, 1, true)
	d.Issuers = hideRows(true, issPeople.values)
	var statePeople []int64
	for _, st := range s.States {
		statePeople = append(statePeople, st.People)
	}
	d.States = hideRows(true, statePeople)

	worst := func(hs ...rowHide) rowHide {
		w := rowShown
		for _, h := range hs {
			w = max(w, h)
		}
		return w
	}
	catIndex := map[string]int{}
	for i, cs := range s.Categories {
		catIndex[cs.Category] = i
	}
	for j, c := range canonical.Categories {
		// A category's issuer cells add up to its row in the category
		// table: shown only when that row is and the hidden issuers' cells
		// stay undetermined.
		col := totalHide(d.Issuers, issCol(func(i IssuerSummary) int64 { return i.ByCategory[c] }, 0, false))
		if ci, ok := catIndex[c]; ok {
			col = max(col, d.Categories[ci])
		}
		for i := range s.Issuers {
			d.IssuerCategory[i][j] = max(d.Issuers[i], col)
		}
	}
	// An issuer's category cells add up to its findings: its findings are
	// shown only when they leave its hidden cells undetermined.
	for i, is := range s.Issuers {
		cells := column{lo: 0}
		for _, c := range canonical.Categories {
			cells.values = append(cells.values, is.ByCategory[c])
		}
		d.IssuerFindings[i] = max(d.Issuers[i], totalHide(d.IssuerCategory[i], cells))
	}
	d.Total.Findings = worst(affected,
		totalHide(d.Categories, catCol(func(c CategorySummary) int64 { return c.Findings }, 1, false, false)),
		totalHide(d.IssuerFindings, issCol(func(i IssuerSummary) int64 { return i.Findings }, 1, false)))
	d.Total.People = worst(affected, totalHide(d.Categories, people), totalHide(d.Issuers, issPeople))
	d.Total.Policies = worst(affected,
		totalHide(d.Categories, catCol(func(c CategorySummary) int64 { return c.Policies }, 1, false, false)),
		totalHide(d.Issuers, issCol(func(i IssuerSummary) int64 { return i.Policies }, 1, false)))
	d.Total.Amount = worst(affected,
		totalHide(d.Categories, catCol(func(c CategorySummary) int64 { return int64(c.MonthlyAmount) }, 0, false, false)),
		totalHide(d.Issuers, issCol(func(i IssuerSummary) int64 { return int64(i.MonthlyAmount) }, 0, false)))
	d.Total.AmountNet = worst(affected, totalHide(d.Categories, catCol(func(c CategorySummary) int64 { return int64(c.MonthlyAmountNet) }, 0, false, true)))
	for _, sev := range canonical.Severities {
		d.Total.BySeverity[sev] = worst(affected, totalHide(d.Categories, catCol(func(c CategorySummary) int64 { return c.BySeverity[sev] }, 0, false, false)))
	}
	if i, ok := catIndex["wrong_subsidy"]; ok {
		d.Subsidy = d.Categories[i]
	}
	if i, ok := catIndex["wrong_premium"]; ok {
		d.Premium = d.Categories[i]
	}
	if s.Integrity != nil {
		d.Integrity = discloseIntegrity(s.Integrity)
	}
	if s.Lifecycle != nil {
		discloseLifecycle(&d, s.Lifecycle)
	}
	return d
}

// discloseLifecycle hides the small counts per lifecycle status (each
// finding concerns a person at least) and what would recover them: the
// open statuses are a table whose total, the open findings, the workbook
// shows, and that total is the run's findings (with none waived), so both
// are hidden together; resolved and not evaluated stand alone.
func discloseLifecycle(d *Disclosure, counts map[string]int64) {
	d.Lifecycle = map[string]rowHide{}
	open := column{lo: 1, capped: true}
	for _, st := range OpenLifecycleStatuses {
		open.values = append(open.values, counts[st])
	}
	rows := hideRows(true, open.values)
	for i, st := range OpenLifecycleStatuses {
		d.Lifecycle[st] = rows[i]
	}
	d.LifecycleOpen = max(totalHide(rows, open), d.Total.Findings)
	d.Total.Findings = d.LifecycleOpen
	for _, st := range []string{"resolved", "not_evaluated"} {
		d.Lifecycle[st] = hideRows(true, []int64{counts[st]})[0]
	}
}
