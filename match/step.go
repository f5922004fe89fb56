package match

import (
	"unicode/utf8"
	"unsafe"
)

// The lanes' steps over the text: the portable reference for the assembly
// in step_amd64.s, and what other platforms (and the purego tag) run.

// stepTables are the tables the steps read, gathered so that the assembly
// takes one pointer. tbl, raw, ign3, rootB, nDense and stride are the
// engine's (Engine.tbl, rawCls, runeTable.ign3, rootB, nDense, stride); l2
// and q2..q4 are kept here only. The assembly reads the fields at fixed
// offsets (step_amd64.go checks them).
type stepTables struct {
	tbl []uint32
	raw *[256]uint16
	// l2 has, for each two-byte rune (U+0080..U+07FF, by rune-0x80), the
	// stream classes of its key when it is a letter or mark of a
	// space-delimited script with a key of one to three bytes (n = 0:
	// anything else).
	l2 *[0x780]letter2
	// q2, q3 and q4 mark the punctuation runes (two-byte by rune-0x80:
	// ¿ ¡ « »; three-byte indexed like runeTable.cjk3; four-byte
	// U+1F000..U+1FFFF by rune&0xFFF: emoji) that no term starts with:
	// read with nothing pending they leave the automaton where a boundary
	// leaves it (rootB), without a step.
	q2    *[32]uint64
	q3    *[1024]uint64
	q4    *[64]uint64
	ign3  *[1024]uint64
	rootB uint32
	// The dense rows, for spaceHit.
	nDense, stride uint32
}

// lockstepGo steps two lanes in plain states over x and y, a unit of each
// per step, until a transition is flagged, a lane meets a unit it cannot
// step, or either text ends. It returns how far each lane got and their
// states. A unit is an ASCII byte or:
//   - a two-byte letter with a key in l2 (Latin with diacritics, Greek,
//     Cyrillic) whose transitions all stay plain;
//   - in the root or rootB, punctuation or an emoji no term starts with
//     (q2, q3, q4), which leaves rootB, or an ignorable (ign3), which
//     leaves the state as it is.
//
// The state then tells the word class after a non-ASCII unit: rootB after
// a boundary, any other state after a letter (see prevAfter).
func lockstepGo(t *stepTables, x, y []byte, vx, vy uint32) (int, int, uint32, uint32) {
	i, j := 0, 0
	for {
		k, nx, ny, flagged := asciiSteps(t.tbl, t.raw, x[i:], y[j:], vx, vy)
		i, j, vx, vy = i+k, j+k, nx, ny
		if flagged || i == len(x) || j == len(y) {
			return i, j, vx, vy
		}
		if x[i] >= utf8.RuneSelf {
			n, v := t.unit(x[i:], vx)
			if n == 0 {
				return i, j, vx, vy
			}
			i, vx = i+n, v
		}
		if y[j] >= utf8.RuneSelf {
			n, v := t.unit(y[j:], vy)
			if n == 0 {
				return i, j, vx, vy
			}
			j, vy = j+n, v
		}
	}
}

// lanes is where two lanes are in their texts: lane k steps texts[post[k]]
// from byte at[k] in state v[k], then the texts after it up to last[k]
// (excluded). The steps read and write it (the assembly at fixed offsets).
type lanes struct {
	at, post, last [2]int
	v              [2]uint32
	// The terms' ends at a space the steps took (spaceHit), per lane, for
	// the caller to emit: n[k] of them in hits[k].
	n    [2]int
	hits [2][laneHits]laneHit
}

// laneHits is how many hits a lane records before the steps stop.
const laneHits = 8

// laneHit is a term's end at a space in text post, at the byte at ptr (an
// address in the text: the assembly keeps no base), found in state v.
type laneHit struct {
	ptr  uintptr
	post int32
	v    uint32
}

// spaceHit reports the state a lane goes on in after the transition v at
// byte c, having recorded n hits: v when it is plain; when it is flagged,
// the dense state it leads to if c is a space (the raw space column), v
// passes a term's end into a dense state (the boundary after a word) and
// the lane has room for the hit, which the caller records; otherwise ok is
// false and the lanes stop.
func (t *stepTables) spaceHit(c byte, v uint32, n int) (next uint32, ok bool) {
	switch {
	case v&flagSlow == 0:
		return v, true
	case n >= laneHits || t.raw[c] != t.raw[' '] || v&flagOut == 0 || v < 4 || v>>2 >= t.nDense:
		return v, false
	}
	return v >> 2 * t.stride, true
}

