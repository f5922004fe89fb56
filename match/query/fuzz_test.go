package query

import (
	"errors"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"quake", `"flood victims"`, `"flood victim"*`, "earthquak*", "#temblor OR @usgs", "地震 -訓練",
		"(sismo OR temblor) lang:es -is:repost author.followers:>=1000",
		`(quake OR sismo) NEAR/3 ("ciudad de méxico" OR cdmx)`, "alert ONEAR/0 quake",
		"a AND", "(a", "a)", `"a`, "NOT a", "lang:es", "a NEAR/x b", "country:UK a", "-", "a --b",
		"a && b || c", "a\u3000b", "\xff",
		`a -author:@x author.bio:"b, c" is:quote`, `raw:Apple OR raw:"Apple Music"*`, "raw:", "raw:AND", `raw:"`, `a author.bio:"`, `a author.bio:""x`, "a author.bio:地震",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := Parse(src)
		if err != nil {
			var qe *Error
			if !errors.As(err, &qe) {
				t.Fatalf("Parse(%q): error %T %v", src, err, err)
			}
			if qe.Col < 1 || qe.Col > len(src)+1 {
				t.Fatalf("Parse(%q): col %d outside the query", src, qe.Col)
			}
			return
		}
		if len(p.Terms) == 0 {
			t.Fatalf("Parse(%q): no terms", src)
		}
		for i, term := range p.Terms {
			if term == "" || strings.ContainsAny(term, "\t\n") && !strings.HasPrefix(term, `"`) && !strings.HasSuffix(term, "*") {
				t.Fatalf("Parse(%q): bad term %q", src, term)
			}
			if c := p.TermCol(i); c < 1 || c > len(src) {
				t.Fatalf("Parse(%q): TermCol(%d) = %d", src, i, c)
			}
		}
		// No term present: never a match, whatever the fields.
		for _, fl := range []*Fields{nil, {Lang: "es", Country: "MX", Source: "x", Followers: 5,
			Verified: true, IsRepost: true, IsReply: true, HasGeo: true, HasLink: true}} {
			if p.Eval(func(int) bool { return false }, func(int, int, int, bool) bool { return true }, fl) {
				t.Fatalf("Parse(%q) matches without terms", src)
			}
		}
		// The canonical form parses to itself.
		p2, err := Parse(p.String())
		if err != nil {
			t.Fatalf("Parse(%q): canonical %q does not parse: %v", src, p.String(), err)
		}
		if p2.String() != p.String() {
			t.Fatalf("Parse(%q): canonical %q reparses as %q", src, p.String(), p2.String())
		}
		all := p.Eval(func(int) bool { return true }, func(int, int, int, bool) bool { return true }, nil)
		if all2 := p2.Eval(func(int) bool { return true }, func(int, int, int, bool) bool { return true }, nil); all != all2 {
			t.Fatalf("Parse(%q): canonical form evaluates differently", src)
		}
	})
}
