package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const evalRules = `rules:
  - id: quake
    query: earthquake OR sismo
    tags: [disaster]
  - id: flood
    query: flood*
    tags: [disaster, water]
  - id: shaking
    query: shaking AND NOT game
  - id: old
    query: earthquake
    enabled: false
    tags: [legacy]
`

// evalOut is rules eval's JSON report, as a dashboard or a script reads it.
type evalOut struct {
	Posts    int            `json:"posts"`
	Relevant int            `json:"relevant_posts"`
	Labels   map[string]int `json:"labels"`
	All      struct {
		Matched   int      `json:"matched"`
		Relevant  int      `json:"relevant"`
		Precision *float64 `json:"precision"`
		Recall    *float64 `json:"recall"`
		F1        *float64 `json:"f1"`
	} `json:"all"`
	Rules []struct {
		ID        string   `json:"id"`
		Matched   int      `json:"matched"`
		Relevant  int      `json:"relevant"`
		Only      int      `json:"only"`
		Precision *float64 `json:"precision"`
		Recall    *float64 `json:"recall"`
	} `json:"rules"`
	ByTag []struct {
		Tag      string `json:"tag"`
		Rules    int    `json:"rules"`
		Matched  int    `json:"matched"`
		Relevant int    `json:"relevant"`
	} `json:"by_tag"`
	ByInput []struct {
		Input    string `json:"input"`
		Posts    int    `json:"posts"`
		Relevant int    `json:"relevant_posts"`
		Matched  int    `json:"matched"`
	} `json:"by_input"`
	Missed      int `json:"missed"`
	Noise       int `json:"noise"`
	MissedPosts []struct {
		File string `json:"file"`
		Line int    `json:"line"`
		ID   string `json:"id"`
	} `json:"missed_posts"`
	NoisePosts []struct {
		ID    string   `json:"id"`
		Rules []string `json:"rules"`
	} `json:"noise_posts"`
	Add []struct {
		Term     string `json:"term"`
		Relevant int    `json:"relevant"`
		Other    int    `json:"other"`
	} `json:"add"`
	AllWithAdded *struct {
		Recall *float64 `json:"recall"`
	} `json:"all_with_added"`
	Exclude []struct {
		Rule  string `json:"rule"`
		Term  string `json:"term"`
		Other int    `json:"other"`
	} `json:"exclude"`
}

// containsAll fails the test for each of want that out lacks.
func containsAll(t *testing.T, what, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, out)
		}
	}
}

func readEval(t *testing.T, out string) evalOut {
	t.Helper()
	var r evalOut
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out)
	}
	return r
}