// stepLanesGo steps the two lanes as lockstepGo does, a unit of each per
// step, through their texts (the lanes' steps for a batch of texts, where
// lockstep's are for one text). At the end of its text, a lane whose end
// transition (the raw space column: the boundary the end of a text is) is
// not flagged, so that the end finds no term, goes on to its next text in
// rootB; otherwise the lanes stop with the lane at the end (at[k] = len).
// A lane with no text left has post[k] = last[k] and at[k] at the end of
// its last text, and the lanes stop. A flagged transition that is a term's
// end at a space into a dense state (spaceHit) is taken, and the hit
// recorded in l.hits while there is room. Both lanes must have a text to
// start with.
func stepLanesGo(t *stepTables, texts [][]byte, l *lanes) {
	x, y := texts[l.post[0]], texts[l.post[1]]
	i, j, vx, vy := l.at[0], l.at[1], l.v[0], l.v[1]
	defer func() { l.at, l.v = [2]int{i, j}, [2]uint32{vx, vy} }()
	for {
		if i == len(x) {
			if !t.nextText(texts, l, 0, vx) {
				return
			}
			x, i, vx = texts[l.post[0]], 0, t.rootB
			continue
		}
		if j == len(y) {
			if !t.nextText(texts, l, 1, vy) {
				return
			}
			y, j, vy = texts[l.post[1]], 0, t.rootB
			continue
		}
		k, nx, ny, flagged := asciiSteps(t.tbl, t.raw, x[i:], y[j:], vx, vy)
		i, j, vx, vy = i+k, j+k, nx, ny
		if flagged {
			// Both lanes are at ASCII bytes; a flagged one goes on only
			// at a term's end at a space, while it has room to record it.
			ex, ey := t.tbl[vx+uint32(t.raw[x[i]])], t.tbl[vy+uint32(t.raw[y[j]])]
			nx, okx := t.spaceHit(x[i], ex, l.n[0])
			ny, oky := t.spaceHit(y[j], ey, l.n[1])
			if !okx || !oky {
				return
			}
			if ex&flagSlow != 0 {
				l.record(0, uintptr(unsafe.Pointer(&x[i])), ex)
			}
			if ey&flagSlow != 0 {
				l.record(1, uintptr(unsafe.Pointer(&y[j])), ey)
			}
			i, j, vx, vy = i+1, j+1, nx, ny
			continue
		}
		if i == len(x) || j == len(y) {
			continue
		}
		if x[i] >= utf8.RuneSelf {
			n, v := t.unit(x[i:], vx)
			if n == 0 {
				return
			}
			i, vx = i+n, v
		}
		if y[j] >= utf8.RuneSelf {
			n, v := t.unit(y[j:], vy)
			if n == 0 {
				return
			}
			j, vy = j+n, v
		}
	}
}

// record records lane k's hit at ptr in state v.
func (l *lanes) record(k int, ptr uintptr, v uint32) {
	l.hits[k][l.n[k]] = laneHit{ptr, int32(l.post[k]), v}
	l.n[k]++
}

// nextText moves lane k, at the end of its text in state v, to its next
// text, when the end's transition is not flagged and there is one.
func (t *stepTables) nextText(texts [][]byte, l *lanes, k int, v uint32) bool {
	if t.tbl[v+uint32(t.raw[' '])]&flagSlow != 0 {
		return false
	}
	l.post[k]++
	return l.post[k] < l.last[k]
}

// asciiSteps is the inner loop of lockstepGo and stepLanesGo over ASCII bytes, a function of its
// own so that its variables stay in registers. It stops at a non-ASCII
// byte, a flagged transition (flagged: true) or the end of x or y.
func asciiSteps(tbl []uint32, raw *[256]uint16, x, y []byte, vx, vy uint32) (k int, nvx, nvy uint32, flagged bool) {
	m := min(len(x), len(y))
	x, y = x[:m], y[:m]
	for k < len(x) {
		// Non-ASCII bytes have a column whose transitions are all
		// flagged; testing them first is faster (measured: 10%).
		cx, cy := x[k], y[k]
		if cx|cy >= utf8.RuneSelf {
			break
		}
		nx, ny := tbl[vx+uint32(raw[cx])], tbl[vy+uint32(raw[cy])]
		if (nx|ny)&flagSlow != 0 {
			return k, vx, vy, true
		}
		vx, vy = nx, ny
		k++
	}
	return k, vx, vy, false
}

