package history

import "testing"

func TestValuesHash(t *testing.T) {
	s := func(v string) *string { return &v }
	base := ValuesHash(map[string]*string{"aptc_amount": s("240.81")}, map[string]*string{"aptc_amount": s("265.81")})
	tests := []struct {
		name       string
		m, i       map[string]*string
		sameAsBase bool
	}{
		{"same values", map[string]*string{"aptc_amount": s("240.81")}, map[string]*string{"aptc_amount": s("265.81")}, true},
		{"insurer value changed", map[string]*string{"aptc_amount": s("240.81")}, map[string]*string{"aptc_amount": s("265.82")}, false},
		{"sides swapped", map[string]*string{"aptc_amount": s("265.81")}, map[string]*string{"aptc_amount": s("240.81")}, false},
		{"empty value", map[string]*string{"aptc_amount": s("240.81")}, map[string]*string{"aptc_amount": nil}, false},
		{"no insurer record", map[string]*string{"aptc_amount": s("240.81")}, nil, false},
		{"another field", map[string]*string{"csr_amount": s("240.81")}, map[string]*string{"csr_amount": s("265.81")}, false},
	}
	for _, tt := range tests {
		if got := ValuesHash(tt.m, tt.i) == base; got != tt.sameAsBase {
			t.Errorf("%s: same hash %v, want %v", tt.name, got, tt.sameAsBase)
		}
	}
	if ValuesHash(nil, map[string]*string{}) == ValuesHash(map[string]*string{}, map[string]*string{}) {
		t.Error("no record and a record with no compared values hash alike")
	}
	// A report written with --reveal-pii hashes like one without.
	revealed := ValuesHash(map[string]*string{"ssn": s("123456789")}, map[string]*string{"ssn": s("123456780")})
	masked := ValuesHash(map[string]*string{"ssn": s("*****6789")}, map[string]*string{"ssn": s("*****6780")})
	if revealed != masked {
		t.Error("revealed and masked SSNs hash differently")
	}
	if len(base) != 32 {
		t.Errorf("hash %q is not 32 hex digits", base)
	}
}

// TestValuesHashFoldsNames: a name that only changes as the name rules
// ignore (case, accents, spacing) keeps its hash; any other change, or the
// same change in a field that is not a name, moves it.
func TestValuesHashFoldsNames(t *testing.T) {
	s := func(v string) *string { return &v }
	hash := func(field, mk, ins string) string {
		return ValuesHash(map[string]*string{field: s(mk), "birth_date": s("1990-01-02")},
			map[string]*string{field: s(ins), "birth_date": s("1990-01-03")})
	}
	base := hash("first_name", "GUADALUPE", "José María")
	tests := []struct {
		name, field, mk, ins string
		sameAsBase           bool
	}{
		{"case", "first_name", "Guadalupe", "JOSÉ MARÍA", true},
		{"accents dropped", "first_name", "GUADALUPE", "Jose Maria", true},
		{"accents decomposed", "first_name", "GUADALUPE", "Jose\u0301 Mari\u0301a", true},
		{"surrounding and inner space", "first_name", " GUADALUPE ", "José   María", true},
		{"inner space removed", "first_name", "GUADALUPE", "JoséMaría", false},
		{"another name", "first_name", "GUADALUPE", "José Mario", false},
		{"last name, not first", "last_name", "GUADALUPE", "José María", false},
		{"not a name field", "plan_id", "guadalupe", "José María", false},
	}
	for _, tt := range tests {
		if got := hash(tt.field, tt.mk, tt.ins) == base; got != tt.sameAsBase {
			t.Errorf("%s: same hash %v, want %v", tt.name, got, tt.sameAsBase)
		}
	}
	if hash("last_name", "Nguyễn Thị", "x") != hash("last_name", "NGUYEN THI", "X") {
		t.Error("last names differing in case and accents only hash differently")
	}
	// Fields other than names stay exact.
	exact := func(v string) string {
		return ValuesHash(map[string]*string{"plan_id": s(v)}, nil)
	}
	if exact("12345AB0010001") == exact("12345ab0010001") {
		t.Error("a plan ID changing case keeps its hash; only names are folded")
	}
}
