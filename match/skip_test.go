package match

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// TestSkipTo pins where the automaton must start, by the definition
// (skipToGo), for the cases the filter is built around.
func TestSkipTo(t *testing.T) {
	long := strings.Repeat("a", maxSkipWord)
	cases := []struct {
		terms []string
		text  string
		want  int
	}{
		{[]string{"quake"}, "big earthquake today", 20}, // no word is a term's first word
		{[]string{"quake"}, "the QUAKE hit", 3},         // from the end of the word before
		{[]string{"quake"}, "quake", 0},                 // the first word
		{[]string{"quake"}, "", 0},                      // nothing to skip
		{[]string{"#temblor"}, "#temblor ya", 0},        // the # is stepped
		{[]string{"#temblor"}, "hola, #temblor", 4},     // from the end of hola
		{[]string{"temblor"}, "hola @temblor", 4},       // a plain term inside a handle
		{[]string{`"gas leak"`}, "a gas  leak", 1},      // a phrase by its first word
		{[]string{`"gas leak"`}, "a leak of gas", 9},    // not its other words
		{[]string{"quake"}, "big café quake", 9},        // two-byte letters are keyed
		{[]string{"café"}, "big CAFÉ quake", 3},         // and folded
		{[]string{"café"}, "big cafe\u0301 quake", 3},   // a mark continues a word
		{[]string{"cafe"}, "big café quake", 15},        // the accent is part of the key
		{[]string{"quake"}, "big \u0301quake", 3},       // a mark does not start one
		{[]string{"quake"}, "big caﬁ quake", 3},         // a three-byte letter stops the filter
		{[]string{"σεισμός"}, "ΣΕΙΣΜΌΣ τώρα", 0},        // Greek, with final sigma
		{[]string{"σεισμός"}, "ο σεισμός", 2},
		{[]string{"землетрясение"}, "сильное землетрясение", 14},
		{[]string{"istanbul"}, "İSTANBUL", 0},
		{[]string{"sísm*"}, "la sísmica", 2}, // a prefix with a letter of two bytes
		{[]string{"sísm*"}, "la sismica", 10},
		{[]string{"cafe*"}, "un café", 2},     // a prefix the text's letter adds a mark to
		{[]string{"straße"}, "STRASSE zu", 0}, // ß folds to ss
		{[]string{"strasse"}, "die Straße", 3},
		{[]string{"año"}, "AÑO", 0},
		{[]string{"quake"}, "big ☕ quake", 3},          // punctuation no term starts with: read on, not past
		{[]string{"quake"}, "big ☕é quake", 3},         // non-ASCII that may continue a word
		{[]string{"地震", "quake"}, "東京で大きな揺れ quake", 0}, // letters no term starts with: the same
		{[]string{"地震", "quake"}, "東京 fire quake", 11},
		{[]string{"地震", "quake"}, "東京で fine", 14}, // nothing to scan
		{[]string{"#救援"}, "#救援 fine", 0},          // a letter a term has after its punctuation
		{[]string{"#「x"}, "a #「 x", 1},            // punctuation a term has after its punctuation
		{[]string{"地震", "quake"}, "揺れ、地震だ", 0},    // one that starts a term
		{[]string{"quake"}, "fire東京", 10},         // a word a letter of another script ends
		{[]string{"quake"}, "quake東京", 0},
		{[]string{"quake"}, "a 東京é", 1},           // a run followed by non-ASCII
		{[]string{"quake"}, "a 東京\u200bquake", 1}, // an ignorable joins what is around it
		{[]string{"sismo"}, "¡Fuerte sismo!", 8},  // two-byte punctuation no term starts with
		{[]string{"quake"}, "fire🔥 quake", 4},     // an emoji no term starts with
		{[]string{"quake"}, "🔥🔥 fine", 13},
		{[]string{"🔥 fire"}, "a 🔥 fire", 1},             // one that starts a term
		{[]string{"#🔥"}, "a #🔥 b", 1},                   // one a term has after its punctuation
		{[]string{"earthquak*"}, "the earthquakes", 3},  // a wildcard's prefix
		{[]string{"earthquak*"}, "the earth quak", 14},  // too short
		{[]string{"ea*"}, "an eagle", 2},                // a short prefix
		{[]string{"earthquakes*"}, "an earthquakz", 2},  // prefixes are keyed by 8 bytes
		{[]string{"ps5"}, "new PS5 out", 3},             // digits
		{[]string{"x_y"}, "a x_y", 1},                   // '_' is a word byte
		{[]string{"quake"}, "a " + long + " quake", 1},  // a word of 64 bytes is scanned
		{[]string{"quake"}, "a " + long[1:] + " b", 67}, // one of 63 is keyed
		{[]string{"quake"}, "a " + long[:40] + " b", 44},
		{[]string{"quake"}, "a " + long[:40] + " quake", 42},
		{[]string{"地震"}, "big quake", 9},             // terms of unspaced scripts need non-ASCII
		{[]string{"σεισμος"}, "sismo", 5},            // Greek ones do not match Latin text
		{[]string{"ｅａｒｔｈｑｕａｋｅ"}, "an Earthquake", 2}, // a full-width term folds to ASCII
	}
	for _, c := range cases {
		e := mustCompile(t, c.terms...)
		f := newWordFilter(e)
		if f == nil {
			t.Fatalf("%q: no filter", c.terms)
		}
		if got := f.skipToGo([]byte(c.text)); got != c.want {
			t.Errorf("%q in %q: skipTo %d, want %d", c.terms, c.text, got, c.want)
		}
	}
	for _, terms := range [][]string{{"quake", `"?!"`}, {`"..."`}} {
		if f := newWordFilter(mustCompile(t, terms...)); f != nil {
			t.Errorf("%q: a term of ASCII punctuation alone, want no filter", terms)
		}
	}
}

