package synth

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// rcniFields are the positions of the canonical fields in an RCNI detail
// (01) record, as the RCNI reader reads them (README "CMS RCNI").
var rcniFields = map[int]string{
	4: "issuer_hios_id", 8: "first_name", 10: "last_name", 11: "birth_date", 12: "gender",
	13: "ssn", 14: "subscriber_indicator", 15: "relationship_code", 16: "exchange_subscriber_id",
	17: "exchange_member_id", 19: "issuer_member_id", 20: "exchange_policy_id", 21: "issuer_policy_id",
	25: "state", 26: "zip", 33: "rating_area", 36: "qhp_id", 37: "benefit_start", 38: "benefit_end",
	39: "aptc_amount", 42: "csr_amount", 45: "total_premium", 48: "member_premium",
	51: "effectuation_status", 53: "coverage_year", 54: "paid_through_date",
}

// rcniWidth is the number of fields of a detail record.
const rcniWidth = 63

var rcniStatus = map[string]string{"effectuated": "Y", "pending": "N", "cancelled": "C", "terminated": "Y"}

// WriteRCNI renders a canonical CSV file (the marketplace file) as a CMS
// RCNI pipe-delimited file: one 01 record a row, dates as CCYYMMDD. RCNI
// has no "terminated": a terminated row is effectuated with its end date.
func WriteRCNI(w io.Writer, r io.Reader) error {
	rows, err := newCanonicalRows(r)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	fields := make([]string, rcniWidth)
	for {
		err := rows.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read row: %w", err)
		}
		for i := range fields {
			fields[i] = ""
		}
		fields[0] = "01"
		for pos, name := range rcniFields {
			v := rows.get(name)
			switch name {
			case "birth_date", "benefit_start", "benefit_end", "paid_through_date":
				v = compactDate(v)
			case "effectuation_status":
				v = rcniStatus[v]
			}
			fields[pos] = v
		}
		bw.WriteString(strings.Join(fields, "|"))
		bw.WriteByte('\n')
	}
	return bw.Flush()
}
