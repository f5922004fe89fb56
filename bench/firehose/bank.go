package firehose

import (
	"strings"
	"unicode/utf8"
)

// tmpl is a parsed template: literal segments and slots.
type tmpl []seg

type seg struct {
	lit  string
	slot byte // 0 for a literal; 'n', 'a', 'p', 'c', 'd', '#' (number), 'T' (planted term)
}

func parseTmpl(s string) tmpl {
	var t tmpl
	for s != "" {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			t = append(t, seg{lit: s})
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			t = append(t, seg{lit: s})
			break
		}
		if i > 0 {
			t = append(t, seg{lit: s[:i]})
		}
		var slot byte
		switch name := s[i+1 : i+j]; name {
		case "n", "a", "p", "c", "d", "T":
			slot = name[0]
		case "num":
			slot = '#'
		}
		if slot == 0 {
			t = append(t, seg{lit: s[i : i+j+1]})
		} else {
			t = append(t, seg{slot: slot})
		}
		s = s[i+j+1:]
	}
	return t
}

// literals returns the literal parts of a template.
func (t tmpl) literals() []string {
	var out []string
	for _, s := range t {
		if s.slot == 0 {
			out = append(out, s.lit)
		}
	}
	return out
}

// bank is the background material of one language after filtering against
// the configured rules.
type bank struct {
	sentences   []tmpl
	mentions    []tmpl
	nouns       []string
	adjs        []string
	names       []string // first names written in text
	handleNames []string // ASCII names for handles
	surnames    []string
	days        []string
	cities      []string
	tags        []string
	bios        []string
}

// textNamesCJK are first names written in Japanese and Chinese text (their
// handles use the ASCII names of banksText).
var textNamesCJK = map[lang][]string{
	langJA: {"ゆうき", "さくら", "はると", "あおい", "そうた", "ひな", "かいと", "めい", "りく", "れん"},
	langZH: {"小王", "小李", "阿明", "小美", "老张", "小林", "阿杰", "小红"},
}

// bgFilter decides which background items may be used with a rule set: an
// item is dropped when one of its words is a word or tag rule, when it holds a
// character of a CJK rule, or (for phrase rules whose words all occur in the
// background) when it holds the phrase's least used word.
type bgFilter struct {
	words    map[string]struct{} // single-word and tag rules, folded
	cjkChars map[rune]struct{}
	phrases  [][]string
	drop     map[string]struct{} // extra dropped words (from phrases)
}

func newBGFilter(rules []string) *bgFilter {
	f := &bgFilter{
		words:    map[string]struct{}{},
		cjkChars: map[rune]struct{}{},
		drop:     map[string]struct{}{},
	}
	for _, r := range rules {
		lit := ruleLiteral(r)
		for _, c := range lit {
			if isCJK(c) {
				f.cjkChars[c] = struct{}{}
			}
		}
		switch shape, parts := literalShape(lit); shape {
		case shapeWord:
			f.words[lit] = struct{}{}
		case shapeTag:
			f.words[lit[1:]] = struct{}{}
		case shapePhrase:
			f.phrases = append(f.phrases, parts)
		default:
			// Other shapes: every word run of the literal that is next to a
			// non-word character is dropped from the background; the
			// per-text verification catches the rest.
			for _, w := range wordRuns(lit) {
				f.words[w] = struct{}{}
			}
		}
	}
	return f
}

// wordRuns returns the folded maximal word runs of s.
func wordRuns(s string) []string {
	s = strings.ToLower(s)
	var out []string
	start := -1
	for i, r := range s {
		if isWordRune(r) {
			if start < 0 {
				start = i
			}
		} else if start >= 0 {
			out = append(out, s[start:i])
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// ok reports whether a background item may be used.
func (f *bgFilter) ok(item string) bool {
	for _, w := range wordRuns(item) {
		if _, bad := f.words[w]; bad {
			return false
		}
		if _, bad := f.drop[w]; bad {
			return false
		}
	}
	for _, c := range item {
		if c >= utf8.RuneSelf {
			if _, bad := f.cjkChars[c]; bad {
				return false
			}
		}
	}
	return true
}

// allItems lists every background string (template literals included).
func allItems() []string {
	var out []string
	for l := lang(0); l < numLangs; l++ {
		b := &banksText[l]
		for _, s := range b.sentences {
			out = append(out, parseTmpl(s).literals()...)
		}
		for _, s := range b.mentions {
			out = append(out, parseTmpl(s).literals()...)
		}
		for _, list := range [][]string{b.nouns, b.adjs, b.names, b.days, b.cities, b.tags} {
			out = append(out, list...)
		}
		out = append(out, textNamesCJK[l]...)
	}
	out = append(out, surnames...)
	out = append(out, emojis...)
	return out
}

// buildBanks filters the background material against rules. It returns the
// banks and the number of items dropped.
func buildBanks(rules []string) ([numLangs]bank, int) {
	f := newBGFilter(rules)
	// Phrase rules: if every word of a phrase occurs in usable background,
	// drop the word that occurs in the fewest items.
	if len(f.phrases) > 0 {
		count := map[string]int{}
		for _, it := range allItems() {
			if !f.ok(it) {
				continue
			}
			for _, w := range wordRuns(it) {
				count[w]++
			}
		}
		for _, p := range f.phrases {
			all := true
			best, bestN := "", -1
			for _, w := range p {
				n, in := count[w]
				if !in {
					all = false
					break
				}
				if bestN < 0 || n < bestN {
					best, bestN = w, n
				}
			}
			if all {
				f.drop[best] = struct{}{}
			}
		}
	}
	dropped := 0
	keep := func(list []string) []string {
		out := make([]string, 0, len(list))
		for _, s := range list {
			if f.ok(s) {
				out = append(out, s)
			} else {
				dropped++
			}
		}
		return out
	}
	keepT := func(list []string) []tmpl {
		out := make([]tmpl, 0, len(list))
		for _, s := range list {
			t := parseTmpl(s)
			good := true
			for _, lit := range t.literals() {
				good = good && f.ok(lit)
			}
			if good {
				out = append(out, t)
			} else {
				dropped++
			}
		}
		return out
	}
	sur := keep(surnames)
	var banks [numLangs]bank
	for l := lang(0); l < numLangs; l++ {
		src := &banksText[l]
		b := &banks[l]
		b.sentences = keepT(src.sentences)
		b.mentions = keepT(src.mentions)
		b.nouns = keep(src.nouns)
		b.adjs = keep(src.adjs)
		b.handleNames = keep(src.names)
		if l.cjk() {
			b.names = keep(textNamesCJK[l])
		} else {
			b.names = b.handleNames
		}
		b.surnames = sur
		b.days = keep(src.days)
		b.cities = keep(src.cities)
		b.tags = keep(src.tags)
		b.bios = src.bios // bios are not matched
		// Never leave a list empty: fall back to emoji (and a bare noun
		// template), which only rules made of emoji could conflict with.
		fallback := keep(emojis)
		if len(fallback) == 0 {
			fallback = []string{"…"}
		}
		for _, p := range []*[]string{&b.nouns, &b.adjs, &b.names, &b.days, &b.cities, &b.tags} {
			if len(*p) == 0 {
				*p = fallback
			}
		}
		if len(b.handleNames) == 0 {
			b.handleNames = []string{"user"}
		}
		if len(b.surnames) == 0 {
			b.surnames = []string{"x"}
		}
		if len(b.sentences) == 0 {
			b.sentences = []tmpl{parseTmpl("{n}")}
		}
		if len(b.mentions) == 0 {
			b.mentions = []tmpl{parseTmpl("{T}")}
		}
	}
	return banks, dropped
}
