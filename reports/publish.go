package reports

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"path/filepath"
	"strconv"

	"github.com/enrollaudit/enrollaudit/history"
)

// PageFiguresFromHistory makes the page of the latest recorded run from a
// history alone (`enrollaudit publish`): its integrity figures and findings
// counts, the trend across every run (trend: history.Trend by none), and
// how it was computed. What the history does not keep (the sides' policy
// counts, the monthly differences) reads n/a; the findings tables are left
// out, as the history keeps no counts of people per category or issuer.
func PageFiguresFromHistory(runs []history.RunInfo, trend []history.TrendRow) PageFigures {
	if len(runs) == 0 {
		return PageFigures{}
	}
	last := runs[len(runs)-1]
	sm := last.Summary
	f := PageFigures{
		GeneratedAt: last.RecordedAt,
		Overview: OverviewFigures{MatchedPolicies: sm.MatchedPolicies, Findings: sm.Findings, PeopleAffected: sm.PeopleAffected,
			PoliciesAffected: sm.PoliciesAffected, FromHistory: true},
		Method: PageMethod{RulesHash: last.RulesHash, ToolVersion: last.ToolVersion, Scope: last.Scope, GeneratedAt: last.RecordedAt},
	}
	if in := last.Integrity; in != nil {
		f.Integrity = &IntegrityFigures{Policies: in.Policies, PoliciesIntact: in.PoliciesIntact, People: in.People,
			PeopleIntact: in.PeopleIntact, DollarsAtStake: Money(in.DollarsAtStakeCents), FromHistory: true}
	}
	for _, in := range last.Inputs {
		f.Method.Inputs = append(f.Method.Inputs, PageInput{Side: in.Side, File: filepath.Base(in.Name), SHA256: in.SHA256,
			Rows: in.RowsLoaded, Rejected: in.RowsRejected})
	}
	for _, tr := range trend {
		if tr.Group != "" {
			continue
		}
		r := RunFigures{AsOf: tr.AsOf, New: tr.Counts[history.New], Resolved: tr.Counts[history.Resolved], Open: tr.Open}
		if in := tr.Integrity; in != nil {
			r.Policies, r.PoliciesIntact, r.People, r.PeopleIntact = in.Policies, in.PoliciesIntact, in.People, in.PeopleIntact
		}
		if tr.MedianAgeDays != nil {
			r.MedianAgeDays = *tr.MedianAgeDays
		}
		f.Trend = append(f.Trend, r)
	}
	return f
}

// PageFigure is one figure the page shows, as figures.csv and figures.json
// give it: Section (headline, a table's key, or trend), Row (the table row
// or the run's as-of date; "" in the headline), Figure and its Value as the
// page prints it ("*" suppressed, "n/a" not known).
type PageFigure struct {
	Section string `json:"section"`
	Row     string `json:"row"`
	Figure  string `json:"figure"`
	Value   string `json:"value"`
}

// Figures lists every figure of the page, in page order: nothing more.
func (p *Page) Figures() []PageFigure {
	var out []PageFigure
	for _, h := range p.Headline() {
		out = append(out, PageFigure{"headline", "", h.Key, h.Text})
	}
	for _, t := range p.Tables {
		for _, r := range append(t.Rows, t.Total) {
			out = append(out, PageFigure{t.Key, r.Label, "findings", r.Findings.Text()}, PageFigure{t.Key, r.Label, "people", r.People.Text()},
				PageFigure{t.Key, r.Label, "policies", r.Policies.Text()})
			if r.Label != t.Total.Label {
				out = append(out, PageFigure{t.Key, r.Label, "monthly", r.Monthly.Text()})
			}
		}
	}
	for _, r := range p.Trend {
		d := r.AsOf.Format("2006-01-02")
		out = append(out, PageFigure{"trend", d, "policy_rate", r.Rate.Text()}, PageFigure{"trend", d, "new", r.New.Text()},
			PageFigure{"trend", d, "resolved", r.Resolved.Text()}, PageFigure{"trend", d, "open", r.Open.Text()},
			PageFigure{"trend", d, "median_age_days", r.MedianAgeText()})
	}
	return out
}

// PageHTML writes a given page as report.html (publish).
type PageHTML struct{ Page *Page }

func (PageHTML) Name() string     { return "html" }
func (PageHTML) FileName() string { return HTML{}.FileName() }
func (w PageHTML) Write(_ context.Context, out io.Writer, _ *Report) error {
	return WritePage(out, w.Page)
}

// FiguresCSV writes figures.csv: the page's figures, one a line.
type FiguresCSV struct{ Page *Page }

func (FiguresCSV) Name() string     { return "figures-csv" }
func (FiguresCSV) FileName() string { return "figures.csv" }
func (w FiguresCSV) Write(_ context.Context, out io.Writer, _ *Report) error {
	cw := csv.NewWriter(out)
	_ = cw.Write([]string{"section", "row", "figure", "value"})
	for _, f := range w.Page.Figures() {
		_ = cw.Write([]string{f.Section, f.Row, f.Figure, f.Value})
	}
	cw.Flush()
	return cw.Error()
}

// FiguresJSON writes figures.json: the page's figures as a list.
type FiguresJSON struct{ Page *Page }

func (FiguresJSON) Name() string     { return "figures-json" }
func (FiguresJSON) FileName() string { return "figures.json" }
func (w FiguresJSON) Write(_ context.Context, out io.Writer, _ *Report) error {
	figs := w.Page.Figures()
	if figs == nil {
		figs = []PageFigure{}
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"generated_at": w.Page.GeneratedAt, "figures": figs,
		"suppression": "counts of 1 to " + strconv.Itoa(SmallCellThreshold-1) + " people, and the figures that would reveal them, read *"})
}
