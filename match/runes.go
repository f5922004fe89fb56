package match

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Rune kinds: how a rune takes part in matching.
const (
	kSpace   = iota // whitespace, controls, invalid UTF-8: separates tokens, emits nothing itself
	kWord           // letter, digit or '_' of a space-delimited script
	kWordCJK        // letter of a script written without spaces (Han, kana, Thai, …)
	kMark           // combining mark: continues the current word
	kPunct          // punctuation, symbol, emoji, unassigned: a one-rune token of its own
	kIgnore         // format characters and variation selectors: skipped
	numKinds
)

// runeTable maps every rune to its kind and its match key: the UTF-8 bytes of
// the rune after NFKD decomposition and full Unicode case folding (with
// U+0130 İ folded to plain i). It is computed once, on first use, and never
// changes afterwards.
type runeTable struct {
	stage1 [(unicode.MaxRune + 1) >> 8]uint16 // block of 256 runes -> index into stage2/256
	stage2 []uint32                           // kind<<28 | key index (0 = the rune itself)
	keyOff []uint32                           // key i is keys[keyOff[i]:keyOff[i+1]]
	keys   []byte
	// strip maps key i to the index of the same key without combining
	// marks (0: nothing is left), for diacritic-insensitive rules.
	strip []uint32
	// cjk3 marks the three-byte runes that are unspaced letters and their
	// own key (Han, kana, Thai, …): bit b2&0x3F of
	// cjk3[(b0&0x0F)<<6|b1&0x3F] for the rune b0 b1 b2. The scan runs
	// through them without the two-stage lookup.
	cjk3 [1024]uint64
	// ign3 marks the three-byte ignorable runes (zero-width spaces and
	// joiners, variation selector 16), indexed like cjk3.
	ign3 [1024]uint64
	// punct lists the two- and three-byte punctuation runes and the
	// four-byte ones in U+1F000..U+1FFFF (emoji), for the engines' quiet
	// tables.
	punct []rune
	// keyed3 lists the three-byte unspaced letters whose key is not the
	// rune itself (kana with a voicing mark: が is か + U+3099), for the
	// engines' cold3 tables.
	keyed3 []rune
}

var (
	runeTabOnce sync.Once
	runeTab     *runeTable
)

// runes returns the shared, immutable rune table.
func runes() *runeTable {
	runeTabOnce.Do(func() { runeTab = buildRuneTable() })
	return runeTab
}

// unspacedScripts are written without spaces between words: terms in them
// match as substrings.
var unspacedScripts = []*unicode.RangeTable{
	unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai, unicode.Lao,
	unicode.Khmer, unicode.Myanmar, unicode.Tibetan, unicode.Yi, unicode.Bopomofo,
}

// runeKind classifies r. It is the single definition used to build the table.
func runeKind(r rune) uint32 {
	switch {
	case r == '_':
		return kWord
	case r == 0x30FC || r == 0xFF70: // katakana-hiragana prolonged sound mark
		return kWordCJK
	case unicode.Is(unicode.Variation_Selector, r) || unicode.Is(unicode.Cf, r):
		return kIgnore
	case unicode.IsSpace(r) || unicode.IsControl(r) || unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp):
		return kSpace
	case unicode.IsMark(r):
		return kMark
	case unicode.IsLetter(r):
		if unicode.In(r, unspacedScripts...) {
			return kWordCJK
		}
		return kWord
	case unicode.IsNumber(r):
		return kWord
	}
	return kPunct
}

// foldKey returns the match key of s: NFKD, full case fold, NFKD again.
func foldKey(folder cases.Caser, s string) string {
	if s == "\u0130" { // İ: fold to i, not i + combining dot above
		return "i"
	}
	s = norm.NFKD.String(s)
	return norm.NFKD.String(folder.String(s))
}

