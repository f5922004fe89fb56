package query

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// evalWith evaluates src with the terms named in present (space-separated)
// occurring, proximity pairs "a~b" (a before b, the number of words between
// them given in gaps) and fields f.
func evalWith(t *testing.T, src, present string, gaps map[string]int, f *Fields) bool {
	t.Helper()
	p, err := Parse(src)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	have := map[string]bool{}
	for _, w := range strings.Fields(present) {
		have[w] = true
	}
	return p.Eval(func(i int) bool { return have[p.Terms[i]] }, func(a, b, dist int, ordered bool) bool {
		if g, ok := gaps[p.Terms[a]+"~"+p.Terms[b]]; ok && g <= dist {
			return true
		}
		g, ok := gaps[p.Terms[b]+"~"+p.Terms[a]]
		return !ordered && ok && g <= dist
	}, f)
}

func TestEvalTruthTables(t *testing.T) {
	queries := []struct {
		src  string
		want func(a, b, c bool) bool
	}{
		{"a", func(a, b, c bool) bool { return a }},
		{"a b", func(a, b, c bool) bool { return a && b }},
		{"a AND b", func(a, b, c bool) bool { return a && b }},
		{"a OR b", func(a, b, c bool) bool { return a || b }},
		{"a -b", func(a, b, c bool) bool { return a && !b }},
		{"a OR b c", func(a, b, c bool) bool { return a || b && c }},
		{"(a OR b) c", func(a, b, c bool) bool { return (a || b) && c }},
		{"a OR b NOT c", func(a, b, c bool) bool { return a || b && !c }},
		{"NOT a b OR c", func(a, b, c bool) bool { return !a && b || c }},
		{"a NOT (b OR c)", func(a, b, c bool) bool { return a && !(b || c) }},
		{"a NOT (b c)", func(a, b, c bool) bool { return a && !(b && c) }},
		{"a || b && NOT c", func(a, b, c bool) bool { return a || b && !c }},
	}
	for _, q := range queries {
		for m := 0; m < 8; m++ {
			a, b, c := m&1 != 0, m&2 != 0, m&4 != 0
			var present []string
			for i, on := range []bool{a, b, c} {
				if on {
					present = append(present, string(rune('a'+i)))
				}
			}
			if got, want := evalWith(t, q.src, strings.Join(present, " "), nil, nil), q.want(a, b, c); got != want {
				t.Errorf("%q with %v = %v, want %v", q.src, present, got, want)
			}
		}
	}
}

func TestEvalNear(t *testing.T) {
	f := func(src, present string, gaps map[string]int, want bool) {
		t.Helper()
		if got := evalWith(t, src, present, gaps, nil); got != want {
			t.Errorf("%q with %q %v = %v, want %v", src, present, gaps, got, want)
		}
	}
	g := map[string]int{"quake~cdmx": 2}
	f("quake NEAR/2 cdmx", "quake cdmx", g, true)
	f("quake NEAR/1 cdmx", "quake cdmx", g, false)
	f("cdmx NEAR/2 quake", "quake cdmx", g, true)
	f("quake ONEAR/2 cdmx", "quake cdmx", g, true)
	f("cdmx ONEAR/2 quake", "quake cdmx", g, false)
	f("quake NEAR/5 cdmx", "quake", g, false)
	f("(sismo OR quake) NEAR/3 (x OR cdmx)", "sismo quake cdmx", g, true)
	f("(sismo OR quake) NEAR/3 (x OR cdmx)", "sismo cdmx", g, false)
	f("quake NEAR/2 cdmx -drill", "quake cdmx drill", g, false)
	f("alert OR quake NEAR/2 cdmx", "alert", nil, true)
	// near == nil: proximity never holds
	p, _ := Parse("quake NEAR/2 cdmx OR alert")
	if p.Eval(func(int) bool { return true }, nil, nil) != true {
		t.Error("alert alone should match")
	}
	p, _ = Parse("quake NEAR/2 cdmx")
	if p.Eval(func(int) bool { return true }, nil, nil) {
		t.Error("nil near matched")
	}
}

