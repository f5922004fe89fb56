package main

// What rules eval counts (evalTally) and prints (evalReport).

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"earshot/match"
)

// evalTally counts posts, relevant posts and what the rules matched.
type evalTally struct {
	posts, relevant int
	matched, hit    int // posts some rule matched; of them relevant
	rules           []ruleTally
	missed, noise   sampler        // examples of each
	inputs          []inputTally   // per input file, in order
	labels          map[string]int // posts by label (maxLabels at most)
	// ruleTags are the indexes in tags of each rule's tags; byTag counts,
	// per tag, the posts some rule with it matched and of them relevant.
	ruleTags [][]int
	tags     []string
	byTag    [][2]int
	seen     []bool // scratch: the tags of the post being added
}

// newTally returns the tally of eng's rules, keeping examples of each kind.
func newTally(eng *match.Engine, examples int) evalTally {
	t := evalTally{rules: make([]ruleTally, len(eng.Rules())), labels: make(map[string]int),
		missed: sampler{n: examples}, noise: sampler{n: examples}}
	t.setTags(eng.Rules())
	return t
}

// setTags takes the rules' tags, for scores by tag.
func (t *evalTally) setTags(rules []match.Rule) {
	index := map[string]int{}
	t.ruleTags = make([][]int, len(rules))
	for i := range rules {
		for _, tag := range rules[i].Tags {
			k, ok := index[tag]
			if !ok {
				k = len(t.tags)
				index[tag] = k
				t.tags = append(t.tags, tag)
			}
			if !slices.Contains(t.ruleTags[i], k) {
				t.ruleTags[i] = append(t.ruleTags[i], k)
			}
		}
	}
	t.byTag = make([][2]int, len(t.tags))
	t.seen = make([]bool, len(t.tags))
}

// inputTally counts one input file's posts.
type inputTally struct {
	name                          string
	posts, relevant, matched, hit int
}

// ruleTally is one rule's count: posts matched, of them relevant, and
// relevant posts no other rule matched.
type ruleTally struct{ matched, relevant, only int }

// evalPost is an example post: where it was read, and the rules that
// matched it (for a post that is not relevant).
type evalPost struct {
	File  string   `json:"file"`
	Line  int      `json:"line"`
	ID    string   `json:"id"`
	Text  string   `json:"text"`
	Rules []string `json:"rules,omitempty"`
	idx   []int32
}

// add counts a post that the rules with indexes m matched; post describes
// it when it is kept as an example.
func (t *evalTally) add(m []int32, relevant bool, post func() evalPost) {
	t.posts++
	if relevant {
		t.relevant++
	}
	for _, r := range m {
		t.rules[r].matched++
		if relevant {
			t.rules[r].relevant++
		}
		if int(r) < len(t.ruleTags) {
			for _, k := range t.ruleTags[r] {
				if !t.seen[k] {
					t.seen[k] = true
					t.byTag[k][0]++
					if relevant {
						t.byTag[k][1]++
					}
				}
			}
		}
	}
	for _, r := range m {
		if int(r) < len(t.ruleTags) {
			for _, k := range t.ruleTags[r] {
				t.seen[k] = false
			}
		}
	}
	switch {
	case len(m) > 0:
		t.matched++
		if relevant {
			t.hit++
			if len(m) == 1 {
				t.rules[m[0]].only++
			}
		} else {
			t.noise.offer(func() evalPost { p := post(); p.idx = slices.Clone(m); return p })
		}
	case relevant:
		t.missed.offer(post)
	}
	if n := len(t.inputs); n > 0 {
		in := &t.inputs[n-1]
		in.posts++
		if relevant {
			in.relevant++
		}
		if len(m) > 0 {
			in.matched++
			if relevant {
				in.hit++
			}
		}
	}
}

// sampler keeps up to n example posts of a kind, drawn evenly from all of
// them (reservoir sampling), the same ones at every run (a fixed seed).
type sampler struct {
	n, seen int
	rng     *rand.Rand
	kept    []evalPost
}

// offer counts one more post of the kind; post describes it when it is
// kept.
func (s *sampler) offer(post func() evalPost) {
	s.seen++
	k := s.seen - 1
	if s.seen > s.n {
		if s.rng == nil {
			s.rng = rand.New(rand.NewPCG(1, 2))
		}
		if k = s.rng.IntN(s.seen); k >= s.n {
			return
		}
	}
	if k == len(s.kept) {
		s.kept = append(s.kept, post())
	} else {
		s.kept[k] = post()
	}
}

