package synth

import (
	"strconv"
	"strings"
)

// kind is a planted discrepancy. Each yields exactly the findings it records
// in the truth under the default rules, and nothing else: the rest of its
// policy is identical on both sides.
type kind int

// Kinds in planting order: the first ten cover the ten categories, so even a
// handful of plants spreads over all of them.
const (
	clean                kind = iota
	missingPolicy             // live policy absent at the insurer
	unknownPolicy             // insurer-only policy
	csrVariant                // insurer has another CSR variant of the plan
	aptcDiffers               // insurer APTC differs, within the premium
	totalPremium              // insurer total and subscriber premium both differ
	coverageEnd               // insurer ends one member's coverage early
	cancelledEffectuated      // marketplace cancelled, insurer effectuated
	lastName                  // one member's last name differs
	duplicateRow              // one member row repeated in one file
	endBeforeStart            // one member's end before start, in both files
	missingMember             // live dependent absent at the insurer
	unknownMember             // extra dependent at the insurer
	otherPlan                 // insurer has another plan of the same issuer
	aptcAbovePremium          // APTC above the total premium, in both files
	memberPremium             // one member's premium differs
	coverageStart             // insurer starts one member's coverage later
	pendingEffectuated        // marketplace pending, insurer effectuated
	birthDate                 // one member's birth date differs
	overlappingPolicies       // a child of an earlier policy is also on this one, in both files
	malformedPlan             // 14-character plan ID without CSR variant, in both files
	genderDiffers             // one member's gender differs
	ssnDiffers                // one member's SSN differs
	foreignPlan               // plan of another issuer, in both files
	csrAmount                 // insurer CSR amount differs
	numKinds
)

// Kinds planted only with Options.Unreadable (the first four) or
// Options.MistypedIDs (the other three), after the others in turn. The
// unreadable ones come with a policy-level discrepancy the audit must still
// find on that member's policy.
const (
	unreadablePaidThrough kind = numKinds + iota // insurer paid-through date 13/45/2026
	unreadablePremium                            // insurer member premium "abc"
	unreadableBirthDate                          // insurer birth date "not a date"
	unreadableGender                             // insurer gender "Q"
	mistypedMember                               // a dependent's member ID mistyped at the insurer
	mistypedMemberName                           // the same, and its SSN too (or it has none)
	rekeyedPolicy                                // the whole policy under another policy ID at the insurer
)

// badValue is a value the insurer wrote so that it cannot be read (zero:
// none).
type badValue uint8

const (
	badPaidThrough badValue = iota + 1
	badPremium
	badBirthDate
	badGender
)

// badFields are the canonical fields of the bad values, badText their text.
var (
	badFields = [...]string{badPaidThrough: "paid_through_date", badPremium: "member_premium", badBirthDate: "birth_date", badGender: "gender"}
	badText   = [...]string{badPaidThrough: "13/45/2026", badPremium: "abc", badBirthDate: "not a date", badGender: "Q"}
)

// Rules of the findings messy plants expect, and the identity-matching
// methods (how the audit pairs a person whose IDs differ).
const (
	// RuleFieldUnreadable reports a value that cannot be read in a non-key field.
	RuleFieldUnreadable = "field-unreadable"
	// RuleMemberIdentifiers and RulePolicyIdentifiers report a member, or a
	// whole policy, the insurer has under other IDs (wrong_identifiers).
	RuleMemberIdentifiers = "member-identifiers-differ"
	RulePolicyIdentifiers = "policy-identifiers-differ"

	MethodMemberID     = "exchange_member_id"
	MethodSSNBirthDate = "ssn_birth_date"
	MethodNameBirth    = "name_birth_date"
)

// mistyped is a member ID with its leading 7 read as a 1: generated member
// IDs all start with 7, so it is never another member's.
func mistyped(id int64) int64 { return id - 6_000_000_000 }

// ssnTypo is ssn with one digit mistyped, as a person keying it would: its
// last digit one more, or 8 for a 9 (so the serial never becomes 0000).
func ssnTypo(ssn int32) int32 {
	if ssn%10 == 9 {
		return ssn - 1
	}
	return ssn + 1
}

