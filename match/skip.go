package match

import (
	"math/bits"
	"unicode/utf8"
)

// Words no term starts with are skipped before the automaton runs.
//
// Every term of a space-delimited script starts at a boundary, and its
// first word is a whole word of the text (or, for a wildcard term like
// earthquak*, the start of one). In ASCII text the words are runs of
// letters, digits and '_', so a hash set of the terms' first words tells,
// for each word of a post, whether a term can start there, in a few
// instructions that do not depend on one another. Runs of letters of
// unspaced scripts no term starts with (Han, kana: most of a Japanese or
// Chinese post), and punctuation and emoji no term starts with, are read on
// like the separators between words. On the peers corpus at 1k terms 1.2%
// of the words of ASCII posts start a term, 0.1% of the Han and kana
// letters.
//
// skipTo returns where the automaton must start. Before that offset there
// is nothing but ASCII words no term starts with, those runs, and the spaces
// and punctuation between them; the offset is the end of the last such word
// (or 0), so the separators and runs before the first word or letter that
// matters, a # or @ of a tag term among them, are stepped. From such an
// offset the automaton is where it would be after stepping everything
// before it: at a boundary with nothing pending (rootB). A term pending in a
// word fails at the boundary after it unless that word is some term's whole
// first word, and a term that ends before the offset would contain one.
// The offset does not move past a run of cold runes (a term may have one
// pending after its leading punctuation: #救援), and the runes a term may
// have there, up to its first word, are not cold for the filter.
//
// The set is of exact words: a text word's key is its first 8 bytes (ASCII
// letters lower-cased) plus its length, hashed to one bit of a table of
// ~128 bits per key (16 KB at 1k terms, 256 KB at 10k). A wildcard term's
// first word, when it is the prefix, is keyed by its first min(len, 8)
// bytes instead, marked as a prefix (wordFilter.prefix lists those
// lengths); each text word at least that long is tested with its prefix
// too.
//
// Where the filter cannot see, it stops: at a non-ASCII rune that is not
// cold (a letter with an accent may continue a word or fold to anything),
// at a word of 64 bytes or more. It is off (Engine.wf nil) for an engine
// with a term of ASCII punctuation alone (no word to key it by), with more
// than 16k first words (the table would outgrow L2: at 100k terms a 1 MB
// table measured 0.95-1.04x the time, its misses costing what it saves),
// without the assembly (a byte loop in Go, 2.8 ns per byte, costs more than
// the steps it saves), and on a CPU without AVX2 and BMI2.
//
// Match and MatchBatch use it. Measured on the benchmark machine over the
// peers corpus, both versions in one process, alternating: MatchBatch
// 0.83-0.85x the time at 1k and 10k terms (ASCII posts 0.90x, Japanese and
// Chinese 0.62x, posts with accented letters 1.06x: the filter reads their
// words up to the first accent for little), Match 0.79-0.81x.
type wordFilter struct {
	bits []uint64
	mask uint64 // bit index mask: len(bits)*64-1
	// prefix has bit P-1 set when some key is the first P bytes of a
	// wildcard term's first word (P ≤ 8).
	prefix uint64
	// cold, q2 and q4 mark the runes that, read with nothing pending,
	// leave nothing pending: three-byte ones (indexed like runeTable.cjk3)
	// the unspaced letters no term starts with (Engine.cold3) and the
	// punctuation no term starts with (stepTables.q3); two-byte and
	// four-byte punctuation and emoji no term starts with (indexed like
	// stepTables.q2 and q4). A run of them is read on like the separators
	// between words.
	cold *[1024]uint64
	q2   *[32]uint64
	q4   *[64]uint64
}

// Key hashing: the key word (up to 8 bytes, little-endian, ASCII letters
// lower-cased by setting 0x20 on every byte) plus its length, times a
// multiplier, top 24 bits.
const (
	keyMul     = 0x9E3779B97F4A7C15
	keyShift   = 40
	keyPrefix  = 256 // added to a prefix key's length: prefix keys are not words
	filterMin  = 1 << 16
	filterMax  = 1 << 21 // 256 KB
	filterBits = 128     // bits per key: below 1% false positives per word
)

// asciiWordByte reports whether c is an ASCII letter, digit or '_', the
// word bytes the filter (and its assembly) assumes.
func asciiWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// wordKey returns the key of w: its first 8 bytes, each with 0x20 set (so
// ASCII letters of either case agree), plus extra (its length, or a
// prefix length plus keyPrefix).
func wordKey(w []byte, extra uint64) uint64 {
	var x uint64
	for k := 0; k < len(w) && k < 8; k++ {
		x |= uint64(w[k]|0x20) << (8 * k)
	}
	return (x + extra) * keyMul >> keyShift
}

func (f *wordFilter) has(h uint64) bool {
	h &= f.mask
	return f.bits[h>>6]&(1<<(h&63)) != 0
}

func (f *wordFilter) add(h uint64) {
	h &= f.mask
	f.bits[h>>6] |= 1 << (h & 63)
}

