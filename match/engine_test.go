package match

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func mustCompile(t testing.TB, queries ...string) *Engine {
	t.Helper()
	rules := make([]Rule, len(queries))
	for i, q := range queries {
		rules[i] = Rule{ID: fmt.Sprint(i), Query: q, Enabled: true}
	}
	e, err := Compile(rules)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return e
}

func TestTermSemantics(t *testing.T) {
	f := func(query, text string, want bool) {
		t.Helper()
		e := mustCompile(t, query)
		got := len(e.Match(nil, &Doc{Text: []byte(text)})) == 1
		if got != want {
			t.Errorf("%q in %q: got %v, want %v", query, text, got, want)
		}
		if ref := refMatch(query, text); ref != want {
			t.Errorf("reference: %q in %q: got %v, want %v", query, text, ref, want)
		}
	}
	// case folding and normalisation
	f("terremoto", "TERREMOTO en Italia", true)
	f("TERREMOTO", "un terremoto", true)
	f("istanbul", "İstanbul'da deprem", true)
	f("İSTANBUL", "istanbul", true)
	f("σεισμος", "ΣΕΙΣΜΟΣ τώρα", true)
	f("σεισμός", "ΣΕΙΣΜΌΣ", true)
	f("σεισμος", "σεισμός", false) // accents are significant in phase 1
	f("ΣΕΙΣΜΟΣ", "σεισμος", true)
	f("σεισμος", "ένας σεισμοσ", true)
	f("earthquake", "ｅａｒｔｈｑｕａｋｅ！", true)
	f("ｅａｒｔｈｑｕａｋｅ", "Earthquake", true)
	f("straße", "STRASSE gesperrt", true)
	f("strasse", "Straße", true)
	f("café", "cafe\u0301 abierto", true)
	f("cafe\u0301", "CAFÉ", true)
	f("fire", "ﬁre", true)
	f("earthquake", "earth\u00adquake", true) // soft hyphen is ignored
	// word boundaries
	f("quake", "earthquake", false)
	f("quake", "quakes", false)
	f("quake", "quake!", true)
	f("quake", "big quake", true)
	f("quake", "(quake)", true)
	f("quake", "quake_alert", false)
	f("quake_alert", "#quake_alert now", true)
	f("M7.1", "an M7.1 quake", true)
	f("7", "M7.1", false)
	f("M7", "M7.1", true)
	f("2024", "2024年の地震", true)
	// tags and handles
	f("temblor", "#temblor", true)
	f("temblor", "@temblor", true)
	f("temblor", "#Temblor2024", false)
	f("#temblor", "fuerte #temblor ahora", true)
	f("#temblor", "fuerte temblor ahora", false)
	f("#temblor", "@temblor", false)
	f("#temblor", "＃temblor", true)
	f("#temblor", "#temblores", false)
	f("@xboxsupport", "hey @XboxSupport help", true)
	f("@xboxsupport", "xboxsupport", false)
	f("c++", "I code c++ daily", true)
	f("c++", "I code c daily", false)
	// unspaced scripts
	f("地震", "大地震だ", true)
	f("地震", "地震", true)
	f("じしん", "ジシン", false)
	f("ジシン", "ｼﾞｼﾝ速報", true)
	f("地震*", "大地震だ", true)
	f("iPhone手机", "买iPhone手机了", true)
	f("iPhone手机", "买myiPhone手机了", false)
	f("東京Tower", "東京Towerへ", true)
	f("東京Tower", "東京Towers", false)
	f("แผ่นดินไหว", "เกิดแผ่นดินไหวแรง", true)
	// wildcard
	f("earthquak*", "earthquakes in Chile", true)
	f("earthquak*", "earthquake", true)
	f("earthquak*", "#earthquakes", true)
	f("earthquak*", "the earthquak", true)
	f("earthquak*", "bigearthquake", false)
	f("inundaci*", "INUNDACIÓN", true)
	// phrases
	f(`"flood victims"`, "the flood   victims", true)
	f(`"flood victims"`, "the flood\n\tvictims", true)
	f(`"flood victims"`, "flood, victims", false)
	f(`"flood victims"`, "victims flood", false)
	f("flood victims", "FLOOD VICTIMS", true)
	f(`"#prayforjapan now"`, "#PrayForJapan now!", true)
	// emoji and symbols
	f("🔥", "fire🔥🔥", true)
	f("🔥", "fire", false)
	// invalid UTF-8 is a boundary and matches nothing
	f("quake", "\xffquake\xfe", true)
	f("quake", "qu\xffake", false)
}

func TestMatchResult(t *testing.T) {
	e := mustCompile(t, "quake", "earthquake", "地震", "quake", "#quake", "earth*")
	got := e.Match([]int32{-7}, &Doc{Text: []byte("#quake quake 地震 earthquake quake")})
	if want := []int32{-7, 0, 1, 2, 3, 4, 5}; !slices.Equal(got, want) {
		t.Fatalf("Match = %v, want %v", got, want)
	}
	if got := e.Match(nil, &Doc{Text: []byte("nothing here")}); len(got) != 0 {
		t.Fatalf("Match = %v, want none", got)
	}
}

