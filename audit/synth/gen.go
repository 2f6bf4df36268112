package synth

// day is a date as days since 1970-01-01: the generator does date arithmetic
// on integers and formats dates itself, which is much cheaper than package
// time at ten million rows.
type day int32

// dayOf returns the day of a civil date (H. Hinnant's days_from_civil).
func dayOf(y, m, d int) day {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return day(era*146097 + doe - 719468)
}

// civil returns the year, month and day of d (years 1970 to 9999).
func (d day) civil() (y, m, dd int) {
	z := int(d) + 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	dd = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	y = yoe + era*400
	if m <= 2 {
		y++
	}
	return y, m, dd
}

func lastOfMonth(y, m int) day {
	if m == 12 {
		return dayOf(y+1, 1, 1) - 1
	}
	return dayOf(y, m+1, 1) - 1
}

// The data is a mid-year snapshot of coverage year 2026.
const year = 2026

var (
	yearStart = dayOf(year, 1, 1)
	yearEnd   = dayOf(year, 12, 31)
	paidUpTo  = dayOf(year, 7, 31) // premiums paid through, as of the snapshot
)

type status uint8

const (
	effectuated status = iota
	pending
	cancelled
	terminated
)

var (
	statusCanon   = [...]string{"effectuated", "pending", "cancelled", "terminated"}
	statusInsurer = [...]string{"Effectuated", "Pending", "Cancelled", "Terminated"}
)

const (
	relSelf = iota
	relSpouse
	relChild
)

var relCodes = [...]string{"18", "01", "19"}

type member struct {
	id          int64
	rel         int
	first, last string
	birth       day
	male        bool
	ssn         int32 // 0: none (infants often have none yet)
	premium     int64 // cents a month
	start, end  day
	unreadable  badValue // a value the insurer wrote unreadably (messy plants)
}

// policy is one side's view of a policy; members[0] is the subscriber.
type policy struct {
	id          int64
	market      *market
	plan        plan
	variant     int // CSR variant; -1 for a malformed ID without one
	area, zip   int
	aptc, total int64 // cents a month
	csr         int64 // CSR amount, cents a month; zero without a CSR variant
	status      status
	members     []member
	dup         int // index of the member whose row is written twice; -1 none
}

// spec constrains a policy so that a plant fits it.
type spec struct {
	status     status
	anyStatus  bool // draw the status instead
	minMembers int
	silver     bool
	csr        bool // silver with a cost-sharing reduction (variant 04-06)
}

// IDs increase, so a policy drawn later sorts later (the engine reports a
// member in overlapping policies on the policy sorting last), and all have
// the same number of digits, so text order is number order.
func (g *generator) newPolicyID() int64 {
	g.nextPolicy += 1 + int64(g.rng.IntN(9))
	return g.nextPolicy
}

func (g *generator) newMemberID() int64 {
	g.nextMember += 1 + int64(g.rng.IntN(3))
	return g.nextMember
}

// chance reports true with probability pct percent.
func (g *generator) chance(pct int) bool { return g.rng.IntN(100) < pct }

