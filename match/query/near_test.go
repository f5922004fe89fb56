package query

import (
	"strings"
	"testing"
)

func TestWordDistance(t *testing.T) {
	// The text marks a's end with [ and b's start with ].
	f := func(marked string, want int) {
		t.Helper()
		aEnd := strings.Index(marked, "[")
		text := strings.Replace(marked, "[", "", 1)
		bStart := strings.Index(text, "]")
		text = strings.Replace(text, "]", "", 1)
		if got := WordDistance([]byte(text), aEnd, bStart); got != want {
			t.Errorf("WordDistance(%q) = %d, want %d", marked, got, want)
		}
	}
	f("big[ ]quake", 0)
	f("big[]quake", 0)
	f("quake[ in the ]cdmx", 2)
	f("quake[, in, the... ]cdmx", 2)
	f("quake[ #alerta @usgs ]cdmx", 2) // # and @ are not words, the names are
	f("quake[ 🔥🔥 ]cdmx", 0)
	f("quake[ 2024 ]cdmx", 1)
	f("quake[ don't ]cdmx", 2) // the apostrophe splits
	f("quake[ snake_case ]cdmx", 1)
	f("earthquak[es hit ]cdmx", 1)     // the rest of a prefix match belongs to a
	f("quake[ hit big]cdmx", 1)        // a word running into b belongs to b
	f("quake[ 大地震 ]cdmx", 1)           // a Han run is one word
	f("地震[のあと]火事", 0)                  // one unspaced run across both terms
	f("quake[ iPhone手机 ]cdmx", 2)      // a change of script class starts a word
	f("quake[ café ]cdmx", 1)          // e + combining acute
	f("quake[ earth\u00adquake ]x", 1) // soft hyphen is ignored
	f("quake[ a b c d e f ]x", 6)
	f("quake[]", 0)
	// degenerate offsets
	if WordDistance([]byte("a b c"), 4, 1) != 0 || WordDistance([]byte("a b c"), -5, 99) != 3 {
		t.Error("degenerate offsets")
	}
}

func TestHitsNear(t *testing.T) {
	text := []byte("Sismo fuerte en CDMX, sismo otra vez")
	var h Hits
	h.Reset(text)
	h.Add(0, 0, 5)   // Sismo
	h.Add(1, 16, 20) // CDMX
	h.Add(0, 22, 27) // sismo
	h.Add(2, 28, 32) // otra
	f := func(a, b, dist int, ordered, want bool) {
		t.Helper()
		if got := h.Near(a, b, dist, ordered); got != want {
			t.Errorf("Near(%d, %d, %d, %v) = %v, want %v", a, b, dist, ordered, got, want)
		}
	}
	f(0, 1, 2, true, true)   // Sismo fuerte en CDMX
	f(0, 1, 1, true, false)  // ordered: the second sismo comes after CDMX
	f(0, 1, 0, false, true)  // CDMX, sismo
	f(1, 0, 0, true, true)   // CDMX before sismo
	f(0, 0, 3, false, true)  // two occurrences of the same term
	f(0, 0, 1, false, false) // ... 3 words apart
	f(2, 1, 5, false, true)
	f(2, 1, 5, true, false)
	f(3, 0, 100, false, false) // term 3 never occurred
	h.Reset(text)
	f(0, 1, 100, false, false)
}

func TestHitsOverlap(t *testing.T) {
	var h Hits
	h.Reset([]byte("big quake now"))
	h.Add(0, 0, 9) // "big quake"
	h.Add(1, 4, 9) // quake
	if h.Near(0, 1, 5, false) {
		t.Error("overlapping occurrences count as near")
	}
}
