package canonical

import "testing"

func TestRatingArea(t *testing.T) {
	tests := []struct{ v, state, want string }{
		{"4", "NY", "R-NY004"},
		{"12", "ny", "R-NY012"},
		{"R-NY4", "", "R-NY004"},
		{"NJ010", "", "R-NJ010"},
		{"R-NJ001", "VA", "R-NJ001"},
		{"4", "", "4"},             // no state to read it with
		{"Area 4", "NY", "Area 4"}, // not a rating area: the normaliser keeps it as sent
		{"", "NY", ""},
	}
	for _, tt := range tests {
		if got := RatingArea(tt.v, tt.state); got != tt.want {
			t.Errorf("RatingArea(%q, %q) = %q, want %q", tt.v, tt.state, got, tt.want)
		}
	}
}
