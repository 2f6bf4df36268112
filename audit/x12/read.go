package x12

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/enrollaudit/enrollaudit/canonical"
)

// Read reads the X12 834 file r, called name in messages, and passes each
// member row, reject and warning to h in file order. Rows of a transaction
// are passed when its SE has been checked. It returns an error only when r
// cannot be read, when the file is not X12, or when h returns one.
//
// The file is scanned on one goroutine and its transactions are read on
// several (split.go); what they find reaches h in file order all the same.
func Read(r io.Reader, name string, h canonical.Handler) error {
	return readSplit(r, name, h, defaultSplit())
}

// reader reads transactions: the segments from ST to SE, or the bare
// member loops of a file without envelope.
type reader struct {
	name  string
	h     canonical.Handler
	comp  string            // component separator: ISA16, ":" without ISA
	tx    *txn              // open transaction
	rows  []row             // reused by emit from transaction to transaction
	free  []*member         // members of emitted transactions, for newMember
	subs  map[policyKey]int // reused by emit
	elems []string          // reused by each segment's elements
}

// envelope is an open ISA/IEA interchange or GS/GE group.
type envelope struct {
	num   int    // segment number of ISA or GS
	ctrl  string // ISA13 or GS06
	count int    // groups in the interchange, transactions in the group
	sent  string // ISA09-10 or GS04-05 as stamps
}

// txn is an ST/SE transaction, or the implicit one of a file that starts
// with BGN or INS.
type txn struct {
	start    int    // segment number of ST, or of the first bare segment
	startID  string // ST, BGN or INS
	ctrl     string // ST02
	implicit bool
	count    int    // segments so far, ST included
	bgn      bool   // BGN seen, or not expected
	date     string // BGN03 as YYYY-MM-DD, "" when unusable
	sent     string // BGN03-04 as stamps
	isaSent  string // its interchange's ISA09-10 as stamps, "" without ISA
	gsSent   string // its group's GS04-05 as stamps, "" without GS
	hios     string // issuer HIOS ID from N1*IN
	broken   bool   // rejected whole; segments are skipped until SE
	cur      *member
	members  []*member // closed members without rejects
}

func (rd *reader) warn(format string, args ...any) {
	rd.h.Warn(rd.name + ": " + fmt.Sprintf(format, args...))
}

func (rd *reader) reject(line int, field, value, reason string) error {
	return rd.h.Reject(canonical.Reject{File: rd.name, Line: line, Field: field, Value: value, Reason: reason})
}

func (rd *reader) openTxn(seg segment) error {
	t := &txn{start: seg.num, startID: "ST", ctrl: seg.el(2), count: 1}
	rd.tx = t
	if seg.el(1) != "834" {
		return rd.breakTxn(t, "transaction set %q is not an 834", seg.el(1))
	}
	return nil
}

// interruptTxn ends the open transaction at an envelope segment: an ST/SE
// transaction lacks its SE, while bare member loops simply end there.
func (rd *reader) interruptTxn(seg segment) error {
	t := rd.tx
	if t == nil {
		return nil
	}
	rd.tx = nil
	if t.implicit {
		return rd.endTxn(t)
	}
	if t.broken {
		return nil
	}
	return rd.breakTxn(t, "no SE before %s at segment %d", seg.id(), seg.num)
}

func (rd *reader) closeTxn(seg segment) error {
	t := rd.tx
	rd.tx = nil
	if t.broken || t.implicit {
		return rd.endTxn(t)
	}
	if err := rd.endMember(t); err != nil || t.broken {
		return err
	}
	// A wrong count with every segment present is a sender's bookkeeping
	// slip, not lost data: warn and keep the members.
	if n, err := strconv.Atoi(seg.el(1)); err != nil {
		rd.warn("SE01 %q at segment %d is not a segment count", seg.el(1), seg.num)
	} else if n != t.count {
		rd.warn("SE01 at segment %d says %d segments, counted %d", seg.num, n, t.count)
	}
	if seg.el(2) != t.ctrl {
		return rd.breakTxn(t, "SE02 %q at segment %d does not match ST02", seg.el(2), seg.num)
	}
	return rd.emit(t)
}

// endTxn closes a transaction whose envelope needs no more checks.
func (rd *reader) endTxn(t *txn) error {
	if t.broken {
		return nil
	}
	if err := rd.endMember(t); err != nil || t.broken {
		return err
	}
	return rd.emit(t)
}

// endOfFile closes the transaction the file ends in.
func (rd *reader) endOfFile() error {
	t := rd.tx
	rd.tx = nil
	if t.implicit {
		return rd.endTxn(t)
	}
	if !t.broken {
		return rd.breakTxn(t, "no SE before the end of the file; is it truncated?")
	}
	return nil
}

