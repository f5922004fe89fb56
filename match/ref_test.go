package match

import (
	"math/rand/v2"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// The reference matcher: a slow, independent implementation of the term
// semantics of docs/rules.md. Text and term are cut into tokens (words of one
// script class, single punctuation runes); a term matches when its tokens
// equal consecutive text tokens, except that a side written in a script
// without spaces, or a trailing wildcard, may match part of a token.

type refTok struct {
	kind int // 1 spaced word, 2 unspaced word, 3 punctuation
	key  string
	raw  string // the token as written, without ignorables
}

func refKey(r rune) string {
	if r == 0x130 {
		return "i"
	}
	return norm.NFKD.String(cases.Fold().String(norm.NFKD.String(string(r))))
}

func refKind(r rune) int {
	k := refKind1(r)
	if key := refKey(r); key != string(r) {
		kr, _ := utf8.DecodeRuneInString(key)
		if kk := refKind1(kr); kk != 0 && kk != 5 {
			return kk
		}
	}
	return k
}

func refKind1(r rune) int {
	switch {
	case r == '_':
		return 1
	case r == 0x30FC || r == 0xFF70:
		return 2
	case unicode.In(r, unicode.Cf, unicode.Variation_Selector):
		return 5 // ignorable
	case unicode.IsSpace(r) || unicode.IsControl(r) || unicode.In(r, unicode.Z):
		return 0
	case unicode.IsMark(r):
		return 4
	case unicode.IsLetter(r):
		for _, s := range []*unicode.RangeTable{unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai,
			unicode.Lao, unicode.Khmer, unicode.Myanmar, unicode.Tibetan, unicode.Yi, unicode.Bopomofo} {
			if unicode.Is(s, r) {
				return 2
			}
		}
		return 1
	case unicode.IsNumber(r):
		return 1
	}
	return 3
}

func refTokens(text string) []refTok {
	var toks []refTok
	cur := -1 // index of the open word token
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		i += n
		k := 0
		if !(r == utf8.RuneError && n == 1) {
			k = refKind(r)
		}
		switch k {
		case 0:
			cur = -1
		case 5:
		case 3:
			toks = append(toks, refTok{3, refKey(r), string(r)})
			cur = -1
		case 4:
			if cur < 0 {
				toks = append(toks, refTok{1, "", ""})
				cur = len(toks) - 1
			}
			toks[cur].key += refKey(r)
			toks[cur].raw += string(r)
		default:
			if cur < 0 || toks[cur].kind != k {
				toks = append(toks, refTok{k, "", ""})
				cur = len(toks) - 1
			}
			toks[cur].key += refKey(r)
			toks[cur].raw += string(r)
		}
	}
	return toks
}

// refMatch reports whether the (valid) query matches text.
func refMatch(query, text string) bool { return refMatchAs(query, text, false, false) }

