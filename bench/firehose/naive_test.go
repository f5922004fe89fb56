package firehose

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNaiveMatch(t *testing.T) {
	rules := []string{"temblor", "#sismo", "地震", `"red light flashing"`, "kalimzvo9", "São", "a-b"}
	f := func(text string, want ...int) {
		t.Helper()
		got := NaiveMatch(rules, text)
		if !slices.Equal(got, want) {
			t.Errorf("NaiveMatch(%q) = %v, want %v", text, got, want)
		}
	}
	f("fuerte temblor ahora", 0)
	f("TEMBLOR!", 0)
	f("#Temblor en CDMX", 0)
	f("@temblor hola", 0)
	f("temblores")
	f("retemblor")
	f("temblor_mx")
	f("sismo ahora")
	f("#SISMO ahora", 1)
	f("#sismos")
	f("#sismo_mx")
	f("大地震だ", 2)
	f("地 震")
	f("the red light flashing again", 3)
	f("Red Light Flashing", 3)
	f("red  light flashing")
	f("red light flashing2")
	f("kalimzvo9 launch", 4)
	f("kalimzvo99")
	f("kalimzvo")
	f("SÃO paulo", 5)
	f("são", 5)
	f("a-b c", 6)
	f("xa-b")
	f("東京temblor東京", 0)
	f("")
}

// texts for the differential tests: generated posts plus edge cases.
func differentialTexts(t testing.TB, rules []string, n int) []string {
	g := newGen(t, Config{Seed: 77, Rules: rules, MatchFraction: 0.3})
	out := []string{"", "#", "##sismo", "a#sismo", "sismo#", "地震地震", "red light  flashing",
		"red light flashing red light flashing", "ÀÉÎ temblor ÕÜ", "temblor\u0301", "🙂sismo🙂", "_sismo_"}
	for range n {
		m := g.Next()
		d := decodeText(m.Value)
		out = append(out, d)
	}
	return out
}

func decodeText(v []byte) string {
	i := strings.Index(string(v), `"text":"`)
	s := string(v[i+8:])
	var b strings.Builder
	for j := 0; j < len(s); j++ {
		switch c := s[j]; c {
		case '\\':
			j++
			switch s[j] {
			case 'n':
				b.WriteByte('\n')
			default:
				b.WriteByte(s[j])
			}
		case '"':
			return b.String()
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func checkerIndexes(c *checker, text string) []int {
	var out []int
	for _, i := range c.match(nil, []byte(text)) {
		out = append(out, int(i))
	}
	return out
}

func TestCheckerEqualsNaive(t *testing.T) {
	rules := append(Rules(600), "the", `"good morning"`, "猫", "a-b", "#x", "東京", "Sismo!", "mi_casa")
	c := newChecker(rules)
	for _, text := range differentialTexts(t, rules, 5000) {
		if got, want := checkerIndexes(c, text), NaiveMatch(rules, text); !slices.Equal(got, want) {
			t.Fatalf("checker(%q) = %v, NaiveMatch = %v", text, got, want)
		}
	}
}

func FuzzChecker(f *testing.F) {
	rules := append(Rules(300), "the", `"good morning"`, "猫", "a-b", "#x", "Sismo!", "mi_casa")
	c := newChecker(rules)
	for _, s := range differentialTexts(f, rules, 50) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			return // the generator only writes valid UTF-8
		}
		if got, want := checkerIndexes(c, text), NaiveMatch(rules, text); !slices.Equal(got, want) {
			t.Fatalf("checker(%q) = %v, NaiveMatch = %v", text, got, want)
		}
	})
}

// TestDisjoint checks that the background material can never form a rule of
// Rules(n): no background word is a word, tag or full phrase of a rule, no
// background character is a character of a CJK rule, synthetic tokens carry a
// marker letter pair no background word has, and New drops nothing.
func TestDisjoint(t *testing.T) {
	rules := Rules(10000)
	if len(rules) != 10000 || len(Rules(100000)) != 100000 {
		t.Fatal("Rules(n) does not return n rules")
	}
	seen := map[string]bool{}
	for _, r := range rules {
		if seen[r] {
			t.Fatalf("rule %q twice", r)
		}
		seen[r] = true
	}
	if !slices.Equal(Rules(10000), rules) {
		t.Fatal("Rules is not deterministic")
	}

	bg := map[string]bool{}
	var bgCJK = map[rune]bool{}
	items := append(allItems(), fixedWords...)
	for _, l := range banksText {
		items = append(items, l.names...)
	}
	for _, it := range items {
		for _, w := range wordRuns(it) {
			bg[w] = true
		}
		for _, r := range it {
			if isCJK(r) {
				bgCJK[r] = true
			}
		}
	}
	for w := range bg {
		for _, p := range markerPairs {
			if strings.Contains(w, p) {
				t.Errorf("background word %q contains marker pair %q", w, p)
			}
		}
	}
	for _, r := range rules {
		lit := ruleLiteral(r)
		switch shape, parts := literalShape(lit); shape {
		case shapeWord:
			if bg[lit] {
				t.Errorf("rule %q is a background word", r)
			}
		case shapeTag:
			if bg[lit[1:]] {
				t.Errorf("tag rule %q is a background word", r)
			}
		case shapePhrase:
			all := true
			for _, p := range parts {
				all = all && bg[p]
			}
			if all {
				t.Errorf("every word of phrase rule %q is a background word", r)
			}
		case shapeCJK:
			for _, c := range lit {
				if bgCJK[c] {
					t.Errorf("CJK rule %q shares %q with the background", r, c)
				}
			}
		default:
			t.Errorf("rule %q has an unexpected shape", r)
		}
	}
	for _, r := range rules[len(keywords):] {
		ok := false
		for _, p := range markerPairs {
			ok = ok || strings.Contains(r, p)
		}
		if !ok {
			t.Errorf("synthetic rule %q has no marker pair", r)
		}
	}
	for _, n := range []int{1000, 100000} {
		if _, dropped := buildBanks(Rules(n)); dropped != 0 {
			t.Errorf("Rules(%d): %d background items dropped, want 0", n, dropped)
		}
	}
}

// TestTermRendering: every case variant of every keyword still matches it.
func TestTermRendering(t *testing.T) {
	rules := Rules(len(keywords) + 50)
	g := newGen(t, Config{Seed: 1, Rules: rules, Authors: 100})
	for i := range rules {
		for _, l := range []lang{langEN, langJA} {
			for range 5 {
				g.want = g.want[:0]
				buf := g.appendTerm(nil, int32(i), l, true)
				if !slices.Contains(g.want, int32(i)) {
					t.Fatalf("rendering %q of rule %q does not match it", buf, rules[i])
				}
			}
		}
	}
}

func TestTruncateWords(t *testing.T) {
	f := func(s string, n int, want string) {
		t.Helper()
		if got := string(truncateWords(nil, []byte(s), n)); got != want {
			t.Errorf("truncateWords(%q, %d) = %q, want %q", s, n, got, want)
		}
	}
	f("aaa bbb ccc", 9, "aaa bbb…")
	f("aaa bbb ccc", 7, "aaa…")
	f("地震地震地震", 3, "地震地…")
	r := rand.New(rand.NewPCG(1, 2))
	for range 100 {
		s := strings.Repeat("ab ", r.IntN(80))
		if got := truncateWords(nil, []byte(s), 139); utf8.RuneCount(got) > 140 {
			t.Fatalf("%d runes", utf8.RuneCount(got))
		}
	}
}
