package match

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// refScanTexts is scanTexts' reference, written apart from it: scan text by
// text.
func refScanTexts(e *Engine, texts [][]byte) ([]hit, []int32) {
	var hits []hit
	var tags []int32
	for k, t := range texts {
		n0 := len(hits)
		hits = e.scan(hits, t)
		tags = tagHits(tags, len(hits)-n0, k)
	}
	return hits, tags
}

// batchTexts cuts generated texts into batches of 1 to 80 texts, with empty
// texts, one-byte texts and long ones among them.
func batchTexts(rng *rand.Rand, gen func() []byte) [][]byte {
	texts := make([][]byte, 1+rng.IntN(80))
	for i := range texts {
		switch rng.IntN(10) {
		case 0:
		case 1:
			texts[i] = []byte{"a #. é地"[rng.IntN(7)]}
		case 2:
			for range 1 + rng.IntN(8) {
				texts[i] = append(texts[i], gen()...)
			}
		default:
			texts[i] = gen()
		}
	}
	return texts
}

// TestScanTextsEqualsScan holds the streamed scan of a batch to scan text
// by text: the same hits, in the same order, with the right texts.
func TestScanTextsEqualsScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, e := range []*Engine{
		mustCompile(t, benchTerms(2000)...),
		mustCompile(t, "quake", "earth quake", "sismo", "#temblor", "@ana", "地震", "tsunami*", "ß", "σεισμός", "a", "q"),
	} {
		var b Batch
		for n := 0; n < 3000; n++ {
			texts := batchTexts(rng, func() []byte { return []byte(genText(rng, 1+rng.IntN(30))) })
			hits, tags := e.scanTexts(&b, nil, nil, texts)
			wh, wt := refScanTexts(e, texts)
			if !slices.Equal(hits, wh) || !slices.Equal(tags, wt) {
				t.Fatalf("scanTexts(%q):\n%v %v\nscan each:\n%v %v", texts, hits, tags, wh, wt)
			}
		}
	}
}

// TestMatchBatchEqualsMatch holds MatchBatch to Match document by document,
// with rules that need evaluation, proximity and a diacritic-insensitive
// automaton.
func TestMatchBatchEqualsMatch(t *testing.T) {
	rules := []Rule{
		{ID: "q", Query: "quake OR earthquake", Enabled: true},
		{ID: "s", Query: "sismo AND (fuerte OR temblor) -simulacro", Enabled: true},
		{ID: "n", Query: `"strong quake" OR (tsunami NEAR/3 warning)`, Enabled: true},
		{ID: "d", Query: "sísmo", Enabled: true, IgnoreDiacritics: true},
		{ID: "t", Query: "#temblor lang:es", Enabled: true},
		{ID: "j", Query: "地震", Enabled: true},
		{ID: "r", Query: "raw:Sismo OR (raw:Tsunami NEAR/2 warning)", Enabled: true},
	}
	e, err := Compile(rules)
	if err != nil {
		t.Fatal(err)
	}
	words := []string{"quake", "earthquake", "sismo", "sísmo", "SISMO", "Sismo", "fuerte", "temblor", "#temblor", "simulacro",
		"strong", "tsunami", "Tsunami", "warning", "地震", "だ", "the", "a", "é", "😂", "¿", ",", ".", "\u200d", "\xff"}
	rng := rand.New(rand.NewPCG(9, 10))
	var b Batch
	pages := make([]byte, 96*4096)
	for n := 0; n < 2000; n++ {
		texts := batchTexts(rng, func() []byte {
			var s []byte
			for k := rng.IntN(14); k >= 0; k-- {
				s = append(s, words[rng.IntN(len(words))]...)
				s = append(s, " ,.\n"[rng.IntN(4)])
			}
			return s
		})
		if n%3 == 0 { // texts ending closer to a page's end than the filter reads past
			texts = nearPageEnds(rng, pages, texts)
		}
		docs := make([]Doc, len(texts))
		for k := range docs {
			docs[k] = Doc{Text: texts[k], Lang: []string{"es", "en"}[rng.IntN(2)]}
		}
		e.MatchBatch(&b, docs)
		if b.Len() != len(docs) {
			t.Fatalf("Len = %d, want %d", b.Len(), len(docs))
		}
		for k := range docs {
			if got, want := b.Rules(k), e.Match(nil, &docs[k]); !slices.Equal(got, want) {
				t.Fatalf("doc %d %q: MatchBatch %v, Match %v", k, docs[k].Text, got, want)
			}
		}
	}
}

