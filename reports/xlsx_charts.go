package reports

import (
	"strconv"

	"github.com/xuri/excelize/v2"

	"github.com/enrollaudit/enrollaudit/canonical"
)

// The Summary's charts are native Excel charts drawn from the "Chart data"
// sheet. They chart exactly the figures the Summary's tables show: a
// figure the tables suppress (aggregate-only small cells, reports.Disclose)
// is an empty cell there, which a chart leaves as a gap, never a zero, and
// its label says "(suppressed)".

const (
	xlsxChartDataSheet = "Chart data"
	xlsxChartWidth     = 520 // pixels: two charts side by side on a landscape page
	xlsxChartHeight    = 280
	xlsxChartGap       = 16
	xlsxChartRows      = 17 // Summary rows a row of charts covers (20 pixels a row), with room between
	xlsxSuppressedNote = " (suppressed)"
)

// xlsxChartColumn is one column of the Chart data sheet.
type xlsxChartColumn struct {
	header string
	style  int
	cells  []any // nil: a gap in the chart
}

// writeXLSXChartData writes the Chart data sheet and returns the charts
// drawn from it: findings and people by category, the integrity rate by
// issuer, and with a history the rate and the findings across runs.
func writeXLSXChartData(f *excelize.File, st *xlsxStyles, r *Report) ([]*excelize.Chart, error) {
	var cols []xlsxChartColumn
	var charts []*excelize.Chart
	// block adds columns side by side (a blank column between blocks) and
	// returns the range of column i of the block, and its header cell.
	block := func(bc ...xlsxChartColumn) func(i int) (values, header string) {
		if len(cols) > 0 {
			cols = append(cols, xlsxChartColumn{})
		}
		first := len(cols)
		cols = append(cols, bc...)
		return func(i int) (string, string) {
			name, _ := excelize.ColumnNumberToName(first + i + 1)
			n := strconv.Itoa(len(bc[i].cells) + 1)
			col := xlsxSheetRef(xlsxChartDataSheet) + "!$" + name
			return col + "$2:$" + name + "$" + n, col + "$1"
		}
	}
	series := func(ref func(int) (string, string), col int) excelize.ChartSeries {
		cats, _ := ref(0)
		values, name := ref(col)
		return excelize.ChartSeries{Name: name, Categories: cats, Values: values}
	}

	s := r.Summary
	d := Disclose(s, r.Options.AggregateOnly)
	if len(s.Categories) > 0 {
		label, findings, people := xlsxChartColumn{header: "Category"}, xlsxChartColumn{header: "Findings", style: st.count},
			xlsxChartColumn{header: "People", style: st.count}
		byCat := map[string]int{}
		for i, cs := range s.Categories {
			byCat[cs.Category] = i
		}
		for _, c := range canonical.Categories {
			i, ok := byCat[c]
			if !ok {
				continue
			}
			cs, h := s.Categories[i], d.Categories[i]
			title := CategoryTitles[c]
			if h != rowShown {
				title += xlsxSuppressedNote
			}
			label.cells = append(label.cells, title)
			findings.cells = append(findings.cells, xlsxChartCount(h == rowShown, cs.Findings))
			people.cells = append(people.cells, xlsxChartCount(h == rowShown, cs.People))
		}
		ref := block(label, findings, people)
		charts = append(charts, xlsxBarChart("Findings and people by category", series(ref, 1), series(ref, 2)))
	}
	if g := s.Integrity; g != nil && len(g.ByIssuer) > 0 {
		label, rate := xlsxChartColumn{header: "Issuer (HIOS ID)"}, xlsxChartColumn{header: "Policies intact", style: st.percent}
		for i, x := range g.ByIssuer {
			h := d.Integrity.ByIssuer[i]
			key := x.Key
			if key == "" {
				key = "(none)"
			}
			shown := !h.Intact && !h.People && x.PolicyRate != nil
			if h.Intact || h.People {
				key += xlsxSuppressedNote
			}
			label.cells = append(label.cells, key)
			if shown {
				rate.cells = append(rate.cells, *x.PolicyRate)
			} else {
				rate.cells = append(rate.cells, nil)
			}
		}
		ref := block(label, rate)
		c := xlsxBarChart("Live policies that reached the insurer intact, by issuer", series(ref, 1))
		xlsxWholeScale(&c.YAxis)
		c.XAxis.NumFmt = excelize.ChartNumFmt{CustomNumFmt: "0%"}
		c.YAxis.NumFmt = excelize.ChartNumFmt{CustomNumFmt: "0%"}
		c.Legend.Position = "none"
		charts = append(charts, c)
	}
	if h := r.History; h != nil && len(h.Trend) > 0 {
		asOf, rate := xlsxChartColumn{header: "As of"}, xlsxChartColumn{header: "Policies intact", style: st.percent}
		open, added, resolved := xlsxChartColumn{header: "Open", style: st.count}, xlsxChartColumn{header: "New", style: st.count},
			xlsxChartColumn{header: "Resolved", style: st.count}
		for _, run := range xlsxTrend(h.Trend, r.Options.AggregateOnly) {
			// Dates as text: a date axis would space the runs by calendar
			// and label days no run has.
			asOf.cells = append(asOf.cells, run.AsOf.Format("2006-01-02"))
			if run.Rate.Defined() {
				rate.cells = append(rate.cells, float64(run.Rate.Num)/float64(run.Rate.Den))
			} else {
				rate.cells = append(rate.cells, nil)
			}
			for _, c := range []struct {
				col *xlsxChartColumn
				n   Count
			}{{&open, run.Open}, {&added, run.New}, {&resolved, run.Resolved}} {
				c.col.cells = append(c.col.cells, xlsxChartCount(!c.n.Suppressed, c.n.N))
			}
		}
		ref := block(asOf, rate, open, added, resolved)
		c := xlsxLineChart("Live policies intact across runs", series(ref, 1))
		xlsxWholeScale(&c.YAxis)
		c.YAxis.NumFmt = excelize.ChartNumFmt{CustomNumFmt: "0%"}
		c.Legend.Position = "none"
		charts = append(charts, c, xlsxLineChart("Open, new and resolved findings across runs",
			series(ref, 2), series(ref, 3), series(ref, 4)))
	}
	if len(charts) == 0 {
		return nil, nil
	}
	return charts, writeXLSXChartColumns(f, st, r, cols)
}

