package reports

import (
	"bytes"
	"flag"
	"math/rand/v2"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var updatePage = flag.Bool("update", false, "rewrite testdata/page.golden.html")

// smallPage has every section: integrity, three tables with suppressed
// rows, a trend with a suppressed week, scope.
func smallPage() PageFigures {
	at := time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	week := func(d int) time.Time { return at.AddDate(0, 0, -7*d) }
	return PageFigures{
		GeneratedAt: at,
		Integrity:   &IntegrityFigures{Policies: 1200, PoliciesIntact: 1130, People: 2500, PeopleIntact: 2370, DollarsAtStake: 1234567, MonthlyDollars: 102880},
		Overview: OverviewFigures{MarketplacePolicies: 1250, InsurerPolicies: 1244, MatchedPolicies: 1190,
			Findings: 160, PeopleAffected: 190, PoliciesAffected: 98, MonthlySubsidy: 73579, MonthlyPremium: 26989},
		ByCategory: []RowFigures{
			{Key: "missing_enrollment", Label: "Missing enrollment", Findings: 40, People: 70, Policies: 40, Monthly: 289092},
			{Key: "wrong_subsidy", Label: "Wrong subsidy", Findings: 60, People: 100, Policies: 40, Monthly: 73579},
			{Key: "wrong_premium", Label: "Wrong premium", Findings: 5, People: 5, Policies: 5, Monthly: 26989},
			{Key: "wrong_status", Label: "Wrong status", Findings: 55, People: 15, Policies: 13},
		},
		ByIssuer: []RowFigures{
			{Key: "12345", Label: "12345", Findings: 100, People: 120, Policies: 60, Monthly: 300000},
			{Key: "67890", Label: "67890", Findings: 60, People: 70, Policies: 38, Monthly: 89660},
		},
		ByState: []RowFigures{
			{Key: "VA", Label: "VA", Findings: 150, People: 183, Policies: 94, Monthly: 380000},
			{Key: "MD", Label: "MD", Findings: 10, People: 7, Policies: 4, Monthly: 9660},
		},
		Trend: []RunFigures{
			{AsOf: week(2), Policies: 1180, PoliciesIntact: 1100, People: 2450, PeopleIntact: 2300, New: 150, Resolved: 0, Open: 150, MedianAgeDays: 0},
			{AsOf: week(1), Policies: 1190, PoliciesIntact: 1120, People: 2480, PeopleIntact: 2350, New: 4, Resolved: 30, Open: 124, MedianAgeDays: 7},
			{AsOf: week(0), Policies: 1200, PoliciesIntact: 1130, People: 2500, PeopleIntact: 2370, New: 60, Resolved: 24, Open: 160, MedianAgeDays: 10.5},
		},
		Method: PageMethod{
			Inputs: []PageInput{
				{Side: "marketplace", File: "enrollments.csv", Format: "csv", SHA256: strings.Repeat("ab", 32), Rows: 2600},
				{Side: "insurer", File: "roster.834", Format: "x12", SHA256: strings.Repeat("cd", 32), Rows: 2590, Rejected: 3},
			},
			RulesHash: strings.Repeat("ef", 32), ToolVersion: "v1.2.3",
			Scope: []string{"12345", "67890"}, OutOfScope: []string{"55555"}, GeneratedAt: at,
		},
	}
}

func TestNewPageSuppression(t *testing.T) {
	p := NewPage(smallPage())
	cat := p.Tables[0]
	// Wrong premium (5 people) is small; the smallest other row, wrong
	// status (15), is hidden with it, and with it every figure of the row.
	for i, want := range []bool{false, false, true, true} {
		if r := cat.Rows[i]; r.Suppressed != want || r.People.Suppressed != want || r.Findings.Suppressed != want ||
			r.Policies.Suppressed != want || r.Monthly.Suppressed != want {
			t.Errorf("category row %s: suppressed %+v, want %v", r.Label, r, want)
		}
	}
	if r := cat.Rows[2]; r.People.N != 0 || r.Findings.N != 0 || r.Monthly.M != 0 {
		t.Errorf("a suppressed row keeps its values: %+v", r)
	}
	if !p.Overview.MonthlyPremium.Suppressed || p.Overview.MonthlySubsidy.Suppressed {
		t.Errorf("the premium difference is the wrong_premium row's and must go with it: %+v", p.Overview)
	}
	// MD (7 people) and, as its only complement, VA: the total of people
	// with a finding is shown, so VA would give MD away.
	for _, r := range p.Tables[2].Rows {
		if !r.Suppressed {
			t.Errorf("state row %s shown; with one state small, the other gives it away", r.Label)
		}
	}
	if p.Integrity.PeopleIntact.Suppressed || p.Integrity.PolicyRate.Suppressed {
		t.Errorf("130 people not intact is no small count: %+v", p.Integrity)
	}
	// Trend: 4 new findings in week 1 are small; resolved (30) hides with
	// it, or open minus last week's open would give it away.
	w1 := p.Trend[1]
	if !w1.New.Suppressed || !w1.Resolved.Suppressed || w1.Open.Suppressed {
		t.Errorf("week 1: %+v", w1)
	}
}

func TestNewPageIntegritySuppression(t *testing.T) {
	cases := []struct {
		name                string
		people, intact      int64
		hideIntact, hideAll bool
	}{
		{"large both ways", 2500, 2370, false, false},
		{"few people not intact", 2500, 2494, true, false},
		{"few people intact", 2500, 4, true, false},
		{"few people at all", 8, 4, true, true},
		{"all intact", 2500, 2500, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := smallPage()
			f.Integrity.People, f.Integrity.PeopleIntact = c.people, c.intact
			in := NewPage(f).Integrity
			if in.PeopleIntact.Suppressed != c.hideIntact || in.PoliciesIntact.Suppressed != c.hideIntact ||
				in.PeopleRate.Suppressed != c.hideIntact || in.PolicyRate.Suppressed != c.hideIntact {
				t.Errorf("intact figures suppressed %+v, want %v", in, c.hideIntact)
			}
			if in.People.Suppressed != c.hideAll || in.Policies.Suppressed != c.hideAll {
				t.Errorf("people suppressed %v, want %v", in.People.Suppressed, c.hideAll)
			}
			if integrityHidden(c.people, c.intact) != c.hideIntact {
				t.Errorf("a run of the trend with these figures would not hide its rate the same way")
			}
		})
	}
}

