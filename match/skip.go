package match

import (
	"math/bits"
	"slices"
	"strings"
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
// letters lower-cased) plus its length, hashed to two bits of a table of
// ~128 bits per key (16 KB at 1k terms, 256 KB at 10k), at most 1 MB (84
// bits per key at 100k terms); the second is tested only when the first is
// set, so it costs nothing per word. A wildcard term's
// first word, when it is the prefix, is keyed by its first min(len, 8)
// bytes instead, marked as a prefix (wordFilter.prefix lists those
// lengths); each text word at least that long is tested with its prefix
// too.
//
// Words with letters of two bytes (Latin with diacritics, Greek, Cyrillic)
// and combining marks are keyed too, in one of two ways, and the terms'
// first words both ways. A word of ASCII and the Latin-1 letters À-ÿ alone
// (c3Letter: the accents of Spanish, Portuguese, French, Italian, German)
// is keyed by its raw bytes, as ASCII is, in the same pass; its two-byte
// letters are word bytes there. Any other word is keyed rune by rune by its
// folded key (lat: é as e plus U+0301, or e where diacritics are ignored),
// the bytes the automaton steps: one table lookup per rune.
//
// Where the filter cannot see, it stops: at a non-ASCII rune that is
// neither cold nor a two-byte letter or mark (a letter of three bytes may
// continue a word or fold to anything), at a mark that would start a word,
// at a word of 64 bytes or more (maxSkipWord). It is off (Engine.wf nil)
// for an engine with a term of ASCII punctuation alone (no word to key it
// by), with more than 512k first words (fewer than filterLeast bits per key
// in 1 MB), without the assembly (a byte loop in Go, 2.8 ns per byte,
// costs more than the steps it saves), and on a CPU without AVX2 and BMI2.
//
// Match and MatchBatch use it (MatchBatch over the whole batch in one call:
// skipDocs). Measured on the benchmark machine over the peers corpus, both
// versions in one process, alternating, before it keyed accented words:
// MatchBatch 0.83-0.85x the time at 1k and 10k terms (ASCII posts 0.90x,
// Japanese and Chinese 0.62x, posts with accented letters 1.06x, since it
// stopped at their first accent), Match 0.79-0.81x. Keying those words took
// the posts with accents from 495-508 to 620-650 MB/s in MatchBatch at 1k
// terms (docs/matcher-performance.md). At 100k terms a table past L2 pays
// since the filter got cheaper (it was off there until 2026-11-23, when a
// 1 MB table measured 0.95-1.04x the time): the peers corpus, 1 MB (84
// bits per key) against no filter, Match 354-357 -> 509-511 MB/s and
// MatchBatch 482-488 -> 638-644; 512 KB 500-503 / 630-634, 2 MB 488-499 /
// 621-626, 256 KB 475-479 / 599-606.
type wordFilter struct {
	bits  []uint64
	shift uint64 // 64 - log2(len(bits)*64): a key's bit is its hash's top bits
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
	// lat keys the two-byte letters and combining marks (Latin with
	// diacritics, Greek, Cyrillic, …), by rune-0x80: an entry is the
	// rune's key bytes, each with 0x20 set, shifted left by 8, its key's
	// length in the low 4 bits, and latMark for a mark (it continues a
	// word, it does not start one); 0 for any other rune.
	lat *[0x780]uint64
	// c3 is 1 when the letters of the Latin-1 block (c3Letter) are keyed
	// by their raw bytes, like ASCII, in words of ASCII and those letters
	// alone: then the terms' first words are keyed both ways.
	c3 uint64
	// mul is the hash's multiplier (odd), chosen so that no commonWords
	// word is a false positive.
	mul uint64
}

// c3Letter reports whether b0 b1 is a letter of the Latin-1 block, À-ÿ, that
// a word of an engine with c3 keys by its raw bytes: all but × and ÷
// (punctuation) and ß (it folds to ss, the key of two ASCII letters). With
// 0x20 set on each byte, both cases of a letter have one raw key (À is C3
// 80, à C3 A0), and no two letters' folded keys are the same: a word of
// ASCII and these letters matches a term's first word exactly when their
// raw keys are the same.
func c3Letter(b0, b1 byte) bool {
	return b0 == 0xC3 && b1 >= 0x80 && b1 <= 0xBF && b1|0x20 != 0xB7 && b1 != 0x9F
}

// latMark marks a lat entry of a combining mark.
const latMark = 0x80

// Key hashing: the key word (up to 8 bytes, little-endian, ASCII letters
// lower-cased by setting 0x20 on every byte) plus its length, times the
// filter's multiplier; the table's bit is the product's top bits
// (wordFilter.shift).
const (
	keyMul      = 0x9E3779B97F4A7C15 // the first multiplier tried
	keyPrefix   = 256                // added to a prefix key's length: prefix keys are not words
	keyExtra    = 0x7F4A7C15         // a key is its bytes plus its extra times this
	filterMin   = 1 << 16
	filterMax   = 1 << 23 // 1 MB
	filterBits  = 128     // bits per key: ~0.02% false positives per word with two bits
	filterLeast = 16      // fewest bits per key in a table of filterMax (1.4% false positives per word)
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
	return key(x, extra)
}

// key is the key of a word whose first 8 bytes (0x20 set on each) are x.
// Its extra is multiplied so that it does not carry into the bytes: with
// x + extra, the prefix key of st (st*) was the word key of su.
func key(x, extra uint64) uint64 { return x + extra*keyExtra }

// bits2 returns a key's two bits: the top bits of its product with the
// multiplier, and the bits below those.
func (f *wordFilter) bits2(key uint64) (uint64, uint64) {
	h := key * f.mul
	return h >> f.shift, h << (64 - f.shift) >> f.shift
}

func (f *wordFilter) has(key uint64) bool {
	i, j := f.bits2(key)
	return f.bits[i>>6]&(1<<(i&63)) != 0 && f.bits[j>>6]&(1<<(j&63)) != 0
}

func (f *wordFilter) add(key uint64) {
	i, j := f.bits2(key)
	f.bits[i>>6] |= 1 << (i & 63)
	f.bits[j>>6] |= 1 << (j & 63)
}

// commonWords are among the commonest words of posts in the languages
// earshot's users listen to, and parts of links. A false positive on one
// of them makes the automaton read most posts: on the peers corpus at 1k
// terms, "to" (1.2% of the words) colliding with a term's first word
// skipped 73% of the bytes of ASCII posts instead of 87%. newWordFilter
// tries multipliers until none of them is one (unless it starts a term).
var commonWords = strings.Fields(`the a to of and in is for on it you that this i be with
	are at was my me we so not have just your all if but can will from by an or
	do what up out about like one get no they he she his her there our us more now new
	rt https http t co www com amp via
	de la que el en y los se del las un por con una para es al lo como su mas pero
	o e da em um os na uma mais as dos meu eu
	le les des et est pas pour sur il je ne une du au
	di che per non sono
	der die und das ist nicht ich zu mit den
	yang dan ini itu ke aku ada tidak`)

// newWordFilter returns the word filter of e's terms, or nil when they
// cannot be filtered (see wordFilter).
func newWordFilter(e *Engine) *wordFilter {
	for c := 0; c < 128; c++ {
		kind := e.ascii[c] >> 8
		if (kind == kWord) != asciiWordByte(byte(c)) || kind != kWord && kind != kSpace && kind != kPunct {
			return nil
		}
	}
	type firstWord struct {
		w      string
		prefix bool
	}
	var keys []firstWord
	var raw *rawKeys
	if !e.strip {
		raw = newRawKeys(e.rt)
	}
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
			if len(tok) > 0 && wordStart(e.rt, tok) {
				word = true
				keys = append(keys, firstWord{string(tok), j == len(p)})
				for _, w := range raw.forms(tok, j == len(p)) {
					if w != string(tok) { // an ASCII prefix's raw form is its key
						keys = append(keys, firstWord{w, j == len(p)})
					}
				}
			}
			i = j + 1
		}
		if !word && ascii {
			return nil // ASCII punctuation alone: no word to key it by
		}
	}
	n := filterSize(len(keys))
	if n == 0 {
		return nil
	}
	// A run of cold runes is read on whatever punctuation comes before it,
	// so the runes a term may have pending after its leading punctuation
	// (#救援, 「地震」), letters whose key has one among them, are not cold
	// here: the letters are cold as if terms started with all of hot (a
	// superset of the engine's starts).
	f := &wordFilter{bits: newKeyTable(n / 64), shift: uint64(64 - bits.TrailingZeros(uint(n))),
		cold: e.coldLetters(hot), q2: new([32]uint64), q4: new([64]uint64)}
	if raw != nil {
		f.c3 = 1
	}
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
	f.lat = new([0x780]uint64)
	for r := rune(0x80); r < 0x800; r++ {
		kind, k := e.rt.lookupFor(r, e.strip)
		if k == nil {
			k = utf8.AppendRune(nil, r)
		}
		if kind != kWord && kind != kMark || len(k) == 0 || len(k) > 7 {
			continue // it stops the filter, unless it is cold
		}
		x := uint64(len(k))
		if kind == kMark {
			x |= latMark
		}
		for i, b := range k {
			x |= uint64(b|0x20) << (8 + 8*i)
		}
		f.lat[r-0x80] = x
	}
	real := make(map[uint64]bool, len(keys))
	for _, k := range keys {
		if k.prefix {
			p := min(len(k.w), 8)
			f.prefix |= 1 << (p - 1)
			real[wordKey([]byte(k.w[:p]), uint64(p)+keyPrefix)] = true
		} else {
			real[wordKey([]byte(k.w), uint64(len(k.w)))] = true
		}
	}
	f.mul = keyMul
	for try := uint64(1); ; try++ {
		clear(f.bits)
		for k := range real {
			f.add(k)
		}
		if try == 32 || !f.missesCommon(real) {
			return f
		}
		f.mul = splitmix(try) | 1
	}
}

