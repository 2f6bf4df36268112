package load

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/enrollaudit/enrollaudit/fileerr"
)

// week834 is one daily 834 file: an interchange sent at ISA09/ISA10 sent
// with one transaction (BGN03 bgn) holding the given member loops.
func week834(sent, bgn string, members ...string) string {
	segs := []string{
		"ISA*00*          *00*          *ZZ*EXCHANGE       *ZZ*ISSUER         *" + sent + "*^*00501*000000001*0*P*:",
		"GS*BE*EXCHANGE*ISSUER*20" + sent[:6] + "*" + sent[7:] + "*1*X*005010X220A1",
		"ST*834*0001*005010X220A1",
		"BGN*00*REF1*" + bgn + "*1200****2",
	}
	for _, m := range members {
		segs = append(segs, strings.Split(m, "~")...)
	}
	n := len(segs) - 2 + 1
	segs = append(segs, fmt.Sprintf("SE*%d*0001", n), "GE*1*1", "IEA*1*000000001")
	return strings.Join(segs, "~\n") + "~\n"
}

// member834 is a member loop of policy P1 with maintenance ins (INS01-04),
// a first name and a benefit end ("" for none).
func member834(ins, member, first, end string) string {
	segs := []string{"INS*" + ins, "REF*0F*S1", "REF*17*" + member, "NM1*IL*1*DOE*" + first,
		"HD*021**HLT", "DTP*348*D8*20260101"}
	if end != "" {
		segs = append(segs, "DTP*349*D8*"+end)
	}
	segs = append(segs, "REF*1L*P1")
	return strings.Join(segs, "~")
}

// TestMaintenanceOrder: a week's 834 files read as one extract keep, of
// each member, the records of the latest transaction: a 024 termination
// after a 021 addition, a 001 change after both. Files are read in name
// order; each row names its own file and segment. With hashes that
// collide (all the same, or two values), the exact step must tell the
// members apart.
func TestMaintenanceOrder(t *testing.T) {
	hashes := map[string]func([]byte) uint64{
		"real":     keyHash,
		"constant": func([]byte) uint64 { return 0 },
		"two":      func(ids []byte) uint64 { return uint64(ids[len(ids)-1] % 2) },
	}
	for name, hash := range hashes {
		t.Run(name, func(t *testing.T) {
			defer func(h func([]byte) uint64) { keyHash = h }(keyHash)
			keyHash = hash
			testMaintenanceOrder(t)
		})
	}
}

func testMaintenanceOrder(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"2026-01-05.834": week834("260105*0900", "20260105",
			member834("Y*18*021*28", "M1", "JANE", ""), member834("N*01*021*28", "M2", "JOHN", ""),
			member834("N*01*021*28", "M4", "ONCE", "")),
		"2026-01-06.834": week834("260106*0900", "20260106", member834("Y*18*024*07", "M1", "JANE", "20260131")),
		"2026-01-07.834": week834("260107*0900", "20260107", member834("N*01*001*25", "M2", "JON", "")),
		// The file of the 8th holds two transactions for M3, the later one
		// (BGN03) first in the file.
		"2026-01-08.834": strings.Join([]string{
			"ISA*00*          *00*          *ZZ*EXCHANGE       *ZZ*ISSUER         *260108*0900*^*00501*000000001*0*P*:",
			"GS*BE*EXCHANGE*ISSUER*20260108*0900*1*X*005010X220A1",
			"ST*834*0001*005010X220A1", "BGN*00*REF1*20260108*1200****2",
			member834("N*01*024*07", "M3", "LATER", "20260228"), "SE*11*0001",
			"ST*834*0002*005010X220A1", "BGN*00*REF2*20260101*1200****2",
			member834("N*01*021*28", "M3", "EARLIER", ""), "SE*10*0002",
			"GE*2*1", "IEA*1*000000001",
		}, "~\n") + "~\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	paths, err := ExpandPaths([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	conn := newConn(t)
	var srcs []Source
	for _, p := range paths {
		srcs = append(srcs, Source{Path: p, Side: "marketplace"})
	}
	srcs = JoinExtracts(srcs)
	var loaded int64
	var warnings []string
	for _, src := range srcs {
		st, err := Load(context.Background(), conn, src)
		if err != nil {
			t.Fatal(err)
		}
		loaded += st.Loaded
		warnings = append(warnings, st.Warnings...)
	}
	rows, err := conn.QueryContext(context.Background(), `SELECT exchange_member_id, first_name, coalesce(CAST(benefit_end AS VARCHAR), ''),
		coalesce(CAST(effectuation_status AS VARCHAR), 'unknown'), regexp_extract(f.path, '[^/]+$'), source_line
		FROM canon_marketplace c JOIN input_files f ON f.id = c.file_id ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var id, first, end, status, file string
		var line int
		if err := rows.Scan(&id, &first, &end, &status, &file, &line); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %s %s %s %s:%d", id, first, end, status, file, line))
	}
	want := []string{
		"M1 JANE 2026-01-31 terminated 2026-01-06.834:5",
		"M2 JON  unknown 2026-01-07.834:5", // a 001 change without its subscriber: status unknown
		"M3 LATER 2026-02-28 terminated 2026-01-08.834:5",
		"M4 ONCE  effectuated 2026-01-05.834:19", // one transaction: a candidate only when hashes collide
	}
	if !slices.Equal(got, want) {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if loaded != 4 {
		t.Errorf("loaded %d rows, want 4", loaded)
	}
	if len(warnings) != 2 {
		t.Errorf("warnings %q, want one a file with superseded records", warnings)
	}
}

func TestExpandPaths(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.834", "a.834", ".hidden", "c.csv"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	tests := []struct {
		args []string
		want []string
		err  string
	}{
		{args: []string{dir}, want: []string{"a.834", "b.834", "c.csv"}},
		{args: []string{filepath.Join(dir, "*.834")}, want: []string{"a.834", "b.834"}},
		{args: []string{filepath.Join(dir, "c.csv"), filepath.Join(dir, "?.834")}, want: []string{"c.csv", "a.834", "b.834"}},
		{args: []string{filepath.Join(dir, "missing.csv")}, want: []string{"missing.csv"}}, // for Check to report
		{args: []string{empty}, err: empty + ": the directory holds no input file"},
		{args: []string{filepath.Join(dir, "*.x12")}, err: filepath.Join(dir, "*.x12") + ": the pattern matches no file"},
	}
	for _, tt := range tests {
		got, err := ExpandPaths(tt.args)
		if tt.err != "" {
			var fl fileerr.List
			if err == nil || err.Error() != tt.err || !errors.As(err, &fl) {
				t.Errorf("ExpandPaths(%q) error %v, want %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ExpandPaths(%q): %v", tt.args, err)
			continue
		}
		for i := range got {
			got[i] = filepath.Base(got[i])
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("ExpandPaths(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}