// TestPageHoldsNoPersonLevelData: every text field of the page model is
// one of these, none able to carry a name, SSN, birth date, policy or
// member ID. A new text field must be added here on purpose.
func TestPageHoldsNoPersonLevelData(t *testing.T) {
	allowed := map[string]bool{
		"PageTable.Key": true, "PageTable.Title": true, "PageTable.Label": true, // table names
		"PageRow.Label":  true, // category title, issuer HIOS ID or state
		"PageInput.Side": true, "PageInput.File": true, "PageInput.Format": true, "PageInput.SHA256": true,
		"PageMethod.RulesHash": true, "PageMethod.ToolVersion": true,
		"PageMethod.Scope": true, "PageMethod.OutOfScope": true, // issuer HIOS IDs
	}
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(ty reflect.Type) {
		for ty.Kind() == reflect.Pointer || ty.Kind() == reflect.Slice {
			ty = ty.Elem()
		}
		if ty.Kind() != reflect.Struct || seen[ty] || ty == reflect.TypeFor[time.Time]() {
			return
		}
		seen[ty] = true
		for f := range ty.Fields() {
			ft := f.Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			switch ft.Kind() {
			case reflect.String:
				if !allowed[ty.Name()+"."+f.Name] {
					t.Errorf("%s.%s is text the page would print; is it free of personal data?", ty.Name(), f.Name)
				}
			case reflect.Struct:
				walk(f.Type)
			case reflect.Map, reflect.Interface:
				t.Errorf("%s.%s can hold anything", ty.Name(), f.Name)
			}
		}
	}
	walk(reflect.TypeFor[Page]())
}

func TestWritePageGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WritePage(&b, NewPage(smallPage())); err != nil {
		t.Fatal(err)
	}
	const path = "testdata/page.golden.html"
	if *updatePage {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./reports -run TestWritePageGolden -update writes it)", err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("page differs from %s (go test ./reports -run TestWritePageGolden -update rewrites it); -want +got:\n%s",
			path, cmp.Diff(strings.Split(string(want), "\n"), strings.Split(b.String(), "\n")))
	}
}

// TestWritePageSelfContained: nothing on the page may make the browser ask
// for anything; every chart has its title, description and table.
func TestWritePageSelfContained(t *testing.T) {
	var b bytes.Buffer
	if err := WritePage(&b, NewPage(smallPage())); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if !strings.Contains(page, `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`) {
		t.Error("no Content-Security-Policy forbidding every request")
	}
	for _, bad := range []string{"<script", "http://", "https://", "src=", "@import", "url(", "<link rel=\"stylesheet\""} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	svgs := regexp.MustCompile(`<svg id="([^"]+)" role="img" aria-labelledby="([^"]+)-title [^"]+-desc"`).FindAllStringSubmatch(page, -1)
	if len(svgs) != 5 || strings.Count(page, "<svg") != 5 {
		t.Fatalf("want 5 charts (3 tables, 2 trend), each with role img and labels; got %d of %d", len(svgs), strings.Count(page, "<svg"))
	}
	for _, s := range svgs {
		if !strings.Contains(page, `<title id="`+s[1]+`-title">`) || !strings.Contains(page, `<desc id="`+s[1]+`-desc">`) {
			t.Errorf("chart %s lacks its title or description", s[1])
		}
		if !strings.Contains(page, s[1]+"-title") || !regexp.MustCompile(`<table aria-describedby="[^"]*`+s[1]+`-title`).MatchString(page) {
			t.Errorf("chart %s has no table", s[1])
		}
	}
	if !strings.Contains(page, "@media print") {
		t.Error("no print styles")
	}
}

