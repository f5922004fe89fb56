package firehose

import (
	"bytes"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Matching semantics shared by NaiveMatch and the generator's internal
// checker (and, by construction, by every text the generator emits):
//
//   - A rule is a literal: surrounding white space is trimmed and one pair of
//     surrounding double quotes is removed (`"red light flashing"` is the
//     phrase red light flashing). Literal and text are case-folded rune by
//     rune with unicode.ToLower (strings.ToLower).
//   - A word character is a letter, a digit or '_' that is not CJK (Han,
//     Hiragana, Katakana, Hangul, U+3000–U+30FF). Where an end of the literal
//     is a word character, the text must not have a word character on that
//     side of the occurrence (whole-word, like regexp \b). So `temblor`
//     matches "#temblor" and "@temblor", `#sismo` matches only the hashtag,
//     and a CJK literal such as `地震` matches as a substring (inside 大地震だ).
//   - Inside a phrase the words are separated by exactly one space.
//
// The generator never places a letter or digit directly next to a CJK
// character, nor a rule term next to '_', so its texts mean the same under
// the common variants of these choices.

// NaiveMatch returns the indexes (ascending) of the rules that match text
// under the semantics above. It is a slow, obviously correct reference:
// tests elsewhere use it as a differential oracle.
func NaiveMatch(rules []string, text string) []int {
	folded := strings.ToLower(text)
	var out []int
	for i, r := range rules {
		lit := ruleLiteral(r)
		if naiveContains(folded, lit) {
			out = append(out, i)
		}
	}
	return out
}

// ruleLiteral returns the folded literal of a rule.
func ruleLiteral(rule string) string {
	s := strings.TrimSpace(rule)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	return strings.ToLower(s)
}

// naiveContains reports whether the folded literal occurs in the folded text
// with word boundaries at its word-character ends.
func naiveContains(folded, lit string) bool {
	if lit == "" {
		return false
	}
	first, _ := utf8.DecodeRuneInString(lit)
	last, _ := utf8.DecodeLastRuneInString(lit)
	needLeft, needRight := isWordRune(first), isWordRune(last)
	for off := 0; off <= len(folded); {
		i := strings.Index(folded[off:], lit)
		if i < 0 {
			return false
		}
		start := off + i
		end := start + len(lit)
		ok := true
		if needLeft && start > 0 {
			r, _ := utf8.DecodeLastRuneInString(folded[:start])
			ok = !isWordRune(r)
		}
		if ok && needRight && end < len(folded) {
			r, _ := utf8.DecodeRuneInString(folded[end:])
			ok = !isWordRune(r)
		}
		if ok {
			return true
		}
		_, size := utf8.DecodeRuneInString(folded[start:])
		off = start + size
	}
	return false
}

// isCJK reports whether r is a CJK character (substring semantics).
func isCJK(r rune) bool {
	if r < 0x1100 {
		return false
	}
	if r >= 0x3000 && r <= 0x30FF {
		return true
	}
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// isWordRune reports whether r is a word character: a letter, digit or '_'
// that is not CJK.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiWord[r]
	}
	return (unicode.IsLetter(r) || unicode.IsDigit(r)) && !isCJK(r)
}

var asciiWord = func() (t [utf8.RuneSelf]bool) {
	for c := 0; c < utf8.RuneSelf; c++ {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
	}
	return t
}()

// checker is the generator's fast equivalent of NaiveMatch. Rules are split
// by the shape of their literal: a single word (map lookup per word of the
// text), '#'+word (lookup of words preceded by '#'), a phrase of words
// separated by single spaces (lookup of word n-grams), CJK-only (substring
// search, only when the text has CJK), and anything else (naive search).
type checker struct {
	words      map[string][]int32
	tags       map[string][]int32
	phrases    map[string][]int32
	phraseHead map[string]struct{}
	maxPhrase  int
	cjk        []litRule
	other      []litRule
	// bloom has a bit set for every key of words, tags and phraseHead
	// (keyHash), so that most words of a text need no map lookup.
	bloom     []uint64
	bloomMask uint32
	// cjkFirst has bit r&0xffff set for the first rune r of every CJK rule.
	cjkFirst [1024]uint64

	fold []byte
	runs []span
}

type litRule struct {
	lit string
	b   []byte
	idx int32
}

type span struct {
	start, end int
	bloom      bool // the word may be a key of words, tags or phraseHead
}

type ruleShape uint8

const (
	shapeWord ruleShape = iota
	shapeTag
	shapePhrase
	shapeCJK
	shapeOther
)

// literalShape classifies a folded literal; for phrases it returns the words.
func literalShape(lit string) (ruleShape, []string) {
	if lit == "" {
		return shapeOther, nil
	}
	if allWord(lit) {
		return shapeWord, nil
	}
	if lit[0] == '#' && len(lit) > 1 && allWord(lit[1:]) {
		return shapeTag, nil
	}
	if strings.Contains(lit, " ") {
		parts := strings.Split(lit, " ")
		ok := len(parts) >= 2
		for _, p := range parts {
			if p == "" || !allWord(p) {
				ok = false
				break
			}
		}
		if ok {
			return shapePhrase, parts
		}
	}
	cjk := true
	for _, r := range lit {
		if !isCJK(r) {
			cjk = false
			break
		}
	}
	if cjk {
		return shapeCJK, nil
	}
	return shapeOther, nil
}

func allWord(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !isWordRune(r) {
			return false
		}
	}
	return true
}

