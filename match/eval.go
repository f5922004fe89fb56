package match

import (
	"cmp"
	"slices"
	"unicode/utf8"

	"earshot/match/query"
)

// Match appends to dst the indexes (into Rules) of the rules whose query
// matches d, ascending and unique. It does not allocate when dst has room
// for the result (and the text holds at most 64 term occurrences).
//
// The text is scanned once (twice when some rule is diacritic-insensitive).
// A rule whose query is one term or an OR of terms matches when one of them
// occurs; the others are evaluated only when one of their triggers occurs
// (for a AND b one of the two, never a negated term: query.Program.Triggers),
// with the post's fields from d, and term positions for NEAR/ONEAR.
func (e *Engine) Match(dst []int32, d *Doc) []int32 {
	var buf [64]hit
	hits := e.scan(buf[:0], d.Text)
	if e.fold != nil {
		n := len(hits)
		hits = e.fold.scan(hits, d.Text)
		for i := n; i < len(hits); i++ {
			hits[i].term += e.nMain
		}
	}
	return e.rulesOf(dst, hits, d)
}

// rulesOf appends to dst the rules that match d, whose hits (of both
// automata, each automaton's in text order) are hits: Match after the scans.
func (e *Engine) rulesOf(dst []int32, hits []hit, d *Doc) []int32 {
	if len(hits) == 0 {
		return dst
	}
	base := len(dst)
	last := int32(-1)
	evals := false
	for _, h := range hits {
		if h.term == last {
			continue
		}
		last = h.term
		for _, r := range e.termRules[e.termRuleOff[h.term]:e.termRuleOff[h.term+1]] {
			if r < 0 {
				evals = true
				continue
			}
			dst = insertSorted(dst, base, r)
		}
	}
	if evals {
		dst = e.evalRules(dst, base, hits, d)
	}
	if len(dst)-base > maxInsert {
		slices.Sort(dst[base:])
		dst = append(dst[:base], slices.Compact(dst[base:])...)
	}
	return dst
}

// maxInsert bounds the result size up to which Match keeps it sorted and
// unique by insertion; beyond it, it appends and sorts once at the end.
const maxInsert = 32

// insertSorted inserts r into the ascending unique dst[base:] while that is
// at most maxInsert long, and appends it otherwise.
func insertSorted(dst []int32, base int, r int32) []int32 {
	m := len(dst) - base
	if m > maxInsert {
		return append(dst, r)
	}
	j := len(dst)
	for j > base && dst[j-1] > r {
		j--
	}
	if j > base && dst[j-1] == r {
		return dst
	}
	dst = append(dst, 0)
	copy(dst[j+1:], dst[j:len(dst)-1])
	dst[j] = r
	return dst
}

// scratch is the working memory of one Match call that evaluates queries.
// Engines keep a pool of them.
//
// Term presence and candidate rules are generation-stamped: termGen[t] ==
// gen when term t occurs in the current text, ruleGen[r] == gen once rule r
// is a candidate; a call bumps gen instead of clearing the arrays.
type scratch struct {
	gen     uint32
	termGen []uint32 // per global term
	ruleGen []uint32 // per rule
	cand    []int32  // rules to evaluate, in order of discovery
	starts  []int32  // per hit: where it starts; -2 = not computed yet
	near    query.Hits
	st      [2]stream // the matching stream of the text, plain and stripped
	stOK    [2]bool
}

// stream is a text's matching stream with the byte span of the rune behind
// each symbol, to recover where a term occurrence starts.
type stream struct {
	syms        []byte
	starts, end []int32
}

func (s *stream) build(rt *runeTable, text []byte, strip bool) {
	s.syms, s.starts, s.end = s.syms[:0], s.starts[:0], s.end[:0]
	walkStream(rt, text, strip, func(sym byte, _ uint32, start, end int) {
		s.syms = append(s.syms, sym)
		s.starts = append(s.starts, int32(start))
		s.end = append(s.end, int32(end))
	})
}

// start returns the byte offset where the occurrence of pat that ends at
// byte offset end starts, or -1.
func (s *stream) start(pat []byte, end int) int {
	// The occurrence's last symbol other than a boundary ends at end; at
	// most one boundary follows it.
	k, _ := slices.BinarySearch(s.end, int32(end))
	for j := max(k, len(pat)-1); j < len(s.syms) && (j == k || int(s.end[j-1]) == end); j++ {
		first, last := j-len(pat)+1, j
		if string(s.syms[first:j+1]) != string(pat) {
			continue
		}
		for first < last && s.syms[first] == symB {
			first++
		}
		for last > first && s.syms[last] == symB {
			last--
		}
		if int(s.end[last]) == end {
			return int(s.starts[first])
		}
	}
	return -1
}

