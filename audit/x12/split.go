package x12

import (
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/enrollaudit/enrollaudit/canonical"
)

// A file is read in two stages. One goroutine scans it (fileReader): it
// finds the segments, reads the envelope (ISA, GS, GE, IEA) and cuts the
// file into transactions, ST to SE, which are independent once the
// delimiters are known. Transactions are handed in jobs of about
// splitting.jobBytes to goroutines that read them (reader); what those
// find is passed to the handler in file order, so that rows, rejects,
// warnings and the order of transactions are those of reading the file
// on one goroutine.

// splitting is how a file is read in parallel.
type splitting struct {
	workers  int // goroutines reading transactions; 0: all on the caller's
	jobBytes int // transactions are handed over in jobs of about this much text
}

// defaultSplit reads on every core, in jobs small enough that the ones in
// flight (2 per worker and 2 more) hold some 5 MB of a file: with 1 MB
// jobs, reading a 230 MB 834 on 2 cores peaked at 140 MB resident, with
// 256 KB at 77 MB, for the same CPU time.
func defaultSplit() splitting {
	n := runtime.GOMAXPROCS(0)
	if n < 2 {
		return splitting{jobBytes: 256 << 10}
	}
	return splitting{workers: n, jobBytes: 256 << 10}
}

// ending is how a transaction's segments end.
type ending int

const (
	endSE          ending = iota // at its SE
	endInterrupted               // at an envelope segment: ISA, IEA, GS, GE or ST
	endOfFile
)

// span is one transaction of a job: its segments in job.segs, and the
// envelope it was sent in.
type span struct {
	st       int // index of ST; -1 for the bare member loops of a file without envelope
	from, to int // body segments, between ST and SE
	end      ending
	se       int    // index of SE, when end is endSE
	atNum    int    // segment number of the envelope segment that ended it
	atID     string // its ID
	comp     string // component separator
	isaSent  string // ISA09-10 as stamps
	gsSent   string // GS04-05 as stamps
}

// note is a warning or reject of the envelope, passed on before the
// transaction at index at of its job.
type note struct {
	at     int
	warn   string
	reject *canonical.Reject
}

// job is consecutive transactions of a file, with what the envelope around
// them gave, and what reading them found.
type job struct {
	segs  []rawSegment
	txns  []span
	notes []note
	bytes int
	done  chan struct{} // closed when out is complete
	out   outputs
}

func (j *job) reset() {
	j.segs, j.txns, j.notes, j.bytes, j.done = j.segs[:0], j.txns[:0], j.notes[:0], 0, nil
	j.out.reset()
}

// outputKind is what a handler was given.
type outputKind uint8

const (
	outRecord outputKind = iota
	outReject
	outWarn
	outTransaction
)

// outputs keeps what a job's reader finds, in order, until it can be
// passed to the file's handler.
type outputs struct {
	kinds []outputKind
	recs  []canonical.Record
	rejs  []canonical.Reject
	texts []string // warnings and transaction orders
}

func (o *outputs) Record(rec canonical.Record) error {
	o.kinds = append(o.kinds, outRecord)
	o.recs = append(o.recs, rec)
	return nil
}

func (o *outputs) Reject(rej canonical.Reject) error {
	o.kinds = append(o.kinds, outReject)
	o.rejs = append(o.rejs, rej)
	return nil
}

func (o *outputs) Warn(msg string) {
	o.kinds = append(o.kinds, outWarn)
	o.texts = append(o.texts, msg)
}

func (o *outputs) Transaction(order string) {
	o.kinds = append(o.kinds, outTransaction)
	o.texts = append(o.texts, order)
}

func (o *outputs) reset() {
	o.kinds, o.recs, o.rejs, o.texts = o.kinds[:0], o.recs[:0], o.rejs[:0], o.texts[:0]
}

