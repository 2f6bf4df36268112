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
	count := func(n int64) string {
		if r.Options.AggregateOnly && Suppressed(n) {
			return "<11"
		}
		return strconv.FormatInt(n, 10)
	}
	fmt.Fprintf(tw, "\tmarketplace\tinsurer\t\n")
	fmt.Fprintf(tw, "rows loaded\t%d\t%d\t\n", s.MarketplaceRows, s.InsurerRows)
	fmt.Fprintf(tw, "rows rejected\t%d\t%d\t\n", s.MarketplaceRejected, s.InsurerRejected)
	fmt.Fprintf(tw, "policies\t%d\t%d\t\n", s.MarketplacePolicies, s.InsurerPolicies)
	fmt.Fprintf(tw, "matched\t%d members\t%d policies\t\n", s.MatchedMembers, s.MatchedPolicies)
	fmt.Fprintf(tw, "\t\t\t\n")
	fmt.Fprintf(tw, "category\tfindings\tpeople\tpolicies\tmonthly $\t\n")
	for _, c := range s.Categories {
		money := c.MonthlyAmount.String()
		if r.Options.AggregateOnly && Suppressed(c.People) {
			money = "suppressed"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", c.Category, count(c.Findings), count(c.People), count(c.Policies), money)
	}
	fmt.Fprintf(tw, "total\t%d\t%s\t%d\t\t\n", s.Findings, count(s.PeopleAffected), s.PoliciesAffected)
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "monthly APTC/CSR difference $%s, premium difference $%s\n", s.MonthlySubsidyDifference, s.MonthlyPremiumDifference)
	return err
}