// skipVocab is ASCII-heavy text for the filter: words that start terms, words
// close to them, tags, URLs, long words and some non-ASCII.
var skipVocab = []string{
	"earthquake", "earthquakes", "EARTHQUAKE", "quake", "quakes", "flood", "floods", "fire", "firefighters",
	"the", "a", "to", "of", "in", "is", "we", "RT", "lol", "help", "x_y", "ps5", "2024", "earth", "ea", "eagle",
	"victims", "gas", "leak", "temblor", "sismo", "strong", "felt", "news", "https", "t", "co", "xYz12",
	strings.Repeat("w", 31), strings.Repeat("w", 32), strings.Repeat("w", 63), strings.Repeat("w", 64), strings.Repeat("ab", 40), "café", "地震", "🔥", "Straße",
	"東京で", "大きな揺れ", "救援", "「速報」", "、", "。", "…", "がんばれ", "ｶﾞﾝﾊﾞﾚ", "지진", "แผ่นดินไหว", "☕",
	"東京で大きな揺れがありました", "\u200b", "¡", "¿", "«", "»", "°", "🙏🏽", "❤️", "😀😀", "é", "ñ",
	"inundación", "INUNDACIÓN", "huracán", "huracanes", "sísmica", "sismica", "cafe\u0301", "\u0301x", "ñandú",
	"σεισμός", "ΣΕΙΣΜΌΣ", "землетрясение", "Ärger", "naïve", "İstanbul", "ǅemal", "ﬁre", "so\u00adft", "año",
	strings.Repeat("é", 31) + "x", strings.Repeat("é", 32), "école", "ÉTÉ", "Straße", "STRASSE", "cafés", "×", "÷",
	"aÿ", "Ÿ", "æther", "Æ", "cafe\u0301s", "ÀÉÎÕÜ", "ça\u0301",
}

// quietWords start few terms of the test rule sets.
var quietWords = []string{"the", "a", "to", "of", "lol", "RT", "https", "t", "co", "xYz12", "東京で", "、", "🙏🏽", "☕",
	strings.Repeat("w", 31), "mmm", "zz_9", "está", "año", "también", "Über", "ça", "ещё", "τώρα", strings.Repeat("é", 15)}

var skipSeps = []string{" ", " ", " ", "  ", ", ", ". ", "\n", "\t", "#", "@", " #", " @", "://", "/", "'", "!", "-", "_"}