// replay passes what was kept to h, in order.
func (o *outputs) replay(h canonical.Handler) error {
	th, _ := h.(canonical.TransactionHandler)
	var rec, rej, text int
	for _, k := range o.kinds {
		var err error
		switch k {
		case outRecord:
			err = h.Record(o.recs[rec])
			rec++
		case outReject:
			err = h.Reject(o.rejs[rej])
			rej++
		case outWarn:
			h.Warn(o.texts[text])
			text++
		case outTransaction:
			if th != nil {
				th.Transaction(o.texts[text])
			}
			text++
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// run reads the transactions of j, passing what they and the envelope
// notes give to rd.h.
func (rd *reader) run(j *job) error {
	n := 0
	for i := range j.txns {
		for ; n < len(j.notes) && j.notes[n].at == i; n++ {
			if err := rd.note(j.notes[n]); err != nil {
				return err
			}
		}
		if err := rd.transaction(j, &j.txns[i]); err != nil {
			return err
		}
	}
	for ; n < len(j.notes); n++ {
		if err := rd.note(j.notes[n]); err != nil {
			return err
		}
	}
	return nil
}

func (rd *reader) note(n note) error {
	if n.reject != nil {
		return rd.h.Reject(*n.reject)
	}
	rd.h.Warn(n.warn)
	return nil
}

// seg splits raw into the reader's reused elements.
func (rd *reader) seg(raw rawSegment) segment {
	s := raw.split(rd.elems)
	rd.elems = s.elems
	return s
}

// transaction reads one transaction of j.
func (rd *reader) transaction(j *job, sp *span) error {
	rd.comp = sp.comp
	if sp.st < 0 {
		rd.tx = &txn{implicit: true}
	} else if err := rd.openTxn(rd.seg(j.segs[sp.st])); err != nil {
		return err
	}
	t := rd.tx
	t.isaSent, t.gsSent = sp.isaSent, sp.gsSent
	for _, raw := range j.segs[sp.from:sp.to] {
		seg := rd.seg(raw)
		rd.count(t, seg)
		if t.broken {
			continue
		}
		if err := rd.txnSegment(t, seg); err != nil {
			return err
		}
	}
	switch sp.end {
	case endSE:
		seg := rd.seg(j.segs[sp.se])
		rd.count(t, seg)
		return rd.closeTxn(seg)
	case endInterrupted:
		return rd.interruptTxn(segment{num: sp.atNum, elems: []string{sp.atID}})
	}
	return rd.endOfFile()
}

// count counts a segment of t, which starts at the first one when it has
// no ST.
func (rd *reader) count(t *txn, seg segment) {
	if t.start == 0 {
		t.start, t.startID = seg.num, seg.id()
	}
	t.count++
}

// fileReader scans a file, reads its envelope and hands its transactions
// to readers.
type fileReader struct {
	name  string
	h     canonical.Handler
	split splitting
	isa   *envelope // open interchange
	gs    *envelope // open functional group
	// stray is set once a segment outside any transaction has been
	// rejected, so that the rest of that run is not rejected one by one.
	stray     bool
	oldFormat bool   // a GS08 other than 005010X220 was warned about
	comp      string // component separator: ISA16, ":" without ISA
	elems     []string
	open      *span // transaction being scanned, in cur
	cur       *job  // the job being filled
	queue     []*job
	free      []*job
	inline    *reader // reads the jobs when there are no workers
	jobs      chan *job
	wg        sync.WaitGroup
}

// maxQueued bounds the jobs handed over and not yet passed to the
// handler, and so the memory a file takes whatever its size.
func (fr *fileReader) maxQueued() int { return 2*fr.split.workers + 2 }

func readSplit(r io.Reader, name string, h canonical.Handler, split splitting) error {
	sc, open, err := newScanner(r)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	fr := &fileReader{name: name, h: h, split: split, comp: ":"}
	fr.cur = fr.newJob()
	if split.workers == 0 {
		fr.inline = &reader{name: name, h: h}
	} else {
		fr.jobs = make(chan *job, split.workers)
		for range split.workers {
			fr.wg.Add(1)
			go func() {
				defer fr.wg.Done()
				rd := &reader{name: name}
				for j := range fr.jobs {
					rd.h = &j.out
					rd.run(j) // passes to outputs, which never fail
					close(j.done)
				}
			}()
		}
		defer fr.wg.Wait()
		defer close(fr.jobs)
	}
	switch open {
	case openGS:
		fr.warn("no ISA envelope; reading bare functional groups")
	case openST:
		fr.warn("no ISA/GS envelope; reading bare transactions")
	case openLoops:
		fr.warn("no ISA/GS/ST envelope; reading bare member loops as one transaction, without a segment count")
		fr.openSpan(-1)
	}
	for {
		raw, err := sc.next()
		if err == io.EOF {
			return fr.finish()
		}
		if err != nil {
			// What came before still reaches the handler.
			if ferr := fr.flush(); ferr != nil {
				return ferr
			}
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := fr.segment(raw); err != nil {
			return err
		}
	}
}

func (fr *fileReader) warn(format string, args ...any) {
	fr.cur.notes = append(fr.cur.notes, note{at: len(fr.cur.txns), warn: fr.name + ": " + fmt.Sprintf(format, args...)})
}

func (fr *fileReader) reject(line int, reason string) {
	fr.cur.notes = append(fr.cur.notes, note{at: len(fr.cur.txns), reject: &canonical.Reject{File: fr.name, Line: line, Reason: reason}})
}

func (fr *fileReader) segment(raw rawSegment) error {
	fr.cur.bytes += len(raw.text)
	switch raw.id {
	case "ISA", "IEA", "GS", "GE", "ST":
		fr.stray = false
		fr.interrupt(raw)
	}
	switch raw.id {
	case "ISA":
		fr.openISA(fr.seg(raw))
	case "IEA":
		fr.closeISA(fr.seg(raw))
	case "GS":
		fr.openGS(fr.seg(raw))
	case "GE":
		fr.closeGS(fr.seg(raw))
	case "ST":
		if fr.gs != nil {
			fr.gs.count++
		}
		fr.openSpan(fr.add(raw))
		return nil
	default:
		switch {
		case fr.open == nil && !fr.stray:
			fr.stray = true
			fr.reject(raw.num, fmt.Sprintf("segment %d (%s): outside any ST/SE transaction", raw.num, raw.id))
		case fr.open == nil:
		case raw.id == "SE":
			fr.open.end, fr.open.se = endSE, fr.add(raw)
			fr.closeSpan()
		default:
			fr.open.to = fr.add(raw) + 1
			return nil
		}
	}
	if fr.open == nil && fr.cur.bytes >= fr.split.jobBytes {
		return fr.dispatch()
	}
	return nil
}

func (fr *fileReader) seg(raw rawSegment) segment {
	s := raw.split(fr.elems)
	fr.elems = s.elems
	return s
}

// add keeps raw in the job being filled and returns its index there.
func (fr *fileReader) add(raw rawSegment) int {
	fr.cur.segs = append(fr.cur.segs, raw)
	return len(fr.cur.segs) - 1
}

func (fr *fileReader) openSpan(st int) {
	n := len(fr.cur.segs)
	fr.open = &span{st: st, from: n, to: n}
}

// interrupt ends the open transaction at an envelope segment.
func (fr *fileReader) interrupt(raw rawSegment) {
	if fr.open != nil {
		fr.open.end, fr.open.atNum, fr.open.atID = endInterrupted, raw.num, raw.id
		fr.closeSpan()
	}
}

// closeSpan adds the open transaction to the job, with its envelope.
func (fr *fileReader) closeSpan() {
	sp := fr.open
	fr.open = nil
	sp.comp = fr.comp
	if fr.isa != nil {
		sp.isaSent = fr.isa.sent
	}
	if fr.gs != nil {
		sp.gsSent = fr.gs.sent
	}
	fr.cur.txns = append(fr.cur.txns, *sp)
}

func (fr *fileReader) finish() error {
	if fr.open != nil {
		fr.open.end = endOfFile
		fr.closeSpan()
	}
	fr.closeGroupless()
	if fr.isa != nil {
		fr.warn("interchange %s (segment %d) has no IEA", fr.isa.ctrl, fr.isa.num)
	}
	return fr.flush()
}

// flush hands over the job being filled and passes everything to the
// handler.
func (fr *fileReader) flush() error {
	if err := fr.dispatch(); err != nil {
		return err
	}
	return fr.drain(0)
}

// dispatch hands the job being filled to a reader.
func (fr *fileReader) dispatch() error {
	j := fr.cur
	if len(j.txns) == 0 && len(j.notes) == 0 {
		return nil
	}
	fr.cur = fr.newJob()
	if fr.inline != nil {
		err := fr.inline.run(j)
		fr.recycle(j)
		return err
	}
	j.done = make(chan struct{})
	fr.queue = append(fr.queue, j)
	fr.jobs <- j
	return fr.drain(fr.maxQueued())
}

// drain passes the jobs that are read to the handler, in order, waiting
// until no more than keep are left.
func (fr *fileReader) drain(keep int) error {
	for len(fr.queue) > 0 {
		j := fr.queue[0]
		if len(fr.queue) <= keep {
			select {
			case <-j.done:
			default:
				return nil
			}
		} else {
			<-j.done
		}
		fr.queue = fr.queue[1:]
		err := j.out.replay(fr.h)
		fr.recycle(j)
		if err != nil {
			return err
		}
	}
	return nil
}

func (fr *fileReader) newJob() *job {
	if n := len(fr.free); n > 0 {
		j := fr.free[n-1]
		fr.free = fr.free[:n-1]
		return j
	}
	// Sized for a job of jobBytes (segments are some 20 bytes), so that
	// it does not grow segment by segment.
	return &job{segs: make([]rawSegment, 0, min(fr.split.jobBytes/20, 1<<16))}
}

func (fr *fileReader) recycle(j *job) {
	j.reset()
	fr.free = append(fr.free, j)
}

func (fr *fileReader) openISA(seg segment) {
	fr.closeGroupless()
	if fr.isa != nil {
		fr.warn("interchange %s (segment %d) has no IEA", fr.isa.ctrl, fr.isa.num)
	}
	fr.isa = &envelope{num: seg.num, ctrl: seg.el(13), sent: stamp(seg.el(9), 6) + stamp(seg.el(10), 4)}
	fr.comp = seg.el(16)
}

func (fr *fileReader) closeISA(seg segment) {
	fr.closeGroupless()
	if fr.isa == nil {
		fr.warn("segment %d (IEA): no ISA before it", seg.num)
		return
	}
	if n, err := strconv.Atoi(seg.el(1)); err != nil || n != fr.isa.count {
		fr.warn("segment %d (IEA), element 1: IEA01 %q does not match the %d functional groups of interchange %s", seg.num, seg.el(1), fr.isa.count, fr.isa.ctrl)
	}
	if seg.el(2) != fr.isa.ctrl {
		fr.warn("segment %d (IEA), element 2: IEA02 %q does not match ISA13 %q", seg.num, seg.el(2), fr.isa.ctrl)
	}
	fr.isa = nil
}

// closeGroupless warns about a group left open when its interchange ends.
func (fr *fileReader) closeGroupless() {
	if fr.gs != nil {
		fr.warn("functional group %s (segment %d) has no GE", fr.gs.ctrl, fr.gs.num)
		fr.gs = nil
	}
}

func (fr *fileReader) openGS(seg segment) {
	fr.closeGroupless()
	if fr.isa != nil {
		fr.isa.count++
	}
	fr.gs = &envelope{num: seg.num, ctrl: seg.el(6), sent: stamp(seg.el(4), 8) + stamp(seg.el(5), 8)}
	if v := seg.el(8); !strings.HasPrefix(v, "005010X220") && !fr.oldFormat {
		fr.oldFormat = true
		fr.warn("segment %d (GS), element 8: version %q is not 005010X220A1; reading it as 005010X220A1", seg.num, v)
	}
}

func (fr *fileReader) closeGS(seg segment) {
	if fr.gs == nil {
		fr.warn("segment %d (GE): no GS before it", seg.num)
		return
	}
	if n, err := strconv.Atoi(seg.el(1)); err != nil || n != fr.gs.count {
		fr.warn("segment %d (GE), element 1: GE01 %q does not match the %d transactions of group %s", seg.num, seg.el(1), fr.gs.count, fr.gs.ctrl)
	}
	if seg.el(2) != fr.gs.ctrl {
		fr.warn("segment %d (GE), element 2: GE02 %q does not match GS06 %q", seg.num, seg.el(2), fr.gs.ctrl)
	}
	fr.gs = nil
}
