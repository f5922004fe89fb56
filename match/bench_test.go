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
