package reports

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
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
	if err := writeIntegrityLines(w, s, d); err != nil {
		return err
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
		return writeLifecycleLine(w, r.History, d)
	}
	return nil
}

// writeLifecycleLine gives the week-over-week deltas of a run recorded in a
// history.
func writeLifecycleLine(w io.Writer, h *History, d Disclosure) error {
	c := func(status string) string {
		if d.Lifecycle[status] != rowShown {
			return "suppressed"
		}
		return strconv.FormatInt(h.Counts[status], 10)
	}
	if h.PreviousRun == nil {
		_, err := fmt.Fprintf(w, "first run in the history (as of %s): %s new\n", h.AsOf.Format(time.DateOnly), c("new"))
		return err
	}
	_, err := fmt.Fprintf(w, "since the previous run (as of %s): %s new, %s resolved, %s changed, %s reopened, %s persisting, %s not evaluated\n",
		h.PreviousRun.AsOf, c("new"), c("resolved"), c("changed"), c("reopened"), c("persisting"), c("not_evaluated"))
	return err
}

// writeIntegrityLines prints the integrity figures and the scope: the first
// lines of the summary.
func writeIntegrityLines(w io.Writer, s Summary, d Disclosure) error {
	if g := s.Integrity; g != nil {
		h := d.Integrity.Total
		of := func(k, n int64, rate *float64) string {
			if h.Intact || h.People {
				return "suppressed"
			}
			r := "n/a"
			if rate != nil {
				r = strconv.FormatFloat(100**rate, 'f', 1, 64) + "%"
			}
			return fmt.Sprintf("%d of %d (%s)", k, n, r)
		}
		if _, err := fmt.Fprintf(w, "integrity: live policies intact %s, people %s\n", of(g.PoliciesIntact, g.Policies, g.PolicyRate),
			of(g.PeopleIntact, g.People, g.PeopleRate)); err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "dollars at stake: $%s over the coverage year, $%s a month\n", g.DollarsAtStake, g.MonthlyAtStake); err != nil {
			return err
		}
	}
	if sc := s.Scope; sc != nil {
		if _, err := fmt.Fprintf(w, "scope: %s\n\n", ScopeText(sc)); err != nil {
			return err
		}
	}
	return nil
}

// ScopeText says which issuers an audit covers and what it left out.
func ScopeText(sc *Scope) string {
	t := "issuers " + strings.Join(sc.Issuers, ", ")
	o := sc.OutOfScope
	if o.MarketplaceRows == 0 && o.InsurerRows == 0 {
		return t + "; nothing out of scope"
	}
	var named []string
	for _, iss := range slices.Sorted(maps.Keys(o.Issuers)) {
		name := iss
		if name == "" {
			name = "(no issuer ID)"
		}
		named = append(named, fmt.Sprintf("%s: %d", name, o.Issuers[iss]))
	}
	t += fmt.Sprintf("; out of scope, not audited: %d marketplace rows", o.MarketplaceRows)
	if len(named) > 0 {
		t += " (" + strings.Join(named, ", ") + ")"
	}
	return t + fmt.Sprintf(", %d insurer rows", o.InsurerRows)
}
