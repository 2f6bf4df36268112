package reports

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"io"
)

//go:embed page.html.tmpl page.css
var pageFiles embed.FS

var pageTemplate = template.Must(template.New("page.html.tmpl").Funcs(template.FuncMap{"fig": figureHTML}).
	ParseFS(pageFiles, "page.html.tmpl"))

// figureHTML prints a figure; a suppressed one is a marker that links to the
// note saying why, and that screen readers read as "suppressed".
func figureHTML(text string) template.HTML {
	if text == SuppressedMark {
		return `<a class="suppressed" href="#suppression" aria-label="suppressed">` + SuppressedMark + `</a>`
	}
	return template.HTML(template.HTMLEscapeString(text))
}

// pageCSS is inlined into the page: a style sheet would be a request.
var pageCSS = func() template.CSS {
	b, err := pageFiles.ReadFile("page.css")
	if err != nil {
		panic(err)
	}
	return template.CSS(b)
}()

// HTML writes report.html, the public page: aggregate figures only, small
// counts suppressed, one self-contained file (docs/report-page.md).
type HTML struct{}

// Name implements Writer.
func (HTML) Name() string { return "html" }

// FileName implements Writer.
func (HTML) FileName() string { return "report.html" }

// Write implements Writer.
func (HTML) Write(ctx context.Context, w io.Writer, r *Report) error {
	return WritePage(w, NewPage(PageFiguresFromReport(r)))
}

// pageView is the template's data: the page and its charts.
type pageView struct {
	*Page
	CSS         template.CSS
	Sections    []pageSection
	TrendCharts []lineChart
}

type pageSection struct {
	PageTable
	Chart barChart
}

// WritePage renders a page.
func WritePage(w io.Writer, p *Page) error {
	v := pageView{Page: p, CSS: pageCSS, TrendCharts: trendCharts(p.Trend)}
	for _, t := range p.Tables {
		v.Sections = append(v.Sections, pageSection{PageTable: t, Chart: newBarChart(t)})
	}
	if err := pageTemplate.Execute(w, v); err != nil {
		return fmt.Errorf("render page: %w", err)
	}
	return nil
}