func TestEvalFields(t *testing.T) {
	f := func(src string, fl *Fields, want bool) {
		t.Helper()
		if got := evalWith(t, "quake "+src, "quake", nil, fl); got != want {
			t.Errorf("quake %s with %+v = %v, want %v", src, fl, got, want)
		}
	}
	es := &Fields{Lang: "es", Country: "MX", Source: "x", Followers: 1200, HasGeo: true}
	f("lang:es", es, true)
	f("lang:ES", es, true)
	f("lang:en", es, false)
	f("lang:pt", &Fields{Lang: "pt-BR"}, true)
	f("lang:pt", &Fields{Lang: "PT-br"}, true)
	f("lang:pt-br", &Fields{Lang: "pt-BR"}, true)
	f("lang:pt-br", &Fields{Lang: "pt"}, false)
	f("lang:pt", &Fields{Lang: "ptx"}, false)
	f("lang:es", nil, false)
	f("NOT lang:es", nil, true)
	f("country:mx", es, true)
	f("country:MX", &Fields{Country: "mx"}, true)
	f("country:US", es, false)
	f("source:x", es, true)
	f("source:X", es, true)
	f("source:mastodon", es, false)
	f("author.followers:>=1200", es, true)
	f("author.followers:>1200", es, false)
	f("author.followers:<=1200", es, true)
	f("author.followers:<1200", es, false)
	f("author.followers:=1200", es, true)
	f("author.followers:1200", es, true)
	f("author.followers:1201", es, false)
	f("author.followers:<10", &Fields{Followers: -1}, false) // unknown
	f("author.followers:>=0", &Fields{Followers: -1}, false)
	f("author.followers:>=0", nil, false)
	f("author.followers:<10", &Fields{}, true) // known zero
	f("author.verified:true", es, false)
	f("author.verified:false", es, true)
	f("author.verified:true", &Fields{Verified: true}, true)
	f("is:repost", &Fields{IsRepost: true}, true)
	f("is:repost", es, false)
	f("-is:repost", es, true)
	f("is:reply", &Fields{IsReply: true}, true)
	f("has:geo", es, true)
	f("has:link", es, false)
	f("has:link", &Fields{HasLink: true}, true)
	f("(lang:en OR country:MX) author.followers:>1000", es, true)
	f("is:quote", &Fields{IsQuote: true}, true)
	f("is:quote", es, false)
	usgs := &Fields{Author: "@USGS_Quakes", Bio: "Civil engineer. Periodista; sismólogo #quake 地震研究者です"}
	f("author:usgs_quakes", usgs, true)
	f("author:@USGS_Quakes", usgs, true)
	f("author:usgs", usgs, false)
	f("author:usgs_quakes", nil, false)
	f("-author:usgs_quakes", nil, true)
	f("author.bio:engineer", usgs, true)
	f("author.bio:ENGINEER", usgs, true)
	f("author.bio:engine", usgs, false) // whole words
	f(`author.bio:"civil engineer"`, usgs, true)
	f(`author.bio:"engineer periodista"`, usgs, true) // punctuation between words
	f(`author.bio:"civil periodista"`, usgs, false)   // not one after another
	f("author.bio:SISMÓLOGO", usgs, true)
	f("author.bio:sismologo", usgs, false) // accents count
	f("author.bio:quake", usgs, true)      // a hashtag's word
	f("author.bio:地震", usgs, true)         // a substring in scripts without spaces
	f("author.bio:研究者", usgs, true)
	f("author.bio:津波", usgs, false)
	f("author.bio:engineer", nil, false)
	// An author decoded when asked: once, and only for author filters.
	calls := 0
	lazy := &Fields{AuthorOf: func() (string, string) { calls++; return "usgs_quakes", "seismologist" }}
	f("author:usgs_quakes author.bio:seismologist", lazy, true)
	if calls != 1 || lazy.AuthorOf != nil || lazy.Author != "usgs_quakes" {
		t.Errorf("AuthorOf called %d times (want 1); fields after: %+v", calls, lazy)
	}
	calls = 0
	f("lang:es", &Fields{AuthorOf: func() (string, string) { calls++; return "", "" }}, false)
	if calls != 0 {
		t.Errorf("AuthorOf called by lang:")
	}
	// Region and city, found when asked: once, for both.
	f("region:us-tx", &Fields{Region: "US-TX"}, true)
	f("region:US-TX", &Fields{Region: "US-CA"}, false)
	f("region:MX-09", nil, false)
	f("-region:MX-09", nil, true)
	f(`city:"mexico city"`, &Fields{City: "Mexico City"}, true)
	f("city:Tokyo", &Fields{City: "Mexico City"}, false)
	place := &Fields{PlaceOf: func() (string, string) { calls++; return "MX-09", "Mexico City" }}
	f(`region:MX-09 city:"Mexico City"`, place, true)
	if calls != 1 || place.PlaceOf != nil || place.City != "Mexico City" {
		t.Errorf("PlaceOf called %d times (want 1); fields after: %+v", calls, place)
	}
	calls = 0
	f("country:MX lang:es", &Fields{PlaceOf: func() (string, string) { calls++; return "", "" }}, false)
	if calls != 0 {
		t.Errorf("PlaceOf called by country: or lang:")
	}
}

