package synth

// state is a marketplace state: its rating areas, the range of its zip
// codes and how much dearer its premiums are (cents a month at age 21).
// NJ is there for its leading-zero zip codes.
type state struct {
	code         string
	areas        int
	zipLo, zipHi int
	dearer       int
}

var states = []state{
	{"VA", 12, 22001, 24699, 0},
	{"FL", 67, 32003, 34997, 3000},
	{"TX", 26, 75001, 79999, 1000},
	{"GA", 16, 30002, 31999, 1500},
	{"NC", 16, 27006, 28909, 2500},
	{"NJ", 1, 7001, 8989, 6000},
}

// metal levels; only silver plans have cost-sharing-reduction variants.
const (
	bronze = iota
	silver
	gold
)

// plan is a 14-character HIOS plan ID (without its CSR variant) and its
// monthly premium for a 21-year-old, in cents.
type plan struct {
	base string
	rate int64
}

// market is one issuer selling in one state.
type market struct {
	issuer string
	state  *state
	plans  []plan
}

// issuers and the states they sell in; HIOS IDs are made up.
var issuers = []struct {
	id     string
	states []string
}{
	{"38344", []string{"VA", "NC"}},
	{"54172", []string{"FL", "GA"}},
	{"71837", []string{"TX"}},
	{"29418", []string{"GA", "NC", "VA"}},
	{"47825", []string{"NJ"}},
	{"63019", []string{"TX", "FL"}},
}

// markets lists every issuer-state pair with its plans: two products
// (an HMO and a PPO) of three metal levels each, so every market has other
// plans of the same issuer to get wrong. A plan's index is 3*product+metal.
var markets = buildMarkets(func(id string) string { return id })

// wideMarkets are the same markets under HIOS IDs with a leading zero, which
// real extracts have and a spreadsheet would drop.
var wideMarkets = buildMarkets(func(id string) string { return "0" + id[1:] })

func buildMarkets(issuerID func(string) string) []market {
	var out []market
	for n, is := range issuers {
		id := issuerID(is.id)
		for _, code := range is.states {
			st := stateOf(code)
			m := market{issuer: id, state: st}
			for p, product := range []string{"001", "002"} {
				for metal, component := range []string{"0001", "0002", "0003"} {
					rate := int64(34000+9000*metal+700*n+st.dearer) * int64(100+8*p) / 100
					m.plans = append(m.plans, plan{base: id + code + product + component, rate: rate})
				}
			}
			out = append(out, m)
		}
	}
	return out
}

func stateOf(code string) *state {
	for i := range states {
		if states[i].code == code {
			return &states[i]
		}
	}
	panic("synth: unknown state " + code)
}

// otherIssuerPlan returns a plan of another issuer than m's, among markets.
func otherIssuerPlan(markets []market, m *market, pick func(int) int) plan {
	var cands []*market
	for i := range markets {
		if markets[i].issuer != m.issuer {
			cands = append(cands, &markets[i])
		}
	}
	// Prefer an issuer selling in the same state: that is the plausible mix-up.
	var same []*market
	for _, c := range cands {
		if c.state == m.state {
			same = append(same, c)
		}
	}
	if len(same) > 0 {
		cands = same
	}
	o := cands[pick(len(cands))]
	return o.plans[pick(len(o.plans))]
}

// agePoints approximate the federal default age rating curve: age, factor
// in thousandths of a 21-year-old's rate; linear in between, flat beyond.
var agePoints = [...][2]int{{0, 765}, {14, 765}, {15, 833}, {20, 970}, {21, 1000}, {24, 1000},
	{30, 1135}, {40, 1278}, {50, 1786}, {60, 2714}, {64, 3000}}

func ageFactor(age int) int64 {
	for i := 1; i < len(agePoints); i++ {
		a, b := agePoints[i-1], agePoints[i]
		if age <= b[0] {
			return int64(a[1] + (b[1]-a[1])*(age-a[0])/(b[0]-a[0]))
		}
	}
	return int64(agePoints[len(agePoints)-1][1])
}

// areaFactor spreads premiums over a state's rating areas (thousandths).
func areaFactor(area int) int64 { return 900 + int64(area*37%400) }

// names are the lists people's names are drawn from.
type names struct{ male, female, last []string }

var basicNames = names{maleNames, femaleNames, lastNames}

var (
	maleNames = []string{"James", "John", "Robert", "Michael", "William", "David", "Joseph", "Carlos", "Luis", "Daniel",
		"Matthew", "Anthony", "Mark", "Jose", "Kevin", "Brian", "Andre", "Tyrone", "Minh", "Wei", "Ahmed", "Juan Carlos"}
	femaleNames = []string{"Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Maria", "Susan", "Jessica", "Sarah", "Karen",
		"Lisa", "Nancy", "Ashley", "Ana", "Keisha", "Guadalupe", "Mei", "Fatima", "Nguyen Thi", "Mary Ann", "Rosa", "Emily"}
	lastNames = []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
		"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
		"Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
		"Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
		"De La Cruz", "Van Buren", "O'Neal", "Garcia-Lopez", "St. John", "Del Rio", "Washington", "Patel", "Kim", "Okafor"}
)

// wideNames are longer and carry accents, as names in real extracts do
// (compound given names, double surnames, diacritics).
var wideNames = names{
	male: []string{"José Luis", "Maximiliano Alejandro", "François", "Jürgen", "Nguyễn Văn", "Christopher", "Bartholomew",
		"Seán", "Muhammad Abdullah", "João Pedro", "Renée", "Thaddeus", "Ángel", "Zoltán", "Kwame Nkrumah", "James"},
	female: []string{"María José", "Anne-Marie", "Zoë", "Guadalupe Esperanza", "Chloé", "Søren", "Bernadette Elisabeth",
		"Nguyễn Thị", "Małgorzata", "Inês", "Françoise", "Oluwaseun", "Mary Ann", "Ximena", "Dorothée", "Patricia"},
	last: []string{"Hernández-Castellanos", "Müller", "O'Sullivan-Whitfield", "Nguyễn", "García Márquez", "Van der Berg",
		"Wolfeschlegelsteinhausen", "Żółkiewski", "De la Fuente y Ortiz", "Björnsdóttir", "Smith", "Johnson", "Øvergård",
		"Papadopoulos", "Abernathy-Fitzgerald", "St. Pierre", "Ramírez", "Okonkwo", "Çelik", "Lefèvre", "Washington", "Núñez"},
}
