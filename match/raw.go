package match

import (
	"unicode/utf8"
	"unsafe"

	"golang.org/x/text/unicode/norm"
)

// rawEqual reports whether an occurrence of a raw: term, the text span the
// automaton found, is written as the term is: the same letters, digits and
// marks in the same case, accents and width, compared in Unicode NFC. What
// separates words only has to separate them in both (the automaton checked
// which separators it accepts, and a tag's # or @); a phrase's quotes and a
// wildcard's * are not letters; format characters and variation selectors,
// which the automaton skips, are skipped here too. A wildcard's last word is
// only the prefix the span covers.
//
// The span is read in place (it is not modified during the call); text
// that is not NFC, rare, is normalised into new strings.
func rawEqual(span []byte, term string) bool {
	s := unsafe.String(unsafe.SliceData(span), len(span))
	if rawRunesEqual(s, term) {
		return true
	}
	if norm.NFC.IsNormalString(s) && norm.NFC.IsNormalString(term) {
		return false
	}
	return rawRunesEqual(norm.NFC.String(s), norm.NFC.String(term))
}

// rawRunesEqual compares a and b as rawEqual does, rune by rune.
func rawRunesEqual(a, b string) bool {
	var x, y rawReader
	x.s, y.s = a, b
	for {
		ra, rb := x.next(), y.next()
		if ra != rb {
			return false
		}
		if ra == rawEnd {
			return true
		}
	}
}

// rawReader reads a text as its word runes, with rawSep for each run of
// separators between two words.
type rawReader struct {
	s       string
	i       int
	started bool // a word rune has been read
	sep     bool // separators since the last word rune
}

const (
	rawSep = -2
	rawEnd = -1
)

// next returns the next word rune, rawSep, or rawEnd.
func (r *rawReader) next() rune {
	for r.i < len(r.s) {
		c, n := rune(r.s[r.i]), 1
		if c >= utf8.RuneSelf {
			c, n = utf8.DecodeRuneInString(r.s[r.i:])
		}
		switch runeKind(c) {
		case kIgnore:
			r.i += n
		case kWord, kWordCJK, kMark:
			if r.sep && r.started {
				r.sep = false
				return rawSep // the rune is read again next time
			}
			r.i += n
			r.started, r.sep = true, false
			return c
		default:
			r.i += n
			r.sep = true
		}
	}
	return rawEnd
}
