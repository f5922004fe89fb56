package query

import (
	"slices"
	"strconv"
	"strings"
)

// maxCases bounds how many cases Satisfiable and MatchesAlone try: sets of
// terms present, answers to the proximity tests and values of the fields
// the query tests. A query with more is not judged.
const maxCases = 1 << 14

// Satisfiable reports whether some post can match the query: sat is false
// when none can (quake -quake, lang:es lang:pt, author.followers:>100
// author.followers:<50), which in a rules file is a mistake. It tries
// every set of the query's terms present, every answer to its proximity
// tests and, for each field it tests, a value of each kind its filters tell
// apart. Terms and proximity tests are taken as independent (a phrase's
// occurrence holds its words, but that is not used), so sat may be true of
// a query no post matches, never false of one that some post does. ok is
// false when the query has too many cases to try (then sat is true).
func (prog *Program) Satisfiable() (sat, ok bool) {
	n := len(prog.Terms)
	if n >= 31 {
		return true, false
	}
	// The first set tried holds the terms outside any NOT and none of the
	// others: most queries match there, and the search ends at once.
	pos := 0
	for i, p := range prog.pos {
		if p {
			pos |= 1 << i
		}
	}
	return prog.exists(1<<n, func(k int) int { return k ^ pos })
}

// MatchesAlone reports whether the query can match a post in which
// Terms[i] is the only term that occurs (for some fields and proximity
// answers): quake OR the, for the. ok is false when the query has too many
// cases to try (then alone is true).
func (prog *Program) MatchesAlone(i int) (alone, ok bool) {
	return prog.exists(1, func(int) int { return 1 << i })
}

// exists reports whether Eval holds for some case: one of masks term sets
// (termsOf(k) for k below masks, bit i for Terms[i]), each answer to each
// distinct proximity test, each combination of field values.
func (prog *Program) exists(masks int, termsOf func(k int) int) (bool, bool) {
	type pair struct {
		a, b, dist int
		ord        bool
	}
	var pairs []pair
	for _, in := range prog.code {
		if in.op != opNear {
			continue
		}
		for _, a := range prog.kids[in.lo:in.mid] {
			for _, b := range prog.kids[in.mid:in.hi] {
				if p := (pair{int(a), int(b), int(in.arg), in.ord}); !slices.Contains(pairs, p) {
					pairs = append(pairs, p)
				}
			}
		}
	}
	dims, ok := prog.fieldCases()
	if !ok {
		return true, false
	}
	// Terms the engine finds alike: two written in other cases (quake,
	// QUAKE) occur together, and a raw: term only where the same term
	// taken case-insensitively does. A case that splits them is no post.
	var twins [][2]int // Terms[i] occurs only where Terms[j] does
	for i, t := range prog.Terms {
		for j, u := range prog.Terms {
			if i != j && !prog.raw[j] && strings.EqualFold(t, u) {
				twins = append(twins, [2]int{i, j})
			}
		}
	}
	cases := masks
	for _, d := range dims {
		cases *= len(d)
		if cases > maxCases {
			return true, false
		}
	}
	if len(pairs) >= 16 || cases<<len(pairs) > maxCases {
		return true, false
	}
	var terms, nears int
	present := func(i int) bool { return terms>>i&1 != 0 }
	near := func(a, b, dist int, ordered bool) bool {
		return nears>>slices.Index(pairs, pair{a, b, dist, ordered})&1 != 0
	}
	pick := make([]int, len(dims))
	for {
		var f Fields
		for d, k := range pick {
			dims[d][k](&f)
		}
	nextTerms:
		for k := range masks {
			terms = termsOf(k)
			for _, t := range twins {
				if present(t[0]) && !present(t[1]) {
					continue nextTerms
				}
			}
			for nears = 0; nears < 1<<len(pairs); nears++ {
				if g := f; prog.Eval(present, near, &g) {
					return true, true
				}
			}
		}
		d := 0 // the next combination of field values
		for ; d < len(dims); d++ {
			if pick[d]++; pick[d] < len(dims[d]) {
				break
			}
			pick[d] = 0
		}
		if d == len(dims) {
			return false, true
		}
	}
}

// fieldCases returns, for each field the query's filters test, setters of
// a value of each kind its filters tell apart: unknown, each value a filter
// names (and one that only starts so, for lang:pt and pt-BR), another, and
// for follower counts each bound and its neighbours. The words of bio
// filters are tried in every combination.
func (prog *Program) fieldCases() (dims [][]func(*Fields), ok bool) {
	var langs, countries, regions, cities, sources, authors []string
	var nums []int64
	var bios [][]string
	bools := map[fieldKind]bool{}
	for _, x := range prog.filters {
		switch x.kind {
		case fLang:
			langs = append(langs, x.str, x.str+"-zz")
		case fCountry:
			countries = append(countries, x.str)
		case fSource:
			sources = append(sources, x.str)
		case fRegion:
			regions = append(regions, x.str)
		case fCity:
			cities = append(cities, x.str)
		case fAuthor:
			authors = append(authors, x.str)
		case fFollowers:
			nums = append(nums, x.num-1, x.num, x.num+1)
		case fBio:
			bios = append(bios, x.words)
		default:
			bools[x.kind] = true
		}
	}
	if len(bios) > 10 {
		return nil, false
	}
	strs := func(vals []string, other string, set func(*Fields, string)) {
		if len(vals) == 0 {
			return
		}
		vals = append(slices.Compact(slices.Sorted(slices.Values(vals))), "", other)
		var d []func(*Fields)
		for _, v := range vals {
			d = append(d, func(f *Fields) { set(f, v) })
		}
		dims = append(dims, d)
	}
	strs(langs, "zz", func(f *Fields, v string) { f.Lang = v })
	strs(countries, "ZZ", func(f *Fields, v string) { f.Country = v })
	strs(sources, "zz", func(f *Fields, v string) { f.Source = v })
	strs(regions, "ZZ-0", func(f *Fields, v string) { f.Region = v })
	strs(cities, "zz", func(f *Fields, v string) { f.City = v })
	if len(nums) > 0 {
		nums = append(slices.Compact(slices.Sorted(slices.Values(nums))), -1)
		var d []func(*Fields)
		for _, n := range nums {
			d = append(d, func(f *Fields) { f.Followers = n })
		}
		dims = append(dims, d)
	} else {
		dims = append(dims, []func(*Fields){func(f *Fields) { f.Followers = -1 }})
	}
	for _, k := range []fieldKind{fVerified, fIsRepost, fIsReply, fIsQuote, fHasGeo, fHasLink} {
		if !bools[k] {
			continue
		}
		dims = append(dims, []func(*Fields){func(f *Fields) { *f.flag(k) = false }, func(f *Fields) { *f.flag(k) = true }})
	}
	if len(authors) > 0 || len(bios) > 0 {
		// An author's handle and bio: every handle named and others,
		// every subset of the bio filters' words, each filter's words
		// apart from the others' by a word none has.
		handles := append(slices.Compact(slices.Sorted(slices.Values(authors))), "", "zz")
		var d []func(*Fields)
		for _, h := range handles {
			for set := 0; set < 1<<len(bios); set++ {
				var parts []string
				for i, ws := range bios {
					if set>>i&1 != 0 {
						parts = append(parts, strings.Join(ws, " "))
					}
				}
				bio := strings.Join(parts, " zzq"+strconv.Itoa(set)+" ")
				d = append(d, func(f *Fields) { f.Author, f.Bio = h, bio })
			}
		}
		dims = append(dims, d)
	}
	return dims, true
}
