package main

import (
	"bufio"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"unicode/utf8"

	"earshot/match"
)

// rules eval --compare NEW: the same labelled posts through two versions of
// the rules, what each finds and what changes from one to the other (a
// review of a rules change before it is deployed: rules diff says what
// changed in the file, this what it changes in the posts).

// A post's change from the rules evaluated (old) to the rules compared
// (new).
const (
	changeFound   = iota // relevant, matched by new only
	changeLost           // relevant, matched by old only
	changeNoisier        // not relevant, matched by new only
	changeCleaner        // not relevant, matched by old only
	changes
)

// comparison tallies the posts through the rules compared.
type comparison struct {
	path  string
	eng   *match.Engine
	tally evalTally
	m     []int32
	posts [changes]sampler
}

func newComparison(path string, eng *match.Engine, examples int) *comparison {
	c := &comparison{path: path, eng: eng, tally: newTally(eng, examples)}
	for i := range c.posts {
		c.posts[i].n = examples
	}
	return c
}

// add takes a post that the old rules matched with old (indexes into the
// old rules); d is the post as the rules read it.
func (c *comparison) add(old []int32, d *match.Doc, relevant bool, post func() evalPost) {
	c.m = c.eng.Match(c.m[:0], d)
	c.tally.add(c.m, relevant, post)
	was, is := len(old) > 0, len(c.m) > 0
	if was == is {
		return
	}
	k := changeFound
	switch {
	case relevant && was:
		k = changeLost
	case !relevant && is:
		k = changeNoisier
	case !relevant:
		k = changeCleaner
	}
	m := c.m
	if was {
		m = old
	}
	c.posts[k].offer(func() evalPost { p := post(); p.idx = slices.Clone(m); return p })
}

// ruleChange is a rule whose counts differ between the two versions (or
// that is in one only).
type ruleChange struct {
	ID  string     `json:"id"`
	Old *ruleScore `json:"old"` // null: not in force in the old rules
	New *ruleScore `json:"new"` // null: not in force in the new rules
}

// comparisonReport is what rules eval --compare prints.
type comparisonReport struct {
	Old     *evalReport `json:"old"`
	New     *evalReport `json:"new"`
	OldPath string      `json:"old_path"`
	NewPath string      `json:"new_path"`
	// Rules are the rules whose posts matched or relevant differ, or that
	// are in force in one version only: the new version's, most posts
	// matched first, then those gone.
	Rules []ruleChange `json:"rules"`
	// What changes, in posts: relevant posts the new rules match and the
	// old did not (found) and the reverse (lost); posts that are not
	// relevant the new rules match and the old did not (noise_added) and
	// the reverse (noise_dropped). Each with a sample of its posts and the
	// rules that match them in the version that does.
	Found        int        `json:"found"`
	Lost         int        `json:"lost"`
	Noisier      int        `json:"noise_added"`
	Cleaner      int        `json:"noise_dropped"`
	FoundPosts   []evalPost `json:"found_posts"`
	LostPosts    []evalPost `json:"lost_posts"`
	NoisierPosts []evalPost `json:"noise_added_posts"`
	CleanerPosts []evalPost `json:"noise_dropped_posts"`
}

