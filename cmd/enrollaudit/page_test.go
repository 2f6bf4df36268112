package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/enrollaudit/enrollaudit/reports"
)

var screenshot = flag.String("screenshot", "", "write a screenshot of the fixture page to this PNG file (docs/report-page.png)")

// fixturePage runs the audit of fixtures/basic as the README's quick start
// does and returns the output directory.
func fixturePage(t *testing.T) string {
	t.Helper()
	out := t.TempDir()
	fixtures := filepath.Join("..", "..", "fixtures", "basic")
	var stdout, stderr strings.Builder
	code := Main([]string{"run", "--marketplace", filepath.Join(fixtures, "marketplace.csv"),
		"--insurer", filepath.Join(fixtures, "insurer.csv"), "--insurer-mapping", filepath.Join(fixtures, "insurer-mapping.yaml"),
		"--out", out, "--quiet"}, strings.NewReader(""), &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("run exited %d: %s", code, stderr.String())
	}
	return out
}

// TestNoHTML: --no-html writes every report but the page.
func TestNoHTML(t *testing.T) {
	for _, noHTML := range []bool{false, true} {
		out := t.TempDir()
		in := filepath.Join("testdata", "cases", "minimal-columns")
		args := []string{"run", "--marketplace", filepath.Join(in, "marketplace.csv"), "--insurer", filepath.Join(in, "insurer.csv"), "--out", out, "--quiet"}
		if noHTML {
			args = append(args, "--no-html")
		}
		var stdout, stderr strings.Builder
		if code := Main(args, strings.NewReader(""), &stdout, &stderr); code != exitOK {
			t.Fatalf("run exited %d: %s", code, stderr.String())
		}
		if _, err := os.Stat(filepath.Join(out, "report.json")); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(out, "report.html")); (err == nil) == noHTML {
			t.Errorf("--no-html %v: report.html written: %v", noHTML, err == nil)
		}
	}
}

// TestPageHoldsNoPersonalData: no SSN, name, birth date, policy or member
// ID of the fixture appears anywhere in its page.
func TestPageHoldsNoPersonalData(t *testing.T) {
	out := fixturePage(t)
	page, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join("..", "..", "fixtures", "basic", "marketplace.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	personal := map[string]bool{"exchange_policy_id": true, "exchange_subscriber_id": true, "exchange_member_id": true,
		"first_name": true, "last_name": true, "birth_date": true, "ssn": true}
	// Whole words: "Mark" is a first name and part of "Marketplace".
	words := map[string]bool{}
	for _, w := range regexp.MustCompile(`[\p{L}\p{N}'-]+`).FindAllString(string(page), -1) {
		words[w] = true
	}
	checked := 0
	for c, name := range rows[0] {
		if !personal[name] {
			continue
		}
		for i, r := range rows[1:] {
			if words[r[c]] {
				t.Errorf("report.html contains the %s of marketplace.csv line %d", name, i+2)
			}
			checked++
		}
	}
	if checked < 7*700 {
		t.Fatalf("only %d values checked: the fixture's columns changed?", checked)
	}
}

