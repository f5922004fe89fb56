package dedup

import (
	"math/bits"
	"unsafe"
)

// table is an insert-only set of 64-bit hashes that stores 32 bits of each.
// The top s bits of a key pick one of 2^s shards; the low 32 bits are the
// fingerprint stored in the shard, an open-addressing array (linear
// probing) whose start slot is derived from the fingerprint itself, so a
// shard can be rehashed into a bigger array without the original key. Two
// keys are confused only when they agree on s + 32 bits; an absent key is
// wrongly reported present with probability n / 2^(32+s) for n keys in the
// table. 0 marks an empty slot, so a zero fingerprint is stored as 1.
//
// Each shard grows by 1.5× when its load would pass maxLoad, so the load
// stays within [maxLoad/1.5, maxLoad]: 4.7–7.1 bytes per key, plus the shard
// headers (32 bytes × 2^s).
type table struct {
	shards []shard
	shift  uint8 // 64 − s
	n      int
	slots  int // total slots allocated, for bytes()
}

type shard struct {
	slots []uint32
	n     int32
}

const (
	maxLoad       = 0.85
	minShardSlots = 8
)

// shardBits picks s so that a table of maxKeys keys has about 4096 keys per
// shard (small shards rehash fast; the headers cost < 0.01 byte per key at
// capacity), within [4, 16]. It makes the false-positive rate at capacity
// about maxKeys/2^(32+s) ≈ 2^-20 ≈ 1e-6 whatever maxKeys is.
func shardBits(maxKeys int) uint8 {
	s := bits.Len64(uint64(max(maxKeys, 1))) - 12
	return uint8(min(max(s, 4), 16))
}

func newTable(s uint8) table {
	return table{shards: make([]shard, 1<<s), shift: 64 - s}
}

func fingerprint(key uint64) uint32 {
	if fp := uint32(key); fp != 0 {
		return fp
	}
	return 1
}

// start maps a fingerprint onto [0, n) (multiply-shift range reduction).
func start(fp uint32, n int) int {
	return int(uint64(fp) * uint64(n) >> 32)
}

// has reports whether key (its shard and fingerprint) is in the table.
func (t *table) has(key uint64) bool {
	s := t.shards[key>>t.shift].slots
	if len(s) == 0 {
		return false
	}
	fp := fingerprint(key)
	for i := start(fp, len(s)); ; {
		switch s[i] {
		case fp:
			return true
		case 0:
			return false
		}
		if i++; i == len(s) {
			i = 0
		}
	}
}

// add inserts key; it reports false when the key was there.
func (t *table) add(key uint64) bool {
	sh := &t.shards[key>>t.shift]
	if len(sh.slots) == 0 || float64(sh.n+1) > maxLoad*float64(len(sh.slots)) {
		t.grow(sh)
	}
	fp := fingerprint(key)
	s := sh.slots
	for i := start(fp, len(s)); ; {
		switch s[i] {
		case fp:
			return false
		case 0:
			s[i] = fp
			t.n++
			sh.n++
			return true
		}
		if i++; i == len(s) {
			i = 0
		}
	}
}

func (t *table) grow(sh *shard) {
	size := max(len(sh.slots)*3/2, minShardSlots)
	old := sh.slots
	s := make([]uint32, size)
	for _, fp := range old {
		if fp == 0 {
			continue
		}
		i := start(fp, size)
		for s[i] != 0 {
			if i++; i == size {
				i = 0
			}
		}
		s[i] = fp
	}
	sh.slots = s
	t.slots += size - len(old)
}

// bytes is the memory the table holds: slots and shard headers.
func (t *table) bytes() int {
	return 4*t.slots + len(t.shards)*int(unsafe.Sizeof(shard{}))
}

// reset empties the table and releases its slots.
func (t *table) reset() {
	clear(t.shards)
	t.n, t.slots = 0, 0
}
