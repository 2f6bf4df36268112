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
