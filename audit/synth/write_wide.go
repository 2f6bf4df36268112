package synth

import (
	"strconv"
	"strings"
)

// The wide profile's marketplace export: canonical headers (the audit reads
// them without a mapping), every optional field populated, and the text
// columns a real export carries that the audit does not read.
const wideMarketplaceHeader = "coverage_year,issuer_hios_id,exchange_policy_id,exchange_subscriber_id,exchange_member_id," +
	"issuer_policy_id,issuer_member_id,subscriber_indicator,relationship_code,first_name,middle_name,last_name,birth_date,gender,ssn," +
	"address_line_1,address_line_2,city,county,state,zip,phone,email,preferred_language,rating_area,qhp_id," +
	"benefit_start,benefit_end,aptc_amount,csr_amount,total_premium,member_premium,effectuation_status,paid_through_date," +
	"application_id,agent_name,agent_npn\n"

// wideInsurerColumns: the insurer's headers in file order with the
// canonical field each maps to ("" for columns the audit does not read).
var wideInsurerColumns = [][2]string{
	{"exchange_policy_id", "Member Policy ID"},
	{"issuer_policy_id", "Carrier Policy No"},
	{"exchange_subscriber_id", "Subscriber Exchange ID"},
	{"exchange_member_id", "Exchange Member ID"},
	{"issuer_member_id", "Carrier Member ID"},
	{"subscriber_indicator", "Subscriber Flag"},
	{"relationship_code", "Relationship To Subscriber"},
	{"last_name", "Member Last Name"},
	{"first_name", "Member First Name"},
	{"", "Middle Name"},
	{"birth_date", "Date Of Birth"},
	{"gender", "Sex"},
	{"ssn", "Social Security Number"},
	{"", "Address Line 1"},
	{"", "City"},
	{"", "County"},
	{"state", "State Code"},
	{"zip", "Postal Code"},
	{"rating_area", "Rating Area"},
	{"issuer_hios_id", "HIOS Issuer ID"},
	{"qhp_id", "QHP Variant ID"},
	{"coverage_year", "Benefit Year"},
	{"benefit_start", "Eff Date"},
	{"benefit_end", "Term Date"},
	{"effectuation_status", "Enrollment Status"},
	{"paid_through_date", "Paid Thru Date"},
	{"total_premium", "Gross Premium"},
	{"member_premium", "Member Rate"},
	{"aptc_amount", "APTC Applied"},
	{"csr_amount", "CSR Subsidy"},
	{"", "Phone"},
	{"", "Email"},
	{"", "Broker Name"},
	{"", "Product Name"},
	{"", "Last Maintenance"},
}

var wideLayout = layout{
	marketplaceHeader: wideMarketplaceHeader,
	insurerColumns:    wideInsurerColumns,
	marketplaceRow:    (*generator).wideMarketplaceRow,
	insurerRow:        (*generator).wideInsurerRow,
	insurerFormats: `formats:
  date: "%d-%b-%Y"
values:
  effectuation_status: {ACTIVE: effectuated, PENDING: pending, CANCELLED: cancelled, TERMED: terminated}
`,
	memberIDWidth: 12,
}

var wideStatus = [...]string{"ACTIVE", "PENDING", "CANCELLED", "TERMED"}

// The extra text columns are derived from IDs rather than drawn, so they
// cost no random numbers.
var (
	streets   = []string{"Main St", "Oak Avenue", "Calle de la Reina Mercedes", "Martin Luther King Jr Blvd", "Elm Street Apt", "Route 9"}
	cities    = []string{"Springfield", "Riverside", "Fairview", "Mount Pleasant", "San José", "Greenville", "Port Saint Lucie"}
	counties  = []string{"Fairfax County", "Miami-Dade County", "Harris County", "Fulton County", "Mecklenburg County", "Bergen County"}
	languages = []string{"English", "Spanish", "Vietnamese", "Chinese", "Haitian Creole", "Arabic"}
	brokers   = []string{"", "Healthcare Navigators LLC", "Blue Ridge Insurance Agency", "Seguros Familiares", "Direct enrollment"}
	products  = []string{"Essential HMO", "Premier PPO Choice Network"}
)

