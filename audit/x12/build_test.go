package x12

import (
	"fmt"
	"strings"
)

// Builders of synthetic 834 files. Segments are written with '*' between
// elements and without terminator; join adds "~\n" (or other delimiters).

func isa(ctrl int) string {
	return fmt.Sprintf("ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260115*1200*^*00501*%09d*0*T*:", ctrl)
}

// transaction wraps body in ST/BGN ... SE with a right segment count.
func transaction(ctrl string, body ...[]string) []string {
	segs := []string{"ST*834*" + ctrl + "*005010X220A1", "BGN*00*" + ctrl + "*20260115*1200****2"}
	for _, b := range body {
		segs = append(segs, b...)
	}
	return append(segs, fmt.Sprintf("SE*%d*%s", len(segs)+1, ctrl))
}

// interchange wraps transactions in ISA/GS ... GE/IEA.
func interchange(ctrl int, txns ...[]string) []string {
	segs := []string{isa(ctrl), "GS*BE*SENDER*RECEIVER*20260115*1200*1*X*005010X220A1"}
	for _, t := range txns {
		segs = append(segs, t...)
	}
	return append(segs, fmt.Sprintf("GE*%d*1", len(txns)), fmt.Sprintf("IEA*1*%09d", ctrl))
}

// memberLoop is a loop 2000 with its name; more segments follow.
func memberLoop(ins, subscriberID, memberID, last, first string, more ...string) []string {
	return append([]string{
		"INS*" + ins,
		"REF*0F*" + subscriberID,
		"REF*17*" + memberID,
		"NM1*IL*1*" + last + "*" + first + "****34*123456789",
		"N4*RICHMOND*VA*23220",
		"DMG*D8*19800101*F",
	}, more...)
}

// hd is a loop 2300 starting at start with plan qhp.
func hd(line, start, qhp string) []string {
	return []string{"HD*021**" + line + "**IND", "DTP*348*D8*" + start, "REF*CE*" + qhp}
}

// cats is a 2700 loop with the given reporting category names and values.
func cats(pairs ...string) []string {
	segs := []string{"LS*2700"}
	for i := 0; i+1 < len(pairs); i += 2 {
		segs = append(segs, fmt.Sprintf("LX*%d", i/2+1), "N1*75*"+pairs[i], "REF*9X*"+pairs[i+1], "DTP*007*D8*20260101")
	}
	return append(segs, "LE*2700")
}

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func join(segs []string) string { return strings.Join(segs, "~\n") + "~\n" }

// delimit rewrites a file built with '*', '^', ':' and "~\n" to other
// element, repetition and component separators and segment terminator.
func delimit(s, sep, rep, comp, term string) string {
	return strings.NewReplacer("*", sep, "^", rep, ":", comp, "~\n", term).Replace(s)
}