func TestPageTexts(t *testing.T) {
	cases := []struct{ got, want string }{
		{Count{N: 1234567}.Text(), "1,234,567"},
		{Count{N: 12}.Text(), "12"},
		{Count{Suppressed: true}.Text(), SuppressedMark},
		{Amount{M: 123456789}.Text(), "$1,234,567.89"},
		{Amount{M: -5}.Text(), "-$0.05"},
		{Rate{Num: 973, Den: 1000}.Text(), "97.3%"},
		{Rate{Num: 1, Den: 3}.Text(), "33.3%"},
		{Rate{}.Text(), "n/a"},
		{Rate{Num: 5, Den: 9, Suppressed: true}.Text(), SuppressedMark},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestNewPageProperty: on random figures, every small count of the page is
// suppressed, and no total, identity or rate gives one back.
func TestNewPageProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 11))
	n := func() int64 {
		if rng.IntN(3) == 0 {
			return 1 + rng.Int64N(10)
		}
		return rng.Int64N(200)
	}
	for k := range 300 {
		f := smallPage()
		people := 11 + rng.Int64N(3000)
		f.Integrity.People, f.Integrity.PeopleIntact = people, people-n()
		var tables [3][]RowFigures
		for i := range tables {
			for j := range rng.IntN(6) {
				p := n()
				tables[i] = append(tables[i], RowFigures{Key: strconv.Itoa(j), Label: strconv.Itoa(j), Findings: p + 2, People: p, Policies: p, Monthly: Money(p * 1000)})
			}
		}
		f.ByCategory, f.ByIssuer, f.ByState = tables[0], tables[1], tables[2]
		f.Overview.PeopleAffected = 11 + rng.Int64N(500)
		f.Trend = nil
		var open int64
		for w := range rng.IntN(6) {
			r := RunFigures{AsOf: f.GeneratedAt.AddDate(0, 0, 7*w), New: n(), Resolved: min(open, n()), People: people, PeopleIntact: people - n()}
			open += r.New - r.Resolved
			r.Open = open
			f.Trend = append(f.Trend, r)
		}
		p := NewPage(f)
		fail := func(format string, args ...any) { t.Fatalf("case %d: "+format, append([]any{k}, args...)...) }

		in := p.Integrity
		if broken := f.Integrity.People - f.Integrity.PeopleIntact; smallCount(broken) && (!in.PeopleIntact.Suppressed || !in.PeopleRate.Suppressed || !in.PolicyRate.Suppressed || !in.PoliciesIntact.Suppressed) {
			fail("%d people not intact, derivable from %+v", broken, in)
		}
		ti := 0
		for i, rows := range tables {
			if len(rows) == 0 {
				continue
			}
			pt := p.Tables[ti]
			ti++
			var hidden, sum int64
			small := false
			for j, r := range rows {
				shown := pt.Rows[j]
				if smallCount(r.People) && !shown.Suppressed {
					fail("table %d row %d: %d people shown", i, j, r.People)
				}
				if shown.Suppressed {
					hidden++
					sum += r.People
					small = small || smallCount(r.People)
					if shown.People.N != 0 || shown.Findings.N != 0 || shown.Policies.N != 0 || shown.Monthly.M != 0 {
						fail("suppressed row keeps a value: %+v", shown)
					}
				}
			}
			if small && !pt.Total.People.Suppressed && (hidden < 2 || sum < SmallCellThreshold) {
				fail("table %d: %d hidden rows of %d people beside a shown total", i, hidden, sum)
			}
		}
		for w, r := range f.Trend {
			pr := p.Trend[w]
			fig := []struct {
				raw   int64
				shown Count
			}{{r.New, pr.New}, {r.Resolved, pr.Resolved}, {r.Open, pr.Open}}
			hidden, smallHidden := 0, false
			for _, x := range fig {
				if smallCount(x.raw) && !x.shown.Suppressed {
					fail("run %d: %d shown", w, x.raw)
				}
				if x.shown.Suppressed {
					hidden++
					smallHidden = smallHidden || smallCount(x.raw)
				}
			}
			if w > 0 && p.Trend[w-1].Open.Suppressed {
				hidden++
				smallHidden = smallHidden || smallCount(f.Trend[w-1].Open)
			}
			if hidden == 1 && smallHidden {
				fail("run %d: a small count is the one hidden figure among last open, new, resolved and open: %+v", w, pr)
			}
			if broken := r.People - r.PeopleIntact; smallCount(broken) && !pr.Rate.Suppressed {
				fail("run %d: %d people not intact and the rate shown", w, broken)
			}
		}
	}
}

func TestTrendChartDates(t *testing.T) {
	for _, n := range []int{1, 3, 6, 7, 52} {
		runs := make([]PageRun, n)
		for i := range runs {
			runs[i].AsOf = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*i)
		}
		for _, c := range trendCharts(runs) {
			ticks := c.XTicks
			if len(ticks) == 0 || len(ticks) > maxDateTicks || len(ticks) < min(n, maxDateTicks/2) {
				t.Fatalf("%d runs: %d dates under the axis", n, len(ticks))
			}
			if last := ticks[len(ticks)-1].Label; last != runs[n-1].AsOf.Format("2006-01-02") {
				t.Errorf("%d runs: last date %s, not the last run's", n, last)
			}
		}
	}
}
