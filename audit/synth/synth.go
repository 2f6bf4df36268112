// Package synth generates synthetic enrollment data with ground truth: a
// marketplace file, an insurer roster in the insurer's own layout with its
// mapping file, and the exact findings the default rules must produce for
// the discrepancies planted between them.
package synth

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// DefaultRate is the share of policies planted with a discrepancy when
// Options.Rate is zero.
const DefaultRate = 0.05

// Files Generate writes into its directory.
const (
	MarketplaceFile    = "marketplace.csv"
	InsurerFile        = "insurer.csv"
	InsurerMappingFile = "insurer-mapping.yaml"
	TruthFile          = "truth.json"
)

// Options say how much data to generate and how to spoil it.
type Options struct {
	Policies int   // number of marketplace policies
	Seed     int64 // the same seed gives byte-identical files
	// Rate is the fraction of policies planted with a discrepancy: 0 means
	// DefaultRate, a negative rate plants nothing.
	Rate float64
	// Noise adds harmless formatting noise to the insurer roster (mixed case
	// names, "$1,234.50", sub-cent digits, dashed SSNs, zips without their
	// leading zero, hyphenated plan IDs). DefaultOptions turns it on.
	Noise bool
	// Profile is the shape of the files: ProfileBasic ("" too) or
	// ProfileWide (docs/synthetic-data.md).
	Profile string
	// Unreadable and MistypedIDs also plant what real extracts carry and
	// the audit must see through: unreadable non-key values at the
	// insurer; mistyped member IDs and whole policies keyed under another
	// policy ID. Off, the files are byte-identical to those of a generator
	// without them.
	Unreadable, MistypedIDs bool
	// Weeks: 0 or 1 writes one week's files into the directory; 2 writes
	// two weeks' extracts into week-1/ and week-2/, and LifecycleFile: what
	// became of every finding of week 1 in week 2, and the new ones.
	Weeks int
}

// Profiles Options.Profile names.
const (
	// ProfileBasic: canonical marketplace headers, an insurer roster of 24
	// columns with US dates, formatting noise on many rows.
	ProfileBasic = "basic"
	// ProfileWide resembles real extracts: every optional field populated,
	// extra text columns, long accented names, IDs with leading zeros, the
	// insurer's own DD-Mon-YYYY dates and $1,234.50 amounts, and
	// formatting noise on about 8% of the insurer's rows.
	ProfileWide = "wide"
)

// Profiles lists the profiles, default first.
var Profiles = []string{ProfileBasic, ProfileWide}

// DefaultOptions are the command's defaults.
func DefaultOptions() Options {
	return Options{Policies: 1000, Seed: 1, Rate: DefaultRate, Noise: true}
}

// Truth is one finding the audit must produce.
type Truth struct {
	Category         string  `json:"category"`
	Rule             string  `json:"rule"` // the default rule expected to report it
	ExchangePolicyID string  `json:"exchange_policy_id"`
	ExchangeMemberID *string `json:"exchange_member_id"` // nil for policy-level findings
	Side             string  `json:"side"`               // "marketplace" or "insurer" for single-file findings, else ""
	// Field is the field a field-unreadable finding names.
	Field string `json:"field,omitempty"`
	// Method, for a wrong_identifiers finding, is how identity matching
	// must pair the person (Method* constants); InsurerPolicyID and
	// InsurerMemberID are the IDs the insurer has them under (the policy's
	// only, for a whole policy under another ID).
	Method          string `json:"method,omitempty"`
	InsurerPolicyID string `json:"insurer_exchange_policy_id,omitempty"`
	InsurerMemberID string `json:"insurer_exchange_member_id,omitempty"`
}

// Summary describes what Generate wrote.
type Summary struct {
	Policies        int // marketplace policies
	Members         int // marketplace members (policy, member pairs)
	MarketplaceRows int
	InsurerRows     int
	PlantedPolicies int     // policies carrying a planted discrepancy
	Planted         []Truth // the findings the audit must produce, sorted
	// Lifecycle, for a week pair, counts week 2's findings by lifecycle
	// status (resolved ones included); Summary is then week 2's.
	Lifecycle map[string]int `json:",omitempty"`
}

type generator struct {
	layout  *layout
	markets []market
	names   *names
	kinds   []kind // planted in turn after the first numKinds-1 (messy plants)

	rng        *rand.Rand // the data
	noise      *rand.Rand // formatting noise only (nil without), so noise never changes the data
	nextPolicy int64
	nextMember int64

	turn      kind   // next kind to plant
	child     member // a child of a clean policy, for overlappingPolicies
	haveChild bool

	// What the current plant does beyond changing the views.
	dropInsurer, extraInsurer bool

	mk, ins, extra policy   // reused views
	week           *weekTwo // what week 2 does to week 1's data; nil for week 1 or a single week
	truth          []Truth
	sum            Summary
	buf            []byte
	mkOut, insOut  *bufio.Writer
}

