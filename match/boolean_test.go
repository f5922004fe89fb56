package match

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"earshot/match/query"

	"golang.org/x/text/unicode/norm"
)

func compileRules(t testing.TB, rules ...Rule) *Engine {
	t.Helper()
	for i := range rules {
		rules[i].Enabled = true
		if rules[i].ID == "" {
			rules[i].ID = fmt.Sprint(i)
		}
	}
	e, err := Compile(rules)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return e
}

func TestBooleanSemantics(t *testing.T) {
	f := func(q string, d Doc, want bool) {
		t.Helper()
		e := compileRules(t, Rule{Query: q})
		if got := len(e.Match(nil, &d)) == 1; got != want {
			t.Errorf("%q in %q %+v: got %v, want %v", q, d.Text, d, got, want)
		}
	}
	txt := func(s string) Doc { return Doc{Text: []byte(s), Followers: -1} }
	f("quake OR sismo", txt("SISMO fuerte"), true)
	f("quake OR sismo", txt("nada"), false)
	f("quake tsunami", txt("quake and tsunami"), true)
	f("quake tsunami", txt("quake only"), false)
	f("quake -drill", txt("quake drill today"), false)
	f("quake -drill", txt("quake today"), true)
	f("quake NOT (drill OR simulacro)", txt("quake simulacro"), false)
	f("(quake OR sismo) lang:es", Doc{Text: []byte("sismo"), Lang: "es"}, true)
	f("(quake OR sismo) lang:es", Doc{Text: []byte("sismo"), Lang: "en"}, false)
	f("quake author.followers:>=1000", Doc{Text: []byte("quake"), Followers: 1000}, true)
	f("quake author.followers:>=1000", Doc{Text: []byte("quake"), Followers: -1}, false)
	f("quake NOT author.followers:>=1000", Doc{Text: []byte("quake"), Followers: -1}, true)
	f("quake -is:repost has:geo", Doc{Text: []byte("quake"), HasGeo: true}, true)
	f("quake -is:repost has:geo", Doc{Text: []byte("quake"), HasGeo: true, IsRepost: true}, false)
	f("quake is:reply author.verified:true source:x country:MX has:link",
		Doc{Text: []byte("quake"), IsReply: true, Verified: true, Source: "X", Country: "MX", HasLink: true}, true)
	// proximity, counted in words
	f("big NEAR/1 quake", txt("big strong quake"), true)
	f("big NEAR/0 quake", txt("big strong quake"), false)
	f("quake NEAR/0 big", txt("big quake"), true)
	f("quake ONEAR/0 big", txt("big quake"), false)
	f(`"flood victims" NEAR/3 (rescue OR help)`, txt("HELP needed for the flood victims"), true)
	f(`"flood victims" NEAR/3 (rescue OR help)`, txt("help is on its way to all of the flood victims"), false)
	f("alert ONEAR/2 earthquak*", txt("alert: strong earthquakes"), true)
	f("alert ONEAR/2 earthquak*", txt("earthquakes alert"), false)
	f("quake NEAR/1 cdmx", txt("quake #alerta cdmx"), true)
	f("quake NEAR/2 quake", txt("quake quake"), true)
	f("quake NEAR/2 quake", txt("one quake"), false)
	f("地震 NEAR/1 東京", txt("東京で大地震"), true)
	// terms that fold to the same pattern share it
	f("quake OR QUAKE", txt("Quake"), true)
	f("quake QUAKE -Drill", txt("quake DRILL"), false)
	// phrase prefix (a keyword-list line flood victim* is this query)
	f(`"flood victim"*`, txt("Flood Victims"), true)
	f(`"flood victim"*`, txt("flood help victims"), false)
}

