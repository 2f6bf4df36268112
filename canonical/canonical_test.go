package canonical

import "testing"

func TestNumFieldsMatchesFields(t *testing.T) {
	if len(Fields) != NumFields {
		t.Fatalf("NumFields = %d, len(Fields) = %d", NumFields, len(Fields))
	}
	var r Record
	for i, f := range Fields {
		r.Set(f.Name, f.Name)
		if r.Values[i] != f.Name || r.Get(f.Name) != f.Name {
			t.Errorf("field %s is not at position %d of a Record", f.Name, i)
		}
	}
}

func TestMaskSSNs(t *testing.T) {
	tests := []struct{ in, want string }{
		{"123456789", "*****6789"},
		{"123-45-6789", "*****6789"},
		{"ssn 123 45 6789 typed here", "ssn *****6789 typed here"},
		{"123456789,987654321", "*****6789,*****4321"},
		{"A123456789", "A*****6789"},
		{"1234567890", "1234567890"}, // ten digits: an ID, not an SSN
		{"12345678", "12345678"},
		{"2026-01-02", "2026-01-02"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := MaskSSNs(tt.in); got != tt.want {
			t.Errorf("MaskSSNs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
