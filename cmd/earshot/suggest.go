package main

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Term suggestions of rules eval, from the labelled posts: words and
// hashtags that would find relevant posts no rule matched, and words whose
// exclusion (AND NOT) from a rule would drop posts it matched that are not
// relevant. Both are counted in posts, not occurrences, over words as a
// reader splits them (letters, digits and '_'; a hashtag both as itself
// and as its word, since a plain term matches the word inside a hashtag),
// lower-cased, of three letters or more, not in links or @handles, not
// numbers, and not of scripts written without spaces (a run of Han or kana
// is not a word: write such terms by hand).

// suggestMinPosts is the fewest posts a suggested term must add (or
// remove): fewer is anecdote.
const suggestMinPosts = 5

// Precision bounds of the suggestions: a term to add must bring posts of
// which at least addPrecision are relevant; a term to exclude must remove
// posts of which at most excludeLoss are relevant.
const (
	addPrecision = 0.8
	excludeLoss  = 0.2
)

// postWords appends the distinct words of text (see above) to dst.
func postWords(dst []string, text string) []string {
	base := len(dst)
	for _, f := range strings.Fields(text) {
		lf := strings.ToLower(f)
		if strings.HasPrefix(lf, "http://") || strings.HasPrefix(lf, "https://") || strings.HasPrefix(lf, "www.") {
			continue
		}
		for i := 0; i < len(lf); {
			r, n := utf8.DecodeRuneInString(lf[i:])
			if !wordRune(r) {
				i += n
				continue
			}
			j := i
			for j < len(lf) {
				r, n := utf8.DecodeRuneInString(lf[j:])
				if !wordRune(r) {
					break
				}
				j += n
			}
			w := lf[i:j]
			lead := byte(0)
			if i > 0 {
				lead = lf[i-1]
			}
			i = j
			if lead == '@' || !suggestable(w) {
				continue
			}
			dst = appendNew(dst, base, w)
			if lead == '#' {
				dst = appendNew(dst, base, "#"+w)
			}
		}
	}
	return dst
}

// appendNew appends w to dst unless dst[base:] has it.
func appendNew(dst []string, base int, w string) []string {
	if slices.Contains(dst[base:], w) {
		return dst
	}
	return append(dst, w)
}

func wordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || r == '_'
}

// suggestable reports whether w may be suggested as a term: three letters
// or more, not only digits, no letter of a script written without spaces.
func suggestable(w string) bool {
	if utf8.RuneCountInString(w) < 3 {
		return false
	}
	letter := false
	for _, r := range w {
		if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar) {
			return false
		}
		letter = letter || unicode.IsLetter(r)
	}
	return letter
}

// suggester collects what the suggestions are made of: the words of the
// posts no rule matched, and of the posts exactly one rule matched.
type suggester struct {
	missed []wordsPost // posts no rule matched
	// single counts, per rule and word, the posts only that rule matched
	// that hold the word: [0] not relevant, [1] relevant.
	single map[ruleWord][2]int
	words  []string
}

type wordsPost struct {
	words    []string
	relevant bool
}

type ruleWord struct {
	rule int32
	word string
}

func newSuggester() *suggester { return &suggester{single: make(map[ruleWord][2]int)} }

// add takes a post that the rules m matched.
func (s *suggester) add(m []int32, text string, relevant bool) {
	switch len(m) {
	case 0:
		s.missed = append(s.missed, wordsPost{postWords(nil, text), relevant})
	case 1:
		s.words = postWords(s.words[:0], text)
		k := 0
		if relevant {
			k = 1
		}
		for _, w := range s.words {
			c := s.single[ruleWord{m[0], w}]
			c[k]++
			s.single[ruleWord{m[0], w}] = c
		}
	}
}

// termToAdd is a suggested term and what adding it would bring, after the
// suggestions before it.
type termToAdd struct {
	Term      string  `json:"term"`
	Relevant  int     `json:"relevant"` // relevant posts it would find
	Other     int     `json:"other"`    // posts that are not relevant it would match
	Precision float64 `json:"precision"`
}

// toAdd returns up to n terms, greedily: each the one that finds the most
// relevant posts no rule and no term before it matched, among those
// whose added posts are relevant at addPrecision or more.
func (s *suggester) toAdd(n int) []termToAdd {
	left := slices.Clone(s.missed)
	var out []termToAdd
	for len(out) < n {
		counts := make(map[string][2]int)
		for _, p := range left {
			k := 0
			if p.relevant {
				k = 1
			}
			for _, w := range p.words {
				c := counts[w]
				c[k]++
				counts[w] = c
			}
		}
		best, bc := "", [2]int{}
		for w, c := range counts {
			if c[1] < suggestMinPosts || float64(c[1]) < addPrecision*float64(c[0]+c[1]) {
				continue
			}
			if c[1] > bc[1] || c[1] == bc[1] && (c[0] < bc[0] || c[0] == bc[0] && w < best) {
				best, bc = w, c
			}
		}
		if best == "" {
			break
		}
		out = append(out, termToAdd{best, bc[1], bc[0], float64(bc[1]) / float64(bc[0]+bc[1])})
		left = slices.DeleteFunc(left, func(p wordsPost) bool { return slices.Contains(p.words, best) })
	}
	return out
}

// termToExclude is a word to exclude from a rule (AND NOT) and what that
// would change, counted over the posts only that rule matched.
type termToExclude struct {
	Rule     string `json:"rule"`
	Term     string `json:"term"`
	Other    int    `json:"other"`    // posts that are not relevant it would drop
	Relevant int    `json:"relevant"` // relevant posts it would lose
}

// toExclude returns up to n exclusions, those that drop the most posts
// that are not relevant for the fewest relevant ones first, each losing at
// most excludeLoss of what it drops; a hashtag is left out when its word
// qualifies for the same rule (NOT word excludes the hashtag too).
func (s *suggester) toExclude(ids []string, n int) []termToExclude {
	qualifies := func(rw ruleWord) bool {
		c, ok := s.single[rw]
		return ok && c[0] >= suggestMinPosts && float64(c[1]) <= excludeLoss*float64(c[0]+c[1])
	}
	var all []termToExclude
	for rw, c := range s.single {
		if !qualifies(rw) {
			continue
		}
		if w, ok := strings.CutPrefix(rw.word, "#"); ok && qualifies(ruleWord{rw.rule, w}) {
			continue
		}
		all = append(all, termToExclude{ids[rw.rule], rw.word, c[0], c[1]})
	}
	slices.SortFunc(all, func(a, b termToExclude) int {
		return cmp.Or(cmp.Compare(b.Other-b.Relevant, a.Other-a.Relevant), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Term, b.Term))
	})
	return all[:min(n, len(all))]
}