func TestRulesEval(t *testing.T) {
	rules := writeFile(t, "rules.yaml", evalRules)
	// Labels as strings in any case, booleans and numbers; a line without
	// a label is rejected with its line number, the rest still counted.
	posts := strings.Join([]string{
		`{"id":"1","text":"Earthquake! everything shaking, flooding","label":"On-Topic"}`, // quake, shaking, flood: relevant
		`{"id":"2","text":"sismo fuerte","label":"on-topic"}`,                             // quake alone: relevant
		`{"id":"3","text":"flooding downtown","label":true}`,                              // flood alone: relevant
		`{"id":"4","text":"earthquake the movie","label":"off-topic"}`,                    // quake: noise
		`{"id":"5","text":"the shaking game","label":"off-topic"}`,                        // nothing (NOT game)
		`{"id":"6","text":"trains are not running","label":"on-topic"}`,                   // missed
		``,                                  // blank: skipped
		`{"id":"7","text":"no label here"}`, // rejected
		`{"id":"8","text":"flood of emails","label":0}`,      // flood: noise
		`{"id":"9","text":"my house is shaking","label":1}`,  // shaking alone: relevant
		`{"id":"10","text":"quiet day","label":"off-topic"}`, // nothing
	}, "\n") + "\n"
	out, errOut, status := earshot(t, posts, "rules", "eval", rules, "--input", "-", "--relevant", "on-topic,true,1", "--examples", "10", "--json")
	if status != 1 || !strings.Contains(errOut, `-:8: no label: the object has no "label" field`) || !strings.Contains(errOut, "1 of 10 input lines rejected") {
		t.Fatalf("status %d, stderr:\n%s", status, errOut)
	}
	r := readEval(t, out)
	if r.Posts != 9 || r.Relevant != 5 || r.All.Matched != 6 || r.All.Relevant != 4 || r.Missed != 1 || r.Noise != 2 || r.Labels["off-topic"] != 3 || len(r.Labels) != 6 {
		t.Fatalf("totals: %+v", r)
	}
	if near := func(a *float64, b float64) bool { return a != nil && math.Abs(*a-b) < 1e-9 }; !near(r.All.Precision, 4.0/6) || !near(r.All.Recall, 0.8) || !near(r.All.F1, 8.0/11) {
		t.Errorf("all rules: precision %v recall %v f1 %v", *r.All.Precision, *r.All.Recall, *r.All.F1)
	}
	type row struct{ matched, relevant, only int }
	want := map[string]row{"quake": {3, 2, 1}, "flood": {3, 2, 1}, "shaking": {2, 2, 1}}
	if len(r.Rules) != 3 {
		t.Fatalf("rules %+v: want the 3 enabled ones", r.Rules)
	}
	for i, g := range r.Rules {
		if w := want[g.ID]; (row{g.Matched, g.Relevant, g.Only}) != w {
			t.Errorf("rule %s: %+v, want %+v", g.ID, g, w)
		}
		if i > 0 && g.Matched > r.Rules[i-1].Matched {
			t.Errorf("rules not by posts matched: %+v", r.Rules)
		}
	}
	// By tag: a post two rules of a tag matched counts once; a tag of
	// disabled rules alone is not reported.
	var tags []string
	for _, g := range r.ByTag {
		tags = append(tags, fmt.Sprintf("%s:%d:%d/%d", g.Tag, g.Rules, g.Matched, g.Relevant))
	}
	if strings.Join(tags, " ") != "disaster:2:5/3 water:1:3/2" {
		t.Errorf("by tag: %v", tags)
	}
	if len(r.MissedPosts) != 1 || r.MissedPosts[0].ID != "6" || r.MissedPosts[0].Line != 6 {
		t.Errorf("missed posts: %+v", r.MissedPosts)
	}
	if len(r.NoisePosts) != 2 || r.NoisePosts[0].ID != "4" || strings.Join(r.NoisePosts[0].Rules, ",") != "quake" || r.NoisePosts[1].ID != "8" {
		t.Errorf("noise posts: %+v", r.NoisePosts)
	}

	// The table: the same numbers.
	out, _, _ = earshot(t, posts, "rules", "eval", rules, "--input", "-", "--relevant", "on-topic,true,1")
	containsAll(t, "table", out,
		"9 labelled posts from -, 5 relevant (55.6%)\nlabels: \"off-topic\" 3, \"on-topic\" 2, \"0\" 1, \"1\" 1, \"On-Topic\" 1, \"true\" 1\n\n",
		"all rules          6          4      66.7%    80.0%   72.7%\n",
		"quake              3          2      66.7%    40.0%   50.0%          1\n",
		"Relevant, matched by no rule (1 of 1):",
		"Matched, not relevant (2 of 2):",
		"-:4 4 [quake]  earthquake the movie")

	// Labels that none of --relevant names: said so.
	if out, _, _ := earshot(t, posts, "rules", "eval", rules, "--input", "-", "--relevant", "relevant"); !strings.Contains(out, "no post is relevant: --relevant names") {
		t.Errorf("no relevant post, no warning:\n%s", out)
	}
	// With the default --relevant (on-topic), true and 1 are not relevant.
	out, _, _ = earshot(t, posts, "rules", "eval", rules, "--input", "-", "--json")
	if r := readEval(t, out); r.Relevant != 3 || r.All.Relevant != 2 {
		t.Errorf("default --relevant: %d relevant, %d matched: want 3 and 2", r.Relevant, r.All.Relevant)
	}
	// Suggestions through the command: 5 relevant posts no rule matched
	// hold tsunami.
	more := posts + strings.Repeat(`{"id":"t","text":"TSUNAMI!!","label":"on-topic"}`+"\n", 5)
	out, _, _ = earshot(t, more, "rules", "eval", rules, "--input", "-", "--relevant", "on-topic,true,1", "--json")
	if r := readEval(t, out); len(r.Add) != 1 || r.Add[0].Term != "tsunami" || r.Add[0].Relevant != 5 || r.AllWithAdded == nil || *r.AllWithAdded.Recall != 0.9 {
		t.Errorf("suggested: %+v with %+v", r.Add, r.AllWithAdded)
	}
	out, _, _ = earshot(t, more, "rules", "eval", rules, "--input", "-", "--relevant", "on-topic,true,1")
	if !strings.Contains(out, "  tsunami         +5         +0     100.0%\n  with all of them: recall 40.0% → 90.0%, precision 66.7% → 81.8%\n") {
		t.Errorf("suggestions table:\n%s", out)
	}
	out, _, _ = earshot(t, more, "rules", "eval", rules, "--input", "-", "--suggest", "0", "--json")
	if r := readEval(t, out); len(r.Add) != 0 {
		t.Errorf("--suggest 0: %+v", r.Add)
	}
	// Examples are a sample, the same at every run.
	many := strings.Repeat(`{"id":"x","text":"nothing","label":"on-topic"}`+"\n", 50)
	a, _, _ := earshot(t, many, "rules", "eval", rules, "--input", "-", "--examples", "3", "--json")
	b, _, _ := earshot(t, many, "rules", "eval", rules, "--input", "-", "--examples", "3", "--json")
	if ra := readEval(t, a); len(ra.MissedPosts) != 3 || ra.Missed != 50 || a != b {
		t.Errorf("sampled examples: %d of %d, runs equal %v", len(ra.MissedPosts), ra.Missed, a == b)
	}
}

