package x12

import (
	"fmt"
	"regexp"
	"strings"
)

func set(codes ...string) map[string]bool {
	m := make(map[string]bool, len(codes))
	for _, c := range codes {
		m[c] = true
	}
	return m
}

// Code lists of 005010X220A1.
var (
	// INS02 Individual Relationship Code.
	relationshipCodes = set("01", "03", "04", "05", "06", "07", "08", "09", "10",
		"11", "12", "13", "14", "15", "16", "17", "18", "19", "23", "24", "25", "26",
		"31", "38", "53", "60", "D2", "G8", "G9")
	// INS03 Maintenance Type Code.
	maintenanceTypes = set("001", "021", "024", "025", "030")
	// INS04 Maintenance Reason Code.
	maintenanceReasons = set("01", "02", "03", "04", "05", "06", "07", "08", "09",
		"10", "11", "14", "15", "16", "17", "18", "20", "21", "22", "25", "26", "27",
		"28", "29", "31", "32", "33", "37", "38", "39", "40", "41", "43", "59",
		"AA", "AB", "AC", "AD", "AE", "AF", "AG", "AH", "AI", "AJ", "AL", "EC", "XN", "XT")
	// ADDL MAINT REASON values of the CMS FFE companion guide (v7.2, appendix C).
	// An unknown value is only warned about: the status comes from INS03/INS04.
	addlMaintReasons = set("CONFIRM", "CANCEL", "CANCEL-ANTIDUPLICATION", "CANCEL-FLC",
		"CANCEL-FRD", "CANCEL-HICS", "CANCEL-OTH", "CANCEL-OUT-OF-AREA", "CANCEL-RESCIND",
		"TERM", "TERM-ANTIDUPLICATION", "TERM-HICS", "TERM-OTH", "CANCELCIC",
		"CANCEL-CARRYFORWARD", "CANCEL-NLE", "CANCEL-OTH-COVERAGE", "CANCEL-PDM", "TERMCIC",
		"TERM-NLE", "TERM-OTH-COVERAGE", "TERM-PDM", "CIC", "PASSIVE", "PASSIVE-B2S",
		"PASSIVE-INITIAL", "PASSIVE-NEW SUBSCRIBER", "ISSUER MAINT", "NO CHANGE",
		"ISSUER-REINSTATEMENT", "FINANCIAL CHANGE", "CSR VARIANT CHANGE", "AGENT BROKER INFO",
		"DEMOGRAPHIC CHANGE")
)

var (
	moneyRE     = regexp.MustCompile(`^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)
	ssnRE       = regexp.MustCompile(`^[0-9]{9}$`)
	dashedSSNRE = regexp.MustCompile(`^[0-9]{3}-[0-9]{2}-[0-9]{4}$`)
	maskedSSNRE = regexp.MustCompile(`^([*Xx#]{3}-?[*Xx#]{2}-?|[*Xx#]{5})[0-9]{4}$`)
	hiosRE      = regexp.MustCompile(`^[0-9]{5}$`)
	// SOURCE EXCHANGE ID of a state's FFE, e.g. "NJ0".
	exchangeStateRE = regexp.MustCompile(`^[A-Z]{2}0$`)
)

// isoDate turns a CCYYMMDD date into YYYY-MM-DD. It returns a problem
// description instead when s is not a calendar date in that form.
func isoDate(s string) (iso, problem string) {
	if len(s) != 8 || !allDigits(s) {
		return "", fmt.Sprintf("date %q is not CCYYMMDD", s)
	}
	// As time.Parse("20060102", s) would check, without its cost on every
	// date of a file.
	y, m, d := digits(s[:4]), digits(s[4:6]), digits(s[6:])
	if m < 1 || m > 12 || d < 1 || d > daysIn(m, y) {
		return "", fmt.Sprintf("date %q is not a calendar date", s)
	}
	return s[:4] + "-" + s[4:6] + "-" + s[6:], ""
}

// allDigits says whether s is decimal digits only (strings.Trim with a
// cutset builds the set on every call).
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// digits is the value of a string of decimal digits.
func digits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// daysIn is the number of days of month m of year y (Gregorian).
func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// x12Date returns a CCYYMMDD date as YYYY-MM-DD, and anything else as sent,
// for the normaliser to read or record as a field problem.
func x12Date(s string) string {
	if iso, problem := isoDate(s); problem == "" {
		return iso
	}
	return s
}

// normSSN returns the nine digits of an SSN, accepting the dashed form. A
// masked SSN (XXX-XX-1234) is absent, as in the other input formats.
func normSSN(s string) (string, bool) {
	if maskedSSNRE.MatchString(s) {
		return "", true
	}
	if dashedSSNRE.MatchString(s) {
		s = strings.ReplaceAll(s, "-", "")
	}
	return s, ssnRE.MatchString(s)
}
