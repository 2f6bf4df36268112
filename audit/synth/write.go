package synth

import "strconv"

// rowWriter appends one member's row of a file to b.
type rowWriter func(g *generator, b []byte, p *policy, m *member) []byte

// layout is how a profile writes its two files.
type layout struct {
	marketplaceHeader string
	// insurerColumns: canonical field ("" for a column the audit does not
	// read) and the insurer's header, in file order.
	insurerColumns             [][2]string
	marketplaceRow, insurerRow rowWriter
	insurerFormats             string // the mapping's formats: and values:
	memberIDWidth              int    // member IDs zero-padded to this many digits (0: as they are)
}

var layouts = map[string]*layout{
	"":           &basicLayout,
	ProfileBasic: &basicLayout,
	ProfileWide:  &wideLayout,
}

var basicLayout = layout{
	marketplaceHeader: marketplaceHeader,
	insurerColumns:    insurerColumns,
	marketplaceRow:    (*generator).marketplaceRow,
	insurerRow:        (*generator).insurerRow,
	insurerFormats: `formats:
  date: "%m/%d/%Y"
values:
  effectuation_status: {Effectuated: effectuated, Pending: pending, Cancelled: cancelled, Terminated: terminated}
`,
}

// The marketplace file uses the canonical headers (docs/mapping.md).
const marketplaceHeader = "coverage_year,issuer_hios_id,exchange_policy_id,exchange_subscriber_id,exchange_member_id," +
	"subscriber_indicator,relationship_code,first_name,last_name,birth_date,gender,ssn,state,zip,rating_area,qhp_id," +
	"benefit_start,benefit_end,aptc_amount,csr_amount,total_premium,member_premium,effectuation_status\n"

// insurerColumns are the insurer roster's own headers, in file order, with
// the canonical field each maps to; insurerRow writes them in this order.
var insurerColumns = [][2]string{
	{"exchange_policy_id", "Policy Number"},
	{"exchange_subscriber_id", "Subscriber ID"},
	{"exchange_member_id", "Member ID"},
	{"subscriber_indicator", "Subscriber"},
	{"relationship_code", "Relationship"},
	{"last_name", "Last Name"},
	{"first_name", "First Name"},
	{"birth_date", "DOB"},
	{"gender", "Gender"},
	{"ssn", "SSN"},
	{"state", "State"},
	{"zip", "Zip"},
	{"rating_area", "Rating Area"},
	{"issuer_hios_id", "HIOS ID"},
	{"qhp_id", "Plan"},
	{"coverage_year", "Plan Year"},
	{"benefit_start", "Coverage Start"},
	{"benefit_end", "Coverage End"},
	{"effectuation_status", "Status"},
	{"paid_through_date", "Paid Through"},
	{"total_premium", "Total Premium"},
	{"member_premium", "Member Premium"},
	{"aptc_amount", "Monthly APTC"},
	{"csr_amount", "Monthly CSR"},
}

func (g *generator) marketplaceRow(b []byte, p *policy, m *member) []byte {
	b = strconv.AppendInt(b, year, 10)
	b = append(b, ',')
	b = append(b, p.market.issuer...)
	b = append(b, ',')
	b = strconv.AppendInt(b, p.id, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, p.members[0].id, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, m.id, 10)
	b = append(b, ',')
	b = appendFlag(b, m.rel == relSelf)
	b = append(b, ',')
	b = append(b, relCodes[m.rel]...)
	b = append(b, ',')
	b = append(b, m.first...)
	b = append(b, ',')
	b = append(b, m.last...)
	b = append(b, ',')
	b = appendISO(b, m.birth)
	b = append(b, ',')
	if m.male {
		b = append(b, 'M')
	} else {
		b = append(b, 'F')
	}
	b = append(b, ',')
	if m.ssn != 0 {
		b = appendPadded(b, int(m.ssn), 9)
	}
	b = append(b, ',')
	b = append(b, p.market.state.code...)
	b = append(b, ',')
	b = appendPadded(b, p.zip, 5)
	b = append(b, ',')
	b = appendMarketplaceCoverage(b, p, m)
	return append(b, '\n')
}