// TestCountryOf: a document without a country (or language) is asked for
// it once, and only when a rule that tests country: (lang:) has its terms
// in the text; Match and MatchBatch alike.
func TestCountryOf(t *testing.T) {
	e := compileRules(t,
		Rule{Query: "sismo country:MX"},
		Rule{Query: "sismo -country:US"},
		Rule{Query: "quake"},
	)
	calls := 0
	mx := func() string { calls++; return "MX" }
	var b Batch
	for _, c := range []struct {
		text, country string
		of            func() string
		want          []int32
		calls         int
	}{
		{"sismo fuerte", "", mx, []int32{0, 1}, 1}, // asked once for both rules
		{"sismo fuerte", "US", mx, nil, 0},         // a known country is not asked for
		{"quake", "", mx, []int32{2}, 0},           // no rule testing country: has its terms here
		{"sismo fuerte", "", nil, []int32{1}, 0},   // unknown: country:MX does not hold, -country:US does
		{"sismo", "", func() string { calls++; return "" }, []int32{1}, 1},
	} {
		d := Doc{Text: []byte(c.text), Country: c.country, CountryOf: c.of, Followers: -1}
		calls = 0
		if got := e.Match(nil, &d); !slices.Equal(got, c.want) || calls != c.calls {
			t.Errorf("Match %q country %q: rules %v, %d calls; want %v, %d", c.text, c.country, got, calls, c.want, c.calls)
		}
		calls = 0
		if e.MatchBatch(&b, []Doc{{Text: []byte("nothing")}, d}); !slices.Equal(b.Rules(1), c.want) || calls != c.calls {
			t.Errorf("MatchBatch %q country %q: rules %v, %d calls; want %v, %d", c.text, c.country, b.Rules(1), calls, c.want, c.calls)
		}
	}

	// LangOf the same way, for lang:.
	e = compileRules(t, Rule{Query: "sismo lang:es"}, Rule{Query: "sismo lang:pt"})
	es := func() string { calls++; return "es" }
	for _, c := range []struct {
		lang  string
		of    func() string
		want  []int32
		calls int
	}{
		{"", es, []int32{0}, 1},
		{"pt-BR", es, []int32{1}, 0},
		{"", nil, nil, 0},
	} {
		calls = 0
		d := Doc{Text: []byte("sismo"), Lang: c.lang, LangOf: c.of, Followers: -1}
		if got := e.Match(nil, &d); !slices.Equal(got, c.want) || calls != c.calls {
			t.Errorf("lang %q: rules %v, %d calls; want %v, %d", c.lang, got, calls, c.want, c.calls)
		}
	}
}

func TestKeywordPhrasePrefix(t *testing.T) {
	rules, err := Parse("k.txt", []byte("flood victim*\nearthquak*\n"))
	if err != nil {
		t.Fatal(err)
	}
	if rules[0].Query != `"flood victim"*` {
		t.Fatalf("query = %q", rules[0].Query)
	}
	e, err := Compile(rules)
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string][]int32{
		"FLOOD VICTIMS need help":  {0},
		"flood  victim":            {0},
		"flood, victims":           nil,
		"the earthquake and flood": {1},
	} {
		if got := e.Match(nil, &Doc{Text: []byte(text)}); !slices.Equal(got, want) {
			t.Errorf("%q: got %v, want %v", text, got, want)
		}
	}
	hits := e.Explain(nil, &Doc{Text: []byte("the flood victims")})
	if len(hits) != 1 || hits[0].Term != "flood victim*" || hits[0].Start != 4 || hits[0].End != 17 {
		t.Fatalf("Explain = %+v", hits)
	}
}

func TestDiacritics(t *testing.T) {
	f := func(q string, insensitive bool, text string, want bool) {
		t.Helper()
		e := compileRules(t, Rule{Query: q, IgnoreDiacritics: insensitive})
		d := &Doc{Text: []byte(text)}
		if got := len(e.Match(nil, d)) == 1; got != want {
			t.Errorf("%q (insensitive %v) in %q: got %v, want %v", q, insensitive, text, got, want)
		}
		if got := len(e.Explain(nil, d)) > 0; got != want {
			t.Errorf("Explain %q (insensitive %v) in %q: got %v", q, insensitive, text, got)
		}
	}
	f("sismo", true, "un sísmo fuerte", true)
	f("sísmo", true, "un sismo fuerte", true)
	f("sísmo", true, "UN SÍSMO", true)
	f("sismo", true, "si\u0301smo", true)
	f("sismo", true, "sismó", true)
	f("sismo", true, "sismos", false)
	f("sismo", false, "sísmo", false)
	f("sísmo", false, "sismo", false)
	f("inundacion", true, "¡INUNDACIÓN!", true)
	f("σεισμος", true, "σεισμός τώρα", true)
	f("cafe NEAR/1 abierto", true, "café muy abierto", true)
	f("sismo -simulacro", true, "sismo simulácro", false)
	f("sismo*", true, "sísmologo", true)
	// a rule of each kind on one engine: the term is compiled once per kind
	e := compileRules(t, Rule{Query: "sismo"}, Rule{Query: "sismo", IgnoreDiacritics: true}, Rule{Query: "sísmo"})
	for text, want := range map[string][]int32{"sismo": {0, 1}, "sísmo": {1, 2}, "SISMO sísmo": {0, 1, 2}} {
		if got := e.Match(nil, &Doc{Text: []byte(text)}); !slices.Equal(got, want) {
			t.Errorf("%q: got %v, want %v", text, got, want)
		}
	}
	if st := e.Stats(); st.Terms != 3 {
		t.Errorf("Stats = %+v", st)
	}
	hits := e.Explain(nil, &Doc{Text: []byte("ya sísmo")})
	if len(hits) != 2 || hits[0].Start != 3 || hits[0].End != 9 || hits[1].Start != 3 || hits[1].End != 9 {
		t.Errorf("Explain = %+v", hits)
	}
}

