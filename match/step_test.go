package match

import (
	"math/rand/v2"
	"testing"
)

// TestStepsEqualPortable holds the steps the scans run (assembly on amd64)
// to the portable ones, positions and states, from every plain state of a
// real automaton over generated texts: words with and without terms,
// punctuation, non-ASCII runes; for stepLanes, batches of texts, some
// empty.
func TestStepsEqualPortable(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	e := mustCompile(t, benchTerms(2000)...)
	var plain []uint32
	for v := uint32(0); v < uint32(len(e.tbl)); v += e.stride {
		plain = append(plain, v)
	}
	// Units the lanes take or stop at: ASCII, two-byte letters, punctuation
	// and emoji (which no term here starts with), ignorables, invalid and
	// cut sequences.
	units := []string{"quake ", "a", " ", ", ", "é", "ñ", "σ", "д", "ß", "¿", "«", "…", "、", "。",
		"😂", "🌧", "\u200d", "\ufe0f", "\xff", "\xc3", "\xe2\x80", "\xf0\x9f", "地震", "#", "@x "}
	gen := func() []byte {
		if rng.IntN(2) == 0 {
			return []byte(genText(rng, 1+rng.IntN(12)))
		}
		var b []byte
		for k := rng.IntN(20); k >= 0; k-- {
			b = append(b, units[rng.IntN(len(units))]...)
		}
		return b
	}
	genTexts := func() [][]byte {
		texts := make([][]byte, 1+rng.IntN(4))
		for i := range texts {
			if rng.IntN(4) > 0 {
				texts[i] = gen()
			}
		}
		return texts
	}
	for n := 0; n < 50000; n++ {
		x, y := genTexts(), genTexts()
		texts := append(x, y...)
		l := lanes{post: [2]int{0, len(x)}, last: [2]int{len(x), len(texts)}}
		l.at = [2]int{rng.IntN(len(x[0]) + 1), rng.IntN(len(y[0]) + 1)}
		l.v = [2]uint32{plain[rng.IntN(len(plain))], plain[rng.IntN(len(plain))]}
		if n%2 == 0 {
			l.at, l.v = [2]int{}, [2]uint32{e.rootB, e.rootB}
		}
		i, j, ax, ay := lockstep(&e.st, x[0][l.at[0]:], y[0][l.at[1]:], l.v[0], l.v[1])
		wi, wj, wx, wy := lockstepGo(&e.st, x[0][l.at[0]:], y[0][l.at[1]:], l.v[0], l.v[1])
		if i != wi || j != wj || ax != wx || ay != wy {
			t.Fatalf("lockstep(%q, %q, %+v) = %d, %d, %d, %d; portable %d, %d, %d, %d", x[0], y[0], l, i, j, ax, ay, wi, wj, wx, wy)
		}
		got, want := l, l
		stepLanes(&e.st, texts, &got)
		stepLanesGo(&e.st, texts, &want)
		if got != want {
			t.Fatalf("stepLanes(%q, %+v) = %+v; portable %+v", texts, l, got, want)
		}
		k, wk := 0, 0
		var v, wv uint32
		k, v = walk(&e.st, x[0], l.v[0])
		wk, wv = walkGo(&e.st, x[0], l.v[0])
		if k != wk || v != wv {
			t.Fatalf("walk(%q, %d) = %d, %d; portable %d, %d", x[0], l.v[0], k, v, wk, wv)
		}
	}
}
