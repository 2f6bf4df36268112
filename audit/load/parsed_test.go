package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/duckdb/duckdb-go/v2"
)

// TestStrayBytes: an 834 value with bytes that are not UTF-8 (a Latin-1
// letter) loads with those bytes read as Windows-1252, valid UTF-8 beside
// them kept, and a warning naming the file and the first record; before,
// the run failed with DuckDB quoting the whole staged record (names, SSN)
// in its error. (RCNI files are read by DuckDB, and judged as CSV files
// are: TestRCNIEncodings.)
func TestStrayBytes(t *testing.T) {
	tests := []struct {
		name, file, format, content string
		want                        []string // member ID, first name, last name
		warning                     string
	}{
		{
			name: "834", file: "m.834",
			content: week834("260105*0900", "20260105", member834("Y*18*021*28", "M1", "REN\xc9E", ""),
				member834("N*01*021*28", "M2", "JOHN", "")),
			want:    []string{"M1 RENÉE DOE", "M2 JOHN DOE"},
			warning: "m.834: 1 record with bytes that are not UTF-8, the first at segment 5: those bytes were read as Windows-1252",
		},
		{
			name: "834 clean", file: "m.834",
			content: week834("260105*0900", "20260105", member834("Y*18*021*28", "M1", "RENÉE", "")),
			want:    []string{"M1 RENÉE DOE"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.file, tt.content)
			conn := newConn(t)
			st, err := Load(context.Background(), conn, Source{Path: path, Side: "marketplace", Format: tt.format})
			if err != nil {
				t.Fatal(err)
			}
			rows, err := conn.QueryContext(context.Background(),
				"SELECT exchange_member_id || ' ' || first_name || ' ' || last_name FROM canon_marketplace ORDER BY 1")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var got []string
			for rows.Next() {
				var s string
				if err := rows.Scan(&s); err != nil {
					t.Fatal(err)
				}
				got = append(got, s)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("rows %q, want %q", got, tt.want)
			}
			var warned []string
			for _, w := range st.Warnings {
				if strings.Contains(w, "UTF-8") {
					warned = append(warned, w)
				}
			}
			switch {
			case tt.warning == "" && len(warned) > 0:
				t.Errorf("warnings %q, want none about UTF-8", warned)
			case tt.warning != "" && (len(warned) != 1 || !strings.HasSuffix(warned[0], tt.warning+" (Latin-1 letters)")):
				t.Errorf("warnings %q, want one ending %q", warned, tt.warning)
			}
		})
	}
}

func TestAppendStaged(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		notUTF8  bool
	}{
		{"", "", false},
		{"SMITH", "SMITH", false},
		{"a\x1fb\nc\rd", "a b c d", false},
		{"\tTAB", "\tTAB", false}, // other control bytes are the normaliser's
		{"Jos\xc3\xa9\x1f", "José ", false},
		{"P\xe9tel", "Pétel", true},
		{"\x7f", "\x7f", false},
	} {
		got, notUTF8 := appendStaged([]byte("x"), tt.in)
		if string(got) != "x"+tt.want || notUTF8 != tt.notUTF8 {
			t.Errorf("appendStaged(%q) = %q, %v; want %q, %v", tt.in, got, notUTF8, "x"+tt.want, tt.notUTF8)
		}
	}
}

