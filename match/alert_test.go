package match

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"gopkg.in/yaml.v3"
)

// alertRule is a one-rule YAML file whose rule's `alert:` key is followed
// by alert (a flow value after a space, or block lines after a newline):
// the key is on line 4, at column 5, its flow value at column 12.
func alertRule(alert string) string {
	return "rules:\n  - id: a\n    query: x\n    alert:" + alert + "\n"
}

func TestParseAlert(t *testing.T) {
	for _, tc := range []struct {
		alert string
		want  *Alert // without Pos
	}{
		// Scalars.
		{" off", &Alert{Off: true}},
		{" false", &Alert{Off: true}},
		{" False", &Alert{Off: true}},
		{" on", nil},
		{" true", nil},
		{" default", nil},
		{" {}", nil},
		// Each setting.
		{" {threshold: 1.5}", &Alert{Threshold: 1.5}},
		{" {threshold: 2}", &Alert{Threshold: 2}},
		{" {factor: 3}", &Alert{Factor: 3}},
		{" {floor: 0.5}", &Alert{Floor: 0.5}},
		{" {rearm: 0.5}", &Alert{Rearm: 0.5}},
		{" {short_window: 90s}", &Alert{ShortWindow: 90 * time.Second}},
		{" {long_window: 2h}", &Alert{LongWindow: 2 * time.Hour}},
		{" {long_window: 24h}", &Alert{LongWindow: 24 * time.Hour}},
		{` {short_window: "1m30s"}`, &Alert{ShortWindow: 90 * time.Second}},
		{" {count: posts}", nil}, // all defaults: none
		{" {count: authors}", &Alert{Authors: true}},
		{" {include: []}", nil},
		{" {include: [reposts]}", &Alert{Reposts: true}},
		{" {include: [replies, links]}", &Alert{Replies: true, Links: true}},
		{"\n      include:\n        - reposts\n        - replies\n        - links", &Alert{Reposts: true, Replies: true, Links: true}},
		{" {max_text: 280}", &Alert{MaxText: 280}},
		{" {max_text: none}", &Alert{MaxText: -1}},
		{" {cooldown: 30m}", &Alert{Cooldown: 30 * time.Minute}},
		{" {cooldown: none}", &Alert{Cooldown: -1}},
		{" {cooldown: 0}", &Alert{Cooldown: -1}},
		{" {cooldown: 0s}", &Alert{Cooldown: -1}},
		{" {revival: off}", &Alert{NoRevival: true}},
		{" {revival: false, floor: 2}", &Alert{NoRevival: true, Floor: 2}},
		{" {revival: on}", nil},
		{" {revival: {quiet: 14d}}", &Alert{RevivalQuiet: 14 * 24 * time.Hour}},
		{" {revival: {quiet: 36h, floor: 5}}", &Alert{RevivalQuiet: 36 * time.Hour, RevivalFloor: 5}},
		{" {revival: {quiet: 180m}}", &Alert{RevivalQuiet: 3 * time.Hour}},
		{" {revival: {floor: 1}, floor: 2}", &Alert{RevivalFloor: 1, Floor: 2}},
		{" {revival: {}}", nil},
		{"\n      revival:\n        quiet: 30d\n        floor: 3", &Alert{RevivalQuiet: 30 * 24 * time.Hour, RevivalFloor: 3}},
		// Together, in block style.
		{"\n      floor: 2          # a quiet topic\n      count: authors\n      cooldown: 30m",
			&Alert{Floor: 2, Authors: true, Cooldown: 30 * time.Minute}},
		{"\n      threshold: 1.5\n      factor: 2.5\n      floor: 4\n      rearm: 0.3\n      short_window: 2m\n      long_window: 1h\n" +
			"      count: authors\n      include: [links]\n      max_text: 500\n      cooldown: 1h",
			&Alert{Threshold: 1.5, Factor: 2.5, Floor: 4, Rearm: 0.3, ShortWindow: 2 * time.Minute, LongWindow: time.Hour,
				Authors: true, Links: true, MaxText: 500, Cooldown: time.Hour}},
	} {
		rules, err := Parse("r.yaml", []byte(alertRule(tc.alert)))
		if err != nil {
			t.Errorf("alert:%s: %v", tc.alert, err)
			continue
		}
		if len(rules) != 1 {
			t.Fatalf("alert:%s: rules = %+v", tc.alert, rules)
		}
		if got := alertSettings(rules[0].Alert); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("alert:%s:\n got %+v\nwant %+v", tc.alert, got, tc.want)
		}
		// String writes the settings back as a value that parses to them.
		if a := rules[0].Alert; a != nil {
			again, err := Parse("r.yaml", []byte(alertRule(" "+a.String())))
			if err != nil || len(again) != 1 || !reflect.DeepEqual(alertSettings(again[0].Alert), tc.want) {
				t.Errorf("alert:%s: String %q parses to %+v (%v)", tc.alert, a.String(), again, err)
			}
		}
	}
	for _, tc := range []struct {
		a    Alert
		want string
	}{
		{Alert{Off: true, Floor: 2}, "off"},
		{Alert{}, "{}"},
		{Alert{Floor: 2, Authors: true, Cooldown: 30 * time.Minute}, "{floor: 2, count: authors, cooldown: 30m}"},
		{Alert{Floor: 2, NoRevival: true}, "{floor: 2, revival: off}"},
		{Alert{RevivalQuiet: 7 * 24 * time.Hour, RevivalFloor: 3}, "{revival: {quiet: 7d, floor: 3}}"},
		{Alert{RevivalQuiet: 36 * time.Hour}, "{revival: {quiet: 36h}}"},
		{Alert{RevivalFloor: 4, NoRevival: true}, "{revival: off}"},
		{Alert{Threshold: 1.5, ShortWindow: 90 * time.Second, LongWindow: 2 * time.Hour, Replies: true, Links: true,
			MaxText: -1, Cooldown: -1}, "{threshold: 1.5, short_window: 1m30s, long_window: 2h, include: [replies, links], max_text: none, cooldown: none}"},
	} {
		if got := tc.a.String(); got != tc.want {
			t.Errorf("%+v: String %q, want %q", tc.a, got, tc.want)
		}
	}
	// ParseAlert reads back what String writes (the rules table's alert).
	for _, a := range []Alert{{Off: true}, {Floor: 2, Authors: true, Cooldown: 30 * time.Minute},
		{RevivalQuiet: 14 * 24 * time.Hour, RevivalFloor: 5}, {NoRevival: true, Threshold: 1.5}} {
		got, err := ParseAlert(a.String())
		if err != nil || !reflect.DeepEqual(alertSettings(got), alertSettings(&a)) {
			t.Errorf("ParseAlert(%q) = %+v, %v; want %+v", a.String(), got, err, a)
		}
	}
	for _, text := range []string{"", "on", "{}"} {
		if got, err := ParseAlert(text); got != nil || err != nil {
			t.Errorf("ParseAlert(%q) = %+v, %v; want none", text, got, err)
		}
	}
	if _, err := ParseAlert("{revival: {quiet: 1h}}"); err == nil || !strings.Contains(err.Error(), "alert:1:19: revival quiet must be whole hours") {
		t.Errorf("ParseAlert of a bad quiet: %v", err)
	}
	// No alert key, and keyword lists: no settings.
	for file, src := range map[string]string{"r.yaml": "rules:\n  - id: a\n    query: x\n", "k.txt": "quake\n"} {
		rules, err := Parse(file, []byte(src))
		if err != nil || len(rules) != 1 || rules[0].Alert != nil {
			t.Errorf("%s: %+v %v", file, rules, err)
		}
	}
}