func TestExplainBoolean(t *testing.T) {
	e := compileRules(t,
		Rule{Query: "quake -drill"},
		Rule{Query: "(sismo OR temblor) NEAR/2 cdmx"},
		Rule{Query: "quake lang:es"},
		Rule{Query: "drill"},
	)
	text := "quake drill? no: sismo en cdmx, temblor"
	hits := e.Explain(nil, &Doc{Text: []byte(text), Lang: "en"})
	var got []string
	for _, h := range hits {
		got = append(got, fmt.Sprintf("%d:%s=%s", h.Rule, h.Term, text[h.Start:h.End]))
	}
	// rule 0 does not match (drill), rule 2 fails its field filter; the
	// NEAR rule reports every occurrence of its terms.
	want := []string{"3:drill=drill", "1:sismo=sismo", "1:cdmx=cdmx", "1:temblor=temblor"}
	if !slices.Equal(got, want) {
		t.Fatalf("Explain =\n%q\nwant\n%q", got, want)
	}
	hits = e.Explain(nil, &Doc{Text: []byte("quake drill")})
	if len(hits) != 1 || hits[0].Rule != 3 {
		t.Fatalf("Explain = %+v: a NOT term is not reported", hits)
	}
	hits = e.Explain(nil, &Doc{Text: []byte("quake"), Lang: "es"})
	if len(hits) != 2 || hits[0].Rule != 0 || hits[1].Rule != 2 {
		t.Fatalf("Explain = %+v", hits)
	}
}

func TestQueryErrors(t *testing.T) {
	f := func(file, src string, wants ...string) {
		t.Helper()
		_, err := Parse(file, []byte(src))
		if err == nil {
			t.Fatalf("%q: want an error", src)
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("%T is not a *SyntaxError", err)
		}
		for _, w := range wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error\n%s\nlacks %q", err, w)
			}
		}
	}
	// YAML: columns inside the query are columns in the file.
	f("r.yaml", "rules:\n  - id: a\n    query: quake OR @\n", "r.yaml:3:21: lone @", "    query: quake OR @\n\t                    ^")
	f("r.yaml", "rules:\n  - id: a\n    query: \"quake OR @\"\n", "r.yaml:3:22: lone @")
	f("r.yaml", "rules:\n  - id: a\n    query: 'sísmo OR (a'\n", "r.yaml:3:22: unclosed (")
	f("r.yaml", "rules:\n  - id: a\n    query: sismo lang:es country:UK\n", "r.yaml:3:34: unknown country \"UK\"", "GB")
	f("r.yaml", "rules:\n  - id: a\n    query: quake AND\n", "r.yaml:3:21: AND needs a term after it")
	f("r.yaml", "rules:\n  - id: a\n    query: -drill\n", "r.yaml:3:12: query matches posts that contain none of its terms")
	f("r.yaml", "rules:\n  - id: a\n    query: '\"flood !\"* OR x'\n", "r.yaml:3:22: wildcard * must follow")
	f("r.yaml", "rules:\n  - id: a\n    query: quake\n    diacritics: maybe\n", "r.yaml:4:17: unknown diacritics \"maybe\"")
	// Escapes and block scalars: the error is at the node, the query shown
	// with the caret in it.
	f("r.yaml", "rules:\n  - id: a\n    query: \"quake \\u0041ND\"\n", "r.yaml:3:13: AND needs a term after it", "\tquake AND\n\t         ^")
	f("r.yaml", "rules:\n  - id: a\n    query: |\n      quake OR\n", "r.yaml:3:12: OR needs a term after it")
	// Keyword lists: the column in the line as written, although the line
	// was quoted to be one term.
	f("k.txt", "ok\n  flood \xff\n", "k.txt:2:9: invalid UTF-8")
	f("k.txt", "  a*b\n", "k.txt:1:4: wildcard * is only allowed at the end")
	// Compile places errors at Rule.Pos, where the query starts.
	_, err := Compile([]Rule{{ID: "a", Query: "quake OR ear*th", Enabled: true, Pos: Pos{File: "r.yaml", Line: 3, Col: 12}}})
	if err == nil || !strings.Contains(err.Error(), "r.yaml:3:24: wildcard * is only allowed at the end") {
		t.Fatalf("Compile: %v", err)
	}
}

