package enrich

import (
	"math"
	"slices"
	"unicode"
	"unicode/utf8"
	_ "unsafe" // go:linkname

	"github.com/abadojack/whatlanggo"
)

// Latin-script detection, whatlanggo's answer at a fraction of its cost.
//
// whatlanggo ranks a text's trigrams by count and scores each candidate
// language by the distance between that ranking and the language's
// profile: its 300 commonest trigrams in order, a trigram of the profile
// missing from the text counting 300. It walks every profile trigram of
// every candidate through a map of the text's trigrams keyed by string: for
// the 9 Latin-script languages detection chooses among, 2,700 string
// hashes, and 282 allocations per post: 100 µs for a 110-byte post
// (BenchmarkDetectLanguage), about a tenth of earshot run's CPU in the
// end-to-end harness, though only matched posts without a lang field are
// detected. The same distance is 300 per profile trigram less, for each
// trigram of the text found in a profile, 300 minus the difference of its
// two ranks; latinScorer indexes the profiles by trigram once, so a post
// costs one lookup per distinct trigram of its text.
//
// The profiles are whatlanggo's own (its unexported latinLangs, linked
// below), so the languages, the distances and the confidence are the ones
// whatlanggo computes; TestLatinEqualsWhatlanggo and FuzzLatinEqualsWhatlanggo
// hold them equal. whatlanggo is pinned in go.sum; a version whose profiles
// moved fails to link or fails those tests, and newLatinScorer returns nil
// (whatlanggo alone is used) if the table is empty.

//go:linkname latinProfiles github.com/abadojack/whatlanggo.latinLangs
var latinProfiles map[whatlanggo.Lang][]string

// whatlanggo's constants (constants.go): a profile trigram missing from the
// text counts maxTrigramDistance, and a language's score is
// maxTotalDistance less its distance.
const (
	maxTrigramDistance = 300
	maxTotalDistance   = 90000
)

// latinScorer scores texts against the Latin-script profiles of a set of
// languages. It is immutable once built and safe for concurrent use; a
// text's scratch space is a latinScratch.
type latinScorer struct {
	langs []whatlanggo.Lang // candidates, in Lang order (ties go to the first)
	base  []int             // maxTrigramDistance per trigram of each candidate's profile
	// at maps a trigram (packTrigram) to its entries in ranks: ranks[v>>8:]
	// holds v&0xFF (candidate, rank in its profile) pairs.
	at    trigramTable
	ranks []rank
	// ascii is unicode.ToLower(toTrigramChar(c)) for each ASCII c.
	ascii [utf8.RuneSelf]rune
}

type rank struct {
	lang uint8 // index in langs
	pos  uint16
}

// latinScratch is one text's working space, reused between texts.
type latinScratch struct {
	runes  []rune
	keys   []uint64
	grams  []gramCount // distinct trigrams, greatest first
	ranked []gramCount // ranked as whatlanggo ranks them
	hist   []int       // trigrams per count, then the buckets' slots
	dist   []int
}

type gramCount struct {
	key   uint64
	count int
}

// newLatinScorer returns the scorer for the Latin-script languages among
// want, or nil when there are none (or the profiles could not be linked).
func newLatinScorer(want map[whatlanggo.Lang]bool) *latinScorer {
	s := &latinScorer{}
	for l := range latinProfiles {
		if want[l] {
			s.langs = append(s.langs, l)
		}
	}
	if len(s.langs) < 2 || len(s.langs) > math.MaxUint8 {
		return nil // one candidate: whatlanggo answers it with confidence 1
	}
	slices.Sort(s.langs)
	entries := make(map[uint64][]rank)
	for li, l := range s.langs {
		prof := latinProfiles[l]
		s.base = append(s.base, maxTrigramDistance*len(prof))
		for pos, g := range prof {
			r := []rune(g)
			if len(r) != 3 || pos > math.MaxUint16 {
				return nil
			}
			k := packTrigram(r[0], r[1], r[2])
			entries[k] = append(entries[k], rank{uint8(li), uint16(pos)})
		}
	}
	s.at = newTrigramTable(len(entries))
	for k, rs := range entries {
		s.at.put(k, uint32(len(s.ranks))<<8|uint32(len(rs)))
		s.ranks = append(s.ranks, rs...)
	}
	for c := range s.ascii {
		s.ascii[c] = unicode.ToLower(trigramChar(rune(c)))
	}
	return s
}

// packTrigram packs three runes (21 bits each) so that keys order as
// whatlanggo orders its trigram strings: UTF-8 strings compare as their
// runes do.
func packTrigram(r1, r2, r3 rune) uint64 {
	return uint64(r1)<<42 | uint64(r2)<<21 | uint64(r3)
}

// trigramChar is whatlanggo's toTrigramChar: symbols, spaces, punctuation
// and digits read as a space.
func trigramChar(r rune) rune {
	if unicode.IsSymbol(r) || unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsDigit(r) {
		return ' '
	}
	return r
}