// newWordFilter returns the word filter of e's terms, or nil when they
// cannot be filtered (see wordFilter).
func newWordFilter(e *Engine) *wordFilter {
	for c := 0; c < 128; c++ {
		kind := e.ascii[c] >> 8
		if (kind == kWord) != asciiWordByte(byte(c)) || kind != kWord && kind != kSpace && kind != kPunct {
			return nil
		}
	}
	type key struct {
		w      string
		prefix bool
	}
	var keys []key
	hot := make(map[rune]bool) // non-ASCII runes up to each term's first word
	for _, p := range e.termPat {
		if len(p) == 0 || p[0] != symB {
			r, _ := utf8.DecodeRune(p) // a term of an unspaced script
			hot[r] = true
			continue
		}
		word, ascii := false, true
		for i := 1; i < len(p) && !word; {
			j := i
			for j < len(p) && p[j] != symB {
				j++
			}
			tok := p[i:j]
			for _, b := range tok {
				ascii = ascii && b < 0x80
			}
			for _, r := range string(tok) {
				if r >= utf8.RuneSelf {
					hot[r] = true
				}
			}
			if len(tok) > 0 && asciiWordByte(tok[0]) {
				word = true
				if ascii { // else it needs non-ASCII text: the filter stops there
					keys = append(keys, key{string(tok), j == len(p)})
				}
			}
			i = j + 1
		}
		if !word && ascii {
			return nil // ASCII punctuation alone: no word to key it by
		}
	}
	if filterBits*len(keys) > filterMax {
		return nil // a table past L2: its misses cost what it saves
	}
	n := filterMin
	for n < filterBits*len(keys) {
		n <<= 1
	}
	// A run of cold runes is read on whatever punctuation comes before it,
	// so the runes a term may have pending after its leading punctuation
	// (#救援, 「地震」), letters whose key has one among them, are not cold
	// here: the letters are cold as if terms started with all of hot (a
	// superset of the engine's starts).
	f := &wordFilter{bits: make([]uint64, n/64), mask: uint64(n - 1),
		cold: e.coldLetters(hot), q2: new([32]uint64), q4: new([64]uint64)}
	q3 := *e.st.q3
	*f.q2, *f.q4 = *e.st.q2, *e.st.q4
	for r := range hot {
		switch {
		case r >= 0x80 && r < 0x800:
			f.q2[(r-0x80)>>6] &^= 1 << ((r - 0x80) & 0x3F)
		case r < 0x10000:
			q3[r>>6] &^= 1 << (r & 0x3F)
		case r>>12 == 0x1F:
			f.q4[r>>6&0x3F] &^= 1 << (r & 0x3F)
		}
	}
	for i := range f.cold {
		f.cold[i] |= q3[i]
	}
	for _, k := range keys {
		if k.prefix {
			p := min(len(k.w), 8)
			f.prefix |= 1 << (p - 1)
			f.add(wordKey([]byte(k.w[:p]), uint64(p)+keyPrefix))
		} else {
			f.add(wordKey([]byte(k.w), uint64(len(k.w))))
		}
	}
	return f
}

// skipReach is how far past a text's end the assembly may read: a 64-byte
// window and an 8-byte key load.
const skipReach = 72

// maxSkipWord is the length from which a word is scanned, not keyed (the
// assembly's window: a 64-byte word is rare, and a URL's parts are words).
const maxSkipWord = 64

// skipToGo is skipTo in Go: the definition the assembly (skipWords) must
// reproduce.
func (f *wordFilter) skipToGo(text []byte) int {
	q, n := 0, len(text)
	for i := 0; i < n; {
		c := text[i]
		if c >= 0x80 {
			j := i
			for k := f.coldAt(text, j); k > 0; k = f.coldAt(text, j) {
				j += k
			}
			if j == i || j < n && text[j] >= 0x80 {
				return q // a rune that may start a term, or continue a word
			}
			i = j // q stays: punctuation before the run may be pending
			continue
		}
		if !asciiWordByte(c) {
			i++
			continue
		}
		j := i + 1
		for j < n && asciiWordByte(text[j]) {
			j++
		}
		if j-i >= maxSkipWord || j < n && text[j] >= 0x80 && f.coldAt(text, j) == 0 || f.starts(text[i:j]) {
			return q
		}
		i, q = j, j
	}
	return n
}

// coldAt returns the length of the cold rune (see wordFilter.cold) at
// text[i], 0 when there is none. Such a rune ends the word before it: it
// is punctuation, or a letter of another class (a boundary comes between).
func (f *wordFilter) coldAt(text []byte, i int) int {
	if i >= len(text) {
		return 0
	}
	return runeIn(text[i:], f.q2, f.cold, f.q4)
}

// starts reports whether some term may start with the text word w.
func (f *wordFilter) starts(w []byte) bool {
	if f.has(wordKey(w, uint64(len(w)))) {
		return true
	}
	for ps := f.prefix; ps != 0; ps &= ps - 1 {
		p := bits.TrailingZeros64(ps) + 1
		if p <= len(w) && f.has(wordKey(w[:p], uint64(p)+keyPrefix)) {
			return true
		}
	}
	return false
}

// skipTo returns the offset of text from which the automaton must scan it
// (len(text): nothing to scan); see wordFilter.
func (e *Engine) skipTo(text []byte) int {
	if e.wf == nil || len(text) == 0 {
		return 0
	}
	s, _ := skipWordsAt(e.wf, text)
	return s
}
