package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"earshot/enrich"
	"earshot/match"
	"earshot/stream"
	"earshot/stream/adapt"
	"earshot/stream/burst"
	"earshot/stream/post"
)

func cmdRules(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageErr("want a subcommand: rules check FILE|DIR | rules test FILE|DIR [--text T] [--input posts.jsonl|-] [--json] | rules eval FILE|DIR --input LABELLED [--label F] [--relevant V] [--compare NEW] [--json] | rules diff OLD NEW [--json] | rules history ID [--json]")
	}
	switch args[0] {
	case "check":
		return rulesCheck(args[1:])
	case "test":
		return rulesTest(ctx, args[1:])
	case "eval":
		return rulesEval(ctx, args[1:])
	case "diff":
		return rulesDiff(args[1:])
	case "history":
		return rulesHistory(ctx, args[1:])
	}
	return usageErr("unknown subcommand %q: want check, test, eval, diff or history", args[0])
}

// rulesDiff prints which rules in force a reload from OLD to NEW would add,
// remove and change (a review step before the file is deployed); both must
// compile.
func rulesDiff(args []string) error {
	fs := flag.NewFlagSet("rules diff", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print {\"added\":[…], \"removed\":[…], \"changed\":[…], \"rules\": N}")
	if err := parse(fs, reorder(args)); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageErr("usage: earshot rules diff OLD NEW (files or directories)")
	}
	var engines [2]*match.Engine
	for i, path := range fs.Args() {
		eng, err := loadEngine(path)
		if err != nil {
			return fmt.Errorf("%s rejected:\n%w", path, err)
		}
		engines[i] = eng
	}
	ch := match.Diff(engines[0].Rules(), engines[1].Rules())
	changes := ch.Fields
	if changes == nil {
		changes = map[string][]match.FieldChange{}
	}
	if *asJSON {
		return writeJSON(os.Stdout, map[string]any{"added": nonNil(ch.Added), "removed": nonNil(ch.Removed),
			"changed": nonNil(ch.Changed), "changes": changes, "rules": ch.Rules})
	}
	for _, c := range []struct {
		sign string
		ids  []string
	}{{"+", ch.Added}, {"-", ch.Removed}, {"~", ch.Changed}} {
		for _, id := range c.ids {
			fmt.Printf("%s %s", c.sign, id)
			for i, fc := range changes[id] {
				sep := "; "
				if i == 0 {
					sep = ": "
				}
				fmt.Print(sep, fc.String())
			}
			fmt.Println()
		}
	}
	fmt.Printf("%d added, %d removed, %d changed; %d rules in force after\n", len(ch.Added), len(ch.Removed), len(ch.Changed), ch.Rules)
	return nil
}

// nonNil makes an empty list a JSON [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func loadEngine(path string) (*match.Engine, error) {
	rules, err := match.LoadPath(path)
	if err != nil {
		return nil, err
	}
	e, err := match.Compile(rules)
	if err != nil {
		return nil, err
	}
	if err := checkRules(e.Rules()); err != nil {
		return nil, err
	}
	return e, nil
}

// checkRules is what a rules file must pass besides compiling, at start
// and on every reload: alert settings that earshot run's burst detector
// takes.
var checkRules = stream.CheckAlerts(burst.Config{})

func rulesCheck(args []string) error {
	fs := flag.NewFlagSet("rules check", flag.ContinueOnError)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("usage: earshot rules check FILE|DIR")
	}
	eng, err := loadEngine(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("%s rejected:\n%w", fs.Arg(0), err)
	}
	st := eng.Stats()
	fmt.Printf("%s: ok — %s, %s, automaton %d states, %.1f MiB%s\n",
		fs.Arg(0), counted(st.Rules, "rule"), counted(st.Terms, "term"), st.States, float64(st.Bytes)/(1<<20), alertSummary(eng.Rules()))
	return nil
}

// counted writes n things: "1 rule", "3 rules".
func counted(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// alertSummary says how many rules have alert settings of their own, and
// how many of those never alert: "" when none has.
func alertSummary(rules []match.Rule) string {
	var own, off int
	for i := range rules {
		if a := rules[i].Alert; a != nil {
			own++
			if a.Off {
				off++
			}
		}
	}
	switch {
	case own == 0:
		return ""
	case off == 0:
		return fmt.Sprintf("; %d with alert settings of their own", own)
	}
	return fmt.Sprintf("; %d with alert settings of their own (%d never alerting)", own, off)
}

// reorder moves flags after positional arguments to the front, so that
// "rules test FILE --json" works as well as "rules test --json FILE".
func reorder(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") && a != "-" {
			flags = append(flags, a)
			if !strings.Contains(a, "=") && a != "--json" && a != "-json" && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...)
}