// nearPageEnds copies texts into buf, each ending fewer than skipReach
// bytes before a page's end, where one fits.
func nearPageEnds(rng *rand.Rand, buf []byte, texts [][]byte) [][]byte {
	page := int(-uintptr(unsafe.Pointer(&buf[0])) & 4095) // buf[page] starts a page
	out := make([][]byte, len(texts))
	for k, t := range texts {
		end := page + (k+1)%(len(buf)/4096-1)*4096 - rng.IntN(skipReach)
		if len(t) > end {
			out[k] = t
			continue
		}
		out[k] = buf[end-len(t) : end : end]
		copy(out[k], t)
	}
	return out
}

// FuzzBatch compares the streamed scan of a batch (its texts cut at each
// NUL) with scan text by text, on untrusted text.
func FuzzBatch(f *testing.F) {
	f.Add("the flood victims\x00in the flooded town\x00\x00need water #sismo 地震だ\x00quake")
	f.Add("breaking news: breaking\x00 news from the coast, ¿sismo?\x00😂 quake\x00é\x00the coast")
	f.Add("\xff\x00\xe2\x80\x00flood\x00victims\x00")
	e := mustCompile(f, append(benchTerms(500), `"flood victims"`, `"breaking news"`, `"the coast"`, "#sismo", "地震", "é")...)
	var b Batch
	f.Fuzz(func(t *testing.T, s string) {
		texts := bytes.Split([]byte(s), []byte{0})
		hits, tags := e.scanTexts(&b, nil, nil, texts)
		wh, wt := refScanTexts(e, texts)
		if !slices.Equal(hits, wh) || !slices.Equal(tags, wt) {
			t.Fatalf("texts %q:\n batch %v %v\n each  %v %v", texts, hits, tags, wh, wt)
		}
	})
}

// TestScanDocsEqualsScan holds the batch's scan of documents (the word
// filter, then the automaton on what it leaves) to scan of each whole text:
// the same hits, in the same order.
func TestScanDocsEqualsScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	words := []string{"quake", "QUAKE", "Quake", "sismo", "flood", "victims", "breaking", "news", "the", "a", "no",
		"signal", "c", "tsunami", "tsunamis", "地震", "é", "café", "x_y", "2024", "quakes"}
	seps := []string{" ", " ", "  ", ", ", ". ", "! ", " #", " @", "\n", " - ", "é", "😂 ", "+", "_"}
	for _, e := range []*Engine{
		mustCompile(t, benchTerms(2000)...),
		mustCompile(t, "quake", "sismo", "flood", `"flood victims"`, `"breaking news"`, "#tsunami", "c++", "tsuna*", "no",
			`"no signal"`, "地震", "x_y", "2024", "victims"),
		mustCompile(t, "quake", "sismo", "victims", "news"),
	} {
		var b Batch
		for n := 0; n < 2000; n++ {
			texts := batchTexts(rng, func() []byte {
				if rng.IntN(3) == 0 {
					return []byte(genText(rng, 1+rng.IntN(30)))
				}
				var s []byte
				for k := rng.IntN(20); k >= 0; k-- {
					s = append(s, words[rng.IntN(len(words))]...)
					s = append(s, seps[rng.IntN(len(seps))]...)
				}
				return s
			})
			checkScanDocs(t, e, &b, texts)
		}
	}
}

// checkScanDocs fails the test unless scanDocs over documents of texts
// finds the hits that scan finds in each text.
func checkScanDocs(t *testing.T, e *Engine, b *Batch, texts [][]byte) {
	t.Helper()
	docs := make([]Doc, len(texts))
	for k := range docs {
		docs[k].Text = texts[k]
	}
	hits, tags := e.scanDocs(b, nil, nil, docs)
	wh, wt := refScanTexts(e, texts)
	if !slices.Equal(hits, wh) || !slices.Equal(tags, wt) {
		t.Fatalf("scanDocs(%q):\n%v %v\nscan each:\n%v %v", texts, hits, tags, wh, wt)
	}
}

// FuzzScanDocs is TestScanDocsEqualsScan on fuzzed texts.
func FuzzScanDocs(f *testing.F) {
	f.Add("the flood victims\x00in the flooded town\x00\x00need water #sismo 地震だ\x00QUAKE quake")
	f.Add("breaking news: breaking\x00 news from the coast, ¿sismo?\x00😂 quake\x00é\x00the coast c++ quakeé")
	e := mustCompile(f, append(benchTerms(500), "quake", `"flood victims"`, `"breaking news"`, "#sismo", "地震", "é", "c++")...)
	var b Batch
	f.Fuzz(func(t *testing.T, s string) {
		checkScanDocs(t, e, &b, bytes.Split([]byte(s), []byte{0}))
	})
}
