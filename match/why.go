package match

import (
	"slices"
	"strings"

	"earshot/match/query"
)

// RuleWhy is how one rule's query evaluated on a document (Why).
type RuleWhy struct {
	Rule    int32 // index into Rules
	Matched bool  // what Match says of the rule
	// Steps are the query's parts and whether each holds
	// (query.Program.Trace); a query of one plain term is one step.
	Steps []query.Step
	// Occurs holds, for each term of the query (a Step's Term), where it
	// occurs in the text; a wildcard term's occurrence spans its word, as
	// Explain reports it.
	Occurs [][]Span
}

// Span is a byte range of a document's text.
type Span struct{ Start, End int }

// Why explains to a person why rules matched d or did not: for every rule
// that matches d, and every rule that does not although a term of it that
// could make it match occurs in d (one outside any NOT), the parts of its
// query, whether each holds, where its terms occur and what the post holds
// for the fields it tests. Rules are in the order of Rules. A rule none of
// whose terms occurs is left out: with thousands of rules, they are nearly
// all of them. Why is for tooling (`earshot rules test --why`) and
// allocates.
func (e *Engine) Why(d *Doc) []RuleWhy {
	ruleSet := e.Match(nil, d)
	occs := e.allOccurrences(d.Text)
	slices.SortStableFunc(occs, func(a, b occurrence) int { return a.start - b.start })
	// Which terms occur, as a bitset over global term ids: the loop over the
	// rules below is then one test per term of each rule, whatever occurs.
	seen := make([]uint64, (len(e.termRuleOff)+63)/64)
	for _, o := range occs {
		seen[o.term/64] |= 1 << (o.term % 64)
	}
	occurs := func(g int32) bool { return seen[g/64]&(1<<(g%64)) != 0 }
	f := fieldsOf(d)
	var out []RuleWhy
	var near query.Hits
	for r := range e.rules {
		ids := e.ruleTermIDs[e.ruleTermOff[r]:e.ruleTermOff[r+1]]
		_, matched := slices.BinarySearch(ruleSet, int32(r))
		if !matched && !slices.ContainsFunc(ids, occurs) {
			continue
		}
		prog := e.progs[r]
		w := RuleWhy{Rule: int32(r), Matched: matched, Occurs: make([][]Span, len(ids))}
		near.Reset(d.Text)
		relevant := w.Matched
		for j, g := range ids {
			if !occurs(g) {
				continue
			}
			for _, o := range occs {
				if o.term != g || prog != nil && prog.Raw(j) && !rawEqual(d.Text[o.start:o.rawTo], prog.Terms[j]) {
					continue
				}
				w.Occurs[j] = append(w.Occurs[j], Span{o.start, o.wordTo})
				near.Add(j, o.start, o.rawTo)
				relevant = relevant || prog == nil || prog.Positive(j)
			}
		}
		if !relevant {
			continue
		}
		if prog == nil {
			w.Steps = []query.Step{{Part: strings.TrimSpace(e.rules[r].Query), Op: "term", Holds: len(w.Occurs[0]) > 0, Term: 0}}
		} else {
			present := func(j int) bool { return len(w.Occurs[j]) > 0 }
			w.Steps = prog.Trace(nil, present, near.Near, &f)
		}
		out = append(out, w)
	}
	return out
}

// fieldsOf returns the fields of d that queries' filters test.
func fieldsOf(d *Doc) query.Fields {
	return query.Fields{Lang: d.Lang, LangOf: d.LangOf, Country: d.Country, CountryOf: d.CountryOf, Source: d.Source, Followers: d.Followers,
		Verified: d.Verified, IsRepost: d.IsRepost, IsReply: d.IsReply, HasGeo: d.HasGeo, HasLink: d.HasLink,
		IsQuote: d.IsQuote, Author: d.Author, Bio: d.Bio, AuthorOf: d.AuthorOf, PlaceOf: d.PlaceOf}
}
