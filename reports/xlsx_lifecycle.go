package reports

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"
)

// The workbook of a run recorded in a history (Report.History): a block of
// the Summary sheet comparing the run with the previous one, lifecycle
// columns on the category sheets, and a Resolved sheet.

const xlsxResolvedSheet = "Resolved"

// xlsxLifecycleStatusTitles label the statuses on the Summary sheet, in the
// order a reader asks about them.
var xlsxLifecycleStatusTitles = []struct{ status, title string }{
	{"new", "New"},
	{"resolved", "Resolved"},
	{"changed", "Changed"},
	{"reopened", "Reopened"},
	{"persisting", "Persisting"},
	{"not_evaluated", "Not evaluated (issuer not in this run)"},
}

// xlsxLifecycleSummary adds the run against the previous one: findings per
// status, the oldest open finding and the median age of the open ones.
func xlsxLifecycleSummary(b *xlsxSummary, h *History, d Disclosure) {
	st := b.st
	b.section("Since the previous run")
	b.line(true, "As of", excelize.Cell{StyleID: st.date, Value: h.AsOf})
	if h.PreviousRun != nil {
		b.line(true, "Previous run as of", excelize.Cell{StyleID: st.date, Value: time.Time(h.PreviousRun.AsOf)})
	} else {
		b.line(true, "Previous run as of", "none: first run in this history")
	}
	b.header("Status", "Findings")
	for _, s := range xlsxLifecycleStatusTitles {
		b.line(true, s.title, b.people(d.Lifecycle[s.status], h.Counts[s.status], st.count))
	}
	var open int64
	var oldest time.Time
	for _, l := range h.Findings {
		open++
		if first := time.Time(l.FirstSeen); oldest.IsZero() || first.Before(oldest) {
			oldest = first
		}
	}
	b.line(true, excelize.Cell{StyleID: st.totalLabel, Value: "Open findings"}, b.count(d.LifecycleOpen, open, st.totalCount))
	if open > 0 && d.LifecycleOpen == rowShown {
		med, _ := h.MedianAge()
		b.line(true, "Oldest open finding first seen", excelize.Cell{StyleID: st.date, Value: oldest})
		b.line(true, "Median age of open findings (days)", med)
	}
	b.line(false, "Resolved: open in the previous run and absent now. Persisting: the same values both runs; changed: other values or amount. Not evaluated findings are neither open nor resolved (docs/history.md).")
}

// xlsxLifecycleColumns are the category sheets' lifecycle columns.
func xlsxLifecycleColumns(st *xlsxStyles, h *History) []xlsxColumn {
	return []xlsxColumn{
		{"Status", 11, 0, func(fd *Finding) any {
			if fd.Lifecycle == nil {
				return nil
			}
			return fd.Lifecycle.Status
		}},
		{"First seen", 11, st.date, func(fd *Finding) any {
			if fd.Lifecycle == nil {
				return nil
			}
			return time.Time(fd.Lifecycle.FirstSeen)
		}},
		{"Weeks open", 7, 0, func(fd *Finding) any {
			if fd.Lifecycle == nil {
				return nil
			}
			return int64(h.WeeksOpen(*fd.Lifecycle))
		}},
	}
}

// withLifecycleColumns puts the lifecycle columns after a finding's
// severity, where a reader looks first.
func withLifecycleColumns(cols []xlsxColumn, st *xlsxStyles, h *History) []xlsxColumn {
	at := slices.IndexFunc(cols, func(c xlsxColumn) bool { return c.header == "Severity" }) + 1
	return slices.Insert(cols, at, xlsxLifecycleColumns(st, h)...)
}

// writeXLSXResolved lists the findings resolved since the previous run,
// over as many sheets as Excel's row limit requires.
func writeXLSXResolved(ctx context.Context, f *excelize.File, st *xlsxStyles, r *Report, rules *xlsxRuleIndex) error {
	h := r.History
	text := func(p *string) any { return xlsxPtrText(p) }
	cols := []xlsxColumn{
		{"ID", 26, 0, nil}, {"Rule", 24, 0, nil}, {"Category", 24, 0, nil}, {"Issuer HIOS ID", 16, 0, nil},
		{"Exchange policy ID", 22, 0, nil}, {"Exchange member ID", 22, 0, nil},
		{"First seen", 14, st.date, nil}, {"Last seen", 14, st.date, nil},
	}
	cw := &xlsxCategoryWriter{f: f, r: r, st: st, title: xlsxResolvedSheet, cols: cols}
	if err := cw.open(); err != nil {
		return err
	}
	for i, res := range h.Resolved {
		if i%xlsxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if cw.rows >= xlsxMaxRows {
			if err := cw.close(); err != nil {
				return err
			}
			if err := cw.open(); err != nil {
				return err
			}
		}
		cw.rows++
		row := []any{res.ID, rules.cell(res.Rule), xlsxText(res.Category), text(res.IssuerHIOSID), text(res.ExchangePolicyID), text(res.ExchangeMemberID),
			time.Time(res.FirstSeen), time.Time(res.LastSeen)}
		if err := cw.sw.SetRow("A"+strconv.Itoa(cw.rows), row); err != nil {
			return err
		}
	}
	return cw.close()
}