func TestDisabledAndRules(t *testing.T) {
	e, err := Compile([]Rule{
		{ID: "a", Query: "alpha", Enabled: true},
		{ID: "b", Query: "beta*x", Enabled: false}, // disabled: not even checked
		{ID: "c", Query: "gamma", Enabled: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if ids := []string{e.Rules()[0].ID, e.Rules()[1].ID}; len(e.Rules()) != 2 || ids[0] != "a" || ids[1] != "c" {
		t.Fatalf("Rules = %v", e.Rules())
	}
	if got := e.Match(nil, &Doc{Text: []byte("gamma beta alpha")}); !slices.Equal(got, []int32{0, 1}) {
		t.Fatalf("Match = %v", got)
	}
	if st := e.Stats(); st.Rules != 2 || st.Terms != 2 || st.States < 10 || st.Bytes <= 0 {
		t.Fatalf("Stats = %+v", st)
	}
}

func TestCompileErrors(t *testing.T) {
	_, err := Compile([]Rule{
		{ID: "a", Query: "ear*thquake", Enabled: true, Pos: Pos{File: "r.yaml", Line: 3, Col: 12}},
		{ID: "b", Query: "", Enabled: true},
		{ID: "c", Query: "fine", Enabled: true},
	})
	if err == nil {
		t.Fatal("want an error")
	}
	msg := err.Error()
	for _, want := range []string{"r.yaml:3:15: wildcard * is only allowed at the end", "ear*thquake\n\t   ^", "hint: ", "empty query"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
}

func TestExplain(t *testing.T) {
	e := mustCompile(t, "quake", "地震", "#temblor", `"flood victims"`, "earthquak*", "ｃａｆé", `"flood vict"*`, "caf*")
	// A wildcard term is reported with the rest of its word (marks
	// included); a term of an unspaced script is not extended.
	text := "Big QUAKE! 大地震だ #Temblor, flood  victims, earthquakes; CAFE\u0301 cafe\u0301s"
	hits := e.Explain(nil, &Doc{Text: []byte(text)})
	var got []string
	for _, h := range hits {
		got = append(got, fmt.Sprintf("%d:%s=%s", h.Rule, h.Term, text[h.Start:h.End]))
	}
	want := []string{"0:quake=QUAKE", "1:地震=地震", "2:#temblor=#Temblor", "6:flood vict*=flood  victims",
		"3:\"flood victims\"=flood  victims", "4:earthquak*=earthquakes", "7:caf*=CAFE\u0301", "5:ｃａｆé=CAFE\u0301",
		"7:caf*=cafe\u0301s"}
	if !slices.Equal(got, want) {
		t.Fatalf("Explain =\n%q\nwant\n%q", got, want)
	}
}

// TestDifferential compares the automaton with the reference matcher on
// generated multilingual texts, for pattern sets of several sizes (the large
// ones force sparse states).
func TestDifferential(t *testing.T) {
	for _, size := range []int{1, 5, 50, 400} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(size), 7))
			var queries []string
			for len(queries) < size {
				q := genTerm(rng)
				if isTerm(q) {
					queries = append(queries, q)
				}
			}
			e := mustCompile(t, queries...)
			small := *e
			small.shrinkDense(t)
			var dst []int32
			for n := 0; n < 300; n++ {
				text := genText(rng, 1+rng.IntN(25))
				var want []int32
				for i, q := range queries {
					if refMatch(q, text) {
						want = append(want, int32(i))
					}
				}
				for _, eng := range []*Engine{e, &small} {
					dst = eng.Match(dst[:0], &Doc{Text: []byte(text)})
					if !slices.Equal(dst, want) && !(len(dst) == 0 && len(want) == 0) {
						t.Fatalf("text %q:\n got %v\nwant %v\nqueries %q", text, dst, want, queries)
					}
				}
				explained := map[int32]bool{}
				for _, h := range e.Explain(nil, &Doc{Text: []byte(text)}) {
					explained[h.Rule] = true
					if h.Start < 0 || h.End > len(text) || h.Start >= h.End {
						t.Fatalf("bad hit %+v in %q", h, text)
					}
				}
				if len(explained) != len(want) {
					t.Fatalf("Explain found %d rules, Match %d, in %q", len(explained), len(want), text)
				}
			}
		})
	}
}

// shrinkDense rebuilds e with only the root dense, so that the sparse path
// and fail links are exercised on small pattern sets too.
func (e *Engine) shrinkDense(t *testing.T) {
	t.Helper()
	ne, err := compile(e.rules, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ne.nDense != 1 {
		t.Fatalf("nDense = %d", ne.nDense)
	}
	*e = *ne
}

func TestMatchAllocs(t *testing.T) {
	e := mustCompile(t, "quake", "地震", "#temblor", "earthquak*", "σεισμος")
	d := &Doc{Text: []byte("QUAKE 大地震 #temblor earthquakes ΣΕΙΣΜΟΣ ｅａｒｔｈ \xff")}
	dst := make([]int32, 0, 16)
	if n := testing.AllocsPerRun(100, func() { dst = e.Match(dst[:0], d) }); n != 0 {
		t.Fatalf("Match allocates %v times", n)
	}
	if len(dst) != 5 {
		t.Fatalf("Match = %v", dst)
	}
}