// filterSize returns the number of bits of the table of a filter of k
// keys: a power of two, filterBits per key or more, at least filterMin, at
// most filterMax; 0 (no filter) when filterMax holds fewer than
// filterLeast per key.
func filterSize(k int) int {
	if filterLeast*k > filterMax {
		return 0
	}
	n := filterMin
	for n < filterBits*k && n < filterMax {
		n <<= 1
	}
	return n
}

// missesCommon reports whether some word of commonWords is a false
// positive of f: it starts no term, and f says it may.
func (f *wordFilter) missesCommon(real map[uint64]bool) bool {
	for _, w := range commonWords {
		if f.anyKey(wordKey([]byte(w), 0), len(w), func(k uint64) bool { return !real[k] && f.has(k) }) {
			return true
		}
	}
	return false
}

// splitmix returns the i-th value of the SplitMix64 sequence.
func splitmix(i uint64) uint64 {
	z := i * 0x9E3779B97F4A7C15
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return z ^ z>>31
}

// keyLens is the number of word lengths the table before a filter's bits
// covers: the words the assembly keys in its windows are shorter than 64
// bytes (maxSkipWord).
const keyLens = 64

// newKeyTable returns a filter's table of n words of bits, after which
// (before which, in memory) come the masks and extras of the word lengths:
// bits[k-128] keeps a word's first min(k, 8) bytes, bits[k-64] is k times
// keyExtra. With them the assembly keys a word of length k with an AND and
// an ADD (the key of an 8-byte load, x&mask + extra) where BZHI with eight
// times the length (of which it reads the low 8 bits) and a multiply took
// four instructions and limited the words it could key to 31 bytes.
func newKeyTable(n int) []uint64 {
	t := make([]uint64, 2*keyLens+n)
	for k := range keyLens {
		t[k] = 1<<(8*min(k, 8)) - 1
		t[keyLens+k] = key(0, uint64(k))
	}
	return t[2*keyLens:]
}

