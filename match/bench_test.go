package match

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
)

// benchPosts returns realistic multilingual posts: CrisisLex tweets when the
// data set is present, mixed with generated es/pt/id/it/ja/zh/el/tr posts with
// hashtags, @handles, URLs and emoji.
func benchPosts(n int) [][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var real []string
	files, _ := filepath.Glob("/work/shared/data/crisislex-t6/*.csv")
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() && len(real) < n {
			line := sc.Text()
			if i := strings.IndexByte(line, '"'); i >= 0 {
				if j := strings.LastIndexByte(line, '"'); j > i {
					real = append(real, line[i+1:j])
				}
			}
		}
		fh.Close()
	}
	posts := make([][]byte, 0, n)
	for i := 0; len(posts) < n; i++ {
		if i%2 == 0 && len(real) > 0 {
			posts = append(posts, []byte(real[rng.IntN(len(real))]))
			continue
		}
		posts = append(posts, []byte(genText(rng, 8+rng.IntN(20))))
	}
	return posts
}

// benchTerms returns n distinct terms mixing scripts: real vocabulary, and
// generated Latin, Greek, kana and Han words, hashtags, wildcards and phrases.
func benchTerms(n int) []string {
	rng := rand.New(rand.NewPCG(3, 4))
	seen := map[string]bool{}
	var terms []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			terms = append(terms, s)
		}
	}
	for _, w := range vocab {
		if len(terms) < n {
			add(w)
		}
	}
	word := func(lo, hi rune, min, max int) string {
		var b strings.Builder
		for k := min + rng.IntN(max-min+1); k > 0; k-- {
			b.WriteRune(lo + rune(rng.IntN(int(hi-lo+1))))
		}
		return b.String()
	}
	for len(terms) < n {
		var t string
		switch rng.IntN(10) {
		case 0, 1, 2, 3:
			t = word('a', 'z', 4, 10)
		case 4:
			t = "#" + word('a', 'z', 5, 12)
		case 5:
			t = word('a', 'z', 4, 8) + "*"
		case 6:
			t = `"` + word('a', 'z', 3, 7) + " " + word('a', 'z', 3, 8) + `"`
		case 7:
			t = word('α', 'ω', 4, 9)
		case 8:
			t = word('ぁ', 'ゖ', 2, 4)
		default:
			t = word(0x4E00, 0x9FFF, 2, 3)
		}
		add(t)
	}
	return terms
}

func BenchmarkMatch(b *testing.B) {
	posts := benchPosts(2000)
	total := 0
	for _, p := range posts {
		total += len(p)
	}
	for _, n := range []int{1000, 10000, 100000} {
		e := mustCompile(b, benchTerms(n)...)
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			dst := make([]int32, 0, 1024)
			d := &Doc{}
			b.SetBytes(int64(total / len(posts)))
			b.ReportAllocs()
			matched := 0
			for i := 0; b.Loop(); i++ {
				d.Text = posts[i%len(posts)]
				dst = e.Match(dst[:0], d)
				matched += len(dst)
			}
			st := e.Stats()
			b.ReportMetric(float64(st.Bytes)/(1<<20), "automaton-MB")
			b.ReportMetric(float64(st.States), "states")
		})
	}
}

// BenchmarkMatchBatch is BenchmarkMatch with the posts matched 256 at a
// time, as the pipeline matches them (MatchBatch).
func BenchmarkMatchBatch(b *testing.B) {
	posts := benchPosts(2048)
	docs := make([]Doc, len(posts))
	for i, p := range posts {
		docs[i].Text = p
	}
	for _, n := range []int{1000, 10000, 100000} {
		e := mustCompile(b, benchTerms(n)...)
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) { benchBatches(b, e, docs) })
	}
}

