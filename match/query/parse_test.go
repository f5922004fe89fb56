package query

import (
	"errors"
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	f := func(src, want string, terms ...string) {
		t.Helper()
		p, err := Parse(src)
		if err != nil {
			t.Fatalf("Parse(%q): %v", src, err)
		}
		if got := p.String(); got != want {
			t.Errorf("Parse(%q) = %s, want %s", src, got, want)
		}
		if strings.Join(p.Terms, "|") != strings.Join(terms, "|") {
			t.Errorf("Parse(%q).Terms = %q, want %q", src, p.Terms, terms)
		}
		// The canonical form parses back to itself.
		p2, err := Parse(p.String())
		if err != nil || p2.String() != p.String() {
			t.Errorf("reparse of %s: %v, %v", p.String(), p2, err)
		}
	}
	// terms
	f("quake", "quake", "quake")
	f("  #temblor ", "#temblor", "#temblor")
	f("@xboxsupport", "@xboxsupport", "@xboxsupport")
	f("earthquak*", "earthquak*", "earthquak*")
	f("地震", "地震", "地震")
	f(`"flood victims"`, `"flood victims"`, `"flood victims"`)
	f(`"flood victim"*`, `"flood victim"*`, "flood victim*")
	f(`"AND"`, `"AND"`, `"AND"`)
	f("c++ 🔥", "(c++ AND 🔥)", "c++", "🔥")
	f("and or not near", "(and AND or AND not AND near)", "and", "or", "not", "near")
	f("12:30", "12:30", "12:30")
	f("Quake quake", "(Quake AND quake)", "Quake", "quake") // the engine folds case
	f(`quake region:us-tx city:"Mexico City" city:tokyo`, `(quake AND region:US-TX AND city:"Mexico City" AND city:tokyo)`, "quake")
	// raw: terms are terms of their own, matched as written.
	f("raw:Apple OR apple", "(raw:Apple OR apple)", "Apple", "apple")
	f("raw:apple apple", "(raw:apple AND apple)", "apple", "apple")
	f(`RAW:"Apple Music" -pie`, `(RAW:"Apple Music" AND NOT pie)`, `"Apple Music"`, "pie")
	f(`raw:"Apple Mus"*`, `raw:"Apple Mus"*`, "Apple Mus*")
	f("raw:#Apple raw:Earthquak*", "(raw:#Apple AND raw:Earthquak*)", "#Apple", "Earthquak*")
	// boolean operators and precedence: NOT > AND > OR
	f("a OR b AND c", "(a OR (b AND c))", "a", "b", "c")
	f("a AND b OR c", "(c OR (a AND b))", "a", "b", "c")
	f("a b OR c d", "((a AND b) OR (c AND d))", "a", "b", "c", "d")
	f("a || b && c", "(a OR (b AND c))", "a", "b", "c")
	f("(a OR b) c", "(c AND (a OR b))", "a", "b", "c")
	f("a NOT b", "(a AND NOT b)", "a", "b")
	f("a -b -(c OR d)", "(a AND NOT b AND NOT (c OR d))", "a", "b", "c", "d")
	f("a AND NOT NOT b", "(a AND NOT NOT b)", "a", "b")
	f("a OR a OR a", "(a OR a OR a)", "a")
	f("((a OR b) OR (c OR d))", "(a OR b OR c OR d)", "a", "b", "c", "d")
	f("(((a)))", "a", "a")
	f("a - b", "(a AND - AND b)", "a", "-", "b") // a lone - is a term
	f("a-b", "a-b", "a-b")
	// proximity binds tighter than NOT
	f("quake NEAR/5 cdmx", "(quake NEAR/5 cdmx)", "quake", "cdmx")
	f("alert ONEAR/0 earthquak*", "(alert ONEAR/0 earthquak*)", "alert", "earthquak*")
	f(`(quake OR sismo) NEAR/3 ("ciudad de méxico" OR cdmx)`,
		`((quake OR sismo) NEAR/3 ("ciudad de méxico" OR cdmx))`, "quake", "sismo", `"ciudad de méxico"`, "cdmx")
	f("NOT a NEAR/2 b c", "(c AND NOT (a NEAR/2 b))", "a", "b", "c")
	f("x OR a NEAR/2 b", "(x OR (a NEAR/2 b))", "x", "a", "b")
	// field filters
	f("quake lang:ES", "(quake AND lang:es)", "quake")
	f("quake country:mx", "(quake AND country:MX)", "quake")
	f("quake source:Mastodon", "(quake AND source:mastodon)", "quake")
	f("quake author.followers:>=1000", "(quake AND author.followers:>=1000)", "quake")
	f("quake author.followers:10", "(quake AND author.followers:=10)", "quake")
	f("quake author.followers:<5 OR b", "(b OR (quake AND author.followers:<5))", "quake", "b")
	f("quake Author.Verified:TRUE -is:repost -is:reply has:geo has:link",
		"(quake AND author.verified:true AND NOT is:repost AND NOT is:reply AND has:geo AND has:link)", "quake")
	f("quake lang:pt-BR", "(quake AND lang:pt-br)", "quake")
	f("quake author:@USGS_Quakes is:quote", "(quake AND author:USGS_Quakes AND is:quote)", "quake")
	f("quake -author:user@mastodon.social", "(quake AND NOT author:user@mastodon.social)", "quake")
	f(`quake Author.Bio:"civil, engineer" author.bio:Periodista`,
		`(quake AND author.bio:"civil engineer" AND author.bio:Periodista)`, "quake")
	f(`(quake author.bio:"地震 研究") OR sismo`, `(sismo OR (quake AND author.bio:"地震 研究"))`, "quake", "sismo")
	f("(quake lang:es) OR (earthquake lang:en)", "((quake AND lang:es) OR (earthquake AND lang:en))", "quake", "earthquake")
	f("quake AND NOT (lang:es OR country:MX)", "(quake AND NOT (lang:es OR country:MX))", "quake")
	f("quake\u3000地震", "(quake AND 地震)", "quake", "地震") // ideographic space separates
}