func TestEvalAllocs(t *testing.T) {
	p, err := Parse(`(quake OR sismo) NEAR/3 cdmx -drill lang:es author.followers:>=100 OR "big one"`)
	if err != nil {
		t.Fatal(err)
	}
	present := []bool{true, false, true, false, false}
	var h Hits
	text := []byte("quake hits cdmx")
	fl := Fields{Lang: "es", Followers: 500}
	allocs := testing.AllocsPerRun(100, func() {
		h.Reset(text)
		h.Add(0, 0, 5)
		h.Add(2, 11, 15)
		if !p.Eval(func(i int) bool { return present[i] }, h.Near, &fl) {
			t.Fatal("no match")
		}
		p.Eval(func(i int) bool { return present[i] }, h.Near, nil)
	})
	if allocs != 0 {
		t.Fatalf("Eval allocates %v times per run", allocs)
	}
}

// ast is a query built by the differential test, evaluated naively.
type ast struct {
	op   string // "term", "field", "not", "and", "or", "near", "onear"
	term string
	fld  string // field filter as written
	dist int
	kids []*ast
}

var (
	diffTerms  = []string{"quake", "sismo", "#temblor", "@usgs", "earthquak*", `"flood victims"`, "地震", "c++"}
	diffFields = []string{"lang:es", "lang:pt", "country:MX", "source:x", "author.followers:>=100",
		"author.followers:<50", "author.followers:=7", "author.verified:true", "is:repost", "is:reply", "has:geo", "has:link",
		"is:quote", "author:usgs", `author.bio:"civil engineer"`}
)

func randAST(r *rand.Rand, depth int) *ast {
	if depth == 0 || r.IntN(4) == 0 {
		switch r.IntN(6) {
		case 0:
			return &ast{op: "field", fld: diffFields[r.IntN(len(diffFields))]}
		case 1:
			side := func() []*ast {
				var s []*ast
				for n := 1 + r.IntN(2); n > 0; n-- {
					s = append(s, &ast{op: "term", term: diffTerms[r.IntN(len(diffTerms))]})
				}
				return s
			}
			op := "near"
			if r.IntN(2) == 0 {
				op = "onear"
			}
			return &ast{op: op, dist: r.IntN(4), kids: []*ast{{op: "or", kids: side()}, {op: "or", kids: side()}}}
		}
		return &ast{op: "term", term: diffTerms[r.IntN(len(diffTerms))]}
	}
	switch r.IntN(3) {
	case 0:
		return &ast{op: "not", kids: []*ast{randAST(r, depth-1)}}
	case 1:
		return &ast{op: "and", kids: []*ast{randAST(r, depth-1), randAST(r, depth-1)}}
	}
	return &ast{op: "or", kids: []*ast{randAST(r, depth-1), randAST(r, depth-1)}}
}

// render writes a fully parenthesised query in a randomly chosen spelling.
func (a *ast) render(r *rand.Rand) string {
	pick := func(s ...string) string { return s[r.IntN(len(s))] }
	switch a.op {
	case "term":
		return a.term
	case "field":
		return a.fld
	case "not":
		return pick("NOT ", "-") + "(" + a.kids[0].render(r) + ")"
	case "and":
		return "(" + a.kids[0].render(r) + pick(" AND ", " && ", " ") + a.kids[1].render(r) + ")"
	case "or":
		var parts []string
		for _, k := range a.kids {
			parts = append(parts, k.render(r))
		}
		return "(" + strings.Join(parts, pick(" OR ", " || ")) + ")"
	}
	op := "NEAR/"
	if a.op == "onear" {
		op = "ONEAR/"
	}
	return "(" + a.kids[0].render(r) + " " + op + fmt.Sprint(a.dist) + " " + a.kids[1].render(r) + ")"
}

type world struct {
	present map[string]bool
	gap     func(a, b string) (int, bool) // words between a and b when a occurs before b
	f       Fields
}

