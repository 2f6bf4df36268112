package reports

import (
	"context"
	"slices"
	"time"
)

// Lifecycle statuses of a finding against the run history, in the order
// reports list them (docs/history.md "Lifecycle").
var LifecycleStatuses = []string{"new", "persisting", "changed", "reopened", "resolved", "not_evaluated"}

// History is what a run recorded in a history file adds to its report
// (run --history): each finding's lifecycle, what was resolved since the
// previous run, and the counts per status. A report without it has none of
// these.
type History struct {
	// AsOf is the date the audited extracts describe.
	AsOf time.Time
	// PreviousRun is the run this one is compared with; nil on a first run.
	PreviousRun *PreviousRun
	// Findings gives each finding's lifecycle by finding id.
	Findings map[string]FindingLifecycle
	// Resolved lists the findings open in the previous run and absent now.
	Resolved []ResolvedFinding
	// Counts per status (LifecycleStatuses, zeros included).
	Counts map[string]int64
	// Trend holds the history's runs, oldest first, this run last: what
	// the workbook charts.
	Trend []RunFigures
}

// PreviousRun names the run a report is compared with.
type PreviousRun struct {
	AsOf Date `json:"as_of"`
}

// FindingLifecycle is a finding's place in the history as of the run.
type FindingLifecycle struct {
	Status    string `json:"status"`
	FirstSeen Date   `json:"first_seen"`
	RunsSeen  int    `json:"runs_seen"`
}

// ResolvedFinding is a finding open in the previous run and absent now.
type ResolvedFinding struct {
	ID               string  `json:"id"`
	Rule             string  `json:"rule"`
	Category         string  `json:"category"`
	IssuerHIOSID     *string `json:"issuer_hios_id"`
	ExchangePolicyID *string `json:"exchange_policy_id"`
	ExchangeMemberID *string `json:"exchange_member_id"`
	FirstSeen        Date    `json:"first_seen"`
	LastSeen         Date    `json:"last_seen"`
}

// Date is a calendar day, written YYYY-MM-DD.
type Date time.Time

func (d Date) String() string { return time.Time(d).Format(time.DateOnly) }

// MarshalJSON writes the day as "YYYY-MM-DD".
func (d Date) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

// OpenAges are the ages in days (from first seen to the run's as-of date)
// of the open findings, in ascending order.
func (h *History) OpenAges() []int {
	ages := make([]int, 0, len(h.Findings))
	for _, l := range h.Findings {
		ages = append(ages, ageDays(time.Time(l.FirstSeen), h.AsOf))
	}
	slices.Sort(ages)
	return ages
}

// MedianAge is the median age in days of the open findings (the mean of
// the middle two when they are even, as history trend computes it); ok is
// false when none is open.
func (h *History) MedianAge() (days float64, ok bool) {
	ages := h.OpenAges()
	n := len(ages)
	if n == 0 {
		return 0, false
	}
	return float64(ages[(n-1)/2]+ages[n/2]) / 2, true
}

// WeeksOpen is how many whole weeks a finding has been open at the run's
// as-of date: 0 for a finding first seen less than a week before.
func (h *History) WeeksOpen(l FindingLifecycle) int {
	return ageDays(time.Time(l.FirstSeen), h.AsOf) / 7
}

func ageDays(from, to time.Time) int { return int(to.Sub(from).Hours() / 24) }

// lifecycleSource gives each finding its lifecycle as it is read.
type lifecycleSource struct {
	src  FindingSource
	life map[string]FindingLifecycle
}

// WithLifecycle returns src with each finding's Lifecycle set from h.
func WithLifecycle(src FindingSource, h *History) FindingSource {
	return lifecycleSource{src: src, life: h.Findings}
}

func (s lifecycleSource) Each(ctx context.Context, category string, fn func(*Finding) error) error {
	return s.src.Each(ctx, category, func(f *Finding) error {
		if l, ok := s.life[f.ID]; ok {
			f.Lifecycle = &l
		}
		return fn(f)
	})
}