func TestParseAlertPos(t *testing.T) {
	for _, tc := range []struct {
		src  string
		pos  Pos
		line string
	}{
		{alertRule(" {floor: 2}"), Pos{"r.yaml", 4, 12}, "    alert: {floor: 2}"},
		{alertRule(" off"), Pos{"r.yaml", 4, 12}, "    alert: off"},
		// A block mapping starts at its first key.
		{alertRule("\n      floor: 2\n      count: authors"), Pos{"r.yaml", 5, 7}, "      floor: 2"},
		// The line is given without its "\r".
		{strings.ReplaceAll(alertRule(" {cooldown: 30m}"), "\n", "\r\n"), Pos{"r.yaml", 4, 12}, "    alert: {cooldown: 30m}"},
	} {
		rules, err := Parse("r.yaml", []byte(tc.src))
		if err != nil {
			t.Fatalf("%q: %v", tc.src, err)
		}
		a := rules[0].Alert
		if a == nil || a.Pos != tc.pos || a.line != tc.line {
			t.Errorf("%q: alert %+v, want pos %v line %q", tc.src, a, tc.pos, tc.line)
		}
	}
}

// A YAML anchor shares settings between rules; each rule's settings are
// where its alias is.
func TestParseAlertAlias(t *testing.T) {
	src := `rules:
  - id: a
    query: x
    alert: &quiet {floor: 2, count: authors}
  - id: b
    query: y
    alert: *quiet
  - id: c
    query: z
    alert: {include: [&r reposts, *r]}
`
	rules, err := Parse("r.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := &Alert{Floor: 2, Authors: true}
	if a := rules[0].Alert; !reflect.DeepEqual(alertSettings(a), want) || a.Pos != (Pos{"r.yaml", 4, 12}) {
		t.Errorf("a: %+v", a)
	}
	if a := rules[1].Alert; !reflect.DeepEqual(alertSettings(a), want) || a.Pos != (Pos{"r.yaml", 7, 12}) || a.line != "    alert: *quiet" {
		t.Errorf("b: %+v", a)
	}
	if a := rules[2].Alert; !reflect.DeepEqual(alertSettings(a), &Alert{Reposts: true}) {
		t.Errorf("c: %+v", a)
	}
}

func TestParseAlertErrors(t *testing.T) {
	const (
		numberHint  = "hint: write a number such as 1.5 (default 1; lower is more sensitive)"
		windowHint  = "hint: write a duration such as 1m or 90s, at most 24h"
		cooldownHnt = "hint: write a duration such as 30m, or none (or 0) never to suppress a repeated alert"
		formsHint   = "hint: write `alert: off` never to alert on the rule, or settings such as `alert: {floor: 2, cooldown: 30m}`"
	)
	for _, tc := range []struct {
		alert string
		want  string // file:line:col: message
		hint  string
	}{
		// The value's forms.
		{" sometimes", `r.yaml:4:12: unknown alert "sometimes"`, formsHint},
		{" yes", `r.yaml:4:12: unknown alert "yes"`, formsHint},
		{" 1", `r.yaml:4:12: unknown alert "1"`, formsHint},
		{"", "r.yaml:4:11: alert has no value", formsHint},
		{" [floor]", "r.yaml:4:12: alert must be off, on or a mapping of settings, not a list", formsHint},
		{"\n      - floor: 2", "r.yaml:5:7: alert must be off, on or a mapping of settings, not a list", formsHint},
		// Keys.
		{" {flor: 2}", `r.yaml:4:13: unknown alert setting "flor"`,
			"hint: known settings: threshold, factor, floor, rearm, short_window, long_window, count, include, max_text, cooldown, revival"},
		{" {floor: 2, floor: 3}", `r.yaml:4:23: duplicate alert setting "floor"`, "hint: write each setting once"},
		// Numbers.
		{" {threshold: 0}", `r.yaml:4:24: threshold must be a number above 0, not "0"`, numberHint},
		{" {threshold: -1}", `r.yaml:4:24: threshold must be a number above 0, not "-1"`, numberHint},
		{" {threshold: high}", `r.yaml:4:24: threshold must be a number above 0, not "high"`, numberHint},
		{` {threshold: "1.5"}`, `r.yaml:4:24: threshold must be a number above 0, not "1.5"`, numberHint},
		{" {threshold: .nan}", `r.yaml:4:24: threshold must be a number above 0, not ".nan"`, numberHint},
		{" {threshold: .inf}", `r.yaml:4:24: threshold must be a number above 0, not ".inf"`, numberHint},
		{" {threshold: }", `r.yaml:4:24: threshold must be a number above 0, not nothing`, numberHint},
		{" {threshold: [1]}", "r.yaml:4:24: threshold must be a number above 0, not a list", numberHint},
		{" {factor: 0}", `r.yaml:4:21: factor must be a number above 0, not "0"`, "hint: write a number such as 3 (default 2)"},
		{" {floor: -2}", `r.yaml:4:20: floor must be a number above 0, not "-2"`,
			"hint: write posts (or authors) per minute such as 2 (default 12; lower is more sensitive)"},
		{" {floor: -.inf}", `r.yaml:4:20: floor must be a number above 0, not "-.inf"`, "hint: write posts (or authors) per minute"},
		{" {rearm: -0.1}", `r.yaml:4:20: rearm must be a number above 0, not "-0.1"`,
			"hint: write a number below the threshold such as 0.5 (default 0.25)"},
		{" {rearm: 0}", `r.yaml:4:20: rearm must be a number above 0, not "0"`,
			"hint: write a number below the threshold such as 0.5 (default 0.25)"},
		// Windows.
		{" {short_window: 60}", `r.yaml:4:27: short_window must be a duration above 0 and at most 24h, not "60"`, windowHint},
		{" {short_window: 0s}", `r.yaml:4:27: short_window must be a duration above 0 and at most 24h, not "0s"`, windowHint},
		{" {short_window: -1m}", `r.yaml:4:27: short_window must be a duration above 0 and at most 24h, not "-1m"`, windowHint},
		{" {long_window: 25h}", `r.yaml:4:26: long_window must be a duration above 0 and at most 24h, not "25h"`, windowHint},
		{" {long_window: 1 day}", `r.yaml:4:26: long_window must be a duration above 0 and at most 24h, not "1 day"`, windowHint},
		// count, include.
		{" {count: users}", `r.yaml:4:20: count must be posts or authors, not "users"`,
			"hint: write posts (the default) or authors (distinct authors)"},
		{" {include: reposts}", `r.yaml:4:22: include must be a list, not "reposts"`,
			"hint: write a list of reposts, replies and links, e.g. [reposts, replies], or [] for none"},
		{" {include: [reposts, quotes]}", `r.yaml:4:32: include lists reposts, replies or links, not "quotes"`,
			"hint: write reposts, replies or links"},
		{"\n      include:\n        - replies\n        - {links: true}", "r.yaml:7:11: include lists reposts, replies or links, not a mapping",
			"hint: write reposts, replies or links"},
		// max_text, cooldown.
		{" {max_text: 0}", `r.yaml:4:23: max_text must be a whole number above 0 or none, not "0"`,
			"hint: write a number of characters such as 280 (default 140), or none for no limit"},
		{" {max_text: 140.5}", `r.yaml:4:23: max_text must be a whole number above 0 or none, not "140.5"`, "hint: write a number of characters"},
		{" {max_text: unlimited}", `r.yaml:4:23: max_text must be a whole number above 0 or none, not "unlimited"`, "hint: write a number of characters"},
		{" {cooldown: -5m}", `r.yaml:4:23: cooldown must be a duration of at least 0 or none, not "-5m"`, cooldownHnt},
		{" {cooldown: 10}", `r.yaml:4:23: cooldown must be a duration of at least 0 or none, not "10"`, cooldownHnt},
		{" {revival: sometimes}", `r.yaml:4:22: revival must be on, off or settings, not "sometimes"`, "hint: write off to raise no revival alert"},
		{" {revival: {quiet: 1h}}", `r.yaml:4:30: revival quiet must be whole hours from 2h to 30d, not "1h"`, "hint: write whole hours or days such as 14d or 36h"},
		{" {revival: {quiet: 31d}}", `r.yaml:4:30: revival quiet must be whole hours from 2h to 30d, not "31d"`, "hint: write whole hours or days such as 14d or 36h"},
		{" {revival: {quiet: 72}}", `r.yaml:4:30: revival quiet must be whole hours from 2h to 30d, not "72"`, "hint: write whole hours or days such as 14d or 36h"},
		{" {revival: {quiet: 150m}}", `r.yaml:4:30: revival quiet must be whole hours from 2h to 30d, not "150m"`, "hint: write whole hours or days such as 14d or 36h"},
		{" {revival: {quiet: soon}}", `r.yaml:4:30: revival quiet must be whole hours from 2h to 30d, not "soon"`, "hint: write whole hours or days such as 14d or 36h"},
		{" {revival: {floor: 0}}", `r.yaml:4:30: revival floor must be a whole number of mentions from 1, not "0"`, "hint: write a whole number of mentions an hour"},
		{" {revival: {floor: 2.5}}", `r.yaml:4:30: revival floor must be a whole number of mentions from 1, not "2.5"`, "hint: write a whole number of mentions an hour"},
		{" {revival: {qiet: 3d}}", `r.yaml:4:23: unknown revival setting "qiet"`, "hint: write quiet (a duration such as 14d) or floor"},
		{" {revival: {floor: 2, floor: 3}}", `r.yaml:4:33: a revival setting must be quiet or floor, once`, "hint: write quiet and floor, each once"},
		{" {cooldown: never}", `r.yaml:4:23: cooldown must be a duration of at least 0 or none, not "never"`, cooldownHnt},
		// Block style: the position of the value on its own line.
		{"\n      floor: 2\n      cooldown: soon", `r.yaml:6:17: cooldown must be a duration of at least 0 or none, not "soon"`, cooldownHnt},
	} {
		src := alertRule(tc.alert)
		rules, err := Parse("r.yaml", []byte(src))
		if err == nil {
			t.Errorf("alert:%s: accepted: %+v", tc.alert, rules)
			continue
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("alert:%s: %T is not a *SyntaxError", tc.alert, err)
		}
		if strings.Count(err.Error(), "\nhint: ") != 1 {
			t.Errorf("alert:%s: want one error, got\n%s", tc.alert, err)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, tc.want+"\n") || !strings.Contains(msg, "\n"+tc.hint) {
			t.Errorf("alert:%s: error\n%s\nwant %q and %q", tc.alert, msg, tc.want, tc.hint)
		}
		// The source line is shown with the caret under the column.
		var line, col int
		if _, err := fmt.Sscanf(strings.TrimPrefix(tc.want, "r.yaml:"), "%d:%d:", &line, &col); err != nil {
			t.Fatal(err)
		}
		caret := "\n\t" + strings.Split(src, "\n")[line-1] + "\n\t" + strings.Repeat(" ", col-1) + "^\n"
		if !strings.Contains(msg, caret) {
			t.Errorf("alert:%s: error\n%s\nlacks the caret display %q", tc.alert, msg, caret)
		}
	}
}

// Every error is reported, and a rule with an alert error is rejected
// like one with any other error.
func TestParseAlertSeveralErrors(t *testing.T) {
	src := `rules:
  - id: a
    query: x
    alert:
      threshold: 0
      short_window: 1 minute
      colour: red
  - id: b
    query: y
    alert: maybe
  - id: c
    query: z
    alert: {floor: 2}
`
	_, err := Parse("r.yaml", []byte(src))
	if err == nil {
		t.Fatal("accepted")
	}
	wants := []string{
		`r.yaml:5:18: threshold must be a number above 0`,
		`r.yaml:6:21: short_window must be a duration above 0 and at most 24h, not "1 minute"`,
		`r.yaml:7:7: unknown alert setting "colour"`,
		`r.yaml:10:12: unknown alert "maybe"`,
	}
	msg := err.Error()
	last := -1
	for _, w := range wants {
		i := strings.Index(msg, w)
		if i < 0 || i < last {
			t.Errorf("error\n%s\nlacks %q (in order)", msg, w)
		}
		last = i
	}
	if n := strings.Count(msg, "\nhint: "); n != len(wants) {
		t.Errorf("%d errors, want %d:\n%s", n, len(wants), msg)
	}
	// The unknown-key hint of a rule names alert.
	_, err = Parse("r.yaml", []byte("rules:\n  - id: a\n    query: x\n    alerts: off\n"))
	if err == nil || !strings.Contains(err.Error(), "r.yaml:4:5: unknown key \"alerts\"") ||
		!strings.Contains(err.Error(), "hint: known keys: id, name, query, diacritics, tags, route, level, enabled, alert") {
		t.Errorf("unknown key: %v", err)
	}
}

func TestAlertErrorf(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{alertRule(" {floor: 2, long_window: 3h}"),
			"r.yaml:4:12: alert settings of rule \"a\": floor 2 is too low\n" +
				"\t    alert: {floor: 2, long_window: 3h}\n" +
				"\t           ^\n" +
				"hint: see docs/rules.md"},
		// A tab before the column is drawn as a tab.
		{alertRule("\t{floor: 2}"),
			"r.yaml:4:12: alert settings of rule \"a\": floor 2 is too low\n" +
				"\t    alert:\t{floor: 2}\n" +
				"\t          \t^\n" +
				"hint: see docs/rules.md"},
	} {
		rules, err := Parse("r.yaml", []byte(tc.src))
		if err != nil {
			t.Fatal(err)
		}
		a := rules[0].Alert
		got := a.Errorf("see docs/rules.md", "alert settings of rule %q: floor %v is too low", rules[0].ID, a.Floor).Error()
		if got != tc.want {
			t.Errorf("got\n%s\nwant\n%s", got, tc.want)
		}
	}
}

