package match

import "unicode/utf8"

// cursor is a position in the text and the automaton's state there: the
// encoded state and the word class of the rune before it.
type cursor struct {
	i    int
	v    uint32
	prev uint8
}

// laneMin is the shortest text scanned in two lanes.
const (
	laneMin = 48
	// laneRounds bounds how often the lanes stop for the slow path of
	// either before they finish apart: text with many non-ASCII runs
	// gains nothing from lockstep. Measured: realistic posts stop 0.8
	// times on average; at 8, text with a foreign word in three
	// (BenchmarkMatch) was 12% slower than one lane, at 2, 5%.
	laneRounds = 2
	splitReach = 12 // ≤ laneMin/4: both searches stay inside the text
)

// scan appends to dst every occurrence of every compiled term in text, in
// text order (by the position where the automaton finds it). It does not
// allocate when dst has room. The words at the start of the text that no
// term starts with are not stepped (skipTo); scanAll scans the rest.
func (e *Engine) scan(dst []hit, text []byte) []hit {
	s := e.skipTo(text)
	if s == 0 {
		return e.scanAll(dst, text)
	}
	base := len(dst)
	dst = e.scanAll(dst, text[s:])
	for i := base; i < len(dst); i++ {
		dst[i].end += int32(s)
	}
	return dst
}

// scanAll is scan stepping the automaton over all of text.
//
// Stepping the automaton is one dependent load per byte, so a single scan is
// bound by load latency (about 2 ns per byte on the benchmark machine with
// the table in L1), not by throughput. A text of laneMin bytes or more is
// therefore scanned in two lanes that step in lockstep: the first from the
// start, the second from just after a space near the middle, in the state a
// space leaves when no match is pending (idle: rootB). The two chains of
// loads overlap. Both lanes append their hits to dst as they find them.
// When the first lane reaches the split, its state decides: if it is idle
// too, the second lane's hits are exactly the single scan's and are kept,
// after the first lane's; otherwise (a phrase or a term that spans the
// split, rare) they are dropped and the second half is scanned again from
// the first lane's state.
func (e *Engine) scanAll(dst []hit, text []byte) []hit {
	n := len(text)
	a := cursor{0, e.rootB, prevBoundary}
	p := splitAt(text)
	if p == 0 {
		dst, a = e.runFrom(dst, text, a, n)
		return e.finish(dst, text, a)
	}
	base := len(dst) // both lanes append their hits to dst as they find them
	b := cursor{p, e.rootB, prevBoundary}
	for r := 0; r < laneRounds && a.i < p && b.i < n; {
		if a.v&flagSlow == 0 && b.v&flagSlow == 0 {
			ka, kb, va, vb := lockstep(&e.st, text[a.i:p], text[b.i:], a.v, b.v)
			if ka > 0 {
				a = cursor{a.i + ka, va, e.prevAfter(text[a.i+ka-1], va)}
			}
			if kb > 0 {
				b = cursor{b.i + kb, vb, e.prevAfter(text[b.i+kb-1], vb)}
			}
			var inA, inB bool
			if a.i < p {
				dst, inA = e.inPlace(dst, text, &a)
			}
			if b.i < n {
				dst, inB = e.inPlace(dst, text, &b)
			}
			if inA || inB {
				continue
			}
		}
		r++
		if a.i < p && e.blocked(text, a) {
			dst, a = e.run(dst, text, a, e.unitEnd(text, a.i, p))
		}
		if b.i < n && e.blocked(text, b) {
			dst, b = e.run(dst, text, b, e.unitEnd(text, b.i, n))
		}
	}
	dst, a = e.runFrom(dst, text, a, p)
	if a.v == e.rootB && a.prev == prevBoundary {
		dst = firstLaneFirst(dst, base, p)
		dst, a = e.runFrom(dst, text, b, n)
	} else {
		dst = firstLaneOnly(dst, base, p)
		dst, a = e.runFrom(dst, text, a, n)
	}
	return e.finish(dst, text, a)
}