// compare builds the comparison report of the old rules' report old.
func (c *comparison) report(old *evalReport, oldRules []match.Rule, oldPath string, inputs []string) *comparisonReport {
	rules := c.eng.Rules()
	rep := &comparisonReport{Old: old, New: c.tally.report(rules, inputs), OldPath: oldPath, NewPath: c.path,
		Found: c.posts[changeFound].seen, Lost: c.posts[changeLost].seen,
		Noisier: c.posts[changeNoisier].seen, Cleaner: c.posts[changeCleaner].seen}
	names := func(posts []evalPost, rs []match.Rule) []evalPost {
		for i := range posts {
			posts[i].Rules = nil
			for _, k := range posts[i].idx {
				posts[i].Rules = append(posts[i].Rules, rs[k].ID)
			}
		}
		return posts
	}
	rep.FoundPosts = names(c.posts[changeFound].examples(), rules)
	rep.LostPosts = names(c.posts[changeLost].examples(), oldRules)
	rep.NoisierPosts = names(c.posts[changeNoisier].examples(), rules)
	rep.CleanerPosts = names(c.posts[changeCleaner].examples(), oldRules)

	before := map[string]*ruleScore{}
	for i := range old.Rules {
		before[old.Rules[i].ID] = &old.Rules[i]
	}
	after := map[string]bool{}
	for i := range rep.New.Rules {
		n := &rep.New.Rules[i]
		after[n.ID] = true
		o := before[n.ID]
		if o == nil || o.Matched != n.Matched || o.Relevant != n.Relevant {
			rep.Rules = append(rep.Rules, ruleChange{ID: n.ID, Old: o, New: n})
		}
	}
	for i := range old.Rules {
		if o := &old.Rules[i]; !after[o.ID] {
			rep.Rules = append(rep.Rules, ruleChange{ID: o.ID, Old: o})
		}
	}
	return rep
}

// write prints the comparison.
func (rep *comparisonReport) write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	old, cur := rep.Old, rep.New
	rep.Old.header(bw)
	oldName, newName := "old: "+filepath.Base(rep.OldPath), "new: "+filepath.Base(rep.NewPath)
	width := max(utf8.RuneCountInString(oldName), utf8.RuneCountInString(newName))
	fmt.Fprintf(bw, "%-*s  %9s  %9s  %9s  %7s  %6s\n", width, "", "matched", "relevant", "precision", "recall", "F1")
	for _, x := range []struct {
		name string
		s    evalScore
	}{{oldName, old.All}, {newName, cur.All}} {
		fmt.Fprintf(bw, "%-*s  %9s  %9s  %9s  %7s  %6s\n", width, x.name, thousands(uint64(x.s.Matched)), thousands(uint64(x.s.Relevant)),
			percent(x.s.Precision), percent(x.s.Recall), percent(x.s.F1))
	}
	fmt.Fprintf(bw, "\nrelevant posts: %s found, %s no longer found; other posts: %s matched, %s no longer matched\n",
		signed(rep.Found), signed(-rep.Lost), signed(rep.Noisier), signed(-rep.Cleaner))
	if len(rep.Rules) > 0 {
		w := len("rule")
		for _, r := range rep.Rules {
			w = max(w, utf8.RuneCountInString(r.ID))
		}
		fmt.Fprintf(bw, "\nRules whose posts changed:\n%-*s  %21s  %21s  %15s\n", w, "rule", "matched", "relevant", "precision")
		for _, r := range rep.Rules {
			var o, n ruleScore
			if r.Old != nil {
				o = *r.Old
			}
			if r.New != nil {
				n = *r.New
			}
			count := func(s *ruleScore, v int) string {
				if s == nil {
					return "–"
				}
				return thousands(uint64(v))
			}
			fmt.Fprintf(bw, "%-*s  %9s → %9s  %9s → %9s  %6s → %6s\n", w, r.ID,
				count(r.Old, o.Matched), count(r.New, n.Matched), count(r.Old, o.Relevant), count(r.New, n.Relevant),
				percent(o.Precision), percent(n.Precision))
		}
	}
	for _, x := range []struct {
		title string
		n     int
		posts []evalPost
	}{
		{"Relevant, found now", rep.Found, rep.FoundPosts},
		{"Relevant, no longer found", rep.Lost, rep.LostPosts},
		{"Not relevant, matched now", rep.Noisier, rep.NoisierPosts},
		{"Not relevant, no longer matched", rep.Cleaner, rep.CleanerPosts},
	} {
		writeExamples(bw, x.title, x.n, x.posts)
	}
	return bw.Flush()
}

// signed writes n with its sign: +3,519, -12, 0.
func signed(n int) string {
	switch {
	case n > 0:
		return "+" + thousands(uint64(n))
	case n < 0:
		return "-" + thousands(uint64(-n))
	}
	return "0"
}
