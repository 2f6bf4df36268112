package x12

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/enrollaudit/enrollaudit/canonical"
)

const sampleDir = "../../../shared/samples/834"

// rec builds the record expected at line from field values.
func rec(line int, fields map[string]string) canonical.Record {
	r := canonical.Record{Line: line}
	for k, v := range fields {
		r.Set(k, v)
	}
	return r
}

// with returns base with some fields changed.
func with(base map[string]string, changes map[string]string) map[string]string {
	out := make(map[string]string, len(base)+len(changes))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range changes {
		out[k] = v
	}
	return out
}

func diffRecords(t *testing.T, got, want []canonical.Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d records, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i].Line != want[i].Line {
			t.Errorf("record %d: line %d, want %d", i, got[i].Line, want[i].Line)
		}
		for f, field := range canonical.Fields {
			if g, w := got[i].Values[f], want[i].Values[f]; g != w {
				t.Errorf("record %d (line %d): %s = %q, want %q", i, got[i].Line, field.Name, g, w)
			}
		}
	}
}

var (
	// The Blue household of the AandP-IHG-add-spouse-to-sub-* files.
	blueSub = map[string]string{
		"exchange_subscriber_id": "INJ000007883", "exchange_member_id": "INJ000007883",
		"subscriber_indicator": "Y", "relationship_code": "18",
		"first_name": "SubscriberBlue", "last_name": "Blue", "birth_date": "1980-01-01",
		"gender": "M", "ssn": "078989899", "state": "NJ", "zip": "07011",
	}
	blueSpouse = map[string]string{
		"exchange_subscriber_id": "INJ000007883", "exchange_member_id": "INJ000017553",
		"subscriber_indicator": "N", "relationship_code": "01",
		"first_name": "SpouseBlue", "last_name": "Blue", "birth_date": "1970-01-01",
		"gender": "F", "ssn": "097847474", "state": "NJ", "zip": "07011",
	}
	// The Green subscriber of the AandP-IHG-sep-off-sub-only-* files.
	green = map[string]string{
		"exchange_subscriber_id": "INJ000007882", "exchange_member_id": "INJ000007882",
		"subscriber_indicator": "Y", "relationship_code": "18",
		"first_name": "SubscriberGreen", "last_name": "Green", "birth_date": "1980-01-01",
		"gender": "M", "ssn": "049898999", "state": "NJ", "zip": "07011",
	}
	// The Masondon family of the AandP-IHG-new-enroll-sub-spouse-dep-* files.
	masondon = map[string]string{
		"exchange_subscriber_id": "IPA000007902", "state": "PA", "zip": "19342",
		"last_name": "Masondon", "coverage_year": "2026", "benefit_start": "2026-04-01",
		"rating_area": "R-PA008", "effectuation_status": "pending",
	}
	daniel = with(masondon, map[string]string{
		"exchange_member_id": "IPA000007902", "subscriber_indicator": "Y", "relationship_code": "18",
		"first_name": "Daniel", "birth_date": "1982-12-12", "gender": "M", "ssn": "899695968",
	})
	lisa = with(masondon, map[string]string{
		"exchange_member_id": "IPA000017612", "subscriber_indicator": "N", "relationship_code": "01",
		"first_name": "Lisa", "birth_date": "1987-12-12", "gender": "F",
	})
	megan = with(masondon, map[string]string{
		"exchange_member_id": "IPA000017613", "subscriber_indicator": "N", "relationship_code": "19",
		"first_name": "Megan", "birth_date": "2020-12-12", "gender": "F",
	})
)

// bareWarn is the warning of the sample files that start at ST.
func bareWarn(file string) []string {
	return []string{file + ": no ISA/GS envelope; reading bare transactions"}
}

