package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/segmentio/kafka-go"
)

// The commands that need no services, run as a user runs them: the binary
// built from this package, its arguments, its standard streams and its exit
// status.

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// earshotBin builds the command once per test binary.
func earshotBin(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "earshot-cli-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "earshot")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			binErr = errors.New("go build: " + err.Error() + "\n" + string(out))
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// earshot runs the command with stdin and returns its stdout, stderr and
// exit status.
// dropTopicsAtEnd deletes topic, and the dead-letter and alerts topics
// earshot run makes for it (Config's defaults: topic + ".dlq", ".alerts"),
// when the test ends.
func dropTopicsAtEnd(t *testing.T, brokers []string, topic string) {
	t.Cleanup(func() {
		c := &kafka.Client{Addr: kafka.TCP(brokers...)}
		c.DeleteTopics(context.Background(), &kafka.DeleteTopicsRequest{Topics: []string{topic, topic + ".dlq", topic + ".alerts"}})
	})
}

// startRun starts `earshot run` with args and stops it when the test ends
// (SIGTERM; it must exit cleanly); it returns the process's output.
func startRun(t *testing.T, args ...string) *bytes.Buffer {
	t.Helper()
	cmd := exec.Command(earshotBin(t), append([]string{"run"}, args...)...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("earshot run: %v\n%s", err, log.String())
		}
	})
	return &log
}