func (g *generator) wideMarketplaceRow(b []byte, p *policy, m *member) []byte {
	b = strconv.AppendInt(b, year, 10)
	b = append(b, ',')
	b = append(b, p.market.issuer...)
	b = append(b, ',')
	b = strconv.AppendInt(b, p.id, 10)
	b = append(b, ',')
	b = g.appendMemberID(b, p.members[0].id)
	b = append(b, ',')
	b = g.appendMemberID(b, m.id)
	b = append(b, ',')
	b = appendIssuerIDs(b, p, m)
	b = append(b, ',')
	b = appendFlag(b, m.rel == relSelf)
	b = append(b, ',')
	b = append(b, relCodes[m.rel]...)
	b = append(b, ',')
	b = append(b, m.first...)
	b = append(b, ',')
	b = append(b, byte('A'+m.id%26))
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
	b = appendAddress(b, p)
	b = append(b, ',')
	if p.id%3 == 0 {
		b = append(b, "Unit "...)
		b = strconv.AppendInt(b, p.id%300, 10)
	}
	b = append(b, ',')
	b = append(b, cities[p.zip%len(cities)]...)
	b = append(b, ',')
	b = append(b, counties[p.zip%len(counties)]...)
	b = append(b, ',')
	b = append(b, p.market.state.code...)
	b = append(b, ',')
	b = appendPadded(b, p.zip, 5)
	b = append(b, ',')
	b = appendPhone(b, p.id)
	b = append(b, ',')
	b = append(b, "member"...)
	b = strconv.AppendInt(b, m.id, 10)
	b = append(b, "@example.com,"...)
	b = append(b, languages[p.id%int64(len(languages))]...)
	b = append(b, ',')
	b = appendMarketplaceCoverage(b, p, m)
	b = append(b, ',')
	if d, ok := paidThrough(p, m); ok {
		b = appendISO(b, d)
	}
	b = append(b, ",A"...)
	b = appendPadded(b, int(p.id%1_000_000_000), 12)
	b = append(b, ',')
	b = append(b, brokers[p.id%int64(len(brokers))]...)
	b = append(b, ',')
	if p.id%int64(len(brokers)) != 0 {
		b = strconv.AppendInt(b, 1_000_000_000+p.id%9_000_000, 10)
	}
	return append(b, '\n')
}

// wideInsurerRow writes a row in the insurer's own formats (DD-Mon-YYYY,
// $1,234.50, its status words); about 8% of rows carry formatting noise.
func (g *generator) wideInsurerRow(b []byte, p *policy, m *member) []byte {
	noisy := g.noisy(8)
	b = strconv.AppendInt(b, p.id, 10)
	b = append(b, ',')
	b = appendIssuerPolicyID(b, p)
	b = append(b, ',')
	b = g.appendMemberID(b, p.members[0].id)
	b = append(b, ',')
	b = g.appendMemberID(b, m.id)
	b = append(b, ',')
	b = appendIssuerMemberID(b, m)
	b = append(b, ',')
	if m.rel == relSelf {
		b = append(b, "Yes"...)
	} else {
		b = append(b, "No"...)
	}
	b = append(b, ',')
	b = append(b, relCodes[m.rel]...)
	b = append(b, ',')
	b = g.appendWideName(b, m.last, noisy)
	b = append(b, ',')
	b = g.appendWideName(b, m.first, noisy)
	b = append(b, ',')
	b = append(b, byte('A'+m.id%26))
	b = append(b, ',')
	if m.unreadable == badBirthDate {
		b = append(b, badText[badBirthDate]...)
	} else {
		b = appendDMY(b, m.birth)
	}
	b = append(b, ',')
	switch {
	case m.unreadable == badGender:
		b = append(b, badText[badGender]...)
	case m.male:
		b = append(b, 'M')
	default:
		b = append(b, 'F')
	}
	b = append(b, ',')
	if m.ssn != 0 {
		if noisy {
			b = appendPadded(b, int(m.ssn/1_000_000), 3)
			b = append(b, '-')
			b = appendPadded(b, int(m.ssn/10_000%100), 2)
			b = append(b, '-')
			b = appendPadded(b, int(m.ssn%10_000), 4)
		} else {
			b = appendPadded(b, int(m.ssn), 9)
		}
	}
	b = append(b, ',')
	b = appendAddress(b, p)
	b = append(b, ',')
	b = append(b, cities[p.zip%len(cities)]...)
	b = append(b, ',')
	b = append(b, counties[p.zip%len(counties)]...)
	b = append(b, ',')
	b = append(b, p.market.state.code...)
	b = append(b, ',')
	if noisy && p.zip < 10_000 {
		b = strconv.AppendInt(b, int64(p.zip), 10)
	} else {
		b = appendPadded(b, p.zip, 5)
	}
	b = append(b, ',')
	b = appendArea(b, p)
	b = append(b, ',')
	b = append(b, p.market.issuer...)
	b = append(b, ',')
	b = appendPlan(b, p, noisy)
	b = append(b, ',')
	b = strconv.AppendInt(b, year, 10)
	b = append(b, ',')
	b = appendDMY(b, m.start)
	b = append(b, ',')
	b = appendDMY(b, m.end)
	b = append(b, ',')
	b = append(b, wideStatus[p.status]...)
	b = append(b, ',')
	if m.unreadable == badPaidThrough {
		b = append(b, badText[badPaidThrough]...)
	} else if d, ok := paidThrough(p, m); ok {
		b = appendDMY(b, d)
	}
	b = append(b, ',')
	b = g.appendDollars(b, p.total, noisy)
	b = append(b, ',')
	if m.unreadable == badPremium {
		b = append(b, badText[badPremium]...)
	} else {
		b = g.appendDollars(b, m.premium, noisy)
	}
	b = append(b, ',')
	b = g.appendDollars(b, p.aptc, noisy)
	b = append(b, ',')
	b = g.appendDollars(b, p.csr, noisy)
	b = append(b, ',')
	b = appendPhone(b, p.id)
	b = append(b, ',')
	b = append(b, "member"...)
	b = strconv.AppendInt(b, m.id, 10)
	b = append(b, "@example.com,"...)
	b = append(b, brokers[p.id%int64(len(brokers))]...)
	b = append(b, ',')
	b = append(b, products[p.plan.base[12]%2]...)
	b = append(b, ',')
	b = appendISO(b, paidUpTo-day(p.id%20))
	b = append(b, " 14:"...)
	b = appendPadded(b, int(p.id%60), 2)
	b = append(b, ":07"...)
	return append(b, '\n')
}

