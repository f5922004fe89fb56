package match

import (
	"slices"
	"sync"
	"unicode/utf8"

	"earshot/match/query"
)

// State encoding. A plain state is a dense state without output: it is
// encoded as its row offset id*stride (stride is a multiple of 4, so the low
// bits are zero) and the scan loop follows it with one load and one bit test
// per byte. Every other state is encoded as id<<2 | flagSlow, plus flagOut
// when it ends a term. The root is plain (0): the loop stays in it across
// words no term can start in, on a row that stays in cache. A raw column
// whose byte must be redone step by step holds encRedo (state 0 never ends
// a term, so it names no state), except the space column where a term ends
// in a dense state: it holds that state, flagged (the batch lanes take it:
// stepTables.spaceHit); the other readers test the flag only.
const (
	flagSlow = 1 // sparse, or ends a term: look closer
	flagOut  = 2 // the state (or a state on its fail chain) ends a term

	encRedo = flagSlow | flagOut // raw columns: redo this byte on the slow path
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
	progs       []*query.Program // per rule; nil for a query that is one plain term
	ruleTerm    []string         // per rule with a nil program: its term
	ruleTermOff []uint32         // global terms of rule r, by Program term: ruleTermIDs[ruleTermOff[r]:ruleTermOff[r+1]]
	ruleTermIDs []int32
	termPat     [][]byte // stream symbols per term of this automaton
	termRuleOff []uint32 // rules of global term t: termRules[termRuleOff[t]:termRuleOff[t+1]]
	termRules   []int32  // r for a rule that matches when any of its terms occurs, ^r for one that needs Eval

	// Global term ids below nMain are terms of this automaton; the others,
	// minus nMain, terms of fold: the automaton over the diacritic-stripped
	// terms of diacritic-insensitive rules, which reads text without
	// combining marks (strip). fold is nil when no rule needs it.
	nMain   int32
	fold    *Engine
	strip   bool
	scratch *sync.Pool // of *scratch, for rules that need Eval

	symCls [256]uint16 // stream byte -> stream class; 0 = a byte no term uses
	rawCls [256]uint16 // raw text byte -> column (stream class or raw class)
	ascii  [128]uint16 // ASCII byte -> kind<<8 | stream class of its folded byte
	after  [128]uint8  // ASCII byte -> prev* word class after it
	stride uint32      // columns per dense row, a multiple of 4
	clsB   uint32      // stream class of the boundary symbol
	rootB  uint32      // encoded state after the leading boundary

	// runeBits is a one-hash Bloom filter of the first runes of the terms
	// (after a leading boundary), as up to 4 key bytes: a non-ASCII rune
	// not in it, read with nothing pending, is skipped (see cold).
	runeBits  []uint64
	runeShift uint32

	// cold3 is runeTable.cjk3 without the letters some term starts with:
	// the unspaced letters that, read with nothing pending, leave the
	// automaton at the root.
	cold3 *[1024]uint64
	// wf skips the words no term starts with (skip.go); nil: scan all.
	wf *wordFilter
	// st holds the tables the lanes' steps read (see stepTables), among
	// them the letters and punctuation the lanes take in place.
	st stepTables

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

// Stats describes the size of a compiled engine.
type Stats struct {
	Rules  int // enabled rules
	Terms  int // distinct compiled terms (shared by the rules that use them)
	States int // automaton states
	Bytes  int // approximate memory held by the automaton
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
		switch {
		case preOut && pre>>2 < e.nDense:
			// A term ends at the space, in a dense state: flagged, and the
			// state kept, so that the lanes can take the step (spaceHit).
			row[rawBase+rawSpace] = pre
		case preOut || pre&flagSlow != 0:
			row[rawBase+rawSpace] = encRedo
		default:
			row[rawBase+rawSpace] = pre
		}
		row[rawBase+rawNonASCII] = encRedo
		fold := func(sym uint32) uint32 {
			if preOut {
				return encRedo
			}
			x := e.step(pre, sym)
			if x&flagOut != 0 {
				return encRedo
			}
			x = e.step(x, e.clsB)
			if x&flagSlow != 0 {
				return encRedo
			}
			return x
		}
		row[rawBase+rawPunctNone] = fold(0)
		for col := rawBase + rawPunct0; col < rawEnd; col++ {
			row[col] = fold(uint32(e.symCls[punctCol[col-rawBase-rawPunct0]]))
		}
	}
	e.rootB = e.step(enc(0), e.clsB)
	e.buildStarts(rt)
	e.buildLetters2(rt)
	e.buildQuiet(rt)
	if canSkip {
		e.wf = newWordFilter(e)
	}
	e.st.tbl, e.st.raw, e.st.ign3, e.st.rootB = e.tbl, &e.rawCls, &rt.ign3, e.rootB
	e.st.nDense, e.st.stride = e.nDense, e.stride
}

// buildStarts fills the tables of the terms' first runes: runeBits, and
// cold3 (see coldLetters).
func (e *Engine) buildStarts(rt *runeTable) {
	nb := 12
	for nb < 20 && 1<<nb < 16*len(e.termPat) {
		nb++
	}
	e.runeShift = uint32(32 - nb)
	e.runeBits = make([]uint64, 1<<nb/64)
	starts := make(map[rune]bool) // the terms' first runes
	for _, p := range e.termPat {
		if len(p) > 0 && p[0] == symB {
			p = p[1:]
		}
		if len(p) == 0 {
			continue
		}
		r, size := utf8.DecodeRune(p)
		h := e.runeHash(keyWord(p[:size]))
		e.runeBits[h>>6] |= 1 << (h & 63)
		starts[r] = true
	}
	e.cold3 = e.coldLetters(starts)
}

