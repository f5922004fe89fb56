package peers

import (
	"fmt"
	"regexp"
	"strings"

	bobu "github.com/BobuSumisu/aho-corasick"
	cloudflare "github.com/cloudflare/ahocorasick"
	petar "github.com/petar-dambovaliev/aho-corasick"

	"earshot/match"
)

// Matcher scans one post. Count returns how many matches the implementation
// reports in text, in its own semantics (see Impl.Semantics). A Matcher is
// used by one goroutine at a time.
type Matcher interface {
	Count(text []byte) int
}

// BatchMatcher is a Matcher that also scans several consecutive posts per
// call, as the earshot pipeline does. CountBatch sets counts[k] to what
// Count(texts[k]) returns; len(counts) >= len(texts).
type BatchMatcher interface {
	Matcher
	CountBatch(texts [][]byte, counts []int)
}

// The two earshot rows: Engine.Match on one post per call, and
// Engine.MatchBatch on EarshotBatch consecutive posts per call, the way the
// earshot pipeline runs the matcher.
const (
	EarshotName      = "earshot (per post)"
	EarshotBatchName = "earshot (batches of 256)"
	EarshotBatch     = 256
)

// Impl is one implementation under test.
type Impl struct {
	Name string
	// Lower says the implementation gets the corpus lower-cased in advance
	// (outside its timing) because it matches bytes case-sensitively.
	Lower bool
	// Semantics says what Count counts.
	Semantics string
	// PostsPerCall is how many consecutive posts the harness gives the
	// matcher per call (0 or 1: one post per Count call). Above 1 the
	// matcher must be a BatchMatcher.
	PostsPerCall int
	// SameCounts names another implementation that must report the same
	// count for every post (the same engine driven differently); the
	// harness and the tests check it.
	SameCounts string
	// Build compiles a pattern set. It returns an error wrapping ErrSkipped
	// when the set is out of the implementation's reach.
	Build func(p *Patterns) (Matcher, error)
}

// ImplsConfig selects limits for the implementations that do not scale.
// The zero value of every field means its documented default.
type ImplsConfig struct {
	// RegexpMax is the largest pattern set built as a Go regexp alternation
	// (default 10000: it builds fast at 100k too, but scans a few KB/s;
	// a negative value disables regexp).
	RegexpMax int
	// CloudflareMax is the largest pattern set given to
	// cloudflare/ahocorasick, whose trie nodes hold two [256]*node arrays
	// (4 KiB per node) (default 100000; negative disables it).
	CloudflareMax int
}

func (c *ImplsConfig) setDefaults() {
	if c.RegexpMax == 0 {
		c.RegexpMax = 10000
	}
	if c.CloudflareMax == 0 {
		c.CloudflareMax = 100000
	}
}

// Impls returns the implementations in report order: earshot in batches,
// earshot per post, then the Go peers, then Go regexp.
func Impls(cfg ImplsConfig) []Impl {
	cfg.setDefaults()
	return []Impl{
		{
			Name:         EarshotBatchName,
			Semantics:    earshotSemantics,
			PostsPerCall: EarshotBatch,
			SameCounts:   EarshotName,
			Build:        buildEarshotBatch,
		},
		{
			Name:      EarshotName,
			Semantics: earshotSemantics,
			Build:     buildEarshot,
		},
		{
			Name:      "petar-dambovaliev/aho-corasick",
			Lower:     true,
			Semantics: "overlapping byte matches (DFA, standard semantics)",
			Build:     buildPetar,
		},
		{
			Name:      "BobuSumisu/aho-corasick",
			Lower:     true,
			Semantics: "overlapping byte matches (Trie.Walk)",
			Build:     buildBobu,
		},
		{
			Name:      "cloudflare/ahocorasick",
			Lower:     true,
			Semantics: "distinct patterns per post (Matcher.Match)",
			Build: func(p *Patterns) (Matcher, error) {
				if cfg.CloudflareMax < 0 || len(p.Literals) > cfg.CloudflareMax {
					return nil, fmt.Errorf("%w: %d patterns above -cloudflare-max %d", ErrSkipped, len(p.Literals), cfg.CloudflareMax)
				}
				return buildCloudflare(p)
			},
		},
		{
			Name:      "go-regexp",
			Semantics: `leftmost-first non-overlapping matches of (?i)\b(?:a|b|…)\b (ASCII \b, simple folding)`,
			Build: func(p *Patterns) (Matcher, error) {
				if cfg.RegexpMax < 0 || len(p.Literals) > cfg.RegexpMax {
					return nil, fmt.Errorf("%w: %d patterns above -regexp-max %d", ErrSkipped, len(p.Literals), cfg.RegexpMax)
				}
				return buildRegexp(p)
			},
		},
	}
}

