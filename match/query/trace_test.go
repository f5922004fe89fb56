package query

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestTrace(t *testing.T) {
	for _, c := range []struct {
		src     string
		present []string
		f       Fields
		want    string // one line per step: indent, yes/no, part, [what the post holds]
	}{
		{src: "quake", present: []string{"quake"}, want: "yes quake"},
		{src: "quake -(drill NOT (real OR true))", present: []string{"quake", "drill", "real"},
			want: "yes (quake AND NOT (drill AND NOT (real OR true)))\n  yes quake\n  yes NOT (drill AND NOT (real OR true))\n" +
				"    no (drill AND NOT (real OR true))\n      yes drill\n      no NOT (real OR true)\n        yes (real OR true)\n" +
				"          yes real\n          no true"},
		{src: "istanbul lang:tr", present: []string{"istanbul"}, f: Fields{Lang: "en"},
			want: "no (istanbul AND lang:tr)\n  yes istanbul\n  no lang:tr [lang en]"},
		// Operands in the order written, though NOT and fields are cheaper.
		{src: `(earthquake OR sismo) -drill is:repost`, present: []string{"sismo", "drill"}, f: Fields{IsRepost: true},
			want: "no ((earthquake OR sismo) AND NOT drill AND is:repost)\n  yes (earthquake OR sismo)\n    no earthquake\n    yes sismo\n" +
				"  no NOT drill\n    yes drill\n  yes is:repost [a repost]"},
		{src: `"red light" NEAR/2 (xbox OR console)`, present: []string{`"red light"`, "console"},
			want: "yes (\"red light\" NEAR/2 (xbox OR console))\n  yes \"red light\"\n  no xbox\n  yes console"},
		{src: "quake author.followers:>=1000 author:usgs", present: []string{"quake"}, f: Fields{Followers: -1},
			want: "no (quake AND author.followers:>=1000 AND author:usgs)\n  yes quake\n  no author.followers:>=1000 [followers unknown]\n  no author:usgs [author unknown]"},
		// A value found on demand is found for the trace and shown.
		{src: "quake lang:es", present: []string{"quake"}, f: Fields{LangOf: func() string { return "es" }},
			want: "yes (quake AND lang:es)\n  yes quake\n  yes lang:es [lang es]"},
	} {
		p, err := Parse(c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		present := func(i int) bool { return slices.Contains(c.present, p.Terms[i]) }
		near := func(a, b, dist int, ordered bool) bool { return present(a) && present(b) }
		f := c.f
		var lines []string
		for _, s := range p.Trace(nil, present, near, &f) {
			l := strings.Repeat("  ", s.Depth) + map[bool]string{true: "yes", false: "no"}[s.Holds] + " " + s.Part
			if s.Saw != "" {
				l += " [" + s.Saw + "]"
			}
			if (s.Term >= 0) != (!strings.ContainsAny(s.Part, ":(") && !strings.HasPrefix(s.Part, "NOT")) {
				t.Errorf("%s: step %q has term index %d", c.src, s.Part, s.Term)
			}
			if s.Term >= 0 && s.Holds != present(s.Term) {
				t.Errorf("%s: term step %q holds %v", c.src, s.Part, s.Holds)
			}
			if s.Term >= 0 && s.Negated == p.Positive(s.Term) {
				t.Errorf("%s: term step %q negated %v", c.src, s.Part, s.Negated)
			}
			lines = append(lines, l)
		}
		if got := strings.Join(lines, "\n"); got != c.want {
			t.Errorf("%s:\ngot\n%s\nwant\n%s", c.src, got, c.want)
		}
		if got, want := p.Trace(nil, present, near, &Fields{Lang: c.f.Lang, LangOf: c.f.LangOf, IsRepost: c.f.IsRepost, Followers: c.f.Followers})[0].Holds,
			p.Eval(present, near, &Fields{Lang: c.f.Lang, LangOf: c.f.LangOf, IsRepost: c.f.IsRepost, Followers: c.f.Followers}); got != want {
			t.Errorf("%s: Trace %v, Eval %v", c.src, got, want)
		}
	}
}

func TestTraceSaw(t *testing.T) {
	f := Fields{Lang: "pt-BR", Country: "BR", Source: "x", Followers: 1200, Verified: true, HasGeo: true,
		Author: "@ana", Bio: strings.Repeat("sismólogo ", 10), PlaceOf: func() (string, string) { return "BR-27", "São Paulo" }}
	p, err := Parse("quake lang:pt country:BR region:BR-27 city:Rio source:mastodon author.followers:>1000 author.verified:false is:reply is:quote has:geo has:link author:ana author.bio:sismólogo")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range p.Trace(nil, func(int) bool { return true }, nil, &f) {
		if s.Saw != "" {
			got = append(got, fmt.Sprintf("%s %v %s", s.Part, s.Holds, s.Saw))
		}
	}
	want := []string{"lang:pt true lang pt-BR", "country:BR true country BR", "region:BR-27 true region BR-27", "city:Rio false city São Paulo",
		"source:mastodon false source x",
		"author.followers:>1000 true followers 1200", "author.verified:false false verified", "is:reply false not a reply",
		"is:quote false not a quote", "has:geo true coordinates", "has:link false no link",
		"author:ana true author @ana", `author.bio:sismólogo true bio "` + strings.Repeat("sismólogo ", 6) + `…"`}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestTraceOps(t *testing.T) {
	p, err := Parse(`(earthquake OR sismo) -drill lang:es ("red light" ONEAR/2 xbox)`)
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, s := range p.Trace(nil, func(int) bool { return false }, nil, nil) {
		ops = append(ops, s.Op)
	}
	if got, want := strings.Join(ops, " "), "and or term term not term field near term term"; got != want {
		t.Errorf("ops %q, want %q", got, want)
	}
	if p.Op() != ops[0] {
		t.Errorf("Op %q, the trace's first step %q", p.Op(), ops[0])
	}
}