func rulesTest(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("rules test", flag.ContinueOnError)
	text := fs.String("text", "", "match this `text` instead of reading posts")
	input := fs.String("input", "", "posts, one JSON object per line (`file`, or - for stdin)")
	format := fs.String("format", "canonical", "input `format`: canonical (created_at optional here), auto, twitter-v1, mastodon or jetstream")
	asJSON := fs.Bool("json", false, "print one JSON object per input line")
	if err := parse(fs, reorder(args)); err != nil {
		return err
	}
	if fs.NArg() != 1 || (*text == "") == (*input == "") {
		return usageErr("usage: earshot rules test FILE|DIR (--text TEXT | --input posts.jsonl|- [--format F]) [--json]")
	}
	f, err := adapt.ParseFormat(*format)
	if err != nil {
		return usageErr("--format: %v", err)
	}
	eng, err := loadEngine(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("%s rejected:\n%w", fs.Arg(0), err)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	var hits []match.TermHit
	report := func(id string, d *match.Doc) error {
		hits = eng.Explain(hits[:0], d)
		return writeExplain(out, eng, id, d.Text, hits, *asJSON)
	}
	if *text != "" {
		return report("", &match.Doc{Text: []byte(*text)})
	}
	// Only the text and the fields the rules read matter here: a post
	// without created_at is matched too. Its country and language are
	// found as the pipeline finds them (enrichment), when a rule asks.
	a, err := adapt.New(f, post.Limits{OptionalTime: true})
	if err != nil {
		return err
	}
	enr, err := enrich.New(enrich.Config{})
	if err != nil {
		return err
	}
	var p post.Post
	var lazy stream.Lazy
	var posts, rejected int
	err = eachLine(ctx, *input, func(line int, data []byte) error {
		if err := a.Decode(data, &p); err != nil {
			skip := adapt.IsSkip(err)
			if !skip {
				rejected++
			}
			if *asJSON { // one object per input line, as enrich prints
				return writeJSON(out, map[string]any{"line": line, "skipped": skip, "error": err.Error()})
			}
			if !skip {
				fmt.Fprintf(os.Stderr, "%s:%d: %v\n", *input, line, err)
			}
			return nil
		}
		posts++
		lazy.Reset(enr, &p)
		d := stream.DocOf(&p, &lazy)
		return report(p.ID, &d)
	})
	if err != nil {
		return err
	}
	if rejected > 0 {
		return fmt.Errorf("%d of %d input lines rejected (each reported with its line number and reason)", rejected, posts+rejected)
	}
	return nil
}

// writeJSON writes v as one line of JSON.
func writeJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

type explainTerm struct {
	Term  string `json:"term"`
	Start int    `json:"start"`
	End   int    `json:"end"`
	Text  string `json:"text"`
}

type explainRule struct {
	ID    string        `json:"id"`
	Terms []explainTerm `json:"terms"`
}

func writeExplain(w io.Writer, eng *match.Engine, id string, text []byte, hits []match.TermHit, asJSON bool) error {
	var rules []explainRule
	idx := map[int32]int{}
	for _, h := range hits {
		i, ok := idx[h.Rule]
		if !ok {
			i = len(rules)
			idx[h.Rule] = i
			rules = append(rules, explainRule{ID: eng.Rules()[h.Rule].ID})
		}
		rules[i].Terms = append(rules[i].Terms, explainTerm{Term: h.Term, Start: h.Start, End: h.End, Text: string(text[h.Start:h.End])})
	}
	if asJSON {
		if rules == nil {
			rules = []explainRule{}
		}
		return writeJSON(w, struct {
			ID    string        `json:"id"`
			Rules []explainRule `json:"rules"`
		}{id, rules})
	}
	label := id
	if label == "" {
		label = "text"
	}
	if len(rules) == 0 {
		_, err := fmt.Fprintf(w, "%s: no rule matched\n", label)
		return err
	}
	for _, r := range rules {
		var parts []string
		for _, t := range r.Terms {
			parts = append(parts, fmt.Sprintf("%q at %d–%d", t.Text, t.Start, t.End))
		}
		if _, err := fmt.Fprintf(w, "%s: rule %q matched: %s\n", label, r.ID, strings.Join(parts, ", ")); err != nil {
			return err
		}
	}
	return nil
}