// Generate writes MarketplaceFile, InsurerFile, InsurerMappingFile and
// TruthFile into dir (created if needed), streaming the rows: only the
// truth is held in memory.
func Generate(ctx context.Context, dir string, opts Options) (Summary, error) {
	if opts.Policies < 1 {
		return Summary{}, fmt.Errorf("policies must be at least 1, not %d", opts.Policies)
	}
	rate := opts.Rate
	if rate == 0 {
		rate = DefaultRate
	}
	if rate > 1 {
		return Summary{}, fmt.Errorf("rate must be at most 1, not %g", rate)
	}
	lay, ok := layouts[opts.Profile]
	if !ok {
		return Summary{}, fmt.Errorf("unknown profile %q (want one of %s)", opts.Profile, strings.Join(Profiles, ", "))
	}
	if opts.Weeks > 1 {
		return generateWeeks(ctx, dir, opts, rate, lay)
	}
	return newGenerator(opts, lay).generate(ctx, dir, opts.Seed, opts.Policies, rate)
}

func newGenerator(opts Options, lay *layout) *generator {
	g := &generator{
		layout:     lay,
		markets:    markets,
		names:      &basicNames,
		rng:        rand.New(rand.NewPCG(uint64(opts.Seed), 0x656e726f6c6c)),
		nextPolicy: 1_200_000_000,
		nextMember: 7_000_000_000,
		turn:       1,
		buf:        make([]byte, 0, 512),
	}
	if opts.Noise {
		g.noise = rand.New(rand.NewPCG(uint64(opts.Seed), 0x6e6f697365))
	}
	if opts.Profile == ProfileWide {
		g.markets, g.names = wideMarkets, &wideNames
	}
	if opts.Unreadable {
		g.kinds = append(g.kinds, unreadablePaidThrough, unreadablePremium, unreadableBirthDate, unreadableGender)
	}
	if opts.MistypedIDs {
		g.kinds = append(g.kinds, mistypedMember, mistypedMemberName, rekeyedPolicy)
	}
	return g
}

func (g *generator) generate(ctx context.Context, dir string, seed int64, policies int, rate float64) (Summary, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Summary{}, fmt.Errorf("create output directory: %w", err)
	}
	g.sum.Policies = policies
	err := g.writeData(ctx, dir, policies, rate)
	if err == nil {
		err = g.writeMappings(dir)
	}
	if err == nil {
		err = g.writeTruth(filepath.Join(dir, TruthFile), seed)
	}
	if err != nil {
		return Summary{}, err
	}
	g.sum.Planted = g.truth
	return g.sum, nil
}

func (g *generator) writeData(ctx context.Context, dir string, policies int, rate float64) (err error) {
	mkF, err := os.Create(filepath.Join(dir, MarketplaceFile))
	if err != nil {
		return fmt.Errorf("create marketplace file: %w", err)
	}
	defer closeFile(mkF, &err)
	insF, err := os.Create(filepath.Join(dir, InsurerFile))
	if err != nil {
		return fmt.Errorf("create insurer file: %w", err)
	}
	defer closeFile(insF, &err)
	g.mkOut = bufio.NewWriterSize(mkF, 1<<20)
	g.insOut = bufio.NewWriterSize(insF, 1<<20)
	g.mkOut.WriteString(g.layout.marketplaceHeader)
	for i, c := range g.layout.insurerColumns {
		if i > 0 {
			g.insOut.WriteByte(',')
		}
		g.insOut.WriteString(c[1])
	}
	g.insOut.WriteByte('\n')

	for i := range policies {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		g.policy(rate)
	}
	// bufio.Writer keeps its first error: checking at the flush is enough.
	if err := g.mkOut.Flush(); err != nil {
		return fmt.Errorf("write marketplace file: %w", err)
	}
	if err := g.insOut.Flush(); err != nil {
		return fmt.Errorf("write insurer file: %w", err)
	}
	return nil
}

func closeFile(f *os.File, err *error) {
	if cerr := f.Close(); cerr != nil && *err == nil {
		*err = fmt.Errorf("close %s: %w", f.Name(), cerr)
	}
}

