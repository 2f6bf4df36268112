package reports

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// The Rules sheet lists every active rule with what it checks in words, so
// a reader can tell what a finding means from the workbook alone; each
// finding's rule links to its row.

const xlsxRulesSheet = "Rules"

// xlsxRuleIndex knows each active rule's row on the Rules sheet and counts
// the findings each raised as the finding sheets are written.
type xlsxRuleIndex struct {
	row    map[string]int
	raised map[string]int64
	style  int // of a link
}

func newXLSXRuleIndex(r *Report, st *xlsxStyles) *xlsxRuleIndex {
	x := &xlsxRuleIndex{row: map[string]int{}, raised: map[string]int64{}, style: st.link}
	for i, ri := range r.Rules.Active {
		x.row[ri.ID] = i + 2 // below the header row
	}
	return x
}

// cell is a finding's rule, linked to the rule's row. A formula rather
// than a hyperlink record: the stream writer keeps no per-row state, so a
// million findings cost no memory. Rules without a row (an id the rule set
// does not list) are plain text.
func (x *xlsxRuleIndex) cell(rule string) any {
	n, ok := x.row[rule]
	if !ok {
		return xlsxText(rule)
	}
	return excelize.Cell{StyleID: x.style, Value: rule,
		Formula: `HYPERLINK("#` + xlsxSheetRef(xlsxRulesSheet) + `!A` + strconv.Itoa(n) + `","` + rule + `")`}
}

// count notes a finding of rule.
func (x *xlsxRuleIndex) count(rule string) { x.raised[rule]++ }

// xlsxScopeWords says which records a rule looks at (rules.Scope).
var xlsxScopeWords = map[string]string{
	"matched":          "on records both sides have",
	"marketplace_only": "on marketplace records the insurer lacks",
	"insurer_only":     "on insurer records the marketplace lacks",
	"marketplace":      "on each marketplace row on its own",
	"insurer":          "on each insurer row on its own",
	"each_file":        "on each row of either file on its own",
}

// xlsxRuleWords is what a rule checks in words: its description, then the
// fields it compares, on which records, and how often it can speak.
func xlsxRuleWords(ri RuleInfo) string {
	var parts []string
	if d := strings.TrimSpace(ri.Description); d != "" {
		parts = append(parts, strings.Join(strings.Fields(d), " "))
	} else if ri.Title != "" {
		parts = append(parts, ri.Title+".")
	}
	var what string
	if len(ri.Fields) > 0 {
		what = "Looks at " + strings.Join(ri.Fields, ", ")
	} else {
		what = "Looks at the record"
	}
	if w := xlsxScopeWords[ri.AppliesTo]; w != "" {
		what += " " + w
	}
	if ri.Grain != "" {
		what += "; at most one finding per " + ri.Grain
	}
	return strings.Join(append(parts, what+"."), " ")
}

func xlsxRuleParams(p map[string]string) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(p)) {
		out = append(out, k+" = "+p[k])
	}
	return strings.Join(out, "; ")
}

