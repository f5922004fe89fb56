package query

import (
	"slices"
	"strconv"
	"strings"
)

// NearFunc reports whether an occurrence of term a and an occurrence of term
// b (indexes into Program.Terms) lie at most dist words apart (see
// WordDistance); with ordered, a must come first. The engine supplies it from
// the positions of the terms it found (Hits implements it).
type NearFunc func(a, b int, dist int, ordered bool) bool

// Program is a compiled query. It is immutable and safe for concurrent use.
type Program struct {
	// Terms are the distinct terms of the query, in order of first
	// appearance, as the engine reads them: a word, #tag, @handle, prefix*,
	// a "quoted phrase", or for a phrase prefix ("flood victim"*) the
	// unquoted form flood victim*. Eval's present and near take indexes into
	// Terms.
	Terms []string

	src     string
	qterms  []string // Terms as written in the query language
	termOff []int
	raw     []bool // per term: raw:, matched only as written
	code    []inst // code[0] is the root
	kids    []int32
	filters []filter
	near    bool
	pos     []bool  // per term: occurs outside any NOT
	trig    []int32 // terms one of which occurs whenever the query matches; nil: unknown
}

type inst struct {
	op     opKind
	ord    bool
	arg    int32 // opTerm: term index; opField: filter index; opNear: distance
	lo, hi int32 // children: kids[lo:hi]; opNear: left terms kids[lo:mid], right kids[mid:hi]
	mid    int32
	cost   int32 // rough evaluation cost, to order AND/OR operands
}

// compile flattens the tree into code, children of AND and OR ordered by
// cost so that cheap tests (term presence, fields) short-circuit expensive
// ones (proximity).
func compile(root *node, p *parser) *Program {
	prog := &Program{Terms: p.terms, src: p.src, qterms: p.qterms, termOff: p.termOff, raw: p.raw}
	prog.code = append(prog.code, inst{})
	prog.emit(root, 0)
	prog.pos = make([]bool, len(prog.Terms))
	markPositive(root, false, prog.pos)
	if t, ok := triggers(root, prog.Terms); ok {
		slices.Sort(t)
		prog.trig = slices.Compact(t)
	}
	return prog
}

// triggers returns terms of n one of which occurs whenever n is true, and
// false when n can be true with none of its terms (NOT, field filters). An
// AND needs only one operand's set, a NEAR one side's: the cheaper by
// termCost.
func triggers(n *node, terms []string) ([]int32, bool) {
	switch n.op {
	case opTerm:
		return []int32{n.term}, true
	case opNear:
		left, right := nearSide(nil, n.kids[0]), nearSide(nil, n.kids[1])
		if setCost(right, terms) < setCost(left, terms) {
			return right, true
		}
		return left, true
	case opAnd:
		var best []int32
		for _, k := range n.kids {
			if set, ok := triggers(k, terms); ok && (best == nil || setCost(set, terms) < setCost(best, terms)) {
				best = set
			}
		}
		return best, best != nil
	case opOr:
		var all []int32
		for _, k := range n.kids {
			set, ok := triggers(k, terms)
			if !ok {
				return nil, false
			}
			all = append(all, set...)
		}
		return all, true
	}
	return nil, false // opNot, opField
}

// nearSide appends the terms of one side of a NEAR: a term, or an OR of
// terms.
func nearSide(dst []int32, side *node) []int32 {
	if side.op == opTerm {
		return append(dst, side.term)
	}
	for _, k := range side.kids {
		dst = append(dst, k.term)
	}
	return dst
}

// setCost estimates how often a post contains one of the terms: short terms
// are common words, long ones and phrases rare.
func setCost(set []int32, terms []string) int {
	c := 0
	for _, t := range set {
		c += 1 << 16 / (1 + len(terms[t]))
	}
	return c
}

// markPositive sets pos[t] for the terms of n that occur under an even
// number of NOTs (neg tells the parity above n).
func markPositive(n *node, neg bool, pos []bool) {
	switch n.op {
	case opTerm:
		if !neg {
			pos[n.term] = true
		}
	case opNot:
		markPositive(n.kids[0], !neg, pos)
	default:
		for _, k := range n.kids {
			markPositive(k, neg, pos)
		}
	}
}

func (prog *Program) emit(n *node, at int32) {
	in := inst{op: n.op, cost: 1}
	switch n.op {
	case opTerm:
		in.arg = n.term
	case opField:
		in.arg = int32(len(prog.filters))
		prog.filters = append(prog.filters, n.flt)
	case opNear:
		prog.near = true
		in.arg, in.ord = int32(n.dist), n.ord
		in.lo = int32(len(prog.kids))
		prog.kids = nearSide(prog.kids, n.kids[0])
		in.mid = int32(len(prog.kids))
		prog.kids = nearSide(prog.kids, n.kids[1])
		in.hi = int32(len(prog.kids))
		in.cost = 8 * (in.hi - in.lo)
	default: // opNot, opAnd, opOr
		first := int32(len(prog.code))
		for range n.kids {
			prog.code = append(prog.code, inst{})
		}
		in.cost = 0
		for i, k := range n.kids {
			prog.emit(k, first+int32(i))
			in.cost += prog.code[first+int32(i)].cost
		}
		order := make([]int32, len(n.kids))
		for i := range order {
			order[i] = first + int32(i)
		}
		slices.SortStableFunc(order, func(a, b int32) int { return int(prog.code[a].cost - prog.code[b].cost) })
		in.lo = int32(len(prog.kids))
		prog.kids = append(prog.kids, order...)
		in.hi = int32(len(prog.kids))
	}
	prog.code[at] = in
}

