package query

import (
	"fmt"
	"unicode/utf8"
)

type opKind uint8

const (
	opTerm opKind = iota
	opField
	opNot
	opAnd
	opOr
	opNear
)

// node is a node of the syntax tree. AND and OR are n-ary and flattened.
type node struct {
	op   opKind
	off  int    // byte offset of the node's first token
	term int32  // opTerm: index into the program's terms
	flt  filter // opField
	kids []*node
	dist int  // opNear
	ord  bool // opNear: ONEAR
}

type parser struct {
	src   string
	toks  []token
	i     int
	depth int
	after string // the operator just consumed, for "X needs a term after it"

	terms   []string
	qterms  []string
	termOff []int
	termIdx map[string]int32
	raw     []bool
}

// Parse parses and compiles a query. Errors are *Error with the column of the
// offending text.
func Parse(src string) (*Program, error) {
	n, p, err := parse(src)
	if err != nil {
		return nil, err
	}
	return compile(n, p), nil
}

func parse(src string) (*node, *parser, *Error) {
	if len(src) > MaxQueryBytes {
		return nil, nil, &Error{Col: MaxQueryBytes + 1, Msg: "query too long",
			Hint: fmt.Sprintf("queries are limited to %d bytes; split the rule", MaxQueryBytes)}
	}
	if !utf8.ValidString(src) {
		off := 0
		for off < len(src) {
			r, n := utf8.DecodeRuneInString(src[off:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			off += n
		}
		return nil, nil, &Error{Col: off + 1, Msg: "invalid UTF-8 in query", Hint: "save the rules file as UTF-8"}
	}
	toks, err := lex(src)
	if err != nil {
		return nil, nil, err
	}
	p := &parser{src: src, toks: toks, termIdx: map[string]int32{}}
	if toks[0].kind == tEOF {
		return nil, nil, &Error{Col: 1, Msg: "empty query", Hint: "write a term, e.g. earthquake, or remove the rule"}
	}
	n, err := p.or()
	if err != nil {
		return nil, nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		if t.kind == tRParen {
			return nil, nil, &Error{Col: t.off + 1, Msg: "unmatched )", Hint: "remove it or add the matching ("}
		}
		return nil, nil, &Error{Col: t.off + 1, Msg: "unexpected text", Hint: "check the operators around it"}
	}
	// Operator precedence adds levels the source does not write (a OR b c
	// is a OR (b AND c)); the canonical form writes them all, so the tree
	// must be within the limit too.
	if d, off := deepest(n); d > maxDepth {
		return nil, nil, &Error{Col: off + 1, Msg: "query nested too deeply", Hint: "simplify the query"}
	}
	if len(p.terms) == 0 {
		return nil, nil, &Error{Col: 1, Msg: "query has no search term",
			Hint: "field filters only narrow a search: add a term, e.g. quake AND lang:es"}
	}
	if withoutTerms(n) != triFalse {
		return nil, nil, &Error{Col: 1, Msg: "query matches posts that contain none of its terms",
			Hint: "a NOT or a field filter needs a positive term beside it, e.g. quake -drill, or (quake OR sismo) AND NOT is:repost"}
	}
	return n, p, nil
}

func (p *parser) peek() *token { return &p.toks[p.i] }

func (p *parser) next() *token {
	t := &p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// or := and { (OR | ||) and }
func (p *parser) or() (*node, *Error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tOr {
		return left, nil
	}
	n := &node{op: opOr, off: left.off}
	n.kids = appendFlat(n.kids, opOr, left)
	for p.peek().kind == tOr {
		p.after = p.next().text
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		n.kids = appendFlat(n.kids, opOr, r)
	}
	return n, nil
}

// and := unary { [AND | &&] unary }
func (p *parser) and() (*node, *Error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	var n *node
	for {
		switch p.peek().kind {
		case tAnd:
			p.after = p.next().text
		case tTerm, tField, tLParen, tNot:
			// juxtaposition: an implicit AND
		default:
			if n == nil {
				return left, nil
			}
			return n, nil
		}
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		if n == nil {
			n = &node{op: opAnd, off: left.off}
			n.kids = appendFlat(n.kids, opAnd, left)
		}
		n.kids = appendFlat(n.kids, opAnd, r)
	}
}

// deepest returns how many AND, OR, NEAR and NOT nodes lie on the longest
// path from n down, and the offset of the innermost of them.
func deepest(n *node) (int, int) {
	d, off := 0, n.off
	for _, k := range n.kids {
		if kd, ko := deepest(k); kd > d {
			d, off = kd, ko
		}
	}
	switch n.op {
	case opTerm, opField:
		return 0, n.off
	case opNear:
		return 2, n.off // written (a NEAR/n (b OR c))
	}
	if d == 0 {
		off = n.off
	}
	return d + 1, off
}

// unary := (NOT | -) unary | near
func (p *parser) unary() (*node, *Error) {
	t := p.peek()
	if t.kind != tNot {
		return p.near()
	}
	p.next()
	p.after = t.text
	if p.depth++; p.depth > maxDepth {
		return nil, &Error{Col: t.off + 1, Msg: "query nested too deeply", Hint: "simplify the query"}
	}
	k, err := p.unary()
	p.depth--
	if err != nil {
		return nil, err
	}
	return &node{op: opNot, off: t.off, kids: []*node{k}}, nil
}

// near := primary [ (NEAR/n | ONEAR/n) primary ]
func (p *parser) near() (*node, *Error) {
	left, err := p.primary()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if t.kind != tNear {
		return left, nil
	}
	p.next()
	p.after = t.text
	right, err := p.primary()
	if err != nil {
		return nil, err
	}
	for _, o := range [2]*node{left, right} {
		if !nearOperand(o) {
			return nil, &Error{Col: o.off + 1, Msg: "operands of " + t.text + " must be terms, phrases or OR-groups of them",
				Hint: "e.g. (quake OR sismo) NEAR/3 cdmx; combine other conditions with AND"}
		}
	}
	if t2 := p.peek(); t2.kind == tNear {
		return nil, &Error{Col: t2.off + 1, Msg: "proximity operators cannot be chained",
			Hint: "write (a NEAR/3 b) AND (b NEAR/3 c)"}
	}
	return &node{op: opNear, off: left.off, kids: []*node{left, right}, dist: t.dist, ord: t.ord}, nil
}

func nearOperand(n *node) bool {
	if n.op == opTerm {
		return true
	}
	if n.op != opOr {
		return false
	}
	for _, k := range n.kids {
		if k.op != opTerm {
			return false
		}
	}
	return true
}

// primary := term | phrase | field | '(' or ')'
func (p *parser) primary() (*node, *Error) {
	t := p.next()
	switch t.kind {
	case tTerm:
		p.after = ""
		return &node{op: opTerm, off: t.off, term: p.addTerm(t)}, nil
	case tField:
		p.after = ""
		return &node{op: opField, off: t.off, flt: t.flt}, nil
	case tLParen:
		if p.peek().kind == tRParen {
			return nil, &Error{Col: t.off + 1, Msg: "empty parentheses", Hint: "put a term between them or remove them"}
		}
		if p.depth++; p.depth > maxDepth {
			return nil, &Error{Col: t.off + 1, Msg: "query nested too deeply", Hint: "simplify the query"}
		}
		p.after = ""
		n, err := p.or()
		p.depth--
		if err != nil {
			return nil, err
		}
		if p.peek().kind != tRParen {
			return nil, &Error{Col: t.off + 1, Msg: "unclosed (", Hint: "add the matching )"}
		}
		p.next()
		return n, nil
	case tRParen:
		if p.after != "" {
			return nil, &Error{Col: t.off + 1, Msg: p.after + " needs a term after it", Hint: "add a term or remove the operator"}
		}
		return nil, &Error{Col: t.off + 1, Msg: "unmatched )", Hint: "remove it or add the matching ("}
	case tEOF:
		if p.after != "" {
			return nil, &Error{Col: t.off + 1, Msg: p.after + " needs a term after it", Hint: "add a term or remove the operator"}
		}
		return nil, &Error{Col: t.off + 1, Msg: "query ends where a term was expected"}
	case tNear:
		return nil, &Error{Col: t.off + 1, Msg: t.text + " needs a term before it", Hint: "e.g. quake " + t.text + " cdmx"}
	default: // tAnd, tOr (tNot is handled by unary)
		if p.after != "" {
			return nil, &Error{Col: t.off + 1, Msg: fmt.Sprintf("%s cannot follow %s", t.text, p.after),
				Hint: "put a term between the operators"}
		}
		return nil, &Error{Col: t.off + 1, Msg: t.text + " needs a term before it", Hint: "remove it or add a term before it"}
	}
}

func (p *parser) addTerm(t *token) int32 {
	key := t.text
	if t.raw { // raw:Apple is a term of its own beside apple
		key = rawPrefix + key
	}
	if i, ok := p.termIdx[key]; ok {
		return i
	}
	i := int32(len(p.terms))
	p.termIdx[key] = i
	p.terms = append(p.terms, t.text)
	p.qterms = append(p.qterms, t.qtxt)
	p.termOff = append(p.termOff, t.off)
	p.raw = append(p.raw, t.raw)
	return i
}

// appendFlat appends n to kids, splicing in the children of a node of the
// same n-ary operator: (a OR b) OR c is a OR b OR c.
func appendFlat(kids []*node, op opKind, n *node) []*node {
	if n.op == op {
		return append(kids, n.kids...)
	}
	return append(kids, n)
}

// Three-valued result of a query when none of its terms occurred: false, true,
// or depending on the fields.
type tri uint8

const (
	triFalse tri = iota
	triTrue
	triUnknown
)

// withoutTerms evaluates n with every term absent and every field filter
// unknown. A query is valid only when that is triFalse: it can then match
// only posts containing one of its terms.
func withoutTerms(n *node) tri {
	switch n.op {
	case opTerm, opNear:
		return triFalse
	case opField:
		return triUnknown
	case opNot:
		switch withoutTerms(n.kids[0]) {
		case triFalse:
			return triTrue
		case triTrue:
			return triFalse
		}
		return triUnknown
	case opAnd:
		r := triTrue
		for _, k := range n.kids {
			switch withoutTerms(k) {
			case triFalse:
				return triFalse
			case triUnknown:
				r = triUnknown
			}
		}
		return r
	default: // opOr
		r := triFalse
		for _, k := range n.kids {
			switch withoutTerms(k) {
			case triTrue:
				return triTrue
			case triUnknown:
				r = triUnknown
			}
		}
		return r
	}
}