// rekeyed is a policy ID with its first two digits swapped (12... to
// 21...): generated policy IDs all start with 12, so it is never another
// policy's.
func rekeyed(id int64) int64 { return id + 900_000_000 }

// ruleCategory is the category of every rule a plant expects.
var ruleCategory = map[string]string{
	"policy-missing-at-insurer":        "missing_enrollment",
	"member-missing-at-insurer":        "missing_enrollment",
	"policy-unknown-to-marketplace":    "unknown_enrollment",
	"member-unknown-to-marketplace":    "unknown_enrollment",
	"plan-csr-variant-mismatch":        "wrong_plan",
	"plan-mismatch":                    "wrong_plan",
	"aptc-mismatch":                    "wrong_subsidy",
	"aptc-above-premium":               "wrong_subsidy",
	"csr-amount-mismatch":              "wrong_subsidy",
	"total-premium-mismatch":           "wrong_premium",
	"member-premium-mismatch":          "wrong_premium",
	"coverage-dates-mismatch":          "wrong_coverage_dates",
	"status-cancelled-but-effectuated": "wrong_status",
	"status-mismatch":                  "wrong_status",
	"name-mismatch":                    "wrong_demographics",
	"birth-date-mismatch":              "wrong_demographics",
	"gender-mismatch":                  "wrong_demographics",
	"ssn-mismatch":                     "wrong_demographics",
	"duplicate-member-row":             "duplicate_enrollment",
	"member-in-overlapping-policies":   "duplicate_enrollment",
	RuleFieldUnreadable:                "invalid_record",
	RuleMemberIdentifiers:              "wrong_identifiers",
	RulePolicyIdentifiers:              "wrong_identifiers",
	"benefit-end-before-start":         "invalid_record",
	"plan-id-malformed":                "invalid_record",
	"plan-issuer-mismatch":             "invalid_record",
}

const (
	sideMarketplace = "marketplace"
	sideInsurer     = "insurer"
)

// nextKind takes the next kind in turn; a child for overlapping policies
// must first have been seen on a clean policy.
func (g *generator) nextKind() kind {
	for {
		k := g.turn
		g.turn = g.turn%(numKinds-1+kind(len(g.kinds))) + 1
		if k >= numKinds {
			k = g.kinds[k-numKinds]
		}
		if k != overlappingPolicies || g.haveChild {
			return k
		}
	}
}

// specFor constrains the policy a kind is planted on: effectuated (so its
// rows count on both sides), with a dependent or a silver plan when needed.
func (g *generator) specFor(k kind) spec {
	sp := spec{status: effectuated, minMembers: 1}
	switch k {
	case clean:
		sp.anyStatus = true
	case missingPolicy:
		if g.chance(25) {
			sp.status = pending
		}
	case missingMember, mistypedMember, mistypedMemberName:
		sp.minMembers = 2
	case csrVariant:
		sp.silver = true
	case csrAmount:
		sp.csr = true
	}
	return sp
}

