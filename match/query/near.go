package query

import (
	"math"
	"unicode"
	"unicode/utf8"
)

// Word classes for counting words, as the engine cuts text into tokens
// (docs/rules.md): runs of letters, digits, marks and '_' of one script
// class form a word; everything else separates words.
const (
	wcNone     = iota // separator: space, punctuation, symbol, emoji
	wcSpaced          // letter, digit or '_' of a script written with spaces
	wcUnspaced        // letter of a script written without spaces (Han, kana, Thai, …)
	wcMark            // combining mark: continues the current word
	wcIgnore          // format character or variation selector: skipped
)

var unspacedScripts = []*unicode.RangeTable{
	unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai, unicode.Lao,
	unicode.Khmer, unicode.Myanmar, unicode.Tibetan, unicode.Yi, unicode.Bopomofo,
}

func wordClass(r rune) int {
	if r < utf8.RuneSelf {
		c := byte(r)
		if isAlpha(c) || isDigit(c) || c == '_' {
			return wcSpaced
		}
		return wcNone
	}
	switch {
	case r == 0x30FC || r == 0xFF70:
		return wcUnspaced
	case unicode.Is(unicode.Variation_Selector, r) || unicode.Is(unicode.Cf, r):
		return wcIgnore
	case unicode.IsMark(r):
		return wcMark
	case unicode.IsLetter(r):
		if unicode.In(r, unspacedScripts...) {
			return wcUnspaced
		}
		return wcSpaced
	case unicode.IsNumber(r):
		return wcSpaced
	}
	return wcNone
}

// WordDistance returns the number of words strictly between two term
// occurrences in text: a ends at byte offset aEnd, b starts at bStart. It is
// 0 for adjacent terms ("big quake": big NEAR/0 quake) and when bStart <=
// aEnd. Words are counted as the engine tokenises: `#`, `@`, punctuation and
// emoji are not words, a run of Han or kana is one word, and a word cut by
// either offset (a prefix term's match, a substring match in Han) belongs to
// the term, not to the gap.
func WordDistance(text []byte, aEnd, bStart int) int {
	return wordsBetween(text, aEnd, bStart, math.MaxInt)
}

// wordsBetween counts like WordDistance but stops once the count exceeds
// limit.
func wordsBetween(text []byte, from, to, limit int) int {
	if from < 0 {
		from = 0
	}
	if to > len(text) {
		to = len(text)
	}
	if to <= from {
		return 0
	}
	// The class of the word open at from, if the text before it is a word
	// that continues across the offset.
	cur := wcNone
	if from > 0 {
		r, _ := utf8.DecodeLastRune(text[:from])
		cur = wordClass(r)
		if cur == wcMark || cur == wcIgnore {
			cur = wcSpaced
		}
	}
	n, counted := 0, false
	for i := from; i < to; {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(text[i:])
		}
		i += size
		switch c := wordClass(r); c {
		case wcIgnore:
		case wcMark:
			if cur == wcNone {
				cur, counted = wcSpaced, true
				n++
			}
		case wcNone:
			cur, counted = wcNone, false
		default:
			if c != cur {
				cur, counted = c, true
				if n++; n > limit {
					return n
				}
			}
		}
	}
	// A word running into b's start is part of b.
	if counted && to < len(text) {
		r, _ := utf8.DecodeRune(text[to:])
		if c := wordClass(r); c == cur || c == wcMark || c == wcIgnore {
			n--
		}
	}
	return n
}

// Hits records where the terms of one program occurred in one text and
// answers its proximity questions; Near is a NearFunc. Reuse a Hits with
// Reset: it keeps its capacity, so steady use does not allocate. It keeps a
// reference to the text until the next Reset.
type Hits struct {
	text []byte
	occ  []hit
}

type hit struct {
	term       int32
	start, end int32
}

// Reset forgets all occurrences and sets the text they refer to.
func (h *Hits) Reset(text []byte) {
	h.text = text
	h.occ = h.occ[:0]
}

// Add records an occurrence of term (an index into Program.Terms) at
// text[start:end].
func (h *Hits) Add(term, start, end int) {
	h.occ = append(h.occ, hit{term: int32(term), start: int32(start), end: int32(end)})
}

// Near reports whether an occurrence of a and one of b are at most dist
// words apart, a first when ordered. Overlapping occurrences do not count.
func (h *Hits) Near(a, b int, dist int, ordered bool) bool {
	for i := range h.occ {
		x := &h.occ[i]
		if int(x.term) != a {
			continue
		}
		for j := range h.occ {
			y := &h.occ[j]
			if int(y.term) != b || i == j {
				continue
			}
			if x.end <= y.start && wordsBetween(h.text, int(x.end), int(y.start), dist) <= dist {
				return true
			}
			if !ordered && y.end <= x.start && wordsBetween(h.text, int(y.end), int(x.start), dist) <= dist {
				return true
			}
		}
	}
	return false
}
