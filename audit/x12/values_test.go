package x12

import (
	"fmt"
	"testing"
	"time"
)

// TestIsoDateIsTimeParse checks the calendar check of isoDate against
// time.Parse, on every month and day number of years around the leap
// rules, and a few that are not dates.
func TestIsoDateIsTimeParse(t *testing.T) {
	var dates []string
	for _, y := range []int{0, 1600, 1900, 1999, 2000, 2023, 2024, 2100, 9999} {
		for m := 0; m <= 13; m++ {
			for d := 0; d <= 32; d++ {
				dates = append(dates, fmt.Sprintf("%04d%02d%02d", y, m, d))
			}
		}
	}
	dates = append(dates, "", "2026011", "202601011", "2026-1-01", "2026O101", " 20260101")
	for _, s := range dates {
		_, err := time.Parse("20060102", s)
		iso, problem := isoDate(s)
		if (err == nil) != (problem == "") {
			t.Errorf("isoDate(%q) = %q, %q; time.Parse: %v", s, iso, problem, err)
		}
		if err == nil && iso != s[:4]+"-"+s[4:6]+"-"+s[6:] {
			t.Errorf("isoDate(%q) = %q", s, iso)
		}
	}
}

func TestAllDigits(t *testing.T) {
	for s, want := range map[string]bool{"": true, "20260101": true, "2026O101": false, "2026-01-": false, " 2026010": false, "/0123456": false, "012345:7": false} {
		if got := allDigits(s); got != want {
			t.Errorf("allDigits(%q) = %v, want %v", s, got, want)
		}
	}
}