// xlsxTrend is the trend as the workbook shows it: suppressed as the
// public page suppresses it in an aggregate-only workbook, in full
// otherwise.
func xlsxTrend(runs []RunFigures, aggregate bool) []PageRun {
	if aggregate {
		return NewPage(PageFigures{Trend: runs}).Trend
	}
	out := make([]PageRun, len(runs))
	for i, r := range runs {
		out[i] = PageRun{AsOf: r.AsOf, Rate: Rate{Num: r.PoliciesIntact, Den: r.Policies},
			New: Count{N: r.New}, Resolved: Count{N: r.Resolved}, Open: Count{N: r.Open}, MedianAgeDays: r.MedianAgeDays}
	}
	return out
}

// xlsxWholeScale shows a rate from 0 to 100%: a scale fitted to the data
// would make 78% against 80% look like a collapse.
func xlsxWholeScale(a *excelize.ChartAxis) {
	lo, hi := 0.0, 1.0
	a.Minimum, a.Maximum = &lo, &hi
}

func xlsxChartCount(shown bool, n int64) any {
	if !shown {
		return nil
	}
	return n
}

func xlsxBarChart(title string, series ...excelize.ChartSeries) *excelize.Chart {
	c := xlsxBaseChart(excelize.Bar, title, series)
	// Categories top to bottom in the tables' order.
	c.XAxis.ReverseOrder = true
	gap := uint(60)
	c.GapWidth = &gap
	return c
}

func xlsxLineChart(title string, series ...excelize.ChartSeries) *excelize.Chart {
	return xlsxBaseChart(excelize.Line, title, series)
}