func TestDiffAlert(t *testing.T) {
	parse := func(src string) []Rule {
		t.Helper()
		rules, err := Parse("r.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return rules
	}
	old := parse(`rules:
  - id: quiet
    query: xbox
    alert: {floor: 2, count: authors}
  - id: loud
    query: sismo
    alert: {threshold: 1.5}
  - id: muted
    query: brand
    alert: off
  - id: plain
    query: quake
`)
	for _, tc := range []struct {
		name, src, changed string
	}{
		{"moved", `rules:
  # the same settings, elsewhere in the file and written otherwise

  - id: loud
    query: sismo
    alert:
      threshold: 1.5
  - id: quiet
    query: xbox
    alert:
      count: authors
      floor: 2.0
  - id: plain
    query: quake
    alert: default
  - id: muted
    query: brand
    alert: false
`, ""},
		{"threshold", `rules:
  - id: quiet
    query: xbox
    alert: {floor: 2, count: authors}
  - id: loud
    query: sismo
    alert: {threshold: 2}
  - id: muted
    query: brand
    alert: off
  - id: plain
    query: quake
`, "loud"},
		{"settings added and removed", `rules:
  - id: quiet
    query: xbox
    alert: {floor: 2, count: authors, cooldown: none}
  - id: loud
    query: sismo
  - id: muted
    query: brand
    alert: on
  - id: plain
    query: quake
    alert: off
`, "loud,muted,plain,quiet"},
	} {
		cur := parse(tc.src)
		ch := Diff(old, cur)
		if got := strings.Join(ch.Changed, ","); got != tc.changed || len(ch.Added)+len(ch.Removed) != 0 {
			t.Errorf("%s: change %+v, want changed %q", tc.name, ch, tc.changed)
		}
	}
	// Diff does not touch the rules.
	if p := old[0].Alert.Pos; p != (Pos{"r.yaml", 4, 12}) || old[0].Alert.line == "" {
		t.Errorf("Diff changed the rules: %+v", old[0].Alert)
	}
}

// checkThreshold is a ReloaderConfig.Check that refuses a threshold below
// 1, as the pipeline refuses settings its detector would not take, and
// records the rules it was asked about.
type checkThreshold struct{ asked [][]string }

func (c *checkThreshold) check(rules []Rule) error {
	var ids []string
	var errs []error
	for i := range rules {
		ids = append(ids, rules[i].ID)
		if a := rules[i].Alert; a != nil && a.Threshold != 0 && a.Threshold < 1 {
			errs = append(errs, a.Errorf("write a threshold of at least 1", "alert settings of rule %q: threshold %v is below 1", rules[i].ID, a.Threshold))
		}
	}
	c.asked = append(c.asked, ids)
	return errors.Join(errs...)
}

func TestReloaderCheck(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.yaml")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const bad = "rules:\n  - id: quake\n    query: quake\n    alert: {threshold: 0.5}\n"
	c := &checkThreshold{}
	write(bad)
	_, err := NewReloader(ReloaderConfig{Path: path, Check: c.check})
	var se *SyntaxError
	if err == nil || !errors.As(err, &se) || se.Pos != (Pos{path, 4, 12}) ||
		!strings.Contains(err.Error(), ":4:12: alert settings of rule \"quake\": threshold 0.5 is below 1\n\t    alert: {threshold: 0.5}\n\t           ^\nhint: write a threshold") {
		t.Fatalf("NewReloader with a rule the check refuses: %v", err)
	}

	// The check is asked about the enabled rules.
	write("rules:\n  - id: quake\n    query: quake\n    alert: {threshold: 1.5}\n  - id: off\n    query: off\n    enabled: false\n    alert: {threshold: 0.1}\n")
	log := &syncBuffer{}
	c = &checkThreshold{}
	r, err := NewReloader(ReloaderConfig{Path: path, Check: c.check, Registerer: prometheus.NewRegistry(),
		Logger: slog.New(slog.NewTextHandler(log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(c.asked) != "[[quake]]" {
		t.Fatalf("check asked about %v", c.asked)
	}
	e0 := r.Engine()

	// A reload the check refuses keeps the active rules.
	write(bad)
	ch, err := r.Reload()
	if err == nil || !strings.Contains(err.Error(), "rules.yaml:4:12: alert settings of rule \"quake\": threshold 0.5 is below 1") {
		t.Fatalf("reload: %v", err)
	}
	if r.Engine() != e0 || !ch.Empty() || ch.Rules != 1 {
		t.Fatalf("engine replaced or change %+v", ch)
	}
	if n := testutil.ToFloat64(r.reloads.WithLabelValues("error")); n != 1 {
		t.Fatalf("errors counted: %v", n)
	}
	if l := log.String(); !strings.Contains(l, "rules reload failed; keeping the active rules") || !strings.Contains(l, "rules.yaml:4:12") {
		t.Fatalf("log = %s", l)
	}
	if got := r.Engine().Rules()[0].Alert.Threshold; got != 1.5 {
		t.Fatalf("active threshold %v", got)
	}

	// Settings the check takes are reloaded; changed settings are a change.
	write("rules:\n  - id: quake\n    query: quake\n    alert: {threshold: 2}\n")
	ch, err = r.Reload()
	if err != nil || strings.Join(ch.Changed, ",") != "quake" || r.Engine() == e0 {
		t.Fatalf("reload: %+v %v", ch, err)
	}
	if got := r.Engine().Rules()[0].Alert.Threshold; got != 2 || len(c.asked) != 3 {
		t.Fatalf("active threshold %v, check asked %d times", got, len(c.asked))
	}
	if testutil.ToFloat64(r.reloads.WithLabelValues("ok")) != 2 {
		t.Fatal("ok not counted")
	}
}

// A rule with an invalid alert setting is left out like one with any other
// error (Parse then rejects the whole file for the error).
func TestAlertErrorDropsRule(t *testing.T) {
	src := "rules:\n  - id: a\n    query: x\n    alert: {floor: 0}\n  - id: b\n    query: y\n    alert: {floor: 2}\n"
	y := &yamlRules{file: "r.yaml", lines: strings.Split(src, "\n")}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	rules := y.rules(doc.Content[0].Content[1])
	if len(rules) != 1 || rules[0].ID != "b" || len(y.errs) != 1 {
		t.Fatalf("rules %+v, errors %v", rules, y.errs)
	}
}

// TestDocAlertExample parses the example of docs/rules.md's "Alert settings
// per rule".
func TestDocAlertExample(t *testing.T) {
	doc, err := os.ReadFile("../docs/rules.md")
	if err != nil {
		t.Skip("docs/rules.md not found:", err)
	}
	_, sec, ok := strings.Cut(string(doc), "\n## Alert settings per rule\n")
	if !ok {
		t.Fatal(`docs/rules.md has no "Alert settings per rule"`)
	}
	_, block, ok := strings.Cut(sec, "```yaml\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatal("no YAML example in the section")
	}
	rules, err := Parse("rules.md", []byte(block))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*Alert{}
	for _, r := range rules {
		got[r.ID] = alertSettings(r.Alert)
	}
	want := map[string]*Alert{
		"xbox-outage":    {Floor: 2, Authors: true, Cooldown: 30 * time.Minute},
		"sismo":          {Threshold: 1.5},
		"brand-mentions": {Off: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("docs/rules.md example: %+v", got)
	}
}

// TestChanges: every setting of a rule shows in Changes (a field added to
// Rule must be added there too), and nothing else does.
func TestChanges(t *testing.T) {
	base := Rule{ID: "r", Query: "x", Enabled: true}
	values := map[string]any{
		"Name": "R", "Query": "y", "Tags": []string{"a", "b"}, "Route": "desk", "Level": "primary",
		"IgnoreDiacritics": true, "Alert": &Alert{Floor: 2},
	}
	typ := reflect.TypeFor[Rule]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		switch f.Name {
		case "ID", "Enabled", "Pos", "IDPos": // the key, always true in force, places
			continue
		}
		v, ok := values[f.Name]
		if !ok {
			t.Errorf("Rule.%s: no value in this test; add it to Changes and here", f.Name)
			continue
		}
		cur := base
		reflect.ValueOf(&cur).Elem().Field(i).Set(reflect.ValueOf(v))
		ch := Changes(&base, &cur)
		if len(ch) != 1 || sameRule(&base, &cur) {
			t.Errorf("Rule.%s changed: Changes %+v, sameRule %v", f.Name, ch, sameRule(&base, &cur))
		}
	}
	moved := base
	moved.Pos, moved.IDPos = Pos{File: "b.yaml", Line: 9, Col: 3}, Pos{File: "b.yaml", Line: 8, Col: 9}
	if ch := Changes(&base, &moved); len(ch) != 0 {
		t.Errorf("a moved rule: %+v", ch)
	}
	cur := base
	cur.Query, cur.Tags, cur.Alert = "x OR y", []string{"disaster"}, &Alert{Off: true}
	want := []FieldChange{{"query", "x", "x OR y"}, {"tags", "[]", "[disaster]"}, {"alert", "default", "off"}}
	if got := Changes(&base, &cur); !reflect.DeepEqual(got, want) {
		t.Errorf("Changes %+v, want %+v", got, want)
	}
}