func newChecker(rules []string) *checker {
	c := &checker{
		words:      make(map[string][]int32, len(rules)),
		tags:       make(map[string][]int32),
		phrases:    make(map[string][]int32),
		phraseHead: make(map[string]struct{}),
	}
	nb := bloomBits(len(rules))
	c.bloom = make([]uint64, nb/64)
	c.bloomMask = nb - 1
	for i, r := range rules {
		lit := ruleLiteral(r)
		shape, parts := literalShape(lit)
		idx := int32(i)
		switch shape {
		case shapeWord:
			c.words[lit] = append(c.words[lit], idx)
			c.setBloom(lit)
		case shapeTag:
			c.tags[lit[1:]] = append(c.tags[lit[1:]], idx)
			c.setBloom(lit[1:])
		case shapePhrase:
			c.phrases[lit] = append(c.phrases[lit], idx)
			c.phraseHead[parts[0]] = struct{}{}
			c.setBloom(parts[0])
			c.maxPhrase = max(c.maxPhrase, len(parts))
		case shapeCJK:
			c.cjk = append(c.cjk, litRule{lit, []byte(lit), idx})
			r, _ := utf8.DecodeRuneInString(lit)
			c.cjkFirst[(r>>6)&1023] |= 1 << (r & 63)
		default:
			if lit != "" {
				c.other = append(c.other, litRule{lit, nil, idx})
			}
		}
	}
	return c
}

// keyHash mixes the length and the first three and last bytes of a word.
func keyHash[S ~string | ~[]byte](w S) uint32 {
	n := len(w)
	h := uint32(n) * 0x9e3779b1
	h ^= uint32(w[0]) * 0x85ebca6b
	h ^= uint32(w[n-1]) * 0xc2b2ae35
	if n > 1 {
		h ^= uint32(w[1]) * 0x27d4eb2f
	}
	if n > 2 {
		h ^= uint32(w[2]) * 0x165667b1
	}
	h ^= h >> 15
	h *= 0x2c1b3c6d
	h ^= h >> 12
	return h
}

func (c *checker) setBloom(w string) {
	h := keyHash(w) & c.bloomMask
	c.bloom[h>>6] |= 1 << (h & 63)
}

func (c *checker) inBloom(w []byte) bool {
	h := keyHash(w) & c.bloomMask
	return c.bloom[h>>6]&(1<<(h&63)) != 0
}

// bloomBits sizes the filter: about 16 bits per rule, 2^12 to 2^21 bits.
func bloomBits(rules int) uint32 {
	n := uint32(1 << 12)
	for n < 1<<21 && n < uint32(rules)*16 {
		n <<= 1
	}
	return n
}

// match appends to dst the indexes of the rules matching text, sorted and
// without duplicates. It returns dst.
func (c *checker) match(dst []int32, text []byte) []int32 {
	base := len(dst)
	// One pass: fold, find word runs, note CJK characters that start a CJK
	// rule.
	f := c.fold[:0]
	runs := c.runs[:0]
	start := -1
	cjkHit := false
	for i := 0; i < len(text); {
		b := text[i]
		if b < utf8.RuneSelf {
			if asciiWord[b] {
				if start < 0 {
					start = len(f)
				}
				if b <= 'Z' && b >= 'A' {
					b += 'a' - 'A'
				}
			} else if start >= 0 {
				runs = append(runs, span{start: start, end: len(f)})
				start = -1
			}
			f = append(f, b)
			i++
			continue
		}
		r, size := utf8.DecodeRune(text[i:])
		i += size
		r = unicode.ToLower(r)
		if isCJK(r) {
			if start >= 0 {
				runs = append(runs, span{start: start, end: len(f)})
				start = -1
			}
			if c.cjkFirst[(r>>6)&1023]&(1<<(r&63)) != 0 {
				cjkHit = true
			}
		} else if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = len(f)
			}
		} else if start >= 0 {
			runs = append(runs, span{start: start, end: len(f)})
			start = -1
		}
		f = utf8.AppendRune(f, r)
	}
	if start >= 0 {
		runs = append(runs, span{start: start, end: len(f)})
	}
	c.fold, c.runs = f, runs

	chain := 0 // index of the first run of the current single-space chain
	for k := range runs {
		runs[k].bloom = c.inBloom(f[runs[k].start:runs[k].end])
	}
	for k, s := range runs {
		w := f[s.start:s.end]
		if s.bloom {
			if idx, ok := c.words[string(w)]; ok {
				dst = append(dst, idx...)
			}
			if s.start > 0 && f[s.start-1] == '#' && len(c.tags) > 0 {
				if idx, ok := c.tags[string(w)]; ok {
					dst = append(dst, idx...)
				}
			}
		}
		if c.maxPhrase == 0 {
			continue
		}
		if k == 0 || !(s.start == runs[k-1].end+1 && f[runs[k-1].end] == ' ') {
			chain = k
		}
		for n := 2; n <= c.maxPhrase && k-n+1 >= chain; n++ {
			h := runs[k-n+1]
			if !h.bloom {
				continue
			}
			if _, ok := c.phraseHead[string(f[h.start:h.end])]; !ok {
				continue
			}
			if idx, ok := c.phrases[string(f[h.start:s.end])]; ok {
				dst = append(dst, idx...)
			}
		}
	}
	if cjkHit {
		for _, r := range c.cjk {
			if bytes.Contains(f, r.b) {
				dst = append(dst, r.idx)
			}
		}
	}
	if len(c.other) > 0 {
		fs := string(f)
		for _, r := range c.other {
			if naiveContains(fs, r.lit) {
				dst = append(dst, r.idx)
			}
		}
	}
	if len(dst)-base > 1 {
		slices.Sort(dst[base:])
		dst = append(dst[:base], slices.Compact(dst[base:])...)
	}
	return dst
}
