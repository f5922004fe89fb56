package match

import (
	"errors"
	"slices"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"earthquake\n#temblor\n# comment\n\"flood victims\"\nearthquak*\n",
		"rules:\n  - id: a\n    query: sismo\n    tags: [x]\n",
		"rules:\n  - id: a\n    query: \"ear*th\"\n  - id: a\n",
		"\xEF\xBB\xBF@\n*\n\"\n", "rules: [", "rules:\n  - [1, 2]\n",
		"rules:\n  - id: a\n    query: x\n    alert: {floor: 2, count: authors, include: [links], cooldown: none}\n",
		"rules:\n  - id: a\n    query: x\n    alert:\n      threshold: 1.5\n      short_window: 90s\n      max_text: none\n",
		"rules:\n  - id: a\n    query: x\n    alert: off\n  - id: b\n    query: y\n    alert: {rearm: .5, long_window: 2h, revival: off}\n",
		"rules:\n  - id: a\n    query: x #tag\n    alert: {revival: {quiet: 14d, floor: 5}}\n  - id: b\n    query: y\n    alert:\n      revival:\n        quiet: 36h\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		rules, err := Parse("f.txt", []byte(src))
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *SyntaxError", err)
			}
			_ = err.Error()
			return
		}
		if _, err := Compile(rules); err != nil {
			t.Fatalf("parsed rules do not compile: %v", err)
		}
		// Alert settings write back as a value that parses to them.
		for i := range rules {
			a := rules[i].Alert
			if a == nil {
				continue
			}
			again, err := Parse("r.yaml", []byte(alertRule(" "+a.String())))
			if err != nil || len(again) != 1 || *alertSettings(again[0].Alert) != *alertSettings(a) {
				t.Fatalf("alert %+v written as %q parses to %+v (%v)", *a, a.String(), again, err)
			}
		}
	})
}

// FuzzMatch compares the automaton with the reference matcher.
func FuzzMatch(f *testing.F) {
	for _, s := range [][2]string{
		{"quake", "earthquake quake"}, {"#temblor", "＃TEMBLOR"}, {"地震", "大地震だ"},
		{"earthquak*", "EARTHQUAKES"}, {`"flood victims"`, "flood \n victims"}, {"istanbul", "İSTANBUL"},
		{"iPhone手机", "买iPhone手机"}, {"c++", "c++\xff"}, {"café", "cafe\u0301"}, {"ジシン", "ｼﾞｼﾝ"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, query, text string) {
		if !isTerm(query) {
			return
		}
		want := refMatch(query, text)
		for _, budget := range []int{denseBudget, 1} {
			e, err := compile([]Rule{{ID: "q", Query: query, Enabled: true}}, budget)
			if err != nil {
				t.Fatal(err)
			}
			got := e.Match(nil, &Doc{Text: []byte(text)})
			if (len(got) == 1) != want || (len(got) == 1 && !slices.Equal(got, []int32{0})) {
				t.Fatalf("%q in %q: got %v, want %v", query, text, got, want)
			}
			if hits := e.Explain(nil, &Doc{Text: []byte(text)}); (len(hits) > 0) != want {
				t.Fatalf("Explain %q in %q: %v", query, text, hits)
			}
		}
	})
}