// TestSingleTerm checks that the parser's fast path reads exactly what the
// rule language reads.
func TestSingleTerm(t *testing.T) {
	for _, q := range []string{"quake", "#temblor", "@usgs", "earthquak*", `"flood victims"`, `"a OR b"`, "地震", "c++",
		"a-b", "-", "x_y", "M7.1", "ORquake", "a&&b"} {
		if !singleTerm(q) {
			t.Errorf("singleTerm(%q) = false", q)
		}
	}
	for _, q := range []string{"", "a b", "-a", "AND", "OR", "NOT", "&&", "||", "*", "NEAR/2", "lang:es", "a*b", "(a)",
		`"a" "b"`, `"a"*`, `""`, `" "`, "a\u00a0b", " a", "a\xff"} {
		if singleTerm(q) {
			t.Errorf("singleTerm(%q) = true", q)
		}
	}
}

func FuzzSingleTerm(f *testing.F) {
	for _, s := range []string{"quake", `"a b"`, "-x", "ear*", "a:b", "NEAR/3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if !singleTerm(q) {
			return
		}
		p, err := query.Parse(q)
		if err != nil {
			t.Fatalf("singleTerm(%q) but Parse: %v", q, err)
		}
		if term, ok := p.Simple(); !ok || term != q {
			t.Fatalf("singleTerm(%q) but Parse reads %q", q, p.String())
		}
	})
}

// The boolean differential test: random queries over a small vocabulary,
// evaluated against the reference matcher (term presence), a slow proximity
// test over the reference tokens, and the documented field semantics.

type bnode struct {
	op   string // term, field, not, and, or, near, onear
	term string
	fld  string
	dist int
	kids []*bnode
}

var (
	boolTerms = []string{"quake", "sismo", "temblor", "cdmx", "help", "drill", "#temblor", `"flood help"`,
		"resc*", "地震", "sísmo", "QUAKE", "big", "raw:Quake", "raw:sísmo", `raw:"Flood help"`, "raw:Resc*", "raw:#temblor",
		"raw:地震", "raw:CDMX"}
	nearTerms = []string{"quake", "sismo", "cdmx", "help", "#temblor", `"flood help"`, "sísmo", "big"}
	boolWords = []string{"quake", "Quake", "QUAKE", "sismo", "sísmo", "SÍSMO", "si\u0301smo", "temblor", "cdmx", "help",
		"drill", "flood", "rescue", "rescate", "地震", "大地震", "#temblor", "@cdmx", "earthquake", "big", "la", "en",
		"Flood", "Rescue", "CDMX", "#Temblor", "Sísmo", "ＣＤＭＸ"}
	boolFillers = []string{" ", " ", " ", "  ", ", ", ". ", "! ", " #", " 🔥 ", "\n", " - ", "。"}
	boolFields  = []string{"lang:es", "lang:pt", "country:MX", "source:x", "author.followers:>=100",
		"author.followers:<50", "author.verified:true", "is:repost", "is:reply", "has:geo", "has:link",
		"is:quote", "author:cdmx_alerts", "author.bio:Periodista", "region:MX-09", "city:Tokyo"}
)

func randBool(r *rand.Rand, depth int) *bnode {
	if depth == 0 || r.IntN(3) == 0 {
		switch r.IntN(7) {
		case 0:
			return &bnode{op: "field", fld: boolFields[r.IntN(len(boolFields))]}
		case 1, 2:
			side := func() *bnode {
				s := &bnode{op: "or"}
				for n := 1 + r.IntN(2); n > 0; n-- {
					s.kids = append(s.kids, &bnode{op: "term", term: nearTerms[r.IntN(len(nearTerms))]})
				}
				return s
			}
			op := "near"
			if r.IntN(2) == 0 {
				op = "onear"
			}
			return &bnode{op: op, dist: r.IntN(4), kids: []*bnode{side(), side()}}
		}
		return &bnode{op: "term", term: boolTerms[r.IntN(len(boolTerms))]}
	}
	switch r.IntN(3) {
	case 0:
		return &bnode{op: "not", kids: []*bnode{randBool(r, depth-1)}}
	case 1:
		return &bnode{op: "and", kids: []*bnode{randBool(r, depth-1), randBool(r, depth-1)}}
	}
	return &bnode{op: "or", kids: []*bnode{randBool(r, depth-1), randBool(r, depth-1)}}
}

