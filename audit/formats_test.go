package audit

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/internal/reportcheck"
	"github.com/enrollaudit/enrollaudit/internal/sqltext"
	"github.com/enrollaudit/enrollaudit/reports"
)

const samples = "../../shared/samples"

// sourceRef is a file:line a message points at; it differs between formats.
var sourceRef = regexp.MustCompile(`first at [^)]+`)

// findingKeys runs an audit and returns its findings without their source
// locations, which legitimately differ between formats.
func findingKeys(t *testing.T, opts Options) []string {
	t.Helper()
	opts.OutDir = t.TempDir()
	opts.Formats = []string{"json"}
	if _, err := runAndPublish(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, f := range reportFindings(t, opts.OutDir) {
		f.MarketplaceSource, f.InsurerSource = nil, nil
		f.Message = sourceRef.ReplaceAllString(f.Message, "first at (source)")
		b, _ := json.Marshal(f)
		keys = append(keys, string(b))
	}
	slices.Sort(keys)
	return keys
}

// reportFindings reads the findings of the report.json in dir.
func reportFindings(t *testing.T, dir string) []reports.Finding {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := reportcheck.Validate(raw); err != nil {
		t.Errorf("report.json does not follow docs/report.schema.json: %v", err)
	}
	var rep struct{ Findings []reports.Finding }
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	return rep.Findings
}

// TestX12AuditsLikeCanonicalCSV: a marketplace 834 audited against an
// insurer's CSV roster gives the same findings as the same data converted to
// canonical CSV.
func TestX12AuditsLikeCanonicalCSV(t *testing.T) {
	edi := filepath.Join(samples, "834", "AandP-IHG-add-dep-to-sub-and-spouse.edi")
	dir := t.TempDir()
	canon := filepath.Join(dir, "marketplace.csv")
	if _, err := Convert(context.Background(), ConvertOptions{Input: edi, Output: canon, RevealPII: true}); err != nil {
		t.Fatal(err)
	}
	// The insurer has the child on another plan variant, a different APTC,
	// a misspelt spouse and an extra member.
	roster := filepath.Join(dir, "roster.csv")
	err := os.WriteFile(roster, []byte(`Policy,Member,Sub,Rel,First,Last,DOB,Sex,SSN,Plan,Start,APTC,Premium,Member Premium
19130,INJ000010668,Y,18,Samuel,Breyer,09/20/1993,M,980-76-8399,91762NJ0070093-04,01/01/2026,25.00,1385.72,527.62
19130,INJ000010670,N,19,Megan,Breyer,01/15/2006,F,,91762NJ0070093-01,01/24/2026,0,1385.72,341.19
19130,INJ000010669,N,01,Sara,Breyer,11/19/1994,F,898624451,91762NJ0070093-01,01/01/2026,0,1385.72,516.91
19130,INJ000010671,N,19,Max,Breyer,01/15/2010,M,,91762NJ0070093-01,01/01/2026,0,1385.72,0
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	mapping := filepath.Join(dir, "roster.yaml")
	err = os.WriteFile(mapping, []byte(`version: 1
columns:
  exchange_policy_id: Policy
  exchange_member_id: Member
  subscriber_indicator: Sub
  relationship_code: Rel
  first_name: First
  last_name: Last
  birth_date: DOB
  gender: Sex
  ssn: SSN
  qhp_id: Plan
  benefit_start: Start
  aptc_amount: APTC
  total_premium: Premium
  member_premium: Member Premium
formats:
  date: "%m/%d/%Y"
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fromEDI := findingKeys(t, Options{Marketplace: []string{edi}, Insurer: []string{roster}, InsurerMapping: mapping})
	fromCSV := findingKeys(t, Options{Marketplace: []string{canon}, Insurer: []string{roster}, InsurerMapping: mapping})
	if len(fromEDI) < 4 {
		t.Fatalf("expected the planted differences, got %d findings:\n%v", len(fromEDI), fromEDI)
	}
	if !slices.Equal(fromEDI, fromCSV) {
		t.Errorf("834 and CSV audits differ\n834:\n%v\nCSV:\n%v", fromEDI, fromCSV)
	}
}

// TestRCNILoads: the public RCNI sample loads on the insurer side by a
// format flag and matches itself converted to canonical CSV.
func TestRCNILoads(t *testing.T) {
	rcni := filepath.Join(samples, "rcni", "RCNI_33653.txt")
	canon := filepath.Join(t.TempDir(), "rcni.csv")
	res, err := Convert(context.Background(), ConvertOptions{Input: rcni, Format: "rcni", Output: canon, RevealPII: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 2 || res.Rejected != 0 {
		t.Fatalf("rows %d rejected %d", res.Rows, res.Rejected)
	}
	got := findingKeys(t, Options{Marketplace: []string{canon}, Insurer: []string{rcni}, InsurerFormat: "rcni"})
	if len(got) != 0 {
		t.Errorf("RCNI against itself: %v", got)
	}
}

// TestConvertNeutralisesFormulas: a hostile name stays inert text in the
// converted CSV, and SSNs are masked unless revealed.
func TestConvertNeutralisesFormulas(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	err := os.WriteFile(in, []byte("exchange_policy_id,exchange_member_id,last_name,ssn\nP1,M1,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",123456789\n"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.csv")
	if _, err := Convert(context.Background(), ConvertOptions{Input: in, Output: out}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	if !strings.Contains(string(b), `'=HYPERLINK`) || strings.Contains(string(b), "123456789") || !strings.Contains(string(b), "*****6789") {
		t.Errorf("converted CSV:\n%s", b)
	}
}

// TestEveryFormatAuditsAlike: the fixture's marketplace file written as
// Parquet, JSON, NDJSON and XLSX (typed cells: dates as Excel dates, amounts
// as numbers) gives the same findings as the CSV.
func TestEveryFormatAuditsAlike(t *testing.T) {
	dir := filepath.Join("..", "fixtures", "basic")
	src := filepath.Join(dir, "marketplace.csv")
	insurer := Options{Insurer: []string{filepath.Join(dir, "insurer.csv")}, InsurerMapping: filepath.Join(dir, "insurer-mapping.yaml")}
	audit := func(path string) []string {
		opts := insurer
		opts.Marketplace = []string{path}
		return findingKeys(t, opts)
	}
	want := audit(src)
	if len(want) < 100 {
		t.Fatalf("fixture gives %d findings", len(want))
	}
	tmp := t.TempDir()
	d, err := openDB(context.Background(), Options{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	// Typed columns, as another tool would write them.
	read := "SELECT * FROM read_csv(" + sqltext.Literal(src) + ", header = true, types = {'zip': 'VARCHAR', 'ssn': 'VARCHAR', " +
		"'exchange_policy_id': 'VARCHAR', 'exchange_member_id': 'VARCHAR', 'exchange_subscriber_id': 'VARCHAR', 'relationship_code': 'VARCHAR', " +
		"'issuer_hios_id': 'VARCHAR'})"
	for _, f := range []struct{ name, format string }{
		{"m.parquet", "(FORMAT parquet)"}, {"m.json", "(FORMAT json, ARRAY true)"}, {"m.ndjson", "(FORMAT json)"},
	} {
		path := filepath.Join(tmp, f.name)
		if _, err := d.conn.ExecContext(context.Background(), "COPY ("+read+") TO "+sqltext.Literal(path)+" "+f.format); err != nil {
			t.Fatal(err)
		}
		if got := audit(path); !slices.Equal(got, want) {
			t.Errorf("%s: %d findings differ from the CSV's %d%s", f.name, len(got), len(want), firstDiff(got, want))
		}
	}
	xlsx := filepath.Join(tmp, "m.xlsx")
	writeTypedXLSX(t, src, xlsx)
	if got := audit(xlsx); !slices.Equal(got, want) {
		t.Errorf("xlsx: %d findings differ from the CSV's %d%s", len(got), len(want), firstDiff(got, want))
	}
}

// writeTypedXLSX copies a canonical CSV into a workbook the way a person
// would keep it: dates as date cells, amounts and years as numbers.
func writeTypedXLSX(t *testing.T, src, dst string) {
	t.Helper()
	rows := readCSV(t, src)
	wb := excelize.NewFile()
	defer wb.Close()
	sw, err := wb.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	dateStyle, _ := wb.NewStyle(&excelize.Style{NumFmt: 14})
	for r, row := range rows {
		cells := make([]any, len(row))
		for c, v := range row {
			cells[c] = v
			field, _ := canonical.Lookup(rows[0][c])
			switch {
			case r == 0 || v == "":
			case field.Kind == canonical.Date:
				if tm, err := time.Parse("2006-01-02", v); err == nil {
					cells[c] = excelize.Cell{StyleID: dateStyle, Value: tm}
				}
			case field.Kind == canonical.Money || field.Kind == canonical.Int:
				if n, err := strconv.ParseFloat(v, 64); err == nil {
					cells[c] = n
				}
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, r+1)
		if err := sw.SetRow(cell, cells); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := wb.SaveAs(dst); err != nil {
		t.Fatal(err)
	}
}

func firstDiff(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return "\nfirst difference:\n got " + got[i] + "\nwant " + want[i]
		}
	}
	return ""
}

// TestConvertWarnsOfFieldProblems: a value written empty because it could
// not be read is never dropped without a word.
func TestConvertWarnsOfFieldProblems(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(in, []byte("exchange_policy_id,exchange_member_id,total_premium\nP1,M1,abc\nP1,M2,12.00\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Convert(context.Background(), ConvertOptions{Input: in, Output: filepath.Join(t.TempDir(), "out.csv")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 2 || res.Rejected != 0 || !strings.Contains(strings.Join(res.Warnings, "\n"), "1 rows have values that could not be read") {
		t.Errorf("rows %d rejected %d warnings %q", res.Rows, res.Rejected, res.Warnings)
	}
}
