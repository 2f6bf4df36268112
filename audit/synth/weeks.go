package synth

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// LifecycleFile is written beside week-1/ and week-2/ by a week pair.
const LifecycleFile = "truth-lifecycle.json"

// WeekDir is the directory of week n (1 or 2) of a week pair.
func WeekDir(n int) string { return fmt.Sprintf("week-%d", n) }

// Lifecycle statuses a finding of week 2 can have against week 1.
const (
	StatusNew        = "new"
	StatusPersisting = "persisting"
	StatusChanged    = "changed"
	StatusResolved   = "resolved"
)

// AsOf are the as-of dates the two weeks' extracts describe.
var AsOf = [2]string{"2026-07-20", "2026-07-27"}

// LifecycleTruth is a finding of either week with its expected lifecycle
// status in week 2 (resolved: in week 1 only).
type LifecycleTruth struct {
	Truth
	Status string `json:"status"`
}

// Shares of week 1's planted policies that week 2 fixes and changes (the
// rest persist), and of week 1's clean policies that get a new discrepancy,
// relative to the planting rate.
const (
	resolvedPct  = 30
	changedPct   = 50 // of the kinds whose values can change
	newShareRate = 0.5
)

// weekTwo turns week 1's data into week 2's. It draws from its own random
// numbers, so the generator draws week 1's data again, number for number.
type weekTwo struct {
	rng     *rand.Rand
	rate    float64
	orig    policy // the marketplace view before the plant
	planted int    // truth entries before the plant
	changed map[string]bool
	// dropped are the members a new discrepancy dropped from the insurer's
	// roster: when one is the child a later policy shares, that policy's
	// overlap is gone from the insurer's side.
	dropped map[int64]bool
}

// generateWeeks writes week-1/ and week-2/ and LifecycleFile into dir.
func generateWeeks(ctx context.Context, dir string, opts Options, rate float64, lay *layout) (Summary, error) {
	if opts.Weeks != 2 {
		return Summary{}, fmt.Errorf("weeks must be 1 or 2, not %d", opts.Weeks)
	}
	one, err := newGenerator(opts, lay).generate(ctx, filepath.Join(dir, WeekDir(1)), opts.Seed, opts.Policies, rate)
	if err != nil {
		return Summary{}, err
	}
	g := newGenerator(opts, lay)
	g.week = &weekTwo{rng: rand.New(rand.NewPCG(uint64(opts.Seed), 0x7765656b32)), rate: rate, changed: map[string]bool{}, dropped: map[int64]bool{}}
	two, err := g.generate(ctx, filepath.Join(dir, WeekDir(2)), opts.Seed, opts.Policies, rate)
	if err != nil {
		return Summary{}, err
	}
	lc := lifecycle(one.Planted, two.Planted, g.week.changed)
	two.Lifecycle = map[string]int{}
	for _, t := range lc {
		two.Lifecycle[t.Status]++
	}
	if err := writeLifecycle(filepath.Join(dir, LifecycleFile), opts.Seed, lc); err != nil {
		return Summary{}, err
	}
	return two, nil
}

// before keeps the marketplace view of a policy about to be planted.
func (w *weekTwo) before(k kind, mk *policy, planted int) {
	w.planted = planted
	if k != clean {
		copyPolicy(&w.orig, mk)
	}
}

// after decides the fate of a policy planted in week 1: fixed (both sides
// back as they were before the plant; it reports true), changed values, or
// the same. A clean policy may get a new discrepancy.
func (w *weekTwo) after(g *generator, k kind) bool {
	mk, ins := &g.mk, &g.ins
	if k == clean {
		if mk.status == effectuated && w.rng.Float64() < w.rate*newShareRate {
			w.plantNew(g, mk, ins)
		}
		return false
	}
	n := w.rng.IntN(100)
	switch {
	case n < resolvedPct && k != overlappingPolicies: // its child stays on both policies
		copyPolicy(mk, &w.orig)
		copyPolicy(ins, &w.orig)
		g.dropInsurer = false
		g.truth = g.truth[:w.planted]
		g.sum.PlantedPolicies--
		return true
	case n < resolvedPct+changedPct && slices.Contains(changeable, k):
		w.change(g, k, mk, ins)
	}
	return false
}

// changeable are the kinds whose values week 2 can change.
var changeable = []kind{aptcDiffers, csrAmount, totalPremium, memberPremium, birthDate, lastName, csrVariant}

