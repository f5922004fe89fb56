// Package peers measures earshot's keyword engine side by side with other
// Aho-Corasick implementations: three Go libraries, Go's regexp and (through
// a small cargo binary in rust/) the Rust aho-corasick crate.
//
// It builds one corpus of realistic multilingual posts (the seeded firehose
// generator of earshot/bench/firehose mixed with CrisisLex tweets when the
// data set is present) and pattern sets of firehose.Rules(n), writes them to
// files so that every implementation reads identical bytes, and adapts every
// Go implementation to one Matcher interface. cmd/matchbench drives the
// measurement and writes the reports; README.md says what is measured.
//
// This is a separate Go module so that the peers stay out of earshot's
// go.mod. The package exports no Prometheus metrics.
package peers

import (
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"earshot/bench/firehose"
)

// CorpusConfig says how to build a corpus. The zero value of every field
// means its documented default.
type CorpusConfig struct {
	// Bytes is the target amount of post text (default 32 MiB). The corpus
	// stops at the first post that reaches it.
	Bytes int
	// Seed seeds the firehose generator and the shuffle (default 1).
	Seed int64
	// PlantRules is the number of firehose.Rules the generator plants into
	// posts (default 10000, the end-to-end workload's rule count).
	PlantRules int
	// CrisisLexGlob selects the CrisisLex CSV files whose tweets (column 2)
	// are mixed in (default /work/shared/data/crisislex-t6/*.csv; no match
	// means no tweets). "-" disables them.
	CrisisLexGlob string
	// CrisisLexOnly builds the corpus from the CrisisLex tweets alone (up to
	// Bytes), without generated posts: real English crisis tweets.
	CrisisLexOnly bool
}

func (c *CorpusConfig) setDefaults() {
	if c.Bytes == 0 {
		c.Bytes = 32 << 20
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.PlantRules == 0 {
		c.PlantRules = 10000
	}
	if c.CrisisLexGlob == "" {
		c.CrisisLexGlob = "/work/shared/data/crisislex-t6/*.csv"
	}
}

func (c *CorpusConfig) validate() error {
	if c.Bytes < 1 || c.Bytes > 1<<30 {
		return fmt.Errorf("corpus size %d is outside [1, 1 GiB]", c.Bytes)
	}
	if c.PlantRules < 1 {
		return fmt.Errorf("plant rules %d is below 1", c.PlantRules)
	}
	return nil
}

// Corpus is a list of post texts.
type Corpus struct {
	Posts     [][]byte
	CrisisLex int // how many posts are CrisisLex tweets
}

// Bytes returns the total text size.
func (c *Corpus) Bytes() int {
	n := 0
	for _, p := range c.Posts {
		n += len(p)
	}
	return n
}

// Lower returns a copy of the corpus with every post lower-cased by
// bytes.ToLower (Unicode simple lower case), the input the byte matchers get.
func (c *Corpus) Lower() *Corpus {
	out := &Corpus{Posts: make([][]byte, len(c.Posts)), CrisisLex: c.CrisisLex}
	for i, p := range c.Posts {
		out.Posts[i] = bytes.ToLower(p)
	}
	return out
}

// BuildCorpus generates a corpus: all CrisisLex tweets found, then firehose
// post texts up to cfg.Bytes (none with CrisisLexOnly), shuffled with the
// seed. The result depends only
// on cfg and the CrisisLex files.
func BuildCorpus(cfg CorpusConfig) (*Corpus, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := &Corpus{}
	size := 0
	if cfg.CrisisLexOnly && cfg.CrisisLexGlob == "-" {
		return nil, errors.New("a CrisisLex-only corpus needs CrisisLex files")
	}
	if cfg.CrisisLexGlob != "-" {
		tweets, err := ReadCrisisLex(cfg.CrisisLexGlob)
		if err != nil {
			return nil, err
		}
		for _, t := range tweets {
			if size >= cfg.Bytes {
				break
			}
			c.Posts = append(c.Posts, t)
			size += len(t)
		}
		c.CrisisLex = len(c.Posts)
		if cfg.CrisisLexOnly && c.CrisisLex == 0 {
			return nil, fmt.Errorf("no CrisisLex tweets in %s", cfg.CrisisLexGlob)
		}
	}
	g, err := firehose.New(firehose.Config{Seed: cfg.Seed, Rules: firehose.Rules(cfg.PlantRules)})
	if err != nil {
		return nil, fmt.Errorf("cannot start firehose: %w", err)
	}
	var p struct {
		Text string `json:"text"`
	}
	for size < cfg.Bytes && !cfg.CrisisLexOnly {
		m := g.Next()
		p.Text = ""
		if err := json.Unmarshal(m.Value, &p); err != nil {
			return nil, fmt.Errorf("cannot decode firehose post %s: %w", m.Key, err)
		}
		c.Posts = append(c.Posts, []byte(p.Text))
		size += len(p.Text)
	}
	r := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x9e3779b97f4a7c15))
	r.Shuffle(len(c.Posts), func(i, j int) { c.Posts[i], c.Posts[j] = c.Posts[j], c.Posts[i] })
	return c, nil
}

