package x12

import (
	"fmt"
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
	covs   []*coverage
	loop   loop
	ls     int    // segment number of LS*2700
	cat    string // reporting category of the current 2750 loop
	catRef bool   // its REF has been read
	cats   map[string]catValue
	bad    bool // rejected: no row
}

type catValue struct {
	val string
	num int // segment number
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

// categories maps the 2750 reporting categories that are read to their
// canonical field; "" when read only to check or steer something else.
var categories = map[string]string{
	"APTC AMT":           "aptc_amount",
	"CSR AMT":            "csr_amount",
	"PRE AMT 1":          "member_premium",
	"PRE AMT TOT":        "total_premium",
	"RATING AREA":        "rating_area",
	"TOT RES AMT":        "",
	"SOURCE EXCHANGE ID": "",
	"ADDL MAINT REASON":  "",
}

// rejectAt rejects member m for element el of the segment numbered num.
func (rd *reader) rejectAt(m *member, num int, id string, el int, value, format string, args ...any) error {
	m.bad = true
	reason := fmt.Sprintf("segment %d (%s), element %d: ", num, id, el) + fmt.Sprintf(format, args...)
	return rd.reject(num, fmt.Sprintf("%s%02d", id, el), value, reason)
}

func (rd *reader) rejectEl(m *member, seg segment, el int, format string, args ...any) error {
	return rd.rejectAt(m, seg.num, seg.id(), el, seg.el(el), format, args...)
}

func (rd *reader) beginMember(t *txn, seg segment) error {
	m := &member{ins: seg.num, typ: seg.el(3), reason: seg.el(4)}
	t.cur = m
	sub, rel := seg.el(1), seg.el(2)
	if sub == "Y" || sub == "N" {
		m.sub = sub == "Y"
		m.rec.Set("subscriber_indicator", sub)
	} else if err := rd.rejectEl(m, seg, 1, "subscriber indicator %q is not Y or N", sub); err != nil {
		return err
	}
	var err error
	switch {
	case !relationshipCodes[rel]:
		err = rd.rejectEl(m, seg, 2, "relationship code %q is not an 834 relationship code", rel)
	case sub == "Y" && rel != "18":
		err = rd.rejectEl(m, seg, 2, `relationship %q on a subscriber (INS01 "Y"), which must be "18" (self)`, rel)
	case sub == "N" && rel == "18":
		err = rd.rejectEl(m, seg, 2, `relationship "18" (self) on a dependent (INS01 "N")`)
	default:
		m.rec.Set("relationship_code", rel)
	}
	if err != nil {
		return err
	}
	if !maintenanceTypes[m.typ] {
		if err := rd.rejectEl(m, seg, 3, "maintenance type %q is not 001, 021, 024, 025 or 030", m.typ); err != nil {
			return err
		}
	}
	if m.reason != "" && !maintenanceReasons[m.reason] {
		return rd.rejectEl(m, seg, 4, "maintenance reason %q is not an 834 maintenance reason code", m.reason)
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
			m.rec.Set("state", seg.el(2))
			m.rec.Set("zip", seg.el(3))
		}
	case "DMG":
		if m.loop == loop2100A && !m.demo {
			m.demo = true
			return rd.demographics(t, m, seg)
		}
	case "HD":
		m.covs = append(m.covs, &coverage{line: seg.el(3)})
		m.loop = loop2300
	case "LX", "COB":
		if m.loop >= loop2300 {
			m.loop = loop2300Sub
		}
	case "REF":
		switch m.loop {
		case loop2000:
			m.memberRef(seg)
		case loop2300:
			m.covs[len(m.covs)-1].ref(seg)
		}
	case "DTP":
		if m.loop == loop2300 {
			return rd.coverageDate(m, seg)
		}
	}
	return nil
}

// setOnce keeps the first value sent for a field.
func setOnce(rec *canonical.Record, field, v string) {
	if rec.Get(field) == "" {
		rec.Set(field, v)
	}
}

func (m *member) memberRef(seg segment) {
	v := seg.el(2)
	switch seg.el(1) {
	case "0F":
		setOnce(&m.rec, "exchange_subscriber_id", v)
	case "17":
		setOnce(&m.rec, "exchange_member_id", v)
	case "1L":
		setOnce(&m.rec, "exchange_policy_id", v)
	case "23":
		setOnce(&m.rec, "issuer_member_id", v)
	case "ZZ":
		if m.zz == "" {
			m.zz = v
		}
	}
}

