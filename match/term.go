package match

import (
	"strings"
	"unicode/utf8"
)

// symB is the boundary symbol of the matching stream. Keys are valid UTF-8,
// which never contains 0xFF, so a boundary never collides with text.
const symB = 0xFF

// maxTermBytes bounds the length of one term.
const maxTermBytes = 1024

// Word classes of the previous rune in the stream.
const (
	prevBoundary = iota
	prevSpaced
	prevUnspaced
)

// walkStream turns text into earshot's matching stream and calls emit for each
// symbol with the byte span of the rune that produced it and the effective
// kind of that rune (marks report the kind of the word they continue). The
// stream is: a boundary, then for every token its folded key, tokens
// separated by exactly one boundary, then a final boundary. Tokens are runs of
// word runes of one script class, and single punctuation runes. This is the
// definition the automaton's Match loop implements inline. With strip, the
// text is read without combining marks (diacritic-insensitive rules): marks
// are ignorable and keys lose theirs.
func walkStream(rt *runeTable, text []byte, strip bool, emit func(sym byte, kind uint32, start, end int)) {
	emit(symB, kSpace, 0, 0)
	prev := prevBoundary
	for i := 0; i < len(text); {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(text[i:])
		}
		kind, key := uint32(kSpace), []byte(nil)
		if !(r == utf8.RuneError && size == 1) {
			kind, key = rt.lookupFor(r, strip)
			if key == nil {
				key = text[i : i+size]
			}
		}
		start, end := i, i+size
		i += size
		switch kind {
		case kIgnore:
		case kSpace:
			if prev != prevBoundary {
				emit(symB, kSpace, start, start)
				prev = prevBoundary
			}
		case kPunct:
			if prev != prevBoundary {
				emit(symB, kSpace, start, start)
			}
			for _, b := range key {
				emit(b, kPunct, start, end)
			}
			emit(symB, kSpace, end, end)
			prev = prevBoundary
		case kMark:
			if prev == prevBoundary {
				prev = prevSpaced
			}
			k := uint32(kWord)
			if prev == prevUnspaced {
				k = kWordCJK
			}
			for _, b := range key {
				emit(b, k, start, end)
			}
		case kWord, kWordCJK:
			cls := prevSpaced
			if kind == kWordCJK {
				cls = prevUnspaced
			}
			if prev != prevBoundary && prev != cls {
				emit(symB, kSpace, start, start)
			}
			prev = cls
			for _, b := range key {
				emit(b, kind, start, end)
			}
		}
	}
	if prev != prevBoundary {
		emit(symB, kSpace, len(text), len(text))
	}
}

// term is one compiled search term.
type term struct {
	text string // the term as written, trimmed
	pat  []byte // symbols to find in the stream
}

// termError is a syntax error inside a term; col is the 1-based rune column
// within the query string.
type termError struct {
	col       int
	msg, hint string
}

// parseTerm parses one term of a query (a Program term). Syntax (docs/rules.md):
//
//	word        earthquake, #temblor, @xboxsupport, 地震, c++
//	prefix*     earthquak*  (wildcard only at the end, after a letter or digit)
//	"a phrase"  whitespace runs match any whitespace run
//	a phrase    unquoted words form a phrase too (a keyword-list line,
//	            a phrase prefix: flood victim*)
//
// With strip, the term is compiled without its combining marks, to be found
// in text read the same way.
func parseTerm(rt *runeTable, q string, strip bool) (term, *termError) {
	lead := len(q) - len(strings.TrimLeft(q, " \t\r\n"))
	s := strings.TrimSpace(q)
	col := func(byteOff int) int { return utf8.RuneCountInString(q[:lead+byteOff]) + 1 }
	if !utf8.ValidString(q) {
		off := 0
		for off < len(s) {
			r, n := utf8.DecodeRuneInString(s[off:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			off += n
		}
		return term{}, &termError{col(off), "invalid UTF-8 in term", "save the rules file as UTF-8"}
	}
	if s == "" {
		return term{}, &termError{col(0), "empty term", "write a word, a phrase in double quotes, or remove the rule"}
	}
	if len(s) > maxTermBytes {
		return term{}, &termError{col(0), "term too long", "terms are limited to 1024 bytes"}
	}
	body, wildcard := s, false
	if s[0] == '"' {
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return term{}, &termError{col(0), "unterminated phrase", `close the phrase with a double quote: "like this"`}
		}
		end++
		if end != len(s)-1 {
			return term{}, &termError{col(end + 1), "unexpected text after the phrase", "put a space between the phrase and the next term"}
		}
		body = s[1:end]
		if strings.TrimSpace(body) == "" {
			return term{}, &termError{col(0), "empty phrase", "write the words between the quotes"}
		}
	} else {
		if i := strings.IndexByte(s, '"'); i >= 0 {
			return term{}, &termError{col(i), "double quote inside a term", `quote the whole phrase: "like this"`}
		}
		if i := strings.IndexByte(s, '*'); i >= 0 {
			if i != len(s)-1 {
				return term{}, &termError{col(i), "wildcard * is only allowed at the end of a term", "write a prefix followed by *, e.g. earthquak*"}
			}
			body, wildcard = s[:i], true
			r, _ := utf8.DecodeLastRuneInString(body)
			if k, _ := rt.lookup(r); body == "" || (k != kWord && k != kWordCJK && k != kMark) {
				return term{}, &termError{col(i), "wildcard * must follow a letter or digit", "write a prefix followed by *, e.g. earthquak*"}
			}
		}
		for i := 0; i < len(body); i++ {
			c := body[i]
			if c != '#' && c != '@' {
				continue
			}
			alone := (i == 0 || isSpaceByte(body[i-1])) && (i+1 == len(body) || isSpaceByte(body[i+1]))
			if alone {
				return term{}, &termError{col(i), "lone " + string(c) + " without a tag", "write the tag right after it, e.g. " + string(c) + "temblor"}
			}
		}
	}
	var pat []byte
	var kinds []uint32
	walkStream(rt, []byte(body), strip, func(sym byte, kind uint32, _, _ int) {
		pat = append(pat, sym)
		kinds = append(kinds, kind)
	})
	if len(pat) <= 1 {
		return term{}, &termError{col(0), "term has no matchable characters", "write at least one letter, digit, symbol or emoji"}
	}
	// Boundaries are required only next to space-delimited scripts.
	if kinds[1] == kWordCJK {
		pat, kinds = pat[1:], kinds[1:]
	}
	if n := len(pat); pat[n-1] == symB && (wildcard || kinds[n-2] == kWordCJK) {
		pat = pat[:n-1]
	}
	return term{text: s, pat: pat}, nil
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
