package match

import (
	"errors"
	"slices"
	"unicode/utf8"
)

// State encoding. A plain state is a dense state without output: it is
// encoded as its row offset id*stride (stride is a multiple of 4, so the low
// bits are zero) and the scan loop follows it with one load per byte. Every
// other state is encoded as id<<2 | flagSlow, plus flagOut when it ends a term.
const (
	flagSlow = 1 // sparse, or ends a term: look closer
	flagOut  = 2 // the state (or a state on its fail chain) ends a term
)

// denseBudget bounds the dense transition table (entries of 4 bytes). States
// are numbered breadth-first; the first budget/stride states get complete DFA
// rows, deeper ones keep their trie edges plus a fail link.
const denseBudget = 4 << 20

// Raw classes: the columns of a dense row after the stream classes. ASCII
// word bytes index the stream class of their folded byte; the other raw
// bytes have columns of their own whose transitions do the whole stream step
// for that byte (a space emits a boundary unless one was just emitted; a
// punctuation byte emits boundary, itself, boundary).
const (
	rawSpace     = iota // ASCII whitespace and controls
	rawNonASCII         // a byte >= 0x80: always the slow path
	rawPunctNone        // ASCII punctuation no term uses
	rawPunct0           // first of one column per ASCII punctuation byte some term uses
)

// hit is one term occurrence found by scan.
type hit struct {
	term int32 // index into the compiled terms
	end  int32 // byte offset just past the occurrence in the text
}

// Engine is a compiled rule set: an Aho-Corasick automaton over the matching
// stream (folded UTF-8 bytes and boundary symbols, mapped to byte classes),
// run directly on raw text bytes for ASCII. It is immutable and safe for
// concurrent use.
type Engine struct {
	rt          *runeTable
	rules       []Rule
	ruleTerm    []string // term text per rule
	ruleTermID  []int32  // compiled term per rule
	termPat     [][]byte // stream symbols per term
	termRuleOff []uint32 // rules of term t: termRules[termRuleOff[t]:termRuleOff[t+1]]
	termRules   []int32

	symCls [256]uint16 // stream byte -> stream class; 0 = a byte no term uses
	rawCls [256]uint16 // raw text byte -> column (stream class or raw class)
	ascii  [128]uint16 // ASCII byte -> kind<<8 | stream class of its folded byte
	skip   [256]bool   // ASCII word bytes that leave the unanchored root where it is
	after  [128]uint8  // ASCII byte -> prev* word class after it
	stride uint32      // columns per dense row, a multiple of 4
	clsB   uint32      // stream class of the boundary symbol
	rootB  uint32      // encoded state after the leading boundary

	nDense     uint32
	tbl        []uint32 // nDense*stride complete rows of encoded states
	sparseOff  []uint32 // edges of sparse state s: [sparseOff[s-nDense], sparseOff[s-nDense+1])
	sparseLab  []uint16
	sparseNext []uint32
	fail       []uint32 // fail link per state (an id)
	outOff     []uint32 // terms ending at state s: outTerms[outOff[s]:outOff[s+1]]
	outTerms   []int32
	outLink    []int32 // next state on the fail chain with terms of its own; -1 = none
}

// Stats describes the size of a compiled automaton.
type Stats struct {
	Rules  int // enabled rules
	Terms  int // distinct compiled terms
	States int // automaton states
	Bytes  int // approximate memory held by the automaton
}

// Compile builds an engine from rules; disabled rules are skipped. Every term
// is checked; on errors nothing is built and all of them (up to 20) are
// returned joined, each a *SyntaxError.
func Compile(rules []Rule) (*Engine, error) {
	return compile(rules, denseBudget)
}

