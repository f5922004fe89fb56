package match

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestScanMatchesExplain checks the term-level contract the rule language
// builds on: scan reports, in text order, exactly the occurrences Explain
// finds (before it widens a wildcard's to its word), with the same ends, and
// termStart recovers their starts. It runs with complete DFA rows, with a
// few dense rows, and with the root alone.
func TestScanMatchesExplain(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	var queries []string
	for len(queries) < 300 {
		q := genTerm(rng)
		if isTerm(q) {
			queries = append(queries, q)
		}
	}
	full := mustCompile(t, queries...)
	for _, budget := range []int{denseBudget, 40 * int(full.stride), 1} {
		e, err := compile(full.rules, budget)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(fmt.Sprint(e.nDense), func(t *testing.T) {
			var hits []hit
			for n := 0; n < 300; n++ {
				text := []byte(genText(rng, 1+rng.IntN(25)))
				hits = e.scan(hits[:0], text)
				var want []string
				for _, h := range e.explain(nil, &Doc{Text: text}, false) {
					if i := len(want); i == 0 || want[i-1] != fmt.Sprint(e.ruleTermIDs[e.ruleTermOff[h.Rule]], h.Start, h.End) {
						want = append(want, fmt.Sprint(e.ruleTermIDs[e.ruleTermOff[h.Rule]], h.Start, h.End))
					}
				}
				var got []string
				for k, h := range hits {
					if k > 0 && h.end < hits[k-1].end {
						t.Fatalf("hits out of order in %q: %v", text, hits)
					}
					got = append(got, fmt.Sprint(h.term, e.termStart(h.term, text, int(h.end)), h.end))
				}
				slices.Sort(got)
				slices.Sort(want)
				want = slices.Compact(want)
				if !slices.Equal(got, want) {
					t.Fatalf("text %q:\n scan    %q\n Explain %q", text, got, want)
				}
			}
		})
	}
}

func TestScanEnds(t *testing.T) {
	f := func(query, text string, want ...string) {
		t.Helper()
		e := mustCompile(t, query)
		var got []string
		for _, h := range e.scan(nil, []byte(text)) {
			s := e.termStart(h.term, []byte(text), int(h.end))
			if s < 0 {
				t.Fatalf("%q in %q: no start for end %d", query, text, h.end)
			}
			got = append(got, text[s:h.end])
		}
		if !slices.Equal(got, want) {
			t.Errorf("%q in %q: got %q, want %q", query, text, got, want)
		}
	}
	f("quake", "QUAKE quake! (Quake)", "QUAKE", "quake", "Quake")
	f("quake", "quake\u00ad\u200b next", "quake")
	f("地震", "大地震だ 地震", "地震", "地震")
	f("c++", "c++ and C++", "c++", "C++")
	f("#temblor", "＃Temblor, #temblor", "＃Temblor", "#temblor")
	f(`"flood victims"`, "flood \n victims", "flood \n victims")
	f("earthquak*", "EARTHQUAKES", "EARTHQUAK")
	f("iPhone手机", "买iPhone手机了", "iPhone手机")
	f("quake", "no match here")
	if e := mustCompile(t, "quake"); e.termStart(0, []byte("quake"), 3) != -1 || e.termStart(7, []byte("quake"), 5) != -1 {
		t.Error("termStart found an occurrence that does not exist")
	}
}

// TestASCIIKinds pins what the raw-byte columns assume about ASCII: every
// byte is a space, a word byte or punctuation, and a key is one byte.
func TestASCIIKinds(t *testing.T) {
	rt := runes()
	for c := rune(0); c < utf8.RuneSelf; c++ {
		kind, key := rt.lookup(c)
		if kind != kSpace && kind != kWord && kind != kPunct {
			t.Errorf("%q: kind %d", c, kind)
		}
		if len(key) > 1 || (key != nil && key[0] >= utf8.RuneSelf) {
			t.Errorf("%q: key %q", c, key)
		}
	}
}

func TestScanAllocs(t *testing.T) {
	e := mustCompile(t, benchTerms(2000)...)
	posts := benchPosts(200)
	dst := make([]hit, 0, 256)
	if n := testing.AllocsPerRun(5, func() {
		for _, p := range posts {
			dst = e.scan(dst[:0], p)
		}
	}); n != 0 {
		t.Fatalf("scan allocates %v times per 200 posts", n)
	}
}