func TestAppendWindows1252(t *testing.T) {
	for in, want := range map[string]string{
		"P\xe9tel":         "Pétel",
		"Jos\xc3\xa9 \xc9": "José É", // valid UTF-8 kept beside a stray byte
		"\x80 \x9c":        "€ œ",    // the bytes where Windows-1252 is not Latin-1
		"a\x1fb\nc\xe9\r":  "a b cé ",
		"\xc3":             "Ã", // a sequence cut short
	} {
		if got := string(appendWindows1252(nil, in)); got != want {
			t.Errorf("appendWindows1252(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestWithoutRecords: DuckDB's error about a staged record keeps its first
// line only (the next quote the record); other errors pass whole.
func TestWithoutRecords(t *testing.T) {
	staged := fmt.Errorf("load m.834: %w", &duckdb.Error{Msg: "Invalid Input Error: CSV Error on Line: 7\nOriginal Line: M1\x1fJANE\x1f123456789"})
	if got, want := withoutRecords(staged).Error(), "load m.834: Invalid Input Error: CSV Error on Line: 7"; got != want {
		t.Errorf("withoutRecords = %q, want %q", got, want)
	}
	problems := errors.New("m.yaml:3: unknown field\nm.yaml:5: unknown field")
	if got := withoutRecords(problems); got != problems {
		t.Errorf("withoutRecords changed a non-DuckDB error: %v", got)
	}
	if withoutRecords(nil) != nil {
		t.Error("withoutRecords(nil) is not nil")
	}
}

// FuzzAppendStaged: whatever a parser hands over, its staged value is UTF-8
// without separators or line breaks, and printable ASCII passes unchanged.
func FuzzAppendStaged(f *testing.F) {
	for _, s := range []string{"SMITH", "a\x1fb\nc", "P\xe9tel", "Jos\xc3\xa9", "\xc3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got, _ := appendStaged(nil, v)
		if !utf8.Valid(got) || bytes.ContainsAny(got, "\x1f\n\r") {
			t.Fatalf("appendStaged(%q) = %q", v, got)
		}
		printable := true
		for i := 0; i < len(v); i++ {
			printable = printable && v[i] >= 0x20 && v[i] < 0x7f
		}
		if printable && string(got) != v {
			t.Fatalf("appendStaged(%q) = %q, want it unchanged", v, got)
		}
	})
}

// TestRepeatFinder: a hash is repeated when it comes with two transaction
// numbers or more, whatever their order and whichever bucket it falls in,
// in memory or sent to files; several records of one transaction are not a
// repeat.
func TestRepeatFinder(t *testing.T) {
	const hi = 0xAB << 56 // another bucket than the small hashes
	for _, tc := range []struct {
		name  string
		pairs [][2]uint64 // hash, transaction
		want  []uint64
	}{
		{"none", nil, nil},
		{"one transaction each", [][2]uint64{{1, 1}, {2, 1}, {hi + 1, 2}}, nil},
		{"twice in one transaction", [][2]uint64{{1, 1}, {2, 1}, {1, 1}}, nil},
		{"two transactions", [][2]uint64{{1, 1}, {1, 2}}, []uint64{1}},
		{"back to the first", [][2]uint64{{1, 1}, {1, 2}, {1, 1}, {1, 3}}, []uint64{1}},
		{"same low bits, other bucket", [][2]uint64{{1, 1}, {hi + 1, 2}, {hi + 1, 3}}, []uint64{hi + 1}},
		{"several", [][2]uint64{{5, 1}, {hi, 1}, {5, 2}, {7, 2}, {hi, 3}, {7, 2}}, []uint64{5, hi}},
	} {
		// A limit of two pairs sends the buckets to files as they fill.
		for _, limit := range []int{0, 2 * pairSize} {
			t.Run(fmt.Sprintf("%s/limit %d", tc.name, limit), func(t *testing.T) {
				dir := t.TempDir()
				r := repeatFinder{dir: dir, memLimit: limit}
				for _, p := range tc.pairs {
					r.add(p[0], int64(p[1]))
				}
				got, err := r.repeats()
				if err != nil {
					t.Fatal(err)
				}
				slices.Sort(got)
				if !slices.Equal(got, tc.want) {
					t.Errorf("repeats = %v, want %v", got, tc.want)
				}
				if again, err := r.repeats(); len(again) != 0 || err != nil {
					t.Errorf("a second call found %v (%v): the pairs should be gone", again, err)
				}
				if left, _ := os.ReadDir(dir); len(left) != 0 {
					t.Errorf("bucket files left behind: %d", len(left))
				}
			})
		}
	}
}