// evalRules evaluates the rules that need Eval and have a term in hits.
func (e *Engine) evalRules(dst []int32, base int, hits []hit, d *Doc) []int32 {
	s := e.scratch.Get().(*scratch)
	if len(s.termGen) != len(e.termRuleOff)-1 || len(s.ruleGen) != len(e.rules) {
		s.termGen = make([]uint32, len(e.termRuleOff)-1)
		s.ruleGen = make([]uint32, len(e.rules))
		s.gen = 0
	}
	if s.gen++; s.gen == 0 { // wrapped: forget every stamp
		clear(s.termGen)
		clear(s.ruleGen)
		s.gen = 1
	}
	gen := s.gen
	s.cand = s.cand[:0]
	s.stOK = [2]bool{}
	for _, h := range hits {
		if s.termGen[h.term] == gen {
			continue
		}
		s.termGen[h.term] = gen
		for _, r := range e.termRules[e.termRuleOff[h.term]:e.termRuleOff[h.term+1]] {
			if r < 0 && s.ruleGen[^r] != gen {
				s.ruleGen[^r] = gen
				s.cand = append(s.cand, ^r)
			}
		}
	}
	f := fieldsOf(d)
	var ids []int32
	var prog *query.Program
	// A raw: term is present when one of its occurrences is written as the
	// term is (the automaton found it case-insensitively).
	present := func(i int) bool {
		return s.termGen[ids[i]] == gen && (!prog.Raw(i) || e.rawOccurs(s, ids[i], prog.Terms[i], hits, d.Text))
	}
	// Proximity needs the occurrences of the rule's terms with their
	// starts: collected on the first proximity question, starts computed
	// once per hit.
	filled := false
	near := func(a, b, dist int, ordered bool) bool {
		if !filled {
			e.addOccurrences(s, prog, ids, hits, d.Text)
			filled = true
		}
		return s.near.Near(a, b, dist, ordered)
	}
	s.starts = s.starts[:0]
	for _, r := range s.cand {
		ids = e.ruleTermIDs[e.ruleTermOff[r]:e.ruleTermOff[r+1]]
		prog = e.progs[r]
		filled = false
		if prog.Eval(present, near, &f) {
			dst = insertSorted(dst, base, r)
		}
	}
	s.near.Reset(nil)
	e.scratch.Put(s)
	return dst
}

// addOccurrences records in s.near where the present terms of a rule (ids,
// by Program term, of prog) occur, for its proximity tests.
func (e *Engine) addOccurrences(s *scratch, prog *query.Program, ids []int32, hits []hit, text []byte) {
	s.near.Reset(text)
	for j, g := range ids {
		if s.termGen[g] != s.gen {
			continue
		}
		for i, h := range hits {
			if h.term != g {
				continue
			}
			if st := e.hitStart(s, i, hits, text); st >= 0 && (!prog.Raw(j) || rawEqual(text[st:h.end], prog.Terms[j])) {
				s.near.Add(j, int(st), int(h.end))
			}
		}
	}
}

// rawOccurs reports whether global term g, written term in a raw: term of a
// query, occurs in text written as term is.
func (e *Engine) rawOccurs(s *scratch, g int32, term string, hits []hit, text []byte) bool {
	for i, h := range hits {
		if h.term != g {
			continue
		}
		if st := e.hitStart(s, i, hits, text); st >= 0 && rawEqual(text[st:h.end], term) {
			return true
		}
	}
	return false
}

// hitStart returns where hits[i] starts in text, or -1: computed once per
// hit (s.starts), from the matching stream of the hit's automaton, built
// once per text.
func (e *Engine) hitStart(s *scratch, i int, hits []hit, text []byte) int32 {
	if len(s.starts) == 0 {
		for range hits {
			s.starts = append(s.starts, -2)
		}
	}
	if s.starts[i] == -2 {
		a, pat := e, hits[i].term
		if pat >= e.nMain {
			a, pat = e.fold, pat-e.nMain
		}
		k := 0
		if a.strip {
			k = 1
		}
		if !s.stOK[k] {
			s.st[k].build(e.rt, text, a.strip)
			s.stOK[k] = true
		}
		s.starts[i] = int32(s.st[k].start(a.termPat[pat], int(hits[i].end)))
	}
	return s.starts[i]
}

// termStart returns the byte offset where the occurrence of term (of this
// automaton) that ends at end in text starts, or -1 when there is none. It
// walks the whole stream: use it for the few hits that need a start.
func (e *Engine) termStart(term int32, text []byte, end int) int {
	if term < 0 || int(term) >= len(e.termPat) {
		return -1
	}
	var s stream
	s.build(e.rt, text, e.strip)
	return s.start(e.termPat[term], end)
}

// TermHit is one occurrence of a rule's term in a document.
type TermHit struct {
	Rule       int32  // index into Rules
	Term       string // the term as written in the rule's query
	Start, End int    // byte offsets into Doc.Text
}

// Explain appends, for every rule that matches d, the occurrences of its
// terms that can be why it matched, ordered by where they end (then by
// rule). Terms that occur only negated in the query (drill in quake -drill)
// are not reported: a rule matches in spite of them, never because of them;
// the fields a query tests are not reported either. For a NEAR test every
// occurrence of its terms is reported, not only the pairs close enough. A
// wildcard term's occurrence spans its whole word (earthquak* in
// "earthquakes"). Explain is meant for tooling (`earshot rules test`) and
// allocates.
func (e *Engine) Explain(dst []TermHit, d *Doc) []TermHit {
	return e.explain(dst, d, true)
}