// skippedAll is skipDocs' result for a text the filter reads to its end.
const skippedAll = -2

// skipReach is how far past a text's end the assembly may read: a 64-byte
// window and an 8-byte key load.
const skipReach = 72

// farText is skipWordsAt's far argument: the result for a text whose end
// is closer to its page's end than skipReach and that is longer than
// maxCopy (the assembly filters a shorter one in a copy on its stack).
const farText = -1

// maxCopy is the longest text the assembly filters in a copy when it ends
// within skipReach bytes of its page's end (FRAMECOPY in skip_amd64.s):
// 1.8% of texts at random places, in a buffer of maxCopy+skipReach bytes
// in its frame. A longer one is scanned whole (skipDocs) or not filtered
// (skipWordsAt).
const maxCopy = 512

// maxSkipWord is the length from which a word is scanned, not keyed: the
// assembly's windows are 64 bytes, and a word that fills one is read by
// the automaton.
const maxSkipWord = keyLens

// rawKeys turns a term's first word (folded keys) into the raw text words
// that match it when they hold ASCII and c3Letter letters alone.
type rawKeys struct {
	rt  *runeTable
	c3  map[string]string // a c3Letter's folded key -> its raw bytes
	all []string          // the folded keys of the c3Letter letters
}

func newRawKeys(rt *runeTable) *rawKeys {
	k := &rawKeys{rt: rt, c3: make(map[string]string)}
	for r := rune(0xC0); r <= 0xFF; r++ {
		b := utf8.AppendRune(nil, r)
		if !c3Letter(b[0], b[1]) {
			continue
		}
		_, key := rt.lookup(r)
		if key == nil {
			key = b
		}
		if _, ok := k.c3[string(key)]; !ok {
			k.all = append(k.all, string(key))
		}
		k.c3[string(key)] = string(b) // either case: the same raw key
	}
	return k
}