func (n *bnode) String() string {
	switch n.op {
	case "term":
		return n.term
	case "field":
		return n.fld
	case "not":
		return "NOT (" + n.kids[0].String() + ")"
	case "and", "or":
		var parts []string
		for _, k := range n.kids {
			parts = append(parts, k.String())
		}
		return "(" + strings.Join(parts, " "+strings.ToUpper(n.op)+" ") + ")"
	}
	return "(" + n.kids[0].String() + " " + strings.ToUpper(n.op) + "/" + strconv.Itoa(n.dist) + " " + n.kids[1].String() + ")"
}

// refWorld is one document as the slow evaluator sees it.
type refWorld struct {
	text  string
	toks  [2][]refTok // plain and without combining marks
	strip bool        // the rule is diacritic-insensitive
	d     *Doc
}

func stripMarks(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsMark(r) {
			return -1
		}
		return r
	}, norm.NFKD.String(s))
}

func (w *refWorld) present(term string) bool {
	if t, ok := strings.CutPrefix(term, "raw:"); ok {
		return refMatchAs(t, w.text, true, w.strip)
	}
	if w.strip {
		return refMatch(stripMarks(term), stripMarks(w.text))
	}
	return refMatch(term, w.text)
}

// occurrences returns the token spans where a whole-token term occurs.
func (w *refWorld) occurrences(term string) [][2]int {
	if w.strip {
		term = stripMarks(term)
	}
	p := refTokens(strings.Trim(term, `"`))
	toks := w.toks[0]
	if w.strip {
		toks = w.toks[1]
	}
	var occ [][2]int
	for i := 0; i+len(p) <= len(toks); i++ {
		ok := true
		for j := range p {
			ok = ok && toks[i+j].key == p[j].key
		}
		if ok {
			occ = append(occ, [2]int{i, i + len(p) - 1})
		}
	}
	return occ
}

// words counts the word tokens strictly between token indexes a and b.
func (w *refWorld) words(a, b int) int {
	toks := w.toks[0]
	if w.strip {
		toks = w.toks[1]
	}
	n := 0
	for _, t := range toks[a+1 : b] {
		if t.kind == 1 || t.kind == 2 {
			n++
		}
	}
	return n
}

func (w *refWorld) field(s string) bool {
	d := w.d
	switch s {
	case "lang:es":
		return d.Lang == "es"
	case "lang:pt":
		return d.Lang == "pt" || strings.HasPrefix(d.Lang, "pt-")
	case "country:MX":
		return d.Country == "MX"
	case "source:x":
		return d.Source == "x"
	case "author.followers:>=100":
		return d.Followers >= 100
	case "author.followers:<50":
		return d.Followers >= 0 && d.Followers < 50
	case "author.verified:true":
		return d.Verified
	case "is:repost":
		return d.IsRepost
	case "is:reply":
		return d.IsReply
	case "has:geo":
		return d.HasGeo
	case "has:link":
		return d.HasLink
	case "is:quote":
		return d.IsQuote
	case "author:cdmx_alerts":
		return strings.EqualFold(strings.TrimPrefix(d.Author, "@"), "cdmx_alerts")
	case "region:MX-09", "city:Tokyo":
		if d.PlaceOf == nil {
			return false
		}
		region, city := d.PlaceOf()
		return s == "region:MX-09" && strings.EqualFold(region, "mx-09") || s == "city:Tokyo" && strings.EqualFold(city, "tokyo")
	case "author.bio:Periodista":
		return slices.ContainsFunc(strings.FieldsFunc(d.Bio, func(r rune) bool { return !unicode.IsLetter(r) }),
			func(w string) bool { return strings.EqualFold(w, "periodista") })
	}
	panic(s)
}

