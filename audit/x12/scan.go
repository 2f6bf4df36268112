package x12

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unsafe"
)

// maxSegment bounds one segment, so that a file read with the wrong
// terminator is refused instead of buffered whole.
const maxSegment = 1 << 20

// opening is how a file begins; it decides which envelope checks apply.
type opening int

const (
	openISA   opening = iota
	openGS            // functional groups without ISA
	openST            // transactions without ISA/GS
	openLoops         // BGN or INS: member loops without ST/SE
)

type segment struct {
	num   int      // 1-based position in the file, ISA = 1
	elems []string // elems[0] is the segment ID
}

func (s segment) id() string { return s.elems[0] }

// el returns element i (1-based) without surrounding space, "" when absent.
func (s segment) el(i int) string {
	if i < len(s.elems) {
		return strings.TrimSpace(s.elems[i])
	}
	return ""
}

// rawSegment is a segment as the scanner finds it: its elements are only
// split by the goroutine that reads them, so that the scanner, which all
// of a file goes through, does no more than find segments.
type rawSegment struct {
	num  int
	id   string
	text string // without terminator and surrounding space
	sep  byte   // element separator it was sent with
}

// split returns the segment with its elements, cut from text without
// allocating strings of their own into dst, which it reuses.
func (r rawSegment) split(dst []string) segment {
	elems := split(dst[:0], r.text, r.sep)
	elems[0] = r.id
	return segment{num: r.num, elems: elems}
}

// scanner splits a stream into segments, taking the delimiters from each
// ISA header, or guessing them when the file has no ISA.
type scanner struct {
	r       *bufio.Reader
	sep     byte // element separator
	term    byte // segment terminator
	n       int  // segments read so far
	wantISA bool // the next segment may be an ISA that sets new delimiters
	buf     []byte
	arena   []byte // segments' text, see text
}

// arenaSize is the block segments' text is copied into.
const arenaSize = 256 << 10

// text returns b as a string without allocating one per segment: b is
// copied into a block shared by the following segments, and a new block is
// taken when it is full. The strings a segment's values are cut from stay
// valid as long as they are used (the block is never reused, only
// collected once no string points into it).
func (s *scanner) text(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > cap(s.arena)-len(s.arena) {
		s.arena = make([]byte, 0, max(arenaSize, len(b)))
	}
	start := len(s.arena)
	s.arena = append(s.arena, b...)
	return unsafe.String(&s.arena[start], len(b))
}

var errNotX12 = errors.New("not an X12 file")

func newScanner(r io.Reader) (*scanner, opening, error) {
	s := &scanner{r: bufio.NewReaderSize(r, 64<<10)}
	if b, _ := s.r.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		s.r.Discard(3)
	}
	if err := s.skipSpace(); err == io.EOF {
		return nil, 0, fmt.Errorf("%w: the file is empty", errNotX12)
	} else if err != nil {
		return nil, 0, fmt.Errorf("read: %w", err)
	}
	head, err := s.r.Peek(4096)
	if err != nil && err != io.EOF {
		return nil, 0, fmt.Errorf("read: %w", err)
	}
	if bytes.HasPrefix(head, []byte("ISA")) {
		s.wantISA = true
		return s, openISA, nil
	}
	i := 0
	for i < len(head) && i < 3 && isAlnum(head[i]) {
		i++
	}
	var open opening
	switch string(head[:i]) {
	case "GS":
		open = openGS
	case "ST":
		open = openST
	case "BGN", "INS":
		open = openLoops
	default:
		return nil, 0, fmt.Errorf("%w: it starts with %q", errNotX12, head[:min(len(head), 16)])
	}
	if i == len(head) || isAlnum(head[i]) || isSpace(head[i]) {
		return nil, 0, fmt.Errorf("%w: no element separator after %q", errNotX12, head[:i])
	}
	s.sep = head[i]
	s.term = guessTerminator(head[i+1:], s.sep)
	return s, open, nil
}

// guessTerminator finds the segment terminator of a file without ISA: the
// first byte that is not data and is followed by what looks like the next
// segment's ID and an element separator.
func guessTerminator(head []byte, sep byte) byte {
	for i, c := range head {
		if isAlnum(c) || c == sep || c == ' ' {
			continue
		}
		j := i + 1
		for j < len(head) && isSpace(head[j]) {
			j++
		}
		k := j
		for k < len(head) && k-j < 3 && isAlnum(head[k]) {
			k++
		}
		if k-j >= 2 && k < len(head) && head[k] == sep && head[j] >= 'A' && head[j] <= 'Z' {
			return c
		}
	}
	return '~'
}

