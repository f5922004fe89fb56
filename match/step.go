package match

import "unicode/utf8"

// The portable ASCII steps of the automaton: the reference for the assembly
// in step_amd64.s and what other platforms (and the purego tag) run.

// lockstepGo steps two lanes in plain states over x and y, a unit of each
// per step, until a transition is flagged, a lane meets a byte it cannot
// step, or either text ends. A unit is an ASCII byte or a two-byte letter
// with a key in l2 (Latin with diacritics, Greek, Cyrillic), whose
// transitions must all stay plain. It returns how far each lane got and
// their states.
func lockstepGo(tbl []uint32, raw *[256]uint16, l2 *[0x780]letter2, x, y []byte, vx, vy uint32) (int, int, uint32, uint32) {
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		// Non-ASCII bytes have a column whose transitions are all
		// flagged; testing them first is faster (measured: 10%).
		cx, cy := x[i], y[j]
		if cx|cy < utf8.RuneSelf {
			nx, ny := tbl[vx+uint32(raw[cx])], tbl[vy+uint32(raw[cy])]
			if (nx|ny)&flagSlow != 0 {
				break
			}
			vx, vy = nx, ny
			i, j = i+1, j+1
			continue
		}
		if cx >= utf8.RuneSelf {
			n, v, ok := stepLetter2(tbl, l2, x[i:], vx)
			if !ok {
				break
			}
			i, vx = i+n, v
		}
		if cy >= utf8.RuneSelf {
			n, v, ok := stepLetter2(tbl, l2, y[j:], vy)
			if !ok {
				break
			}
			j, vy = j+n, v
		}
	}
	return i, j, vx, vy
}

// stepLetter2 steps state v over the two-byte letter at the start of text
// (see lockstepGo). It returns the bytes stepped and the state, or false.
func stepLetter2(tbl []uint32, l2 *[0x780]letter2, text []byte, v uint32) (int, uint32, bool) {
	if len(text) < 2 || text[0] < 0xC2 || text[0] > 0xDF || text[1]&0xC0 != 0x80 {
		return 0, v, false
	}
	l := &l2[uint32(text[0]&0x1F)<<6|uint32(text[1]&0x3F)-0x80]
	if l.n == 0 {
		return 0, v, false
	}
	for _, cls := range l.cls[:l.n] {
		if v = tbl[v+uint32(cls)]; v&flagSlow != 0 {
			return 0, v, false
		}
	}
	return 2, v, true
}

// walkGo steps one lane in plain states over x until a transition is
// flagged (every non-ASCII byte's is) or x ends, four bytes at a time. It
// returns the steps taken and the state.
func walkGo(tbl []uint32, raw *[256]uint16, x []byte, v uint32) (int, uint32) {
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