func genSkipText(rng *rand.Rand) string {
	var b strings.Builder
	for n := rng.IntN(40); n >= 0; n-- {
		w := skipVocab[rng.IntN(len(skipVocab))]
		if rng.IntN(8) == 0 {
			w = strings.ToUpper(w)
		}
		b.WriteString(w)
		b.WriteString(skipSeps[rng.IntN(len(skipSeps))])
	}
	return b.String()
}

// skipEngines are rule sets for the filter tests: generated terms, and
// wildcard terms of every prefix length.
func skipEngines(t testing.TB, rng *rand.Rand) []*Engine {
	var es []*Engine
	for range 8 {
		var qs []string
		for len(qs) < 5+rng.IntN(60) {
			if q := genTerm(rng); isTerm(q) {
				qs = append(qs, q)
			}
		}
		es = append(es, mustCompile(t, qs...))
	}
	es = append(es,
		mustCompile(t, "quake", "#temblor", `"gas leak"`, "ps5", "x_y", "地震"),
		mustCompile(t, "e*", "ea*", "earthquak*", "earthquakes*", "firefight*", "fire", "flood victim*"),
		mustCompile(t, "#救援", `"「速報」"`, "@東京", "がんばれ", "#地震", "quake", `"… fire"`, `"¡ya"`, "#🔥", `"🙏🏽 help"`),
		mustCompile(t, benchTerms(1000)...),
		mustCompile(t, benchTerms(100000)...), // a table of filterMax, ~84 bits per key
		// many keys (a first bit set for ~1.5% of words) and wildcards: the
		// words after one whose first bit is set are still tested for prefixes
		mustCompile(t, append(benchTerms(1000), "e*", "ea*", "fire*", "quak*", "flood victim*", "t*")...),
		mustCompile(t, "inundación", "huracán*", "sísm*", "σεισμός", "землетрясение", "straße", "naïve", "istanbul",
			"ñ*", "quake", `"año nuevo"`, "cafe\u0301", "ǆ*", "cafe*", "é*", "strasse", "ÿ", "æ*", "àéîõü"),
	)
	// Diacritic-insensitive rules: their automaton (fold) reads text without
	// marks, and has a filter of its own.
	rules := []Rule{{ID: "quake", Query: "quake", Enabled: true}}
	for i, q := range []string{"inundacion", "huracán*", "SÍSMICA", "año", "naive", "σεισμος", "ñ*"} {
		rules = append(rules, Rule{ID: fmt.Sprint(i), Query: q, Enabled: true, IgnoreDiacritics: true})
	}
	e, err := Compile(rules)
	if err != nil || e.fold == nil {
		t.Fatalf("diacritic-insensitive rules: %v", err)
	}
	return append(es, e, e.fold)
}

// TestSkipWordsEqualsGo holds the assembly to skipToGo, with texts ending
// at every distance from a page's end up to the assembly's reach and past
// it (where the assembly filters a copy, or refuses a text longer than
// maxCopy).
func TestSkipWordsEqualsGo(t *testing.T) {
	if !canSkip {
		t.Skip("no skipTexts on this platform")
	}
	rng := rand.New(rand.NewPCG(31, 32))
	buf := make([]byte, 4*4096)
	page := (4096 - int(uintptr(unsafe.Pointer(&buf[0]))&4095)) & 4095
	page += 2 * 4096 // a page boundary inside buf with room on both sides
	var checked, skipped, whole, far, copied int
	for _, e := range skipEngines(t, rng) {
		f := newWordFilter(e)
		if f == nil {
			continue
		}
		for n := 0; n < 3000; n++ {
			text := genSkipText(rng)
			if n%25 == 0 {
				text = ""
			}
			for n%25 == 0 && len(text) < 3000 { // long texts of words few terms start with: many windows
				text += quietWords[rng.IntN(len(quietWords))] + skipSeps[rng.IntN(len(skipSeps))]
			}
			d := skipReach + rng.IntN(200) // as close to the page's end as the assembly may read
			if rng.IntN(4) == 0 {
				d = rng.IntN(skipReach + 8)
			}
			if len(text) > 4000 {
				text = text[:4000]
			}
			if n%8 == 1 && len(text) > 0 { // ending inside a rune
				text = text[:rng.IntN(len(text))]
			}
			at := buf[page-d-len(text) : page-d]
			copy(at, text)
			got, ok := skipWordsAt(f, at)
			if ok != (d >= skipReach || len(text) <= maxCopy) {
				t.Fatalf("text of %d bytes ending %d bytes before a page: ok %v", len(text), d, ok)
			}
			if !ok {
				continue
			}
			if d < skipReach {
				copied++
			}
			want := f.skipToGo(at)
			if got != want {
				t.Fatalf("text %q: skipTexts %d, skipToGo %d", text, got, want)
			}
			checked++
			if want > 0 {
				skipped++
			}
			if want == len(text) {
				whole++
			}
			if want > 1000 {
				far++
			}
		}
	}
	if checked < 10000 || skipped < checked/4 || whole < checked/20 || far < 100 || copied < checked/6 {
		t.Fatalf("checked %d texts, skipped into %d, wholly %d, past 1000 bytes %d, filtered in a copy %d: the cases are too few",
			checked, skipped, whole, far, copied)
	}
}