// Eval reports whether the query matches. present(i) reports whether
// Terms[i] occurred in the post; near answers proximity questions and may be
// nil when HasNear is false; f holds the post's fields (nil = all unknown).
// Eval does not allocate and calls present and near only as needed.
func (prog *Program) Eval(present func(i int) bool, near NearFunc, f *Fields) bool {
	if f == nil {
		var unknown Fields
		unknown.Followers = -1
		return prog.eval(0, present, near, &unknown)
	}
	return prog.eval(0, present, near, f)
}

func (prog *Program) eval(at int32, present func(i int) bool, near NearFunc, f *Fields) bool {
	in := &prog.code[at]
	switch in.op {
	case opTerm:
		return present(int(in.arg))
	case opField:
		return prog.filters[in.arg].match(f)
	case opNot:
		return !prog.eval(prog.kids[in.lo], present, near, f)
	case opAnd:
		for _, k := range prog.kids[in.lo:in.hi] {
			if !prog.eval(k, present, near, f) {
				return false
			}
		}
		return true
	case opOr:
		for _, k := range prog.kids[in.lo:in.hi] {
			if prog.eval(k, present, near, f) {
				return true
			}
		}
		return false
	default: // opNear
		if near == nil {
			return false
		}
		left, right := prog.kids[in.lo:in.mid], prog.kids[in.mid:in.hi]
		for _, a := range left {
			if !present(int(a)) {
				continue
			}
			for _, b := range right {
				if present(int(b)) && near(int(a), int(b), int(in.arg), in.ord) {
					return true
				}
			}
		}
		return false
	}
}

// Simple returns the query's only term when the query is exactly one term:
// the engine's fast path, where a rule matches when its term occurs.
func (prog *Program) Simple() (term string, ok bool) {
	if in := prog.code[0]; in.op == opTerm && !prog.raw[in.arg] {
		return prog.Terms[0], true
	}
	return "", false
}

// AnyTerm reports whether the query matches exactly when any of its Terms
// occurs (one term, or terms joined by OR): the engine need not call Eval.
func (prog *Program) AnyTerm() bool {
	root := &prog.code[0]
	switch root.op {
	case opTerm:
		return !prog.raw[root.arg]
	case opOr:
		for _, k := range prog.kids[root.lo:root.hi] {
			if in := &prog.code[k]; in.op != opTerm || prog.raw[in.arg] {
				return false
			}
		}
		return true
	}
	return false
}

// Raw reports whether Terms[i] is written raw:term: it occurs only where the
// text writes it exactly so (letters, case, accents and width; the words
// compared in Unicode NFC), which the engine's present must check, since
// its automaton finds the term case- and width-insensitively.
func (prog *Program) Raw(i int) bool { return prog.raw[i] }

// Triggers returns indexes into Terms one of which occurs in every post the
// query matches (for a AND b, one of them; for a OR b, both), or nil when
// the query can match without any of them being known to occur. An engine
// need evaluate the query only for posts containing a trigger. The slice is
// shared: do not modify it.
func (prog *Program) Triggers() []int32 { return prog.trig }

// Positive reports whether Terms[i] occurs in the query outside any NOT
// (under an even number of them): only then can an occurrence of it be why
// the query matched. A term that occurs only negated (drill in quake -drill)
// is not positive.
func (prog *Program) Positive(i int) bool { return prog.pos[i] }

// HasNear reports whether the query uses NEAR or ONEAR: only then does Eval
// need term positions.
func (prog *Program) HasNear() bool { return prog.near }

// HasFields reports whether the query uses field filters.
func (prog *Program) HasFields() bool { return len(prog.filters) > 0 }

// TermCol returns the 1-based byte column in the query where Terms[i] first
// appears, so that a term the engine rejects can be reported in place.
func (prog *Program) TermCol(i int) int { return prog.termOff[i] + 1 }

// Source returns the query text the program was compiled from.
func (prog *Program) Source() string { return prog.src }

// String renders the program in canonical form: operators in upper case,
// every AND, OR and NEAR parenthesised, operands in evaluation order. It
// parses back to an equivalent program.
func (prog *Program) String() string {
	var b strings.Builder
	prog.render(&b, 0, false)
	return b.String()
}

// render writes the part of the program at code[at]; with written, the
// operands of AND and OR in the order the query wrote them, not in
// evaluation order.
func (prog *Program) render(b *strings.Builder, at int32, written bool) {
	in := &prog.code[at]
	switch in.op {
	case opTerm:
		b.WriteString(prog.qterms[in.arg])
	case opField:
		b.WriteString(prog.filters[in.arg].String())
	case opNot:
		b.WriteString("NOT ")
		prog.render(b, prog.kids[in.lo], written)
	case opAnd, opOr:
		sep := " AND "
		if in.op == opOr {
			sep = " OR "
		}
		b.WriteByte('(')
		for i, k := range prog.operands(in, written) {
			if i > 0 {
				b.WriteString(sep)
			}
			prog.render(b, k, written)
		}
		b.WriteByte(')')
	default: // opNear
		side := func(ts []int32) {
			if len(ts) == 1 {
				b.WriteString(prog.qterms[ts[0]])
				return
			}
			b.WriteByte('(')
			for i, t := range ts {
				if i > 0 {
					b.WriteString(" OR ")
				}
				b.WriteString(prog.qterms[t])
			}
			b.WriteByte(')')
		}
		b.WriteByte('(')
		side(prog.kids[in.lo:in.mid])
		if in.ord {
			b.WriteString(" ONEAR/")
		} else {
			b.WriteString(" NEAR/")
		}
		b.WriteString(strconv.Itoa(int(in.arg)))
		b.WriteByte(' ')
		side(prog.kids[in.mid:in.hi])
		b.WriteByte(')')
	}
}