// plant applies k to the marketplace view mk and the insurer view ins
// (equal on entry) and records the findings it must produce.
func (g *generator) plant(k kind, mk, ins *policy) {
	if k == clean {
		return
	}
	r := g.rng
	j := r.IntN(len(mk.members)) // the member a member-level plant touches
	mj := &mk.members[j]
	ij := &ins.members[j]
	switch k {
	case missingPolicy:
		g.dropInsurer = true
		g.expect("policy-missing-at-insurer", mk, nil, "")
	case unknownPolicy:
		g.extraInsurer = true
	case missingMember:
		j = 1 + r.IntN(len(mk.members)-1)
		ins.members = append(ins.members[:j], ins.members[j+1:]...)
		g.expect("member-missing-at-insurer", mk, &mk.members[j], "")
	case unknownMember:
		sub := &mk.members[0]
		kid := g.person(r.IntN(min(18, ageAt(sub.birth, yearStart)-17)), r.IntN(2) == 0, sub.last)
		kid.rel = relChild
		kid.start, kid.end = sub.start, sub.end
		kid.premium = ins.premiumOf(&kid)
		ins.members = append(ins.members, kid)
		g.expect("member-unknown-to-marketplace", mk, &kid, "")
	case csrVariant:
		for ins.variant == mk.variant {
			ins.variant = [...]int{1, 4, 5, 6}[r.IntN(4)]
		}
		g.expect("plan-csr-variant-mismatch", mk, nil, "")
	case otherPlan:
		for ins.plan.base == mk.plan.base {
			ins.plan = mk.market.plans[r.IntN(len(mk.market.plans))]
		}
		ins.variant = 1
		g.expect("plan-mismatch", mk, nil, "")
	case aptcDiffers:
		d := 100 + int64(r.IntN(15000))
		switch {
		case mk.aptc+d <= mk.total:
			ins.aptc = mk.aptc + d
		case mk.aptc-d >= 0:
			ins.aptc = mk.aptc - d
		case mk.aptc > 0:
			ins.aptc = mk.aptc / 2
		default:
			ins.aptc = mk.total / 2
		}
		g.expect("aptc-mismatch", mk, nil, "")
	case aptcAbovePremium:
		mk.aptc = mk.total + 100 + int64(r.IntN(5000))
		ins.aptc = mk.aptc
		g.expect("aptc-above-premium", mk, nil, sideMarketplace)
		g.expect("aptc-above-premium", mk, nil, sideInsurer)
	case totalPremium:
		// The subscriber's premium moves with the total, as a rating
		// error would move it: the insurer's own rows stay consistent.
		d := 100 + int64(r.IntN(5000))
		if r.IntN(2) == 0 && mk.total-d >= mk.aptc && mk.members[0].premium > d {
			d = -d
		}
		ins.total += d
		ins.members[0].premium += d
		g.expect("total-premium-mismatch", mk, nil, "")
		g.expect("member-premium-mismatch", mk, &mk.members[0], "")
	case memberPremium:
		d := 100 + int64(r.IntN(3000))
		if r.IntN(2) == 0 && mj.premium > d {
			d = -d
		}
		ij.premium += d
		g.expect("member-premium-mismatch", mk, mj, "")
	case coverageEnd:
		_, m, _ := mj.start.civil()
		ij.end = lastOfMonth(year, m+r.IntN(12-m))
		g.expect("coverage-dates-mismatch", mk, mj, "")
	case coverageStart:
		_, m, _ := mj.start.civil()
		ij.start = dayOf(year, m+1, 1)
		g.expect("coverage-dates-mismatch", mk, mj, "")
	case cancelledEffectuated, pendingEffectuated:
		rule := "status-cancelled-but-effectuated"
		mk.status = cancelled
		if k == pendingEffectuated {
			rule = "status-mismatch"
			mk.status = pending
		}
		for i := range mk.members {
			g.expect(rule, mk, &mk.members[i], "")
		}
	case lastName:
		for strings.EqualFold(ij.last, mj.last) {
			ij.last = g.names.last[r.IntN(len(g.names.last))]
		}
		g.expect("name-mismatch", mk, mj, "")
	case birthDate:
		ij.birth -= day(1 + r.IntN(365))
		g.expect("birth-date-mismatch", mk, mj, "")
	case genderDiffers:
		ij.male = !mj.male
		g.expect("gender-mismatch", mk, mj, "")
	case ssnDiffers:
		if mj.ssn == 0 {
			mj, ij = &mk.members[0], &ins.members[0] // adults always have one
		}
		serial := mj.ssn % 10_000
		ij.ssn = mj.ssn - serial + serial%9999 + 1
		g.expect("ssn-mismatch", mk, mj, "")
	case duplicateRow:
		side, p := sideMarketplace, mk
		if r.IntN(2) == 0 {
			side, p = sideInsurer, ins
		}
		p.dup = j
		g.expect("duplicate-member-row", mk, mj, side)
	case overlappingPolicies:
		x := &mk.members[len(mk.members)-1]
		g.expect("member-in-overlapping-policies", mk, x, sideMarketplace)
		// Week 2's insurer may have dropped the child from its first policy
		// (a new discrepancy there): its roster then has no overlap.
		if g.week == nil || !g.week.dropped[x.id] {
			g.expect("member-in-overlapping-policies", mk, x, sideInsurer)
		}
	case endBeforeStart:
		mj.end = mj.start - day(1+r.IntN(30))
		ij.end = mj.end
		g.expect("benefit-end-before-start", mk, mj, sideMarketplace)
		g.expect("benefit-end-before-start", mk, mj, sideInsurer)
	case malformedPlan:
		mk.variant, ins.variant = -1, -1
		g.expect("plan-id-malformed", mk, nil, sideMarketplace)
		g.expect("plan-id-malformed", mk, nil, sideInsurer)
	case foreignPlan:
		mk.plan = otherIssuerPlan(g.markets, mk.market, r.IntN)
		mk.variant, mk.csr = 1, 0
		ins.plan, ins.variant, ins.csr = mk.plan, mk.variant, mk.csr
		g.expect("plan-issuer-mismatch", mk, nil, sideMarketplace)
		g.expect("plan-issuer-mismatch", mk, nil, sideInsurer)
	case csrAmount:
		d := 100 + int64(r.IntN(2000))
		if r.IntN(2) == 0 && mk.csr >= d {
			d = -d
		}
		ins.csr += d
		g.expect("csr-amount-mismatch", mk, nil, "")
	case unreadablePaidThrough, unreadablePremium, unreadableBirthDate, unreadableGender:
		g.plant([...]kind{aptcDiffers, otherPlan}[r.IntN(2)], mk, ins)
		ij.unreadable = badValue(k-unreadablePaidThrough) + badPaidThrough
		g.expect(RuleFieldUnreadable, mk, mj, sideInsurer)
		g.truth[len(g.truth)-1].Field = badFields[ij.unreadable]
	case mistypedMember, mistypedMemberName:
		// A dependent, so the policy's subscriber row pairs as usual.
		j = 1 + r.IntN(len(mk.members)-1)
		mj, ij = &mk.members[j], &ins.members[j]
		ij.id = mistyped(mj.id)
		method := MethodNameBirth
		switch {
		case k == mistypedMember && mj.ssn != 0:
			method = MethodSSNBirthDate
			ij.premium += 100 + int64(r.IntN(3000))
			g.expect("member-premium-mismatch", mk, mj, "")
		case k == mistypedMember:
			ij.male = !mj.male
			g.expect("gender-mismatch", mk, mj, "")
		case mj.ssn != 0:
			// The SSN mistyped too: only name and birth date find the person.
			ij.ssn = ssnTypo(mj.ssn)
			g.expect("ssn-mismatch", mk, mj, "")
		}
		g.expectIdentity(mk, mj, method, ins.id, ij.id)
	case rekeyedPolicy:
		ins.id = rekeyed(mk.id)
		g.plant([...]kind{aptcDiffers, pendingEffectuated}[r.IntN(2)], mk, ins)
		g.expectIdentity(mk, nil, MethodMemberID, ins.id, 0)
	}
}

// expectIdentity expects one wrong_identifiers finding: for member m (nil
// for a whole policy) of marketplace policy mk, found under the insurer's
// policy and member IDs (member 0 when m is nil).
func (g *generator) expectIdentity(mk *policy, m *member, method string, insPolicy, insMember int64) {
	rule := RuleMemberIdentifiers
	if m == nil {
		rule = RulePolicyIdentifiers
	}
	g.expect(rule, mk, m, "")
	t := &g.truth[len(g.truth)-1]
	t.Method = method
	t.InsurerPolicyID = strconv.FormatInt(insPolicy, 10)
	if m != nil {
		t.InsurerMemberID = g.memberID(insMember)
	}
}