func TestRulesEvalCSV(t *testing.T) {
	rules := writeFile(t, "rules.yaml", evalRules)
	dir := t.TempDir()
	// CrisisLex's layout: spaces after the header's commas, ids in single
	// quotes, texts with commas, quotes and a line break.
	a := "tweet id, tweet, label\n" +
		"'101',\"Earthquake, right now\",on-topic\n" +
		"'102',\"a \"\"flood\"\" of\nmemes\",off-topic\n" +
		"'103',too few columns\n" +
		"'104',\"my house is shaking\",on-topic\n"
	b := "Tweet_ID,Text,Label\n1,nothing at all,on-topic\n2,sismo,off-topic\n"
	for name, body := range map[string]string{"a.csv": a, "b.csv": b} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, errOut, status := earshot(t, "", "rules", "eval", rules, "--input", filepath.Join(dir, "*.csv"), "--json")
	if status != 1 || !strings.Contains(errOut, "a.csv:5: 2 columns, the header has 3") {
		t.Fatalf("status %d, stderr:\n%s", status, errOut)
	}
	r := readEval(t, out)
	if r.Posts != 5 || r.Relevant != 3 || r.All.Matched != 4 || r.All.Relevant != 2 {
		t.Fatalf("totals: %+v", r)
	}
	if len(r.ByInput) != 2 || r.ByInput[0].Posts != 3 || r.ByInput[0].Relevant != 2 || r.ByInput[0].Matched != 3 || r.ByInput[1].Matched != 1 {
		t.Errorf("by input: %+v", r.ByInput)
	}
	if len(r.MissedPosts) != 1 || r.MissedPosts[0].ID != "1" {
		t.Errorf("missed: %+v", r.MissedPosts)
	}
	var ids []string
	for _, p := range r.NoisePosts {
		ids = append(ids, p.ID)
	}
	if strings.Join(ids, ",") != "102,2" {
		t.Errorf("noise: %v, want 102 (the quoted flood) and 2", ids)
	}

	// A CSV without the label column says what it looked for.
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("id,text,relevance\n1,x,yes\n"), 0o644)
	if _, errOut, status := earshot(t, "", "rules", "eval", rules, "--input", bad); status != 1 || !strings.Contains(errOut, `no label column`) || !strings.Contains(errOut, `"label" (--label)`) {
		t.Errorf("no label column: status %d\n%s", status, errOut)
	}
	if out, _, status := earshot(t, "", "rules", "eval", rules, "--input", bad, "--label", "relevance", "--relevant", "yes", "--json"); status != 0 || readEval(t, out).Relevant != 1 {
		t.Errorf("--label relevance: status %d\n%s", status, out)
	}
}

