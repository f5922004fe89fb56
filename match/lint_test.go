package match

import (
	"strings"
	"testing"
)

func TestLint(t *testing.T) {
	src := `rules:
  - id: ok
    query: quake tsunami
  - id: never
    query: sismo lang:es -sismo
  - id: never-fields
    query: sismo lang:es lang:pt
  - id: common
    query: quake OR the
  - id: common-needs-more
    query: the quake
  - id: prefix
    query: th* OR storm
  - id: long-prefix
    query: thunder*
  - id: phrase
    query: '"the end" OR #the'
  - id: dup
    query: tsunami quake
  - id: dup-other-route
    query: quake tsunami
    route: geo
  - id: raw
    query: raw:The
  - id: other-alerts
    query: quake tsunami
    alert: {threshold: 2}
  - id: other-tags
    query: quake tsunami
    tags: [b]
`
	rules, err := Parse("rules.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	e, err := Compile(rules)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range e.Lint() {
		got = append(got, w.String())
	}
	want := []string{
		`rules.yaml:5:12: warning: rule "never" can never match: no post can satisfy (sismo AND lang:es AND NOT sismo)`,
		`rules.yaml:7:12: warning: rule "never-fields" can never match: no post can satisfy (sismo AND lang:es AND lang:pt)`,
		`rules.yaml:9:21: warning: rule "common" matches every post with "the", one of the commonest words, whatever else it holds`,
		`rules.yaml:13:12: warning: rule "prefix" matches every post with "the", one of the commonest words, whatever else it holds`,
		`rules.yaml:19:12: warning: rule "dup" repeats rule "ok" (rules.yaml:3:12): the same query, route, tags, level and alert settings`,
	}
	if len(got) != len(want) {
		t.Fatalf("got %d warnings:\n%s", len(got), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("warning %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
	// A keyword list's line that is a common word.
	kw, err := Parse("lexicon.txt", []byte("earthquake\nthe\n#the\n"))
	if err != nil {
		t.Fatal(err)
	}
	if e, err = Compile(kw); err != nil {
		t.Fatal(err)
	}
	if ws := e.Lint(); len(ws) != 1 || !strings.HasPrefix(ws[0].String(), `lexicon.txt:2:1: warning: rule "the" matches every post with "the"`) {
		t.Errorf("keyword list: %v", ws)
	}
}