// insurerRow writes a row the way the insurer's system exports it: US
// dates, its own status and gender words and, with noise, the formatting
// slips a loader must tolerate.
func (g *generator) insurerRow(b []byte, p *policy, m *member) []byte {
	b = strconv.AppendInt(b, p.id, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, p.members[0].id, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, m.id, 10)
	b = append(b, ',')
	b = appendFlag(b, m.rel == relSelf)
	b = append(b, ',')
	if m.rel == relSpouse && g.noisy(20) {
		b = append(b, '1') // a spreadsheet ate the leading zero
	} else {
		b = append(b, relCodes[m.rel]...)
	}
	b = append(b, ',')
	b = g.appendName(b, m.last)
	b = append(b, ',')
	b = g.appendName(b, m.first)
	b = append(b, ',')
	if m.unreadable == badBirthDate {
		b = append(b, badText[badBirthDate]...)
	} else {
		b = appendUS(b, m.birth)
	}
	b = append(b, ',')
	switch {
	case m.unreadable == badGender:
		b = append(b, badText[badGender]...)
	case m.male:
		b = append(b, "Male"...)
	default:
		b = append(b, "Female"...)
	}
	b = append(b, ',')
	b = g.appendSSN(b, m.ssn)
	b = append(b, ',')
	b = append(b, p.market.state.code...)
	b = append(b, ',')
	if p.zip < 10_000 && g.noisy(70) {
		b = strconv.AppendInt(b, int64(p.zip), 10)
	} else {
		b = appendPadded(b, p.zip, 5)
	}
	b = append(b, ',')
	b = appendArea(b, p)
	b = append(b, ',')
	b = append(b, p.market.issuer...)
	b = append(b, ',')
	b = appendPlan(b, p, g.noisy(30))
	b = append(b, ',')
	b = strconv.AppendInt(b, year, 10)
	b = append(b, ',')
	b = appendUS(b, m.start)
	b = append(b, ',')
	b = appendUS(b, m.end)
	b = append(b, ',')
	b = append(b, statusInsurer[p.status]...)
	b = append(b, ',')
	if m.unreadable == badPaidThrough {
		b = append(b, badText[badPaidThrough]...)
	} else if d, ok := paidThrough(p, m); ok {
		b = appendUS(b, d)
	}
	b = append(b, ',')
	b = g.appendMoney(b, p.total)
	b = append(b, ',')
	if m.unreadable == badPremium {
		b = append(b, badText[badPremium]...)
	} else {
		b = g.appendMoney(b, m.premium)
	}
	b = append(b, ',')
	b = g.appendMoney(b, p.aptc)
	b = append(b, ',')
	b = g.appendMoney(b, p.csr)
	return append(b, '\n')
}

// memberID is a member ID as the profile writes it.
func (g *generator) memberID(id int64) string { return string(g.appendMemberID(nil, id)) }

func (g *generator) appendMemberID(b []byte, id int64) []byte {
	if g.layout.memberIDWidth == 0 {
		return strconv.AppendInt(b, id, 10)
	}
	return appendPadded(b, int(id), g.layout.memberIDWidth)
}

// noisy reports whether to add noise this time (pct percent of the time).
func (g *generator) noisy(pct int) bool { return g.noise != nil && g.noise.IntN(100) < pct }

