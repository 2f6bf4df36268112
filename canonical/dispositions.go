package canonical

import "slices"

// Dispositions are the answers a finding can be given in the Disposition
// column of report.xlsx (docs/dispositions.md), in the order the drop-down
// lists them.
var Dispositions = []string{"agree", "corrected", "disputed", "not_an_error", "waived"}

// DispositionMeanings says what each disposition means, for the workbook's
// "How to respond" block and the docs.
var DispositionMeanings = map[string]string{
	"agree":        "the finding is right and will be fixed",
	"corrected":    "the finding was right and has been fixed at the source; the next audit should no longer see it",
	"disputed":     "the finding is wrong: say why in Comment; the oversight side reviews it",
	"not_an_error": "the difference is real but expected (a known lag, an allowed exception): say why in Comment",
	"waived":       "leave the finding out of reports until the date in Until (required); it comes back after that date",
}

// IsDisposition reports whether s is one of Dispositions.
func IsDisposition(s string) bool { return slices.Contains(Dispositions, s) }