func (w *world) fieldMatch(s string) bool {
	f := &w.f
	switch s {
	case "lang:es":
		return f.Lang == "es"
	case "lang:pt":
		return f.Lang == "pt" || strings.HasPrefix(f.Lang, "pt-")
	case "country:MX":
		return f.Country == "MX"
	case "source:x":
		return f.Source == "x"
	case "author.followers:>=100":
		return f.Followers >= 100
	case "author.followers:<50":
		return f.Followers >= 0 && f.Followers < 50
	case "author.followers:=7":
		return f.Followers == 7
	case "author.verified:true":
		return f.Verified
	case "is:repost":
		return f.IsRepost
	case "is:reply":
		return f.IsReply
	case "has:geo":
		return f.HasGeo
	case "has:link":
		return f.HasLink
	case "is:quote":
		return f.IsQuote
	case "author:usgs":
		return strings.EqualFold(strings.TrimPrefix(f.Author, "@"), "usgs")
	case `author.bio:"civil engineer"`:
		words := strings.FieldsFunc(strings.ToLower(f.Bio), func(r rune) bool { return !unicode.IsLetter(r) })
		return strings.Contains(" "+strings.Join(words, " ")+" ", " civil engineer ")
	}
	panic(s)
}

func (a *ast) eval(w *world) bool {
	switch a.op {
	case "term":
		return w.present[a.term]
	case "field":
		return w.fieldMatch(a.fld)
	case "not":
		return !a.kids[0].eval(w)
	case "and":
		return a.kids[0].eval(w) && a.kids[1].eval(w)
	case "or":
		for _, k := range a.kids {
			if k.eval(w) {
				return true
			}
		}
		return false
	}
	for _, x := range a.kids[0].kids {
		for _, y := range a.kids[1].kids {
			if !w.present[x.term] || !w.present[y.term] {
				continue
			}
			if g, ok := w.gap(x.term, y.term); ok && g <= a.dist {
				return true
			}
			if g, ok := w.gap(y.term, x.term); ok && g <= a.dist && a.op == "near" {
				return true
			}
		}
	}
	return false
}

func TestDifferential(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	langs := []string{"", "es", "pt", "pt-BR", "en"}
	valid := 0
	for iter := 0; iter < 3000; iter++ {
		a := randAST(r, 1+r.IntN(5))
		src := a.render(r)
		p, err := Parse(src)
		if err != nil {
			if !strings.Contains(err.Error(), "none of its terms") && !strings.Contains(err.Error(), "no search term") {
				t.Fatalf("Parse(%q): %v", src, err)
			}
			continue
		}
		valid++
		// The canonical form is equivalent too.
		p2, err := Parse(p.String())
		if err != nil {
			t.Fatalf("Parse(%q) (canonical of %q): %v", p.String(), src, err)
		}
		sat, satOK := p.Satisfiable()
		for trial := 0; trial < 20; trial++ {
			seed := r.Uint64()
			w := &world{present: map[string]bool{}, f: Fields{
				Lang: langs[r.IntN(len(langs))], Country: []string{"", "MX", "US"}[r.IntN(3)],
				Source: []string{"", "x"}[r.IntN(2)], Followers: []int64{-1, 0, 7, 49, 100, 5000}[r.IntN(6)],
				Verified: r.IntN(2) == 0, IsRepost: r.IntN(2) == 0, IsReply: r.IntN(2) == 0,
				HasGeo: r.IntN(2) == 0, HasLink: r.IntN(2) == 0, IsQuote: r.IntN(2) == 0,
				Author: []string{"", "usgs", "@USGS", "usgs2"}[r.IntN(4)],
				Bio:    []string{"", "Civil Engineer", "civil, engineer!", "civil", "engineer civil", "a civil engineering"}[r.IntN(6)],
			}}
			w.gap = func(x, y string) (int, bool) {
				h := seed
				for _, c := range x + "\x00" + y {
					h = h*1099511628211 ^ uint64(c)
				}
				return int(h>>8) % 5, h&3 != 0
			}
			noTerms := trial == 0
			for _, term := range diffTerms {
				w.present[term] = !noTerms && r.IntN(2) == 0
			}
			want := a.eval(w)
			if want && !sat {
				t.Fatalf("%s matched %+v, but Satisfiable = false (ok %v)", src, w, satOK)
			}
			for _, prog := range []*Program{p, p2} {
				present := func(i int) bool { return w.present[prog.Terms[i]] }
				near := func(x, y, dist int, ordered bool) bool {
					a, b := prog.qterms[x], prog.qterms[y]
					if g, ok := w.gap(a, b); ok && g <= dist {
						return true
					}
					g, ok := w.gap(b, a)
					return !ordered && ok && g <= dist
				}
				got := prog.Eval(present, near, &w.f)
				if got != want {
					t.Fatalf("%s (canonical %s) in %+v: got %v, want %v", src, prog, w, got, want)
				}
				f := w.f
				if steps := prog.Trace(nil, present, near, &f); steps[0].Holds != want {
					t.Fatalf("%s (canonical %s) in %+v: Trace says %v, want %v", src, prog, w, steps[0].Holds, want)
				}
			}
			if noTerms && want {
				t.Fatalf("%s matched without any term", src)
			}
		}
	}
	if valid < 500 {
		t.Fatalf("only %d of 3000 random queries were valid", valid)
	}
	t.Logf("%d valid random queries", valid)
}