func (n *bnode) eval(w *refWorld) bool {
	switch n.op {
	case "term":
		return w.present(n.term)
	case "field":
		return w.field(n.fld)
	case "not":
		return !n.kids[0].eval(w)
	case "and":
		return n.kids[0].eval(w) && n.kids[1].eval(w)
	case "or":
		return n.kids[0].eval(w) || len(n.kids) > 1 && slices.ContainsFunc(n.kids[1:], func(k *bnode) bool { return k.eval(w) })
	}
	for _, x := range n.kids[0].kids {
		for _, y := range n.kids[1].kids {
			for _, a := range w.occurrences(x.term) {
				for _, b := range w.occurrences(y.term) {
					if a[1] < b[0] && w.words(a[1], b[0]) <= n.dist {
						return true
					}
					if n.op == "near" && b[1] < a[0] && w.words(b[1], a[0]) <= n.dist {
						return true
					}
				}
			}
		}
	}
	return false
}

func genBoolText(r *rand.Rand) string {
	var b strings.Builder
	for n := 1 + r.IntN(12); n > 0; n-- {
		b.WriteString(boolWords[r.IntN(len(boolWords))])
		b.WriteString(boolFillers[r.IntN(len(boolFillers))])
	}
	return b.String()
}

func genDoc(r *rand.Rand, text string) *Doc {
	pick := func(s ...string) string { return s[r.IntN(len(s))] }
	return &Doc{Text: []byte(text), Lang: pick("", "es", "pt", "pt-BR", "en"), Country: pick("", "MX", "US"),
		Source: pick("", "x", "mastodon"), Followers: int64(r.IntN(4)*40 - 1), Verified: r.IntN(2) == 0,
		IsRepost: r.IntN(3) == 0, IsReply: r.IntN(3) == 0, HasGeo: r.IntN(2) == 0, HasLink: r.IntN(2) == 0,
		IsQuote: r.IntN(3) == 0, Author: pick("", "cdmx_alerts", "@CDMX_Alerts", "cdmx"),
		Bio: pick("", "Periodista.", "periodista deportiva", "periodistas", "#periodista en CDMX"),
		PlaceOf: [...]func() (string, string){nil, func() (string, string) { return "MX-09", "Mexico City" },
			func() (string, string) { return "JP-40", "tokyo" }, func() (string, string) { return "", "" }}[r.IntN(4)]}
}

// lazyAuthor returns d with its author left to AuthorOf, as the pipeline
// hands over posts whose author it decodes only when asked.
func lazyAuthor(d *Doc) *Doc {
	l := *d
	h, b := l.Author, l.Bio
	l.Author, l.Bio = "", ""
	l.AuthorOf = func() (string, string) { return h, b }
	return &l
}

func TestBooleanDifferential(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for round := 0; round < 4; round++ {
		var asts []*bnode
		var rules []Rule
		for len(rules) < 80 {
			a := randBool(rng, 3)
			q := a.String()
			if _, err := query.Parse(q); err != nil {
				continue // a query that matches without its terms
			}
			asts = append(asts, a)
			rules = append(rules, Rule{ID: fmt.Sprint(len(rules)), Query: q, Enabled: true, IgnoreDiacritics: rng.IntN(5) == 0})
		}
		e, err := Compile(rules)
		if err != nil {
			t.Fatal(err)
		}
		small, err := compile(rules, 1)
		if err != nil {
			t.Fatal(err)
		}
		var dst []int32
		for n := 0; n < 150; n++ {
			text := genBoolText(rng)
			d := genDoc(rng, text)
			w := &refWorld{text: text, d: d}
			w.toks[0], w.toks[1] = refTokens(text), refTokens(stripMarks(text))
			var want []int32
			for i, a := range asts {
				w.strip = rules[i].IgnoreDiacritics
				if a.eval(w) {
					want = append(want, int32(i))
				}
			}
			md := d
			if n%2 == 1 {
				md = lazyAuthor(d)
			}
			for _, eng := range []*Engine{e, small} {
				dst = eng.Match(dst[:0], md)
				if !slices.Equal(dst, want) && len(dst)+len(want) > 0 {
					for _, r := range symmetricDiff(dst, want) {
						t.Errorf("rule %d %q (insensitive %v) on %q %+v: matched %v",
							r, rules[r].Query, rules[r].IgnoreDiacritics, text, *d, slices.Contains(dst, r))
					}
					t.FailNow()
				}
			}
			checkExplain(t, e, d, want)
		}
	}
}

func symmetricDiff(a, b []int32) []int32 {
	var out []int32
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			out = append(out, x)
		}
	}
	return out
}