func earshot(t *testing.T, stdin string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	cmd := exec.Command(earshotBin(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		status = exit.ExitCode()
	default:
		t.Fatalf("earshot %v: %v", args, err)
	}
	return o.String(), e.String(), status
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const cliRules = `rules:
  - id: quake
    query: earthquak* OR sismo OR 地震
    route: crisis-desk
  - id: flood-es
    query: inundación lang:es
  - id: tag
    query: '#temblor'
  - id: off
    query: nothing
    enabled: false
`

func TestRulesCheck(t *testing.T) {
	good := writeFile(t, "rules.yaml", cliRules)
	out, errOut, status := earshot(t, "", "rules", "check", good)
	if status != 0 || !strings.Contains(out, good+": ok — 3 rules, 5 terms") {
		t.Fatalf("status %d\nstdout: %s\nstderr: %s", status, out, errOut)
	}

	// A keyword list: comments skipped, a hashtag line is a term.
	list := writeFile(t, "crisis.txt", "# CrisisLex-style\n#\nearthquake\n#temblor\n\nflood victims\n")
	if out, errOut, status := earshot(t, "", "rules", "check", list); status != 0 || !strings.Contains(out, ": ok — 3 rules, 3 terms") {
		t.Fatalf("keyword list: status %d\nstdout: %s\nstderr: %s", status, out, errOut)
	}

	// A file that does not compile is rejected with file:line:col, the line,
	// a caret under the problem and a hint.
	bad := writeFile(t, "bad.yaml", "rules:\n  - id: a\n    query: sismo\n  - id: b\n    query: ear*thquake\n")
	out, errOut, status = earshot(t, "", "rules", "check", bad)
	if status != 1 || out != "" {
		t.Fatalf("bad file: status %d, stdout %q", status, out)
	}
	for _, want := range []string{bad + ":5:15: wildcard * is only allowed at the end of a term", "    query: ear*thquake\n", "\t              ^\n", "hint: "} {
		if !strings.Contains(errOut, want) {
			t.Fatalf("bad file: stderr lacks %q:\n%s", want, errOut)
		}
	}

	// Rules that compile but are probably mistakes: warnings, status 0
	// unless --strict.
	warn := writeFile(t, "warn.yaml", "rules:\n  - id: never\n    query: sismo lang:es lang:pt\n  - id: the\n    query: acme OR the\n")
	out, errOut, status = earshot(t, "", "rules", "check", warn)
	if status != 0 || !strings.Contains(out, ": ok — 2 rules, 3 terms, automaton") || !strings.Contains(out, "; 2 warnings\n") ||
		!strings.Contains(out, warn+`:3:12: warning: rule "never" can never match: no post can satisfy (sismo AND lang:es AND lang:pt)`) ||
		!strings.Contains(out, warn+`:5:20: warning: rule "the" matches every post with "the"`) {
		t.Fatalf("warnings: status %d\nstdout: %s\nstderr: %s", status, out, errOut)
	}
	if _, errOut, status := earshot(t, "", "rules", "check", "--strict", warn); status != 1 || !strings.Contains(errOut, "2 warnings (--strict)") {
		t.Fatalf("--strict: status %d, stderr %q", status, errOut)
	}
	if _, _, status := earshot(t, "", "rules", "check", good, "--strict"); status != 0 {
		t.Fatalf("--strict without warnings: status %d", status)
	}

	if _, errOut, status := earshot(t, "", "rules", "check"); status != 2 || !strings.Contains(errOut, "usage: earshot rules check FILE") {
		t.Fatalf("no file: status %d, stderr %q", status, errOut)
	}
	if _, errOut, status := earshot(t, "", "rules", "check", filepath.Join(t.TempDir(), "missing.yaml")); status != 1 || !strings.Contains(errOut, "missing.yaml") {
		t.Fatalf("missing file: status %d, stderr %q", status, errOut)
	}

	// A directory: its files are one rule set, ids unique across them.
	dir := t.TempDir()
	for name, content := range map[string]string{"crisis.yaml": cliRules, "extra.txt": "tsunami\n", "notes.md": "not rules"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, errOut, status := earshot(t, "", "rules", "check", dir); status != 0 || !strings.Contains(out, dir+": ok — 4 rules, 6 terms") {
		t.Fatalf("directory: status %d\nstdout: %s\nstderr: %s", status, out, errOut)
	}
	if out, _, status := earshot(t, "", "rules", "test", dir, "--text", "Tsunami warning"); status != 0 || !strings.Contains(out, `rule "tsunami" matched`) {
		t.Fatalf("rules test on a directory: status %d\n%s", status, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "more.yaml"), []byte("rules:\n  - id: tsunami\n    query: tidal\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, status = earshot(t, "", "rules", "check", dir)
	if want := filepath.Join(dir, "more.yaml") + `:2:9: duplicate id "tsunami" (first defined at ` + filepath.Join(dir, "extra.txt") + ":1:1)"; status != 1 || !strings.Contains(errOut, want) {
		t.Fatalf("duplicate id across files: status %d, stderr lacks %q:\n%s", status, want, errOut)
	}
}

// TestRulesDiff compares a keyword list with a directory that drops one of
// its terms, adds one, redefines one as a YAML rule and disables another.
func TestRulesDiff(t *testing.T) {
	old := writeFile(t, "old.txt", "sismo\ntemblor\nflood\ntsunami\n")
	dir := t.TempDir()
	for name, content := range map[string]string{
		"a.txt":  "sismo\nterremoto\n",
		"b.yaml": "rules:\n  - id: flood\n    query: flood OR flooding\n  - id: tsunami\n    query: tsunami\n    enabled: false\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, errOut, status := earshot(t, "", "rules", "diff", old, dir)
	if want := "+ terremoto\n- temblor\n- tsunami\n~ flood: query flood → flood OR flooding\n1 added, 2 removed, 1 changed; 3 rules in force after\n"; status != 0 || out != want {
		t.Fatalf("status %d\n%s%s\nwant\n%s", status, out, errOut, want)
	}
	out, _, status = earshot(t, "", "rules", "diff", "--json", dir, old)
	if want := `{"added":["temblor","tsunami"],"changed":["flood"],"changes":{"flood":[{"field":"query","old":"flood OR flooding","new":"flood"}]},"removed":["terremoto"],"rules":4}` + "\n"; status != 0 || out != want {
		t.Fatalf("--json: status %d\n%s", status, out)
	}
	bad := writeFile(t, "bad.txt", "ear*th\n")
	if _, errOut, status := earshot(t, "", "rules", "diff", old, bad); status != 1 || !strings.Contains(errOut, bad+" rejected") {
		t.Fatalf("a new file that does not compile: status %d\n%s", status, errOut)
	}
}

type explained struct {
	ID    string `json:"id"`
	Rules []struct {
		ID    string `json:"id"`
		Terms []struct {
			Term       string
			Start, End int
			Text       string
		} `json:"terms"`
	} `json:"rules"`
	Line    int    `json:"line"`
	Error   string `json:"error"`
	Skipped bool   `json:"skipped"`
}

func TestRulesTestText(t *testing.T) {
	rules := writeFile(t, "rules.yaml", cliRules)
	out, errOut, status := earshot(t, "", "rules", "test", rules, "--text", "¡SISMO fuerte! #temblor, EARTHQUAKES")
	// Each occurrence as found, with the term that found it when written
	// otherwise.
	want := "text: rule \"quake\" matched: \"SISMO\" at 2–7 (sismo), \"EARTHQUAKES\" at 26–37 (earthquak*)\n" +
		"text: rule \"tag\" matched: \"#temblor\" at 16–24\n"
	if status != 0 || out != want {
		t.Fatalf("status %d\nstdout: %s\nwant:   %s\nstderr: %s", status, out, want, errOut)
	}
	if out, _, status := earshot(t, "", "rules", "test", "--text", "nothing here", rules); status != 0 || out != "text: no rule matched\n" {
		t.Fatalf("flags first: status %d, stdout %q", status, out)
	}
	// --rule: only those rules.
	if out, _, status := earshot(t, "", "rules", "test", rules, "--rule", "tag", "--text", "¡SISMO fuerte! #temblor, EARTHQUAKES"); status != 0 || out != "text: rule \"tag\" matched: \"#temblor\" at 16–24\n" {
		t.Fatalf("--rule tag: status %d, stdout %q", status, out)
	}
	if _, errOut, status := earshot(t, "", "rules", "test", rules, "--rule", "tag,nope", "--text", "x"); status != 2 || !strings.Contains(errOut, `--rule: no rule "nope" in force`) {
		t.Fatalf("--rule nope: status %d, stderr %q", status, errOut)
	}
	// The text's language is found as the pipeline finds it for a post
	// without one, for lang: to test; --why --json shows what it found.
	es := "Inundación en el centro de la ciudad, las calles están cerradas"
	if out, errOut, status := earshot(t, "", "rules", "test", rules, "--text", es); status != 0 || out != "text: rule \"flood-es\" matched: \"Inundación\" at 0–11 (inundación)\n" {
		t.Fatalf("lang: on --text: status %d\nstdout: %s\nstderr: %s", status, out, errOut)
	}
	out, errOut, status = earshot(t, "", "rules", "test", rules, "--why", "--text", "inundación is the word they use for a flood in the south", "--json")
	var got struct {
		ID    string
		Rules []json.RawMessage
		Why   []struct {
			ID      string
			Matched bool
			Steps   []struct {
				Depth  int
				Part   string
				Holds  bool
				Post   string
				Occurs []struct {
					Start, End int
					Text       string
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &got); status != 0 || err != nil {
		t.Fatalf("--why --json: status %d, %v\nstdout: %s\nstderr: %s", status, err, out, errOut)
	}
	if w := got.Why; len(got.Rules) != 0 || len(w) != 1 || w[0].ID != "flood-es" || w[0].Matched || len(w[0].Steps) != 3 ||
		w[0].Steps[0].Part != "(inundación AND lang:es)" || w[0].Steps[0].Holds ||
		w[0].Steps[1].Depth != 1 || !w[0].Steps[1].Holds || len(w[0].Steps[1].Occurs) != 1 || w[0].Steps[1].Occurs[0].Text != "inundación" ||
		w[0].Steps[2].Part != "lang:es" || w[0].Steps[2].Holds || !strings.HasPrefix(w[0].Steps[2].Post, "lang ") || w[0].Steps[2].Post == "lang es" {
		t.Fatalf("--why --json: %s", out)
	}
	if _, errOut, status := earshot(t, "", "rules", "test", rules); status != 2 || !strings.Contains(errOut, "usage:") {
		t.Fatalf("neither --text nor --input: status %d, stderr %q", status, errOut)
	}
}

// With --input, every line gets an answer in its place: a post's rules and
// terms with byte offsets, or the line's number and why it was rejected;
// a post needs no created_at here; a rejected line makes the exit status 1.
func TestRulesTestInput(t *testing.T) {
	rules := writeFile(t, "rules.yaml", cliRules)
	posts := `{"id":"1","created_at":"2026-11-23T02:00:00Z","text":"Fuerte sismo en Oaxaca #temblor","lang":"es"}
{"id":"2","text":"otra inundación en Valencia","lang":"es"}
{"id":"3","text":"otra inundación en Valencia","lang":"pt"}

not json
{"id":"4","created_at":"yesterday","text":"sismo"}
{"id":"5","text":"地震だ！ earthquake"}
`
	path := writeFile(t, "posts.jsonl", posts)
	for _, src := range []struct{ arg, stdin string }{{path, ""}, {"-", posts}} {
		out, errOut, status := earshot(t, src.stdin, "rules", "test", rules, "--input", src.arg, "--json")
		if status != 1 || !strings.Contains(errOut, "2 of 6 input lines rejected") {
			t.Fatalf("%s: status %d, stderr %q", src.arg, status, errOut)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != 6 {
			t.Fatalf("%s: %d lines of output for 6 input lines:\n%s", src.arg, len(lines), out)
		}
		var got []explained
		for _, l := range lines {
			var e explained
			if err := json.Unmarshal([]byte(l), &e); err != nil {
				t.Fatalf("%s: %q: %v", src.arg, l, err)
			}
			got = append(got, e)
		}
		summary := func(e explained) string {
			if e.Error != "" {
				return "line " + strconv.Itoa(e.Line) + ": " + e.Error
			}
			var b strings.Builder
			b.WriteString(e.ID + ":")
			for _, r := range e.Rules {
				b.WriteString(" " + r.ID + "[")
				for i, term := range r.Terms {
					if i > 0 {
						b.WriteString(" ")
					}
					b.WriteString(term.Term + "@" + strconv.Itoa(term.Start) + "-" + strconv.Itoa(term.End) + "=" + term.Text)
				}
				b.WriteString("]")
			}
			return b.String()
		}
		want := []string{
			"1: quake[sismo@7-12=sismo] tag[#temblor@23-31=#temblor]",
			"2: flood-es[inundación@5-16=inundación]",
			"3:",
			"line 5: cannot decode post: invalid_json: cannot parse JSON: unexpected value found: \"not json\"; unparsed tail: \"not json\"",
			"line 6: cannot decode post: bad_created_at: created_at: ",
			"5: quake[地震@0-6=地震 earthquak*@13-23=earthquake]",
		}
		for i := range want {
			if s := summary(got[i]); !strings.HasPrefix(s, want[i]) {
				t.Fatalf("%s: line %d of output:\n got %s\nwant %s", src.arg, i+1, s, want[i])
			}
		}
	}

	// Without --json: a line per rule matched, rejected lines on stderr
	// with their file and line.
	out, errOut, status := earshot(t, "", "rules", "test", rules, "--input", path)
	wantOut := "1: rule \"quake\" matched: \"sismo\" at 7–12\n1: rule \"tag\" matched: \"#temblor\" at 23–31\n" +
		"2: rule \"flood-es\" matched: \"inundación\" at 5–16\n3: rule \"flood-es\" not matched, though \"inundación\" at 5–16 occurs\n" +
		"5: rule \"quake\" matched: \"地震\" at 0–6, \"earthquake\" at 13–23 (earthquak*)\n"
	if status != 1 || out != wantOut || !strings.Contains(errOut, path+":5: cannot decode post: invalid_json") || !strings.Contains(errOut, path+":6: cannot decode post: bad_created_at") {
		t.Fatalf("status %d\nstdout: %s\nwant:   %s\nstderr: %s", status, out, wantOut, errOut)
	}

	// All lines good: status 0.
	good := writeFile(t, "good.jsonl", `{"id":"9","text":"sismo"}`+"\n")
	if out, errOut, status := earshot(t, "", "rules", "test", rules, "--input", good, "--json"); status != 0 || !strings.HasPrefix(out, `{"id":"9","rules":[{"id":"quake"`) {
		t.Fatalf("status %d\nstdout: %s\nstderr: %s", status, out, errOut)
	}
	// Another format: a Twitter v1.1 status.
	tweet := writeFile(t, "tweets.jsonl", `{"id_str":"77","created_at":"Mon Nov 23 02:00:00 +0000 2026","text":"earthquake!","user":{"id_str":"1","screen_name":"a"}}`+"\n")
	if out, errOut, status := earshot(t, "", "rules", "test", rules, "--input", tweet, "--format", "twitter-v1"); status != 0 || out != "77: rule \"quake\" matched: \"earthquake\" at 0–10 (earthquak*)\n" {
		t.Fatalf("twitter-v1: status %d\nstdout: %s\nstderr: %s", status, out, errOut)
	}
	if _, errOut, status := earshot(t, "", "rules", "test", rules, "--input", good, "--format", "xml"); status != 2 || !strings.Contains(errOut, "unknown format \"xml\"") {
		t.Fatalf("bad format: status %d, stderr %q", status, errOut)
	}
}

// TestRulesTestCountry: country: sees the country the pipeline stores with
// a mention (GPS, then place, then the author's profile location).
func TestRulesTestCountry(t *testing.T) {
	rules := writeFile(t, "rules.yaml", "rules:\n  - id: mx\n    query: sismo country:MX\n")
	posts := `{"id":"gps","text":"sismo","geo":{"lat":19.43,"lon":-99.13}}
{"id":"place","text":"sismo","place":{"country_code":"MX"}}
{"id":"profile","text":"sismo","author":{"location":"Guadalajara, Jalisco"}}
{"id":"us","text":"sismo","place":{"country_code":"US"}}
{"id":"gps-wins","text":"sismo","geo":{"lat":34.05,"lon":-118.24},"place":{"country_code":"MX"}}
{"id":"nowhere","text":"sismo"}
`
	rulesTestStdin(t, rules, posts, "gps: rule \"mx\" matched: \"sismo\" at 0–5\nplace: rule \"mx\" matched: \"sismo\" at 0–5\n"+
		"profile: rule \"mx\" matched: \"sismo\" at 0–5\nus: rule \"mx\" not matched, though \"sismo\" at 0–5 occurs\n"+
		"gps-wins: rule \"mx\" not matched, though \"sismo\" at 0–5 occurs\nnowhere: rule \"mx\" not matched, though \"sismo\" at 0–5 occurs\n")
	// --why says which country each post was found in.
	rulesTestStdin(t, rules, posts, "gps: rule \"mx\" matched: \"sismo\" at 0–5\n"+
		"    yes  sismo AND country:MX\n    yes    sismo: \"sismo\" at 0–5\n    yes    country:MX  (the post: country MX)\n"+
		"place: rule \"mx\" matched: \"sismo\" at 0–5\n"+
		"    yes  sismo AND country:MX\n    yes    sismo: \"sismo\" at 0–5\n    yes    country:MX  (the post: country MX)\n"+
		"profile: rule \"mx\" matched: \"sismo\" at 0–5\n"+
		"    yes  sismo AND country:MX\n    yes    sismo: \"sismo\" at 0–5\n    yes    country:MX  (the post: country MX)\n"+
		"us: rule \"mx\" not matched, though \"sismo\" at 0–5 occurs\n"+
		"    no   sismo AND country:MX\n    yes    sismo: \"sismo\" at 0–5\n    no     country:MX  (the post: country US)\n"+
		"gps-wins: rule \"mx\" not matched, though \"sismo\" at 0–5 occurs\n"+
		"    no   sismo AND country:MX\n    yes    sismo: \"sismo\" at 0–5\n    no     country:MX  (the post: country US)\n"+
		"nowhere: rule \"mx\" not matched, though \"sismo\" at 0–5 occurs\n"+
		"    no   sismo AND country:MX\n    yes    sismo: \"sismo\" at 0–5\n    no     country:MX  (the post: country unknown)\n", "--why")
}

// TestRulesTestPlace: region: and city: see the region and place the
// pipeline stores with a mention.
func TestRulesTestPlace(t *testing.T) {
	rules := writeFile(t, "rules.yaml", "rules:\n  - id: jalisco\n    query: sismo region:mx-14\n  - id: cdmx\n    query: 'sismo city:\"Mexico City\"'\n")
	posts := `{"id":"gps","text":"sismo","geo":{"lat":19.43,"lon":-99.13}}
{"id":"profile","text":"sismo","author":{"location":"Guadalajara, Jalisco"}}
{"id":"nowhere","text":"sismo"}
`
	rulesTestStdin(t, rules, posts, "gps: rule \"jalisco\" not matched, though \"sismo\" at 0–5 occurs\n"+
		"    no   sismo AND region:MX-14\n    yes    sismo: \"sismo\" at 0–5\n    no     region:MX-14  (the post: region MX-09)\n"+
		"gps: rule \"cdmx\" matched: \"sismo\" at 0–5\n"+
		"    yes  sismo AND city:\"Mexico City\"\n    yes    sismo: \"sismo\" at 0–5\n    yes    city:\"Mexico City\"  (the post: city Mexico City)\n"+
		"profile: rule \"jalisco\" matched: \"sismo\" at 0–5\n"+
		"    yes  sismo AND region:MX-14\n    yes    sismo: \"sismo\" at 0–5\n    yes    region:MX-14  (the post: region MX-14)\n"+
		"profile: rule \"cdmx\" not matched, though \"sismo\" at 0–5 occurs\n"+
		"    no   sismo AND city:\"Mexico City\"\n    yes    sismo: \"sismo\" at 0–5\n    no     city:\"Mexico City\"  (the post: city Guadalajara)\n"+
		"nowhere: rule \"jalisco\" not matched, though \"sismo\" at 0–5 occurs\n"+
		"    no   sismo AND region:MX-14\n    yes    sismo: \"sismo\" at 0–5\n    no     region:MX-14  (the post: region unknown)\n"+
		"nowhere: rule \"cdmx\" not matched, though \"sismo\" at 0–5 occurs\n"+
		"    no   sismo AND city:\"Mexico City\"\n    yes    sismo: \"sismo\" at 0–5\n    no     city:\"Mexico City\"  (the post: city unknown)\n", "--why")
}

// rulesTestStdin runs rules test on posts given on stdin and wants its
// output and a status of 0.
func rulesTestStdin(t *testing.T, rules, posts, want string, args ...string) {
	t.Helper()
	out, errOut, status := earshot(t, posts, append([]string{"rules", "test", rules, "--input", "-"}, args...)...)
	if status != 0 || out != want {
		t.Fatalf("status %d\nstdout: %s\nwant:   %s\nstderr: %s", status, out, want, errOut)
	}
}

// TestRulesTestAuthor: author: and author.bio: see the post's author, as
// rules test decodes it (deferred until a rule asks, as in the pipeline).
func TestRulesTestAuthor(t *testing.T) {
	rules := writeFile(t, "rules.yaml", "rules:\n  - id: not-own\n    query: sismo -author:SSNMexico\n"+
		"  - id: press\n    query: sismo author.bio:\"de guardia\"\n")
	posts := `{"id":"own","text":"sismo","author":{"id":"1","handle":"@ssnmexico","bio":"Servicio Sismológico Nacional"}}
{"id":"press","text":"sismo","author":{"id":"2","handle":"ana","bio":"Periodista de guardia. CDMX"}}
{"id":"none","text":"sismo"}
`
	rulesTestStdin(t, rules, posts, "own: rule \"not-own\" not matched, though \"sismo\" at 0–5 occurs\n"+
		"own: rule \"press\" not matched, though \"sismo\" at 0–5 occurs\npress: rule \"not-own\" matched: \"sismo\" at 0–5\n"+
		"press: rule \"press\" matched: \"sismo\" at 0–5\nnone: rule \"not-own\" matched: \"sismo\" at 0–5\n"+
		"none: rule \"press\" not matched, though \"sismo\" at 0–5 occurs\n")
	// --why shows the author and bio the rules saw.
	rulesTestStdin(t, rules, posts[:strings.Index(posts, "\n")+1], "own: rule \"not-own\" not matched, though \"sismo\" at 0–5 occurs\n"+
		"    no   sismo AND NOT author:SSNMexico\n    yes    sismo: \"sismo\" at 0–5\n    no     NOT author:SSNMexico\n"+
		"    yes      author:SSNMexico  (the post: author @ssnmexico)\n"+
		"own: rule \"press\" not matched, though \"sismo\" at 0–5 occurs\n"+
		"    no   sismo AND author.bio:\"de guardia\"\n    yes    sismo: \"sismo\" at 0–5\n"+
		"    no     author.bio:\"de guardia\"  (the post: bio \"Servicio Sismológico Nacional\")\n", "--why")
}

// TestGenDetectEnrich runs the offline tools on a generated firehose: 34
// quiet minutes and then an earthquake in Mexico. detect must stay silent
// for the quiet minutes and alert within a minute of the shaking; on the
// first 12 minutes alone it must say why it cannot alert yet; enrich prints
// every post in order, with its place.
func TestGenDetectEnrich(t *testing.T) {
	dir := t.TempDir()
	posts, rules := filepath.Join(dir, "posts.jsonl"), filepath.Join(dir, "rules.txt")
	if _, errOut, status := earshot(t, "", "gen", "--output", posts, "--count", "100000", "--rate", "40", "--throttle=false",
		"--burst-at", "34m", "--rules-count", "100", "--rules-out", rules, "--start", "2026-11-23T00:00:00Z", "--seed", "7"); status != 0 {
		t.Fatalf("gen: status %d\n%s", status, errOut)
	}
	data, err := os.ReadFile(posts)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 100000 {
		t.Fatalf("gen wrote %d posts, want 100000", len(lines))
	}

	out, errOut, status := earshot(t, string(data), "detect", "--rules", rules, "--json")
	if status != 0 || !strings.Contains(errOut, "detect: 100000 posts, 0 rejected") {
		t.Fatalf("detect: status %d\n%s", status, errOut)
	}
	type alertLine struct {
		Kind, Rule, Scope, Country string
		DetectedAt                 string `json:"detected_at"`
	}
	var triggers, mexico int
	first := ""
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var a alertLine
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("detect --json line %q: %v", l, err)
		}
		if a.Kind != "trigger" {
			continue
		}
		triggers++
		if a.DetectedAt < "2026-11-23T00:34:00Z" {
			t.Fatalf("trigger during the quiet minutes: %s", l)
		}
		if first == "" || a.DetectedAt < first {
			first = a.DetectedAt
		}
		if a.Scope == "country" && a.Country == "MX" {
			mexico++
		}
	}
	if triggers == 0 || mexico == 0 || first >= "2026-11-23T00:35:00Z" {
		t.Fatalf("detect: %d triggers (%d for Mexico), the first at %s; want one within a minute of 00:34\n%s", triggers, mexico, first, errOut)
	}

	// The first 12 minutes: nothing can trigger yet, and detect says so.
	out, errOut, status = earshot(t, strings.Join(lines[:30000], ""), "detect", "--rules", rules)
	if status != 0 || strings.Count(out, "\n") != 1 || !strings.Contains(errOut, "0 alerts") ||
		!strings.Contains(errOut, "no alert can come before 31m0s of event time") {
		t.Fatalf("detect on 12 minutes: status %d\nstdout: %s\nstderr: %s", status, out, errOut)
	}

	// enrich: one line per post, in order, with where it comes from.
	out, errOut, status = earshot(t, strings.Join(lines[:200], ""), "enrich")
	got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if status != 0 || len(got) != 200 {
		t.Fatalf("enrich: status %d, %d lines for 200 posts\n%s", status, len(got), errOut)
	}
	located := 0
	for i, l := range got {
		var in, e struct{ ID, Country string }
		if json.Unmarshal([]byte(lines[i]), &in) != nil || json.Unmarshal([]byte(l), &e) != nil || e.ID != in.ID {
			t.Fatalf("enrich line %d: %q for post %q", i+1, l, lines[i])
		}
		if e.Country != "" {
			located++
		}
	}
	if located < 50 {
		t.Fatalf("enrich located %d of 200 generated posts (half have a place or a profile location)", located)
	}
}
