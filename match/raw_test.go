package match

import "testing"

func TestRawEqual(t *testing.T) {
	for _, c := range []struct {
		span, term string
		want       bool
	}{
		{"Apple", "Apple", true},
		{"apple", "Apple", false},
		{"APPLE", "Apple", false},
		{"Ａｐｐｌｅ", "Apple", false},                     // width
		{"#Apple", "#Apple", true},                    // the tag's # is the automaton's concern
		{"Apple  Music", `"Apple Music"`, true},       // separators only separate
		{"Apple-Music", `"Apple Music"`, true},        // as the automaton accepts them
		{"Apple music", `"Apple Music"`, false},       // case in any word
		{"Appl", "Appl*", true},                       // a wildcard's span is its prefix
		{"appl", "Appl*", false},                      //
		{"Sísmo", "Sísmo", true},                      //
		{"Si\u0301smo", "Sísmo", true},                // NFC: the same text decomposed
		{"Sismo", "Sísmo", false},                     // accents
		{"İstanbul", "İstanbul", true},                //
		{"Istanbul", "İstanbul", false},               //
		{"Ap\u00adple", "Apple", true},                // a soft hyphen is skipped, as the automaton skips it
		{"US", "US", true},                            //
		{"Us", "US", false},                           //
		{"地震", "地震", true},                            // no case: as the automaton found it
		{"ｶﾞｲﾄﾞ", "ガイド", false},                       // half-width katakana is another form
		{"Apple Music", `"Apple Music Store"`, false}, // never, but fewer words is not equal
	} {
		if got := rawEqual([]byte(c.span), c.term); got != c.want {
			t.Errorf("rawEqual(%q, %q) = %v, want %v", c.span, c.term, got, c.want)
		}
	}
}

func TestRawRules(t *testing.T) {
	e := compileRules(t,
		Rule{ID: "us", Query: "raw:US", Enabled: true},
		Rule{ID: "apple", Query: `(raw:Apple OR raw:"Apple Music") -pie`, Enabled: true},
		Rule{ID: "both", Query: "raw:Quake OR quake", Enabled: true},
		Rule{ID: "near", Query: "raw:Xbox NEAR/2 (dead OR broken)", Enabled: true},
		Rule{ID: "fold", Query: "raw:Sísmo", Enabled: true, IgnoreDiacritics: true},
		Rule{ID: "wild", Query: "raw:Earthquak*", Enabled: true},
	)
	for _, c := range []struct {
		text string
		want string
	}{
		{"flights to the US cancelled", "us"},
		{"let us know", ""},
		{"Apple pie recipe", ""},
		{"my Apple watch", "apple"},
		{"apple watch", ""},
		{"apple music and Apple Music", "apple"},
		{"QUAKE", "both"},
		{"my xbox is dead", ""},
		{"my Xbox is dead", "near"},
		{"XBOX Xbox, dead", "near"},
		{"Xbox is not really dead, it is the xbox of my friend", ""},
		{"Sismo fuerte", ""}, // raw: keeps the accents of a diacritic-insensitive rule
		{"Sísmo fuerte", "fold"},
		{"Earthquakes!", "wild"},
		{"earthquakes!", ""},
	} {
		var got string
		for _, r := range e.Match(nil, &Doc{Text: []byte(c.text)}) {
			got += e.Rules()[r].ID + " "
		}
		if want := c.want; got != want+" " && !(want == "" && got == "") {
			t.Errorf("%q: matched %q, want %q", c.text, got, want)
		}
		d := &Doc{Text: []byte(c.text)}
		checkExplain(t, e, d, e.Match(nil, d))
	}
}