// checkExplain checks that Explain reports exactly the matching rules, with
// spans inside the text.
func checkExplain(t *testing.T, e *Engine, d *Doc, matched []int32) {
	t.Helper()
	var rules []int32
	for _, h := range e.Explain(nil, d) {
		if h.Start < 0 || h.End > len(d.Text) || h.Start >= h.End {
			t.Fatalf("bad hit %+v in %q", h, d.Text)
		}
		rules = append(rules, h.Rule)
	}
	slices.Sort(rules)
	if rules = slices.Compact(rules); !slices.Equal(rules, matched) && len(rules)+len(matched) > 0 {
		t.Fatalf("Explain reports rules %v, Match %v, in %q", rules, matched, d.Text)
	}
	checkWhy(t, e, d, matched)
}

// checkWhy checks that Why reports every matching rule as matched and no
// other, that each rule's trace comes to what Match says of it, and that a
// term's step holds exactly when the term occurs.
func checkWhy(t *testing.T, e *Engine, d *Doc, matched []int32) {
	t.Helper()
	var got []int32
	for _, w := range e.Why(d) {
		if w.Matched {
			got = append(got, w.Rule)
		}
		if len(w.Steps) == 0 || w.Steps[0].Holds != w.Matched {
			t.Fatalf("Why: rule %d %q on %q: matched %v, its trace %+v", w.Rule, e.Rules()[w.Rule].Query, d.Text, w.Matched, w.Steps)
		}
		for _, s := range w.Steps {
			if s.Term >= 0 && s.Holds != (len(w.Occurs[s.Term]) > 0) {
				t.Fatalf("Why: rule %d %q on %q: term step %+v, occurrences %v", w.Rule, e.Rules()[w.Rule].Query, d.Text, s, w.Occurs[s.Term])
			}
		}
		for _, spans := range w.Occurs {
			for _, sp := range spans {
				if sp.Start < 0 || sp.End > len(d.Text) || sp.Start >= sp.End {
					t.Fatalf("Why: bad span %+v in %q", sp, d.Text)
				}
			}
		}
	}
	if !slices.Equal(got, matched) && len(got)+len(matched) > 0 {
		t.Fatalf("Why reports matched rules %v, Match %v, in %q", got, matched, d.Text)
	}
}

// FuzzMatchRules compiles fuzzed rules files (keyword lists and YAML with
// boolean queries) and checks Match's contract on fuzzed text: no panic,
// ascending unique indexes, the same answer from the sparse automaton, and
// Explain reporting exactly the matching rules.
func FuzzMatchRules(f *testing.F) {
	for _, s := range [][2]string{
		{"rules:\n  - id: a\n    query: (sismo OR temblor) -simulacro lang:es\n", "Sismo fuerte"},
		{"rules:\n  - id: a\n    query: '\"flood victims\" NEAR/3 (rescue OR help)'\n  - id: b\n    query: help\n", "help the flood victims"},
		{"rules:\n  - id: a\n    query: alert ONEAR/2 earthquak*\n    diacritics: insensitive\n", "alért! earthquakes"},
		{"rules:\n  - id: a\n    query: quake QUAKE NEAR/0 quake\n", "quake quake"},
		{"flood victim*\n地震\n#temblor\n", "大地震 flood victims #Temblor"},
		{"rules:\n  - id: a\n    query: raw:Quake OR raw:\"Flood Help\" OR raw:Sísm*\n    diacritics: insensitive\n", "QUAKE Quake flood help Sísmo"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, src, text string) {
		rules, err := Parse("f.yaml", []byte(src))
		if err != nil {
			return
		}
		e, err := Compile(rules)
		if err != nil {
			t.Fatalf("parsed rules do not compile: %v", err)
		}
		small, err := compile(rules, 1)
		if err != nil {
			t.Fatal(err)
		}
		d := &Doc{Text: []byte(text), Lang: "es", Followers: 10}
		got := e.Match(nil, d)
		for i, r := range got {
			if r < 0 || int(r) >= len(e.Rules()) || i > 0 && got[i-1] >= r {
				t.Fatalf("Match = %v", got)
			}
		}
		if s := small.Match(nil, d); !slices.Equal(s, got) {
			t.Fatalf("sparse automaton: %v, dense: %v", s, got)
		}
		checkExplain(t, e, d, got)
	})
}

