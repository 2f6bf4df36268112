package x12

import (
	"slices"
	"strings"

	"github.com/enrollaudit/enrollaudit/canonical"
)

// loop is where a member's segments are, within loop 2000.
type loop int

const (
	loop2000    loop = iota
	loop2100A        // NM1*IL: member name, residence, demographics
	loop2100         // other 2100 loops: mailing address, custodial parent, ...
	loop2300         // HD: health coverage
	loop2300Sub      // 2310 provider, 2320/2330 coordination of benefits
	loop2700         // LS*2700 ... LE*2700: reporting categories
	loop2750         // N1*75: one reporting category
	loopDone         // after LE*2700 only INS or SE may follow
)

// member is one loop 2000, from INS to the next INS or SE.
type member struct {
	ins    int // segment number of INS
	sub    bool
	typ    string // INS03 maintenance type
	reason string // INS04 maintenance reason
	rec    canonical.Record
	zz     string // REF*ZZ of loop 2000: issuer member ID when there is no REF*23
	named  bool   // NM1*IL seen
	housed bool   // N4 of loop 2100A seen
	demo   bool   // DMG of loop 2100A seen
	amrc   string // ADDL MAINT REASON, when a CMS value
	exch   string // SOURCE EXCHANGE ID
	covs   []coverage
	loop   loop
	ls     int    // segment number of LS*2700
	cat    string // reporting category of the current 2750 loop
	catRef bool   // its REF has been read
	cats   []catValue
}

// catValue is one 2750 loop of a category that is read.
type catValue struct {
	cat  string
	val  string
	num  int    // segment number of its REF
	from string // DTP*007 CCYYMMDD, "" when absent
}

// coverage is one loop 2300 (HD).
type coverage struct {
	line         string // HD03 insurance line
	policy       string // REF*1L
	qhp          string // REF*CE without hyphen
	issuerPolicy string // REF*X9
	start        string // DTP*348
	end          string // DTP*349
	paid         string // DTP*543
	endNum       int    // segment number of DTP*349
	endRaw       string
}

// categories are the 2750 reporting categories that are read, with their
// canonical field; -1 when read only to check or steer something else.
var categories = []struct {
	name  string
	field int
}{
	{"APTC AMT", field("aptc_amount")},
	{"CSR AMT", field("csr_amount")},
	{"PRE AMT 1", field("member_premium")},
	{"PRE AMT TOT", field("total_premium")},
	{"RATING AREA", fRatingArea},
	{"TOT RES AMT", -1},
	{"SOURCE EXCHANGE ID", -1},
	{"ADDL MAINT REASON", -1},
}

// readCategory reports whether the 2750 category cat is read.
func readCategory(cat string) bool {
	for _, c := range categories {
		if c.name == cat {
			return true
		}
	}
	return false
}

// newMember returns a member to fill, reusing one of an earlier
// transaction: allocating one a member was a third of the parse's memory.
func (rd *reader) newMember() *member {
	n := len(rd.free)
	if n == 0 {
		return &member{}
	}
	m := rd.free[n-1]
	rd.free = rd.free[:n-1]
	*m = member{covs: m.covs[:0], cats: m.cats[:0]}
	return m
}

func (rd *reader) beginMember(t *txn, seg segment) error {
	m := rd.newMember()
	m.ins, m.typ, m.reason = seg.num, seg.el(3), seg.el(4)
	t.cur = m
	// Codes outside their lists are passed on as sent: the normaliser
	// records the field as a problem and the member still loads.
	m.sub = seg.el(1) == "Y"
	m.rec.Values[fSubscriberIndicator] = seg.el(1)
	m.rec.Values[fRelationshipCode] = seg.el(2)
	if m.reason != "" && !maintenanceReasons[m.reason] {
		rd.warn("segment %d (INS), element 4: maintenance reason %q is not an 834 maintenance reason code; the status comes from INS03 alone", seg.num, m.reason)
		m.reason = ""
	}
	return nil
}

