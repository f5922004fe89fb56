package match

import (
	"math/rand/v2"
	"testing"
)

// TestStepsEqualPortable holds the ASCII steps the scan runs (assembly on
// amd64) to the portable ones, step count and states, from every plain state
// of a real automaton over generated text: words with and without terms,
// punctuation, non-ASCII runes.
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
	for n := 0; n < 50000; n++ {
		x, y := gen(), gen()
		vx, vy := plain[rng.IntN(len(plain))], plain[rng.IntN(len(plain))]
		if n%2 == 0 {
			vx, vy = e.rootB, e.rootB
		}
		i, j, ax, ay := lockstep(&e.st, x, y, vx, vy)
		wi, wj, wx, wy := lockstepGo(&e.st, x, y, vx, vy)
		if i != wi || j != wj || ax != wx || ay != wy {
			t.Fatalf("lockstep(%q, %q, %d, %d) = %d, %d, %d, %d; portable %d, %d, %d, %d", x, y, vx, vy, i, j, ax, ay, wi, wj, wx, wy)
		}
		k, wk := 0, 0
		k, ax = walk(&e.st, x, vx)
		wk, wx = walkGo(&e.st, x, vx)
		if k != wk || ax != wx {
			t.Fatalf("walk(%q, %d) = %d, %d; portable %d, %d", x, vx, k, ax, wk, wx)
		}
	}
}
