package reports

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"
)

// WriteSummary prints the short summary shown on stdout after a run: what
// was read and matched, then findings by category in people and dollars.
func WriteSummary(w io.Writer, r *Report) error {
	s := r.Summary
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	d := Disclose(s, r.Options.AggregateOnly)
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
	fmt.Fprintf(tw, "matched\t%s members\t%d policies\t\n", count(d.MatchedMembers, s.MatchedMembers), s.MatchedPolicies)
	fmt.Fprintf(tw, "\t\t\t\n")
	fmt.Fprintf(tw, "category\tfindings\tpeople\tpolicies\tmonthly $\t\n")
	for i, c := range s.Categories {
		money := c.MonthlyAmount.String()
		if d.Categories[i] != rowShown {
			money = "suppressed"
		}
		h := d.Categories[i]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", c.Category, count(h, c.Findings), count(h, c.People), count(h, c.Policies), money)
	}
	fmt.Fprintf(tw, "total\t%s\t%s\t%s\t\t\n", count(d.Total.Findings, s.Findings), count(d.Total.People, s.PeopleAffected), count(d.Total.Policies, s.PoliciesAffected))
	if err := tw.Flush(); err != nil {
		return err
	}
	subsidy, premium := "$"+s.MonthlySubsidyDifference.String(), "$"+s.MonthlyPremiumDifference.String()
	if d.Subsidy != rowShown {
		subsidy = "suppressed"
	}
	if d.Premium != rowShown {
		premium = "suppressed"
	}
	if _, err := fmt.Fprintf(w, "monthly APTC/CSR difference %s, premium difference %s\n", subsidy, premium); err != nil {
		return err
	}
	if r.History != nil {
		return writeLifecycleLine(w, r.History)
	}
	return nil
}

// writeLifecycleLine gives the week-over-week deltas of a run recorded in a
// history.
func writeLifecycleLine(w io.Writer, h *History) error {
	c := h.Counts
	if h.PreviousRun == nil {
		_, err := fmt.Fprintf(w, "first run in the history (as of %s): %d new\n", h.AsOf.Format(time.DateOnly), c["new"])
		return err
	}
	_, err := fmt.Fprintf(w, "since the previous run (as of %s): %d new, %d resolved, %d changed, %d reopened, %d persisting, %d not evaluated\n",
		h.PreviousRun.AsOf, c["new"], c["resolved"], c["changed"], c["reopened"], c["persisting"], c["not_evaluated"])
	return err
}