// The lanes' hits in dst[base:] are told apart by where they end: the first
// lane's before the split p (it steps the bytes before p, the last of them a
// space), the second lane's after it (it starts after that space with a
// boundary, so it finds nothing at p).

// firstLaneFirst moves the first lane's hits before the second lane's,
// each in the order found: the order of one scan.
func firstLaneFirst(dst []hit, base, p int) []hit {
	for i := base + 1; i < len(dst); i++ {
		h := dst[i]
		if int(h.end) >= p {
			continue
		}
		j := i
		for ; j > base && int(dst[j-1].end) >= p; j-- {
			dst[j] = dst[j-1]
		}
		dst[j] = h
	}
	return dst
}

// firstLaneOnly drops the second lane's hits.
func firstLaneOnly(dst []hit, base, p int) []hit {
	w := base
	for _, h := range dst[base:] {
		if int(h.end) < p {
			dst[w] = h
			w++
		}
	}
	return dst[:w]
}

// prevAfter is the word class after the last unit lockstep stepped, whose
// last byte is c and which left state v: after an ASCII byte, the byte
// tells; after a non-ASCII unit, the state: only a boundary leaves rootB
// (then the unit was punctuation, or an ignorable after a boundary), and
// every other unit lockstep takes is a letter or follows one.
func (e *Engine) prevAfter(c byte, v uint32) uint8 {
	if c < utf8.RuneSelf {
		return e.after[c]
	}
	if v == e.rootB {
		return prevBoundary
	}
	return prevSpaced
}

// quiet steps c over the non-ASCII rune at c.i when it is punctuation or an
// emoji no term starts with read with nothing pending, or an ignorable
// (stepTables.quietRune); it reports whether it did.
func (e *Engine) quiet(text []byte, c *cursor) bool {
	n, ign := e.st.quietRune(text[c.i:])
	if n == 0 {
		return false
	}
	if ign {
		c.i += n
		return true
	}
	v := c.v
	if c.prev != prevBoundary {
		v = e.tbl[v+e.clsB]
	}
	if v != e.rootB { // a match pending, or the boundary ends one
		return false
	}
	*c = cursor{c.i + n, e.rootB, prevBoundary}
	return true
}

// inPlace takes the unit at c.i where lockstep stopped, when the lanes can
// take it without leaving lockstep: punctuation or an emoji no term starts
// with, or an ignorable (quiet), or a space that ends a term (endAtSpace).
// It reports whether it did.
func (e *Engine) inPlace(dst []hit, text []byte, c *cursor) ([]hit, bool) {
	if text[c.i] >= utf8.RuneSelf {
		return dst, e.quiet(text, c)
	}
	return e.endAtSpace(dst, text, c)
}

// endAtSpace takes the step run takes at the ASCII space at c.i after a
// word, the lanes' most common stop (a term ends there): the boundary's
// transition and its hits, without run's set-up, and without counting a
// round. It reports false, having done nothing, for any other byte or
// state, or when the boundary leads to a sparse state.
func (e *Engine) endAtSpace(dst []hit, text []byte, c *cursor) ([]hit, bool) {
	if c.v&flagSlow != 0 || c.prev == prevBoundary || e.ascii[text[c.i]]>>8 != kSpace {
		return dst, false
	}
	v := e.tbl[c.v+e.clsB]
	if v&flagSlow != 0 {
		if v>>2 >= e.nDense {
			return dst, false
		}
		if v&flagOut != 0 {
			dst = e.emit(dst, v, text, c.i, true)
		}
		v = v >> 2 * e.stride
	}
	*c = cursor{c.i + 1, v, prevBoundary}
	return dst, true
}