// breakTxn rejects the whole transaction; its remaining segments are skipped.
func (rd *reader) breakTxn(t *txn, format string, args ...any) error {
	t.broken = true
	t.cur, t.members = nil, nil
	var at string
	switch {
	case t.implicit:
		at = fmt.Sprintf("segment %d (%s): bare transaction: ", t.start, t.startID)
	case t.ctrl == "":
		at = fmt.Sprintf("segment %d (ST): transaction: ", t.start)
	default:
		at = fmt.Sprintf("segment %d (ST): transaction %s: ", t.start, t.ctrl)
	}
	return rd.reject(t.start, "", "", at+fmt.Sprintf(format, args...))
}

// headerSegments may come between BGN and the first INS (the 1000 loops).
var headerSegments = set("REF", "DTP", "QTY", "N1", "N2", "N3", "N4", "PER", "ACT")

func (rd *reader) txnSegment(t *txn, seg segment) error {
	id := seg.id()
	if !t.bgn {
		switch {
		case id == "BGN":
			t.bgn = true
			t.date, _ = isoDate(seg.el(3))
			t.sent = stamp(seg.el(3), 8) + stamp(seg.el(4), 8)
			return nil
		case id == "INS" && t.implicit:
			t.bgn = true // bare member loops have no header
		default:
			return rd.breakTxn(t, "%s at segment %d comes before BGN", id, seg.num)
		}
	}
	if id == "INS" {
		if err := rd.endMember(t); err != nil || t.broken {
			return err
		}
		return rd.beginMember(t, seg)
	}
	if t.cur != nil {
		return rd.memberSegment(t, t.cur, seg)
	}
	if !headerSegments[id] {
		return rd.breakTxn(t, "%s at segment %d is out of place before the first INS", id, seg.num)
	}
	// The issuer's N1 may name it by HIOS ID; a tax ID is of no use here.
	if id == "N1" && seg.el(1) == "IN" && hiosRE.MatchString(seg.el(4)) {
		t.hios = seg.el(4)
	}
	return nil
}

// emit passes the rows of a checked transaction to the handler, after
// copying policy-level values from each subscriber to its dependents.
func (rd *reader) emit(t *txn) error {
	rows := rd.rows[:0]
	defer func() { rd.rows = rows[:0] }()
	sub := ""
	for _, m := range t.members {
		// A member without REF*0F belongs with the subscriber before it,
		// as members follow their subscriber in a transaction.
		if id := m.rec.Values[fExchangeSubscriberID]; id != "" || m.sub {
			sub = id
		}
		rows = m.rows(t.hios, sub, rows)
	}
	// The subscriber row of each policy, or several.
	const several = -1
	if rd.subs == nil {
		rd.subs = make(map[policyKey]int)
	}
	subs := rd.subs
	clear(subs)
	for i := range rows {
		if r := &rows[i]; r.m.sub {
			if _, seen := subs[r.key()]; seen {
				subs[r.key()] = several
			} else {
				subs[r.key()] = i
			}
			r.rec.Values[fRatingArea] = canonical.RatingArea(r.rec.Values[fRatingArea], r.state(nil))
		}
	}
	for i := range rows {
		r := &rows[i]
		if r.m.sub {
			continue
		}
		src, found := subs[r.key()]
		// With no subscriber, or several, there is no one policy to copy from.
		if !found || src == several {
			r.rec.Values[fRatingArea] = canonical.RatingArea(r.rec.Values[fRatingArea], r.state(nil))
			continue
		}
		s := &rows[src]
		r.rec.Values[fRatingArea] = canonical.RatingArea(r.rec.Values[fRatingArea], r.state(s))
		for fi, f := range canonical.Fields {
			if f.PolicyLevel && r.rec.Values[fi] == "" {
				r.rec.Values[fi] = s.rec.Values[fi]
			}
		}
		if r.m.typ == "001" || r.m.typ == "030" {
			r.rec.Values[fEffectuationStatus] = s.rec.Values[fEffectuationStatus]
		}
	}
	if th, ok := rd.h.(canonical.TransactionHandler); ok {
		th.Transaction(rd.order(t))
	}
	for _, r := range rows {
		if err := rd.h.Record(r.rec); err != nil {
			return err
		}
	}
	// The records passed are copies: the members can be reused.
	rd.free = append(rd.free, t.members...)
	t.members = nil
	return nil
}

// order places transaction t among the file's others by when it was sent:
// interchange date and time (ISA09-10), group's (GS04-05), transaction's
// (BGN03-04), then its position in the file.
func (rd *reader) order(t *txn) string {
	return fmt.Sprintf("%-10s|%-16s|%-16s|%012d", t.isaSent, t.gsSent, t.sent, t.start)
}

// stamp pads a date or time element to width, so that stamps compare as
// text in time order (HHMM and HHMMSS alike).
func stamp(v string, width int) string {
	if len(v) >= width {
		return v[:width]
	}
	return v + strings.Repeat("0", width-len(v))
}
