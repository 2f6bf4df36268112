package canonical

import "testing"

func TestNumFieldsMatchesFields(t *testing.T) {
	if len(Fields) != NumFields {
		t.Fatalf("NumFields = %d, len(Fields) = %d", NumFields, len(Fields))
	}
	for i, f := range Fields {
		if Position(f.Name) != i {
			t.Errorf("Position(%q) = %d, want %d", f.Name, Position(f.Name), i)
		}
	}
}
