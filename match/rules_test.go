package match

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseKeywords(t *testing.T) {
	src := "\xEF\xBB\xBF# CrisisLex-style lexicon\n\nearthquake\r\n  #temblor  \n#\n#\tcomment\nearthquake\n\"flood victims\"\n地震\n"
	rules, err := Parse("lexicon.txt", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rules {
		ids = append(ids, r.ID)
		if !r.Enabled || r.Query != r.ID {
			t.Errorf("rule %+v", r)
		}
	}
	if got := strings.Join(ids, "|"); got != `earthquake|#temblor|"flood victims"|地震` {
		t.Fatalf("ids = %s", got)
	}
	if p := rules[1].Pos; p != (Pos{File: "lexicon.txt", Line: 4, Col: 3}) {
		t.Fatalf("pos = %+v", p)
	}
}

func TestParseYAML(t *testing.T) {
	src := `rules:
  - id: quake-es
    name: Sismos en español
    query: sismo            # phase 1: one term
    tags: [disaster, es]
    route: crisis-desk
    level: primary
  - id: off
    query: "#temblor"
    enabled: false
`
	for _, file := range []string{"rules.yaml", "rules.txt"} { // detected by extension or by `rules:`
		rules, err := Parse(file, []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if len(rules) != 2 {
			t.Fatalf("rules = %+v", rules)
		}
		r := rules[0]
		if r.ID != "quake-es" || r.Name != "Sismos en español" || r.Query != "sismo" || strings.Join(r.Tags, ",") != "disaster,es" ||
			r.Route != "crisis-desk" || r.Level != "primary" || !r.Enabled || r.Pos.Line != 4 || r.Pos.Col != 12 {
			t.Fatalf("rule = %+v", r)
		}
		if rules[1].Enabled || rules[1].Query != "#temblor" || rules[1].Pos.Col != 13 {
			t.Fatalf("rule = %+v", rules[1])
		}
	}
	if rules, err := Parse("empty.yaml", nil); err != nil || len(rules) != 0 {
		t.Fatalf("empty: %v %v", rules, err)
	}
}

func TestParseErrors(t *testing.T) {
	f := func(file, src string, wants ...string) {
		t.Helper()
		_, err := Parse(file, []byte(src))
		if err == nil {
			t.Fatalf("%s: want an error", file)
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("%s: %T is not a *SyntaxError", file, err)
		}
		for _, w := range wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error\n%s\nlacks %q", file, err, w)
			}
		}
	}
	f("k.txt", "ok\near*thquake\n", "k.txt:2:4: wildcard * is only allowed at the end", "\tear*thquake\n\t   ^\nhint:")
	f("k.txt", "fine\n  \"unclosed\n", "k.txt:2:3: unterminated phrase")
	f("k.txt", "*\n", "k.txt:1:1: wildcard * must follow a letter or digit")
	f("k.txt", "a\n@\n", "k.txt:2:1: lone @")
	f("k.txt", "a \xff\n", "k.txt:1:3: invalid UTF-8")
	f("r.yaml", "rules:\n  - id: a\n    query: ear*thquake\n", "r.yaml:3:15: wildcard", "    query: ear*thquake\n\t              ^")
	f("r.yaml", "rules:\n  - id: a\n    query: \"ear*th\"\n", "r.yaml:3:16: wildcard")
	f("r.yaml", "rules:\n  - id: a\n    qurey: x\n", "r.yaml:3:5: unknown key \"qurey\"", "r.yaml:2:5: rule \"a\" has no query")
	f("r.yaml", "rules:\n  - query: x\n", "r.yaml:2:5: rule has no id")
	f("r.yaml", "rules:\n  - id: a\n    query: x\n  - id: a\n    query: y\n", "r.yaml:4:9: duplicate id \"a\" (first defined at r.yaml:2:9)")
	f("r.yaml", "rules:\n  - id: a\n    query: x\n    level: urgent\n", "r.yaml:4:12: unknown level")
	f("r.yaml", "rules:\n  - id: a\n    query: x\n    enabled: maybe\n", "r.yaml:4:14: enabled must be a boolean")
	f("r.yaml", "rules:\n  - id: a\n    query: x\n    tags: disaster\n", "tags must be a list")
	f("r.yaml", "rules: [\n", "r.yaml:", "invalid YAML")
	f("r.yaml", "rulez:\n  - id: a\n", "r.yaml:1:1: unknown key \"rulez\"")
	f("r.yaml", "rules:\n  - id: a\n    query: \"\"\n", "empty query")
	// A hashtag YAML reads as a comment (" #" starts one) would silently
	// leave the query without it: rejected, once, where the tag is.
	f("r.yaml", "rules:\n  - id: a\n    query: quake #temblor\n", "r.yaml:3:18: YAML reads \"#temblor\" as a comment", "\t    query: quake #temblor\n\t                 ^", "hint: put the query in quotes")
	f("r.yaml", "rules:\n  - id: a\n    query: #sismo\n", "r.yaml:3:12: YAML reads \"#sismo\"")
	f("r.yaml", "rules:\n  - id: a\n    query: quake OR\n      #gempa and more\n", "r.yaml:4:7: YAML reads \"#gempa\"")
	if _, err := Parse("r.yaml", []byte("rules:\n  - id: a\n    query: quake #temblor\n")); strings.Count(err.Error(), "r.yaml:") != 1 {
		t.Errorf("a cut query is one error, not also a missing query:\n%v", err)
	}
	// Comments are comments.
	for _, src := range []string{"query: quake # English", "query: quake ## English", "query: quake #! note", "query: 'quake #temblor'", "query: \"quake #temblor\""} {
		if _, err := Parse("r.yaml", []byte("rules:\n  - id: a\n    "+src+"\n")); err != nil {
			t.Errorf("%s: %v", src, err)
		}
	}
	// Every error of a file is reported, not only the first.
	f("k.txt", "a*b\nc*d\n", "k.txt:1:2:", "k.txt:2:2:")
}

func TestLoadPathFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(p, []byte("rules:\n  - id: x\n    query: quake\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rules, err := LoadPath(p)
	if err != nil || len(rules) != 1 || rules[0].Pos.File != p {
		t.Fatalf("LoadPath = %+v, %v", rules, err)
	}
	if _, err := LoadPath(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("want an error for a missing file")
	}
}
