package match

import (
	"fmt"
	"strings"
	"testing"
)

func TestWhy(t *testing.T) {
	e := compileRules(t,
		Rule{ID: "ist", Query: "istanbul lang:tr", Enabled: true},
		Rule{ID: "quake", Query: "(earthquake OR sismo) -drill", Enabled: true},
		Rule{ID: "plain", Query: "tsunami", Enabled: true},
		Rule{ID: "wild", Query: "earthquak*", Enabled: true},
		Rule{ID: "near", Query: `"red light" NEAR/1 xbox`, Enabled: true},
		Rule{ID: "neg", Query: "flood -drill", Enabled: true},
		Rule{ID: "fold", Query: "sísmo OR terremoto", Enabled: true, IgnoreDiacritics: true},
	)
	render := func(d *Doc) string {
		var b strings.Builder
		for _, w := range e.Why(d) {
			fmt.Fprintf(&b, "%s %v:", e.Rules()[w.Rule].ID, w.Matched)
			for _, s := range w.Steps {
				fmt.Fprintf(&b, " %d:%s=%v", s.Depth, s.Part, s.Holds)
				if s.Saw != "" {
					fmt.Fprintf(&b, "[%s]", s.Saw)
				}
				if s.Term >= 0 {
					for _, sp := range w.Occurs[s.Term] {
						fmt.Fprintf(&b, "@%q", d.Text[sp.Start:sp.End])
					}
				}
			}
			b.WriteByte('\n')
		}
		return b.String()
	}
	for _, c := range []struct {
		doc  Doc
		want string
	}{
		// The rule whose term occurs but whose field does not hold, the
		// rule its NOT stops, a wildcard's whole word; "neg" is left out:
		// only its negated term occurs; "plain" and "near": nothing of them.
		{Doc{Text: []byte("SISMO drill in İSTANBUL, earthquakes"), Lang: "en"},
			"ist false: 0:(istanbul AND lang:tr)=false 1:istanbul=true@\"İSTANBUL\" 1:lang:tr=false[lang en]\n" +
				"quake false: 0:((earthquake OR sismo) AND NOT drill)=false 1:(earthquake OR sismo)=true 2:earthquake=false 2:sismo=true@\"SISMO\" 1:NOT drill=false 2:drill=true@\"drill\"\n" +
				"wild true: 0:earthquak*=true@\"earthquakes\"\n" +
				"fold true: 0:(sísmo OR terremoto)=true 1:sísmo=true@\"SISMO\" 1:terremoto=false\n"},
		// A language found on demand, as the pipeline finds it.
		{Doc{Text: []byte("istanbul"), LangOf: func() string { return "tr" }},
			"ist true: 0:(istanbul AND lang:tr)=true 1:istanbul=true@\"istanbul\" 1:lang:tr=true[lang tr]\n"},
		// Proximity: both terms occur, too far apart.
		{Doc{Text: []byte("red light is flashing on my xbox")},
			"near false: 0:(\"red light\" NEAR/1 xbox)=false 1:\"red light\"=true@\"red light\" 1:xbox=true@\"xbox\"\n"},
		{Doc{Text: []byte("red light xbox")},
			"near true: 0:(\"red light\" NEAR/1 xbox)=true 1:\"red light\"=true@\"red light\" 1:xbox=true@\"xbox\"\n"},
		{Doc{Text: []byte("nothing here")}, ""},
	} {
		d := c.doc
		got := render(&d)
		if got != c.want {
			t.Errorf("%q:\ngot\n%s\nwant\n%s", c.doc.Text, got, c.want)
		}
		checkWhy(t, e, &c.doc, e.Match(nil, &c.doc))
	}
}
