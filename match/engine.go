package match

import (
	"errors"
	"slices"
	"unicode/utf8"
)

// State encoding in transitions: ref<<2 | flags, where ref is id*stride (the
// row offset) for dense states and the id for sparse ones.
const (
	flagOut    = 1 // the state (or a state on its fail chain) ends a term
	flagSparse = 2 // the state's transitions are sparse: look them up, follow fail links
)

// denseBudget bounds the dense transition table (entries of 4 bytes). States
// are numbered breadth-first; the first budget/stride states get complete DFA
// rows, deeper ones keep their trie edges plus a fail link.
const denseBudget = 4 << 20

// Engine is a compiled rule set: an Aho-Corasick automaton over the matching
// stream (folded UTF-8 bytes and boundary symbols, mapped to byte classes).
// It is immutable and safe for concurrent use.
type Engine struct {
	rules    []Rule
	ruleTerm []string // term text per rule
	rulePat  []int32  // pattern length in symbols per rule
	terms    int

	cls    [256]uint8  // byte -> class; 0 = a byte no term uses
	ascii  [128]uint16 // ASCII byte -> kind<<8 | class of its folded byte
	stride uint32      // number of classes
	rootB  uint32      // encoded state after the leading boundary

	nDense     uint32
	dense      []uint32 // nDense*stride complete rows
	sparseOff  []uint32 // edges of sparse state s: [sparseOff[s-nDense], sparseOff[s-nDense+1])
	sparseLab  []uint8
	sparseNext []uint32
	fail       []uint32 // encoded fail link per state
	outOff     []uint32 // rules ending at state s: outRules[outOff[s]:outOff[s+1]]
	outRules   []int32
	outLink    []int32 // next state on the fail chain with rules of its own; -1 = none
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
	e := &Engine{}
	var errs []error
	patID := map[string]int32{}
	var pats [][]byte
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
		e.rulePat = append(e.rulePat, int32(len(t.pat)))
		id, ok := patID[string(t.pat)]
		if !ok {
			id = int32(len(pats))
			patID[string(t.pat)] = id
			pats = append(pats, t.pat)
			patRules = append(patRules, nil)
		}
		patRules[id] = append(patRules[id], idx)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	e.terms = len(pats)
	e.build(rt, pats, patRules, denseEntries)
	return e, nil
}

