// Package canonical is the vocabulary audit, rules and reports share: the
// one row shape every input is normalised to (docs/mapping.md), the finding
// categories and severities (docs/categories.md), a finding's stored
// columns and SSN masking. Readers, mappings, the normaliser, the rule
// compiler and the writers all take them from here.
package canonical

// Kind is how a field's text is parsed and typed.
type Kind int

const (
	Text Kind = iota
	Int
	Date
	Money
	Flag   // Y/N
	Gender // M/F/U
	Status // effectuated, pending, cancelled, terminated
)

// Field is one canonical column.
type Field struct {
	Name string
	Kind Kind
	// PolicyLevel fields are carried on every member row and authoritative on
	// the subscriber's row.
	PolicyLevel bool
	// Personal marks personal data kept out of logs (and, for SSN, masked in reports).
	Personal bool
}

// Fields in contract order. Readers that emit canonical records use this order.
var Fields = []Field{
	{Name: "coverage_year", Kind: Int, PolicyLevel: true},
	{Name: "issuer_hios_id", Kind: Text, PolicyLevel: true},
	{Name: "exchange_policy_id", Kind: Text, PolicyLevel: true},
	{Name: "exchange_subscriber_id", Kind: Text, PolicyLevel: true},
	{Name: "exchange_member_id", Kind: Text},
	{Name: "issuer_policy_id", Kind: Text, PolicyLevel: true},
	{Name: "issuer_member_id", Kind: Text},
	{Name: "subscriber_indicator", Kind: Flag},
	{Name: "relationship_code", Kind: Text},
	{Name: "first_name", Kind: Text, Personal: true},
	{Name: "last_name", Kind: Text, Personal: true},
	{Name: "birth_date", Kind: Date, Personal: true},
	{Name: "gender", Kind: Gender},
	{Name: "ssn", Kind: Text, Personal: true},
	{Name: "state", Kind: Text},
	{Name: "zip", Kind: Text},
	{Name: "rating_area", Kind: Text, PolicyLevel: true},
	{Name: "qhp_id", Kind: Text, PolicyLevel: true},
	{Name: "benefit_start", Kind: Date},
	{Name: "benefit_end", Kind: Date},
	{Name: "aptc_amount", Kind: Money, PolicyLevel: true},
	{Name: "csr_amount", Kind: Money, PolicyLevel: true},
	{Name: "total_premium", Kind: Money, PolicyLevel: true},
	{Name: "member_premium", Kind: Money},
	{Name: "effectuation_status", Kind: Status},
	{Name: "paid_through_date", Kind: Date},
}

// Index of each field name in Fields.
var index = func() map[string]int {
	m := make(map[string]int, len(Fields))
	for i, f := range Fields {
		m[f.Name] = i
	}
	return m
}()

// Lookup returns the field called name.
func Lookup(name string) (Field, bool) {
	i, ok := index[name]
	if !ok {
		return Field{}, false
	}
	return Fields[i], true
}

// Names returns the field names in contract order.
func Names() []string {
	out := make([]string, len(Fields))
	for i, f := range Fields {
		out[i] = f.Name
	}
	return out
}

// Required fields are the matching keys: a row without them cannot be audited.
var Required = []string{"exchange_policy_id", "exchange_member_id"}

// Record is one canonical row as text, before typing: Values[i] belongs to
// Fields[i]; "" means absent. Line is the source line (or segment number for
// X12) the record starts at, used in rejects and evidence.
type Record struct {
	Line   int
	Values [NumFields]string
}

// NumFields is len(Fields), as a constant for Record's array.
const NumFields = 26

// Set stores v under the field name; it panics on an unknown name because
// that is a programming error in a reader, not bad input.
func (r *Record) Set(name, v string) {
	i, ok := index[name]
	if !ok {
		panic("canonical: unknown field " + name)
	}
	r.Values[i] = v
}

// Get returns the value of the named field.
func (r *Record) Get(name string) string {
	i, ok := index[name]
	if !ok {
		panic("canonical: unknown field " + name)
	}
	return r.Values[i]
}

// Reject is an input row (or X12 transaction) that could not be loaded.
type Reject struct {
	File   string
	Line   int    // line, row or segment number in File
	Field  string // canonical field or source element, "" when the whole row is bad
	Value  string // offending value, masked by the writer when personal
	Reason string
}
