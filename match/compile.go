package match

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"earshot/match/query"
)

// Compile builds an engine from rules; disabled rules are skipped. Every
// query is parsed with the rule language (earshot/match/query) and every
// term in it checked; on errors nothing is built and all of them (up to 20)
// are returned joined, each a *SyntaxError placed at the offending column
// (Rule.Pos is where the query text starts).
//
// The distinct terms of all rules share one automaton (and a second one for
// the terms of diacritic-insensitive rules); each rule keeps its Program and
// each term the list of rules that use it, so that Match evaluates only the
// rules with at least one term present.
func Compile(rules []Rule) (*Engine, error) {
	return compile(rules, denseBudget)
}

func compile(rules []Rule, denseEntries int) (*Engine, error) {
	rt := runes()
	e := &Engine{rt: rt, scratch: &sync.Pool{}}
	e.scratch.New = func() any { return new(scratch) }
	var errs []error
	ids := [2]map[string]int32{{}, {}} // pattern -> id, per automaton
	var pats [2][][]byte
	e.ruleTermOff = append(e.ruleTermOff, 0)
	var one [1]term
	for i := range rules {
		r := &rules[i]
		if !r.Enabled {
			continue
		}
		prog, terms, terr := parseQuery(rt, r.Query, r.IgnoreDiacritics, one[:0])
		if terr != nil {
			if len(errs) < maxErrors {
				errs = append(errs, querySyntaxError(r, terr))
			}
			continue
		}
		e.rules = append(e.rules, *r)
		e.progs = append(e.progs, prog)
		if prog == nil {
			e.ruleTerm = append(e.ruleTerm, terms[0].text)
		} else {
			e.ruleTerm = append(e.ruleTerm, "")
		}
		a := 0
		if r.IgnoreDiacritics {
			a = 1
		}
		for _, t := range terms {
			id, ok := ids[a][string(t.pat)]
			if !ok {
				id = int32(len(pats[a]))
				ids[a][string(t.pat)] = id
				pats[a] = append(pats[a], t.pat)
			}
			if a == 1 {
				id = ^id // fixed up below, once the main automaton's size is known
			}
			e.ruleTermIDs = append(e.ruleTermIDs, id)
		}
		e.ruleTermOff = append(e.ruleTermOff, uint32(len(e.ruleTermIDs)))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	e.nMain = int32(len(pats[0]))
	for i, id := range e.ruleTermIDs {
		if id < 0 {
			e.ruleTermIDs[i] = e.nMain + ^id
		}
	}

	// Term -> rules, each rule once per distinct term. A rule that needs
	// Eval is listed under its triggers only (query.Program.Triggers):
	// the terms one of which every post it matches contains.
	nTerms := len(pats[0]) + len(pats[1])
	count := make([]uint32, nTerms+1)
	for r := range e.rules {
		ts := e.ruleTermIDs[e.ruleTermOff[r]:e.ruleTermOff[r+1]]
		for j, g := range ts {
			if e.lists(r, ts, j) {
				count[g+1]++
			}
		}
	}
	for t := 1; t <= nTerms; t++ {
		count[t] += count[t-1]
	}
	e.termRuleOff = count
	e.termRules = make([]int32, count[nTerms])
	fill := make([]uint32, nTerms)
	copy(fill, count[:nTerms])
	for r := range e.rules {
		enc := int32(r)
		if p := e.progs[r]; p != nil && !p.AnyTerm() {
			enc = ^enc
		}
		ts := e.ruleTermIDs[e.ruleTermOff[r]:e.ruleTermOff[r+1]]
		for j, g := range ts {
			if e.lists(r, ts, j) {
				e.termRules[fill[g]] = enc
				fill[g]++
			}
		}
	}

	e.termPat = pats[0]
	e.build(rt, denseEntries)
	if len(pats[1]) > 0 {
		e.fold = &Engine{rt: rt, strip: true, termPat: pats[1]}
		e.fold.build(rt, denseEntries)
	}
	return e, nil
}

// lists reports whether rule r, whose global terms by Program term are ts,
// is listed under ts[j]: once per distinct global term (two terms of one
// query can fold to the same pattern: quake OR QUAKE), and for a rule that
// needs Eval only under its triggers (all terms when they are unknown).
func (e *Engine) lists(r int, ts []int32, j int) bool {
	listed := func(j int) bool {
		p := e.progs[r]
		if p == nil || p.AnyTerm() || p.Triggers() == nil {
			return true
		}
		_, ok := slices.BinarySearch(p.Triggers(), int32(j))
		return ok
	}
	if !listed(j) {
		return false
	}
	for k := range j {
		if ts[k] == ts[j] && listed(k) {
			return false
		}
	}
	return true
}

// parseQuery parses a rule's query and compiles each of its terms (appended
// to terms). A query that is one plain term skips the rule language's
// parser and has a nil Program. Errors carry the 1-based character column in
// q.
func parseQuery(rt *runeTable, q string, strip bool, terms []term) (*query.Program, []term, *termError) {
	if singleTerm(q) {
		t, terr := parseTerm(rt, q, strip)
		if terr != nil {
			return nil, nil, terr
		}
		return nil, append(terms, t), nil
	}
	prog, err := query.Parse(q)
	if err != nil {
		var qe *query.Error
		if errors.As(err, &qe) {
			return nil, nil, &termError{col: runeCol(q, qe.Col-1), msg: qe.Msg, hint: qe.Hint}
		}
		return nil, nil, &termError{col: 1, msg: err.Error()}
	}
	for i, s := range prog.Terms {
		t, terr := parseTerm(rt, s, strip)
		if terr != nil {
			terr.col = termCol(q, prog, i, terr.col)
			return nil, nil, terr
		}
		terms = append(terms, t)
	}
	return prog, terms, nil
}

// singleTerm reports whether the rule language reads q as exactly one plain
// term, q itself, without parsing it: a word with no operator, field, group,
// quote or leading '-', or one quoted phrase. It may answer false for such a
// query (the parser then decides), never true for another.
func singleTerm(q string) bool {
	if q == "" || len(q) > query.MaxQueryBytes || !utf8.ValidString(q) {
		return false
	}
	if q[0] == '"' {
		return len(q) >= 2 && q[len(q)-1] == '"' && strings.IndexByte(q[1:], '"') == len(q)-2 &&
			strings.TrimSpace(q[1:len(q)-1]) != ""
	}
	switch q {
	case "AND", "OR", "NOT", "&&", "||", "*":
		return false
	}
	if q[0] == '-' && len(q) > 1 || strings.HasPrefix(q, "NEAR") || strings.HasPrefix(q, "ONEAR") {
		return false
	}
	if i := strings.IndexByte(q, '*'); i >= 0 && i != len(q)-1 {
		return false
	}
	for _, r := range q {
		if r == '(' || r == ')' || r == '"' || r == ':' || unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// runeCol converts a byte offset in s into a 1-based character column.
func runeCol(s string, off int) int {
	off = max(0, min(off, len(s)))
	return utf8.RuneCountInString(s[:off]) + 1
}

// termCol converts col, a character column inside prog.Terms[i], into one in
// the query q.
func termCol(q string, prog *query.Program, i, col int) int {
	off := min(prog.TermCol(i)-1, len(q))
	s := prog.Terms[i]
	if strings.HasPrefix(q[off:], s) {
		return runeCol(q, off) + col - 1
	}
	// A phrase prefix: "flood victim"* is the term flood victim*.
	if off < len(q) && q[off] == '"' {
		rest := q[off+1:]
		body := off + 1 + len(rest) - len(strings.TrimLeftFunc(rest, unicode.IsSpace))
		if col > utf8.RuneCountInString(s)-1 { // the '*' after the closing quote
			if j := strings.IndexByte(rest, '"'); j >= 0 {
				return runeCol(q, off+1+j+1)
			}
		}
		return runeCol(q, body) + col - 1
	}
	return runeCol(q, off) + col - 1
}

// querySyntaxError places an error at column col of r's query: r.Pos is
// where the query text starts. A keyword-list rule whose line was quoted to
// make it one term reports the column in the line as written.
func querySyntaxError(r *Rule, te *termError) *SyntaxError {
	col, line := te.col, r.Query
	if quotedKeyword(r) {
		col, line = max(1, min(col-1, utf8.RuneCountInString(r.ID))), r.ID
	}
	p := r.Pos
	if p.Col > 0 {
		p.Col += col - 1
	}
	return &SyntaxError{Pos: p, Msg: te.msg, Hint: te.hint, Line: line, caret: col}
}

// quotedKeyword reports whether r is a keyword-list line that was quoted to
// be read as one term (Parse sets ID to the line and Query to
// query.Literal of it).
func quotedKeyword(r *Rule) bool {
	return r.ID != r.Query && strings.HasPrefix(r.Query, `"`) && !strings.HasPrefix(r.ID, `"`) &&
		query.Literal(r.ID) == r.Query
}