// trie is the build-time keyword trie with first-child/next-sibling edges.
type trie struct {
	label   []uint8
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

func (t *trie) find(n int32, a uint8) int32 {
	for c := t.child[n]; c >= 0; c = t.sibling[c] {
		if t.label[c] == a {
			return c
		}
	}
	return -1
}

func (e *Engine) build(rt *runeTable, pats [][]byte, patRules [][]int32, denseEntries int) {
	// Byte classes: one per byte used by some term, 0 for all others.
	var used [256]bool
	for _, p := range pats {
		for _, b := range p {
			used[b] = true
		}
	}
	n := uint32(1)
	for b := 0; b < 256; b++ {
		if used[b] {
			e.cls[b] = uint8(n)
			n++
		}
	}
	e.stride = n
	for c := 0; c < 128; c++ {
		kind, key := rt.lookup(rune(c))
		fb := byte(c)
		if key != nil {
			fb = key[0]
		}
		e.ascii[c] = uint16(kind)<<8 | uint16(e.cls[fb])
	}

	// Trie.
	size := 1
	for _, p := range pats {
		size += len(p)
	}
	t := &trie{}
	t.label = make([]uint8, 0, size)
	t.child = make([]int32, 0, size)
	t.sibling = make([]int32, 0, size)
	t.pat = make([]int32, 0, size)
	t.add()
	for id, p := range pats {
		s := int32(0)
		for _, b := range p {
			a := e.cls[b]
			c := t.find(s, a)
			if c < 0 {
				c = t.add()
				t.label[c] = a
				t.sibling[c] = t.child[s]
				t.child[s] = c
			}
			s = c
		}
		t.pat[s] = int32(id)
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
	hasOut := make([]bool, N) // by new id
	for id, u := range order {
		if p := t.pat[u]; p >= 0 {
			e.outRules = append(e.outRules, patRules[p]...)
		}
		e.outOff[id+1] = uint32(len(e.outRules))
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
		v := uint32(id) << 2
		if uint32(id) < e.nDense {
			v = uint32(id) * e.stride << 2
		}
		if hasOut[id] {
			v |= flagOut
		}
		if uint32(id) >= e.nDense {
			v |= flagSparse
		}
		return v
	}
	e.fail = make([]uint32, N)
	for id, u := range order {
		e.fail[id] = enc(newID[failT[u]])
	}
	e.dense = make([]uint32, int(e.nDense)*int(e.stride))
	for id := 0; id < int(e.nDense); id++ {
		row := e.dense[id*int(e.stride) : (id+1)*int(e.stride)]
		u := order[id]
		if id > 0 {
			f := e.id(e.fail[id])
			copy(row, e.dense[int(f)*int(e.stride):int(f+1)*int(e.stride)])
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
	type edge struct {
		lab  uint8
		next uint32
	}
	var edges []edge
	for id := int(e.nDense); id < N; id++ {
		edges = edges[:0]
		for c := t.child[order[id]]; c >= 0; c = t.sibling[c] {
			edges = append(edges, edge{t.label[c], enc(newID[c])})
		}
		slices.SortFunc(edges, func(x, y edge) int { return int(x.lab) - int(y.lab) })
		for _, ed := range edges {
			e.sparseLab = append(e.sparseLab, ed.lab)
			e.sparseNext = append(e.sparseNext, ed.next)
		}
		e.sparseOff[id-int(e.nDense)+1] = uint32(len(e.sparseLab))
	}
	e.rootB = e.next(enc(0), uint32(e.cls[symB]))
}

// next returns the encoded state after reading class a in encoded state v.
func (e *Engine) next(v, a uint32) uint32 {
	if v&flagSparse == 0 {
		return e.dense[v>>2+a]
	}
	return e.nextSparse(v>>2, a)
}

func (e *Engine) nextSparse(s, a uint32) uint32 {
	for s >= e.nDense {
		lo, hi := e.sparseOff[s-e.nDense], e.sparseOff[s-e.nDense+1]
		for j := lo; j < hi; j++ {
			if l := uint32(e.sparseLab[j]); l >= a {
				if l == a {
					return e.sparseNext[j]
				}
				break
			}
		}
		f := e.fail[s]
		if f&flagSparse == 0 {
			return e.dense[f>>2+a]
		}
		s = f >> 2
	}
	return e.dense[s*e.stride+a]
}

// id decodes an encoded state into its id.
func (e *Engine) id(v uint32) int32 {
	if v&flagSparse != 0 {
		return int32(v >> 2)
	}
	return int32(v >> 2 / e.stride)
}

// collect appends the rules ending at state s (and along its output links)
// that dst[base:] does not hold yet.
func (e *Engine) collect(dst []int32, base int, s int32) []int32 {
	for ; s >= 0; s = e.outLink[s] {
		for _, r := range e.outRules[e.outOff[s]:e.outOff[s+1]] {
			if len(dst)-base <= 32 && slices.Contains(dst[base:], r) {
				continue
			}
			dst = append(dst, r)
		}
	}
	return dst
}

// Rules returns the enabled rules in the order of their indexes. The slice is
// shared: do not modify it.
func (e *Engine) Rules() []Rule { return e.rules }

// Stats reports the size of the automaton.
func (e *Engine) Stats() Stats {
	b := len(e.dense)*4 + len(e.sparseOff)*4 + len(e.sparseLab) + len(e.sparseNext)*4 +
		len(e.fail)*4 + len(e.outOff)*4 + len(e.outRules)*4 + len(e.outLink)*4
	return Stats{Rules: len(e.rules), Terms: e.terms, States: len(e.fail), Bytes: b}
}

// Match appends to dst the indexes (into Rules) of the rules whose term
// occurs in d.Text, ascending and unique. It does not allocate when dst has
// room for the result. Only d.Text is used in phase 1.
func (e *Engine) Match(dst []int32, d *Doc) []int32 {
	base := len(dst)
	text := d.Text
	rt := runes()
	bc := uint32(e.cls[symB])
	v := e.rootB
	if v&flagOut != 0 {
		dst = e.collect(dst, base, e.id(v))
	}
	prev := prevBoundary
	dense, ascii := e.dense, &e.ascii
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			i++
			a := ascii[c]
			switch a >> 8 {
			case kWord:
				if prev == prevUnspaced {
					if v = e.next(v, bc); v&flagOut != 0 {
						dst = e.collect(dst, base, e.id(v))
					}
				}
				prev = prevSpaced
				for {
					if v&flagSparse == 0 {
						v = dense[v>>2+uint32(a&0xFF)]
					} else {
						v = e.nextSparse(v>>2, uint32(a&0xFF))
					}
					if v&flagOut != 0 {
						dst = e.collect(dst, base, e.id(v))
					}
					// Stay here while the run of ASCII word bytes lasts.
					if i >= len(text) || text[i] >= utf8.RuneSelf {
						break
					}
					if a = ascii[text[i]]; a>>8 != kWord {
						break
					}
					i++
				}
			case kSpace:
				if prev != prevBoundary {
					prev = prevBoundary
					if v = e.next(v, bc); v&flagOut != 0 {
						dst = e.collect(dst, base, e.id(v))
					}
				}
			default: // kPunct: ASCII has no marks, ignorables or unspaced letters
				if prev != prevBoundary {
					if v = e.next(v, bc); v&flagOut != 0 {
						dst = e.collect(dst, base, e.id(v))
					}
				}
				prev = prevBoundary
				if v = e.next(v, uint32(a&0xFF)); v&flagOut != 0 {
					dst = e.collect(dst, base, e.id(v))
				}
				if v = e.next(v, bc); v&flagOut != 0 {
					dst = e.collect(dst, base, e.id(v))
				}
			}
			continue
		}
		r, size := utf8.DecodeRune(text[i:])
		var kind uint32 = kSpace
		var key []byte
		if size > 1 {
			kind, key = rt.lookup(r)
			if key == nil {
				key = text[i : i+size]
			}
		}
		i += size
		switch kind {
		case kIgnore:
			continue
		case kSpace:
			if prev != prevBoundary {
				prev = prevBoundary
				if v = e.next(v, bc); v&flagOut != 0 {
					dst = e.collect(dst, base, e.id(v))
				}
			}
			continue
		case kPunct:
			if prev != prevBoundary {
				if v = e.next(v, bc); v&flagOut != 0 {
					dst = e.collect(dst, base, e.id(v))
				}
			}
			prev = prevBoundary
		case kMark:
			if prev == prevBoundary {
				prev = prevSpaced
			}
		default: // kWord, kWordCJK
			cls := prevSpaced
			if kind == kWordCJK {
				cls = prevUnspaced
			}
			if prev != prevBoundary && prev != cls {
				if v = e.next(v, bc); v&flagOut != 0 {
					dst = e.collect(dst, base, e.id(v))
				}
			}
			prev = cls
		}
		for _, b := range key {
			if v = e.next(v, uint32(e.cls[b])); v&flagOut != 0 {
				dst = e.collect(dst, base, e.id(v))
			}
		}
		if kind == kPunct {
			if v = e.next(v, bc); v&flagOut != 0 {
				dst = e.collect(dst, base, e.id(v))
			}
		}
	}
	if prev != prevBoundary {
		if v = e.next(v, bc); v&flagOut != 0 {
			dst = e.collect(dst, base, e.id(v))
		}
	}
	if len(dst)-base > 1 {
		slices.Sort(dst[base:])
		dst = append(dst[:base], slices.Compact(dst[base:])...)
	}
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
		v = e.next(v, uint32(e.cls[sym]))
		if v&flagOut == 0 {
			continue
		}
		for s := e.id(v); s >= 0; s = e.outLink[s] {
			for _, r := range e.outRules[e.outOff[s]:e.outOff[s+1]] {
				first, last := j-int(e.rulePat[r])+1, j
				for first < last && syms[first] == symB {
					first++
				}
				for last > first && syms[last] == symB {
					last--
				}
				dst = append(dst, TermHit{Rule: r, Term: e.ruleTerm[r], Start: starts[first], End: ends[last]})
			}
		}
	}
	return dst
}