// TestScanSkipsExactly checks that scanning from skipTo finds exactly what
// the automaton finds over the whole text.
func TestScanSkipsExactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	var skipped int
	for _, e := range skipEngines(t, rng) {
		f := newWordFilter(e)
		for n := 0; n < 2000; n++ {
			text := []byte(genSkipText(rng))
			if rng.IntN(4) == 0 {
				text = []byte(genText(rng, 1+rng.IntN(30)))
			}
			got := e.scan(nil, text)
			want := e.scanAll(nil, text)
			if !slices.Equal(got, want) {
				t.Fatalf("text %q (skipTo %d):\n scan    %v\n scanAll %v", text, e.skipTo(text), got, want)
			}
			if f != nil { // the definition, on every platform
				s := f.skipToGo(text)
				got = e.scanAll(got[:0], text[s:])
				for i := range got {
					got[i].end += int32(s)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("text %q (skipToGo %d):\n scan    %v\n scanAll %v", text, s, got, want)
				}
			}
			if e.skipTo(text) > 0 {
				skipped++
			}
		}
	}
	if canSkip && skipped < 5000 {
		t.Fatalf("only %d texts had words skipped", skipped)
	}
}

// FuzzSkip checks the filter on untrusted text: the assembly against its
// definition, and the scan from skipTo against the whole scan.
func FuzzSkip(f *testing.F) {
	f.Add("the earthquake felt in the city #temblor @sismo earthquakes ps5 x_y")
	f.Add("a gas  leak near the flood victims, firefighters on site 🔥 café")
	f.Add("東京で大きな揺れ、#救援 ¡ya! 🙏🏽 help「速報」地震だ")
	f.Add("INUNDACIÓN en la ciudad, cafe\u0301 é Straße σεισμός ÀÉÎ sismológico ×")
	e := mustCompile(f, append(benchTerms(300), `"gas leak"`, "#temblor", "earthquak*", "ea*", "flood victim*", "地震",
		"#救援", `"「速報」"`, `"¡ya"`, `"🙏🏽 help"`, "inundación", "cafe*", "straße", "σεισμός", "sísm*", "é")...)
	wf := newWordFilter(e)
	f.Fuzz(func(t *testing.T, s string) {
		text := []byte(s)
		if got, ok := skipWordsAt(wf, text); ok {
			if want := wf.skipToGo(text); got != want {
				t.Fatalf("text %q: skipTexts %d, skipToGo %d", text, got, want)
			}
		}
		got := e.scan(nil, text)
		want := e.scanAll(nil, text)
		if !slices.Equal(got, want) {
			t.Fatalf("text %q:\n scan    %v\n scanAll %v", text, got, want)
		}
	})
}