func (rd *reader) memberSegment(t *txn, m *member, seg segment) error {
	id := seg.id()
	if m.loop == loopDone {
		return rd.breakTxn(t, "%s at segment %d is out of place after LE*2700", id, seg.num)
	}
	switch id {
	case "BGN":
		return rd.breakTxn(t, "BGN at segment %d is out of place in loop 2000", seg.num)
	case "LS":
		if m.loop >= loop2700 {
			return rd.breakTxn(t, "LS at segment %d is out of place in loop 2700", seg.num)
		}
		m.loop, m.ls = loop2700, seg.num
		return nil
	case "LE":
		if m.loop < loop2700 {
			return rd.breakTxn(t, "LE at segment %d has no LS before it", seg.num)
		}
		m.loop = loopDone
		return nil
	}
	if m.loop >= loop2700 {
		return rd.reportingSegment(t, m, seg)
	}
	switch id {
	case "NM1":
		switch {
		case m.loop >= loop2300:
			m.loop = loop2300Sub
		case seg.el(1) == "IL":
			m.loop = loop2100A
			if !m.named {
				return rd.memberName(m, seg)
			}
		default:
			m.loop = loop2100
		}
	case "N4":
		if m.loop == loop2100A && !m.housed {
			m.housed = true
			m.rec.Values[fState] = seg.el(2)
			m.rec.Values[fZip] = seg.el(3)
		}
	case "DMG":
		if m.loop == loop2100A && !m.demo {
			m.demo = true
			return rd.demographics(t, m, seg)
		}
	case "HD":
		m.covs = append(m.covs, coverage{line: seg.el(3)})
		m.loop = loop2300
	case "LX", "COB":
		if m.loop >= loop2300 {
			m.loop = loop2300Sub
		}
	case "REF":
		switch m.loop {
		case loop2000:
			m.memberRef(seg, rd.comp)
		case loop2300:
			m.covs[len(m.covs)-1].ref(seg, rd.comp)
		}
	case "DTP":
		if m.loop == loop2300 {
			return rd.coverageDate(m, seg)
		}
	}
	return nil
}

// setOnce keeps the first value sent for a field.
func setOnce(rec *canonical.Record, field int, v string) {
	if rec.Values[field] == "" {
		rec.Values[field] = v
	}
}

// policyID reads REF*1L: some exchanges send it as a composite (the
// policy ID, then a component separator and a suffix such as the plan
// year or a sequence number); the policy ID is the first component.
func policyID(v, comp string) string {
	if id, _, found := strings.Cut(v, comp); found && comp != "" {
		return strings.TrimSpace(id)
	}
	return v
}

func (m *member) memberRef(seg segment, comp string) {
	v := seg.el(2)
	switch seg.el(1) {
	case "0F":
		setOnce(&m.rec, fExchangeSubscriberID, v)
	case "17":
		setOnce(&m.rec, fExchangeMemberID, v)
	case "1L":
		setOnce(&m.rec, fExchangePolicyID, policyID(v, comp))
	case "23":
		setOnce(&m.rec, fIssuerMemberID, v)
	case "ZZ":
		if m.zz == "" {
			m.zz = v
		}
	}
}

func (c *coverage) ref(seg segment, comp string) {
	v := seg.el(2)
	switch seg.el(1) {
	case "1L":
		if c.policy == "" {
			c.policy = policyID(v, comp)
		}
	case "CE":
		if c.qhp == "" {
			c.qhp = strings.ReplaceAll(v, "-", "")
		}
	case "X9":
		if c.issuerPolicy == "" {
			c.issuerPolicy = v
		}
	}
}