// paidThrough is the member's paid-through date, for coverage that is paid.
func paidThrough(p *policy, m *member) (day, bool) {
	switch p.status {
	case effectuated:
		return min(m.end, paidUpTo), true
	case terminated:
		return m.end, true
	}
	return 0, false
}

// appendIssuerIDs writes the issuer's policy and member IDs (with leading
// zeros), which both sides carry.
func appendIssuerIDs(b []byte, p *policy, m *member) []byte {
	b = appendIssuerPolicyID(b, p)
	b = append(b, ',')
	return appendIssuerMemberID(b, m)
}

func appendIssuerPolicyID(b []byte, p *policy) []byte {
	return appendPadded(b, int(p.id%1_000_000_000), 11)
}

// appendIssuerMemberID keeps a member's issuer ID through a mistyped
// exchange member ID (which changes only the leading digit).
func appendIssuerMemberID(b []byte, m *member) []byte {
	return appendPadded(b, int(m.id%1_000_000_000), 11)
}

func appendAddress(b []byte, p *policy) []byte {
	b = strconv.AppendInt(b, 100+p.id%9000, 10)
	b = append(b, ' ')
	return append(b, streets[p.id%int64(len(streets))]...)
}

func appendPhone(b []byte, id int64) []byte {
	b = append(b, '(')
	b = appendPadded(b, int(200+id%700), 3)
	b = append(b, ") 555-0"...)
	return appendPadded(b, int(id%1000), 3)
}

var monthAbbr = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// appendDMY writes a date as DD-Mon-YYYY (05-Mar-2026).
func appendDMY(b []byte, d day) []byte {
	y, m, dd := d.civil()
	b = appendPadded(b, dd, 2)
	b = append(b, '-')
	b = append(b, monthAbbr[m-1]...)
	b = append(b, '-')
	return appendPadded(b, y, 4)
}

// appendDollars writes an amount as "$1,234.50" (quoted when it has a
// comma), or on a noisy row as plain digits with a sub-cent digit.
func (g *generator) appendDollars(b []byte, cents int64, noisy bool) []byte {
	if noisy {
		k := 4
		if cents > 0 {
			k = len(subCent)
		}
		v := cents*10 + subCent[g.noise.IntN(k)]
		b = strconv.AppendInt(b, v/1000, 10)
		b = append(b, '.')
		return appendPadded(b, int(v%1000), 3)
	}
	quoted := cents >= 100_000
	if quoted {
		b = append(b, '"')
	}
	b = append(b, '$')
	b = appendGrouped(b, cents/100)
	b = append(b, '.')
	b = appendPadded(b, int(cents%100), 2)
	if quoted {
		b = append(b, '"')
	}
	return b
}

// appendWideName writes a name; on a noisy row in upper case, with extra
// spaces, or without its accents, which the audit ignores.
func (g *generator) appendWideName(b []byte, s string, noisy bool) []byte {
	if !noisy {
		return append(b, s...)
	}
	switch g.noise.IntN(3) {
	case 0:
		return append(b, strings.ToUpper(s)...)
	case 1:
		b = append(b, ' ')
		b = append(b, strings.ReplaceAll(s, " ", "  ")...)
		return append(b, ' ')
	}
	return append(b, withoutAccents.Replace(s)...)
}

// withoutAccents drops the accents a system without them would, those
// that decompose into a letter and a mark (ø and ł do not: they stay).
var withoutAccents = strings.NewReplacer(
	"á", "a", "Á", "A", "à", "a", "ã", "a", "å", "a", "ă", "a", "é", "e", "è", "e", "ê", "e", "ë", "e", "ễ", "e",
	"í", "i", "ị", "i", "ó", "o", "ö", "o", "ú", "u", "ü", "u", "ñ", "n", "ç", "c", "Ç", "C", "Ż", "Z")