// appendName varies case and spacing, which the engine ignores in names.
func (g *generator) appendName(b []byte, s string) []byte {
	if g.noise == nil {
		return append(b, s...)
	}
	switch n := g.noise.IntN(100); {
	case n < 12:
		for i := 0; i < len(s); i++ {
			c := s[i]
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			b = append(b, c)
		}
	case n < 16:
		for i := 0; i < len(s); i++ {
			c := s[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
		}
	case n < 20:
		b = append(b, "  "...)
		b = append(b, s...)
		b = append(b, ' ')
	case n < 30:
		for i := 0; i < len(s); i++ {
			if s[i] == ' ' {
				b = append(b, ' ')
			}
			b = append(b, s[i])
		}
	default:
		b = append(b, s...)
	}
	return b
}

// appendSSN writes an SSN with dashes, or without the leading zeros a
// spreadsheet drops, some of the time.
func (g *generator) appendSSN(b []byte, ssn int32) []byte {
	if ssn == 0 {
		return b
	}
	switch {
	case g.noisy(30):
		b = appendPadded(b, int(ssn/1_000_000), 3)
		b = append(b, '-')
		b = appendPadded(b, int(ssn/10_000%100), 2)
		b = append(b, '-')
		return appendPadded(b, int(ssn%10_000), 4)
	case ssn < 100_000_000 && g.noisy(50):
		return strconv.AppendInt(b, int64(ssn), 10)
	}
	return appendPadded(b, int(ssn), 9)
}

// subCent are offsets in tenths of a cent that round back to the same cent
// (half away from zero, docs/mapping.md); the first four keep zero
// from going negative.
var subCent = [...]int64{1, 2, 3, 4, -1, -2, -3, -4, -5}

// appendMoney writes an insurer amount, with noise as "$1,234.50", with
// sub-cent digits, or without trailing zeros.
func (g *generator) appendMoney(b []byte, cents int64) []byte {
	if g.noise == nil {
		return appendMoney(b, cents)
	}
	switch n := g.noise.IntN(100); {
	case n < 15:
		// Quoted: the thousands separator is the file's delimiter.
		b = append(b, '"', '$')
		b = appendGrouped(b, cents/100)
		b = append(b, '.')
		b = appendPadded(b, int(cents%100), 2)
		return append(b, '"')
	case n < 25:
		k := 4
		if cents > 0 {
			k = len(subCent)
		}
		v := cents*10 + subCent[g.noise.IntN(k)]
		b = strconv.AppendInt(b, v/1000, 10)
		b = append(b, '.')
		return appendPadded(b, int(v%1000), 3)
	case n < 30 && cents%10 == 0:
		b = strconv.AppendInt(b, cents/100, 10)
		if cents%100 != 0 {
			b = append(b, '.', byte('0'+cents/10%10))
		}
		return b
	}
	return appendMoney(b, cents)
}

func appendGrouped(b []byte, v int64) []byte {
	if v < 1000 {
		return strconv.AppendInt(b, v, 10)
	}
	b = appendGrouped(b, v/1000)
	b = append(b, ',')
	return appendPadded(b, int(v%1000), 3)
}

func appendMoney(b []byte, cents int64) []byte {
	b = strconv.AppendInt(b, cents/100, 10)
	b = append(b, '.')
	return appendPadded(b, int(cents%100), 2)
}

func appendFlag(b []byte, yes bool) []byte {
	if yes {
		return append(b, 'Y')
	}
	return append(b, 'N')
}

func appendArea(b []byte, p *policy) []byte {
	b = append(b, "R-"...)
	b = append(b, p.market.state.code...)
	return appendPadded(b, p.area, 3)
}

// appendPlan writes the 16-character plan ID, or with hyphen as plan
// documents print it (12345VA0010001-04).
func appendPlan(b []byte, p *policy, hyphen bool) []byte {
	b = append(b, p.plan.base...)
	if p.variant < 0 {
		return b
	}
	if hyphen {
		b = append(b, '-')
	}
	return appendPadded(b, p.variant, 2)
}

// appendPadded writes v (>= 0) with at least width digits.
func appendPadded(b []byte, v, width int) []byte {
	var d [20]byte
	i := len(d)
	for v > 0 || i > len(d)-width {
		i--
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, d[i:]...)
}

func appendISO(b []byte, d day) []byte {
	y, m, dd := d.civil()
	b = appendPadded(b, y, 4)
	b = append(b, '-')
	b = appendPadded(b, m, 2)
	b = append(b, '-')
	return appendPadded(b, dd, 2)
}

func appendUS(b []byte, d day) []byte {
	y, m, dd := d.civil()
	b = appendPadded(b, m, 2)
	b = append(b, '/')
	b = appendPadded(b, dd, 2)
	b = append(b, '/')
	return appendPadded(b, y, 4)
}

// appendMarketplaceCoverage writes the marketplace's coverage columns, the
// same in every profile: rating area, plan, dates, amounts and status, in
// the canonical formats.
func appendMarketplaceCoverage(b []byte, p *policy, m *member) []byte {
	b = appendArea(b, p)
	b = append(b, ',')
	b = appendPlan(b, p, false)
	b = append(b, ',')
	b = appendISO(b, m.start)
	b = append(b, ',')
	b = appendISO(b, m.end)
	b = append(b, ',')
	b = appendMoney(b, p.aptc)
	b = append(b, ',')
	b = appendMoney(b, p.csr)
	b = append(b, ',')
	b = appendMoney(b, p.total)
	b = append(b, ',')
	b = appendMoney(b, m.premium)
	b = append(b, ',')
	b = append(b, statusCanon[p.status]...)
	return b
}