func TestSamples(t *testing.T) {
	tests := map[string]struct {
		records []canonical.Record
		rejects []string
		warns   []string
	}{
		// SE01 is off by one (719 for 720 segments) and GE/IEA are missing:
		// warnings only; TestSampleWithCountFixed checks its members.
		"AandP-IHG-add-dep-to-sub-and-spouse.edi": {
			records: addDepRecords,
			warns: []string{
				"AandP-IHG-add-dep-to-sub-and-spouse.edi: SE01 at segment 722 says 719 segments, counted 720",
				"AandP-IHG-add-dep-to-sub-and-spouse.edi: functional group 1 (segment 2) has no GE",
				"AandP-IHG-add-dep-to-sub-and-spouse.edi: interchange 006252515 (segment 1) has no IEA",
			},
		},
		// A 024 without benefit start cannot be told to be a cancellation.
		"AandP-IHG-add-spouse-to-sub-cancel-dental.edi": {
			records: []canonical.Record{rec(6, with(blueSub, map[string]string{
				"exchange_policy_id": "21479", "qhp_id": "231078", "benefit_end": "2026-05-14", "effectuation_status": "terminated",
			}))},
			warns: bareWarn("AandP-IHG-add-spouse-to-sub-cancel-dental.edi"),
		},
		"AandP-IHG-add-spouse-to-sub-cancel-medical.edi": {
			records: []canonical.Record{rec(6, with(blueSub, map[string]string{
				"exchange_policy_id": "21477", "qhp_id": "91762NJ007000400", "benefit_end": "2026-05-14", "effectuation_status": "terminated",
			}))},
			warns: bareWarn("AandP-IHG-add-spouse-to-sub-cancel-medical.edi"),
		},
		"AandP-IHG-add-spouse-to-sub-cancel-vision.edi": {
			records: []canonical.Record{rec(6, with(blueSub, map[string]string{
				"exchange_policy_id": "21478", "qhp_id": "231075", "benefit_end": "2026-05-14", "effectuation_status": "terminated",
			}))},
			warns: bareWarn("AandP-IHG-add-spouse-to-sub-cancel-vision.edi"),
		},
		// The spouse has only PRE AMT 1: PRE AMT TOT and RATING AREA come from the subscriber.
		"AandP-IHG-add-spouse-to-sub-dental.edi": {
			records: []canonical.Record{
				rec(6, with(blueSub, map[string]string{
					"coverage_year": "2026", "exchange_policy_id": "21481", "qhp_id": "231078", "benefit_start": "2026-05-01",
					"rating_area": "R-NJ001", "total_premium": "0.0", "member_premium": "0.0", "effectuation_status": "pending",
				})),
				rec(63, with(blueSpouse, map[string]string{
					"coverage_year": "2026", "exchange_policy_id": "21481", "qhp_id": "231078", "benefit_start": "2026-05-15",
					"rating_area": "R-NJ001", "total_premium": "0.0", "member_premium": "0.0", "effectuation_status": "pending",
				})),
			},
			warns: bareWarn("AandP-IHG-add-spouse-to-sub-dental.edi"),
		},
		"AandP-IHG-add-spouse-to-sub-medical.edi": {
			records: []canonical.Record{
				rec(6, with(blueSub, map[string]string{
					"coverage_year": "2026", "exchange_policy_id": "21480", "qhp_id": "91762NJ007000400", "benefit_start": "2026-05-01",
					"rating_area": "R-NJ001", "total_premium": "1453.47", "member_premium": "568.8", "effectuation_status": "pending",
				})),
				rec(63, with(blueSpouse, map[string]string{
					"coverage_year": "2026", "exchange_policy_id": "21480", "qhp_id": "91762NJ007000400", "benefit_start": "2026-05-15",
					"rating_area": "R-NJ001", "total_premium": "1453.47", "member_premium": "884.67", "effectuation_status": "pending",
				})),
			},
			warns: bareWarn("AandP-IHG-add-spouse-to-sub-medical.edi"),
		},
		"AandP-IHG-add-spouse-to-sub-vision.edi": {
			records: []canonical.Record{
				rec(6, with(blueSub, map[string]string{
					"coverage_year": "2026", "exchange_policy_id": "21482", "qhp_id": "231075", "benefit_start": "2026-05-01",
					"rating_area": "R-NJ001", "total_premium": "21.0", "member_premium": "10.5", "effectuation_status": "pending",
				})),
				rec(63, with(blueSpouse, map[string]string{
					"coverage_year": "2026", "exchange_policy_id": "21482", "qhp_id": "231075", "benefit_start": "2026-05-15",
					"rating_area": "R-NJ001", "total_premium": "21.0", "member_premium": "10.5", "effectuation_status": "pending",
				})),
			},
			warns: bareWarn("AandP-IHG-add-spouse-to-sub-vision.edi"),
		},
		"AandP-IHG-new-enroll-sub-spouse-dep-dental.edi": {
			records: []canonical.Record{
				rec(8, with(daniel, map[string]string{"exchange_policy_id": "21572", "qhp_id": "231085", "total_premium": "43.68", "member_premium": "23.61"})),
				rec(59, with(lisa, map[string]string{"exchange_policy_id": "21572", "qhp_id": "231085", "total_premium": "43.68", "member_premium": "20.07"})),
				rec(96, with(megan, map[string]string{"exchange_policy_id": "21572", "qhp_id": "231085", "total_premium": "43.68", "member_premium": "0.0"})),
			},
		},
		"AandP-IHG-new-enroll-sub-spouse-dep-medical.edi": {
			records: []canonical.Record{
				rec(8, with(daniel, map[string]string{"exchange_policy_id": "21570", "qhp_id": "33871PA012001100", "total_premium": "863.28", "member_premium": "347.83"})),
				rec(59, with(lisa, map[string]string{"exchange_policy_id": "21570", "qhp_id": "33871PA012001100", "total_premium": "863.28", "member_premium": "319.37"})),
				rec(96, with(megan, map[string]string{"exchange_policy_id": "21570", "qhp_id": "33871PA012001100", "total_premium": "863.28", "member_premium": "196.08"})),
			},
		},
		"AandP-IHG-new-enroll-sub-spouse-dep-vision.edi": {
			records: []canonical.Record{
				rec(8, with(daniel, map[string]string{"exchange_policy_id": "21571", "qhp_id": "231081", "total_premium": "39.63", "member_premium": "13.21"})),
				rec(59, with(lisa, map[string]string{"exchange_policy_id": "21571", "qhp_id": "231081", "total_premium": "39.63", "member_premium": "13.21"})),
				rec(96, with(megan, map[string]string{"exchange_policy_id": "21571", "qhp_id": "231081", "total_premium": "39.63", "member_premium": "13.21"})),
			},
		},
		"AandP-IHG-sep-off-sub-only-dental-term.edi": {
			records: []canonical.Record{rec(6, with(green, map[string]string{
				"exchange_policy_id": "21473", "qhp_id": "231078", "benefit_end": "2026-05-31", "effectuation_status": "terminated",
			}))},
			warns: bareWarn("AandP-IHG-sep-off-sub-only-dental-term.edi"),
		},
		"AandP-IHG-sep-off-sub-only-dental.edi": {
			records: []canonical.Record{rec(6, with(green, map[string]string{
				"coverage_year": "2026", "exchange_policy_id": "21473", "qhp_id": "231078", "benefit_start": "2026-05-01",
				"rating_area": "R-NJ001", "total_premium": "0.0", "member_premium": "0.0", "effectuation_status": "pending",
			}))},
			warns: bareWarn("AandP-IHG-sep-off-sub-only-dental.edi"),
		},
		"AandP-IHG-sep-off-sub-only-medical-term.edi": {
			records: []canonical.Record{rec(6, with(green, map[string]string{
				"exchange_policy_id": "21471", "qhp_id": "91762NJ007000400", "benefit_end": "2026-05-31", "effectuation_status": "terminated",
			}))},
			warns: bareWarn("AandP-IHG-sep-off-sub-only-medical-term.edi"),
		},
		"AandP-IHG-sep-off-sub-only-medical.edi": {
			records: []canonical.Record{rec(6, with(green, map[string]string{
				"coverage_year": "2026", "exchange_policy_id": "21471", "qhp_id": "91762NJ007000400", "benefit_start": "2026-05-01",
				"rating_area": "R-NJ001", "total_premium": "568.8", "member_premium": "568.8", "effectuation_status": "pending",
			}))},
			warns: bareWarn("AandP-IHG-sep-off-sub-only-medical.edi"),
		},
		"AandP-IHG-sep-off-sub-only-vision-term.edi": {
			records: []canonical.Record{rec(6, with(green, map[string]string{
				"exchange_policy_id": "21472", "qhp_id": "231075", "benefit_end": "2026-05-31", "effectuation_status": "terminated",
			}))},
			warns: bareWarn("AandP-IHG-sep-off-sub-only-vision-term.edi"),
		},
		"AandP-IHG-sep-off-sub-only-vision.edi": {
			records: []canonical.Record{rec(6, with(green, map[string]string{
				"coverage_year": "2026", "exchange_policy_id": "21472", "qhp_id": "231075", "benefit_start": "2026-05-01",
				"rating_area": "R-NJ001", "total_premium": "10.5", "member_premium": "10.5", "effectuation_status": "pending",
			}))},
			warns: bareWarn("AandP-IHG-sep-off-sub-only-vision.edi"),
		},
		// NM109 holds member IDs under the SSN qualifier 34: passed on, for
		// the normaliser to record as a field problem; SE01 is off by one.
		"AandP-TEST-field-format-errors.edi": {
			records: []canonical.Record{
				rec(7, map[string]string{"coverage_year": "2026", "exchange_policy_id": "ENROLL006", "exchange_subscriber_id": "TESTMEM006", "exchange_member_id": "TESTMEM006", "subscriber_indicator": "Y", "relationship_code": "18", "first_name": "Robert", "last_name": "Smith", "birth_date": "1980-01-01", "gender": "M", "ssn": "TESTMEM006", "state": "NJ", "zip": "00000", "qhp_id": "12345NJ0010010101", "benefit_start": "2026-06-01", "effectuation_status": "pending"}),
				rec(23, map[string]string{"coverage_year": "2026", "exchange_policy_id": "ENROLL006", "exchange_subscriber_id": "TESTMEM006", "exchange_member_id": "TESTMEM007", "subscriber_indicator": "N", "relationship_code": "19", "first_name": "Emily", "last_name": "Smith", "birth_date": "2010-03-15", "gender": "F", "ssn": "TESTMEM007", "qhp_id": "12345NJ0010010101", "benefit_start": "2026-06-01", "effectuation_status": "pending"}),
			},
			warns: []string{`AandP-TEST-field-format-errors.edi: SE01 at segment 32 says 31 segments, counted 30`},
		},
		// SEP REASON and the DMG05 race codes are not read, so not checked.
		// RATING AREA "NJ010" lacks its "R-".
		"AandP-TEST-groupD-2750-errors.edi": {
			records: []canonical.Record{
				rec(7, map[string]string{"coverage_year": "2026", "exchange_policy_id": "ENROLL005", "exchange_subscriber_id": "TESTMEM005", "exchange_member_id": "TESTMEM005", "subscriber_indicator": "Y", "relationship_code": "18", "first_name": "Alice", "last_name": "Johnson", "birth_date": "1990-03-15", "gender": "F", "ssn": "TESTMEM005", "state": "NJ", "zip": "07081", "rating_area": "R-NJ010", "qhp_id": "12345NJ0010010101", "benefit_start": "2026-06-01", "total_premium": "450.00", "effectuation_status": "pending"}),
			},
			warns: []string{
				`AandP-TEST-groupD-2750-errors.edi: segment 31 (REF), element 2: ADDL MAINT REASON "INVALID-CODE" is not a CMS value; the status comes from INS03/INS04 alone`,
				`AandP-TEST-groupD-2750-errors.edi: SE01 at segment 42 says 39 segments, counted 40`,
			},
		},
		// No REF*0F, REF*17 or REF*1L: the normaliser rejects both rows for
		// their missing keys. The relationships contradict INS01: loaded, for
		// the rules to report.
		"AandP-TEST-structural-errors.edi": {
			records: []canonical.Record{
				rec(7, map[string]string{"coverage_year": "2026", "subscriber_indicator": "Y", "relationship_code": "01", "first_name": "John", "last_name": "Doe", "birth_date": "1990-06-01", "gender": "M", "ssn": "TESTMEM003", "benefit_start": "2026-06-01", "effectuation_status": "pending"}),
				rec(12, map[string]string{"coverage_year": "2026", "subscriber_indicator": "N", "relationship_code": "18", "first_name": "Jane", "last_name": "Doe", "birth_date": "1992-01-01", "gender": "F", "ssn": "TESTMEM004", "benefit_start": "2026-06-01", "effectuation_status": "pending"}),
			},
			warns: []string{`AandP-TEST-structural-errors.edi: SE01 at segment 17 says 99 segments, counted 15`},
		},
		// INS02 "99" and INS03 "099" go on as sent (field problems for the
		// normaliser); INS04 "ZX" only steers the status, so is warned about.
		"AandP-TEST-tier1-invalid-codes.edi": {
			records: []canonical.Record{
				rec(7, map[string]string{"coverage_year": "2026", "exchange_policy_id": "ENROLL001", "exchange_subscriber_id": "TESTMEM001", "subscriber_indicator": "Y", "relationship_code": "99", "first_name": "John", "last_name": "Smith", "birth_date": "1985-03-15", "gender": "M", "ssn": "TESTMEM001", "benefit_start": "2026-06-01", "effectuation_status": "099"}),
			},
			warns: []string{
				`AandP-TEST-tier1-invalid-codes.edi: segment 7 (INS), element 4: maintenance reason "ZX" is not an 834 maintenance reason code; the status comes from INS03 alone`,
				`AandP-TEST-tier1-invalid-codes.edi: SE01 at segment 15 says 14 segments, counted 13`,
			},
		},
		// Dates that parse but make no sense together load, for the rules.
		"AandP-TEST-tier2-date-errors.edi": {
			records: []canonical.Record{
				rec(7, map[string]string{"coverage_year": "2026", "exchange_policy_id": "ENROLL002", "exchange_subscriber_id": "TESTMEM002", "subscriber_indicator": "Y", "relationship_code": "18", "first_name": "Mary", "last_name": "Jones", "birth_date": "2027-01-01", "gender": "F", "ssn": "TESTMEM002", "benefit_start": "2026-12-01", "benefit_end": "2026-06-01", "effectuation_status": "pending"}),
			},
			warns: []string{`AandP-TEST-tier2-date-errors.edi: SE01 at segment 16 says 15 segments, counted 14`},
		},
		// ISA06/ISA08 are longer than 15 characters; '%' and '>' delimiters.
		// Each member has its own REF*0F, so nothing is carried over.
		"CHOICE-TEST-5010-anthem.edi": {
			records: []canonical.Record{
				rec(25, map[string]string{
					"coverage_year": "2026", "exchange_policy_id": "GRP-000123", "exchange_subscriber_id": "987654321",
					"issuer_member_id": "ANTH-987654321", "subscriber_indicator": "Y", "relationship_code": "18",
					"first_name": "MICHAEL", "last_name": "JOHNSON", "birth_date": "1980-03-15", "gender": "M",
					"ssn": "987654321", "state": "CA", "zip": "90012", "benefit_start": "2026-05-01", "effectuation_status": "pending",
				}),
				rec(40, map[string]string{
					"coverage_year": "2026", "exchange_policy_id": "GRP-000123", "exchange_subscriber_id": "987654322",
					"subscriber_indicator": "N", "relationship_code": "01",
					"first_name": "SARAH", "last_name": "JOHNSON", "birth_date": "1983-07-22", "gender": "F",
					"ssn": "987654322", "state": "CA", "zip": "90012", "benefit_start": "2026-05-01", "effectuation_status": "pending",
				}),
			},
		},
		// Jane's NM1 lacks one '*', which puts her SSN in NM108: she loads
		// without it, with a warning that does not quote it. She has two HD
		// loops of the same coverage; John has no HD.
		"CHOICE-TEST-5010-nohipaa-metlife.edi": {
			records: []canonical.Record{
				rec(7, map[string]string{
					"exchange_policy_id": "GRP001", "exchange_subscriber_id": "MLIC001", "issuer_member_id": "ME01CA10001",
					"subscriber_indicator": "Y", "relationship_code": "18", "first_name": "JOHN", "last_name": "SMITH",
					"birth_date": "1980-06-01", "gender": "M", "ssn": "555889999", "state": "CA", "zip": "95814",
					"effectuation_status": "effectuated",
				}),
				rec(17, jane), rec(17, jane),
			},
			warns: []string{
				`CHOICE-TEST-5010-nohipaa-metlife.edi: segment 21 (NM1), element 8: the identification code qualifier is not 34 (SSN) or ZZ; NM109 is not read`,
			},
		},
	}
	files, err := os.ReadDir(sampleDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(tests) {
		t.Errorf("%s has %d files, the test knows %d", sampleDir, len(files), len(tests))
	}
	for _, f := range files {
		t.Run(f.Name(), func(t *testing.T) {
			want, ok := tests[f.Name()]
			if !ok {
				t.Fatalf("no expectations for %s", f.Name())
			}
			data, err := os.ReadFile(filepath.Join(sampleDir, f.Name()))
			if err != nil {
				t.Fatal(err)
			}
			// read also checks that each transaction read apart gives the same.
			c := read(t, f.Name(), string(data))
			diffRecords(t, c.Records, want.records)
			for _, r := range c.Rejects {
				if !linedAsReason(r) {
					t.Errorf("reject %+v: line is not the segment named", r)
				}
			}
			if got := c.Messages(); !slices.Equal(got, want.rejects) {
				t.Errorf("rejects:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want.rejects, "\n"))
			}
			if !slices.Equal(c.Warns, want.warns) {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(c.Warns, "\n"), strings.Join(want.warns, "\n"))
			}
		})
	}
}

var jane = map[string]string{"coverage_year": "2023", "exchange_subscriber_id": "MLIC002", "issuer_member_id": "ME01CA10001", "subscriber_indicator": "N", "relationship_code": "01", "first_name": "JANE", "last_name": "SMITH", "birth_date": "1983-09-10", "gender": "F", "state": "CA", "zip": "95814", "benefit_start": "2023-10-15", "effectuation_status": "effectuated"}

// breyer holds the policy-level values of the one sample with 2750 APTC
// amounts and a 001 change.
var breyer = map[string]string{
	"coverage_year": "2026", "exchange_policy_id": "19130", "exchange_subscriber_id": "INJ000010668",
	"last_name": "Breyer", "state": "NJ", "zip": "08003", "qhp_id": "91762NJ007009301",
	"rating_area": "R-NJ001", "aptc_amount": "0.00", "total_premium": "1385.72",
}

// addDepRecords are its members. The subscriber and spouse are 001 changes:
// their status is unknown. The child is a 021 addition for birth (INS04 02),
// so pending.
var addDepRecords = []canonical.Record{
	rec(10, with(breyer, map[string]string{
		"exchange_member_id": "INJ000010668", "subscriber_indicator": "Y", "relationship_code": "18",
		"first_name": "Samuel", "birth_date": "1993-09-20", "gender": "M", "ssn": "980768399",
		"benefit_start": "2026-01-01", "member_premium": "527.62",
	})),
	rec(262, with(breyer, map[string]string{
		"exchange_member_id": "INJ000010670", "subscriber_indicator": "N", "relationship_code": "19",
		"first_name": "Megan", "birth_date": "2006-01-15", "gender": "F",
		"benefit_start": "2026-01-24", "member_premium": "341.19", "effectuation_status": "pending",
	})),
	rec(492, with(breyer, map[string]string{
		"exchange_member_id": "INJ000010669", "subscriber_indicator": "N", "relationship_code": "01",
		"first_name": "Sarah", "birth_date": "1994-11-19", "gender": "F", "ssn": "898624451",
		"benefit_start": "2026-01-01", "member_premium": "516.91",
	})),
}
