package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/enrollaudit/enrollaudit/canonical"
)

// randomSummary is a consistent summary: every issuer-category count is
// drawn, and the rows and totals are their sums (one person and policy per
// finding, all high, $1 each).
func randomSummary(rng *rand.Rand) Summary {
	issuers := 2 + rng.IntN(3)
	s := Summary{ByCategory: map[string]int64{}, BySeverity: map[string]int64{}}
	cells := make([][]int64, issuers)
	for i := range cells {
		cells[i] = make([]int64, len(canonical.Categories))
		for j := range cells[i] {
			if rng.IntN(3) == 0 {
				cells[i][j] = int64(rng.IntN(14))
			}
		}
	}
	for j, c := range canonical.Categories {
		var n int64
		for i := range cells {
			n += cells[i][j]
		}
		s.Categories = append(s.Categories, CategorySummary{Category: c, Findings: n, People: n, Policies: n,
			BySeverity: map[string]int64{"high": n}, MonthlyAmount: Money(100 * n), MonthlyAmountNet: Money(-100 * n)})
		s.Findings += n
	}
	for i := range cells {
		is := IssuerSummary{IssuerHIOSID: string(rune('A' + i)), ByCategory: map[string]int64{}}
		for j, c := range canonical.Categories {
			is.ByCategory[c] = cells[i][j]
			is.Findings += cells[i][j]
		}
		is.People, is.Policies, is.MonthlyAmount = is.Findings, is.Findings, Money(100*is.Findings)
		s.Issuers = append(s.Issuers, is)
	}
	s.PeopleAffected, s.PoliciesAffected = s.Findings, s.Findings
	return s
}

// cell is one term of a sum a reader knows: its value, whether it is shown,
// and the bounds a reader can put on it when it is hidden.
type cell struct {
	v      int64
	hidden bool
	lo, hi int64
}

const unbounded = 1 << 40

// recovered returns the value of a hidden, non-zero cell that a reader
// can compute from a shown total and the other cells, if there is one.
func recovered(total int64, cells []cell) (int64, bool) {
	rest := total
	var hidden []cell
	for _, c := range cells {
		if c.hidden {
			hidden = append(hidden, c)
		} else {
			rest -= c.v
		}
	}
	for i, x := range hidden {
		var los, his int64
		for j, o := range hidden {
			if j != i {
				los += o.lo
				his += o.hi
			}
		}
		least, most := max(x.lo, rest-his), min(x.hi, rest-los)
		if x.v != 0 && least == most {
			return x.v, true
		}
	}
	return 0, false
}

// TestNoSuppressedCellIsRecoverable: in random aggregate-only summaries, no
// hidden non-zero cell follows from a shown total and the shown cells: not
// in the category table, the issuer table, nor across them.
func TestNoSuppressedCellIsRecoverable(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 3000 {
		s := randomSummary(rng)
		d := Disclose(s, true)
		check := func(what string, totalHidden rowHide, total int64, cells []cell) {
			if totalHidden != rowShown {
				return
			}
			if v, ok := recovered(total, cells); ok {
				t.Fatalf("summary %d: %s: a hidden %d follows from the total %d\n%+v", n, what, v, total, s)
			}
		}
		catCells := func(f func(CategorySummary) int64, lo int64, capped bool) []cell {
			var out []cell
			for i, c := range s.Categories {
				h := d.Categories[i]
				hi := int64(unbounded)
				if capped && h == rowHiddenSmall {
					hi = SmallCellThreshold - 1
				}
				out = append(out, cell{f(c), h != rowShown, lo, hi})
			}
			return out
		}
		check("findings by category", d.Total.Findings, s.Findings, catCells(func(c CategorySummary) int64 { return c.Findings }, 1, false))
		check("people by category", d.Total.People, s.PeopleAffected, catCells(func(c CategorySummary) int64 { return c.People }, 1, true))
		check("high by category", d.Total.BySeverity["high"], s.Findings, catCells(func(c CategorySummary) int64 { return c.BySeverity["high"] }, 0, false))
		check("dollars by category", d.Total.Amount, 100*s.Findings, catCells(func(c CategorySummary) int64 { return int64(c.MonthlyAmount) }, 0, false))
		var issFindings []cell
		for i, is := range s.Issuers {
			issFindings = append(issFindings, cell{is.Findings, d.IssuerFindings[i] != rowShown, 1, unbounded})
			var row []cell
			for j, c := range canonical.Categories {
				row = append(row, cell{is.ByCategory[c], d.IssuerCategory[i][j] != rowShown, 0, unbounded})
			}
			check("issuer "+is.IssuerHIOSID+" by category", d.IssuerFindings[i], is.Findings, row)
		}
		check("findings by issuer", d.Total.Findings, s.Findings, issFindings)
		for j, c := range canonical.Categories {
			var col []cell
			for i, is := range s.Issuers {
				col = append(col, cell{is.ByCategory[c], d.IssuerCategory[i][j] != rowShown, 0, unbounded})
			}
			check(c+" by issuer", d.Categories[j], s.Categories[j].Findings, col)
		}
	}
}