// next returns the next non-empty segment, or io.EOF.
func (s *scanner) next() (rawSegment, error) {
	if s.wantISA {
		s.wantISA = false
		if err := s.skipSpace(); err == io.EOF {
			return rawSegment{}, io.EOF
		} else if err != nil {
			return rawSegment{}, fmt.Errorf("read: %w", err)
		}
		if b, _ := s.r.Peek(3); string(b) == "ISA" {
			return s.readISA()
		}
	}
	for {
		text, err := s.readRaw()
		if err != nil && err != io.EOF {
			return rawSegment{}, err
		}
		text = strings.TrimSpace(text)
		if text == "" {
			if err == io.EOF {
				return rawSegment{}, io.EOF
			}
			continue
		}
		s.n++
		id := text
		if i := indexSep(text, s.sep); i >= 0 {
			id = strings.TrimSpace(text[:i])
		}
		// Another interchange may follow with its own delimiters.
		s.wantISA = id == "IEA"
		return rawSegment{num: s.n, id: id, text: text, sep: s.sep}, nil
	}
}

// split appends the sep-separated parts of text to dst, without allocating
// strings of their own.
func split(dst []string, text string, sep byte) []string {
	for {
		i := indexSep(text, sep)
		if i < 0 {
			return append(dst, text)
		}
		dst = append(dst, text[:i])
		text = text[i+1:]
	}
}

// indexSep is strings.IndexByte for the short distances between X12
// separators: segment IDs and most elements are a few bytes, where a
// plain loop beats the vectorised search's setup (an eighth of the
// parser's CPU profile went to it; parsing and staging the 1M-member 834
// took 2-3% less CPU with the loop).
func indexSep(text string, sep byte) int {
	for i := 0; i < len(text) && i < 16; i++ {
		if text[i] == sep {
			return i
		}
	}
	if len(text) <= 16 {
		return -1
	}
	if i := strings.IndexByte(text[16:], sep); i >= 0 {
		return 16 + i
	}
	return -1
}

// readRaw reads up to the next terminator, which it drops.
func (s *scanner) readRaw() (string, error) {
	chunk, err := s.r.ReadSlice(s.term)
	if err == nil {
		return s.text(chunk[:len(chunk)-1]), nil
	}
	s.buf = append(s.buf[:0], chunk...)
	for err == bufio.ErrBufferFull && len(s.buf) <= maxSegment {
		chunk, err = s.r.ReadSlice(s.term)
		s.buf = append(s.buf, chunk...)
	}
	if len(s.buf) > maxSegment {
		return "", fmt.Errorf("segment %d is longer than %d bytes: is %q really the segment terminator?", s.n+1, maxSegment, s.term)
	}
	switch err {
	case nil:
		return s.text(s.buf[:len(s.buf)-1]), nil
	case io.EOF:
		return s.text(s.buf), io.EOF
	default:
		return "", fmt.Errorf("read: %w", err)
	}
}

// readISA reads an ISA header by counting its 16 element separators rather
// than by its nominal 106 bytes, since some senders pad the IDs wrongly.
// ISA16 (component separator) is followed by the segment terminator.
func (s *scanner) readISA() (rawSegment, error) {
	num := s.n + 1
	fail := func(format string, args ...any) (rawSegment, error) {
		return rawSegment{}, fmt.Errorf("segment %d (ISA): "+format, append([]any{num}, args...)...)
	}
	var b []byte
	for seps := 0; seps < 16; {
		c, err := s.r.ReadByte()
		if err == io.EOF {
			return fail("the header ends after %d bytes; the file is truncated", len(b))
		} else if err != nil {
			return rawSegment{}, fmt.Errorf("read: %w", err)
		}
		b = append(b, c)
		switch {
		case len(b) == 4:
			if isAlnum(c) || isSpace(c) {
				return fail("element separator %q is a letter, digit or space", c)
			}
			s.sep = c
			seps++
		case len(b) > 4 && c == s.sep:
			seps++
		}
		if len(b) > 200 {
			return fail("no 16 elements in the first 200 bytes")
		}
	}
	var delims [2]byte
	if _, err := io.ReadFull(s.r, delims[:]); err == io.EOF || err == io.ErrUnexpectedEOF {
		return fail("the header ends before ISA16 and the segment terminator; the file is truncated")
	} else if err != nil {
		return rawSegment{}, fmt.Errorf("read: %w", err)
	}
	comp, term := delims[0], delims[1]
	if comp == s.sep || term == s.sep || term == comp || isAlnum(term) || term == ' ' {
		return fail("element separator %q, component separator %q and segment terminator %q are not distinct delimiters", s.sep, comp, term)
	}
	s.term = term
	s.n = num
	// b ends with the separator before ISA16, which the text ends with.
	return rawSegment{num: num, id: "ISA", text: string(append(b, comp)), sep: s.sep}, nil
}

func (s *scanner) skipSpace() error {
	for {
		b, err := s.r.Peek(1)
		if err != nil {
			return err
		}
		if !isSpace(b[0]) {
			return nil
		}
		s.r.Discard(1)
	}
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'
}
