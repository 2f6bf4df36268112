package reports

import (
	"fmt"
	"strconv"
	"strings"
)

// Charts of report.html are inline SVG laid out here and drawn by the
// page's template: no script, no library, nothing fetched. Each chart has a
// title and description for screen readers; its figures are in the table
// printed beside it.

const (
	chartWidth  = 560
	barLabelW   = 170 // room for the row labels left of the bars
	barValueW   = 60  // room for the value right of a bar
	barRowH     = 22
	lineHeight  = 220
	linePadLeft = 48
	linePadBot  = 40
	linePadTop  = 12
	// maxDateTicks dates of 10 characters fit under a line chart.
	maxDateTicks = 6
)

// barChart is a horizontal bar chart of one table's findings.
type barChart struct {
	ID, Title, Desc string
	Width, Height   int
	Bars            []bar
}

type bar struct {
	Label, Value string
	Y, W         int // top and length of the bar
	TextY        int // baseline of the label and value
	ValueX       int
	Suppressed   bool
}

// BarX is where every bar starts.
func (barChart) BarX() int { return barLabelW }

// BarH is the thickness of a bar.
func (barChart) BarH() int { return barRowH - 6 }

func newBarChart(t PageTable) barChart {
	c := barChart{ID: "chart-" + t.Key, Title: t.Title,
		Desc: fmt.Sprintf("Bar chart of the number of findings per %s; suppressed rows (%s) have no bar. The table next to it has the figures.",
			strings.ToLower(t.Label), SuppressedMark),
		Width: chartWidth, Height: barRowH*len(t.Rows) + 8}
	var maxN int64
	for _, r := range t.Rows {
		if !r.Findings.Suppressed && r.Findings.N > maxN {
			maxN = r.Findings.N
		}
	}
	span := chartWidth - barLabelW - barValueW
	for i, r := range t.Rows {
		b := bar{Label: r.Label, Value: r.Findings.Text(), Y: 4 + i*barRowH + 3, TextY: 4 + i*barRowH + 15, Suppressed: r.Findings.Suppressed}
		if !b.Suppressed && maxN > 0 {
			b.W = int(int64(span) * r.Findings.N / maxN)
		}
		b.ValueX = barLabelW + b.W + 4
		c.Bars = append(c.Bars, b)
	}
	return c
}

// lineChart draws series over the runs of the trend; a suppressed point
// breaks its line.
type lineChart struct {
	ID, Title, Desc string
	Width, Height   int
	Left, Bottom    int
	Right           int
	YTicks          []tick
	XTicks          []tick
	Series          []series
}

type tick struct {
	Pos   int
	Label string
}

type series struct {
	Name, Class string
	Path        string // SVG path data, "M" starting each unbroken stretch
	Points      []point
	LegendY     int
}

type point struct{ X, Y int }

// newLineChart lays out values[s][run] (nil: suppressed) against the runs,
// on a y axis from 0 to top (0: the largest value).
func newLineChart(id, title, desc string, runs []PageRun, names []string, values [][]*float64, top float64, unit string) lineChart {
	c := lineChart{ID: id, Title: title, Desc: desc, Width: chartWidth, Height: lineHeight,
		Left: linePadLeft, Bottom: lineHeight - linePadBot, Right: chartWidth - 110}
	if top == 0 {
		for _, vs := range values {
			for _, v := range vs {
				if v != nil && *v > top {
					top = *v
				}
			}
		}
		if top == 0 {
			top = 1
		}
	}
	plotH := float64(c.Bottom - linePadTop)
	y := func(v float64) int { return c.Bottom - int(plotH*v/top+0.5) }
	x := func(i int) int {
		if len(runs) == 1 {
			return (c.Left + c.Right) / 2
		}
		return c.Left + (c.Right-c.Left)*i/(len(runs)-1)
	}
	for k := range 5 {
		v := top * float64(k) / 4
		c.YTicks = append(c.YTicks, tick{Pos: y(v), Label: strconv.FormatFloat(v, 'f', -1, 64) + unit})
	}
	// At most maxDateTicks dates fit under the axis; the last run always has
	// its own.
	step := (len(runs) + maxDateTicks - 1) / maxDateTicks
	for i, r := range runs {
		if (len(runs)-1-i)%step == 0 {
			c.XTicks = append(c.XTicks, tick{Pos: x(i), Label: r.AsOf.Format("2006-01-02")})
		}
	}
	for s, name := range names {
		sr := series{Name: name, Class: "s" + strconv.Itoa(s), LegendY: linePadTop + 8 + 18*s}
		var path strings.Builder
		pen := false
		for i, v := range values[s] {
			if v == nil {
				pen = false
				continue
			}
			px, py := x(i), y(*v)
			sr.Points = append(sr.Points, point{px, py})
			if pen {
				fmt.Fprintf(&path, " L%d %d", px, py)
			} else {
				fmt.Fprintf(&path, " M%d %d", px, py)
			}
			pen = true
		}
		sr.Path = strings.TrimSpace(path.String())
		c.Series = append(c.Series, sr)
	}
	return c
}

// trendCharts are the rate and the findings across runs.
func trendCharts(runs []PageRun) []lineChart {
	if len(runs) == 0 {
		return nil
	}
	rates := make([]*float64, len(runs))
	counts := make([][]*float64, 3)
	for s := range counts {
		counts[s] = make([]*float64, len(runs))
	}
	val := func(c Count) *float64 {
		if c.Suppressed {
			return nil
		}
		v := float64(c.N)
		return &v
	}
	for i, r := range runs {
		if r.Rate.Defined() {
			v := r.Rate.Percent()
			rates[i] = &v
		}
		counts[0][i], counts[1][i], counts[2][i] = val(r.Open), val(r.New), val(r.Resolved)
	}
	return []lineChart{
		newLineChart("chart-trend-rate", "Integrity rate across runs",
			"Line chart of the share of live policies that reached the insurer intact, in percent, at each run. The table below has the figures.",
			runs, []string{"policies intact"}, [][]*float64{rates}, 100, "%"),
		newLineChart("chart-trend-findings", "Findings across runs",
			"Line chart of open, new and resolved findings at each run; a suppressed figure breaks its line. The table below has the figures.",
			runs, []string{"open", "new", "resolved"}, counts, 0, ""),
	}
}