func TestTriggers(t *testing.T) {
	for _, c := range []struct {
		src  string
		want []string // nil: unknown
	}{
		{"quake", []string{"quake"}},
		{"quake OR sismo", []string{"quake", "sismo"}},
		{"alert tsunami", []string{"tsunami"}},                  // AND: one operand, the longer
		{"(quake OR sismo) -drill", []string{"quake", "sismo"}}, // never a negated term
		{"earthquake NEAR/3 (damage OR collapse)", []string{"earthquake"}},
		{"(flood OR -is:repost) inundación", []string{"inundación"}},
		{"quake OR (tsunami warning)", []string{"quake", "tsunami"}},
		{`"flash flood" lang:en`, []string{`"flash flood"`}},
		{"NOT NOT quake", nil},
	} {
		p, err := Parse(c.src)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.src, err)
		}
		var got []string
		for _, i := range p.Triggers() {
			got = append(got, p.Terms[i])
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("Triggers(%q) = %q, want %q", c.src, got, c.want)
		}
	}
}

// TestTriggersSound checks on random queries that no assignment of term
// presence without a trigger makes the query true.
func TestTriggersSound(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	checked := 0
	for n := 0; n < 3000; n++ {
		p, err := Parse(randomQuery(rng, 3))
		if err != nil || p.Triggers() == nil {
			continue
		}
		trig := map[int]bool{}
		for _, i := range p.Triggers() {
			trig[int(i)] = true
		}
		for k := 0; k < 64; k++ {
			present := map[int]bool{}
			for i := range p.Terms {
				present[i] = !trig[i] && rng.IntN(2) == 0
			}
			f := &Fields{Lang: "es", Country: "MX", Followers: int64(rng.IntN(2000)), IsRepost: rng.IntN(2) == 0}
			if p.Eval(func(i int) bool { return present[i] }, func(int, int, int, bool) bool { return true }, f) {
				t.Fatalf("%q matches with no trigger %q present: %v", p.Source(), p.Triggers(), present)
			}
			checked++
		}
	}
	if checked < 10000 {
		t.Fatalf("only %d cases checked", checked)
	}
}

// randomQuery returns a random query over a few terms and fields, nested up
// to depth (it may be invalid: one that matches without terms).
func randomQuery(rng *rand.Rand, depth int) string {
	terms := []string{"quake", "sismo", "#temblor", `"flash flood"`, "aftershock", "tsunami", "evac*"}
	fields := []string{"lang:es", "country:MX", "is:repost", "author.followers:>=1000", "has:geo"}
	leaf := func() string {
		if rng.IntN(5) == 0 {
			return fields[rng.IntN(len(fields))]
		}
		return terms[rng.IntN(len(terms))]
	}
	if depth == 0 || rng.IntN(4) == 0 {
		return leaf()
	}
	sub := func() string { return "(" + randomQuery(rng, depth-1) + ")" }
	switch rng.IntN(5) {
	case 0:
		return sub() + " OR " + sub()
	case 1:
		return sub() + " " + sub()
	case 2:
		return sub() + " -" + sub()
	case 3:
		return terms[rng.IntN(len(terms))] + " NEAR/3 (" + terms[rng.IntN(len(terms))] + " OR " + terms[rng.IntN(len(terms))] + ")"
	}
	return "NOT " + sub() + " " + sub()
}