func (rd *reader) memberName(m *member, seg segment) error {
	m.named = true
	m.rec.Values[fLastName] = seg.el(3)
	m.rec.Values[fFirstName] = seg.el(4)
	// NM109 is an SSN only under qualifier 34; an SSN that is not 9 digits
	// goes on as sent, for the normaliser to record as a field problem.
	switch q := seg.el(8); q {
	case "34":
		if ssn, ok := normSSN(seg.el(9)); ok {
			m.rec.Values[fSSN] = ssn
		} else {
			m.rec.Values[fSSN] = seg.el(9)
		}
	case "", "ZZ":
	default:
		// Not quoted: a misplaced SSN ends up here.
		rd.warn("segment %d (NM1), element 8: the identification code qualifier is not 34 (SSN) or ZZ; NM109 is not read", seg.num)
	}
	return nil
}

// demographics reads DMG02 (birth date) and DMG03 (gender). A value that
// is not what X12 allows goes on as sent: the normaliser records the field
// as a problem, and the member loads.
func (rd *reader) demographics(t *txn, m *member, seg segment) error {
	m.rec.Values[fBirthDate] = x12Date(seg.el(2))
	m.rec.Values[fGender] = seg.el(3)
	return nil
}

func (rd *reader) coverageDate(m *member, seg segment) error {
	c := &m.covs[len(m.covs)-1]
	var dst *string
	switch seg.el(1) {
	case "348":
		dst = &c.start
	case "349":
		dst = &c.end
		if c.end == "" {
			c.endNum, c.endRaw = seg.num, seg.el(3)
		}
	case "543":
		dst = &c.paid
	default:
		return nil
	}
	if *dst == "" {
		*dst = x12Date(seg.el(3))
	}
	return nil
}

// reportingSegment reads the 2700 loop: LX, then N1*75 naming a category,
// REF with its value and DTP*007 with the date it applies from.
func (rd *reader) reportingSegment(t *txn, m *member, seg segment) error {
	switch seg.id() {
	case "LX":
		m.loop = loop2700
		return nil
	case "N1":
		m.loop = loop2750
		m.cat = strings.ToUpper(seg.el(2))
		m.catRef = seg.el(1) != "75" // only N1*75 names a category
		return nil
	case "REF":
		if m.loop != loop2750 || m.catRef {
			return nil
		}
		m.catRef = true
		if readCategory(m.cat) {
			if m.cats == nil {
				m.cats = make([]catValue, 0, len(categories))
			}
			m.cats = append(m.cats, catValue{cat: m.cat, val: seg.el(2), num: seg.num})
		}
		return nil
	case "DTP":
		// The date a category's value applies from follows its REF.
		if n := len(m.cats); m.loop == loop2750 && seg.el(1) == "007" && n > 0 && m.cats[n-1].cat == m.cat {
			m.cats[n-1].from = seg.el(3)
		}
		return nil
	}
	return rd.breakTxn(t, "%s at segment %d is out of place in loop 2700", seg.id(), seg.num)
}

// categoryValue picks the value of one reporting category among the loops
// that sent it: the one that applies from the latest DTP*007 date, since
// the audit compares what is current. Different values from the same date
// are passed on together ("250.00 | 200.00"), so that the normaliser records
// the field as a problem rather than one of them being taken at random.
// It returns the segment number of the (first) REF taken, 0 when the
// category was not sent.
func (m *member) categoryValue(cat string) (string, int) {
	var vals []string
	from, num := "", 0
	for _, c := range m.cats {
		switch {
		case c.cat != cat:
		case len(vals) == 0 || c.from > from:
			vals, from, num = append(vals[:0], c.val), c.from, c.num
		case c.from == from && !slices.Contains(vals, c.val):
			vals = append(vals, c.val)
		}
	}
	return strings.Join(vals, " | "), num
}

