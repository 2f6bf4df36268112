package history

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// ValuesHash is the hash of a finding's compared values that tells a
// changed finding from a persisting one: both sides' field values (nil
// map: that side has no record; nil value: the field is empty) as the
// rules compare them, so that formatting noise the rules ignore does not
// make a finding changed. Names are folded as the name rules compare them
// (case, accents and spacing ignored); other fields are hashed as the
// reports show them. The engine and the import of report.json both call
// it, so they agree. SSNs are hashed masked to their last four digits, as
// reports show them unless revealed, so a report written with
// --reveal-pii hashes like one without.
func ValuesHash(marketplace, insurer map[string]*string) string {
	// encoding/json writes map keys in sorted order: the encoding is
	// canonical.
	b, err := json.Marshal([2]map[string]*string{compared(marketplace), compared(insurer)})
	if err != nil {
		panic(err) // maps of strings always encode
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// comparedForms turn a field's value as reports show it into the form the
// hash covers: SSNs masked, names folded.
var comparedForms = map[string]func(string) string{
	"ssn":        maskSSN,
	"first_name": foldName,
	"last_name":  foldName,
}

// compared returns vals with each value in its compared form, vals itself
// when none has one.
func compared(vals map[string]*string) map[string]*string {
	var out map[string]*string
	for k, v := range vals {
		form := comparedForms[k]
		if form == nil || v == nil {
			continue
		}
		if out == nil {
			out = make(map[string]*string, len(vals))
			for k2, v2 := range vals {
				out[k2] = v2
			}
		}
		f := form(*v)
		out[k] = &f
	}
	if out == nil {
		return vals
	}
	return out
}

// maskSSN keeps the last four characters, as the reports do.
func maskSSN(v string) string {
	if len(v) <= 4 {
		return "****"
	}
	return "*****" + v[len(v)-4:]
}

// foldName folds a name as the default name rules compare names
// (lower(strip_accents(...)) of a name trimmed and with inner spaces
// collapsed when loaded): marks stripped after canonical decomposition,
// lower case, surrounding space trimmed and inner runs of space made one.
func foldName(v string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(v) {
		if !unicode.Is(unicode.M, r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