func TestRulesEvalUsage(t *testing.T) {
	rules := writeFile(t, "rules.yaml", evalRules)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{rules}, "usage: earshot rules eval"},
		{[]string{rules, "--input", "-", "--relevant", " , "}, "--relevant: want the label values"},
		{[]string{rules, "--input", "-", "--examples", "-1"}, "--examples: want 0 or more"},
		{[]string{rules, "--input", "-", "--suggest", "-1"}, "--suggest: want 0 or more"},
		{[]string{rules, "--input", "-", "--label", " "}, "--label: want the name"},
		{[]string{rules, "--input", "-", "--format", "rss"}, "--format:"},
	} {
		if _, errOut, status := earshot(t, "", append([]string{"rules", "eval"}, c.args...)...); status != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: status %d, want 2 and %q in\n%s", c.args, status, c.want, errOut)
		}
	}
	if _, errOut, status := earshot(t, "", "rules", "eval", rules, "--input", filepath.Join(t.TempDir(), "*.jsonl")); status != 1 || !strings.Contains(errOut, "no file matches") {
		t.Errorf("empty glob: status %d\n%s", status, errOut)
	}
	if _, errOut, status := earshot(t, "\n\n", "rules", "eval", rules, "--input", "-"); status != 1 || !strings.Contains(errOut, "no labelled posts") {
		t.Errorf("no posts: status %d\n%s", status, errOut)
	}
}

// TestRulesEvalCrisisLex runs the example lexicon of docs/examples over
// the real CrisisLex T6 tweets, when they are on this machine: every line
// read, and the figures docs/rules.md quotes.
func TestRulesEvalCrisisLex(t *testing.T) {
	glob := "/work/shared/data/crisislex-t6/*.csv"
	if files, _ := filepath.Glob(glob); len(files) == 0 {
		t.Skip("CrisisLex T6 is not on this machine")
	}
	out, errOut, status := earshot(t, "", "rules", "eval", "../../docs/examples/crisislex-t6.yaml", "--input", glob, "--json")
	if status != 0 {
		t.Fatalf("status %d\n%s", status, errOut)
	}
	r := readEval(t, out)
	if r.Posts != 60082 || len(r.ByInput) != 6 {
		t.Fatalf("%d posts in %d inputs: want all 60,082 of the 6 files", r.Posts, len(r.ByInput))
	}
	if *r.All.Precision < 0.94 || *r.All.Recall < 0.9 {
		t.Errorf("the example lexicon: precision %.3f, recall %.3f", *r.All.Precision, *r.All.Recall)
	}
	// Suggestions: terms that would find more of the missed posts.
	if len(r.Add) == 0 || r.AllWithAdded == nil || *r.AllWithAdded.Recall <= *r.All.Recall {
		t.Errorf("suggestions: %+v, recall with them %v", r.Add, r.AllWithAdded)
	}
}

// evalExample is an example post of the JSON reports.
type evalExample struct {
	ID    string   `json:"id"`
	Rules []string `json:"rules"`
}