func TestParseErrors(t *testing.T) {
	f := func(src string, col int, msg string) {
		t.Helper()
		_, err := Parse(src)
		var qe *Error
		if !errors.As(err, &qe) {
			t.Fatalf("Parse(%q) = %v, want *Error", src, err)
		}
		if qe.Col != col || !strings.Contains(qe.Msg, msg) {
			t.Errorf("Parse(%q) = col %d %q, want col %d %q", src, qe.Col, qe.Msg, col, msg)
		}
		if qe.Col < 1 || qe.Col > len(src)+1 {
			t.Errorf("Parse(%q): col %d outside the query", src, qe.Col)
		}
	}
	f("", 1, "empty query")
	f("   ", 1, "empty query")
	f("quake AND", 10, "AND needs a term after it")
	f("quake region:TX", 14, "invalid region")
	f("quake region:XX-01", 14, "invalid region")
	f("quake region:US-TEXAS", 14, "invalid region")
	f(`quake city:" "`, 13, "city: has no value")
	f("raw:", 5, "raw: needs a term after it")
	f("quake raw:AND", 11, "raw: needs a term after it")
	f("raw:lang:es", 5, "raw: needs a term after it")
	f("raw:ear*quake", 8, "wildcard * is only allowed at the end")
	f(`raw:"Apple`, 5, "unterminated phrase")
	f("raw: Apple", 5, "raw: needs a term after it")
	f("quake OR", 9, "OR needs a term after it")
	f("NOT", 4, "NOT needs a term after it")
	f("AND quake", 1, "AND needs a term before it")
	f("quake AND OR b", 11, "OR cannot follow AND")
	f("quake OR || b", 10, "|| cannot follow OR")
	f("(quake", 1, "unclosed (")
	f("a (b OR (c d)", 3, "unclosed (")
	f("quake)", 6, "unmatched )")
	f("(a OR)", 6, "OR needs a term after it")
	f("a ()", 3, "empty parentheses")
	f(`"flood victims`, 1, "unterminated phrase")
	f(`a ""`, 3, "empty phrase")
	f(`"a  "b`, 6, "unexpected text after the phrase")
	f(`"a b*"*`, 7, "literal *")
	f(`ab"c"`, 3, "double quote inside a term")
	f("ear*thquake", 4, "wildcard * is only allowed at the end")
	f("a *", 3, "must follow a letter")
	f("a NEAR b", 3, "NEAR needs a distance")
	f("a ONEAR b", 3, "ONEAR needs a distance")
	f("a NEAR/x b", 8, "invalid distance")
	f("a NEAR/101 b", 8, "invalid distance")
	f("a NEAR/-1 b", 8, "invalid distance")
	f("a NEAR/+1 b", 8, "invalid distance")
	f("NEAR/3 b", 1, "NEAR/3 needs a term before it")
	f("a NEAR/3", 9, "NEAR/3 needs a term after it")
	f("a NEAR/3 b NEAR/3 c", 12, "cannot be chained")
	f("(a AND b) NEAR/3 c", 2, "operands of NEAR/3")
	f("a NEAR/3 (b OR NOT c)", 11, "operands of NEAR/3")
	f("a NEAR/3 lang:es", 10, "operands of NEAR/3")
	f("a NEAR/3 NOT b", 10, "NOT cannot follow NEAR/3")
	// field filters
	f("quake lang:", 12, "has no value")
	f("quake langue:es", 7, `unknown field "langue"`)
	f("quake https://t.co", 7, `unknown field "https"`)
	f("quake lang:e", 12, "invalid language")
	f("quake lang:e5", 12, "invalid language")
	f("quake country:UK", 15, `unknown country "UK"`)
	f("quake country:MEX", 15, "unknown country")
	f("quake source:x/y", 14, "invalid source")
	f("quake author.followers:>=1k", 24, "invalid follower count")
	f("quake author.followers:=>5", 24, "invalid follower count")
	f("quake author.followers:-5", 24, "invalid follower count")
	f("quake author.verified:yes", 23, "author.verified")
	f("quake is:quoted", 10, `unknown value "quoted" for is:`)
	f("quake author:", 14, "has no value")
	f("quake author:@", 14, "invalid handle")
	f("quake author:a/b", 14, "invalid handle")
	f(`quake author:"a b"`, 15, "invalid handle")
	f("quake author.bio:--", 18, "no word")
	f(`quake author.bio:"x`, 18, "unterminated value")
	f(`quake author.bio:"x"y`, 21, "unexpected text after the value")
	f(`quake author.bio:""`, 19, "has no value")
	f("quake has:photo", 11, `unknown value "photo" for has:`)
	// queries that would match without any term
	f("lang:es", 1, "no search term")
	f("lang:es AND NOT is:repost", 1, "no search term")
	f("NOT quake", 1, "none of its terms")
	f("-quake", 1, "none of its terms")
	f("quake OR NOT tsunami", 1, "none of its terms")
	f("quake OR lang:es", 1, "none of its terms")
	f("(quake OR lang:es) -is:repost", 1, "none of its terms")
	f("NOT (quake AND tsunami)", 1, "none of its terms")
	// bytes
	f("quake \xff", 7, "invalid UTF-8")
	f(strings.Repeat("(", 100)+"a"+strings.Repeat(")", 100), 65, "nested too deeply")
	f(strings.Repeat("NOT ", 100)+"a", 257, "nested too deeply")
	f(strings.Repeat("a ", MaxQueryBytes), MaxQueryBytes+1, "too long")
}

