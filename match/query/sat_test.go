package query

import (
	"strings"
	"testing"
)

func TestSatisfiable(t *testing.T) {
	for _, c := range []struct {
		src string
		sat bool
	}{
		{"quake", true},
		{"quake -quake", false},
		{"quake -QUAKE", false}, // the same word to the engine
		{"quake -ＱＵＡＫＥ", true},  // the same too, but not seen: never said wrongly
		{"quake NOT (quake OR sismo)", false},
		{"quake lang:es lang:pt", false},
		{"quake lang:pt lang:pt-BR", true},
		{"quake (lang:es OR lang:pt) -lang:es -lang:pt", false},
		{"quake country:MX -country:mx", false},
		{"quake source:x source:bluesky", false},
		{"quake author.followers:>100 author.followers:<50", false},
		{"quake author.followers:>=100 author.followers:<=100", true},
		{"quake author.followers:>100 author.followers:<=100", false},
		{"quake author.followers:=0 -author.followers:<1", false},
		{"quake is:repost -is:repost", false},
		{"quake is:repost is:reply has:geo -has:link author.verified:true", true},
		{"quake author.verified:true author.verified:false", false},
		{"(a NEAR/1 b) -(a NEAR/3 b)", true}, // proximity tests are not compared
		{"(a NEAR/1 b) -(a NEAR/1 b)", false},
		{"raw:Quake -quake", false},
		{"raw:Quake quake", true},
		{"raw:Quake -raw:QUAKE", true},
		{`quake author.bio:"de guardia" -author.bio:guardia`, false},
		{`quake author.bio:guardia -author.bio:"de guardia"`, true},
		{"quake author:usgs author:cnn", false},
		{"quake author:usgs -author:USGS", false},
		{"quake -author:usgs", true},
		{"quake region:US-TX region:US-CA", false},
		{"quake region:US-TX -region:us-tx", false},
		{`quake city:Tokyo city:"Mexico City"`, false},
		{"quake region:MX-09 city:Tokyo", true}, // not compared with each other: never said wrongly
	} {
		p, err := Parse(c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		if sat, ok := p.Satisfiable(); !ok || sat != c.sat {
			t.Errorf("%s: Satisfiable = %v, %v; want %v", c.src, sat, ok, c.sat)
		}
	}
	// Too many cases: not judged, and never said unsatisfiable.
	p, err := Parse(strings.Repeat("a ", 1) + "(" + strings.Join(strings.Fields("b c d e f g h i j k l m n o p q r s t u v w x y z aa bb cc dd ee ff"), " OR ") + ") -a")
	if err != nil {
		t.Fatal(err)
	}
	if sat, ok := p.Satisfiable(); ok || !sat {
		t.Errorf("32 terms: Satisfiable = %v, %v; want true, false", sat, ok)
	}
}

func TestMatchesAlone(t *testing.T) {
	for _, c := range []struct {
		src, term string
		alone     bool
	}{
		{"quake OR the", "the", true},
		{"quake OR the", "quake", true},
		{"quake the", "the", false},
		{"the lang:en", "the", true},
		{"the -quake", "the", true},
		{`the NEAR/2 quake`, "the", false},
		{`(the OR a) -is:repost author.followers:>1000`, "a", true},
	} {
		p, err := Parse(c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		i := -1
		for k, term := range p.Terms {
			if term == c.term {
				i = k
			}
		}
		if alone, ok := p.MatchesAlone(i); !ok || alone != c.alone {
			t.Errorf("%s, %s alone: %v, %v; want %v", c.src, c.term, alone, ok, c.alone)
		}
	}
}

func TestKey(t *testing.T) {
	key := func(src string) string {
		p, err := Parse(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		return p.Key()
	}
	for _, c := range [][2]string{
		{"quake tsunami", "tsunami AND quake"},
		{"(a OR b) -c lang:es", "lang:es NOT c (b OR a)"},
		{"(a OR b) NEAR/2 (c OR d)", "(b OR a) NEAR/2 (d OR c)"},
	} {
		if a, b := key(c[0]), key(c[1]); a != b {
			t.Errorf("%s: %s, %s: %s", c[0], a, c[1], b)
		}
	}
	for _, c := range [][2]string{
		{"a ONEAR/2 b", "b ONEAR/2 a"},
		{"a NEAR/2 b", "a ONEAR/2 b"},
		{"a -b", "b -a"},
		{"raw:A", "A"},
	} {
		if a, b := key(c[0]), key(c[1]); a == b {
			t.Errorf("%s and %s: the same key %s", c[0], c[1], a)
		}
	}
}