// splitAt returns where the second lane starts: just after a space within
// splitReach bytes of the middle of text, or 0 for a text scanned in one
// lane (short, or without spaces near the middle: Han and kana text gains
// nothing from lanes, which stop at every non-ASCII rune).
func splitAt(text []byte) int {
	n := len(text)
	if n < laneMin {
		return 0
	}
	m := n / 2
	for d := 0; d < splitReach; d++ {
		if text[m+d] == ' ' {
			return m + d + 1
		}
		if text[m-d-1] == ' ' {
			return m - d
		}
	}
	return 0
}

// blocked reports whether the fast loop cannot take the unit at c: a
// non-ASCII byte, a state that is not plain, or a transition that is flagged.
func (e *Engine) blocked(text []byte, c cursor) bool {
	b := text[c.i]
	return b >= utf8.RuneSelf || c.v&flagSlow != 0 || e.tbl[c.v+uint32(e.rawCls[b])]&flagSlow != 0
}

// unitEnd returns how far a blocked lane at i runs alone: one byte, or a
// whole run of non-ASCII bytes (up to end).
func (e *Engine) unitEnd(text []byte, i, end int) int {
	j := i + 1
	for j < end && text[j] >= utf8.RuneSelf {
		j++
	}
	return j
}

// cold reports whether the rune with folded key key, read in state v with
// nothing pending (the root, or rootB), leaves the automaton at the root:
// its key is one rune that no term starts with (runeBits has no false
// negatives). Stepping it would take one dependent load per key byte.
func (e *Engine) cold(v uint32, key []byte) bool {
	if (v != 0 && v != e.rootB) || len(key) < 2 || len(key) > 4 || leadLen(key[0]) != len(key) {
		return false
	}
	return !e.startsTerm(keyWord(key))
}

// leadLen is the length of the UTF-8 sequence a byte leads (1 for any
// other byte).
func leadLen(c byte) int {
	switch {
	case c >= 0xF0:
		return 4
	case c >= 0xE0:
		return 3
	case c >= 0xC0:
		return 2
	}
	return 1
}

// finish ends the stream at the end of the text with its final boundary.
func (e *Engine) finish(dst []hit, text []byte, c cursor) []hit {
	if c.prev != prevBoundary {
		if v := e.step(c.v, e.clsB); v&flagOut != 0 {
			dst = e.emit(dst, v, text, len(text), true)
		}
	}
	return dst
}

// runFrom is run with the common case first: the ASCII bytes from at
// walked in plain states without run's set-up (a third of a short text's
// cost); run takes whatever is left.
func (e *Engine) runFrom(dst []hit, text []byte, at cursor, end int) ([]hit, cursor) {
	if at.i < end && at.v&flagSlow == 0 {
		if k, v := walk(&e.st, text[at.i:end], at.v); k > 0 {
			at = cursor{at.i + k, v, e.after[text[at.i+k-1]&0x7F]}
		}
	}
	if at.i < end {
		return e.run(dst, text, at, end)
	}
	return dst, at
}

