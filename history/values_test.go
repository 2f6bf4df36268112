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