// ReadCrisisLex returns the tweet texts (column 2) of the CSV files matching
// glob, files in name order. No matching file is not an error.
func ReadCrisisLex(glob string) ([][]byte, error) {
	files, err := filepath.Glob(glob)
	if err != nil {
		return nil, fmt.Errorf("cannot list %s: %w", glob, err)
	}
	sort.Strings(files)
	var out [][]byte
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, fmt.Errorf("cannot open CrisisLex file: %w", err)
		}
		r := csv.NewReader(fh)
		r.LazyQuotes = true
		r.FieldsPerRecord = -1
		r.ReuseRecord = true
		for line := 0; ; line++ {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				fh.Close()
				return nil, fmt.Errorf("cannot read %s: %w", f, err)
			}
			if line == 0 || len(rec) < 2 || rec[1] == "" {
				continue // header or short row
			}
			out = append(out, []byte(rec[1]))
		}
		fh.Close()
	}
	return out, nil
}

// WriteCorpus writes posts as [u32 little-endian length][text] records, the
// format the Rust binary reads.
func WriteCorpus(path string, c *Corpus) error {
	var b bytes.Buffer
	b.Grow(c.Bytes() + 4*len(c.Posts))
	var n [4]byte
	for _, p := range c.Posts {
		binary.LittleEndian.PutUint32(n[:], uint32(len(p)))
		b.Write(n[:])
		b.Write(p)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("cannot write corpus: %w", err)
	}
	return nil
}

// ReadCorpus reads a file written by WriteCorpus.
func ReadCorpus(path string) (*Corpus, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read corpus: %w", err)
	}
	return ParseCorpus(data)
}

// ParseCorpus decodes the WriteCorpus format. Posts alias data.
func ParseCorpus(data []byte) (*Corpus, error) {
	c := &Corpus{}
	for i := 0; i < len(data); {
		if len(data)-i < 4 {
			return nil, fmt.Errorf("corpus truncated at byte %d", i)
		}
		n := int(binary.LittleEndian.Uint32(data[i:]))
		i += 4
		if n > len(data)-i {
			return nil, fmt.Errorf("corpus post at byte %d runs past the end", i)
		}
		c.Posts = append(c.Posts, data[i:i+n:i+n])
		i += n
	}
	return c, nil
}

// Patterns is one pattern set in the two forms the implementations take.
type Patterns struct {
	// Terms are earshot rule terms (docs/rules.md), e.g. `"flash flood"`,
	// #sismo, 地震.
	Terms []string
	// Literals are the same terms as plain lower-case byte strings (quotes
	// of phrases removed), for the byte matchers.
	Literals []string
}

// NewPatterns returns the first n of firehose.Rules.
func NewPatterns(n int) (*Patterns, error) {
	if n < 1 {
		return nil, fmt.Errorf("pattern count %d is below 1", n)
	}
	terms := firehose.Rules(n)
	return PatternsFromTerms(terms)
}

// PatternsFromTerms derives the literals of terms. It rejects terms that
// would give an empty or duplicate literal or contain a line break.
func PatternsFromTerms(terms []string) (*Patterns, error) {
	p := &Patterns{Terms: terms, Literals: make([]string, len(terms))}
	seen := make(map[string]int, len(terms))
	for i, t := range terms {
		if strings.ContainsAny(t, "\r\n") {
			return nil, fmt.Errorf("term %d %q contains a line break", i, t)
		}
		lit := t
		if len(lit) >= 2 && lit[0] == '"' && lit[len(lit)-1] == '"' {
			lit = lit[1 : len(lit)-1]
		}
		lit = strings.ToLower(lit)
		if lit == "" {
			return nil, fmt.Errorf("term %d %q has an empty literal", i, t)
		}
		if j, dup := seen[lit]; dup {
			return nil, fmt.Errorf("terms %d and %d have the same literal %q", j, i, lit)
		}
		seen[lit] = i
		p.Literals[i] = lit
	}
	return p, nil
}

// TermsFile returns the terms as an earshot keyword list.
func (p *Patterns) TermsFile() []byte { return joinLines(p.Terms) }

// LiteralsFile returns the literals one per line, as the Rust binary reads them.
func (p *Patterns) LiteralsFile() []byte { return joinLines(p.Literals) }

func joinLines(s []string) []byte {
	var b bytes.Buffer
	for _, l := range s {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// ErrSkipped reports that an implementation was not built for a pattern set
// (too slow or too big to build); the harness notes it and goes on.
var ErrSkipped = errors.New("skipped")