// forms returns the raw words whose folded keys are tok: none when a rune of
// tok comes from no ASCII or c3Letter letter, or one. For a prefix (a
// wildcard term's first word), the text's rune at its last one may carry
// more marks than tok (cafe* matches café): one form per letter whose key
// starts with that rune's.
func (k *rawKeys) forms(tok []byte, prefix bool) []string {
	ascii := !slices.ContainsFunc(tok, func(b byte) bool { return b >= utf8.RuneSelf })
	if k == nil || ascii && !prefix {
		return nil // an ASCII word: its raw form is its key
	}
	if ascii { // an ASCII prefix: the forms in which its last letter has an accent
		var out []string
		for _, key := range k.all {
			if key[0] == tok[len(tok)-1] {
				out = append(out, string(tok[:len(tok)-1])+k.c3[key])
			}
		}
		return out
	}
	var units []string // runes with the marks that follow them
	for _, r := range string(tok) {
		if kind, _ := k.rt.lookup(r); kind == kMark && len(units) > 0 {
			units[len(units)-1] += string(r)
		} else {
			units = append(units, string(r))
		}
	}
	var w []byte
	for _, u := range units[:len(units)-1] {
		switch {
		case len(u) == 1:
			w = append(w, u[0])
		case k.c3[u] != "":
			w = append(w, k.c3[u]...)
		default:
			return nil
		}
	}
	last := units[len(units)-1]
	var out []string
	if len(last) == 1 {
		out = append(out, string(w)+last)
	}
	for _, key := range k.all {
		if key == last || prefix && strings.HasPrefix(key, last) {
			out = append(out, string(w)+k.c3[key])
		}
	}
	return out
}

