package load

import (
	"encoding/binary"
	"fmt"
	"os"
)

// repeatFinder finds the key hashes seen with more than one transaction
// number. The pairs go to 256 buckets by the hash's top byte, each
// appended to in order; at the end each bucket, small enough for the CPU's
// caches, is checked with a map. One map of every hash, checked record by
// record, made parsing and staging 10M members 1-3 s slower and its peak
// 250 MB higher; DuckDB grouping one file of the pairs took 4.1 s.
//
// The buckets stay in memory up to memLimit bytes of pairs (16M records,
// more than 10M members a side has), then go to a file each, so that
// memory stays bounded whatever the extract's size. Files from the start
// cost 3-4 s of parsing at 10M members.
type repeatFinder struct {
	dir      string // where bucket files go ("": the system's temp dir)
	memLimit int    // 0: defaultPairMemory
	mem      int    // bytes of pairs in memory
	buckets  [256][]keyTxn
	files    [256]*os.File
	buf      []byte
	err      error // the first failure to write a bucket file
}

type keyTxn struct {
	key uint64
	txn int64
}

// pairSize is the bytes of a pair, in memory and in a bucket file.
const pairSize = 16

const defaultPairMemory = 256 << 20

func (r *repeatFinder) add(key uint64, txn int64) {
	b := &r.buckets[key>>56]
	*b = append(*b, keyTxn{key, txn})
	r.mem += pairSize
	limit := r.memLimit
	if limit == 0 {
		limit = defaultPairMemory
	}
	if r.mem >= limit {
		r.spill()
	}
}

// spill appends every bucket in memory to its file and empties it,
// keeping its capacity.
func (r *repeatFinder) spill() {
	r.mem = 0
	for i, pairs := range r.buckets {
		if len(pairs) == 0 || r.err != nil {
			r.buckets[i] = pairs[:0]
			continue
		}
		if r.files[i] == nil {
			f, err := os.CreateTemp(r.dir, "enrollaudit-keys-*.bin")
			if err != nil {
				r.err = fmt.Errorf("create staging file: %w", err)
				continue
			}
			r.files[i] = f
		}
		b := r.buf[:0]
		for _, p := range pairs {
			b = binary.LittleEndian.AppendUint64(b, p.key)
			b = binary.LittleEndian.AppendUint64(b, uint64(p.txn))
		}
		r.buf = b
		if _, err := r.files[i].Write(b); err != nil {
			r.err = fmt.Errorf("stage rows: %w", err)
		}
		r.buckets[i] = pairs[:0]
	}
}

// repeats returns the hashes seen with more than one transaction number,
// each once, and empties r. The order pairs come in does not matter: a
// hash seen with two numbers has, somewhere in its pairs, one number
// followed by another.
func (r *repeatFinder) repeats() ([]uint64, error) {
	defer r.drop()
	if r.err != nil {
		return nil, r.err
	}
	var out []uint64
	last := map[uint64]int64{}
	repeated := map[uint64]bool{}
	check := func(key uint64, txn int64) {
		if prev, ok := last[key]; ok && prev != txn && !repeated[key] {
			repeated[key] = true
			out = append(out, key)
		}
		last[key] = txn
	}
	for i, pairs := range r.buckets {
		clear(last)
		if f := r.files[i]; f != nil {
			spilled, err := os.ReadFile(f.Name())
			if err != nil {
				return nil, fmt.Errorf("read staging file: %w", err)
			}
			for ; len(spilled) >= pairSize; spilled = spilled[pairSize:] {
				check(binary.LittleEndian.Uint64(spilled), int64(binary.LittleEndian.Uint64(spilled[8:])))
			}
		}
		for _, p := range pairs {
			check(p.key, p.txn)
		}
	}
	return out, nil
}

// drop empties r and removes its bucket files.
func (r *repeatFinder) drop() {
	for i, f := range r.files {
		if f != nil {
			f.Close()
			os.Remove(f.Name())
		}
		r.files[i], r.buckets[i] = nil, nil
	}
	r.mem, r.buf = 0, nil
}
