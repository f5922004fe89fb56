package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"earshot/enrich"
	"earshot/match"
	"earshot/stream"
	"earshot/stream/adapt"
	"earshot/stream/post"
)

// rulesEval measures rules against posts a person labelled relevant or not
// (a sample judged by hand, or a research set such as CrisisLex's on-topic
// and off-topic tweets): for all the rules together and for each one, how
// many posts it matches, how many of those are relevant (precision), how
// many of the relevant posts it finds (recall), and how many relevant posts
// no other rule finds (what removing it would lose); the same for the rules
// of each tag together. It prints relevant posts that no rule matches and
// matched posts that are not relevant, and suggests terms to add and words
// to exclude (suggest.go). With --compare it runs the posts through a second
// version of the rules too and reports what changes (evalcompare.go).
func rulesEval(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("rules eval", flag.ContinueOnError)
	input := fs.String("input", "", "labelled posts: a JSONL `file` (- for stdin) or a CSV file (*.csv), or a glob of them (quoted)")
	format := fs.String("format", "canonical", "JSONL posts' `format`: canonical (created_at optional here), auto, twitter-v1, mastodon or jetstream")
	label := fs.String("label", "label", "the `field` that holds each post's label: a top-level key of a JSON line, a CSV column")
	relevant := fs.String("relevant", "on-topic", "the label `values` of relevant posts, comma-separated, any case (every other label is not relevant)")
	examples := fs.Int("examples", 5, "how many missed and how many unwanted posts to print (0: none)")
	suggest := fs.Int("suggest", 10, "how many terms to suggest adding, and how many to exclude from a rule (0: none)")
	compare := fs.String("compare", "", "compare with a new version of the rules, in `FILE|DIR`: what each finds, and the posts that change (no suggestions then)")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	if err := parse(fs, reorder(fs, args)); err != nil {
		return err
	}
	if fs.NArg() != 1 || *input == "" {
		return usageErr("usage: earshot rules eval FILE|DIR --input posts.jsonl|posts.csv|GLOB|- [--label FIELD] [--relevant VALUES] [--examples N] [--suggest N | --compare NEW] [--json]")
	}
	if *examples < 0 {
		return usageErr("--examples: want 0 or more, not %d", *examples)
	}
	if *suggest < 0 {
		return usageErr("--suggest: want 0 or more, not %d", *suggest)
	}
	if strings.TrimSpace(*label) == "" {
		return usageErr("--label: want the name of the field or column that holds the label")
	}
	var want []string
	for v := range strings.SplitSeq(*relevant, ",") {
		if v = strings.TrimSpace(v); v != "" {
			want = append(want, v)
		}
	}
	if len(want) == 0 {
		return usageErr("--relevant: want the label values of relevant posts, such as on-topic or true")
	}
	f, err := adapt.ParseFormat(*format)
	if err != nil {
		return usageErr("--format: %v", err)
	}
	files, err := evalInputs(*input)
	if err != nil {
		return err
	}
	eng, err := loadEngine(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("%s rejected:\n%w", fs.Arg(0), err)
	}
	ev, err := newEvaluator(eng, f, strings.TrimSpace(*label), want, *examples)
	if err != nil {
		return err
	}
	if *compare != "" {
		neng, err := loadEngine(*compare)
		if err != nil {
			return fmt.Errorf("%s rejected:\n%w", *compare, err)
		}
		ev.cmp = newComparison(*compare, neng, *examples)
	} else {
		ev.ref = newRefusals(eng)
		if *suggest > 0 {
			ev.sug = newSuggester()
		}
	}
	for _, name := range files {
		ev.tally.inputs = append(ev.tally.inputs, inputTally{name: name})
		if ev.cmp != nil {
			ev.cmp.tally.inputs = append(ev.cmp.tally.inputs, inputTally{name: name})
		}
		if err := ev.file(ctx, name); err != nil {
			return err
		}
	}
	t := &ev.tally
	if t.posts == 0 {
		return fmt.Errorf("no labelled posts in %s (%d lines rejected)", *input, ev.rejected)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	rep := t.report(eng.Rules(), files)
	if ev.sug != nil {
		rep.suggest(ev.sug, eng.Rules(), *suggest)
	}
	if ev.ref != nil {
		rep.Refused = ev.ref.report(eng.Rules())
	}
	for _, w := range eng.Lint() {
		rep.Warnings = append(rep.Warnings, w.String())
	}
	var report interface{ write(io.Writer) error } = rep
	if ev.cmp != nil {
		report = ev.cmp.report(rep, eng.Rules(), fs.Arg(0), files)
	}
	if *asJSON {
		err = writeJSON(out, report)
	} else {
		err = report.write(out)
	}
	if err != nil {
		return err
	}
	if ev.rejected > 0 {
		out.Flush()
		return fmt.Errorf("%d of %d input lines rejected (each reported with its file, line and reason)", ev.rejected, t.posts+ev.rejected)
	}
	return nil
}

// evalInputs returns the files --input names: "-" (standard input), a
// file, or the files a glob matches, sorted.
func evalInputs(input string) ([]string, error) {
	if input == "-" {
		return []string{"-"}, nil
	}
	if !strings.ContainsAny(input, "*?[") {
		return []string{input}, nil
	}
	files, err := filepath.Glob(input)
	if err != nil {
		return nil, usageErr("--input: %v", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("--input %s: no file matches", input)
	}
	return files, nil
}

// evaluator reads labelled posts and tallies what the rules match.
type evaluator struct {
	eng      *match.Engine
	adapter  *adapt.Adapter
	enr      *enrich.Enricher
	label    string
	want     []string
	tally    evalTally
	rejected int
	sug      *suggester  // nil without --suggest
	cmp      *comparison // nil without --compare
	ref      *refusals   // nil with --compare

	p    post.Post
	lazy stream.Lazy
	m    []int32
}

func newEvaluator(eng *match.Engine, f adapt.Format, label string, want []string, examples int) (*evaluator, error) {
	a, err := adapt.New(f, post.Limits{OptionalTime: true})
	if err != nil {
		return nil, err
	}
	enr, err := enrich.New(enrich.Config{})
	if err != nil {
		return nil, err
	}
	ev := &evaluator{eng: eng, adapter: a, enr: enr, label: label, want: want,
		tally: newTally(eng, examples)}
	return ev, nil
}

// isRelevant reports whether a post's label is one of the relevant values.
// It counts the labels seen, up to maxLabels distinct ones.
func (ev *evaluator) isRelevant(label string) bool {
	label = strings.TrimSpace(label)
	if _, ok := ev.tally.labels[label]; ok || len(ev.tally.labels) < maxLabels {
		ev.tally.labels[label]++
	}
	return slices.ContainsFunc(ev.want, func(w string) bool { return strings.EqualFold(w, label) })
}

// maxLabels is how many distinct labels the report counts: labels are a
// few values, and a column of free text must not fill memory.
const maxLabels = 100

// reject reports a line the evaluation cannot use.
func (ev *evaluator) reject(name string, line int, err error) {
	ev.rejected++
	fmt.Fprintf(os.Stderr, "%s:%d: %v\n", name, line, err)
}

// matchPost matches ev.p (its country and language found as the pipeline
// finds them, when a rule asks) and counts it.
func (ev *evaluator) matchPost(name string, line int, relevant bool) {
	ev.lazy.Reset(ev.enr, &ev.p)
	d := stream.DocOf(&ev.p, &ev.lazy)
	ev.m = ev.eng.Match(ev.m[:0], &d)
	post := func() evalPost { return evalPost{File: name, Line: line, ID: ev.p.ID, Text: ev.p.Text} }
	ev.tally.add(ev.m, relevant, post)
	if ev.cmp != nil {
		ev.cmp.add(ev.m, &d, relevant, post)
	}
	if ev.sug != nil {
		ev.sug.add(ev.m, ev.p.Text, relevant)
	}
	if ev.ref != nil {
		ev.ref.add(&d, ev.m, relevant, post)
	}
}

// file evaluates one input: CSV when its name ends in .csv, JSONL otherwise.
func (ev *evaluator) file(ctx context.Context, name string) error {
	if strings.EqualFold(filepath.Ext(name), ".csv") {
		return ev.csvFile(ctx, name)
	}
	return eachLine(ctx, name, func(line int, data []byte) error {
		label, err := jsonLabel(data, ev.label)
		if err != nil {
			ev.reject(name, line, err)
			return nil
		}
		if err := ev.adapter.Decode(data, &ev.p); err != nil {
			if !adapt.IsSkip(err) {
				ev.reject(name, line, err)
			}
			return nil
		}
		ev.matchPost(name, line, ev.isRelevant(label))
		return nil
	})
}

// jsonLabel returns the value of the top-level field of a JSON object as
// text: a string as it is, a number or a boolean as written.
func jsonLabel(data []byte, field string) (string, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return "", fmt.Errorf("not a JSON object: %v", err)
	}
	raw, ok := obj[field]
	if !ok || string(raw) == "null" {
		return "", fmt.Errorf("no label: the object has no %q field (--label names it)", field)
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	if raw[0] == '{' || raw[0] == '[' {
		return "", fmt.Errorf("label %q is %s, want a string, number or boolean", field, raw)
	}
	return string(raw), nil
}

// CSV columns, by name (any case, spaces and underscores alike): the
// post's id and text as research sets name them.
var (
	csvIDColumns   = []string{"id", "tweet id", "post id", "status id"}
	csvTextColumns = []string{"text", "tweet", "tweet text", "post", "content", "message"}
)

// csvFile evaluates a CSV file with a header row: the text, the label and,
// if there is one, the id column (CrisisLex: "tweet id, tweet, label", ids
// in single quotes).
func (ev *evaluator) csvFile(ctx context.Context, name string) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("cannot open input: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	head, err := r.Read()
	if err != nil {
		return fmt.Errorf("%s: cannot read the header row: %w", name, err)
	}
	id, text, label := -1, -1, -1
	for i, h := range head {
		h = csvName(h)
		switch {
		case slices.Contains(csvIDColumns, h) && id < 0:
			id = i
		case slices.Contains(csvTextColumns, h) && text < 0:
			text = i
		}
		if h == csvName(ev.label) {
			label = i
		}
	}
	if text < 0 || label < 0 {
		missing := "label"
		if text < 0 {
			missing = "text"
		}
		return fmt.Errorf("%s: the header %q has no %s column: want the post's text in one named %s, and the label in one named %q (--label)",
			name, strings.Join(head, ","), missing, strings.Join(csvTextColumns, ", "), ev.label)
	}
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		line, _ := r.FieldPos(0)
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			ev.reject(name, perr.StartLine, perr.Err)
			continue
		}
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", name, err)
		}
		if text >= len(rec) || label >= len(rec) {
			ev.reject(name, line, fmt.Errorf("%d columns, the header has %d", len(rec), len(head)))
			continue
		}
		if !utf8.ValidString(rec[text]) {
			ev.reject(name, line, errors.New("the text is not valid UTF-8"))
			continue
		}
		ev.p = post.Post{ID: name + ":" + strconv.Itoa(line), Text: rec[text]}
		if id >= 0 && id < len(rec) {
			ev.p.ID = strings.Trim(rec[id], " '\"")
		}
		ev.matchPost(name, line, ev.isRelevant(rec[label]))
	}
}

// csvName is a CSV column's name as compared: trimmed, lower case, '_' as ' '.
func csvName(h string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))), "_", " ")
}