// TestSkipDocs holds the batch entry (MatchBatch's) to skipTo text by text:
// one call over documents stride bytes apart, some ending where the
// assembly may not read past them (filtered in a copy, or, longer than
// maxCopy, scanned whole).
func TestSkipDocs(t *testing.T) {
	if !canSkip {
		t.Skip("no skipTexts on this platform")
	}
	rng := rand.New(rand.NewPCG(51, 52))
	buf := make([]byte, 64*4096)
	for _, e := range skipEngines(t, rng)[8:] {
		f := newWordFilter(e)
		if f == nil {
			continue
		}
		docs := make([]Doc, 200+rng.IntN(100))
		at := 0
		for k := range docs {
			text := genSkipText(rng)
			for k%35 == 10 && len(text) <= maxCopy+200 { // long, and near a page's end below
				text += quietWords[rng.IntN(len(quietWords))] + " "
			}
			if k%7 == 3 { // ending within skipReach of a page's end
				at = (at/4096+1)*4096 - rng.IntN(skipReach) - len(text)
				for at < 0 || at+len(text) > len(buf) {
					at += 4096
				}
			}
			if at+len(text) > len(buf) {
				at = 0
			}
			docs[k].Text = buf[at : at+len(text) : at+len(text)]
			copy(docs[k].Text, text)
			at += len(text) + rng.IntN(16)
		}
		to := make([]int32, len(docs)+1)
		to[len(docs)] = -7
		skipDocs(f, docs, to[:len(docs)])
		far, copied := 0, 0
		for k, d := range docs {
			want := f.skipToGo(d.Text)
			end := uintptr(unsafe.Pointer(unsafe.SliceData(d.Text))) + uintptr(len(d.Text))
			near := end&4095 == 0 || end&4095 > 4096-skipReach
			switch {
			case near && len(d.Text) > maxCopy:
				want = 0 // scanned whole
				far++
			case want == len(d.Text):
				want = skippedAll
			}
			if near && len(d.Text) <= maxCopy {
				copied++
			}
			if int(to[k]) != want {
				t.Fatalf("document %d %q (near a page's end: %v): skipDocs %d, want %d", k, d.Text, near, to[k], want)
			}
		}
		if to[len(docs)] != -7 || far == 0 || copied == 0 {
			t.Fatalf("wrote past the documents' results (%d), or no document near a page's end (%d longer than maxCopy, %d not)",
				to[len(docs)], far, copied)
		}
	}
}

func TestFilterSize(t *testing.T) {
	for _, c := range []struct{ keys, bits int }{
		{1, filterMin},
		{985, 1 << 17},     // the peers' 1k terms: 16 KB
		{9985, 1 << 21},    // 10k: 256 KB
		{99985, filterMax}, // 100k: 1 MB, ~84 bits per key
		{filterMax / filterLeast, filterMax},
		{filterMax/filterLeast + 1, 0}, // fewer than filterLeast bits per key: off
	} {
		if got := filterSize(c.keys); got != c.bits {
			t.Errorf("filterSize(%d) = %d, want %d", c.keys, got, c.bits)
		}
	}
}

// TestSkipCommonWords checks that no common word is a candidate of the
// filters of the test rule sets unless some term starts with it.
func TestSkipCommonWords(t *testing.T) {
	var checked int
	for _, e := range skipEngines(t, rand.New(rand.NewPCG(61, 62))) {
		f := newWordFilter(e)
		if f == nil {
			continue
		}
		for _, w := range commonWords {
			if startsTerm(e, w) {
				continue
			}
			checked++
			if f.starts(wordKey([]byte(w), 0), len(w)) {
				t.Errorf("%q is a false positive (multiplier %#x)", w, f.mul)
			}
		}
	}
	if checked < 1000 {
		t.Fatalf("checked %d words", checked)
	}
}

// startsTerm reports whether some term of e may start with the ASCII word
// w: its first word is w, or, for a wildcard term, a prefix of w.
func startsTerm(e *Engine, w string) bool {
	for _, p := range e.termPat {
		for i := 1; i < len(p); {
			j := i
			for j < len(p) && p[j] != symB {
				j++
			}
			tok := string(p[i:j])
			if tok != "" && asciiWordByte(tok[0]) {
				if tok == w || j == len(p) && strings.HasPrefix(w, tok) {
					return true
				}
				break
			}
			i = j + 1
		}
	}
	return false
}