// BenchmarkMatchBatchScattered is BenchmarkMatchBatch at 1k terms with every
// text in an allocation of its own, allocated in random order, and more
// text than the last-level cache holds: texts as a program that decodes
// posts one by one hands them over, rather than slices of one buffer that
// the hardware prefetcher reads ahead.
func BenchmarkMatchBatchScattered(b *testing.B) {
	posts := benchPosts(2048)
	const copies = 128 // ~26 MB of text
	docs := make([]Doc, len(posts)*copies)
	for _, k := range rand.New(rand.NewPCG(5, 6)).Perm(len(docs)) {
		docs[k].Text = bytes.Clone(posts[k%len(posts)])
	}
	benchBatches(b, mustCompile(b, benchTerms(1000)...), docs)
}

// benchBatches times e.MatchBatch over docs, 256 at a time, once its Batch
// has grown: bytes of text per second and ns per post.
func benchBatches(b *testing.B, e *Engine, docs []Doc) {
	const size = 256
	total := 0
	for _, d := range docs {
		total += len(d.Text)
	}
	var bt Batch
	for k := 0; k+size <= min(len(docs), 8*size); k += size {
		e.MatchBatch(&bt, docs[k:k+size])
	}
	b.SetBytes(int64(total / len(docs) * size))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		k := i * size % len(docs)
		e.MatchBatch(&bt, docs[k:k+size])
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*size), "ns/post")
}

// BenchmarkScan measures the term-level scan the rule language builds on.
func BenchmarkScan(b *testing.B) {
	posts := benchPosts(2000)
	total := 0
	for _, p := range posts {
		total += len(p)
	}
	for _, n := range []int{1000, 10000, 100000} {
		e := mustCompile(b, benchTerms(n)...)
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			dst := make([]hit, 0, 1024)
			b.SetBytes(int64(total / len(posts)))
			b.ReportAllocs()
			hits := 0
			for i := 0; b.Loop(); i++ {
				dst = e.scan(dst[:0], posts[i%len(posts)])
				hits += len(dst)
			}
			b.ReportMetric(float64(hits)/float64(b.N), "hits/post")
		})
	}
}

func BenchmarkCompile100k(b *testing.B) {
	terms := benchTerms(100000)
	rules := make([]Rule, len(terms))
	size := 0
	for i, t := range terms {
		rules[i] = Rule{ID: t, Query: t, Enabled: true}
		size += len(t)
	}
	runes()
	b.SetBytes(int64(size))
	b.ReportAllocs()
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	for b.Loop() {
		if _, err := Compile(rules); err != nil {
			b.Fatal(err)
		}
	}
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(b.N)/(1<<20), "alloc-MB/op")
}

func TestBenchCorpusValid(t *testing.T) {
	posts := benchPosts(50)
	if len(posts) != 50 || len(benchTerms(300)) != 300 {
		t.Fatal("bench corpus generator is broken")
	}
	valid := 0
	for _, p := range posts {
		if utf8.Valid(p) {
			valid++
		}
	}
	if valid == 0 {
		t.Fatal("no valid UTF-8 post in the bench corpus")
	}
}

