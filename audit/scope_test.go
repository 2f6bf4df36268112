package audit

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/enrollaudit/enrollaudit/reports"
)

// writeRoster writes the fixture roster with only the rows keep accepts,
// after edit has changed them, into dir; it returns the file's path.
func writeRoster(t *testing.T, dir string, keep func(hios string) bool, edit func(header, row []string)) string {
	t.Helper()
	rows := readCSV(t, filepath.Join("..", "fixtures", "basic", "insurer.csv"))
	hios := slices.Index(rows[0], "HIOS ID")
	out := [][]string{rows[0]}
	for _, r := range rows[1:] {
		if keep(r[hios]) {
			if edit != nil {
				edit(rows[0], r)
			}
			out = append(out, r)
		}
	}
	path := filepath.Join(dir, "insurer.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	if err := w.WriteAll(out); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

type scopedReport struct {
	Summary struct {
		Scope     reports.Scope `json:"scope"`
		Integrity struct {
			Policies int64 `json:"policies"`
		} `json:"integrity"`
	} `json:"summary"`
	Findings []struct {
		ID     string  `json:"id"`
		Issuer *string `json:"issuer_hios_id"`
	} `json:"findings"`
}

func runScoped(t *testing.T, opts Options) (scopedReport, *published) {
	t.Helper()
	opts.OutDir = t.TempDir()
	opts.Formats = []string{"json"}
	res, err := runAndPublish(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(opts.OutDir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep scopedReport
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	return rep, res
}

// findingIDs lists the findings of one issuer ("" for all).
func (r scopedReport) findingIDs(issuer string) []string {
	var ids []string
	for _, f := range r.Findings {
		if issuer == "" || (f.Issuer != nil && *f.Issuer == issuer) {
			ids = append(ids, f.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// TestScopeOfOneIssuersRoster: the fixture's national export against one
// issuer's roster (HIOS 47825) reports exactly that issuer's findings of the
// full audit (no false missing enrollment of the other issuers), and names
// the other issuers with their marketplace rows; --issuer 47825 on the full
// roster gives the same findings.
func TestScopeOfOneIssuersRoster(t *testing.T) {
	full, _ := runScoped(t, fixtureOptions(""))
	want := full.findingIDs("47825")
	if len(want) == 0 || len(want) == len(full.Findings) {
		t.Fatalf("the fixture should have findings of 47825 and of others: %d of %d", len(want), len(full.Findings))
	}

	opts := fixtureOptions("")
	opts.Insurer = []string{writeRoster(t, t.TempDir(), func(h string) bool { return h == "47825" }, nil)}
	cut, res := runScoped(t, opts)
	if got := cut.findingIDs(""); !slices.Equal(got, want) {
		t.Errorf("findings against the 47825 roster:\n%v\nwant the full audit's findings of 47825:\n%v", got, want)
	}
	sc := cut.Summary.Scope
	if !slices.Equal(sc.Issuers, []string{"47825"}) || sc.OutOfScope.InsurerRows != 0 {
		t.Errorf("scope = %+v, want issuers [47825] and no insurer row out of scope", sc)
	}
	var others int64
	for _, n := range sc.OutOfScope.Issuers {
		others += n
	}
	if names := slices.Sorted(maps.Keys(sc.OutOfScope.Issuers)); !slices.Equal(names, []string{"29418", "38344", "54172", "63019", "71837"}) ||
		others != sc.OutOfScope.MarketplaceRows || others == 0 {
		t.Errorf("out of scope = %+v, want the 5 other issuers adding up to marketplace_rows", sc.OutOfScope)
	}
	warned := 0
	for _, w := range res.Warnings {
		if slices.ContainsFunc(names(sc.OutOfScope.Issuers), func(iss string) bool { return strings.Contains(w, "issuer "+iss+" is out of scope") }) {
			warned++
		}
	}
	if warned != 5 {
		t.Errorf("%d warnings name an out-of-scope issuer, want 5: %q", warned, res.Warnings)
	}
	if cut.Summary.Integrity.Policies == 0 || cut.Summary.Integrity.Policies >= full.Summary.Integrity.Policies {
		t.Errorf("integrity over %d policies in scope, full audit %d: want fewer, not none", cut.Summary.Integrity.Policies, full.Summary.Integrity.Policies)
	}

	opts = fixtureOptions("")
	opts.Issuers = []string{"47825"}
	explicit, _ := runScoped(t, opts)
	if got := explicit.findingIDs(""); !slices.Equal(got, want) {
		t.Errorf("--issuer 47825: findings\n%v\nwant\n%v", got, want)
	}
	if explicit.Summary.Scope.OutOfScope.InsurerRows == 0 {
		t.Errorf("--issuer 47825 on the full roster: no insurer row out of scope: %+v", explicit.Summary.Scope)
	}

	opts = fixtureOptions("")
	opts.Issuers = []string{AllIssuers}
	all, _ := runScoped(t, opts)
	if got := all.findingIDs(""); !slices.Equal(got, full.findingIDs("")) || len(all.Summary.Scope.Issuers) != 6 {
		t.Errorf("--issuer all: %d findings, scope %v; want the full audit's %d and 6 issuers", len(got), all.Summary.Scope.Issuers, len(full.Findings))
	}
}

// TestScopeRosterWithoutIssuer: a roster naming no issuer is an error
// naming the file unless --issuer says whose it is.
func TestScopeRosterWithoutIssuer(t *testing.T) {
	blank := func(header, row []string) {
		row[slices.Index(header, "HIOS ID")], row[slices.Index(header, "Plan")] = "", ""
	}
	opts := fixtureOptions(t.TempDir())
	opts.Formats = []string{"json"}
	opts.Insurer = []string{writeRoster(t, t.TempDir(), func(string) bool { return true }, blank)}
	_, err := runAndPublish(context.Background(), opts)
	if !errors.Is(err, ErrNoIssuer) || !strings.Contains(err.Error(), opts.Insurer[0]) {
		t.Fatalf("roster without issuer: err = %v, want ErrNoIssuer naming %s", err, opts.Insurer[0])
	}
	opts.Issuers = []string{AllIssuers}
	if _, err := runAndPublish(context.Background(), opts); err != nil {
		t.Fatalf("--issuer all: %v", err)
	}
}

func names(m map[string]int64) []string { return slices.Sorted(maps.Keys(m)) }

// TestScopeLeavesOutOtherIssuersFieldProblems: an unreadable value on a
// marketplace row of an issuer outside the scope is no finding: the packet
// an insurer receives holds nothing of another issuer.
func TestScopeLeavesOutOtherIssuersFieldProblems(t *testing.T) {
	rows := readCSV(t, filepath.Join("..", "fixtures", "basic", "marketplace.csv"))
	issuer, birth := slices.Index(rows[0], "issuer_hios_id"), slices.Index(rows[0], "birth_date")
	broken := 0
	for _, r := range rows[1:] {
		if r[issuer] == "29418" && broken < 3 {
			r[birth] = "not a date"
			broken++
		}
	}
	marketplace := filepath.Join(t.TempDir(), "marketplace.csv")
	f, err := os.Create(marketplace)
	if err != nil {
		t.Fatal(err)
	}
	if err := csv.NewWriter(f).WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	f.Close()

	opts := fixtureOptions("")
	opts.Marketplace = []string{marketplace}
	all, _ := runScoped(t, opts)
	if len(all.findingIDs("29418")) == 0 {
		t.Fatal("the full audit should report issuer 29418")
	}
	opts.Insurer = []string{writeRoster(t, t.TempDir(), func(h string) bool { return h == "47825" }, nil)}
	cut, _ := runScoped(t, opts)
	if got := cut.findingIDs(""); len(got) != len(cut.findingIDs("47825")) {
		t.Errorf("against 47825's roster, %d findings of which %d are 47825's: another issuer's findings leaked in",
			len(got), len(cut.findingIDs("47825")))
	}
}

// TestPacketsKeepToScope: Engine.Issuers, the issuers that get a packet,
// names only issuers in scope, even if a finding of another issuer were
// in the findings table.
func TestPacketsKeepToScope(t *testing.T) {
	ctx := context.Background()
	opts := fixtureOptions(t.TempDir())
	opts.Issuers = []string{"47825"}
	e, err := Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, step := range []func(context.Context) error{e.Load, e.Match, e.Evaluate} {
		if err := step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.d.conn.ExecContext(ctx, "INSERT INTO findings (id, issuer_hios_id) VALUES ('x', '99999')"); err != nil {
		t.Fatal(err)
	}
	got, err := e.Issuers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"47825"}) {
		t.Errorf("issuers with a packet: %q, want [47825]", got)
	}
}