func (c *coverage) ref(seg segment) {
	v := seg.el(2)
	switch seg.el(1) {
	case "1L":
		if c.policy == "" {
			c.policy = v
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
	m.rec.Set("last_name", seg.el(3))
	m.rec.Set("first_name", seg.el(4))
	switch q, id := seg.el(8), seg.el(9); {
	case q == "" && id == "":
		return nil
	case q != "34" && q != "ZZ":
		return rd.rejectEl(m, seg, 8, "identification code qualifier %q is not 34 (SSN) or ZZ", q)
	case id == "":
		return rd.rejectEl(m, seg, 9, "no identification code after qualifier %q", q)
	case q == "ZZ":
		return nil
	}
	ssn, ok := normSSN(seg.el(9))
	if !ok {
		return rd.rejectEl(m, seg, 9, "SSN %q is not 9 digits", seg.el(9))
	}
	m.rec.Set("ssn", ssn)
	return nil
}

func (rd *reader) demographics(t *txn, m *member, seg segment) error {
	if d := seg.el(2); d != "" {
		iso, problem := isoDate(d)
		var err error
		switch {
		case seg.el(1) != "D8":
			err = rd.rejectEl(m, seg, 1, "date format %q is not D8", seg.el(1))
		case problem != "":
			err = rd.rejectEl(m, seg, 2, "%s", problem)
		default:
			m.rec.Set("birth_date", iso)
		}
		if err != nil {
			return err
		}
	}
	switch g := seg.el(3); g {
	case "M", "F", "U":
		m.rec.Set("gender", g)
	case "":
	default:
		return rd.rejectEl(m, seg, 3, "gender %q is not M, F or U", g)
	}
	return nil
}

func (rd *reader) coverageDate(m *member, seg segment) error {
	c := m.covs[len(m.covs)-1]
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
	if seg.el(2) != "D8" {
		return rd.rejectEl(m, seg, 2, "date format %q is not D8", seg.el(2))
	}
	iso, problem := isoDate(seg.el(3))
	if problem != "" {
		return rd.rejectEl(m, seg, 3, "%s", problem)
	}
	if *dst == "" {
		*dst = iso
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
		return rd.category(m, seg)
	case "DTP":
		return nil
	}
	return rd.breakTxn(t, "%s at segment %d is out of place in loop 2700", seg.id(), seg.num)
}

func (rd *reader) category(m *member, seg segment) error {
	field, ok := categories[m.cat]
	if !ok {
		return nil
	}
	v := seg.el(2)
	if prev, seen := m.cats[m.cat]; seen {
		if prev.val != v {
			return rd.rejectEl(m, seg, 2, "%s %q differs from %q at segment %d", m.cat, v, prev.val, prev.num)
		}
		return nil
	}
	if m.cats == nil {
		m.cats = make(map[string]catValue)
	}
	m.cats[m.cat] = catValue{val: v, num: seg.num}
	switch m.cat {
	case "RATING AREA":
		if !ratingAreaRE.MatchString(v) {
			return rd.rejectEl(m, seg, 2, "RATING AREA %q is not R-, a state code and 3 digits (R-NJ001)", v)
		}
	case "SOURCE EXCHANGE ID":
		m.exch = v
	case "ADDL MAINT REASON":
		if !addlMaintReasons[strings.ToUpper(v)] {
			rd.warn("segment %d (REF), element 2: ADDL MAINT REASON %q is not a CMS value; the status comes from INS03/INS04 alone", seg.num, v)
			return nil
		}
		m.amrc = strings.ToUpper(v)
	default:
		if !moneyRE.MatchString(v) {
			return rd.rejectEl(m, seg, 2, "%s %q is not a decimal amount", m.cat, v)
		}
	}
	if field != "" {
		m.rec.Set(field, v)
	}
	return nil
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
	if m.rec.Get("exchange_subscriber_id") == "" {
		m.bad = true
		if err := rd.reject(m.ins, "REF*0F", "", fmt.Sprintf("segment %d (INS): the member has no REF*0F (exchange subscriber ID)", m.ins)); err != nil {
			return err
		}
	}
	if !m.named {
		m.bad = true
		if err := rd.reject(m.ins, "NM1*IL", "", fmt.Sprintf("segment %d (INS): the member has no NM1*IL (member name)", m.ins)); err != nil {
			return err
		}
	}
	if !m.bad {
		t.members = append(t.members, m)
	}
	return nil
}

// row is one canonical row of a member: one per coverage (HD), or one
// without coverage data when the member has no HD.
type row struct {
	rec  canonical.Record
	m    *member
	line string // HD03
}

// key groups a dependent's row with its subscriber's: same subscriber ID
// and same insurance line.
func (r *row) key() string {
	return r.rec.Get("exchange_subscriber_id") + "\x00" + r.line
}

func (m *member) rows(hios string, rows []row) []row {
	base := m.rec
	base.Line = m.ins
	base.Set("issuer_hios_id", hios)
	setOnce(&base, "issuer_member_id", m.zz)
	if exchangeStateRE.MatchString(m.exch) {
		setOnce(&base, "state", m.exch[:2])
	}
	covs := m.covs
	if len(covs) == 0 {
		covs = []*coverage{{}}
	}
	for _, c := range covs {
		rec := base
		if c.policy != "" {
			rec.Set("exchange_policy_id", c.policy)
		}
		rec.Set("issuer_policy_id", c.issuerPolicy)
		rec.Set("qhp_id", c.qhp)
		rec.Set("benefit_start", c.start)
		rec.Set("benefit_end", c.end)
		rec.Set("paid_through_date", c.paid)
		if c.start != "" {
			rec.Set("coverage_year", c.start[:4])
		}
		rec.Set("effectuation_status", m.status(c))
		rows = append(rows, row{rec: rec, m: m, line: c.line})
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
	}
	return ""
}