// writeXLSXRules writes the Rules sheet. An aggregate-only workbook lists
// no findings, so it gives no count per rule either: a rule's count could
// be a small cell.
func writeXLSXRules(f *excelize.File, st *xlsxStyles, r *Report, x *xlsxRuleIndex) error {
	cols := []xlsxColumn{
		{"ID", 26, 0, nil}, {"Title", 30, st.wrap, nil}, {"Category", 20, 0, nil}, {"Severity", 10, 0, nil},
		{"Grain", 9, 0, nil}, {"What it checks", 60, st.wrap, nil}, {"Expression", 50, st.wrap, nil},
		{"Parameters", 18, st.wrap, nil},
	}
	if !r.Options.AggregateOnly {
		cols = append(cols, xlsxColumn{"Findings raised", 10, st.countTop, nil})
	}
	cols = append(cols, xlsxColumn{"Source", 22, st.wrap, nil})
	sw, err := newXLSXSheet(f, r, xlsxRulesSheet, xlsxSheetPrint{titleRows: true})
	if err != nil {
		return err
	}
	header := make([]any, len(cols))
	for i := len(cols) - 1; i >= 0; i-- { // right to left: see xlsxCategoryWriter.open
		header[i] = excelize.Cell{StyleID: st.headerWrap, Value: cols[i].header}
		if err := sw.SetColWidth(i+1, i+1, cols[i].width); err != nil {
			return err
		}
		if cols[i].style != 0 {
			if err := sw.SetColStyle(i+1, i+1, cols[i].style); err != nil {
				return err
			}
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	for i, ri := range r.Rules.Active {
		expr := strings.Join(strings.Fields(ri.When), " ")
		if a := strings.Join(strings.Fields(ri.Amount), " "); a != "" {
			expr += "\nMonthly amount: " + a
		}
		cat := CategoryTitles[ri.Category]
		if cat == "" {
			cat = ri.Category
		}
		// Every text cell wraps and sits at the top of its row.
		var row []any
		for _, v := range []string{ri.ID, ri.Title, cat, ri.Severity, ri.Grain, xlsxRuleWords(ri), expr, xlsxRuleParams(ri.Params)} {
			row = append(row, excelize.Cell{StyleID: st.wrap, Value: xlsxText(v)})
		}
		if !r.Options.AggregateOnly {
			row = append(row, excelize.Cell{StyleID: st.countTop, Value: x.raised[ri.ID]})
		}
		row = append(row, excelize.Cell{StyleID: st.wrap, Value: xlsxText(ri.Source)})
		// Streamed rows keep the default height: wrapped text needs its own.
		lines := 1
		for j, v := range row {
			if c, ok := v.(excelize.Cell); ok && c.StyleID == st.wrap && c.Value != nil {
				n := 0
				for _, l := range strings.Split(c.Value.(string), "\n") {
					n += max(1, xlsxWrappedLines(l, int(cols[j].width)-1))
				}
				lines = max(lines, n)
			}
		}
		if err := sw.SetRow("A"+strconv.Itoa(i+2), row, excelize.RowOpts{Height: float64(lines) * 15}); err != nil {
			return err
		}
	}
	last, _ := excelize.ColumnNumberToName(len(cols))
	if err := sw.AddTable(&excelize.Table{Range: "A1:" + last + strconv.Itoa(max(len(r.Rules.Active)+1, 2)), Name: "Rules",
		StyleName: xlsxTableStyle}); err != nil {
		return err
	}
	return sw.Flush()
}

// setXLSXDocProps fills the document properties a file browser or a
// records system shows: title, subject, the tool's version and the rules'
// content hash, which say how the figures were computed.
func setXLSXDocProps(f *excelize.File, r *Report) error {
	tool := strings.TrimSpace(r.Tool.Name + " " + r.Tool.Version)
	subject := "Reconciliation of marketplace enrollments against insurer rosters"
	if r.Options.AggregateOnly {
		subject += " (aggregate figures only)"
	}
	p := &excelize.DocProperties{
		Title:       "enrollaudit report",
		Subject:     subject,
		Creator:     "enrollaudit",
		Description: "Made by " + tool + " with rules " + r.Rules.ContentHash + ".",
		Keywords:    "enrollaudit; rules " + r.Rules.ContentHash,
		Category:    "Enrollment audit",
		Version:     r.Tool.Version,
	}
	if !r.GeneratedAt.IsZero() {
		p.Created = r.GeneratedAt.UTC().Format("2006-01-02T15:04:05Z")
		p.Modified = p.Created
	}
	if err := f.SetDocProps(p); err != nil {
		return err
	}
	for _, c := range []excelize.CustomProperty{
		{Name: "Tool version", Value: r.Tool.Version},
		{Name: "Rules content hash", Value: r.Rules.ContentHash},
	} {
		if err := f.SetCustomProps(c); err != nil {
			return err
		}
	}
	return nil
}
