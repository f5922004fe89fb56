package main

// What each condition of a rule refused (rules eval): the posts in which a
// term of the rule occurs and one condition alone kept it from matching.

import (
	"bufio"
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"unicode/utf8"

	"earshot/match"
	"earshot/match/query"
)

// refusals counts, for each rule and each condition of its query, the
// posts that condition alone refused: a term of the rule occurs in them and
// every other operand of the query's top-level AND holds (for a query that
// is one NEAR, its terms occur too far apart). Dropping the condition would
// add exactly those posts to the rule, so its counts say what the
// condition is worth: a NOT that refuses mostly relevant posts costs recall
// and buys no precision.
type refusals struct {
	eng  *match.Engine
	rows map[refusalKey]*refusal
	none bool // no rule's query is an AND or a NEAR: nothing to count
}

type refusalKey struct {
	rule int32
	part string
}

type refusal struct {
	relevant, other int
	lost            int     // relevant posts no rule matched
	ex              sampler // relevant posts refused
}

func newRefusals(eng *match.Engine) *refusals {
	rf := &refusals{eng: eng, rows: map[refusalKey]*refusal{}, none: true}
	for _, r := range eng.Rules() {
		if p, err := query.Parse(r.Query); err == nil && (p.Op() == "and" || p.Op() == "near") {
			rf.none = false
		}
	}
	return rf
}

// add counts the refusals of a post that the rules m matched.
func (rf *refusals) add(d *match.Doc, m []int32, relevant bool, post func() evalPost) {
	if rf.none {
		return // no post needs explaining (Why): keyword lists and ORs of terms
	}
	for _, w := range rf.eng.Why(d) {
		if w.Matched {
			continue
		}
		part, ok := soleRefusal(w.Steps)
		if !ok {
			continue
		}
		k := refusalKey{w.Rule, part}
		r := rf.rows[k]
		if r == nil {
			r = &refusal{ex: sampler{n: 1}}
			rf.rows[k] = r
		}
		if !relevant {
			r.other++
			continue
		}
		r.relevant++
		if len(m) == 0 {
			r.lost++
		}
		r.ex.offer(post)
	}
}

// soleRefusal returns the condition that alone kept a query from matching,
// given its trace: the one operand of its top-level AND that does not hold,
// or the query itself when it is a NEAR. ok is false when the query is of
// another kind or more than one operand does not hold.
func soleRefusal(steps []query.Step) (part string, ok bool) {
	switch steps[0].Op {
	case "near":
		return steps[0].Part, true
	case "and":
		for _, s := range steps[1:] {
			if s.Depth != 1 || s.Holds {
				continue
			}
			if ok {
				return "", false
			}
			part, ok = s.Part, true
		}
	}
	return part, ok
}

// refusedRow is one line of the report's refusals.
type refusedRow struct {
	Rule      string   `json:"rule"`
	Condition string   `json:"condition"`
	Relevant  int      `json:"relevant"`
	Other     int      `json:"other"`
	Precision float64  `json:"precision"` // of the posts refused: what the rule would gain
	Lost      int      `json:"lost"`      // relevant posts refused that no rule matched
	Example   evalPost `json:"example"`   // a relevant post refused; empty when none was
}

// report lists the refusals, most relevant posts refused first.
func (rf *refusals) report(rules []match.Rule) []refusedRow {
	rows := []refusedRow{}
	for k, r := range rf.rows {
		row := refusedRow{Rule: rules[k.rule].ID, Condition: k.part, Relevant: r.relevant, Other: r.other,
			Precision: float64(r.relevant) / float64(r.relevant+r.other), Lost: r.lost}
		if ex := r.ex.examples(); len(ex) > 0 {
			row.Example = ex[0]
		}
		rows = append(rows, row)
	}
	slices.SortFunc(rows, func(a, b refusedRow) int {
		return cmp.Or(b.Relevant-a.Relevant, b.Other-a.Other, cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Condition, b.Condition))
	})
	return rows
}

// writeRefused prints the first maxRefused refusals, each with an example.
func writeRefused(bw *bufio.Writer, rows []refusedRow) {
	if len(rows) == 0 {
		return
	}
	shown := rows[:min(len(rows), maxRefused)]
	wr, wc := len("rule"), len("condition")
	for _, r := range shown {
		wr, wc = max(wr, utf8.RuneCountInString(r.Rule)), max(wc, utf8.RuneCountInString(r.Condition))
	}
	fmt.Fprintf(bw, "\nConditions that alone kept a rule from posts its terms found (dropping one adds its posts to the rule):\n")
	fmt.Fprintf(bw, "  %-*s  %-*s  %9s  %9s  %9s  %14s\n", wr, "rule", wc, "condition", "relevant", "other", "precision", "matched by none")
	for _, r := range shown {
		fmt.Fprintf(bw, "  %-*s  %-*s  %9s  %9s  %9s  %14s\n", wr, r.Rule, wc, r.Condition, thousands(uint64(r.Relevant)), thousands(uint64(r.Other)),
			percent(&r.Precision), thousands(uint64(r.Lost)))
		if r.Example.Text != "" {
			fmt.Fprintf(bw, "  %-*s  e.g. %s:%d %s  %s\n", wr, "", filepath.Base(r.Example.File), r.Example.Line, r.Example.ID, oneLine(r.Example.Text, 80))
		}
	}
	if len(rows) > len(shown) {
		fmt.Fprintf(bw, "  … and %d more (--json lists them all)\n", len(rows)-len(shown))
	}
}

// maxRefused is how many refusals the table shows.
const maxRefused = 20