// change gives a discrepancy other values, keeping it the same finding.
func (w *weekTwo) change(g *generator, k kind, mk, ins *policy) {
	switch k {
	case aptcDiffers:
		if v := (ins.aptc + mk.aptc) / 2; v != ins.aptc && v != mk.aptc {
			ins.aptc = v
			w.mark(g, "aptc-mismatch", mk, nil)
		}
	case csrAmount:
		if v := (ins.csr + mk.csr) / 2; v != ins.csr && v != mk.csr {
			ins.csr = v
			w.mark(g, "csr-amount-mismatch", mk, nil)
		}
	case totalPremium:
		if h := (ins.total - mk.total) / 2; h != 0 {
			ins.total -= h
			ins.members[0].premium -= h
			w.mark(g, "total-premium-mismatch", mk, nil)
			w.mark(g, "member-premium-mismatch", mk, &mk.members[0])
		}
	case memberPremium:
		for j := range mk.members {
			if h := (ins.members[j].premium - mk.members[j].premium) / 2; h != 0 {
				ins.members[j].premium -= h
				w.mark(g, "member-premium-mismatch", mk, &mk.members[j])
			}
		}
	case birthDate:
		for j := range mk.members {
			if ins.members[j].birth != mk.members[j].birth {
				ins.members[j].birth--
				w.mark(g, "birth-date-mismatch", mk, &mk.members[j])
			}
		}
	case lastName:
		for j := range mk.members {
			mj, ij := &mk.members[j], &ins.members[j]
			if was := ij.last; was != mj.last {
				for strings.EqualFold(ij.last, mj.last) || ij.last == was {
					ij.last = g.names.last[w.rng.IntN(len(g.names.last))]
				}
				w.mark(g, "name-mismatch", mk, mj)
			}
		}
	case csrVariant:
		was := ins.variant
		for ins.variant == mk.variant || ins.variant == was {
			ins.variant = [...]int{1, 4, 5, 6}[w.rng.IntN(4)]
		}
		w.mark(g, "plan-csr-variant-mismatch", mk, nil)
	}
}

func (w *weekTwo) mark(g *generator, rule string, p *policy, m *member) {
	w.changed[truthKey(g.finding(rule, p, m, ""))] = true
}

// plantNew plants a discrepancy that appears in week 2 on a clean,
// effectuated policy, changing only the insurer's view.
func (w *weekTwo) plantNew(g *generator, mk, ins *policy) {
	r := w.rng
	j := r.IntN(len(mk.members))
	switch r.IntN(4) {
	case 0:
		d := 100 + int64(r.IntN(5000))
		switch {
		case mk.aptc+d <= mk.total:
			ins.aptc = mk.aptc + d
		case mk.aptc >= d:
			ins.aptc = mk.aptc - d
		default:
			return
		}
		g.expect("aptc-mismatch", mk, nil, "")
	case 1:
		ins.members[j].premium += 100 + int64(r.IntN(2000))
		g.expect("member-premium-mismatch", mk, &mk.members[j], "")
	case 2:
		for strings.EqualFold(ins.members[j].last, mk.members[j].last) {
			ins.members[j].last = g.names.last[r.IntN(len(g.names.last))]
		}
		g.expect("name-mismatch", mk, &mk.members[j], "")
	case 3:
		if len(mk.members) < 2 {
			return
		}
		j = 1 + r.IntN(len(mk.members)-1)
		ins.members = append(ins.members[:j], ins.members[j+1:]...)
		w.dropped[mk.members[j].id] = true
		g.expect("member-missing-at-insurer", mk, &mk.members[j], "")
	}
	g.sum.PlantedPolicies++
}

func truthKey(t Truth) string {
	return strings.Join([]string{t.Category, t.Rule, t.ExchangePolicyID, memberKey(t), t.Side, t.Field}, "|")
}

// lifecycle gives every finding of either week its status in week 2.
func lifecycle(one, two []Truth, changed map[string]bool) []LifecycleTruth {
	inOne := map[string]bool{}
	for _, t := range one {
		inOne[truthKey(t)] = true
	}
	inTwo := map[string]bool{}
	var out []LifecycleTruth
	for _, t := range two {
		k := truthKey(t)
		inTwo[k] = true
		s := StatusNew
		switch {
		case inOne[k] && changed[k]:
			s = StatusChanged
		case inOne[k]:
			s = StatusPersisting
		}
		out = append(out, LifecycleTruth{t, s})
	}
	for _, t := range one {
		if !inTwo[truthKey(t)] {
			out = append(out, LifecycleTruth{t, StatusResolved})
		}
	}
	slices.SortFunc(out, func(a, b LifecycleTruth) int { return Compare(a.Truth, b.Truth) })
	return out
}

func writeLifecycle(path string, seed int64, lc []LifecycleTruth) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create lifecycle truth: %w", err)
	}
	defer closeFile(f, &err)
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "{\"seed\": %d, \"as_of\": [%q, %q], \"week_2\": [", seed, AsOf[0], AsOf[1])
	if err := writeEntries(w, lc); err != nil {
		return fmt.Errorf("encode lifecycle truth: %w", err)
	}
	w.WriteString("]}\n")
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write lifecycle truth: %w", err)
	}
	return nil
}
