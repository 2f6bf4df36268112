package synth

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// canonicalRows reads a CSV file with canonical headers (the marketplace
// file Generate writes) row by row, giving each row as a field getter.
type canonicalRows struct {
	r   *csv.Reader
	col map[string]int
	row []string
}

func newCanonicalRows(r io.Reader) (*canonicalRows, error) {
	cr := csv.NewReader(bufio.NewReaderSize(r, 1<<20))
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	col := make(map[string]int, len(head))
	for i, h := range head {
		col[h] = i
	}
	return &canonicalRows{r: cr, col: col}, nil
}

// next reads the next row; io.EOF at the end.
func (c *canonicalRows) next() error {
	row, err := c.r.Read()
	if err != nil {
		return err
	}
	c.row = row
	return nil
}

// get returns the named field of the current row, "" when the file has no
// such column.
func (c *canonicalRows) get(field string) string {
	if i, ok := c.col[field]; ok && i < len(c.row) {
		return c.row[i]
	}
	return ""
}

// x12PerInterchange is how many transactions go in one ISA/GS envelope.
const x12PerInterchange = 10000

// policyCategories are the 2750 reporting categories of the policy-level
// fields, written on the subscriber (and on a dependent only where its value
// differs from the subscriber's, or the policy has no subscriber row).
var policyCategories = [][2]string{
	{"APTC AMT", "aptc_amount"},
	{"CSR AMT", "csr_amount"},
	{"PRE AMT TOT", "total_premium"},
	{"RATING AREA", "rating_area"},
}

// WriteX12 renders a canonical CSV file (the marketplace file) as an X12 834
// (005010X220A1) as an exchange sends it: one transaction per policy, its
// members as loops 2000 with their coverage (HD) and the 2750 amounts, so
// that reading the 834 back gives the same canonical rows.
func WriteX12(w io.Writer, r io.Reader) error {
	rows, err := newCanonicalRows(r)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	x := &x12Writer{w: bw}
	var policy []map[string]string
	for {
		err := rows.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read row: %w", err)
		}
		m := make(map[string]string, len(rows.col))
		for name := range rows.col {
			m[name] = rows.get(name)
		}
		if len(policy) > 0 && policy[0]["exchange_policy_id"] != m["exchange_policy_id"] {
			x.transaction(policy)
			policy = policy[:0]
		}
		policy = append(policy, m)
	}
	if len(policy) > 0 {
		x.transaction(policy)
	}
	x.closeInterchange()
	return bw.Flush()
}

type x12Writer struct {
	w     *bufio.Writer
	txns  int // transactions in the open interchange
	isa   int // interchanges written
	segs  int // segments of the open transaction
	total int // transactions written
}

func (x *x12Writer) seg(elems ...string) {
	x.w.WriteString(strings.Join(elems, "*"))
	x.w.WriteString("~\n")
	x.segs++
}

func (x *x12Writer) closeInterchange() {
	if x.txns == 0 {
		return
	}
	fmt.Fprintf(x.w, "GE*%d*%d~\nIEA*1*%09d~\n", x.txns, x.isa, x.isa)
	x.txns = 0
}

func (x *x12Writer) transaction(rows []map[string]string) {
	if x.txns == x12PerInterchange {
		x.closeInterchange()
	}
	if x.txns == 0 {
		x.isa++
		fmt.Fprintf(x.w, "ISA*00*          *00*          *ZZ*ENROLLAUDIT    *ZZ*ISSUER         *260105*1200*^*00501*%09d*0*T*:~\n", x.isa)
		fmt.Fprintf(x.w, "GS*BE*ENROLLAUDIT*ISSUER*20260105*1200*%d*X*005010X220A1~\n", x.isa)
	}
	x.txns++
	x.total++
	ctrl := fmt.Sprintf("%d", x.total)
	x.segs = 0
	x.seg("ST", "834", ctrl, "005010X220A1")
	x.seg("BGN", "00", ctrl, "20260105", "1200", "", "", "", "2")
	x.seg("N1", "P5", "EXCHANGE", "FI", "000000000")
	x.seg("N1", "IN", "ISSUER", "XV", rows[0]["issuer_hios_id"])
	var sub map[string]string
	for _, r := range rows {
		if r["subscriber_indicator"] == "Y" {
			if sub != nil {
				sub = nil // two subscribers: no one row to carry from
				break
			}
			sub = r
		}
	}
	for _, r := range rows {
		x.member(r, sub)
	}
	x.seg("SE", fmt.Sprintf("%d", x.segs+1), ctrl)
}

func (x *x12Writer) member(r, sub map[string]string) {
	typ, reason, amrc := "021", "EC", ""
	switch r["effectuation_status"] {
	case "effectuated":
		reason = "28"
	case "cancelled":
		typ, reason, amrc = "024", "", "CANCEL"
	case "terminated":
		typ, reason, amrc = "024", "", "TERM"
	case "":
		typ, reason = "030", "XN"
	}
	if r["effectuation_status"] == "" && r["subscriber_indicator"] != "Y" {
		typ = "001" // a dependent's empty status is the subscriber's
	}
	x.seg("INS", r["subscriber_indicator"], r["relationship_code"], typ, reason, "A")
	x.seg("REF", "0F", r["exchange_subscriber_id"])
	x.seg("REF", "17", r["exchange_member_id"])
	name := []string{"NM1", "IL", "1", r["last_name"], r["first_name"]}
	if s := r["ssn"]; s != "" {
		name = append(name, "", "", "", "34", s)
	}
	x.seg(name...)
	if r["state"] != "" || r["zip"] != "" {
		x.seg("N4", "CITY", r["state"], r["zip"])
	}
	if r["birth_date"] != "" || r["gender"] != "" {
		x.seg("DMG", "D8", compactDate(r["birth_date"]), r["gender"])
	}
	x.seg("HD", typ, "", "HLT", "", "IND")
	if d := r["benefit_start"]; d != "" {
		x.seg("DTP", "348", "D8", compactDate(d))
	}
	if d := r["benefit_end"]; d != "" {
		x.seg("DTP", "349", "D8", compactDate(d))
	}
	if d := r["paid_through_date"]; d != "" {
		x.seg("DTP", "543", "D8", compactDate(d))
	}
	x.seg("REF", "CE", r["qhp_id"])
	x.seg("REF", "1L", r["exchange_policy_id"])
	if v := r["issuer_policy_id"]; v != "" {
		x.seg("REF", "X9", v)
	}
	x.seg("LS", "2700")
	n := 0
	category := func(name, v string) {
		if v == "" {
			return
		}
		n++
		x.seg("LX", fmt.Sprint(n))
		x.seg("N1", "75", name)
		x.seg("REF", "9X", v)
		x.seg("DTP", "007", "D8", compactDate(r["benefit_start"]))
	}
	for _, c := range policyCategories {
		if sub == nil || r["subscriber_indicator"] == "Y" || r[c[1]] != sub[c[1]] {
			category(c[0], r[c[1]])
		}
	}
	category("PRE AMT 1", r["member_premium"])
	if amrc != "" {
		category("ADDL MAINT REASON", amrc)
	}
	x.seg("LE", "2700")
}

// compactDate turns YYYY-MM-DD into CCYYMMDD.
func compactDate(iso string) string { return strings.ReplaceAll(iso, "-", "") }