// unit steps state v over the non-ASCII unit at the start of text (see
// lockstepGo). It returns the bytes stepped (0: none) and the state.
func (t *stepTables) unit(text []byte, v uint32) (int, uint32) {
	b0 := text[0]
	if b0 >= 0xC2 && b0 <= 0xDF {
		if len(text) < 2 || text[1]&0xC0 != 0x80 {
			return 0, v
		}
		r := uint32(b0&0x1F)<<6 | uint32(text[1]&0x3F) - 0x80
		if l := &t.l2[r]; l.n != 0 {
			for _, cls := range l.cls[:l.n] {
				if v = t.tbl[v+uint32(cls)]; v&flagSlow != 0 {
					return 0, v
				}
			}
			return 2, v
		}
	}
	if v != 0 && v != t.rootB {
		return 0, v
	}
	switch n, ign := t.quietRune(text); {
	case n == 0:
		return 0, v
	case ign:
		return n, v
	default:
		return n, t.rootB
	}
}

// quietRune reports the length of the rune at the start of text when it is
// punctuation or an emoji no term starts with (q2, q3, q4), or an
// ignorable (ign3, then ign is true); 0 for anything else.
func (t *stepTables) quietRune(text []byte) (n int, ign bool) {
	if n := runeIn(text, nil, t.ign3, nil); n > 0 {
		return n, true
	}
	return runeIn(text, t.q2, t.q3, t.q4), false
}

// runeIn returns the length of the rune at the start of text when its bit
// is set in the table for its length, 0 otherwise (and for a nil table):
// two-byte runes indexed by rune-0x80, three-byte ones like runeTable.cjk3,
// four-byte ones in U+1F000..U+1FFFF by rune&0xFFF.
func runeIn(text []byte, t2 *[32]uint64, t3 *[1024]uint64, t4 *[64]uint64) int {
	if len(text) == 0 {
		return 0
	}
	switch b0 := text[0]; {
	case b0 >= 0xC2 && b0 <= 0xDF && t2 != nil && len(text) >= 2 && text[1]&0xC0 == 0x80:
		r := uint32(b0&0x1F)<<6 | uint32(text[1]&0x3F) - 0x80
		if t2[r>>6]>>(r&0x3F)&1 != 0 {
			return 2
		}
	case b0&0xF0 == 0xE0 && t3 != nil && len(text) >= 3 && text[1]&0xC0 == 0x80 && text[2]&0xC0 == 0x80:
		if t3[uint32(b0&0x0F)<<6|uint32(text[1]&0x3F)]>>(text[2]&0x3F)&1 != 0 {
			return 3
		}
	case b0 == 0xF0 && t4 != nil && len(text) >= 4 && text[1] == 0x9F && text[2]&0xC0 == 0x80 && text[3]&0xC0 == 0x80:
		if t4[text[2]&0x3F]>>(text[3]&0x3F)&1 != 0 {
			return 4
		}
	}
	return 0
}

// walkGo steps one lane in plain states over x until a transition is
// flagged (every non-ASCII byte's is) or x ends, four bytes at a time. It
// returns the steps taken and the state.
func walkGo(t *stepTables, x []byte, v uint32) (int, uint32) {
	tbl, raw := t.tbl, t.raw
	i := 0
	for i+4 <= len(x) {
		b := x[i : i+4 : i+4]
		v0 := tbl[v+uint32(raw[b[0]])]
		if v0&flagSlow != 0 {
			return i, v
		}
		v1 := tbl[v0+uint32(raw[b[1]])]
		if v1&flagSlow != 0 {
			return i + 1, v0
		}
		v2 := tbl[v1+uint32(raw[b[2]])]
		if v2&flagSlow != 0 {
			return i + 2, v1
		}
		v3 := tbl[v2+uint32(raw[b[3]])]
		if v3&flagSlow != 0 {
			return i + 3, v2
		}
		v, i = v3, i+4
	}
	for ; i < len(x); i++ {
		nv := tbl[v+uint32(raw[x[i]])]
		if nv&flagSlow != 0 {
			break
		}
		v = nv
	}
	return i, v
}