func compile(rules []Rule, denseEntries int) (*Engine, error) {
	rt := runes()
	e := &Engine{rt: rt}
	var errs []error
	patID := map[string]int32{}
	var patRules [][]int32
	for i := range rules {
		r := &rules[i]
		if !r.Enabled {
			continue
		}
		t, terr := parseTerm(rt, r.Query)
		if terr != nil {
			if len(errs) < maxErrors {
				errs = append(errs, termSyntaxError(r.Pos, r.Query, terr))
			}
			continue
		}
		idx := int32(len(e.rules))
		e.rules = append(e.rules, *r)
		e.ruleTerm = append(e.ruleTerm, t.text)
		id, ok := patID[string(t.pat)]
		if !ok {
			id = int32(len(e.termPat))
			patID[string(t.pat)] = id
			e.termPat = append(e.termPat, t.pat)
			patRules = append(patRules, nil)
		}
		e.ruleTermID = append(e.ruleTermID, id)
		patRules[id] = append(patRules[id], idx)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	e.termRuleOff = make([]uint32, len(patRules)+1)
	e.termRules = make([]int32, 0, len(e.rules))
	for id, rs := range patRules {
		e.termRules = append(e.termRules, rs...)
		e.termRuleOff[id+1] = uint32(len(e.termRules))
	}
	e.build(rt, denseEntries)
	return e, nil
}

// trie is the build-time keyword trie with first-child/next-sibling edges.
type trie struct {
	label   []uint16
	child   []int32
	sibling []int32
	pat     []int32 // pattern ending here, -1 none
}

func (t *trie) add() int32 {
	t.label = append(t.label, 0)
	t.child = append(t.child, -1)
	t.sibling = append(t.sibling, -1)
	t.pat = append(t.pat, -1)
	return int32(len(t.label) - 1)
}

func (t *trie) find(n int32, a uint16) int32 {
	for c := t.child[n]; c >= 0; c = t.sibling[c] {
		if t.label[c] == a {
			return c
		}
	}
	return -1
}

// insert adds the path of p (stream classes) and returns its last node.
func (t *trie) insert(cls *[256]uint16, p []byte) int32 {
	s := int32(0)
	for _, b := range p {
		a := cls[b]
		c := t.find(s, a)
		if c < 0 {
			c = t.add()
			t.label[c] = a
			t.sibling[c] = t.child[s]
			t.child[s] = c
		}
		s = c
	}
	return s
}

func (e *Engine) build(rt *runeTable, denseEntries int) {
	pats := e.termPat
	// Columns of a dense row: 0 for bytes no term uses, the ASCII stream
	// bytes used by some term and the boundary, the raw columns, then the
	// other stream bytes; the fast loop touches the first few cache lines
	// of a row only.
	var used [256]bool
	used[symB] = true
	for _, p := range pats {
		for _, b := range p {
			used[b] = true
		}
	}
	n := uint32(1)
	for b := 0; b < utf8.RuneSelf; b++ {
		if used[b] {
			e.symCls[b] = uint16(n)
			n++
		}
	}
	e.symCls[symB] = uint16(n)
	e.clsB = n
	n++
	rawBase := n
	for c := 128; c < 256; c++ {
		e.rawCls[c] = uint16(rawBase + rawNonASCII)
	}
	n = rawBase + rawPunct0
	var punctCol [128]uint32 // raw column -> punctuation byte, for the build
	for c := 0; c < 128; c++ {
		kind, key := rt.lookup(rune(c))
		fb := byte(c)
		if key != nil {
			fb = key[0]
		}
		e.ascii[c] = uint16(kind)<<8 | e.symCls[fb]
		switch kind {
		case kWord:
			e.rawCls[c] = e.symCls[fb]
			e.after[c] = prevSpaced
		case kSpace:
			e.rawCls[c] = uint16(rawBase + rawSpace)
		case kPunct:
			if e.symCls[c] == 0 {
				e.rawCls[c] = uint16(rawBase + rawPunctNone)
			} else {
				e.rawCls[c] = uint16(n)
				punctCol[n-rawBase-rawPunct0] = uint32(c)
				n++
			}
		default: // not in ASCII today; the slow path handles any kind
			e.rawCls[c] = uint16(rawBase + rawNonASCII)
		}
	}
	rawEnd := n
	for b := utf8.RuneSelf; b < symB; b++ {
		if used[b] {
			e.symCls[b] = uint16(n)
			n++
		}
	}
	e.stride = (n + 3) &^ 3

	// Trie. The boundary alone is always a path, so that every state reached
	// by a boundary is labelled with it.
	size := 2
	for _, p := range pats {
		size += len(p)
	}
	t := &trie{}
	t.label = make([]uint16, 0, size)
	t.child = make([]int32, 0, size)
	t.sibling = make([]int32, 0, size)
	t.pat = make([]int32, 0, size)
	t.add()
	t.insert(&e.symCls, []byte{symB})
	for id, p := range pats {
		t.pat[t.insert(&e.symCls, p)] = int32(id)
	}

	// Breadth-first numbering, fail links and output links (in trie ids).
	N := len(t.label)
	order := make([]int32, 0, N) // new id -> trie id
	newID := make([]int32, N)
	failT := make([]int32, N)
	order = append(order, 0)
	for q := 0; q < len(order); q++ {
		u := order[q]
		for c := t.child[u]; c >= 0; c = t.sibling[c] {
			newID[c] = int32(len(order))
			order = append(order, c)
			if u == 0 {
				failT[c] = 0
				continue
			}
			f := failT[u]
			for {
				if g := t.find(f, t.label[c]); g >= 0 {
					failT[c] = g
					break
				}
				if f == 0 {
					failT[c] = 0
					break
				}
				f = failT[f]
			}
		}
	}
	e.outOff = make([]uint32, N+1)
	e.outLink = make([]int32, N)
	e.outTerms = make([]int32, 0, len(pats))
	hasOut := make([]bool, N) // by new id
	for id, u := range order {
		if p := t.pat[u]; p >= 0 {
			e.outTerms = append(e.outTerms, p)
		}
		e.outOff[id+1] = uint32(len(e.outTerms))
		e.outLink[id] = -1
		if id > 0 {
			f := newID[failT[u]]
			if e.outOff[f+1] > e.outOff[f] {
				e.outLink[id] = f
			} else {
				e.outLink[id] = e.outLink[f]
			}
		}
		hasOut[id] = e.outOff[id+1] > e.outOff[id] || e.outLink[id] >= 0
	}

	e.nDense = uint32(N)
	if lim := uint32(denseEntries) / e.stride; lim < e.nDense {
		e.nDense = max(lim, 1)
	}
	enc := func(id int32) uint32 {
		if uint32(id) < e.nDense && !hasOut[id] {
			return uint32(id) * e.stride
		}
		v := uint32(id)<<2 | flagSlow
		if hasOut[id] {
			v |= flagOut
		}
		return v
	}
	e.fail = make([]uint32, N)
	for id, u := range order {
		e.fail[id] = uint32(newID[failT[u]])
	}
	stride := int(e.stride)
	e.tbl = make([]uint32, int(e.nDense)*stride)
	for id := 0; id < int(e.nDense); id++ {
		row := e.tbl[id*stride : (id+1)*stride]
		u := order[id]
		if id > 0 {
			f := int(e.fail[id])
			copy(row, e.tbl[f*stride:(f+1)*stride])
		} else {
			for a := range row {
				row[a] = enc(0)
			}
		}
		for c := t.child[u]; c >= 0; c = t.sibling[c] {
			row[t.label[c]] = enc(newID[c])
		}
	}
	nSparse := N - int(e.nDense)
	e.sparseOff = make([]uint32, nSparse+1)
	e.sparseLab = make([]uint16, 0, nSparse)
	e.sparseNext = make([]uint32, 0, nSparse)
	type edge struct {
		lab  uint16
		next uint32
	}
	var edges []edge
	for id := int(e.nDense); id < N; id++ {
		edges = edges[:0]
		for c := t.child[order[id]]; c >= 0; c = t.sibling[c] {
			edges = append(edges, edge{t.label[c], enc(newID[c])})
		}
		if len(edges) > 1 {
			slices.SortFunc(edges, func(x, y edge) int { return int(x.lab) - int(y.lab) })
		}
		for _, ed := range edges {
			e.sparseLab = append(e.sparseLab, ed.lab)
			e.sparseNext = append(e.sparseNext, ed.next)
		}
		e.sparseOff[id-int(e.nDense)+1] = uint32(len(e.sparseLab))
	}

	// Raw columns of the dense rows: the stream steps of one raw byte folded
	// into one transition. A transition that passes a state ending a term, or
	// ends in a sparse state, is flagged: the scan redoes it step by step.
	for id := 0; id < int(e.nDense); id++ {
		row := e.tbl[id*stride : (id+1)*stride]
		self := uint32(id) * e.stride
		lastB := uint32(t.label[order[id]]) == e.clsB && id > 0
		v := self
		if hasOut[id] {
			v = enc(int32(id))
		}
		// pre is the state after the boundary a space or punctuation emits
		// first, and whether reaching it passed an output.
		pre, preOut := self, false
		if !lastB {
			pre = e.step(v, e.clsB)
			preOut = pre&flagOut != 0
		}
		if preOut || pre&flagSlow != 0 {
			row[rawBase+rawSpace] = flagSlow
		} else {
			row[rawBase+rawSpace] = pre
		}
		row[rawBase+rawNonASCII] = flagSlow
		fold := func(sym uint32) uint32 {
			if preOut {
				return flagSlow
			}
			x := e.step(pre, sym)
			if x&flagOut != 0 {
				return flagSlow
			}
			x = e.step(x, e.clsB)
			if x&flagSlow != 0 {
				return flagSlow
			}
			return x
		}
		row[rawBase+rawPunctNone] = fold(0)
		for col := rawBase + rawPunct0; col < rawEnd; col++ {
			row[col] = fold(uint32(e.symCls[punctCol[col-rawBase-rawPunct0]]))
		}
	}
	e.rootB = e.step(enc(0), e.clsB)
	for c := 0; c < 128; c++ {
		e.skip[c] = e.ascii[c]>>8 == kWord && e.tbl[e.rawCls[c]] == 0
	}
}

// step returns the encoded state after stream class c in encoded state v.
func (e *Engine) step(v, c uint32) uint32 {
	if v&flagSlow == 0 {
		return e.tbl[v+c]
	}
	if s := v >> 2; s < e.nDense {
		return e.tbl[s*e.stride+c]
	}
	return e.stepID(v>>2, c)
}

// stepID returns the encoded state after stream class c in state s.
func (e *Engine) stepID(s, c uint32) uint32 {
	for s >= e.nDense {
		lo, hi := e.sparseOff[s-e.nDense], e.sparseOff[s-e.nDense+1]
		for j := lo; j < hi; j++ {
			if l := uint32(e.sparseLab[j]); l >= c {
				if l == c {
					return e.sparseNext[j]
				}
				break
			}
		}
		s = e.fail[s]
	}
	return e.tbl[s*e.stride+c]
}

// id decodes an encoded state into its id.
func (e *Engine) id(v uint32) uint32 {
	if v&flagSlow != 0 {
		return v >> 2
	}
	return v / e.stride
}

// Rules returns the enabled rules in the order of their indexes. The slice is
// shared: do not modify it.
func (e *Engine) Rules() []Rule { return e.rules }

// Stats reports the size of the automaton.
func (e *Engine) Stats() Stats {
	b := len(e.tbl)*4 + len(e.sparseOff)*4 + len(e.sparseLab)*2 + len(e.sparseNext)*4 +
		len(e.fail)*4 + len(e.outOff)*4 + len(e.outTerms)*4 + len(e.outLink)*4 +
		len(e.termRuleOff)*4 + len(e.termRules)*4
	for _, p := range e.termPat {
		b += len(p) + 24
	}
	return Stats{Rules: len(e.rules), Terms: len(e.termPat), States: len(e.fail), Bytes: b}
}

// Match appends to dst the indexes (into Rules) of the rules whose term
// occurs in d.Text, ascending and unique. It does not allocate when dst has
// room for the result. Only d.Text is used in phase 1.
func (e *Engine) Match(dst []int32, d *Doc) []int32 {
	var buf [64]hit
	hits := e.scan(buf[:0], d.Text)
	if len(hits) == 0 {
		return dst
	}
	base := len(dst)
	last := int32(-1)
	for _, h := range hits {
		if h.term == last {
			continue
		}
		last = h.term
		for _, r := range e.termRules[e.termRuleOff[h.term]:e.termRuleOff[h.term+1]] {
			dst = insertSorted(dst, base, r)
		}
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

// TermHit is one occurrence of a rule's term in a document.
type TermHit struct {
	Rule       int32  // index into Rules
	Term       string // the term as written in the rule
	Start, End int    // byte offsets into Doc.Text
}

// Explain appends every occurrence of every rule's term in d.Text, in the
// order their ends are found. It is meant for tooling (`earshot rules test`)
// and may allocate.
func (e *Engine) Explain(dst []TermHit, d *Doc) []TermHit {
	var syms []byte
	var starts, ends []int
	walkStream(runes(), d.Text, func(sym byte, _ uint32, start, end int) {
		syms = append(syms, sym)
		starts = append(starts, start)
		ends = append(ends, end)
	})
	v := uint32(0) // the root: dense, and no term is empty
	for j, sym := range syms {
		v = e.step(v, uint32(e.symCls[sym]))
		if v&flagOut == 0 {
			continue
		}
		for s := int32(v >> 2); s >= 0; s = e.outLink[s] {
			for _, term := range e.outTerms[e.outOff[s]:e.outOff[s+1]] {
				first, last := j-len(e.termPat[term])+1, j
				for first < last && syms[first] == symB {
					first++
				}
				for last > first && syms[last] == symB {
					last--
				}
				for _, r := range e.termRules[e.termRuleOff[term]:e.termRuleOff[term+1]] {
					dst = append(dst, TermHit{Rule: r, Term: e.ruleTerm[r], Start: starts[first], End: ends[last]})
				}
			}
		}
	}
	return dst
}

// termStart returns the byte offset where the occurrence of term that ends
// at end in text starts, or -1 when there is none. It walks the whole
// stream: use it for the few hits that need a start.
func (e *Engine) termStart(term int32, text []byte, end int) int {
	if term < 0 || int(term) >= len(e.termPat) {
		return -1
	}
	pat := e.termPat[term]
	var syms []byte
	var starts, ends []int
	walkStream(runes(), text, func(sym byte, _ uint32, s, en int) {
		syms = append(syms, sym)
		starts = append(starts, s)
		ends = append(ends, en)
	})
	for j := len(pat) - 1; j < len(syms); j++ {
		first, last := j-len(pat)+1, j
		if string(syms[first:j+1]) != string(pat) {
			continue
		}
		for first < last && syms[first] == symB {
			first++
		}
		for last > first && syms[last] == symB {
			last--
		}
		if ends[last] == end {
			return starts[first]
		}
	}
	return -1
}

// decodeRune is utf8.DecodeRune with the common two- and three-byte forms
// inline.
func decodeRune(p []byte) (rune, int) {
	if len(p) >= 3 {
		c0, c1, c2 := p[0], p[1], p[2]
		if c0&0xE0 == 0xC0 && c0 >= 0xC2 && c1&0xC0 == 0x80 {
			return rune(c0&0x1F)<<6 | rune(c1&0x3F), 2
		}
		if c0&0xF0 == 0xE0 && c1&0xC0 == 0x80 && c2&0xC0 == 0x80 {
			r := rune(c0&0x0F)<<12 | rune(c1&0x3F)<<6 | rune(c2&0x3F)
			if r >= 0x800 && (r < 0xD800 || r > 0xDFFF) {
				return r, 3
			}
		}
	}
	return utf8.DecodeRune(p)
}