// examples returns the posts kept, never nil.
func (s *sampler) examples() []evalPost {
	if s.kept == nil {
		return []evalPost{}
	}
	return s.kept
}

// evalScore is what a set of rules matched of the labelled posts.
type evalScore struct {
	Matched   int      `json:"matched"`
	Relevant  int      `json:"relevant"`
	Precision *float64 `json:"precision"` // relevant/matched; null when nothing matched
	Recall    *float64 `json:"recall"`    // relevant/all relevant posts; null when there is none
	F1        *float64 `json:"f1"`
}

func score(matched, relevant, allRelevant int) evalScore {
	s := evalScore{Matched: matched, Relevant: relevant}
	if matched > 0 {
		s.Precision = ptr(float64(relevant) / float64(matched))
	}
	if allRelevant > 0 {
		s.Recall = ptr(float64(relevant) / float64(allRelevant))
	}
	if s.Precision != nil && s.Recall != nil && *s.Precision+*s.Recall > 0 {
		s.F1 = ptr(2 * *s.Precision * *s.Recall / (*s.Precision + *s.Recall))
	}
	return s
}

func ptr(f float64) *float64 { return &f }

// tagScore is the score of the rules with one tag, together.
type tagScore struct {
	Tag   string `json:"tag"`
	Rules int    `json:"rules"` // rules in force with the tag
	evalScore
}

// inputScore is the rules' score on one input file.
type inputScore struct {
	Input       string `json:"input"`
	Posts       int    `json:"posts"`
	AllRelevant int    `json:"relevant_posts"`
	evalScore
}

// ruleScore is one rule's line of the report.
type ruleScore struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	evalScore
	Only int `json:"only"` // relevant posts no other rule matched
}

// evalReport is what rules eval prints.
type evalReport struct {
	Inputs   []string `json:"inputs"`
	Posts    int      `json:"posts"`
	Relevant int      `json:"relevant_posts"`
	// Labels counts the posts by label as read (trimmed), the first 100
	// distinct labels.
	Labels map[string]int `json:"labels"`
	All    evalScore      `json:"all"`   // the rules together: a post any rule matched
	Rules  []ruleScore    `json:"rules"` // every rule in force, most posts matched first
	// ByTag scores, for each tag, the rules that have it together (a
	// routing family, say): a post any of them matched.
	ByTag []tagScore `json:"by_tag,omitempty"`
	// ByInput scores the rules together on each input file, when there
	// are several (a labelled set per event, say).
	ByInput []inputScore `json:"by_input,omitempty"`
	Missed  int          `json:"missed"`
	Noise   int          `json:"noise"`
	// The first examples of each: relevant posts no rule matched, and
	// matched posts that are not relevant (with the rules that matched).
	MissedPosts []evalPost `json:"missed_posts"`
	NoisePosts  []evalPost `json:"noise_posts"`
	// Suggestions (--suggest): terms to add, each counted among the posts
	// no rule nor term before it matched, and the rules' score with all of
	// them; words to exclude from a rule, among the posts only it matched.
	// Refused lists, per rule and condition of its query, the posts
	// that condition alone kept from a rule whose term they hold.
	Refused []refusedRow `json:"refused,omitempty"`
	// Warnings are rules check's warnings about the rules (match.Engine.Lint).
	Warnings     []string        `json:"warnings,omitempty"`
	Add          []termToAdd     `json:"add,omitempty"`
	AllWithAdded *evalScore      `json:"all_with_added,omitempty"`
	Exclude      []termToExclude `json:"exclude,omitempty"`
}

// suggest adds up to n terms to add and n to exclude.
func (rep *evalReport) suggest(s *suggester, rules []match.Rule, n int) {
	rep.Add = s.toAdd(n)
	if len(rep.Add) > 0 {
		matched, hit := rep.All.Matched, rep.All.Relevant
		for _, a := range rep.Add {
			matched += a.Relevant + a.Other
			hit += a.Relevant
		}
		sc := score(matched, hit, rep.Relevant)
		rep.AllWithAdded = &sc
	}
	ids := make([]string, len(rules))
	for i := range rules {
		ids[i] = rules[i].ID
	}
	rep.Exclude = s.toExclude(ids, n)
}