// TestPageInChromium loads the fixture's page in Debian's chromium, headless
// and offline: no console error, no request, the headline figures in the
// rendered page are the model's (made from report.json), every chart has its
// table. A page that asks for an image must fail the same checks.
func TestPageInChromium(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("no chromium binary on PATH (apt-get install chromium): report.html was not tried in a browser")
	}
	out := fixturePage(t)
	raw, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep reports.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, h := range reports.NewPage(reports.PageFiguresFromReport(&rep)).Headline() {
		want[h.Key] = h.Text
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	actx, stop := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(browser), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1200, 900))
	defer stop()

	pagePath := filepath.Join(out, "report.html")
	got := loadPage(t, actx, pagePath)
	for _, p := range got.problems {
		t.Error(p)
	}
	if len(got.figures) != len(want) {
		t.Errorf("page shows %d headline figures, the model has %d", len(got.figures), len(want))
	}
	for k, v := range want {
		if got.figures[k] != v {
			t.Errorf("headline %s: page shows %q, model %q", k, got.figures[k], v)
		}
	}
	// The headline integrity figures, as report.json has them.
	in := rep.Summary.Integrity
	if in == nil || in.PolicyRate == nil || in.PeopleRate == nil {
		t.Fatalf("report.json has no integrity figures: %+v", in)
	}
	thousands := func(n int64) string {
		s := strconv.FormatInt(n, 10)
		for i := len(s) - 3; i > 0; i -= 3 {
			s = s[:i] + "," + s[i:]
		}
		return s
	}
	dollars := func(m reports.Money) string {
		s := m.String()
		return "$" + thousands(int64(m)/100) + s[len(s)-3:]
	}
	for k, v := range map[string]string{
		"policies": thousands(in.Policies), "policies_intact": thousands(in.PoliciesIntact),
		"people": thousands(in.People), "people_intact": thousands(in.PeopleIntact),
		"policy_rate": fmt.Sprintf("%.1f%%", 100**in.PolicyRate), "people_rate": fmt.Sprintf("%.1f%%", 100**in.PeopleRate),
		"dollars_at_stake": dollars(in.DollarsAtStake), "monthly_dollars": dollars(in.MonthlyAtStake),
	} {
		if got.figures[k] != v {
			t.Errorf("headline %s: page shows %q, report.json says %q", k, got.figures[k], v)
		}
	}
	if got.charts < 2 {
		t.Errorf("%d charts rendered, want one per table", got.charts)
	}
	for _, c := range got.chartsWithoutTable {
		t.Errorf("chart %s has no table, title or description", c)
	}
	if *screenshot != "" {
		if err := os.WriteFile(*screenshot, got.png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The checks must catch a page that reaches out.
	page, err := os.ReadFile(pagePath)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "report.html")
	leaky := strings.Replace(string(page), "</body>", `<img src="http://192.0.2.1/pixel.png" alt=""></body>`, 1)
	if err := os.WriteFile(bad, []byte(leaky), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := loadPage(t, actx, bad); len(got.problems) == 0 {
		t.Error("a page loading an outside image passed the checks")
	}
}

type loadedPage struct {
	problems           []string // console errors, exceptions, requests
	figures            map[string]string
	charts             int
	chartsWithoutTable []string
	png                []byte
}

// loadPage opens path in a new tab and reads back what rendered.
func loadPage(t *testing.T, actx context.Context, path string) loadedPage {
	t.Helper()
	var mu sync.Mutex
	var got loadedPage
	url := "file://" + path
	problem := func(format string, args ...any) {
		mu.Lock()
		got.problems = append(got.problems, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				problem("console %s", ev.Type)
			}
		case *runtime.EventExceptionThrown:
			problem("exception: %s", ev.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
				problem("console %s: %s", ev.Entry.Level, ev.Entry.Text)
			}
		case *network.EventRequestWillBeSent:
			if ev.Request.URL != url {
				problem("request for %s", ev.Request.URL)
			}
		}
	}))
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("load %s: %v", url, err)
	}
	figures, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](
		`Object.fromEntries([...document.querySelectorAll('[data-figure]')].map(e => [e.dataset.figure, e.textContent.trim()]))`))
	if err != nil {
		t.Fatal(err)
	}
	got.figures = figures
	// A chart is complete with role img, a title and description it is
	// labelled by, and a table that names its title.
	charts, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]bool](`Object.fromEntries([...document.querySelectorAll('svg')].map(s => {
		const t = s.querySelector('title'), d = s.querySelector('desc');
		const tables = [...document.querySelectorAll('table[aria-describedby]')].filter(tb => tb.getAttribute('aria-describedby').split(' ').includes(s.id + '-title'));
		return [s.id, s.getAttribute('role') === 'img' && !!t && !!d && t.textContent.trim() !== '' && d.textContent.trim() !== '' &&
			s.getAttribute('aria-labelledby') === t.id + ' ' + d.id && tables.length === 1 && tables[0].rows.length > 1];
	}))`))
	if err != nil {
		t.Fatal(err)
	}
	got.charts = len(charts)
	for id, ok := range charts {
		if !ok {
			got.chartsWithoutTable = append(got.chartsWithoutTable, id)
		}
	}
	if got.png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100)); err != nil {
		t.Fatal(err)
	}
	// Let late events (a blocked image) arrive before reading them.
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	return got
}