// FuzzScan compares scan with Explain for one query over untrusted text,
// with complete DFA rows and with the root alone.
func FuzzScan(f *testing.F) {
	for _, s := range [][2]string{
		{"quake", "QUAKE\u00ad quake"}, {"#temblor", "＃TEMBLOR"}, {"地震", "大地震だ\u200bx"},
		{"earthquak*", "EARTHQUAKES"}, {"c++", "c++\xff"}, {"iPhone手机", "买iPhone手机"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, query, text string) {
		if !isTerm(query) {
			return
		}
		for _, budget := range []int{denseBudget, 1} {
			e, err := compile([]Rule{{ID: "q", Query: query, Enabled: true}}, budget)
			if err != nil {
				t.Fatal(err)
			}
			hits := e.scan(nil, []byte(text))
			ex := e.explain(nil, &Doc{Text: []byte(text)}, false)
			if len(hits) != len(ex) {
				t.Fatalf("%q in %q: scan %v, Explain %v", query, text, hits, ex)
			}
			for k, h := range hits {
				if int(h.end) != ex[k].End || e.termStart(h.term, []byte(text), int(h.end)) != ex[k].Start {
					t.Fatalf("%q in %q: scan %v, Explain %v", query, text, hits, ex)
				}
			}
		}
	})
}

// oneLane scans text in a single lane: the definition the two-lane scan must
// reproduce hit for hit, in order.
func (e *Engine) oneLane(dst []hit, text []byte) []hit {
	dst, c := e.run(dst, text, cursor{0, e.rootB, prevBoundary}, len(text))
	return e.finish(dst, text, c)
}

// TestLanesEqualOneLane checks the two-lane scan against one lane on long
// texts built so that phrases, tags and terms often straddle the split, and
// with term sets where a phrase's first word is common (so the first lane
// often arrives at the split with a match pending).
func TestLanesEqualOneLane(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for set := 0; set < 20; set++ {
		var queries []string
		for len(queries) < 20+rng.IntN(300) {
			if q := genTerm(rng); isTerm(q) {
				queries = append(queries, q)
			}
		}
		for k := 0; k < 5; k++ { // phrases starting with everyday words
			queries = append(queries, `"`+vocab[rng.IntN(len(vocab))]+" "+vocab[rng.IntN(len(vocab))]+`"`)
		}
		full := mustCompile(t, queries...)
		for _, budget := range []int{denseBudget, 40 * int(full.stride), 1} {
			e, err := compile(full.rules, budget)
			if err != nil {
				t.Fatal(err)
			}
			for n := 0; n < 200; n++ {
				text := genText(rng, 6+rng.IntN(60))
				if rng.IntN(2) == 0 { // a term's text right across the middle
					q := strings.Trim(queries[rng.IntN(len(queries))], `"*`)
					mid := len(text) / 2
					for mid < len(text) && !utf8.RuneStart(text[mid]) {
						mid++
					}
					text = text[:mid] + " " + q + " " + text[mid:]
				}
				got := e.scan(nil, []byte(text))
				want := e.oneLane(nil, []byte(text))
				if !slices.Equal(got, want) {
					t.Fatalf("set %d, %d dense rows, text %q:\n lanes    %v\n one lane %v", set, e.nDense, text, got, want)
				}
			}
		}
	}
}

// TestLanesHitsAtTheSplit puts a hit at the very start of the second lane
// (found early) and one at the very end of the first (found late): the
// lanes' hits must still come out in the order of one scan.
func TestLanesHitsAtTheSplit(t *testing.T) {
	e := mustCompile(t, "x", "quake")
	for k := 8; k < 40; k++ {
		left := strings.Repeat("zz ", k) + "quake"
		mid := " x quake "
		text := left + mid + strings.Repeat("z", len(left)-len(mid)+1)
		if p := splitAt([]byte(text)); p != len(left)+1 {
			t.Fatalf("split of %q at %d, want %d", text, p, len(left)+1)
		}
		got := e.scan(nil, []byte(text))
		want := e.oneLane(nil, []byte(text))
		if len(want) != 3 || !slices.Equal(got, want) {
			t.Fatalf("text %q:\n lanes    %v\n one lane %v", text, got, want)
		}
	}
}

// FuzzLanes compares the two-lane scan with one lane on untrusted text.
func FuzzLanes(f *testing.F) {
	f.Add("the flood victims in the flooded town need water and the flood victims need food now #sismo 地震だ")
	f.Add("breaking news: breaking news from the coast, the earthquake hit at 3am, quake felt in the city")
	e := mustCompile(f, append(benchTerms(500), `"flood victims"`, `"breaking news"`, `"the coast"`, "#sismo", "地震")...)
	f.Fuzz(func(t *testing.T, text string) {
		got := e.scan(nil, []byte(text))
		want := e.oneLane(nil, []byte(text))
		if !slices.Equal(got, want) {
			t.Fatalf("text %q:\n lanes    %v\n one lane %v", text, got, want)
		}
	})
}