func (t *evalTally) report(rules []match.Rule, inputs []string) *evalReport {
	rep := &evalReport{Inputs: inputs, Posts: t.posts, Relevant: t.relevant, Labels: t.labels, All: score(t.matched, t.hit, t.relevant),
		Missed: t.relevant - t.hit, Noise: t.matched - t.hit,
		MissedPosts: t.missed.examples(), NoisePosts: t.noise.examples()}
	for i, r := range rules {
		if !r.Enabled {
			continue
		}
		rt := t.rules[i]
		rep.Rules = append(rep.Rules, ruleScore{ID: r.ID, Name: r.Name, evalScore: score(rt.matched, rt.relevant, t.relevant), Only: rt.only})
	}
	slices.SortStableFunc(rep.Rules, func(a, b ruleScore) int { return b.Matched - a.Matched })
	for k, tag := range t.tags {
		n := 0
		for i, r := range rules {
			if r.Enabled && slices.Contains(t.ruleTags[i], k) {
				n++
			}
		}
		if n > 0 {
			rep.ByTag = append(rep.ByTag, tagScore{Tag: tag, Rules: n, evalScore: score(t.byTag[k][0], t.byTag[k][1], t.relevant)})
		}
	}
	slices.SortStableFunc(rep.ByTag, func(a, b tagScore) int { return b.Matched - a.Matched })
	if len(t.inputs) > 1 {
		for _, in := range t.inputs {
			rep.ByInput = append(rep.ByInput, inputScore{Input: in.name, Posts: in.posts, AllRelevant: in.relevant, evalScore: score(in.matched, in.hit, in.relevant)})
		}
	}
	for i := range rep.NoisePosts {
		p := &rep.NoisePosts[i]
		for _, k := range p.idx {
			p.Rules = append(p.Rules, rules[k].ID)
		}
	}
	return rep
}

// header prints what the posts are: how many, from where, relevant, by label.
func (rep *evalReport) header(bw *bufio.Writer) {
	src := rep.Inputs[0]
	if len(rep.Inputs) > 1 {
		src = fmt.Sprintf("%d files", len(rep.Inputs))
	}
	fmt.Fprintf(bw, "%s labelled posts from %s, %s relevant (%s)\n", thousands(uint64(rep.Posts)), src, thousands(uint64(rep.Relevant)), percent(ptr(float64(rep.Relevant)/float64(rep.Posts))))
	labels := slices.SortedFunc(maps.Keys(rep.Labels), func(a, b string) int { return cmp.Or(rep.Labels[b]-rep.Labels[a], strings.Compare(a, b)) })
	seen := make([]string, len(labels))
	for i, l := range labels {
		seen[i] = fmt.Sprintf("%q %s", l, thousands(uint64(rep.Labels[l])))
	}
	fmt.Fprintf(bw, "labels: %s\n", listSome(seen, 10))
	if rep.Relevant == 0 {
		fmt.Fprintf(bw, "no post is relevant: --relevant names the labels of relevant posts (it is on-topic unless given)\n")
	}
	for _, w := range rep.Warnings {
		fmt.Fprintln(bw, w)
	}
	fmt.Fprintln(bw)
}

