package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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