const earshotSemantics = "distinct rules per post; Unicode case folding, NFKD, word boundaries, phrases, hashtags"

type earshotMatcher struct {
	e   *match.Engine
	doc match.Doc
	dst []int32
}

func compileEarshot(p *Patterns) (*match.Engine, error) {
	rules := make([]match.Rule, len(p.Terms))
	for i, t := range p.Terms {
		rules[i] = match.Rule{ID: t, Query: t, Enabled: true}
	}
	e, err := match.Compile(rules)
	if err != nil {
		return nil, fmt.Errorf("cannot compile earshot rules: %w", err)
	}
	return e, nil
}

func buildEarshot(p *Patterns) (Matcher, error) {
	e, err := compileEarshot(p)
	if err != nil {
		return nil, err
	}
	return &earshotMatcher{e: e, dst: make([]int32, 0, 64)}, nil
}

// Engine returns the earshot engine behind m, or nil if m is not earshot's.
func Engine(m Matcher) *match.Engine {
	switch em := m.(type) {
	case *earshotMatcher:
		return em.e
	case *earshotBatchMatcher:
		return em.e
	}
	return nil
}

func (m *earshotMatcher) Count(text []byte) int {
	m.doc.Text = text
	m.dst = m.e.Match(m.dst[:0], &m.doc)
	return len(m.dst)
}

// earshotBatchMatcher drives Engine.MatchBatch with one Batch and one
// slice of Docs reused across calls, as the pipeline does: allocation-free
// once the Batch has grown.
type earshotBatchMatcher struct {
	e    *match.Engine
	b    match.Batch
	docs []match.Doc
}

func buildEarshotBatch(p *Patterns) (Matcher, error) {
	e, err := compileEarshot(p)
	if err != nil {
		return nil, err
	}
	return &earshotBatchMatcher{e: e, docs: make([]match.Doc, EarshotBatch)}, nil
}

func (m *earshotBatchMatcher) CountBatch(texts [][]byte, counts []int) {
	if len(texts) > len(m.docs) {
		m.docs = make([]match.Doc, len(texts))
	}
	docs := m.docs[:len(texts)]
	for k, t := range texts {
		docs[k].Text = t
	}
	m.e.MatchBatch(&m.b, docs)
	if m.b.Len() != len(texts) {
		panic(fmt.Sprintf("MatchBatch of %d documents returned %d results", len(texts), m.b.Len()))
	}
	for k := range texts {
		counts[k] = len(m.b.Rules(k))
	}
}

// Count matches a batch of one post.
func (m *earshotBatchMatcher) Count(text []byte) int {
	var c [1]int
	m.CountBatch([][]byte{text}, c[:])
	return c[0]
}

type petarMatcher struct{ ac petar.AhoCorasick }

func buildPetar(p *Patterns) (Matcher, error) {
	b := petar.NewAhoCorasickBuilder(petar.Opts{MatchKind: petar.StandardMatch, DFA: true})
	return &petarMatcher{ac: b.Build(p.Literals)}, nil
}

func (m *petarMatcher) Count(text []byte) int {
	n := 0
	for it := m.ac.IterOverlappingByte(text); it.Next() != nil; {
		n++
	}
	return n
}

type bobuMatcher struct {
	t *bobu.Trie
	n int
}

func buildBobu(p *Patterns) (Matcher, error) {
	return &bobuMatcher{t: bobu.NewTrieBuilder().AddStrings(p.Literals).Build()}, nil
}

func (m *bobuMatcher) Count(text []byte) int {
	m.n = 0
	m.t.Walk(text, m.walk)
	return m.n
}

func (m *bobuMatcher) walk(end, n, pattern int64) bool {
	m.n++
	return true
}

type cloudflareMatcher struct{ m *cloudflare.Matcher }

func buildCloudflare(p *Patterns) (Matcher, error) {
	return &cloudflareMatcher{m: cloudflare.NewStringMatcher(p.Literals)}, nil
}

func (m *cloudflareMatcher) Count(text []byte) int { return len(m.m.Match(text)) }

type regexpMatcher struct{ re *regexp.Regexp }

func buildRegexp(p *Patterns) (Matcher, error) {
	var b strings.Builder
	b.WriteString(`(?i)\b(?:`)
	for i, l := range p.Literals {
		if i > 0 {
			b.WriteByte('|')
		}
		b.WriteString(regexp.QuoteMeta(l))
	}
	b.WriteString(`)\b`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("cannot compile regexp: %w", err)
	}
	return &regexpMatcher{re: re}, nil
}

func (m *regexpMatcher) Count(text []byte) int { return len(m.re.FindAllIndex(text, -1)) }
