package peers

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestAgree checks that every implementation finds the same number of
// matches on lower-case ASCII text where all semantics coincide: whole
// words, no pattern inside another, each pattern at most once per post.
// It guards the harness against measuring no-ops.
func TestAgree(t *testing.T) {
	pats, err := PatternsFromTerms([]string{"quake", "flood", "storm", "tornado", "wildfire", "evacuate"})
	if err != nil {
		t.Fatal(err)
	}
	impls := Impls(ImplsConfig{})
	matchers := make([]Matcher, len(impls))
	for i, im := range impls {
		if matchers[i], err = im.Build(pats); err != nil {
			t.Fatalf("%s: %v", im.Name, err)
		}
	}
	f := func(text string, want int) {
		t.Helper()
		for i, m := range matchers {
			if got := m.Count([]byte(text)); got != want {
				t.Errorf("%s: Count(%q) = %d, want %d", impls[i].Name, text, got, want)
			}
		}
	}
	f("", 0)
	f("nothing to see here", 0)
	f("quake", 1)
	f("big quake near the coast", 1)
	f("flood and storm, then a tornado!", 3)
	f("wildfire: evacuate now (quake too)", 3)
}

// TestSubstringSemantics pins where the semantics differ: the byte matchers
// find "storm" inside "stormy", earshot and regexp need a word boundary.
func TestSubstringSemantics(t *testing.T) {
	pats, err := PatternsFromTerms([]string{"storm"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{
		EarshotName:                      0,
		EarshotBatchName:                 0,
		"go-regexp":                      0,
		"petar-dambovaliev/aho-corasick": 1,
		"BobuSumisu/aho-corasick":        1,
		"cloudflare/ahocorasick":         1,
	}
	got := map[string]int{}
	for _, im := range Impls(ImplsConfig{}) {
		m, err := im.Build(pats)
		if err != nil {
			t.Fatalf("%s: %v", im.Name, err)
		}
		got[im.Name] = m.Count([]byte("stormy weather"))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("counts in %q = %v, want %v", "stormy weather", got, want)
	}
}

// TestBatchCounts checks that earshot driven in batches (the batch row)
// counts exactly what earshot driven one post at a time counts, post by
// post, on a generated test corpus (and CrisisLex tweets when present): a
// batching bug must not give a fast wrong row. Every implementation with
// Impl.SameCounts is checked against its partner.
func TestBatchCounts(t *testing.T) {
	c, err := BuildCorpus(CorpusConfig{Bytes: 1 << 20, CrisisLexGlob: "-"})
	if err != nil {
		t.Fatal(err)
	}
	posts := c.Posts
	const crisisLex = "/work/shared/data/crisislex-t6/*.csv"
	if m, _ := filepath.Glob(crisisLex); len(m) > 0 {
		tweets, err := BuildCorpus(CorpusConfig{Bytes: 512 << 10, CrisisLexGlob: crisisLex, CrisisLexOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		posts = append(posts, tweets.Posts...)
	}
	if len(posts)%EarshotBatch == 0 {
		posts = posts[:len(posts)-1] // keep a shorter last group
	}
	pats, err := NewPatterns(10000)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(EarshotBatchName, strconv.Itoa(EarshotBatch)) {
		t.Errorf("the batch row's name %q does not give its batch size %d", EarshotBatchName, EarshotBatch)
	}
	impls := Impls(ImplsConfig{})
	checked := 0
	for _, im := range impls {
		if im.SameCounts == "" {
			continue
		}
		j := slices.IndexFunc(impls, func(o Impl) bool { return o.Name == im.SameCounts })
		if j < 0 {
			t.Fatalf("%s: SameCounts names %q, which is not an implementation", im.Name, im.SameCounts)
		}
		ref, err := impls[j].Build(pats)
		if err != nil {
			t.Fatalf("%s: %v", impls[j].Name, err)
		}
		want := make([]int, len(posts))
		total, matched := 0, 0
		for k, p := range posts {
			want[k] = ref.Count(p)
			total += want[k]
			if want[k] > 0 {
				matched++
			}
		}
		if matched < 50 { // about 2.5% of the generated posts match
			t.Fatalf("%s matched %d of %d posts (%d matches): too few for the comparison to mean much", impls[j].Name, matched, len(posts), total)
		}
		m, err := im.Build(pats)
		if err != nil {
			t.Fatalf("%s: %v", im.Name, err)
		}
		bm, ok := m.(BatchMatcher)
		if im.PostsPerCall > 1 && !ok {
			t.Fatalf("%s takes %d posts per call but is no BatchMatcher", im.Name, im.PostsPerCall)
		}
		for k, p := range posts {
			if got := m.Count(p); got != want[k] {
				t.Errorf("%s: Count(post %d) = %d, %s counts %d", im.Name, k, got, impls[j].Name, want[k])
			}
		}
		if !ok {
			checked++
			continue
		}
		// The harness's group size (last group shorter), then others, so
		// that the reused Batch sees growing and shrinking batches.
		for _, size := range []int{max(im.PostsPerCall, 1), 1, 7, len(posts), EarshotBatch} {
			counts := make([]int, size)
			got, sum := make([]int, 0, len(posts)), 0
			for i := 0; i < len(posts); i += size {
				group := posts[i:min(i+size, len(posts))]
				bm.CountBatch(group, counts)
				got = append(got, counts[:len(group)]...)
				for _, n := range counts[:len(group)] {
					sum += n
				}
			}
			for k := range want {
				if got[k] != want[k] {
					t.Errorf("%s in groups of %d: post %d has %d matches, %s counts %d", im.Name, size, k, got[k], impls[j].Name, want[k])
				}
			}
			if sum != total {
				t.Errorf("%s in groups of %d: %d matches in all, %s counts %d", im.Name, size, sum, impls[j].Name, total)
			}
		}
		// Warm, the batch adds no allocations of its own: none when the
		// per-post matcher makes none on the same posts.
		group := posts[:EarshotBatch]
		counts := make([]int, len(group))
		perPost := testing.AllocsPerRun(10, func() {
			for _, p := range group {
				ref.Count(p)
			}
		})
		batch := testing.AllocsPerRun(10, func() { bm.CountBatch(group, counts) })
		if perPost == 0 && batch != 0 {
			t.Errorf("%s: %.1f allocations per batch of %d posts, want 0 (the per-post matcher makes none)", im.Name, batch, len(group))
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no implementation has SameCounts: the earshot batch row is not checked")
	}
}

func TestPatternsFromTerms(t *testing.T) {
	f := func(terms []string, want []string, wantErr bool) {
		t.Helper()
		p, err := PatternsFromTerms(terms)
		if (err != nil) != wantErr {
			t.Fatalf("PatternsFromTerms(%q) error = %v, want error %v", terms, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(p.Literals, want) {
			t.Errorf("PatternsFromTerms(%q) = %q, want %q", terms, p.Literals, want)
		}
	}
	f([]string{`"Flash Flood"`, "#Sismo", "地震"}, []string{"flash flood", "#sismo", "地震"}, false)
	f([]string{`""`}, nil, true)
	f([]string{"Quake", "quake"}, nil, true)
	f([]string{"a\nb"}, nil, true)
}

func TestImplLimits(t *testing.T) {
	p, err := NewPatterns(1100)
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range Impls(ImplsConfig{RegexpMax: 1000, CloudflareMax: -1}) {
		if im.Name != "go-regexp" && im.Name != "cloudflare/ahocorasick" {
			continue
		}
		if _, err := im.Build(p); !errors.Is(err, ErrSkipped) {
			t.Errorf("%s: Build(2000 patterns) error = %v, want ErrSkipped", im.Name, err)
		}
	}
}

func TestCorpusRoundTrip(t *testing.T) {
	c, err := BuildCorpus(CorpusConfig{Bytes: 64 << 10, CrisisLexGlob: "-"})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Posts) < 100 || c.Bytes() < 64<<10 {
		t.Fatalf("corpus has %d posts, %d bytes; want >= 100 posts, >= 64 KiB", len(c.Posts), c.Bytes())
	}
	path := filepath.Join(t.TempDir(), "corpus.bin")
	if err := WriteCorpus(path, c); err != nil {
		t.Fatal(err)
	}
	back, err := ReadCorpus(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Posts, c.Posts) {
		t.Error("corpus read back differs from the corpus written")
	}
	data, _ := os.ReadFile(path)
	if _, err := ParseCorpus(data[:len(data)-1]); err == nil {
		t.Error("ParseCorpus accepted a truncated corpus")
	}
}

func TestCrisisLex(t *testing.T) {
	const glob = "/work/shared/data/crisislex-t6/*.csv"
	if m, _ := filepath.Glob(glob); len(m) == 0 {
		t.Skip("CrisisLex T6 not present")
	}
	tweets, err := ReadCrisisLex(glob)
	if err != nil {
		t.Fatal(err)
	}
	if len(tweets) < 1000 {
		t.Fatalf("read %d tweets, want >= 1000", len(tweets))
	}
}

func TestCrisisLexOnly(t *testing.T) {
	dir := t.TempDir()
	csv := "id,tweet,label\n1,Earthquake in Mexico City right now,on-topic\n2,\"flood, water rising\",on-topic\n"
	if err := os.WriteFile(filepath.Join(dir, "a.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := BuildCorpus(CorpusConfig{Bytes: 1 << 20, CrisisLexGlob: filepath.Join(dir, "*.csv"), CrisisLexOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{string(c.Posts[0]), string(c.Posts[1])}
	slices.Sort(got)
	if len(c.Posts) != 2 || c.CrisisLex != 2 || got[0] != "Earthquake in Mexico City right now" || got[1] != "flood, water rising" {
		t.Fatalf("corpus %q (CrisisLex %d), want the two tweets alone", c.Posts, c.CrisisLex)
	}
	if _, err := BuildCorpus(CorpusConfig{CrisisLexGlob: filepath.Join(dir, "none-*.csv"), CrisisLexOnly: true}); err == nil {
		t.Fatal("a CrisisLex-only corpus without tweets was built")
	}
	if _, err := BuildCorpus(CorpusConfig{CrisisLexGlob: "-", CrisisLexOnly: true}); err == nil {
		t.Fatal("a CrisisLex-only corpus without CrisisLex files was built")
	}
}
