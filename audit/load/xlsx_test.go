package load

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// TestHostileXLSX: workbooks as other tools make them are read as they
// show in Excel.
func TestHostileXLSX(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	serial := func(epoch string) float64 {
		e, _ := time.Parse("2006-01-02", epoch)
		return start.Sub(e).Hours() / 24
	}
	tests := []struct {
		name  string
		build func(f *excelize.File) error
		warn  string
	}{
		{"1904 date system", func(f *excelize.File) error {
			yes := true
			if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}); err != nil {
				return err
			}
			return f.SetSheetRow("Sheet1", "A2", &[]any{"P1", "M1", serial(excelEpoch1904)})
		}, ""},
		{"datetime cell", func(f *excelize.File) error {
			return f.SetSheetRow("Sheet1", "A2", &[]any{"P1", "M1", serial(excelEpoch1900) + 0.75})
		}, ""},
		{"hidden first sheet", func(f *excelize.File) error {
			if err := f.SetSheetRow("Sheet1", "A2", &[]any{"OLD", "OLD", "2020-01-01"}); err != nil {
				return err
			}
			if _, err := f.NewSheet("Roster"); err != nil {
				return err
			}
			if err := f.SetSheetRow("Roster", "A1", &[]any{"exchange_policy_id", "exchange_member_id", "benefit_start"}); err != nil {
				return err
			}
			if err := f.SetSheetRow("Roster", "A2", &[]any{"P1", "M1", "2026-01-01"}); err != nil {
				return err
			}
			f.SetActiveSheet(1)
			return f.SetSheetVisible("Sheet1", false)
		}, `skipped hidden sheet(s) "Sheet1" and read "Roster"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := excelize.NewFile()
			if err := f.SetSheetRow("Sheet1", "A1", &[]any{"exchange_policy_id", "exchange_member_id", "benefit_start"}); err != nil {
				t.Fatal(err)
			}
			if err := tt.build(f); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "w.xlsx")
			if err := f.SaveAs(path); err != nil {
				t.Fatal(err)
			}
			conn := newConn(t)
			st, err := Load(context.Background(), conn, Source{Path: path, Side: "insurer"})
			if err != nil {
				t.Fatal(err)
			}
			if st.Loaded != 1 || st.Rejected != 0 {
				t.Fatalf("loaded %d rejected %d", st.Loaded, st.Rejected)
			}
			var member, got string
			var problems *string
			err = conn.QueryRowContext(context.Background(), "SELECT exchange_member_id, CAST(benefit_start AS VARCHAR), CAST(field_problems AS VARCHAR) FROM canon_insurer").Scan(&member, &got, &problems)
			if err != nil {
				t.Fatal(err)
			}
			if member != "M1" || got != "2026-01-01" || problems != nil {
				t.Errorf("row %s benefit_start %s (problems %v), want M1 2026-01-01", member, got, problems)
			}
			if !strings.Contains(strings.Join(st.Warnings, "\n"), tt.warn) {
				t.Errorf("warnings %q, want %q", st.Warnings, tt.warn)
			}
		})
	}
}