func xlsxBaseChart(typ excelize.ChartType, title string, series []excelize.ChartSeries) *excelize.Chart {
	axisFont := excelize.Font{Color: "000000", Size: 9}
	vary := false
	return &excelize.Chart{
		XAxis:        excelize.ChartAxis{Font: axisFont},
		YAxis:        excelize.ChartAxis{Font: axisFont, MajorGridLines: true},
		VaryColors:   &vary,
		Type:         typ,
		Series:       series,
		Title:        excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: title, Font: &excelize.Font{Bold: true, Size: 11}}}},
		Legend:       excelize.ChartLegend{Position: "bottom"},
		Dimension:    excelize.ChartDimension{Width: xlsxChartWidth, Height: xlsxChartHeight},
		Format:       excelize.GraphicOptions{PrintObject: xlsxTrue(), LockAspectRatio: false, Locked: xlsxTrue()},
		ShowBlanksAs: "gap",
	}
}

func xlsxTrue() *bool { b := true; return &b }

// writeXLSXChartColumns writes the Chart data sheet: one header row, the
// blocks side by side.
func writeXLSXChartColumns(f *excelize.File, st *xlsxStyles, r *Report, cols []xlsxChartColumn) error {
	sw, err := newXLSXSheet(f, r, xlsxChartDataSheet, xlsxSheetPrint{titleRows: true})
	if err != nil {
		return err
	}
	rows := 0
	for i := len(cols) - 1; i >= 0; i-- { // right to left: see xlsxCategoryWriter.open
		w := 4.0
		if cols[i].header != "" {
			w = 18
		}
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return err
		}
		rows = max(rows, len(cols[i].cells))
	}
	header := make([]any, len(cols))
	for i, c := range cols {
		if c.header != "" {
			header[i] = excelize.Cell{StyleID: st.header, Value: c.header}
		}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	for n := range rows {
		row := make([]any, len(cols))
		for i, c := range cols {
			if n < len(c.cells) && c.cells[n] != nil {
				row[i] = excelize.Cell{StyleID: c.style, Value: c.cells[n]}
			}
		}
		if err := sw.SetRow("A"+strconv.Itoa(n+2), row); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// placeCharts reserves rows of the Summary for the charts, two side by
// side; writeXLSXRows anchors them once the column widths are known.
func (b *xlsxSummary) placeCharts(charts []*excelize.Chart) {
	if len(charts) == 0 {
		return
	}
	b.section("Charts")
	b.line(false, "Drawn from the Chart data sheet; a suppressed figure is a gap, not a zero.")
	for i := 0; i < len(charts); i += 2 {
		row := len(b.rows) + 1
		for j := i; j < min(i+2, len(charts)); j++ {
			b.charts = append(b.charts, xlsxPlacedChart{row: row, right: j > i, chart: charts[j]})
		}
		for range xlsxChartRows {
			// A set height: LibreOffice's default row is lower than
			// Excel's, and the charts' rows would overlap.
			b.line(false)
			b.heights[len(b.heights)-1] = 15
		}
	}
}

// xlsxPlacedChart is a chart of the Summary: its top row, and whether it
// is the right one of its pair.
type xlsxPlacedChart struct {
	row   int
	right bool
	chart *excelize.Chart
}

// anchor is the cell at the chart's top left: column A, or for the right
// chart the first column starting past the left one. Each chart starts in
// a cell of its own: an anchor's offset cannot leave its cell.
func (c xlsxPlacedChart) anchor(widths []float64) string {
	col := 1
	if c.right {
		px := 0
		for col = 1; col <= len(widths) && px < xlsxChartWidth+xlsxChartGap; col++ {
			px += xlsxColumnPixels(widths[col-1])
		}
	}
	name, _ := excelize.ColumnNumberToName(col)
	return name + strconv.Itoa(c.row)
}

// xlsxColumnPixels converts a column width as excelize does when it
// places a drawing.
func xlsxColumnPixels(width float64) int { return int(width*8 + 0.5) }
