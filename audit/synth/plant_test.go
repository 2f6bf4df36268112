package synth

import (
	"fmt"
	"testing"
)

// TestSSNTypo: a planted SSN typo differs from the SSN in one digit and
// leaves a serial that is not 0000, whatever the SSN.
func TestSSNTypo(t *testing.T) {
	for _, area := range []int32{1, 665, 899} {
		for group := int32(1); group <= 99; group += 49 {
			for serial := int32(1); serial <= 9999; serial++ {
				ssn := area*1_000_000 + group*10_000 + serial
				a, b := fmt.Sprintf("%09d", ssn), fmt.Sprintf("%09d", ssnTypo(ssn))
				differ := 0
				for i := range a {
					if a[i] != b[i] {
						differ++
					}
				}
				if differ != 1 || ssnTypo(ssn)%10_000 == 0 || ssnTypo(ssn)/10_000 != ssn/10_000 {
					t.Fatalf("typo of %s is %s: want one digit of the serial changed, not to 0000", a, b)
				}
			}
		}
	}
}
