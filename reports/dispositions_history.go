package reports

import (
	"time"

	"github.com/enrollaudit/enrollaudit/history"
)

// DispositionsFromHistory are the history's latest answers as report.json
// and report.xlsx show them (ApplyDispositions takes them): the file each
// came from by name, Until as YYYY-MM-DD. It is the one conversion between
// the two.
func DispositionsFromHistory(latest map[string]history.Disposition) map[string]Disposition {
	out := make(map[string]Disposition, len(latest))
	for id, d := range latest {
		r := Disposition{Status: d.Status, Comment: d.Comment, RecordedAt: d.RecordedAt.UTC(), Source: d.Source}
		if !d.Until.IsZero() {
			u := d.Until.Format(time.DateOnly)
			r.Until = &u
		}
		out[id] = r
	}
	return out
}