// detect returns what whatlanggo.DetectWithOptions returns for text in the
// Latin script with s's languages as the whitelist: the language of the
// smallest distance and the confidence. When two languages tie for the
// smallest, whatlanggo answers either (it ranks them in map order) with
// confidence 0; detect answers the first in Lang order, also with 0.
func (s *latinScorer) detect(text string, sc *latinScratch) (whatlanggo.Lang, float64) {
	// The text's runes as whatlanggo reads them, then a space.
	rs := sc.runes[:0]
	for _, r := range text {
		if r < utf8.RuneSelf {
			r = s.ascii[r]
		} else {
			r = unicode.ToLower(trigramChar(r))
		}
		rs = append(rs, r)
	}
	rs = append(rs, ' ')
	sc.runes = rs

	// Its trigrams, but for those with a space in the middle and at either
	// end, counted.
	keys := sc.keys[:0]
	r1, r2 := rune(' '), rs[0]
	for _, r3 := range rs[1:] {
		if r2 != ' ' || r1 != ' ' && r3 != ' ' {
			keys = append(keys, packTrigram(r1, r2, r3))
		}
		r1, r2 = r2, r3
	}
	sc.keys = keys
	slices.Sort(keys)
	// Ranked: the commonest first, equal counts the greatest trigram first
	// (whatlanggo sorts ascending by count, then trigram, and ranks from
	// the end). The keys are sorted: walked from the greatest, each
	// distinct trigram goes to the slot of its count's bucket, buckets of
	// greater counts first (a counting sort: most counts are 1 or 2, and a
	// comparison sort of the trigrams was a fifth of detect).
	grams := slices.Grow(sc.grams[:0], len(keys))
	hist := sc.hist[:0]
	for i := len(keys) - 1; i >= 0; {
		j := i - 1
		for j >= 0 && keys[j] == keys[i] {
			j--
		}
		c := i - j
		for len(hist) <= c {
			hist = append(hist, 0)
		}
		hist[c]++
		grams = append(grams, gramCount{keys[i], c})
		i = j
	}
	at := 0 // the first slot of each count's bucket, greatest counts first
	for c := len(hist) - 1; c >= 1; c-- {
		hist[c], at = at, at+hist[c]
	}
	ranked := slices.Grow(sc.ranked[:0], len(grams))[:len(grams)]
	for _, g := range grams { // greatest trigram first within a bucket
		ranked[hist[g.count]] = g
		hist[g.count]++
	}
	sc.grams, sc.hist, sc.ranked = grams, hist, ranked
	grams = ranked

	dist := append(sc.dist[:0], s.base...)
	sc.dist = dist
	for n, g := range grams {
		at, ok := s.at.get(g.key)
		if !ok {
			continue
		}
		for _, r := range s.ranks[at>>8 : at>>8+at&0xFF] {
			d := n - int(r.pos)
			if d < 0 {
				d = -d
			}
			dist[r.lang] -= maxTrigramDistance - d
		}
	}

	// whatlanggo's calculateConfidence over the two smallest distances.
	first, second := 0, -1
	for i := 1; i < len(dist); i++ {
		switch {
		case dist[i] < dist[first]:
			first, second = i, first
		case second < 0 || dist[i] < dist[second]:
			second = i
		}
	}
	score1 := maxTotalDistance - dist[first]
	score2 := maxTotalDistance - dist[second]
	switch {
	case score1 == 0:
		return -1, 0
	case score2 == 0:
		return s.langs[first], min(float64(score1/500), 1) // whatlanggo divides the integers
	}
	rate := float64(score1-score2) / float64(score2)
	confident := 12.0/float64(len(grams)) + 0.05
	if rate > confident {
		return s.langs[first], 1
	}
	return s.langs[first], rate / confident
}

// latinScript reports whether whatlanggo.DetectScript(text) is Latin, for
// most texts without it: DetectScript counts each rune against up to 23
// scripts' tables (8 µs of a post's 15 after latinScorer). A text whose
// runes are Latin letters, runes whatlanggo skips (symbols, spaces,
// punctuation, digits) and runes of no script (Common, Inherited: the
// variation selectors and joiners of emoji) has Latin as its one script
// when it has a Latin letter; any other text is left to DetectScript.
func latinScript(text string) bool {
	latin := false
	for _, r := range text {
		switch {
		case r < utf8.RuneSelf:
			if c := r | 0x20; c >= 'a' && c <= 'z' {
				latin = true
			}
		case trigramChar(r) == ' ', unicode.In(r, unicode.Common, unicode.Inherited):
		case unicode.Is(unicode.Latin, r):
			latin = true
		default:
			return whatlanggo.DetectScript(text) == unicode.Latin
		}
	}
	return latin
}

// trigramTable maps the profiles' trigrams to their entries: open
// addressing with linear probing over a power-of-two table at most half
// full, written once. A Go map's lookups were a sixth of detect; every
// distinct trigram of a text is looked up, most of them missing.
type trigramTable struct {
	keys  []uint64 // 0: empty (no trigram packs to 0: a rune is never 0 in a profile)
	vals  []uint32
	shift uint // 64 - log2(len(keys))
}

func newTrigramTable(n int) trigramTable {
	size, bits := 2, uint(1)
	for size < 2*n {
		size, bits = size*2, bits+1
	}
	return trigramTable{keys: make([]uint64, size), vals: make([]uint32, size), shift: 64 - bits}
}

// slot is where key's probe starts (Fibonacci hashing).
func (t *trigramTable) slot(key uint64) int { return int((key * 0x9E3779B97F4A7C15) >> t.shift) }

func (t *trigramTable) put(key uint64, v uint32) {
	for i := t.slot(key); ; i = (i + 1) & (len(t.keys) - 1) {
		if t.keys[i] == 0 || t.keys[i] == key {
			t.keys[i], t.vals[i] = key, v
			return
		}
	}
}

func (t *trigramTable) get(key uint64) (uint32, bool) {
	if key == 0 { // three NULs: no profile's, and the mark of an empty slot
		return 0, false
	}
	for i := t.slot(key); ; i = (i + 1) & (len(t.keys) - 1) {
		switch t.keys[i] {
		case key:
			return t.vals[i], true
		case 0:
			return 0, false
		}
	}
}
