package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
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
		return usageErr("want a subcommand: rules check FILE|DIR [--strict] | rules test FILE|DIR [--text T] [--input posts.jsonl|-] [--why] [--json] | rules eval FILE|DIR --input LABELLED [--label F] [--relevant V] [--compare NEW] [--json] | rules diff OLD NEW [--json] | rules history ID [--json]")
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
	if err := parse(fs, reorder(fs, args)); err != nil {
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
	strict := fs.Bool("strict", false, "exit with status 1 when there are warnings (for a rules repository's CI)")
	if err := parse(fs, reorder(fs, args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("usage: earshot rules check FILE|DIR [--strict]")
	}
	eng, err := loadEngine(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("%s rejected:\n%w", fs.Arg(0), err)
	}
	st := eng.Stats()
	ws := eng.Lint()
	warned := ""
	if len(ws) > 0 {
		warned = "; " + counted(len(ws), "warning")
	}
	fmt.Printf("%s: ok — %s, %s, automaton %d states, %.1f MiB%s%s\n",
		fs.Arg(0), counted(st.Rules, "rule"), counted(st.Terms, "term"), st.States, float64(st.Bytes)/(1<<20), alertSummary(eng.Rules()), warned)
	for _, w := range ws {
		fmt.Println(w)
	}
	if *strict && len(ws) > 0 {
		return fmt.Errorf("%s: %s (--strict)", fs.Arg(0), counted(len(ws), "warning"))
	}
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
// "rules test FILE --json" works as well as "rules test --json FILE". A flag
// of fs that is boolean takes no value from the next argument.
func reorder(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") && a != "-" {
			flags = append(flags, a)
			if !strings.Contains(a, "=") && !isBoolFlag(fs, strings.TrimLeft(a, "-")) && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...)
}

// isBoolFlag reports whether fs has a boolean flag of that name.
func isBoolFlag(fs *flag.FlagSet, name string) bool {
	f := fs.Lookup(name)
	if f == nil {
		return false
	}
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func rulesTest(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("rules test", flag.ContinueOnError)
	text := fs.String("text", "", "match this `text` instead of reading posts")
	input := fs.String("input", "", "posts, one JSON object per line (`file`, or - for stdin)")
	format := fs.String("format", "canonical", "input `format`: canonical (created_at optional here), auto, twitter-v1, mastodon or jetstream")
	asJSON := fs.Bool("json", false, "print one JSON object per input line")
	why := fs.Bool("why", false, "show, for each rule that matched or has a term in the post, each part of its query and whether it holds")
	only := fs.String("rule", "", "report only these rules (`ids`, comma-separated)")
	if err := parse(fs, reorder(fs, args)); err != nil {
		return err
	}
	if fs.NArg() != 1 || (*text == "") == (*input == "") {
		return usageErr("usage: earshot rules test FILE|DIR (--text TEXT | --input posts.jsonl|- [--format F]) [--rule IDS] [--why] [--json]")
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
	x := explainer{eng: eng, why: *why, asJSON: *asJSON}
	if *only != "" {
		x.only = map[int32]bool{}
		for _, id := range strings.Split(*only, ",") {
			i := slices.IndexFunc(eng.Rules(), func(r match.Rule) bool { return r.ID == strings.TrimSpace(id) })
			if i < 0 {
				return usageErr("--rule: no rule %q in force in %s", strings.TrimSpace(id), fs.Arg(0))
			}
			x.only[int32(i)] = true
		}
	}
	// Only the text and the fields the rules read matter here: a post
	// without created_at is matched too. Its country and language are
	// found as the pipeline finds them (enrichment), when a rule asks.
	enr, err := enrich.New(enrich.Config{})
	if err != nil {
		return err
	}
	var p post.Post
	var lazy stream.Lazy
	if *text != "" {
		p.Reset()
		p.Text = *text
		lazy.Reset(enr, &p)
		d := stream.DocOf(&p, &lazy)
		return x.write(out, "", &d)
	}
	a, err := adapt.New(f, post.Limits{OptionalTime: true})
	if err != nil {
		return err
	}
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
		return x.write(out, p.ID, &d)
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

// whyRule is a rule's query explained (--why): each part and whether it
// holds, the occurrences of each term, what the post holds for each field.
type whyRule struct {
	rule    int32
	ID      string    `json:"id"`
	Matched bool      `json:"matched"`
	Steps   []whyStep `json:"steps"`
}

type whyStep struct {
	Depth   int       `json:"depth"`
	Part    string    `json:"part"`
	Holds   bool      `json:"holds"`
	Negated bool      `json:"negated,omitempty"`
	Saw     string    `json:"post,omitempty"`
	Occurs  []whySpan `json:"occurs,omitempty"`
}

type whySpan struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	Text  string `json:"text"`
}

// explainer writes what `rules test` says of each post: the rules that
// matched and the terms that made them (Explain); in text, the rules one of
// whose terms occurs although they did not match; with why, every part of
// those rules' queries (Why).
type explainer struct {
	eng         *match.Engine
	why, asJSON bool
	only        map[int32]bool // --rule: the rules to report; nil: all
	hits        []match.TermHit
}

func (x *explainer) write(w io.Writer, id string, d *match.Doc) error {
	x.hits = x.eng.Explain(x.hits[:0], d)
	var rules []explainRule
	idx := map[int32]int{}
	for _, h := range x.hits {
		if x.only != nil && !x.only[h.Rule] {
			continue
		}
		i, ok := idx[h.Rule]
		if !ok {
			i = len(rules)
			idx[h.Rule] = i
			rules = append(rules, explainRule{ID: x.eng.Rules()[h.Rule].ID})
		}
		rules[i].Terms = append(rules[i].Terms, explainTerm{Term: h.Term, Start: h.Start, End: h.End, Text: string(d.Text[h.Start:h.End])})
	}
	var whys []whyRule
	if x.why || !x.asJSON {
		whys = x.whys(d)
	}
	if x.asJSON {
		if rules == nil {
			rules = []explainRule{}
		}
		if !x.why {
			return writeJSON(w, struct {
				ID    string        `json:"id"`
				Rules []explainRule `json:"rules"`
			}{id, rules})
		}
		if whys == nil {
			whys = []whyRule{}
		}
		return writeJSON(w, struct {
			ID    string        `json:"id"`
			Rules []explainRule `json:"rules"`
			Why   []whyRule     `json:"why"`
		}{id, rules, whys})
	}
	label := id
	if label == "" {
		label = "text"
	}
	var b strings.Builder
	for _, wr := range whys {
		var parts []string
		if wr.Matched {
			if i, ok := idx[wr.rule]; ok { // Explain reports every rule Why says matched
				for _, t := range rules[i].Terms {
					parts = append(parts, termText(t.Text, t.Term, t.Start, t.End))
				}
			}
			fmt.Fprintf(&b, "%s: rule %q matched: %s\n", label, wr.ID, strings.Join(parts, ", "))
		} else {
			fmt.Fprintf(&b, "%s: rule %q not matched, though %s occurs\n", label, wr.ID, strings.Join(positiveOccurrences(wr.Steps), ", "))
		}
		if x.why {
			writeSteps(&b, wr.Steps)
		}
	}
	if len(whys) == 0 {
		fmt.Fprintf(&b, "%s: no rule matched\n", label)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// positiveOccurrences lists where the terms of a query that are not under
// a NOT occur, in text order, each once.
func positiveOccurrences(steps []whyStep) []string {
	type at struct {
		start int
		text  string
	}
	var ats []at
	for _, s := range steps {
		if s.Negated {
			continue
		}
		for _, o := range s.Occurs {
			if a := (at{o.Start, termText(o.Text, s.Part, o.Start, o.End)}); !slices.Contains(ats, a) {
				ats = append(ats, a)
			}
		}
	}
	slices.SortStableFunc(ats, func(a, b at) int { return a.start - b.start })
	parts := make([]string, len(ats))
	for i, a := range ats {
		parts[i] = a.text
	}
	return parts
}

// writeSteps writes a query's parts, one per line, indented by depth: yes
// or no, the part, what the post holds for a field, where a term occurs.
func writeSteps(b *strings.Builder, steps []whyStep) {
	for i, s := range steps {
		part := s.Part
		if i == 0 && strings.HasPrefix(part, "(") && strings.HasSuffix(part, ")") {
			part = part[1 : len(part)-1]
		}
		yes := "no"
		if s.Holds {
			yes = "yes"
		}
		fmt.Fprintf(b, "    %-3s  %s%s", yes, strings.Repeat("  ", s.Depth), part)
		if s.Saw != "" {
			fmt.Fprintf(b, "  (the post: %s)", s.Saw)
		}
		for j, o := range s.Occurs {
			sep := ","
			if j == 0 {
				sep = ":"
			}
			fmt.Fprintf(b, "%s %q at %d–%d", sep, o.Text, o.Start, o.End)
		}
		b.WriteByte('\n')
	}
}

// whys turns the engine's Why into what is printed.
func (x *explainer) whys(d *match.Doc) []whyRule {
	var out []whyRule
	for _, w := range x.eng.Why(d) {
		if x.only != nil && !x.only[w.Rule] {
			continue
		}
		wr := whyRule{rule: w.Rule, ID: x.eng.Rules()[w.Rule].ID, Matched: w.Matched}
		for _, s := range w.Steps {
			ws := whyStep{Depth: s.Depth, Part: s.Part, Holds: s.Holds, Negated: s.Negated, Saw: s.Saw}
			if s.Term >= 0 {
				for _, sp := range w.Occurs[s.Term] {
					ws.Occurs = append(ws.Occurs, whySpan{sp.Start, sp.End, string(d.Text[sp.Start:sp.End])})
				}
			}
			wr.Steps = append(wr.Steps, ws)
		}
		out = append(out, wr)
	}
	return out
}

// termText shows an occurrence as found in the text, with the term that
// found it when the two are written differently (case, width, accents, a
// wildcard's whole word).
func termText(text, term string, start, end int) string {
	s := fmt.Sprintf("%q at %d–%d", text, start, end)
	if term != text && term != strconv.Quote(text) {
		s += " (" + term + ")"
	}
	return s
}
