package mapping

import (
	"strings"
	"testing"
)

const good = `version: 1
format: csv
columns:
  exchange_member_id: "FFM Member ID"
  exchange_policy_id: "Policy"
  birth_date: "DOB"
formats:
  date: "%m/%d/%Y"
values:
  effectuation_status: {Effectuated: effectuated, Cancelled: cancelled}
`

func TestParse(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"ok", good, ""},
		{"unknown key", "version: 1\ncolumn:\n  a: b\n", "m.yaml:2: unknown key \"column\""},
		{"unknown field", "version: 1\ncolumns:\n  exchange_member_id: A\n  dob: B\n", "m.yaml:4: columns: \"dob\" is not a canonical field"},
		{"unknown value field", "version: 1\nvalues:\n  status: {a: b}\n", "m.yaml:3: values: \"status\" is not a canonical field"},
		{"bad format", "version: 1\nformat: xls\n", "m.yaml:2: format \"xls\" is not one of"},
		{"bad date", "version: 1\nformats:\n  date: MM/DD/YYYY\n", "m.yaml:2: formats.date \"MM/DD/YYYY\" is not a strptime pattern"},
		{"bad formats key", "version: 1\nformats:\n  money: x\n", "m.yaml:3: unknown key \"money\""},
		{"header twice", "version: 1\ncolumns:\n  first_name: N\n  last_name: N\n", "header \"N\" is already mapped"},
		{"no version", "columns: {}\n", "m.yaml:1: `version:` must be the first key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("m.yaml", []byte(tt.in))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	m, err := Parse("m.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Resolve([]string{"FFM Member ID", " policy ", "DOB", "qhp_id", "Extra"}, "roster.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"exchange_member_id": "FFM Member ID", "exchange_policy_id": " policy ", "birth_date": "DOB", "qhp_id": "qhp_id"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s -> %q, want %q", k, got[k], v)
		}
	}
	_, err = m.Resolve([]string{"Policy", "DOB"}, "roster.csv")
	if err == nil || !strings.Contains(err.Error(), `m.yaml:4: columns: exchange_member_id: header "FFM Member ID" is not in roster.csv`) {
		t.Fatalf("missing header error = %v", err)
	}
	var none *Mapping
	_, err = none.Resolve([]string{"exchange_policy_id"}, "mk.csv")
	if err == nil || !strings.Contains(err.Error(), `mk.csv: no "exchange_member_id" column`) {
		t.Fatalf("no mapping error = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(good)
	f.Add("version: 1\ncolumns: [a]\n")
	f.Fuzz(func(t *testing.T, in string) {
		m, err := Parse("f.yaml", []byte(in))
		if err == nil && m == nil {
			t.Fatal("nil mapping without error")
		}
	})
}
