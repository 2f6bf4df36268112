package reports

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
)

// WriteSummary prints the short summary shown on stdout after a run: what
// was read and matched, then findings by category in people and dollars.
func WriteSummary(w io.Writer, r *Report) error {
	s := r.Summary
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	people := make([]int64, len(s.Categories))
	for i, c := range s.Categories {
		people[i] = c.People
	}
	hide := hideRows(r.Options.AggregateOnly, people)
	total := hideRows(r.Options.AggregateOnly, []int64{s.PeopleAffected})[0]
	count := func(h rowHide, n int64) string {
		switch h {
		case rowHiddenSmall:
			return "<11"
		case rowHiddenOffset:
			return "suppressed"
		}
		return strconv.FormatInt(n, 10)
	}
	fmt.Fprintf(tw, "\tmarketplace\tinsurer\t\n")
	fmt.Fprintf(tw, "rows loaded\t%d\t%d\t\n", s.MarketplaceRows, s.InsurerRows)
	fmt.Fprintf(tw, "rows rejected\t%d\t%d\t\n", s.MarketplaceRejected, s.InsurerRejected)
	fmt.Fprintf(tw, "policies\t%d\t%d\t\n", s.MarketplacePolicies, s.InsurerPolicies)
	fmt.Fprintf(tw, "matched\t%s members\t%d policies\t\n", count(hideRows(r.Options.AggregateOnly, []int64{s.MatchedMembers})[0], s.MatchedMembers), s.MatchedPolicies)
	fmt.Fprintf(tw, "\t\t\t\n")
	fmt.Fprintf(tw, "category\tfindings\tpeople\tpolicies\tmonthly $\t\n")
	for i, c := range s.Categories {
		money := c.MonthlyAmount.String()
		if hide[i] != rowShown {
			money = "suppressed"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", c.Category, count(hide[i], c.Findings), count(hide[i], c.People), count(hide[i], c.Policies), money)
	}
	fmt.Fprintf(tw, "total\t%d\t%s\t%s\t\t\n", s.Findings, count(total, s.PeopleAffected), count(total, s.PoliciesAffected))
	if err := tw.Flush(); err != nil {
		return err
	}
	subsidy, premium := "$"+s.MonthlySubsidyDifference.String(), "$"+s.MonthlyPremiumDifference.String()
	if r.Options.AggregateOnly {
		v := aggregateSummary(s)
		if v.MonthlySubsidy == nil {
			subsidy = "suppressed"
		}
		if v.MonthlyPremium == nil {
			premium = "suppressed"
		}
	}
	_, err := fmt.Fprintf(w, "monthly APTC/CSR difference %s, premium difference %s\n", subsidy, premium)
	return err
}
