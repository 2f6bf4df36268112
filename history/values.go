package history

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// ValuesHash is the hash of a finding's compared values that tells a
// changed finding from a persisting one: both sides' field values (nil
// map: that side has no record; nil value: the field is empty) as the
// reports show them. The engine and the import of report.json both call
// it, so they agree. SSNs are hashed masked to their last four digits, as
// reports show them unless revealed, so a report written with
// --reveal-pii hashes like one without.
func ValuesHash(marketplace, insurer map[string]*string) string {
	// encoding/json writes map keys in sorted order: the encoding is
	// canonical.
	b, err := json.Marshal([2]map[string]*string{masked(marketplace), masked(insurer)})
	if err != nil {
		panic(err) // maps of strings always encode
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// ssnFields are the compared fields holding SSNs.
var ssnFields = map[string]bool{"ssn": true}

func masked(vals map[string]*string) map[string]*string {
	var out map[string]*string
	for k, v := range vals {
		if !ssnFields[k] || v == nil {
			continue
		}
		if out == nil {
			out = make(map[string]*string, len(vals))
			for k2, v2 := range vals {
				out[k2] = v2
			}
		}
		m := maskSSN(*v)
		out[k] = &m
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