// refMatchAs is refMatch; with raw, the words of an occurrence must also be
// written as the query's are (compared in NFC; a token that matches open
// ended, as its prefix, suffix or inside); with strip (raw only), marks
// are left out of the keys.
func refMatchAs(query, text string, raw, strip bool) bool {
	q := strings.TrimSpace(query)
	wild := false
	if strings.HasPrefix(q, `"`) {
		q = q[1 : len(q)-1]
	} else if strings.HasSuffix(q, "*") {
		q, wild = q[:len(q)-1], true
	}
	p := refTokens(q)
	t := refTokens(text)
	if strip {
		for _, ts := range [][]refTok{p, t} {
			for i := range ts {
				ts[i].key = stripMarks(ts[i].key)
			}
		}
	}
	n := len(p)
	if n == 0 {
		return false
	}
	leftOpen := p[0].kind == 2
	rightOpen := wild || p[n-1].kind == 2
	same := func(tk, pk string, l, r bool) bool {
		switch {
		case l && r:
			return strings.Contains(tk, pk)
		case l:
			return strings.HasSuffix(tk, pk)
		case r:
			return strings.HasPrefix(tk, pk)
		}
		return tk == pk
	}
	for i := 0; i+n <= len(t); i++ {
		ok := true
		for j := 0; j < n && ok; j++ {
			l, r := j == 0 && leftOpen, j == n-1 && rightOpen
			ok = same(t[i+j].key, p[j].key, l, r)
			if raw && ok && p[j].kind != 3 {
				ok = same(norm.NFC.String(t[i+j].raw), norm.NFC.String(p[j].raw), l, r)
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// Generated multilingual material.

var vocab = []string{
	// en, es, pt, id, it
	"earthquake", "quake", "flood", "flooding", "tornado", "explosion", "help", "damage", "victims", "shelter",
	"terremoto", "sismo", "temblor", "inundación", "ayuda", "tormenta", "daño", "víctimas", "Ciudad", "México",
	"enchente", "socorro", "chuva", "desabrigados", "gempa", "banjir", "bantuan", "korban", "pengungsi",
	"scossa", "alluvione", "soccorso", "sfollati", "città", "perché",
	// el, tr, de
	"σεισμός", "ΣΕΙΣΜΟΣ", "Σεισμοί", "πλημμύρα", "İstanbul", "ISTANBUL", "deprem", "yardım", "Straße", "STRASSE",
	// ja, zh, th, ko
	"地震", "大地震", "津波", "東京", "避難", "じしん", "ジシン", "ｼﾞｼﾝ", "地震发生", "救援", "洪水", "แผ่นดินไหว", "지진",
	// digits, full-width, mixed
	"2024", "M7.1", "ｅａｒｔｈｑｕａｋｅ", "ＴＥＲＲＥＭＯＴＯ", "iPhone手机", "東京Tower", "c++", "covid-19", "x_y",
	"café", "cafe\u0301", "ﬁre", "ß", "ς", "Ⅻ", "№", "½",
}

var fillers = []string{
	" ", " ", " ", "  ", "\n", "\t", ", ", ". ", "! ", "!!", "?", " - ", "#", "@", "＃", "_", "'", "\"", "…",
	"🔥", "🙏🏽", "👨\u200d👩\u200d👧", "❤️", "\u00ad", "\u200b", "\u0301", "。", "、", "「", "」",
	"http://t.co/xYz1", "https://ex.am/ple?q=1", "\xff", "\xe2\x82", "\xc3", "ー", "〜", "$", "%", "&", "/",
	"¿", "¡", "«", "»", "°",
}

func genText(rng *rand.Rand, words int) string {
	var b strings.Builder
	for i := 0; i < words; i++ {
		if rng.IntN(3) == 0 {
			b.WriteString(fillers[rng.IntN(len(fillers))])
		} else if i > 0 && rng.IntN(4) != 0 {
			b.WriteByte(' ')
		}
		w := vocab[rng.IntN(len(vocab))]
		switch rng.IntN(10) {
		case 0:
			w = strings.ToUpper(w)
		case 1:
			w = toFullWidth(w)
		case 2:
			w = "#" + w
		case 3:
			w = "@" + w
		case 4:
			w += vocab[rng.IntN(len(vocab))]
		}
		b.WriteString(w)
	}
	return b.String()
}

func toFullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r > ' ' && r < 0x7F {
			return r - 0x21 + 0xFF01
		}
		return r
	}, s)
}

func genTerm(rng *rand.Rand) string {
	w := vocab[rng.IntN(len(vocab))]
	switch rng.IntN(9) {
	case 0:
		if rs := []rune(w); len(rs) > 2 {
			cut := 1 + rng.IntN(len(rs)-1)
			if k := runeKind(rs[cut-1]); k == kWord || k == kWordCJK || k == kMark {
				return string(rs[:cut]) + "*"
			}
		}
	case 1:
		return "#" + w
	case 2:
		return "@" + w
	case 3:
		return `"` + w + " " + vocab[rng.IntN(len(vocab))] + `"`
	case 4:
		if rs := []rune(w); len(rs) > 1 {
			a := rng.IntN(len(rs))
			return string(rs[a : a+1+rng.IntN(len(rs)-a)])
		}
	case 5:
		return strings.ToUpper(w)
	}
	return w
}

// isTerm reports whether q is a valid query made of exactly the one term q,
// as the term-level reference matcher understands it.
func isTerm(q string) bool {
	if _, terr := parseTerm(runes(), q, false); terr != nil {
		return false
	}
	prog, terms, terr := parseQuery(runes(), q, false, nil)
	return terr == nil && len(terms) == 1 && (prog == nil || prog.Terms[0] == q)
}