// TestRulesEvalCompare reviews a rules change on labelled posts: what each
// version finds, the rules whose posts changed (one added, one gone), and
// the posts that change, each with the rules of the version that matches
// it.
func TestRulesEvalCompare(t *testing.T) {
	old := writeFile(t, "old.yaml", evalRules)
	cur := writeFile(t, "new.yaml", `rules:
  - id: quake
    query: earthquake OR sismo OR tsunami
  - id: shaking
    query: shaking AND NOT game
  - id: storm
    query: storm
`)
	posts := strings.Join([]string{
		`{"id":"1","text":"sismo fuerte","label":"on-topic"}`,         // both: quake
		`{"id":"2","text":"tsunami warning","label":"on-topic"}`,      // found: quake (new)
		`{"id":"3","text":"flooding downtown","label":"on-topic"}`,    // lost: flood (old)
		`{"id":"4","text":"flood of emails","label":"off-topic"}`,     // noise dropped: flood (old)
		`{"id":"5","text":"a storm in a teacup","label":"off-topic"}`, // noise added: storm (new)
		`{"id":"6","text":"storm damage","label":"on-topic"}`,         // found: storm (new)
		`{"id":"7","text":"quiet day","label":"off-topic"}`,           // neither
	}, "\n") + "\n"
	out, errOut, status := earshot(t, posts, "rules", "eval", old, "--compare", cur, "--input", "-", "--examples", "5", "--json")
	if status != 0 {
		t.Fatalf("status %d\n%s", status, errOut)
	}
	var r struct {
		Old, New     evalOut
		Found, Lost  int
		NoiseAdded   int           `json:"noise_added"`
		NoiseDropped int           `json:"noise_dropped"`
		FoundPosts   []evalExample `json:"found_posts"`
		LostPosts    []evalExample `json:"lost_posts"`
		Rules        []struct {
			ID  string
			Old *struct{ Matched, Relevant int }
			New *struct{ Matched, Relevant int }
		}
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if r.Old.All.Matched != 3 || r.Old.All.Relevant != 2 || r.New.All.Matched != 4 || r.New.All.Relevant != 3 || r.Old.Posts != 7 || r.New.Posts != 7 {
		t.Errorf("old %+v, new %+v", r.Old.All, r.New.All)
	}
	if r.Found != 2 || r.Lost != 1 || r.NoiseAdded != 1 || r.NoiseDropped != 1 {
		t.Errorf("changes: found %d lost %d added %d dropped %d", r.Found, r.Lost, r.NoiseAdded, r.NoiseDropped)
	}
	var found []string
	for _, p := range r.FoundPosts {
		found = append(found, p.ID+":"+strings.Join(p.Rules, ","))
	}
	if strings.Join(found, " ") != "2:quake 6:storm" || len(r.LostPosts) != 1 || r.LostPosts[0].ID != "3" || strings.Join(r.LostPosts[0].Rules, ",") != "flood" {
		t.Errorf("found %v, lost %+v", found, r.LostPosts)
	}
	var rules []string
	for _, c := range r.Rules {
		s := c.ID
		if c.Old != nil {
			s += fmt.Sprintf(" %d/%d", c.Old.Matched, c.Old.Relevant)
		} else {
			s += " -"
		}
		if c.New != nil {
			s += fmt.Sprintf("→%d/%d", c.New.Matched, c.New.Relevant)
		} else {
			s += "→-"
		}
		rules = append(rules, s)
	}
	// quake 1/1 → 2/2 (+tsunami), storm new, flood gone; shaking unchanged.
	if strings.Join(rules, "; ") != "quake 1/1→2/2; storm -→2/1; flood 2/1→-" {
		t.Errorf("rules changed: %v", rules)
	}
	out, _, _ = earshot(t, posts, "rules", "eval", old, "--compare", cur, "--input", "-")
	containsAll(t, "comparison", out,
		"old: old.yaml          3          2      66.7%    50.0%   57.1%\n",
		"new: new.yaml          4          3      75.0%    75.0%   75.0%\n",
		"relevant posts: +2 found, -1 no longer found; other posts: +1 matched, -1 no longer matched\n",
		"storm          – →         2          – →         1       – →  50.0%\n",
		"Relevant, no longer found (1 of 1):\n  -:3 3 [flood]  flooding downtown\n")
	bad := writeFile(t, "bad.yaml", "rules:\n  - id: x\n    query: ear*th\n")
	if _, errOut, status := earshot(t, posts, "rules", "eval", old, "--compare", bad, "--input", "-"); status != 1 || !strings.Contains(errOut, "bad.yaml rejected") {
		t.Errorf("a new version that does not compile: status %d\n%s", status, errOut)
	}
}

// TestRulesEvalRefused: the posts each condition of a rule alone kept from
// it, where the rule's terms occur.
func TestRulesEvalRefused(t *testing.T) {
	rules := writeFile(t, "rules.yaml", `rules:
  - id: quake-es
    query: (sismo OR temblor) -simulacro lang:es
  - id: xbox
    query: '"red light" NEAR/2 xbox'
  - id: any
    query: terremoto
`)
	posts := strings.Join([]string{
		`{"id":"1","text":"sismo fuerte en la ciudad de méxico ahora","lang":"es","label":"on-topic"}`,  // matched
		`{"id":"2","text":"simulacro de sismo en la escuela","lang":"es","label":"off-topic"}`,          // NOT simulacro refuses noise
		`{"id":"3","text":"sismo real durante el simulacro, terremoto","lang":"es","label":"on-topic"}`, // NOT simulacro refuses a relevant post another rule matched
		`{"id":"4","text":"sismo right now in CDMX","lang":"en","label":"on-topic"}`,                    // lang:es refuses, no rule matched
		`{"id":"5","text":"sismo simulacro","lang":"en","label":"on-topic"}`,                            // two conditions: neither alone
		`{"id":"6","text":"red light on my console, xbox is dead","lang":"en","label":"on-topic"}`,      // too far apart
		`{"id":"7","text":"simulacro: sismo de 7.1 en la capital","lang":"es","label":"off-topic"}`,
		`{"id":"8","text":"nothing at all","lang":"es","label":"on-topic"}`,
	}, "\n") + "\n"
	out, errOut, status := earshot(t, posts, "rules", "eval", rules, "--input", "-", "--json")
	if status != 0 {
		t.Fatalf("status %d: %s", status, errOut)
	}
	var r struct {
		Refused []struct {
			Rule, Condition       string
			Relevant, Other, Lost int
			Precision             float64
			Example               struct{ ID string }
		}
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range r.Refused {
		got = append(got, fmt.Sprintf("%s|%s|%d|%d|%d|%.2f|%s", x.Rule, x.Condition, x.Relevant, x.Other, x.Lost, x.Precision, x.Example.ID))
	}
	want := []string{"quake-es|NOT simulacro|1|2|0|0.33|3", "quake-es|lang:es|1|0|1|1.00|4", `xbox|("red light" NEAR/2 xbox)|1|0|1|1.00|6`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("refused:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	out, _, _ = earshot(t, posts, "rules", "eval", rules, "--input", "-")
	containsAll(t, "table", out,
		"Conditions that alone kept a rule from posts its terms found (dropping one adds its posts to the rule):\n"+
			"  rule      condition                   relevant      other  precision  matched by none\n"+
			"  quake-es  NOT simulacro                      1          2      33.3%               0\n"+
			"            e.g. -:3 3  sismo real durante el simulacro, terremoto\n")
	// The rules' warnings (rules check's) head the report.
	never := writeFile(t, "never.yaml", "rules:\n  - id: never\n    query: sismo -sismo\n  - id: ok\n    query: sismo\n")
	if out, _, _ := earshot(t, posts, "rules", "eval", never, "--input", "-"); !strings.Contains(out, never+`:3:12: warning: rule "never" can never match`) {
		t.Errorf("warnings not in the report:\n%s", out)
	}
	// Rules without conditions refuse nothing: no table.
	plain := writeFile(t, "plain.yaml", "sismo\nterremoto\n")
	if out, _, _ := earshot(t, posts, "rules", "eval", plain, "--input", "-"); strings.Contains(out, "Conditions that") {
		t.Errorf("plain rules, refusals listed:\n%s", out)
	}
}
