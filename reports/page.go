package reports

import (
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// The public page (report.html) has a model of its own: exactly the figures
// it shows, already suppressed. It has no field that could carry a name,
// SSN, birth date, policy or member ID, so no writer of it can leak one.
// PageFigures is what the engine knows; NewPage suppresses it into a Page.

// PageFigures are the unsuppressed aggregate figures the page is made from.
type PageFigures struct {
	GeneratedAt time.Time
	// Integrity is nil until the engine computes the integrity figures.
	Integrity *IntegrityFigures
	Overview  OverviewFigures
	// Rows of the findings tables; ByState is empty when the state of the
	// records is not summarised.
	ByCategory, ByIssuer, ByState []RowFigures
	// Trend holds one entry per run, oldest first (with --history).
	Trend  []RunFigures
	Method PageMethod
}

// IntegrityFigures: live marketplace policies (and their people) in scope,
// how many reached the insurer intact, and the dollars at stake.
type IntegrityFigures struct {
	Policies, PoliciesIntact int64
	People, PeopleIntact     int64
	DollarsAtStake           Money // member-months over the coverage year
	MonthlyDollars           Money
	// FromHistory: the figures come from a history, which does not keep
	// MonthlyDollars.
	FromHistory bool
}

// OverviewFigures are what every run can say about its findings.
type OverviewFigures struct {
	MarketplacePolicies, InsurerPolicies, MatchedPolicies int64
	Findings, PeopleAffected, PoliciesAffected            int64
	MonthlySubsidy, MonthlyPremium                        Money
	// FromHistory: the figures come from a history, which keeps neither
	// the sides' policy counts nor the subsidy and premium differences.
	FromHistory bool
}

// RowFigures is one row of a findings table (a category, issuer or state).
type RowFigures struct {
	Key                        string // category name, issuer HIOS ID or state code
	Label                      string
	Findings, People, Policies int64
	Monthly                    Money
}

// RunFigures is one run of the trend. People and PeopleIntact are not shown:
// they decide whether the run's rate may be.
type RunFigures struct {
	AsOf                     time.Time
	Policies, PoliciesIntact int64
	People, PeopleIntact     int64
	New, Resolved, Open      int64
	MedianAgeDays            float64 // of the open findings
}

// PageMethod is "how this was computed": nothing in it is a count of people.
type PageMethod struct {
	Inputs      []PageInput
	RulesHash   string
	ToolVersion string
	// Scope lists the issuers audited; OutOfScope those left out.
	Scope, OutOfScope []string
	GeneratedAt       time.Time
}

// PageInput is one audited file, named by its base name.
type PageInput struct {
	Side, File, Format, SHA256 string
	Rows, Rejected             int64
}

// Count is a shown count or a suppressed one; a suppressed count holds no
// value. NotRecorded: the source (a history) does not keep this figure.
type Count struct {
	N                       int64
	Suppressed, NotRecorded bool
}

// NotRecordedText stands for a figure the history does not keep.
const NotRecordedText = "n/a"

// Text is the count as the page prints it.
func (c Count) Text() string {
	if c.NotRecorded {
		return NotRecordedText
	}
	if c.Suppressed {
		return SuppressedMark
	}
	return groupThousands(strconv.FormatInt(c.N, 10))
}

// Amount is a shown dollar figure or a suppressed one.
type Amount struct {
	M                       Money
	Suppressed, NotRecorded bool
}

// Text is the amount as the page prints it ($1,234.56).
func (a Amount) Text() string {
	if a.NotRecorded {
		return NotRecordedText
	}
	if a.Suppressed {
		return SuppressedMark
	}
	s := a.M.String()
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	s = "$" + groupThousands(s[:len(s)-3]) + s[len(s)-3:]
	if neg {
		return "-" + s
	}
	return s
}

// Rate is a share (intact over all), shown as a percentage.
type Rate struct {
	Num, Den   int64
	Suppressed bool
}

// Defined reports whether the rate has a denominator.
func (r Rate) Defined() bool { return !r.Suppressed && r.Den > 0 }

// Percent is the rate in percent, for charts.
func (r Rate) Percent() float64 {
	if !r.Defined() {
		return 0
	}
	return 100 * float64(r.Num) / float64(r.Den)
}

// Text is the rate with one decimal ("97.3%"), or "n/a" with no denominator.
func (r Rate) Text() string {
	switch {
	case r.Suppressed:
		return SuppressedMark
	case r.Den == 0:
		return "n/a"
	}
	return strconv.FormatFloat(r.Percent(), 'f', 1, 64) + "%"
}

// SuppressedMark stands for a suppressed figure; the page explains it in a
// footnote.
const SuppressedMark = "*"

// Page is what report.html shows.
type Page struct {
	GeneratedAt time.Time
	Integrity   *PageIntegrity // nil when the run has no integrity figures
	Overview    PageOverview
	Tables      []PageTable // by category, by issuer, by state (tables without rows are left out)
	Trend       []PageRun
	Method      PageMethod
}

// PageIntegrity is the headline.
type PageIntegrity struct {
	Policies, PoliciesIntact Count
	PolicyRate               Rate
	People, PeopleIntact     Count
	PeopleRate               Rate
	DollarsAtStake           Amount
	MonthlyDollars           Amount
}

// PageOverview sums up the findings.
type PageOverview struct {
	MarketplacePolicies, InsurerPolicies, MatchedPolicies Count
	Findings, PeopleAffected, PoliciesAffected            Count
	MonthlySubsidy, MonthlyPremium                        Amount
}

// PageTable is one findings table; Key names it in the page (ids, charts).
type PageTable struct {
	Key, Title, Label string
	Rows              []PageRow
	Total             PageRow // its Monthly is not shown: amounts of different kinds do not add up
}

// PageRow is one row of a findings table.
type PageRow struct {
	Label                      string
	Findings, People, Policies Count
	Monthly                    Amount
	Suppressed                 bool
}

// PageRun is one point of the trend.
type PageRun struct {
	AsOf                time.Time
	Rate                Rate // policies intact over live policies
	New, Resolved, Open Count
	MedianAgeDays       float64
	MedianSuppressed    bool
}

// MedianAgeText is the median age of open findings in days.
func (r PageRun) MedianAgeText() string {
	if r.MedianSuppressed {
		return SuppressedMark
	}
	if r.Open.N == 0 {
		return "n/a"
	}
	return strconv.FormatFloat(r.MedianAgeDays, 'f', 1, 64)
}

// HeadlineFigure is one figure of the page's headline, keyed as in the
// page's data-figure attributes.
type HeadlineFigure struct {
	Key, Label, Text string
	Suppressed       bool
}

// Headline lists the headline figures in page order: the integrity figures
// when there are some, then the overview.
func (p *Page) Headline() []HeadlineFigure {
	var out []HeadlineFigure
	add := func(key, label, text string) {
		out = append(out, HeadlineFigure{Key: key, Label: label, Text: text, Suppressed: text == SuppressedMark})
	}
	if in := p.Integrity; in != nil {
		add("policy_rate", "Policies that reached the insurer intact", in.PolicyRate.Text())
		add("policies", "Live marketplace policies in scope", in.Policies.Text())
		add("policies_intact", "Policies intact", in.PoliciesIntact.Text())
		add("people_rate", "People whose enrollment reached the insurer intact", in.PeopleRate.Text())
		add("people", "People on live policies in scope", in.People.Text())
		add("people_intact", "People intact", in.PeopleIntact.Text())
		add("dollars_at_stake", "Dollars at stake over the coverage year", in.DollarsAtStake.Text())
		add("monthly_dollars", "Dollars at stake per month", in.MonthlyDollars.Text())
	}
	o := p.Overview
	add("findings", "Findings", o.Findings.Text())
	add("people_affected", "People with a finding", o.PeopleAffected.Text())
	add("policies_affected", "Policies with a finding", o.PoliciesAffected.Text())
	add("monthly_subsidy", "Monthly APTC/CSR difference", o.MonthlySubsidy.Text())
	add("monthly_premium", "Monthly premium difference", o.MonthlyPremium.Text())
	add("marketplace_policies", "Marketplace policies", o.MarketplacePolicies.Text())
	add("insurer_policies", "Insurer policies", o.InsurerPolicies.Text())
	add("matched_policies", "Policies on both sides", o.MatchedPolicies.Text())
	return out
}

// Suppressed reports whether any figure of the page is suppressed, for the
// footnote.
func (p *Page) Suppressed() bool {
	for _, h := range p.Headline() {
		if h.Suppressed {
			return true
		}
	}
	for _, t := range p.Tables {
		if t.Total.Suppressed {
			return true
		}
		for _, r := range t.Rows {
			if r.Suppressed {
				return true
			}
		}
	}
	for _, r := range p.Trend {
		if r.Rate.Suppressed || r.New.Suppressed || r.Resolved.Suppressed || r.Open.Suppressed {
			return true
		}
	}
	return false
}

// PageFiguresFromReport fills the page's figures from a report: overview,
// findings by category and by issuer, the integrity figures, and how it
// was computed (scope included).
func PageFiguresFromReport(r *Report) PageFigures {
	s := r.Summary
	f := PageFigures{
		GeneratedAt: r.GeneratedAt,
		Overview: OverviewFigures{
			MarketplacePolicies: s.MarketplacePolicies, InsurerPolicies: s.InsurerPolicies, MatchedPolicies: s.MatchedPolicies,
			Findings: s.Findings, PeopleAffected: s.PeopleAffected, PoliciesAffected: s.PoliciesAffected,
			MonthlySubsidy: s.MonthlySubsidyDifference, MonthlyPremium: s.MonthlyPremiumDifference,
		},
		Method: PageMethod{RulesHash: r.Rules.ContentHash, ToolVersion: r.Tool.Version, GeneratedAt: r.GeneratedAt},
	}
	for _, c := range s.Categories {
		label := CategoryTitles[c.Category]
		if label == "" {
			label = c.Category
		}
		f.ByCategory = append(f.ByCategory, RowFigures{Key: c.Category, Label: label, Findings: c.Findings, People: c.People, Policies: c.Policies, Monthly: c.MonthlyAmount})
	}
	for _, is := range s.Issuers {
		label := is.IssuerHIOSID
		if label == "" {
			label = "(no issuer ID)"
		}
		f.ByIssuer = append(f.ByIssuer, RowFigures{Key: is.IssuerHIOSID, Label: label, Findings: is.Findings, People: is.People, Policies: is.Policies, Monthly: is.MonthlyAmount})
	}
	for _, st := range s.States {
		label := st.State
		if label == "" {
			label = "(no state)"
		}
		f.ByState = append(f.ByState, RowFigures{Key: st.State, Label: label, Findings: st.Findings, People: st.People, Policies: st.Policies, Monthly: st.MonthlyAmount})
	}
	if g := s.Integrity; g != nil {
		f.Integrity = g.PageFigures()
	}
	if sc := s.Scope; sc != nil {
		f.Method.Scope = sc.Issuers
		for _, iss := range slices.Sorted(maps.Keys(sc.OutOfScope.Issuers)) {
			if iss == "" {
				iss = "(no issuer ID)"
			}
			f.Method.OutOfScope = append(f.Method.OutOfScope, iss)
		}
	}
	for _, in := range r.Inputs {
		f.Method.Inputs = append(f.Method.Inputs, PageInput{Side: in.Side, File: filepath.Base(in.Path), Format: in.Format,
			SHA256: in.SHA256, Rows: in.RowsLoaded, Rejected: in.RowsRejected})
	}
	return f
}

// groupThousands puts commas into a run of digits.
func groupThousands(digits string) string {
	neg := len(digits) > 0 && digits[0] == '-'
	if neg {
		digits = digits[1:]
	}
	var out []byte
	for i := range len(digits) {
		if i > 0 && (len(digits)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, digits[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