// explain is Explain, with each wildcard term's occurrence widened to its
// word or (for the tests that hold scan to it) not.
func (e *Engine) explain(dst []TermHit, d *Doc, widen bool) []TermHit {
	matched := e.Match(nil, d)
	if len(matched) == 0 {
		return dst
	}
	occs := e.allOccurrences(d.Text)
	slices.SortStableFunc(occs, func(a, b occurrence) int { return cmp.Compare(a.end(widen), b.end(widen)) })
	for _, o := range occs {
		for _, r := range matched {
			if term, ok := e.positiveTerm(r, o, d.Text); ok {
				dst = append(dst, TermHit{Rule: r, Term: term, Start: o.start, End: o.end(widen)})
			}
		}
	}
	return dst
}

// occurrence is one occurrence of a term in a text, for tooling.
type occurrence struct {
	term         int32 // global term id
	start, rawTo int   // the bytes the term's pattern covers
	wordTo       int   // for a wildcard term, the end of its word; rawTo otherwise
}

// end returns where the occurrence ends, its wildcard widened to its word
// (as people read it) or not (as scan reports it).
func (o occurrence) end(widen bool) int {
	if widen {
		return o.wordTo
	}
	return o.rawTo
}

// allOccurrences returns every occurrence of every term of both automata
// in text, each automaton's in the order their ends are found.
func (e *Engine) allOccurrences(text []byte) []occurrence {
	var occs []occurrence
	add := func(a *Engine, off int32) func(t int32, start, end int) {
		return func(t int32, start, end int) {
			occs = append(occs, occurrence{t + off, start, end, a.wordEnd(t, text, end)})
		}
	}
	e.occurrences(text, add(e, 0))
	if e.fold != nil {
		e.fold.occurrences(text, add(e.fold, e.nMain))
	}
	return occs
}

// wordEnd returns where the occurrence of term t that ends at byte end is
// reported to end: for a wildcard term, the end of its word (earthquak* in
// "earthquakes," is "earthquakes"), for any other term end. A wildcard's
// pattern is the only one that ends in a letter of a space-delimited script
// without a boundary (a term of Han or kana letters ends without one too).
func (e *Engine) wordEnd(t int32, text []byte, end int) int {
	if p := e.termPat[t]; p[len(p)-1] == symB {
		return end
	}
	kind := func(r rune) uint32 { k, _ := e.rt.lookupFor(r, e.strip); return k }
	for i := end; ; { // the letter the occurrence ends with, before its marks
		r, n := utf8.DecodeLastRune(text[:i])
		if n == 0 {
			return end
		}
		if k := kind(r); k == kWord {
			break
		} else if k != kMark && k != kIgnore { // Han, kana, …, or not a letter
			return end
		}
		i -= n
	}
	for end < len(text) { // the rest of the word: letters, marks, ignorables
		r, n := utf8.DecodeRune(text[end:])
		if k := kind(r); r == utf8.RuneError && n == 1 || k != kWord && k != kMark && k != kIgnore {
			break
		}
		end += n
	}
	return end
}

// positiveTerm returns the text of the first term of rule r that compiled to
// o's global term, occurs outside any NOT and, when it is a raw: term, is
// written in text as at o.
func (e *Engine) positiveTerm(r int32, o occurrence, text []byte) (string, bool) {
	prog := e.progs[r]
	if prog == nil {
		return e.ruleTerm[r], e.ruleTermIDs[e.ruleTermOff[r]] == o.term
	}
	for j, x := range e.ruleTermIDs[e.ruleTermOff[r]:e.ruleTermOff[r+1]] {
		if x == o.term && prog.Positive(j) && (!prog.Raw(j) || rawEqual(text[o.start:o.rawTo], prog.Terms[j])) {
			return prog.Terms[j], true
		}
	}
	return "", false
}

// occurrences calls fn for every occurrence of every term of this automaton
// in text, in the order their ends are found. It walks the matching stream
// symbol by symbol, independently of scan.
func (e *Engine) occurrences(text []byte, fn func(term int32, start, end int)) {
	var s stream
	s.build(e.rt, text, e.strip)
	v := uint32(0) // the root: dense, and no term is empty
	for j, sym := range s.syms {
		v = e.step(v, uint32(e.symCls[sym]))
		if v&flagOut == 0 {
			continue
		}
		for st := int32(v >> 2); st >= 0; st = e.outLink[st] {
			for _, term := range e.outTerms[e.outOff[st]:e.outOff[st+1]] {
				first, last := j-len(e.termPat[term])+1, j
				for first < last && s.syms[first] == symB {
					first++
				}
				for last > first && s.syms[last] == symB {
					last--
				}
				fn(term, int(s.starts[first]), int(s.end[last]))
			}
		}
	}
}