// coldLetters returns the unspaced letters (indexed like runeTable.cjk3)
// that leave the automaton at the root when read with nothing pending,
// given the runes terms start with: their key is one or more runes not in
// starts.
func (e *Engine) coldLetters(starts map[rune]bool) *[1024]uint64 {
	cold := new([1024]uint64)
	*cold = e.rt.cjk3
	for r := range starts {
		if r >= 0x800 && r < 0x10000 { // three bytes
			cold[r>>6] &^= 1 << (r & 0x3F)
		}
	}
keyed:
	for _, r := range e.rt.keyed3 {
		kind, key := e.rt.lookupFor(r, e.strip)
		if kind != kWordCJK {
			continue // a voicing mark alone, stripped
		}
		for _, kr := range string(key) {
			if starts[kr] {
				continue keyed
			}
		}
		cold[r>>6] |= 1 << (r & 0x3F)
	}
	return cold
}

// keyWord packs the bytes of a one-rune key, little-endian, as runeBits
// hashes them.
func keyWord(key []byte) uint32 {
	var x uint32
	for k, b := range key {
		x |= uint32(b) << (8 * k)
	}
	return x
}

// letter2 is the key of a two-byte letter in stream classes.
type letter2 struct {
	n   uint8
	cls [3]uint16
}

// buildLetters2 fills st.l2 (see stepTables).
func (e *Engine) buildLetters2(rt *runeTable) {
	e.st.l2 = new([0x780]letter2)
	var buf [4]byte
	for r := rune(0x80); r < 0x800; r++ {
		kind, key := rt.lookupFor(r, e.strip)
		if key == nil {
			key = buf[:utf8.EncodeRune(buf[:], r)]
		}
		if (kind != kWord && kind != kMark) || len(key) > 3 {
			continue
		}
		unspaced := false
		for _, kr := range string(key) {
			unspaced = unspaced || runeKind(kr) == kWordCJK
		}
		if unspaced {
			continue
		}
		l := &e.st.l2[r-0x80]
		l.n = uint8(len(key))
		for k, b := range key {
			l.cls[k] = e.symCls[b]
		}
	}
}

// buildQuiet fills st.q2, st.q3 and st.q4: punctuation whose key no term
// uses a byte of, or whose key is the rune itself and starts no term.
func (e *Engine) buildQuiet(rt *runeTable) {
	e.st.q2, e.st.q3, e.st.q4 = new([32]uint64), new([1024]uint64), new([64]uint64)
	var buf [4]byte
	quiet := func(r rune) bool {
		kind, key := rt.lookupFor(r, e.strip)
		if kind != kPunct {
			return false
		}
		unused := key != nil
		for _, b := range key {
			unused = unused && e.symCls[b] == 0
		}
		if unused {
			return true
		}
		if key != nil {
			return false
		}
		return !e.startsTerm(keyWord(buf[:utf8.EncodeRune(buf[:], r)]))
	}
	for _, r := range rt.punct {
		switch {
		case !quiet(r):
		case r < 0x800:
			e.st.q2[(r-0x80)>>6] |= 1 << ((r - 0x80) & 0x3F)
		case r <= 0xFFFF:
			e.st.q3[r>>6] |= 1 << (r & 0x3F)
		default:
			e.st.q4[r>>6&0x3F] |= 1 << (r & 0x3F)
		}
	}
}

// runeHash maps the key bytes of a rune (little-endian) to its bit in
// runeBits.
func (e *Engine) runeHash(x uint32) uint32 { return x * 0x9E3779B1 >> e.runeShift }

// startsTerm reports whether some term may start with the rune whose key
// bytes are x; false is certain.
func (e *Engine) startsTerm(x uint32) bool {
	h := e.runeHash(x)
	return e.runeBits[h>>6]&(1<<(h&63)) != 0
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

// Rules returns the enabled rules in the order of their indexes. The slice is
// shared: do not modify it.
func (e *Engine) Rules() []Rule { return e.rules }

// Stats reports the size of the automata.
func (e *Engine) Stats() Stats {
	st := e.automatonStats()
	st.Rules = len(e.rules)
	st.Bytes += len(e.termRuleOff)*4 + len(e.termRules)*4 + len(e.ruleTermOff)*4 + len(e.ruleTermIDs)*4
	if e.fold != nil {
		f := e.fold.automatonStats()
		st.Terms += f.Terms
		st.States += f.States
		st.Bytes += f.Bytes
	}
	return st
}

func (e *Engine) automatonStats() Stats {
	b := len(e.tbl)*4 + len(e.sparseOff)*4 + len(e.sparseLab)*2 + len(e.sparseNext)*4 +
		len(e.fail)*4 + len(e.outOff)*4 + len(e.outTerms)*4 + len(e.outLink)*4 +
		8*(len(e.runeBits)+len(e.cold3)+len(e.st.l2)+len(e.st.q2)+len(e.st.q3)+len(e.st.q4))
	for _, p := range e.termPat {
		b += len(p) + 24
	}
	if e.wf != nil {
		f := e.wf
		b += 8 * (2*keyLens + len(f.bits) + len(f.cold) + len(f.q2) + len(f.q4) + len(f.lat))
	}
	return Stats{Terms: len(e.termPat), States: len(e.fail), Bytes: b}
}