// run advances the automaton from at over text[at.i:end] (past end when a
// rune straddles it) and appends the hits. ASCII runs go through the dense
// table one load per byte: the columns of raw bytes fold case and the
// boundary logic of the matching stream into the transition. Non-ASCII runes
// are decoded inline and their folded keys stepped symbol by symbol; sparse
// states and transitions that end a term take the slow path for one byte.
//
// The automaton of diacritic-insensitive terms (e.strip) reads text without
// combining marks: they are skipped, and keys lose theirs.
func (e *Engine) run(dst []hit, text []byte, at cursor, end int) ([]hit, cursor) {
	tbl, sym := e.tbl, &e.symCls
	rt := e.rt
	n := len(text)
	v, prev, i := at.v, at.prev, at.i
	for i < end {
		// A non-ASCII byte leaves the fast loop at once: go straight to the
		// rune, without a load from the ASCII columns of the row.
		if v&flagSlow == 0 && text[i] < utf8.RuneSelf {
			// Follow plain states with one load and one bit test per byte.
			if k, nv := walk(&e.st, text[i:end], v); k > 0 {
				i, v = i+k, nv
				prev = e.after[text[i-1]&0x7F]
			}
			if i == end {
				break
			}
		}
		c := text[i]
		if c < utf8.RuneSelf {
			dst, v, prev = e.slowASCII(dst, text, i, v, prev)
			i++
			if v&flagSlow != 0 && v>>2 < e.nDense {
				v = v >> 2 * e.stride
			}
			continue
		}

		// A run of unspaced letters that are their own key and start no
		// term, read with nothing pending, leaves the automaton at the
		// root: skip it three bytes at a time (Han and kana text).
		// Punctuation no term starts with (、。「」, emoji in the BMP) leaves it
		// at rootB, and ignorables leave it as it is.
		if prev != prevSpaced && (v == 0 || v == e.rootB) && c&0xF0 == 0xE0 {
			j, jv, jp := i, v, prev
		run3:
			for j+2 < n {
				b0, b1, b2 := text[j], text[j+1], text[j+2]
				if b0&0xF0 != 0xE0 || b1&0xC0 != 0x80 || b2&0xC0 != 0x80 {
					break
				}
				blk, bit := uint32(b0&0x0F)<<6|uint32(b1&0x3F), b2&0x3F
				switch {
				case e.cold3[blk]>>bit&1 != 0:
					jv, jp = 0, prevUnspaced
				case e.st.q3[blk]>>bit&1 != 0:
					jv, jp = e.rootB, prevBoundary
				case rt.ign3[blk]>>bit&1 == 0:
					break run3
				}
				j += 3
			}
			if j > i {
				i, v, prev = j, jv, jp
				if prev == prevUnspaced && (i >= n || text[i] < utf8.RuneSelf) {
					// ASCII after an unspaced word starts with a boundary.
					prev, v = prevBoundary, e.rootB
				}
				continue
			}
		}

		// A non-ASCII rune: decode, look up its kind and key.
		start := i
		var r rune
		if c&0xF0 == 0xE0 && i+2 < n && text[i+1]&0xC0 == 0x80 && text[i+2]&0xC0 == 0x80 {
			r = rune(c&0x0F)<<12 | rune(text[i+1]&0x3F)<<6 | rune(text[i+2]&0x3F)
			i += 3
			if r < 0x800 {
				r, i = utf8.RuneError, start+1
			}
		} else if c&0xE0 == 0xC0 && c >= 0xC2 && i+1 < n && text[i+1]&0xC0 == 0x80 {
			r = rune(c&0x1F)<<6 | rune(text[i+1]&0x3F)
			i += 2
		} else {
			var size int
			r, size = utf8.DecodeRune(text[i:])
			i += size
		}
		var kind uint32 = kSpace
		var key []byte
		if i-start > 1 {
			ent := rt.stage2[uint32(rt.stage1[r>>8])<<8|uint32(r&0xFF)]
			kind = ent >> 28
			if k := ent & (1<<28 - 1); k != 0 {
				if e.strip {
					if k = rt.strip[k]; k == 0 {
						kind = kIgnore
					}
				}
				key = rt.keys[rt.keyOff[k]:rt.keyOff[k+1]]
			} else {
				key = text[start:i]
			}
		}
		switch kind {
		case kIgnore:
			key = nil
		case kSpace:
			if prev != prevBoundary {
				prev = prevBoundary
				if v = e.step(v, e.clsB); v&flagOut != 0 {
					dst = e.emit(dst, v, text, start, true)
				}
			}
			key = nil
		case kPunct:
			if prev != prevBoundary {
				if v = e.step(v, e.clsB); v&flagOut != 0 {
					dst = e.emit(dst, v, text, start, true)
				}
			}
			prev = prevBoundary
			if e.cold(v, key) {
				// boundary, a symbol that starts nothing, boundary
				v, key, kind = e.rootB, nil, kSpace
			}
		case kMark:
			if e.strip {
				key = nil
				break
			}
			if prev == prevBoundary {
				prev = prevSpaced
			}
		case kWordCJK:
			if prev == prevSpaced {
				if v = e.step(v, e.clsB); v&flagOut != 0 {
					dst = e.emit(dst, v, text, start, true)
				}
			}
			prev = prevUnspaced
			if e.cold(v, key) {
				v, key = 0, nil
			}
		default: // kWord
			if prev == prevUnspaced {
				if v = e.step(v, e.clsB); v&flagOut != 0 {
					dst = e.emit(dst, v, text, start, true)
				}
			}
			prev = prevSpaced
		}
		for _, b := range key {
			if v&flagSlow == 0 {
				v = tbl[v+uint32(sym[b])]
			} else if s := v >> 2; s < e.nDense {
				v = tbl[s*e.stride+uint32(sym[b])]
			} else {
				v = e.stepID(s, uint32(sym[b]))
			}
			if v&flagOut != 0 {
				dst = e.emit(dst, v, text, i, false)
			}
		}
		if kind == kPunct {
			if v = e.step(v, e.clsB); v&flagOut != 0 {
				dst = e.emit(dst, v, text, i, true)
			}
		}
		if prev == prevUnspaced && (i >= n || text[i] < utf8.RuneSelf) {
			// ASCII after an unspaced word always starts with a boundary.
			prev = prevBoundary
			if v = e.step(v, e.clsB); v&flagOut != 0 {
				dst = e.emit(dst, v, text, i, true)
			}
		}
		if v&flagSlow != 0 && v>>2 < e.nDense {
			v = v >> 2 * e.stride
		}
	}
	return dst, cursor{i, v, prev}
}