// policy draws one marketplace policy, plants a discrepancy on it at the
// given rate, and writes both sides' rows.
func (g *generator) policy(rate float64) {
	k := clean
	if rate > 0 && g.rng.Float64() < rate {
		k = g.nextKind()
		g.sum.PlantedPolicies++
	}
	var extra *member
	if k == overlappingPolicies {
		extra, g.haveChild = &g.child, false
	}
	g.fill(&g.mk, g.specFor(k), extra)
	copyPolicy(&g.ins, &g.mk)
	g.dropInsurer, g.extraInsurer = false, false
	if g.week != nil {
		g.week.before(k, &g.mk, len(g.truth))
	}
	g.plant(k, &g.mk, &g.ins)
	resolved := g.week != nil && g.week.after(g, k)

	g.sum.Members += len(g.mk.members)
	g.sum.MarketplaceRows += g.writeRows(g.mkOut, &g.mk, g.layout.marketplaceRow)
	if !g.dropInsurer {
		g.sum.InsurerRows += g.writeRows(g.insOut, &g.ins, g.layout.insurerRow)
	}
	if g.extraInsurer {
		// Drawn even when resolved, so week 2 keeps week 1's random numbers.
		g.fill(&g.extra, spec{status: effectuated, minMembers: 1}, nil)
		if !resolved {
			g.expect("policy-unknown-to-marketplace", &g.extra, nil, "")
			g.sum.InsurerRows += g.writeRows(g.insOut, &g.extra, g.layout.insurerRow)
		}
	}
	if k == clean && g.mk.status == effectuated {
		if last := &g.mk.members[len(g.mk.members)-1]; last.rel == relChild {
			g.child, g.haveChild = *last, true
		}
	}
}

// writeRows writes a policy's rows (a duplicated member twice) and returns
// how many.
func (g *generator) writeRows(w *bufio.Writer, p *policy, row rowWriter) int {
	n := 0
	for i := range p.members {
		g.buf = row(g, g.buf[:0], p, &p.members[i])
		w.Write(g.buf)
		n++
		if i == p.dup {
			w.Write(g.buf)
			n++
		}
	}
	return n
}

func (g *generator) expect(rule string, p *policy, m *member, side string) {
	g.truth = append(g.truth, g.finding(rule, p, m, side))
}

// finding is the truth entry of rule on policy p, member m (nil for a
// policy-level finding).
func (g *generator) finding(rule string, p *policy, m *member, side string) Truth {
	t := Truth{Category: ruleCategory[rule], Rule: rule, ExchangePolicyID: strconv.FormatInt(p.id, 10), Side: side}
	if m != nil {
		id := g.memberID(m.id)
		t.ExchangeMemberID = &id
	}
	return t
}

// Compare orders truth entries by category, policy, member (policy-level
// first), side and rule.
func Compare(a, b Truth) int {
	return cmp.Or(
		cmp.Compare(a.Category, b.Category),
		cmp.Compare(a.ExchangePolicyID, b.ExchangePolicyID),
		cmp.Compare(memberKey(a), memberKey(b)),
		cmp.Compare(a.Side, b.Side),
		cmp.Compare(a.Rule, b.Rule),
		cmp.Compare(a.Field, b.Field))
}

func memberKey(t Truth) string {
	if t.ExchangeMemberID == nil {
		return ""
	}
	return *t.ExchangeMemberID
}

// writeTruth writes truth.json with one planted finding a line, so fixture
// changes read well in a diff.
func (g *generator) writeTruth(path string, seed int64) (err error) {
	slices.SortFunc(g.truth, Compare)
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create truth file: %w", err)
	}
	defer closeFile(f, &err)
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "{\"seed\": %d, \"policies\": %d, \"members\": %d, \"planted\": [", seed, g.sum.Policies, g.sum.Members)
	if err := writeEntries(w, g.truth); err != nil {
		return fmt.Errorf("encode truth: %w", err)
	}
	w.WriteString("]}\n")
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write truth file: %w", err)
	}
	return nil
}

// writeMappings writes the insurer roster's mapping file.
func (g *generator) writeMappings(dir string) error {
	b := []byte("version: 1\n# The synthetic insurer roster's layout (enrollaudit generate).\ncolumns:\n")
	for _, c := range g.layout.insurerColumns {
		if c[0] != "" {
			b = fmt.Appendf(b, "  %s: %q\n", c[0], c[1])
		}
	}
	b = append(b, g.layout.insurerFormats...)
	if err := os.WriteFile(filepath.Join(dir, InsurerMappingFile), b, 0o644); err != nil {
		return fmt.Errorf("write mapping: %w", err)
	}
	return nil
}

// writeEntries writes a truth file's entries, one JSON object a line, as
// the elements of the array the caller opened; the caller closes it.
func writeEntries[T any](w *bufio.Writer, entries []T) error {
	for i, t := range entries {
		line, err := json.Marshal(t)
		if err != nil {
			return err
		}
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString("\n  ")
		w.Write(line)
	}
	w.WriteString("\n")
	return nil
}
