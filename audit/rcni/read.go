package rcni

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"unicode"

	"github.com/enrollaudit/enrollaudit/canonical"
)

// MaxLine bounds one line, its line ending not counted, so that a file
// without newlines is refused line by line instead of buffered whole.
const MaxLine = 1 << 20

// minFields is the field count up to the last field read (54, paid-through
// date); the agent/broker fields after it may be missing.
const minFields = 55

type column struct {
	pos     int
	field   string
	convert conversion
}

// A conversion says how a field's text becomes canonical text. A value it
// cannot read is kept as sent, for the normaliser to type or record as a
// field problem: a bad value never loses the member. Each has a Go form
// (apply) and an SQL form (sql), which the tests hold to the same results.
// Dates are sent as they are: the normaliser reads CCYYMMDD, and a date it
// cannot read is a field problem quoting the file's own text.
type conversion int

const (
	asSent conversion = iota
	// status reads the effectuation indicator: Y, N or C.
	status
)

// columns are the fields read from a detail (01) record: 0-based position,
// canonical field and conversion. Positions follow ideacrew/edi_gateway's
// RCNI code (README, "CMS RCNI").
var columns = []column{
	{4, "issuer_hios_id", asSent},
	{8, "first_name", asSent},
	{10, "last_name", asSent},
	{11, "birth_date", asSent},
	{12, "gender", asSent},
	{13, "ssn", asSent},
	{14, "subscriber_indicator", asSent},
	{15, "relationship_code", asSent},
	{16, "exchange_subscriber_id", asSent},
	{17, "exchange_member_id", asSent},
	{19, "issuer_member_id", asSent},
	{20, "exchange_policy_id", asSent},
	{21, "issuer_policy_id", asSent},
	{25, "state", asSent}, // residential address; 27-31 are the mailing address
	{26, "zip", asSent},
	{33, "rating_area", asSent}, // completed with the state once the record is read
	{36, "qhp_id", asSent},
	{37, "benefit_start", asSent},
	{38, "benefit_end", asSent},
	{39, "aptc_amount", asSent},
	{42, "csr_amount", asSent},
	{45, "total_premium", asSent},
	{48, "member_premium", asSent},
	{51, "effectuation_status", status},
	{53, "coverage_year", asSent},
	{54, "paid_through_date", asSent},
}

// ratingAreaColumn is the rating area's entry in columns.
var ratingAreaColumn = slices.IndexFunc(columns, func(c column) bool { return c.field == "rating_area" })

// fieldIndex[i] is the index in canonical.Fields of columns[i].field.
var fieldIndex = func() []int {
	out := make([]int, len(columns))
	for i, c := range columns {
		for fi, f := range canonical.Fields {
			if f.Name == c.field {
				out[i] = fi
			}
		}
	}
	return out
}()

// Read is the Go parser the product used before RCNI files were read by
// DuckDB (audit/load, rcni.go, through DetailsSQL and Classify): it is kept
// only as the oracle of that reader's differential test, which holds the
// two to the same rows, rejects and lines. It reads the RCNI file r, called
// name in messages, and passes each detail record and reject to h in file
// order. It returns an error only when r cannot be read, when the file is
// not pipe-delimited, or when h returns one.
//
// Lines are independent, so they are read here in blocks and parsed in
// parallel (one worker a core), and the blocks handed to h in order.
func Read(r io.Reader, name string, h canonical.Handler) error {
	rd := &reader{name: name, lines: NewLineReader(r)}
	jobs := make(chan *block)
	order := make(chan *block, 2*runtime.GOMAXPROCS(0))
	stop := make(chan struct{})
	defer close(stop)
	var readErr error
	go func() {
		defer close(order)
		defer close(jobs)
		readErr = rd.blocks(jobs, order, stop)
	}()
	for range runtime.GOMAXPROCS(0) {
		go func() {
			var fields []string
			for b := range jobs {
				fields = b.parse(name, fields)
				close(b.ready)
			}
		}()
	}
	for b := range order {
		<-b.ready
		for i := range b.items {
			it := &b.items[i]
			var err error
			if it.reject.Reason != "" {
				err = h.Reject(it.reject)
			} else if it.rec.Line > 0 {
				err = h.Record(it.rec)
			}
			if err != nil {
				return err
			}
		}
	}
	return readErr // written before order was closed
}

