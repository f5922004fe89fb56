package query

import (
	"slices"
	"strconv"
	"strings"
)

// Step is one part of a query as Trace found it for a post.
type Step struct {
	// Depth is 0 for the whole query and one more for each operand's parts.
	Depth int
	// Part is the part as the query's canonical form writes it (operands
	// in the order the query wrote them).
	Part string
	// Op is what the part is: "and", "or", "not", "near" (ONEAR too),
	// "term" or "field".
	Op string
	// Holds reports whether the part is true of the post.
	Holds bool
	// Term is the part's index in Terms when it is a term, -1 otherwise.
	Term int
	// Negated reports whether the part is under an odd number of NOTs: an
	// occurrence of such a term is a reason for the query not to match.
	Negated bool
	// Saw is, for a field filter, what the post holds for its field, such
	// as "lang en", "followers unknown" or "not a repost"; empty for other
	// parts.
	Saw string
}

// Trace appends to dst the parts of the query and whether each holds for a
// post: the whole query first, each part followed by its operands (a NEAR's
// operands are its terms), in the order the query writes them. present, near
// and f are Eval's. Unlike Eval, Trace evaluates every part, so a field whose
// value costs something to find (Fields.LangOf) is found whenever a filter
// reads it. The first Step's Holds is what Eval returns. Trace is for tooling
// that explains a rule to a person (`earshot rules test --why`); it
// allocates.
func (prog *Program) Trace(dst []Step, present func(i int) bool, near NearFunc, f *Fields) []Step {
	if f == nil {
		f = &Fields{Followers: -1}
	}
	dst, _ = prog.trace(dst, 0, 0, false, present, near, f)
	return dst
}

func (prog *Program) trace(dst []Step, at int32, depth int, neg bool, present func(i int) bool, near NearFunc, f *Fields) ([]Step, bool) {
	in := &prog.code[at]
	var b strings.Builder
	prog.render(&b, at, true)
	i := len(dst)
	dst = append(dst, Step{Depth: depth, Part: b.String(), Op: opNames[in.op], Term: -1, Negated: neg})
	var holds bool
	switch in.op {
	case opTerm:
		holds = present(int(in.arg))
		dst[i].Term = int(in.arg)
	case opField:
		x := &prog.filters[in.arg]
		holds = x.match(f)
		dst[i].Saw = x.saw(f)
	case opNot:
		var h bool
		dst, h = prog.trace(dst, prog.kids[in.lo], depth+1, !neg, present, near, f)
		holds = !h
	case opAnd, opOr:
		holds = in.op == opAnd
		for _, k := range prog.operands(in, true) {
			var h bool
			dst, h = prog.trace(dst, k, depth+1, neg, present, near, f)
			if in.op == opAnd {
				holds = holds && h
			} else {
				holds = holds || h
			}
		}
	default: // opNear
		holds = prog.eval(at, present, near, f)
		for _, t := range prog.kids[in.lo:in.hi] {
			dst = append(dst, Step{Depth: depth + 1, Part: prog.qterms[t], Op: "term", Holds: present(int(t)), Term: int(t), Negated: neg})
		}
	}
	dst[i].Holds = holds
	return dst, holds
}

var opNames = [...]string{opTerm: "term", opField: "field", opNot: "not", opAnd: "and", opOr: "or", opNear: "near"}

// operands returns the code indexes of an AND's or OR's operands: in
// evaluation order, or (written) in the order the query wrote them, which
// is the order their code was laid out in.
func (prog *Program) operands(in *inst, written bool) []int32 {
	ks := prog.kids[in.lo:in.hi]
	if !written {
		return ks
	}
	ks = slices.Clone(ks)
	slices.Sort(ks)
	return ks
}

// flagNames say what a post is, or is not, for each boolean field.
var flagNames = map[fieldKind][2]string{fVerified: {"verified", "not verified"}, fIsRepost: {"a repost", "not a repost"},
	fIsReply: {"a reply", "not a reply"}, fIsQuote: {"a quote", "not a quote"}, fHasGeo: {"coordinates", "no coordinates"},
	fHasLink: {"a link", "no link"}}

// saw says what f holds for the filter's field, once the filter has been
// evaluated (so that a value found on demand is in f).
func (x *filter) saw(f *Fields) string {
	value := func(name, v string) string {
		if v == "" {
			return name + " unknown"
		}
		return name + " " + v
	}
	switch x.kind {
	case fLang:
		return value("lang", f.Lang)
	case fCountry:
		return value("country", f.Country)
	case fSource:
		return value("source", f.Source)
	case fRegion:
		return value("region", f.Region)
	case fCity:
		return value("city", f.City)
	case fFollowers:
		if f.Followers < 0 {
			return "followers unknown"
		}
		return "followers " + strconv.FormatInt(f.Followers, 10)
	case fVerified, fIsRepost, fIsReply, fIsQuote, fHasGeo, fHasLink:
		names := flagNames[x.kind]
		if *f.flag(x.kind) {
			return names[0]
		}
		return names[1]
	case fAuthor:
		if f.Author == "" {
			return "author unknown"
		}
		return "author @" + strings.TrimPrefix(f.Author, "@")
	case fBio:
		if f.Bio == "" {
			return "no bio"
		}
		bio := f.Bio
		if r := []rune(bio); len(r) > 60 {
			bio = string(r[:60]) + "…"
		}
		return "bio " + strconv.Quote(bio)
	}
	return ""
}

// Op returns what the query is at its top, as Step.Op says of a part:
// "and", "or", "not", "near", "term" or "field".
func (prog *Program) Op() string { return opNames[prog.code[0].op] }

// Written renders the program as String does, but with the operands of AND
// and OR in the order the query wrote them: for messages to the person who
// wrote it.
func (prog *Program) Written() string {
	var b strings.Builder
	prog.render(&b, 0, true)
	return b.String()
}

// Key returns a form of the query that is the same for queries that differ
// only in the order of the operands of AND and OR, or of the terms of a
// NEAR's sides (quake tsunami and tsunami AND quake): to find rules that
// repeat each other.
func (prog *Program) Key() string { return prog.key(0) }

func (prog *Program) key(at int32) string {
	in := &prog.code[at]
	switch in.op {
	case opTerm:
		return prog.qterms[in.arg]
	case opField:
		return prog.filters[in.arg].String()
	case opNot:
		return "NOT " + prog.key(prog.kids[in.lo])
	case opAnd, opOr:
		var parts []string
		for _, k := range prog.kids[in.lo:in.hi] {
			parts = append(parts, prog.key(k))
		}
		slices.Sort(parts)
		return "(" + strings.Join(parts, map[bool]string{true: " AND ", false: " OR "}[in.op == opAnd]) + ")"
	}
	side := func(ts []int32) string {
		var parts []string
		for _, t := range ts {
			parts = append(parts, prog.qterms[t])
		}
		slices.Sort(parts)
		return "(" + strings.Join(parts, " OR ") + ")"
	}
	return "(" + side(prog.kids[in.lo:in.mid]) + " NEAR/" + strconv.Itoa(int(in.arg)) + map[bool]string{true: "o", false: ""}[in.ord] + " " + side(prog.kids[in.mid:in.hi]) + ")"
}
