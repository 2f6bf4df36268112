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
		{"new keys", "version: 1\nencoding: windows-1252\nnull_values: [N/A, none]\nformats:\n  decimal: \",\"\n", ""},
		{"bad encoding", "version: 1\nencoding: cp437\n", "m.yaml:2: encoding \"cp437\" is not one of utf-8, latin-1, windows-1252"},
		{"bad decimal", "version: 1\nformats:\n  decimal: \"'\"\n", `m.yaml:2: formats.decimal "'" must be "." or ","`},
		{"empty null value", "version: 1\nnull_values: [\"\"]\n", "m.yaml:2: null_values: an empty text"},
		{"null values not a list", "version: 1\nnull_values: N/A\n", "m.yaml:2"},
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

func TestParseNullValues(t *testing.T) {
	m, err := Parse("m.yaml", []byte("version: 1\nnull_values: []\nformats:\n  decimal: \",\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Nulls() == nil || len(m.Nulls()) != 0 || !m.DecimalComma() {
		t.Errorf("null_values: [] gives %v, decimal comma %v", m.Nulls(), m.DecimalComma())
	}
	var none *Mapping
	if len(none.Nulls()) != len(DefaultNullValues) || none.DecimalComma() {
		t.Errorf("no mapping: nulls %v", none.Nulls())
	}
}

// TestResolveHeaderless: a file without a header row has data in its
// first row; the error must not show it.
func TestResolveHeaderless(t *testing.T) {
	m, err := Parse("m.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	row := []string{"P123", "M456", "Ann", "01/02/1980", "123-45-6789"}
	_, err = m.Resolve(row, "roster.csv")
	if err == nil {
		t.Fatal("no error")
	}
	for _, v := range row {
		if strings.Contains(err.Error(), v) {
			t.Errorf("error shows %q: %v", v, err)
		}
	}
	if !strings.Contains(err.Error(), "5 columns; the first row looks like data") {
		t.Errorf("error = %v", err)
	}
}