// fill draws a new policy into p (reusing its member slice) under sp.
// extra, when not nil, is added as a child before premiums are computed.
func (g *generator) fill(p *policy, sp spec, extra *member) {
	r := g.rng
	p.id = g.newPolicyID()
	p.market = &g.markets[r.IntN(len(g.markets))]
	metal := silver
	if !sp.silver && !sp.csr {
		switch n := r.IntN(100); {
		case n < 30:
			metal = bronze
		case n >= 85:
			metal = gold
		}
	}
	p.plan = p.market.plans[metal+3*r.IntN(2)]
	p.variant = 1
	if metal == silver {
		p.variant = [...]int{1, 1, 1, 4, 4, 5, 5, 6, 6, 6}[r.IntN(10)]
	}
	if sp.csr {
		p.variant = 4 + r.IntN(3)
	}
	st := p.market.state
	p.area = 1 + r.IntN(st.areas)
	p.zip = st.zipLo + r.IntN(st.zipHi-st.zipLo+1)
	p.dup = -1

	p.status = sp.status
	if sp.anyStatus {
		switch n := r.IntN(100); {
		case n < 88:
			p.status = effectuated
		case n < 95:
			p.status = pending
		case n < 98:
			p.status = terminated
		default:
			p.status = cancelled
		}
	}
	start, end := yearStart, yearEnd
	switch {
	case p.status == pending:
		// Not yet paid: a special-enrollment start still ahead.
		start = dayOf(year, 7+r.IntN(2), 1)
	case p.status == terminated:
		start = dayOf(year, 1+r.IntN(3), 1)
		_, m, _ := start.civil()
		end = lastOfMonth(year, m+r.IntN(7-m))
	case !g.chance(85):
		start = dayOf(year, 2+r.IntN(6), 1)
	}
	if p.status == cancelled {
		end = start
	}

	size := [...]int{1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 6}[r.IntN(20)]
	size = max(size, sp.minMembers)
	spouse := size > 1 && g.chance(70)
	kids := size - 1
	if spouse {
		kids--
	}
	p.members = p.members[:0]
	subAge := 19 + r.IntN(46)
	if kids > 0 {
		subAge = 26 + r.IntN(35)
	}
	sub := g.person(subAge, r.IntN(2) == 0, "")
	sub.rel = relSelf
	p.members = append(p.members, sub)
	if spouse {
		last := sub.last
		if !g.chance(85) {
			last = ""
		}
		age := min(max(subAge-6+r.IntN(13), 19), 64)
		sp := g.person(age, !sub.male || !g.chance(95), last)
		sp.rel = relSpouse
		p.members = append(p.members, sp)
	}
	for range kids {
		last := sub.last
		if !g.chance(90) {
			last = ""
		}
		kid := g.person(r.IntN(min(25, subAge-18)+1), r.IntN(2) == 0, last)
		kid.rel = relChild
		p.members = append(p.members, kid)
	}
	if extra != nil {
		p.members = append(p.members, *extra)
		p.members[len(p.members)-1].rel = relChild
	}
	p.total = 0
	for i := range p.members {
		m := &p.members[i]
		m.start, m.end = start, end
		m.premium = p.premiumOf(m)
		p.total += m.premium
	}
	// Cost-sharing reductions go only to people who get APTC as well.
	p.aptc = 0
	if p.variant >= 4 || g.chance(80) {
		p.aptc = p.total * int64(40+r.IntN(61)) / 100
	}
	// The richer the variant, the more cost sharing is paid for.
	p.csr = 0
	if p.variant >= 4 {
		p.csr = p.total * int64(5*(p.variant-3)+r.IntN(5)) / 100
	}
}

// premiumOf is the member's age-rated monthly premium under p's plan, in cents.
func (p *policy) premiumOf(m *member) int64 {
	return (p.plan.rate*areaFactor(p.area)*ageFactor(ageAt(m.birth, yearStart)) + 500_000) / 1_000_000
}

// person draws a new member of the given age; last "" draws a last name.
func (g *generator) person(age int, male bool, last string) member {
	r := g.rng
	m := member{id: g.newMemberID(), male: male, last: last}
	if male {
		m.first = g.names.male[r.IntN(len(g.names.male))]
	} else {
		m.first = g.names.female[r.IntN(len(g.names.female))]
	}
	if m.last == "" {
		m.last = g.names.last[r.IntN(len(g.names.last))]
	}
	// age on January 1st of the coverage year.
	m.birth = dayOf(year-age, 1, 1) - 1 - day(r.IntN(364))
	if age >= 18 || g.chance(90) && (age > 0 || g.chance(50)) {
		m.ssn = g.ssn()
	}
	return m
}

// ssn draws a plausible SSN: area 001-899 but not 666, group and serial not zero.
func (g *generator) ssn() int32 {
	r := g.rng
	area := 1 + r.IntN(898)
	if area >= 666 {
		area++
	}
	return int32(area*1_000_000 + (1+r.IntN(99))*10_000 + 1 + r.IntN(9999))
}

func ageAt(birth, on day) int {
	by, bm, bd := birth.civil()
	y, m, d := on.civil()
	age := y - by
	if m < bm || m == bm && d < bd {
		age--
	}
	return age
}

// copyPolicy makes dst an independent copy of src, reusing dst's members.
func copyPolicy(dst, src *policy) {
	ms := append(dst.members[:0], src.members...)
	*dst = *src
	dst.members = ms
}
