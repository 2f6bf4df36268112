package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/enrollaudit/enrollaudit/audit/load"
	"github.com/enrollaudit/enrollaudit/audit/relations"
)

// TestPolicyRowChoice checks the row that speaks for each policy, on the
// fast path (one subscriber-indicator row) and on the exceptions matching
// ranks row by row.
func TestPolicyRowChoice(t *testing.T) {
	const header = "exchange_policy_id,exchange_member_id,exchange_subscriber_id,subscriber_indicator,relationship_code,benefit_start,effectuation_status,qhp_id\n"
	cases := []struct {
		name, rows string
		want       string // member:start of the policy row
	}{
		{"one subscriber row", "P,M1,M1,Y,18,2026-01-01,effectuated,X\nP,M2,M1,N,19,2026-01-01,effectuated,X\n", "M1:2026-01-01"},
		{"no indicator, relationship", "P,M2,,,19,2026-01-01,effectuated,X\nP,M1,,,18,2026-01-01,effectuated,X\n", "M1:2026-01-01"},
		{"no indicator, own id", "P,M2,M1,,,2026-01-01,effectuated,X\nP,M1,M1,,,2026-01-01,effectuated,X\n", "M1:2026-01-01"},
		{"two segments, latest", "P,M1,M1,Y,18,2026-01-01,effectuated,X\nP,M1,M1,Y,18,2026-06-01,effectuated,X\nP,M2,M1,N,19,2026-01-01,effectuated,X\n", "M1:2026-06-01"},
		{"live before cancelled", "P,M1,M1,Y,18,2026-06-01,cancelled,X\nP,M1,M1,Y,18,2026-01-01,effectuated,X\n", "M1:2026-01-01"},
		{"two subscribers, first in file", "P,M2,M2,Y,18,2026-01-01,effectuated,X\nP,M1,M1,Y,18,2026-01-01,effectuated,X\n", "M2:2026-01-01"},
		{"subscriber row rejected", "P,M1,M1,Y,18,2026-01-01,effectuated\nP,M2,M1,N,19,2026-01-01,effectuated,X\n", "M2:2026-01-01"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			d, err := openDB(ctx, Options{}, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer d.close()
			if err := relations.Create(ctx, d.conn); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "m.csv")
			if err := os.WriteFile(path, []byte(header+tc.rows), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, _, err := loadSource(ctx, d.conn, load.Source{Path: path, Side: "marketplace"}, NoProgress{}); err != nil {
				t.Fatal(err)
			}
			if err := relations.RefreshRows(ctx, d.conn); err != nil {
				t.Fatal(err)
			}
			if err := relations.Match(ctx, d.conn, relations.MatchIdentity); err != nil {
				t.Fatal(err)
			}
			rows, err := d.conn.QueryContext(ctx, `SELECT exchange_member_id || ':' || strftime(benefit_start, '%Y-%m-%d') FROM marketplace_rows WHERE is_policy_row`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var got []string
			for rows.Next() {
				var s string
				if err := rows.Scan(&s); err != nil {
					t.Fatal(err)
				}
				got = append(got, s)
			}
			if strings.Join(got, ",") != tc.want {
				t.Errorf("policy row %v, want %s", got, tc.want)
			}
		})
	}
}

// TestCrowdedMemberIDs: member IDs numbered within each policy (01, 02)
// are on thousands of rows; the overlap check leaves them out, with a
// warning, instead of pairing every row with every other.
func TestCrowdedMemberIDs(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("exchange_policy_id,exchange_member_id,subscriber_indicator,benefit_start,benefit_end,effectuation_status,qhp_id\n")
	for p := range relations.MaxMemberRows + 1 {
		fmt.Fprintf(&b, "P%d,01,Y,2026-01-01,2026-12-31,effectuated,12345VA0010001-01\n", p)
	}
	// A real person on two overlapping policies is still found.
	b.WriteString("Q1,X1,Y,2026-01-01,2026-12-31,effectuated,12345VA0010001-01\nQ2,X1,Y,2026-03-01,2026-12-31,effectuated,12345VA0010001-01\n")
	for _, name := range []string{"m.csv", "i.csv"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := runAndPublish(context.Background(), Options{Marketplace: []string{filepath.Join(dir, "m.csv")}, Insurer: []string{filepath.Join(dir, "i.csv")},
		OutDir: filepath.Join(dir, "out"), Formats: []string{"json"}})
	if err != nil {
		t.Fatal(err)
	}
	crowded := 0
	for _, w := range res.Warnings {
		if strings.Contains(w, "member IDs have more than") {
			crowded++
		}
	}
	if crowded != 2 {
		t.Errorf("warnings %q, want one per side about crowded member IDs", res.Warnings)
	}
	var overlaps []string
	for _, f := range reportFindings(t, filepath.Join(dir, "out")) {
		if f.Rule == "member-in-overlapping-policies" {
			overlaps = append(overlaps, *f.ExchangePolicyID+"/"+*f.ExchangeMemberID)
		}
	}
	if strings.Join(overlaps, ",") != "Q2/X1,Q2/X1" {
		t.Errorf("overlap findings %v, want Q2/X1 on each side", overlaps)
	}
}

// TestNameBirthDateTier: the name-and-birth-date tier pairs two people
// whose SSNs, where both are given, differ by a typo; a person with the same
// name and birth date and another's SSN is no candidate, and does not make
// the real pair ambiguous. Policy P1's subscriber pairs on the keys; its
// dependent is M2 at the marketplace and M2X at the insurer; P3 is a policy
// the marketplace does not have.
func TestNameBirthDateTier(t *testing.T) {
	const (
		header     = "exchange_policy_id,exchange_member_id,subscriber_indicator,first_name,last_name,birth_date,ssn,benefit_start,benefit_end,effectuation_status,qhp_id,zip\n"
		subscriber = "P1,M1,Y,Ann,Lee,1980-01-02,555667777,2026-01-01,2026-12-31,effectuated,12345VA0010001-01,22030\n"
	)
	dependentIn := func(pol, mem, ssn, zip string) string {
		return pol + "," + mem + ",N,Tom,Lee,2010-05-05," + ssn + ",2026-01-01,2026-12-31,effectuated,12345VA0010001-01," + zip + "\n"
	}
	dependent := func(pol, mem, ssn string) string { return dependentIn(pol, mem, ssn, "22030") }
	cases := []struct {
		name                 string
		marketplace, insurer string
		want                 []string // category member [by method | note]
	}{
		{"SSNs differ in 5 digits: two people", dependent("P1", "M2", "123456789"), dependent("P1", "M2X", "123400000"),
			[]string{"missing_enrollment M2", "unknown_enrollment M2X"}},
		{"one digit mistyped", dependent("P1", "M2", "123456789"), dependent("P1", "M2X", "123456788"),
			[]string{"wrong_demographics M2", "wrong_identifiers M2 by name_birth_date"}},
		{"two adjacent digits swapped", dependent("P1", "M2", "123456789"), dependent("P1", "M2X", "123456798"),
			[]string{"wrong_demographics M2", "wrong_identifiers M2 by name_birth_date"}},
		{"another person's SSN beside a typo", dependent("P1", "M2", "123456789"),
			dependent("P1", "M2X", "123456788") + dependent("P3", "M9", "987654321"),
			[]string{"unknown_enrollment -", "wrong_demographics M2", "wrong_identifiers M2 by name_birth_date"}},
		{"two typos: ambiguous", dependent("P1", "M2", "123456789"),
			dependent("P1", "M2X", "123456788") + dependent("P3", "M9", "123456780"),
			[]string{
				"missing_enrollment M2 note: 1 marketplace and 2 insurer records have the same name and birth date",
				"unknown_enrollment - note: several candidates for 1 of its members",
				"unknown_enrollment M2X note: 1 marketplace and 2 insurer records have the same name and birth date",
			}},
		{"no SSN at the insurer", dependent("P1", "M2", "123456789"), dependent("P1", "M2X", ""),
			[]string{"wrong_identifiers M2 by name_birth_date"}},
		// Without both SSNs, the ZIP code tells namesakes apart.
		{"no SSNs, another ZIP code: two babies", dependentIn("P1", "M2", "", "22030"), dependentIn("P1", "M2X", "", "27750"),
			[]string{"missing_enrollment M2", "unknown_enrollment M2X"}},
		{"no SSNs, the same ZIP code", dependentIn("P1", "M2", "", "22030"), dependentIn("P1", "M2X", "", "22030-4411"),
			[]string{"wrong_identifiers M2 by name_birth_date"}},
		{"no SSNs, no ZIP code at the insurer", dependentIn("P1", "M2", "", "22030"), dependentIn("P1", "M2X", "", ""),
			[]string{"wrong_identifiers M2 by name_birth_date"}},
		{"typo SSNs, another ZIP code: moved", dependentIn("P1", "M2", "123456789", "22030"), dependentIn("P1", "M2X", "123456788", "27750"),
			[]string{"wrong_demographics M2", "wrong_identifiers M2 by name_birth_date"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, rows := range map[string]string{"m.csv": tc.marketplace, "i.csv": tc.insurer} {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(header+subscriber+rows), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			out := filepath.Join(dir, "out")
			if _, err := runAndPublish(context.Background(), Options{Marketplace: []string{filepath.Join(dir, "m.csv")},
				Insurer: []string{filepath.Join(dir, "i.csv")}, OutDir: out, Formats: []string{"json"}}); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range reportFindings(t, out) {
				s := f.Category + " -"
				if f.ExchangeMemberID != nil {
					s = f.Category + " " + *f.ExchangeMemberID
				}
				if f.Match != nil {
					s += " by " + f.Match.Method
				}
				if _, note, ok := strings.Cut(f.Message, "Not matched by identity: "); ok {
					s += " note: " + note
				}
				got = append(got, s)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
