package sqltext

import "testing"

func TestLiteral(t *testing.T) {
	for in, want := range map[string]string{"": "''", "abc": "'abc'", "O'Brien": "'O''Brien'", "''": "''''''"} {
		if got := Literal(in); got != want {
			t.Errorf("Literal(%q) = %s, want %s", in, got, want)
		}
	}
}
