package match

import "unicode/utf8"

// scan appends to dst every occurrence of every compiled term in text, in
// text order (by the position where the automaton finds it). It does not
// allocate when dst has room.
//
// ASCII runs go through the dense table one load per byte: the columns of
// raw bytes fold case and the boundary logic of the matching stream into the
// transition, and at the unanchored root whole runs of word bytes are
// skipped. Non-ASCII runes are decoded inline and their folded keys stepped
// symbol by symbol; sparse states and transitions that end a term take the
// slow path for one byte.
//
// The automaton of diacritic-insensitive terms (e.strip) reads text without
// combining marks: they are skipped, and keys lose theirs.
func (e *Engine) scan(dst []hit, text []byte) []hit {
	tbl, raw, sym := e.tbl, &e.rawCls, &e.symCls
	rt := e.rt
	n := len(text)
	v := e.rootB
	prev := uint8(prevBoundary)
	i := 0
	for i < n {
		// A non-ASCII byte leaves the fast loop at once: go straight to the
		// rune, without a load from the ASCII columns of the row.
		if v&flagSlow == 0 && text[i] < utf8.RuneSelf {
			j := i
			// Follow plain states with one load and one bit test per byte,
			// four bytes at a time.
			for i+4 <= n {
				b := text[i : i+4 : i+4]
				v0 := tbl[v+uint32(raw[b[0]])]
				if v0&flagSlow != 0 {
					break
				}
				v1 := tbl[v0+uint32(raw[b[1]])]
				if v1&flagSlow != 0 {
					v, i = v0, i+1
					break
				}
				v2 := tbl[v1+uint32(raw[b[2]])]
				if v2&flagSlow != 0 {
					v, i = v1, i+2
					break
				}
				v3 := tbl[v2+uint32(raw[b[3]])]
				if v3&flagSlow != 0 {
					v, i = v2, i+3
					break
				}
				v, i = v3, i+4
			}
			for i < n {
				nv := tbl[v+uint32(raw[text[i]])]
				if nv&flagSlow != 0 {
					break
				}
				v = nv
				i++
			}
			if i > j {
				prev = e.after[text[i-1]&0x7F]
			}
			if i == n {
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
	if prev != prevBoundary {
		if v = e.step(v, e.clsB); v&flagOut != 0 {
			dst = e.emit(dst, v, text, n, true)
		}
	}
	return dst
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
			if e.rt.kindOf(r, e.strip) != kIgnore {
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
