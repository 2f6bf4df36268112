package reports

import (
	"testing"
	"time"

	"github.com/enrollaudit/enrollaudit/history"
)

func TestDispositionsFromHistory(t *testing.T) {
	at := time.Date(2026, 1, 5, 10, 0, 0, 0, time.FixedZone("EST", -5*3600))
	got := DispositionsFromHistory(map[string]history.Disposition{
		"f1": {Status: "waived", Comment: "known", Until: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), RecordedAt: at, Source: "a.xlsx"},
		"f2": {Status: "disputed", RecordedAt: at, Source: "b.csv"},
	})
	if d := got["f1"]; d.Status != "waived" || d.Until == nil || *d.Until != "2026-02-01" || d.Source != "a.xlsx" ||
		d.RecordedAt.Location() != time.UTC || !d.RecordedAt.Equal(at) || d.Comment != "known" {
		t.Errorf("f1 = %+v", d)
	}
	if d := got["f2"]; d.Until != nil || d.Status != "disputed" {
		t.Errorf("f2 = %+v (no Until is null)", d)
	}
}