func TestErrorString(t *testing.T) {
	_, err := Parse("quake country:UK")
	want := `col 15: unknown country "UK" (hint: the ISO code of the United Kingdom is GB)`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
}

func TestProgramQueries(t *testing.T) {
	f := func(src string, simple, any, near, fields bool) {
		t.Helper()
		p, err := Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		term, ok := p.Simple()
		if ok != simple || ok && term != p.Terms[0] {
			t.Errorf("%q: Simple = %q, %v", src, term, ok)
		}
		if p.AnyTerm() != any || p.HasNear() != near || p.HasFields() != fields {
			t.Errorf("%q: AnyTerm %v HasNear %v HasFields %v", src, p.AnyTerm(), p.HasNear(), p.HasFields())
		}
		if p.Source() != src {
			t.Errorf("Source = %q", p.Source())
		}
	}
	f("quake", true, true, false, false)
	f(`"flood victims"`, true, true, false, false)
	f("(quake)", true, true, false, false)
	f("quake OR sismo OR 地震", false, true, false, false)
	f("quake sismo", false, false, false, false)
	f("quake OR (sismo lang:es)", false, false, false, true)
	f("quake NEAR/2 cdmx", false, false, true, false)
	// A raw: term needs Eval, which checks how it is written.
	f("raw:US", false, false, false, false)
	f("raw:US OR USA", false, false, false, false)
	p, err := Parse("raw:US OR us OR raw:us")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Terms) != 3 || !p.Raw(0) || p.Raw(1) || !p.Raw(2) {
		t.Errorf("raw:US OR us OR raw:us: terms %q, raw %v %v %v", p.Terms, p.Raw(0), p.Raw(1), p.Raw(2))
	}
}