// wordStart reports whether the stream token tok (folded keys) is a word of
// a space-delimited script: its first rune is a letter, digit, '_' or mark.
func wordStart(rt *runeTable, tok []byte) bool {
	if tok[0] < utf8.RuneSelf {
		return asciiWordByte(tok[0])
	}
	r, _ := utf8.DecodeRune(tok)
	kind, _ := rt.lookup(r)
	return kind == kWord || kind == kMark
}

// skipToGo is skipTo in Go: the definition the assembly (skipTexts) must
// reproduce.
func (f *wordFilter) skipToGo(text []byte) int {
	q, n := 0, len(text)
	for i := 0; i < n; {
		c := text[i]
		if e := f.latAt(text, i); c >= 0x80 && (e == 0 || e&latMark != 0) { // not a letter
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
		if c < 0x80 && !asciiWordByte(c) {
			i++
			continue
		}
		j, x, l, ok := f.word(text, i)
		if !ok || j-i >= maxSkipWord || f.starts(x, l) {
			return q
		}
		i, q = j, j
	}
	return n
}

// word reads the word at text[i] (an ASCII word byte or a two-byte letter):
// it returns the word's end j, the first 8 bytes x of its key, each with
// 0x20 set, and the key's length l. The key is the word's raw bytes when it
// holds ASCII and c3Letter letters alone (with c3), else the folded keys of
// its runes (lat). ok is false when a rune the filter cannot key continues
// the word: one that is neither an ASCII word byte, a two-byte letter or
// mark (see lat), nor cold.
func (f *wordFilter) word(text []byte, i int) (j int, x uint64, l int, ok bool) {
	raw := true // ASCII and c3Letter letters alone: keyed by their raw bytes
	for j = i; j < len(text); {
		k, kl := uint64(text[j]|0x20), 1
		if text[j] < 0x80 && !asciiWordByte(text[j]) {
			break
		}
		if text[j] >= 0x80 {
			e := f.latAt(text, j)
			if e == 0 {
				if f.coldAt(text, j) == 0 {
					return j, 0, 0, false
				}
				break // a cold rune ends the word
			}
			raw = raw && f.c3 != 0 && c3Letter(text[j], text[j+1])
			k, kl = e>>8, int(e&0x0F)
			j++
		}
		j++
		if l < 8 {
			x |= k << (8 * l)
		}
		l += kl
	}
	if raw {
		x, l = 0, j-i
		for k := 0; k < 8 && i+k < j; k++ {
			x |= uint64(text[i+k]|0x20) << (8 * k)
		}
	}
	return j, x, l, true
}

// latAt returns the lat entry of the rune at text[i], 0 when it is not a
// two-byte rune.
func (f *wordFilter) latAt(text []byte, i int) uint64 {
	if i+1 >= len(text) || text[i] < 0xC2 || text[i] > 0xDF || text[i+1]&0xC0 != 0x80 {
		return 0
	}
	return f.lat[uint32(text[i]&0x1F)<<6|uint32(text[i+1]&0x3F)-0x80]
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

// starts reports whether some term may start with the text word whose key
// has x as its first 8 bytes (0x20 set on each) and l bytes in all.
func (f *wordFilter) starts(x uint64, l int) bool {
	return f.anyKey(x, l, f.has)
}

// anyKey reports whether test is true of one of the keys the set is asked
// about for such a word: its own, and its prefixes of the lengths in
// f.prefix.
func (f *wordFilter) anyKey(x uint64, l int, test func(uint64) bool) bool {
	if test(key(x, uint64(l))) {
		return true
	}
	for ps := f.prefix; ps != 0; ps &= ps - 1 {
		p := bits.TrailingZeros64(ps) + 1
		if p <= l && test(key(x&(1<<(8*p)-1), uint64(p)+keyPrefix)) {
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