// readCategories sets the member's fields from the 2750 loops.
func (rd *reader) readCategories(m *member) {
	if len(m.cats) == 0 {
		return
	}
	for _, c := range categories {
		v, num := m.categoryValue(c.name)
		if num == 0 {
			continue
		}
		switch c.name {
		case "SOURCE EXCHANGE ID":
			m.exch = v
		case "ADDL MAINT REASON":
			if addlMaintReasons[strings.ToUpper(v)] {
				m.amrc = strings.ToUpper(v)
			} else {
				rd.warn("segment %d (REF), element 2: ADDL MAINT REASON %q is not a CMS value; the status comes from INS03/INS04 alone", num, v)
			}
		}
		if c.field >= 0 {
			m.rec.Values[c.field] = v
		}
	}
}

// endMember closes the current member, with the checks that need all of it.
func (rd *reader) endMember(t *txn) error {
	m := t.cur
	if m == nil {
		return nil
	}
	t.cur = nil
	if m.loop == loop2700 || m.loop == loop2750 {
		return rd.breakTxn(t, "LS at segment %d has no LE", m.ls)
	}
	rd.readCategories(m)
	t.members = append(t.members, m)
	return nil
}

// noCoverage stands for the coverage of a member without HD; it is only read.
var noCoverage = []coverage{{}}

// row is one canonical row of a member: one per coverage (HD), or one
// without coverage data when the member has no HD.
type row struct {
	rec  canonical.Record
	m    *member
	sub  string // exchange subscriber ID: REF*0F, or the subscriber's before it
	line string // HD03
}

// policyKey groups a dependent's row with its subscriber's: same subscriber
// ID and same insurance line.
type policyKey struct{ sub, line string }

func (r *row) key() policyKey { return policyKey{r.sub, r.line} }

// state is the row's state, or else its subscriber's (s, may be nil): the
// state a bare-number rating area is read with.
func (r *row) state(s *row) string {
	if st := r.rec.Values[fState]; st != "" || s == nil {
		return st
	}
	return s.rec.Values[fState]
}

func (m *member) rows(hios, sub string, rows []row) []row {
	base := m.rec
	base.Line = m.ins
	base.Values[fIssuerHIOSID] = hios
	setOnce(&base, fIssuerMemberID, m.zz)
	if exchangeStateRE.MatchString(m.exch) {
		setOnce(&base, fState, m.exch[:2])
	}
	covs := m.covs
	if len(covs) == 0 {
		covs = noCoverage
	}
	for i := range covs {
		c := &covs[i]
		rec := base
		if c.policy != "" {
			rec.Values[fExchangePolicyID] = c.policy
		}
		rec.Values[fIssuerPolicyID] = c.issuerPolicy
		rec.Values[fQHPID] = c.qhp
		rec.Values[fBenefitStart] = c.start
		rec.Values[fBenefitEnd] = c.end
		rec.Values[fPaidThroughDate] = c.paid
		if len(c.start) == 10 && c.start[4] == '-' { // read as a date
			rec.Values[fCoverageYear] = c.start[:4]
		}
		rec.Values[fEffectuationStatus] = m.status(c)
		rows = append(rows, row{rec: rec, m: m, sub: sub, line: c.line})
	}
	return rows
}

// status derives the effectuation status from the maintenance codes. It is
// "" for changes (001) and audits (030), which keep the policy's status:
// the caller takes it from the subscriber when there is one.
func (m *member) status(c *coverage) string {
	switch m.typ {
	case "021":
		if m.reason == "28" || m.amrc == "CONFIRM" {
			return "effectuated"
		}
		return "pending"
	case "024":
		switch {
		case strings.HasPrefix(m.amrc, "CANCEL"):
			return "cancelled"
		case strings.HasPrefix(m.amrc, "TERM"):
			return "terminated"
		case c.start != "" && c.end != "" && c.end <= c.start:
			return "cancelled"
		}
		return "terminated"
	case "025":
		return "effectuated"
	case "001", "030":
		return ""
	}
	// A code outside the list goes on as sent, for the normaliser to
	// record as a field problem.
	return m.typ
}