func buildRuneTable() *runeTable {
	t := &runeTable{keyOff: []uint32{0, 0}}
	folder := cases.Fold()
	blocks := map[[256]uint32]uint16{}
	var blk [256]uint32
	var buf [utf8.UTFMax]byte
	for b := 0; b < len(t.stage1); b++ {
		for j := 0; j < 256; j++ {
			r := rune(b<<8 | j)
			if r >= 0xD800 && r <= 0xDFFF {
				blk[j] = kSpace << 28
				continue
			}
			kind := runeKind(r)
			var key uint32
			n := utf8.EncodeRune(buf[:], r)
			if unicode.SimpleFold(r) != r || r == 0x130 || norm.NFKD.Properties(buf[:n]).Decomposition() != nil {
				k := foldKey(folder, string(r))
				if k != string(r) {
					key = uint32(len(t.keyOff) - 1)
					t.keys = append(t.keys, k...)
					t.keyOff = append(t.keyOff, uint32(len(t.keys)))
				}
			}
			if key != 0 {
				// A rune is classified by its normal form when that is a
				// letter, digit or mark: halfwidth ﾞ is a combining mark.
				kr, _ := utf8.DecodeRune(t.keys[t.keyOff[key]:])
				if k := runeKind(kr); k != kSpace && k != kIgnore {
					kind = k
				}
			}
			blk[j] = kind<<28 | key
		}
		idx, ok := blocks[blk]
		if !ok {
			idx = uint16(len(t.stage2) >> 8)
			blocks[blk] = idx
			t.stage2 = append(t.stage2, blk[:]...)
		}
		t.stage1[b] = idx
	}
	for r := rune(0x800); r <= 0xFFFF; r++ {
		if r < 0xD800 || r > 0xDFFF {
			switch ent := t.stage2[uint32(t.stage1[r>>8])<<8|uint32(r&0xFF)]; {
			case ent == kWordCJK<<28:
				t.cjk3[r>>6] |= 1 << (r & 0x3F)
			case ent>>28 == kWordCJK:
				t.keyed3 = append(t.keyed3, r)
			case ent>>28 == kIgnore:
				t.ign3[r>>6] |= 1 << (r & 0x3F)
			case ent>>28 == kPunct:
				t.punct = append(t.punct, r)
			}
		}
	}
	for _, lim := range [][2]rune{{0x80, 0x7FF}, {0x1F000, 0x1FFFF}} {
		for r := lim[0]; r <= lim[1]; r++ {
			if t.stage2[uint32(t.stage1[r>>8])<<8|uint32(r&0xFF)]>>28 == kPunct {
				t.punct = append(t.punct, r)
			}
		}
	}
	t.strip = make([]uint32, len(t.keyOff)-1)
	stripped := map[string]uint32{}
	for k := 1; k < len(t.strip); k++ {
		key := string(t.keys[t.keyOff[k]:t.keyOff[k+1]])
		s := strings.Map(func(r rune) rune {
			if runeKind(r) == kMark {
				return -1
			}
			return r
		}, key)
		switch {
		case s == key:
			t.strip[k] = uint32(k)
		case s == "":
			t.strip[k] = 0
		default:
			i, ok := stripped[s]
			if !ok {
				i = uint32(len(t.keyOff) - 1)
				t.keys = append(t.keys, s...)
				t.keyOff = append(t.keyOff, uint32(len(t.keys)))
				stripped[s] = i
			}
			t.strip[k] = i
		}
	}
	return t
}

// lookup returns the kind of r and its key; key is nil when the key is the
// rune's own UTF-8 encoding.
func (t *runeTable) lookup(r rune) (kind uint32, key []byte) {
	e := t.stage2[uint32(t.stage1[r>>8])<<8|uint32(r&0xFF)]
	kind = e >> 28
	if k := e & (1<<28 - 1); k != 0 {
		key = t.keys[t.keyOff[k]:t.keyOff[k+1]:t.keyOff[k+1]]
	}
	return kind, key
}

// lookupStrip is lookup for text read without combining marks: a mark, and
// a rune whose key is only marks, are ignorable; other keys lose their marks.
func (t *runeTable) lookupStrip(r rune) (kind uint32, key []byte) {
	e := t.stage2[uint32(t.stage1[r>>8])<<8|uint32(r&0xFF)]
	kind = e >> 28
	if kind == kMark {
		return kIgnore, nil
	}
	if k := e & (1<<28 - 1); k != 0 {
		if k = t.strip[k]; k == 0 {
			return kIgnore, nil
		}
		key = t.keys[t.keyOff[k]:t.keyOff[k+1]:t.keyOff[k+1]]
	}
	return kind, key
}

// lookupFor is lookupStrip for text read without combining marks (strip),
// lookup otherwise.
func (t *runeTable) lookupFor(r rune, strip bool) (kind uint32, key []byte) {
	if strip {
		return t.lookupStrip(r)
	}
	return t.lookup(r)
}