// TestDocExamples checks the examples table of docs/rules.md: each row is a
// query, a post (text and fields) and whether the query matches it.
func TestDocExamples(t *testing.T) {
	fh, err := os.Open("../docs/rules.md")
	if err != nil {
		t.Skip("docs/rules.md not found:", err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	in, rows := false, 0
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "<!-- examples:begin"):
			in = true
			continue
		case strings.HasPrefix(line, "<!-- examples:end"):
			in = false
		}
		if !in || !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.ReplaceAll(strings.Trim(line, "| "), `\|`, "\x00"), "|")
		for i := range cells {
			cells[i] = strings.ReplaceAll(strings.TrimSpace(cells[i]), "\x00", "|")
		}
		if len(cells) != 4 {
			t.Fatalf("bad example row %q", line)
		}
		q := unticks(cells[0])
		d := &Doc{Text: []byte(unticks(cells[1])), Followers: -1}
		for _, fl := range strings.Fields(unticks(cells[2])) {
			k, v, _ := strings.Cut(fl, "=")
			switch k {
			case "lang":
				d.Lang = v
			case "country":
				d.Country = v
			case "followers":
				d.Followers, _ = strconv.ParseInt(v, 10, 64)
			case "repost":
				d.IsRepost = true
			case "geo":
				d.HasGeo = true
			case "quote":
				d.IsQuote = true
			case "author":
				d.Author = v
			case "bio":
				d.Bio = strings.ReplaceAll(v, "_", " ")
			case "region", "city":
				var region, city string
				if d.PlaceOf != nil {
					region, city = d.PlaceOf()
				}
				if k == "region" {
					region = v
				} else {
					city = strings.ReplaceAll(v, "_", " ")
				}
				d.PlaceOf = func() (string, string) { return region, city }
			case "":
			default:
				t.Fatalf("unknown field %q in %q", fl, line)
			}
		}
		rule := Rule{Query: q}
		if strings.HasSuffix(cells[3], "(insensitive)") {
			rule.IgnoreDiacritics = true
		}
		want := strings.HasPrefix(cells[3], "yes")
		e := compileRules(t, rule)
		if got := len(e.Match(nil, d)) == 1; got != want {
			t.Errorf("docs/rules.md: %q on %q: got %v, want %v", q, d.Text, got, want)
		}
		rows++
	}
	if rows < 20 {
		t.Fatalf("only %d example rows found in docs/rules.md", rows)
	}
}

// unticks returns the text of a table cell written as `code`.
func unticks(s string) string {
	s = strings.TrimSpace(s)
	return strings.TrimSuffix(strings.TrimPrefix(s, "`"), "`")
}

// TestDocErrorExamples checks that the documented invalid queries are
// rejected and the documented query examples compile.
func TestDocErrorExamples(t *testing.T) {
	for _, q := range []string{"lang:es", "NOT drill", "-drill", "quake OR NOT drill", "quake OR lang:es",
		"(quake OR is:repost) -is:repost", "a NEAR/2 b NEAR/2 c", "quake AND", "OR b", `"a b"c`, "https://t.co",
		"country:UK"} {
		if _, err := Compile([]Rule{{ID: "x", Query: q, Enabled: true}}); err == nil {
			t.Errorf("%q compiles", q)
		}
	}
	for _, q := range []string{"quake", "quake OR sismo OR 地震 OR #temblor", "earthquake tsunami", "earthquake AND tsunami",
		"(sismo OR temblor) -simulacro lang:es", `"flood victims" NEAR/3 (rescue OR help)`, "alert ONEAR/2 earthquak*",
		"#prayforjapan author.followers:>=1000 -is:repost", `(quake OR sismo) NEAR/3 ("ciudad de méxico" OR cdmx)`,
		"quake (lang:es OR country:MX) -is:repost", `"AND"`, `"-5"`, `"https://t.co"`, `":)"`} {
		if _, err := Compile([]Rule{{ID: "x", Query: q, Enabled: true}}); err != nil {
			t.Errorf("%q: %v", q, err)
		}
	}
}

func TestMatchBooleanAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector drops sync.Pool items: the rules' scratch is allocated anew")
	}
	e := compileRules(t, Rule{Query: "quake -drill lang:es"}, Rule{Query: "(sismo OR quake) NEAR/3 cdmx"},
		Rule{Query: "sismo", IgnoreDiacritics: true}, Rule{Query: "quake"})
	d := &Doc{Text: []byte("QUAKE en CDMX, sísmo 大地震"), Lang: "es"}
	dst := make([]int32, 0, 16)
	if n := testing.AllocsPerRun(200, func() { dst = e.Match(dst[:0], d) }); n != 0 {
		t.Fatalf("Match allocates %v times", n)
	}
	if !slices.Equal(dst, []int32{0, 1, 2, 3}) {
		t.Fatalf("Match = %v", dst)
	}
}