// blockLines is how many lines go in one block.
const blockLines = 2048

// block is a run of lines, parsed by a worker into items.
type block struct {
	text  string // the lines' text, one string for the block
	lines []rawLine
	items []item
	ready chan struct{} // closed when items are parsed
}

type rawLine struct {
	n          int // line number
	start, end int // in text
	tooLong    bool
}

// item is what a line gives: a record, a reject, or nothing (a summary
// record).
type item struct {
	rec    canonical.Record
	reject canonical.Reject
}

type reader struct {
	name  string
	lines *LineReader
}

// blocks reads the file's non-blank lines into blocks, which it sends to
// the workers (jobs) and, in file order, to the caller (order).
func (rd *reader) blocks(jobs, order chan<- *block, stop <-chan struct{}) error {
	var text []byte
	var lines []rawLine
	send := func() bool {
		b := &block{text: string(text), lines: lines, ready: make(chan struct{})}
		text, lines = text[:0], nil
		for _, ch := range []chan<- *block{order, jobs} {
			select {
			case ch <- b:
			case <-stop:
				return false
			}
		}
		return true
	}
	seen := false
	for n := 1; ; n++ {
		line, tooLong, err := rd.lines.Next()
		if err != nil && err != io.EOF {
			return fmt.Errorf("%s: read: %w", rd.name, err)
		}
		if !Blank(line, tooLong) {
			if !seen {
				if err := CheckDelimited(rd.name, n, line, tooLong); err != nil {
					return err
				}
			}
			seen = true
			start := len(text)
			text = append(text, line...)
			lines = append(lines, rawLine{n: n, start: start, end: len(text), tooLong: tooLong})
			if len(lines) == blockLines && !send() {
				return nil
			}
		}
		if err == io.EOF {
			if len(lines) > 0 {
				send()
			}
			return nil
		}
	}
}

// parse turns the block's lines into items; fields is a reused buffer.
func (b *block) parse(name string, fields []string) []string {
	b.items = make([]item, len(b.lines))
	for i, l := range b.lines {
		fields = parseLine(&b.items[i], name, l.n, b.text[l.start:l.end], l.tooLong, fields[:0])
	}
	return fields
}

func parseLine(it *item, name string, n int, line string, tooLong bool, fields []string) []string {
	kind, rej := Classify(name, n, line, tooLong)
	if kind != Detail {
		it.reject = rej // none for a summary record
		return fields
	}
	fields = split(fields, line)
	it.rec.Line = n
	for i, c := range columns {
		it.rec.Values[fieldIndex[i]] = c.convert.apply(trim(fields[c.pos]))
	}
	ra := fieldIndex[ratingAreaColumn]
	it.rec.Values[ra] = canonical.RatingArea(it.rec.Values[ra], it.rec.Get("state"))
	return fields
}

// trim trims v as the normaliser trims every value (and DetailsSQL those it
// converts): when v starts or ends with a space, the space separators
// (Unicode's Zs, which DuckDB's trim() removes) at both ends.
func trim(v string) string {
	if strings.HasPrefix(v, " ") || strings.HasSuffix(v, " ") {
		return strings.TrimFunc(v, func(r rune) bool { return unicode.Is(unicode.Zs, r) })
	}
	return v
}

// split appends the |-separated fields of line to dst.
func split(dst []string, line string) []string {
	for {
		i := strings.IndexByte(line, '|')
		if i < 0 {
			return append(dst, line)
		}
		dst = append(dst, line[:i])
		line = line[i+1:]
	}
}

// apply returns the canonical text of v, a trimmed value.
func (c conversion) apply(v string) string {
	switch c {
	case status:
		if s, ok := statuses[v]; ok {
			return s
		}
	}
	return v
}

var statuses = map[string]string{"Y": "effectuated", "N": "pending", "C": "cancelled"}