// BenchmarkToLowerBaseline runs bytes.ToLower over the same posts: a yardstick
// for noisy machines (the matcher must beat a separate lowercasing pass).
func BenchmarkToLowerBaseline(b *testing.B) {
	posts := benchPosts(2000)
	total := 0
	for _, p := range posts {
		total += len(p)
	}
	b.SetBytes(int64(total / len(posts)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = bytes.ToLower(posts[i%len(posts)])
	}
}

// benchBooleanRules returns n rules mixing single terms, OR-lists, AND, NOT,
// NEAR/ONEAR and field filters over the terms of benchTerms, one operand in
// 50 drawn from the words the bench posts use so that rules are
// evaluated at a realistic rate: a few percent of posts match a rule.
func benchBooleanRules(n int) []Rule {
	rng := rand.New(rand.NewPCG(9, 10))
	terms := benchTerms(n)
	var words []string
	for _, w := range vocab {
		if singleTerm(w) && !strings.ContainsAny(w, "*\"") {
			words = append(words, w)
		}
	}
	term := func() string {
		if rng.IntN(50) == 0 {
			return words[rng.IntN(len(words))]
		}
		return terms[rng.IntN(len(terms))]
	}
	plain := func() string { // NEAR operands: no prefixes
		if t := term(); !strings.HasSuffix(t, "*") {
			return t
		}
		return words[rng.IntN(len(words))]
	}
	fields := []string{"lang:es", "country:MX", "-is:repost", "author.followers:>=100", "has:geo", "source:x"}
	rules := make([]Rule, 0, n)
	for len(rules) < n {
		var q string
		switch k := rng.IntN(20); {
		case k < 8:
			q = term()
		case k < 11:
			q = term() + " OR " + term() + " OR " + term()
		case k < 13:
			q = term() + " " + term()
		case k < 15:
			q = "(" + term() + " OR " + term() + ") -" + term()
		case k < 17:
			q = plain() + " NEAR/3 (" + plain() + " OR " + plain() + ")"
		case k < 18:
			q = plain() + " ONEAR/2 " + plain()
		default:
			q = "(" + term() + " OR " + term() + ") " + fields[rng.IntN(len(fields))] + " " + fields[rng.IntN(len(fields))]
		}
		rules = append(rules, Rule{ID: fmt.Sprint(len(rules)), Query: q, Enabled: true})
	}
	return rules
}

// BenchmarkMatchBoolean matches the bench posts against 10k rules mixing
// AND/OR/NOT/NEAR and field filters.
func BenchmarkMatchBoolean(b *testing.B) {
	posts := benchPosts(2000)
	total := 0
	for _, p := range posts {
		total += len(p)
	}
	e, err := Compile(benchBooleanRules(10000))
	if err != nil {
		b.Fatal(err)
	}
	docs := make([]Doc, len(posts))
	langs := []string{"en", "es", "pt", "id", "ja"}
	for i, p := range posts {
		docs[i] = Doc{Text: p, Lang: langs[i%len(langs)], Country: "MX", Followers: int64(i % 500), IsRepost: i%5 == 0}
	}
	b.Run("10k", func(b *testing.B) {
		dst := make([]int32, 0, 1024)
		b.SetBytes(int64(total / len(posts)))
		b.ReportAllocs()
		matched := 0
		for i := 0; b.Loop(); i++ {
			dst = e.Match(dst[:0], &docs[i%len(docs)])
			matched += len(dst)
		}
		b.ReportMetric(float64(matched)/float64(b.N), "rules/post")
	})
}

// BenchmarkScanASCII measures the ASCII fast path of the scan loop alone:
// the pure-ASCII bench posts against 10 and 1k terms (1k: the terms of
// benchTerms that are ASCII words).
func BenchmarkScanASCII(b *testing.B) {
	var posts [][]byte
	total := 0
	for _, p := range benchPosts(4000) {
		if isASCII(p) {
			posts = append(posts, p)
			total += len(p)
		}
	}
	if len(posts) == 0 {
		b.Skip("no ASCII post in the bench corpus")
	}
	var words []string
	for _, t := range benchTerms(2000) {
		if isASCII([]byte(t)) && !strings.ContainsAny(t, "*\"#") {
			words = append(words, t)
		}
	}
	for _, n := range []int{10, 1000} {
		e := mustCompile(b, words[:min(n, len(words))]...)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			dst := make([]hit, 0, 1024)
			b.SetBytes(int64(total / len(posts)))
			b.ReportAllocs()
			hits := 0
			for i := 0; b.Loop(); i++ {
				dst = e.scan(dst[:0], posts[i%len(posts)])
				hits += len(dst)
			}
			b.ReportMetric(float64(hits)/float64(b.N), "hits/post")
		})
	}
}

func isASCII(p []byte) bool {
	for _, c := range p {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