// slowASCII advances the automaton over the ASCII byte text[i] symbol by
// symbol, for a sparse state or a transition that ends a term.
func (e *Engine) slowASCII(dst []hit, text []byte, i int, v uint32, prev uint8) ([]hit, uint32, uint8) {
	a := e.ascii[text[i]]
	switch a >> 8 {
	case kWord:
		if prev == prevUnspaced {
			if v = e.step(v, e.clsB); v&flagOut != 0 {
				dst = e.emit(dst, v, text, i, true)
			}
		}
		prev = prevSpaced
		if v = e.step(v, uint32(a&0xFF)); v&flagOut != 0 {
			dst = e.emit(dst, v, text, i+1, false)
		}
	case kPunct:
		if prev != prevBoundary {
			if v = e.step(v, e.clsB); v&flagOut != 0 {
				dst = e.emit(dst, v, text, i, true)
			}
		}
		prev = prevBoundary
		if v = e.step(v, uint32(a&0xFF)); v&flagOut != 0 {
			dst = e.emit(dst, v, text, i+1, false)
		}
		if v = e.step(v, e.clsB); v&flagOut != 0 {
			dst = e.emit(dst, v, text, i+1, true)
		}
	default: // kSpace; ASCII has no marks, ignorables or unspaced letters
		if prev != prevBoundary {
			prev = prevBoundary
			if v = e.step(v, e.clsB); v&flagOut != 0 {
				dst = e.emit(dst, v, text, i, true)
			}
		}
	}
	return dst, v, prev
}

// emit appends the terms ending at encoded state v (and along its output
// links), found at byte offset at. A term found on a boundary ends before
// the ignorable runes that precede the boundary.
func (e *Engine) emit(dst []hit, v uint32, text []byte, at int, onBoundary bool) []hit {
	if onBoundary {
		for at > 0 && text[at-1] >= utf8.RuneSelf {
			r, size := utf8.DecodeLastRune(text[:at])
			if size <= 1 {
				break
			}
			if k, _ := e.rt.lookupFor(r, e.strip); k != kIgnore {
				break
			}
			at -= size
		}
	}
	for s := int32(v >> 2); s >= 0; s = e.outLink[s] {
		for _, t := range e.outTerms[e.outOff[s]:e.outOff[s+1]] {
			dst = append(dst, hit{term: t, end: int32(at)})
		}
	}
	return dst
}