func TestTermCol(t *testing.T) {
	p, err := Parse(`lang:es (sismo OR "ciudad de méxico") NEAR/3 sismo OR ear*`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"sismo": 10, `"ciudad de méxico"`: 19, "ear*": 56}
	for i, term := range p.Terms {
		if p.TermCol(i) != want[term] {
			t.Errorf("TermCol(%q) = %d, want %d", term, p.TermCol(i), want[term])
		}
	}
	if len(p.Terms) != 3 {
		t.Fatalf("Terms = %q", p.Terms)
	}
}

func TestLiteral(t *testing.T) {
	f := func(line, want string) {
		t.Helper()
		if got := Literal(line); got != want {
			t.Fatalf("Literal(%q) = %q, want %q", line, got, want)
		}
		p, err := Parse(want)
		if err != nil {
			if want == line { // left for the engine to reject
				return
			}
			t.Fatalf("Parse(Literal(%q)): %v", line, err)
		}
		if _, ok := p.Simple(); !ok {
			t.Fatalf("Literal(%q) = %s is not one term", line, p)
		}
	}
	f("earthquake", "earthquake")
	f("#temblor", "#temblor")
	f("earthquak*", "earthquak*")
	f(`"flood victims"`, `"flood victims"`)
	f("flood victims", `"flood victims"`)
	f("flood victim*", `"flood victim"*`)
	f("fire OR flood", `"fire OR flood"`)
	f("AND", `"AND"`)
	f("NEAR/3", `"NEAR/3"`)
	f("NEAR", `"NEAR"`)
	f("-5", `"-5"`)
	f("https://t.co/x", `"https://t.co/x"`)
	f(":)", `":)"`)
	f("地震", "地震")
	f(`bad"quote`, `bad"quote`)
	f("ear*th", "ear*th")
}

func TestPositive(t *testing.T) {
	f := func(src, positive string) {
		t.Helper()
		p, err := Parse(src)
		if err != nil {
			t.Fatalf("Parse(%q): %v", src, err)
		}
		var got []string
		for i, term := range p.Terms {
			if p.Positive(i) {
				got = append(got, term)
			}
		}
		if strings.Join(got, " ") != positive {
			t.Errorf("%q: positive terms %q, want %q", src, got, positive)
		}
	}
	f("quake", "quake")
	f("quake -drill", "quake")
	f("quake NOT (drill OR test)", "quake")
	f("quake NOT NOT sismo", "quake sismo")
	f("quake OR (sismo -quake)", "quake sismo")
	f("(a OR b) NEAR/2 c -d lang:es", "a b c")
	f("a -(b NEAR/1 c)", "a")
}