// write prints the report as a table and the examples.
func (rep *evalReport) write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	rep.header(bw)
	width := len("all rules")
	for _, r := range rep.Rules {
		if r.Matched > 0 {
			width = max(width, utf8.RuneCountInString(r.ID))
		}
	}
	fmt.Fprintf(bw, "%-*s  %9s  %9s  %9s  %7s  %6s  %9s\n", width, "", "matched", "relevant", "precision", "recall", "F1", "only")
	line := func(name string, s evalScore, only string) {
		l := fmt.Sprintf("%-*s  %9s  %9s  %9s  %7s  %6s  %9s", width, name, thousands(uint64(s.Matched)), thousands(uint64(s.Relevant)), percent(s.Precision), percent(s.Recall), percent(s.F1), only)
		fmt.Fprintln(bw, strings.TrimRight(l, " "))
	}
	line("all rules", rep.All, "")
	var none []string
	for _, r := range rep.Rules {
		if r.Matched == 0 {
			none = append(none, r.ID)
			continue
		}
		line(r.ID, r.evalScore, thousands(uint64(r.Only)))
	}
	if len(none) > 0 {
		fmt.Fprintf(bw, "%s matched none of the posts: %s\n", counted(len(none), "rule"), listSome(none, 10))
	}
	fmt.Fprintf(bw, "\nonly: relevant posts no other rule matched (what removing the rule loses)\n")
	if len(rep.ByTag) > 0 {
		w := len("tag")
		for _, g := range rep.ByTag {
			w = max(w, utf8.RuneCountInString(g.Tag))
		}
		fmt.Fprintf(bw, "\nThe rules of each tag together:\n%-*s  %5s  %9s  %9s  %9s  %7s  %6s\n", w, "tag", "rules", "matched", "relevant", "precision", "recall", "F1")
		for _, g := range rep.ByTag {
			fmt.Fprintf(bw, "%-*s  %5d  %9s  %9s  %9s  %7s  %6s\n", w, g.Tag, g.Rules, thousands(uint64(g.Matched)), thousands(uint64(g.Relevant)),
				percent(g.Precision), percent(g.Recall), percent(g.F1))
		}
	}
	if len(rep.ByInput) > 0 {
		w := 0
		for _, in := range rep.ByInput {
			w = max(w, utf8.RuneCountInString(filepath.Base(in.Input)))
		}
		fmt.Fprintf(bw, "\nAll rules, by input:\n%-*s  %9s  %9s  %9s  %9s  %7s  %6s\n", w, "", "posts", "relevant", "matched", "precision", "recall", "F1")
		for _, in := range rep.ByInput {
			fmt.Fprintf(bw, "%-*s  %9s  %9s  %9s  %9s  %7s  %6s\n", w, filepath.Base(in.Input), thousands(uint64(in.Posts)), thousands(uint64(in.AllRelevant)),
				thousands(uint64(in.Matched)), percent(in.Precision), percent(in.Recall), percent(in.F1))
		}
	}
	writeRefused(bw, rep.Refused)
	if len(rep.Add) > 0 {
		w := len("term")
		for _, a := range rep.Add {
			w = max(w, utf8.RuneCountInString(a.Term))
		}
		fmt.Fprintf(bw, "\nTerms that would find more, each in the posts no rule nor term above matched (at least %.0f%% of what each adds relevant):\n", 100*addPrecision)
		fmt.Fprintf(bw, "  %-*s  %9s  %9s  %9s\n", w, "term", "relevant", "other", "precision")
		for _, a := range rep.Add {
			fmt.Fprintf(bw, "  %-*s  %9s  %9s  %9s\n", w, a.Term, "+"+thousands(uint64(a.Relevant)), "+"+thousands(uint64(a.Other)), percent(&a.Precision))
		}
		fmt.Fprintf(bw, "  with all of them: recall %s → %s, precision %s → %s\n", percent(rep.All.Recall), percent(rep.AllWithAdded.Recall), percent(rep.All.Precision), percent(rep.AllWithAdded.Precision))
	}
	if len(rep.Exclude) > 0 {
		w, wr := len("word"), len("rule")
		for _, e := range rep.Exclude {
			w, wr = max(w, utf8.RuneCountInString(e.Term)), max(wr, utf8.RuneCountInString(e.Rule))
		}
		fmt.Fprintf(bw, "\nWords to exclude from a rule (AND NOT), in the posts only that rule matched (at most %.0f%% of what each drops relevant):\n", 100*excludeLoss)
		fmt.Fprintf(bw, "  %-*s  %-*s  %11s  %14s\n", wr, "rule", w, "word", "drops other", "loses relevant")
		for _, e := range rep.Exclude {
			fmt.Fprintf(bw, "  %-*s  %-*s  %11s  %14s\n", wr, e.Rule, w, e.Term, thousands(uint64(e.Other)), thousands(uint64(e.Relevant)))
		}
	}
	writeExamples(bw, "Relevant, matched by no rule", rep.Missed, rep.MissedPosts)
	writeExamples(bw, "Matched, not relevant", rep.Noise, rep.NoisePosts)
	return bw.Flush()
}

// writeExamples prints a sample of n posts of a kind, with the rules that
// matched each.
func writeExamples(bw *bufio.Writer, title string, n int, posts []evalPost) {
	if len(posts) == 0 {
		return
	}
	fmt.Fprintf(bw, "\n%s (%d of %s):\n", title, len(posts), thousands(uint64(n)))
	for _, p := range posts {
		rules := ""
		if len(p.Rules) > 0 {
			rules = " [" + strings.Join(p.Rules, ", ") + "]"
		}
		fmt.Fprintf(bw, "  %s:%d %s%s  %s\n", filepath.Base(p.File), p.Line, p.ID, rules, oneLine(p.Text, 100))
	}
}

// percent writes a share as 95.1%, or – when there is none.
func percent(f *float64) string {
	if f == nil {
		return "–"
	}
	return strconv.FormatFloat(100**f, 'f', 1, 64) + "%"
}

// listSome lists the first n of ids, then how many more there are.
func listSome(ids []string, n int) string {
	if len(ids) <= n {
		return strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ids[:n], ", "), len(ids)-n)
}