// TestWritersAgreeOnSuppression: report.json, the workbook and stdout hide
// the same figures of an aggregate-only report.
func TestWritersAgreeOnSuppression(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20 {
		r := &Report{Tool: Tool{Name: "enrollaudit"}, GeneratedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			Options: Options{AggregateOnly: true}, Rules: xlsxTestRules(), Summary: randomSummary(rng), Findings: xlsxFailSource{t}}
		var js bytes.Buffer
		if err := (JSON{}).Write(context.Background(), &js, r); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Summary aggregateView `json:"summary"`
		}
		if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		f := writeXLSX(t, r)
		var text bytes.Buffer
		if err := WriteSummary(&text, r); err != nil {
			t.Fatal(err)
		}
		hiddenIn := func(cell string) bool { return cell == "suppressed" || cell == "<11" }
		for _, c := range doc.Summary.Categories {
			row := xlsxSummaryRow(t, f, CategoryTitles[c.Category])
			if (c.Findings == nil) != hiddenIn(row[6]) || (c.People == nil) != hiddenIn(row[7]) || (c.MonthlyAmount == nil) != hiddenIn(row[9]) {
				t.Errorf("%s: JSON %+v, workbook %q", c.Category, c, row)
			}
			line := textLine(text.String(), c.Category)
			if (c.Findings == nil) != hiddenIn(line[1]) {
				t.Errorf("%s: JSON %v, stdout %q", c.Category, c.Findings, line)
			}
		}
		total := xlsxSummaryRow(t, f, "Total")
		line := textLine(text.String(), "total")
		if (doc.Summary.Findings == nil) != hiddenIn(total[6]) || (doc.Summary.Findings == nil) != hiddenIn(line[1]) {
			t.Errorf("total findings: JSON %v, workbook %q, stdout %q", doc.Summary.Findings, total, line)
		}
		if (doc.Summary.PeopleAffected == nil) != hiddenIn(total[7]) || (doc.Summary.PeopleAffected == nil) != hiddenIn(line[2]) {
			t.Errorf("people affected: JSON %v, workbook %q, stdout %q", doc.Summary.PeopleAffected, total, line)
		}
		for _, is := range doc.Summary.Issuers {
			row := xlsxSummaryRow(t, f, is.IssuerHIOSID)
			if (is.Findings == nil) != hiddenIn(row[1]) || (is.People == nil) != hiddenIn(row[2]) {
				t.Errorf("issuer %s: JSON %+v, workbook %q", is.IssuerHIOSID, is, row)
			}
		}
	}
}

// textLine returns the fields of the stdout summary's line for label.
func textLine(text, label string) []string {
	for _, l := range strings.Split(text, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == label {
			return f
		}
	}
	return nil
}
