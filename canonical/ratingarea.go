package canonical

import (
	"regexp"
	"strings"
)

// ShortRatingArea is a rating area as a bare number, or with its state but
// not quite as R-SS### (submatches: the state, the number). Readers that
// complete rating areas in SQL use it too.
const ShortRatingArea = `^(?:(?:R-?)?([A-Za-z]{2}))?([0-9]{1,3})$`

var shortAreaRE = regexp.MustCompile(ShortRatingArea)

// RatingArea writes a rating area given as a bare number (4, as New York's
// exchange sends it), without "R-" (NJ010) or with fewer than 3 digits
// (R-NY4) in its canonical form R-SS###, the state being the member's when
// not given. Anything else is returned as sent.
func RatingArea(v, state string) string {
	if len(v) == 7 && strings.HasPrefix(v, "R-") || v == "" {
		return v // the usual form, or none: no regular expression
	}
	if m := shortAreaRE.FindStringSubmatch(v); m != nil {
		if m[1] != "" {
			state = m[1]
		}
		if len(state) == 2 {
			return "R-" + strings.ToUpper(state) + strings.Repeat("0", 3-len(m[2])) + m[2]
		}
	}
	return v
}
