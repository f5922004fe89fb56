// Command matchbench measures earshot's keyword engine side by side with
// other Aho-Corasick implementations on one corpus and writes
// match-<date>.json and match-<date>.md into -out (match-<date>-crisislex.*
// with -crisislex-only).
//
//	cd bench/peers && go run ./cmd/matchbench -out ../results
//
// For every pattern set (-sizes) it builds every implementation, then runs
// -passes rounds in which every implementation scans the whole corpus once,
// one after the other, so that the numbers of one round are side by side
// (one post per call, except earshot's batch row: 256 consecutive posts per
// Engine.MatchBatch call, as the earshot pipeline runs it);
// then it runs the Rust binary (-rust) on the same files. Throughput is the
// median over the rounds. See ../../README.md.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"earshot/bench/peers"
)

// plantRules is how many of firehose.Rules the generator plants into posts:
// the end-to-end workload's rule count.
const plantRules = 10000

func main() {
	log.SetFlags(0)
	log.SetPrefix("matchbench: ")
	var (
		out        = flag.String("out", "../results", "directory for match-<date>.json and .md")
		work       = flag.String("work", "../../.cache/peers", "directory for the corpus and pattern files")
		sizesFlag  = flag.String("sizes", "1000,10000,100000", "pattern set sizes, comma-separated")
		passes     = flag.Int("passes", 5, "timed passes over the corpus per implementation and size (median reported)")
		corpusMB   = flag.Int("corpus-mb", 32, "corpus size in MiB of post text")
		seed       = flag.Int64("seed", 1, "firehose and shuffle seed")
		crisis     = flag.String("crisislex", "/work/shared/data/crisislex-t6/*.csv", `CrisisLex CSV glob ("-" for none; no match means none)`)
		rustBin    = flag.String("rust", "../../.cache/cargo-target/release/earshot-peers-rust", `Rust binary ("" or missing: Rust is skipped)`)
		regexpMax  = flag.Int("regexp-max", 10000, "largest pattern set built as a Go regexp (negative: never)")
		cfMax      = flag.Int("cloudflare-max", 100000, "largest pattern set given to cloudflare/ahocorasick (negative: never)")
		maxPass    = flag.Duration("max-pass", 5*time.Second, "CPU-time cap of one pass; a slower implementation scans a prefix of the corpus")
		procs      = flag.Int("procs", 1, "GOMAXPROCS")
		date       = flag.String("date", time.Now().UTC().Format("2006-01-02"), "date in the report file names")
		only       = flag.String("impls", "", `comma-separated implementation names to run, e.g. "earshot (batches of 256),BobuSumisu/aho-corasick" (default all)`)
		crisisOnly = flag.Bool("crisislex-only", false, "scan the CrisisLex tweets alone (reports match-<date>-crisislex.*)")
	)
	flag.Parse()
	runtime.GOMAXPROCS(*procs)

	sizes, err := parseSizes(*sizesFlag)
	if err != nil {
		log.Fatal(err)
	}
	if *passes < 1 {
		log.Fatalf("-passes %d is below 1", *passes)
	}
	for _, d := range []string{*out, *work} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			log.Fatal(err)
		}
	}

	rep := &Report{
		Date:    *date,
		Machine: machine(*procs),
		Passes:  *passes,
		MaxPass: maxPass.String(),
	}

	t0 := time.Now()
	corpus, err := peers.BuildCorpus(peers.CorpusConfig{Bytes: *corpusMB << 20, Seed: *seed, PlantRules: plantRules,
		CrisisLexGlob: *crisis, CrisisLexOnly: *crisisOnly})
	if err != nil {
		log.Fatal(err)
	}
	lower := corpus.Lower()
	name := "corpus"
	if *crisisOnly {
		name = "corpus-crisislex"
	}
	corpusPath := filepath.Join(*work, name+".bin")
	lowerPath := filepath.Join(*work, name+"-lower.bin")
	// Every implementation scans the bytes read back from the files, as
	// the Rust binary does: posts laid out in file order, not wherever the
	// generator's allocations left them (scattered posts cost the fastest
	// scanner most: earshot 207 -> 319 MB/s at 1k terms once fixed).
	crisisLex := corpus.CrisisLex
	for _, f := range []struct {
		path string
		c    **peers.Corpus
	}{{corpusPath, &corpus}, {lowerPath, &lower}} {
		if err := peers.WriteCorpus(f.path, *f.c); err != nil {
			log.Fatal(err)
		}
		read, err := peers.ReadCorpus(f.path)
		if err != nil {
			log.Fatal(err)
		}
		read.CrisisLex = crisisLex
		*f.c = read
	}
	rep.Corpus = CorpusInfo{
		Posts: len(corpus.Posts), Bytes: corpus.Bytes(), LowerBytes: lower.Bytes(),
		CrisisLexPosts: corpus.CrisisLex, CrisisLexOnly: *crisisOnly, Seed: *seed, PlantRules: plantRules,
		File: corpusPath, LowerFile: lowerPath,
	}
	log.Printf("corpus: %d posts, %.1f MB (%d CrisisLex tweets) in %v", len(corpus.Posts),
		float64(corpus.Bytes())/1e6, corpus.CrisisLex, time.Since(t0).Round(time.Millisecond))

	impls := peers.Impls(peers.ImplsConfig{RegexpMax: *regexpMax, CloudflareMax: *cfMax})
	if *only != "" {
		keep := strings.Split(*only, ",")
		impls = slices.DeleteFunc(impls, func(im peers.Impl) bool { return !slices.Contains(keep, im.Name) })
	}
	if slices.ContainsFunc(impls, func(im peers.Impl) bool { return im.Name == peers.EarshotBatchName }) {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%s gives the matcher %d consecutive corpus posts per call "+
			"(Engine.MatchBatch with one reused Batch, as the earshot pipeline does; the last group of a pass is shorter), "+
			"while %s calls Engine.Match once per post, every Go peer gets one post per call, and Rust runs one find iterator per post. "+
			"Both earshot rows match the same posts (original text) with the same semantics, distinct rules per post summed; "+
			"the run stops if their match counts differ. Bytes, posts and allocations are counted per post the same way for every row.",
			peers.EarshotBatchName, peers.EarshotBatch, peers.EarshotName))
	}
	// One throwaway build each, so that one-time initialisation (earshot's
	// Unicode tables) is not counted as the build time of the first set.
	if tiny, err := peers.PatternsFromTerms([]string{"quake"}); err == nil {
		for _, im := range impls {
			_, _ = im.Build(tiny)
		}
	}
	rust := *rustBin
	if rust != "" {
		if _, err := os.Stat(rust); err != nil {
			log.Printf("Rust binary %s not found: Rust is skipped (run run.sh to build it)", rust)
			rust = ""
		}
	}
	if rust == "" {
		rep.Notes = append(rep.Notes, "Rust aho-corasick was not run (no binary; run.sh builds it).")
	}

	for _, n := range sizes {
		pats, err := peers.NewPatterns(n)
		if err != nil {
			log.Fatal(err)
		}
		termsPath := filepath.Join(*work, fmt.Sprintf("terms-%d.txt", n))
		litPath := filepath.Join(*work, fmt.Sprintf("literals-%d.txt", n))
		if err := os.WriteFile(termsPath, pats.TermsFile(), 0o644); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(litPath, pats.LiteralsFile(), 0o644); err != nil {
			log.Fatal(err)
		}
		rep.Results = append(rep.Results, runSize(impls, pats, corpus, lower, *passes, *maxPass)...)
		if rust != "" {
			rs, err := runRust(rust, lowerPath, litPath, *passes)
			if err != nil {
				log.Printf("rust %d patterns: %v", n, err)
				rs = []Result{{Impl: rustName, Lang: "rust", Skipped: err.Error()}}
			}
			for _, r := range rs {
				r.Patterns = n
				logResult(r)
				rep.Results = append(rep.Results, r)
			}
		}
	}
	rep.ratios(sizes)

	base := filepath.Join(*out, "match-"+*date)
	if *crisisOnly {
		base += "-crisislex"
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(base+".json", append(js, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(base+".md", rep.Markdown(sizes), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s.json and %s.md in %v", base, base, time.Since(t0).Round(time.Second))
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad -sizes entry %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// runSize builds every implementation for one pattern set and measures them
// in interleaved rounds.
func runSize(impls []peers.Impl, pats *peers.Patterns, corpus, lower *peers.Corpus, passes int, maxPass time.Duration) []Result {
	n := len(pats.Terms)
	results := make([]Result, len(impls))
	matchers := make([]peers.Matcher, len(impls))
	var ms0, ms1 runtime.MemStats
	for i, im := range impls {
		r := &results[i]
		*r = Result{Impl: im.Name, Lang: "go", Patterns: n, LoweredInput: im.Lower, Semantics: im.Semantics, PostsPerCall: postsPerCall(im)}
		runtime.GC()
		runtime.ReadMemStats(&ms0)
		t := time.Now()
		m, err := im.Build(pats)
		r.BuildMs = ms(time.Since(t))
		if err != nil {
			if !errors.Is(err, peers.ErrSkipped) {
				log.Printf("%s %d patterns: %v", im.Name, n, err)
			}
			r.Skipped = err.Error()
			r.BuildMs = 0
			continue
		}
		runtime.GC()
		runtime.ReadMemStats(&ms1)
		r.HeapBytes = int64(ms1.HeapAlloc) - int64(ms0.HeapAlloc)
		// The engine's size once: the batch row compiles the same automaton.
		if e := peers.Engine(m); e != nil && (im.SameCounts == "" || !slices.ContainsFunc(impls, func(o peers.Impl) bool { return o.Name == im.SameCounts })) {
			st := e.Stats()
			r.Detail = fmt.Sprintf("%d states, %d automaton bytes", st.States, st.Bytes)
		}
		if r.PostsPerCall > 1 {
			if _, ok := m.(peers.BatchMatcher); !ok {
				log.Fatalf("%s takes %d posts per call but is no BatchMatcher", im.Name, r.PostsPerCall)
			}
		}
		matchers[i] = m
		// Warm-up pass: caches, branch predictors, and the match counts.
		p := pass(m, r.PostsPerCall, input(im, corpus, lower), maxPass)
		r.Matches, r.MatchedPosts = p.matches, p.matchedPosts
		r.warmCovered = p.posts
		log.Printf("%d patterns: built %s in %.0f ms, heap %.1f MB", n, im.Name, r.BuildMs, float64(r.HeapBytes)/1e6)
	}
	checkSameCounts(impls, results)
	for round := 0; round < passes; round++ {
		for i, im := range impls {
			if matchers[i] == nil {
				continue
			}
			p := pass(matchers[i], results[i].PostsPerCall, input(im, corpus, lower), maxPass)
			r := &results[i]
			r.PassMBps = append(r.PassMBps, p.mbps())
			r.PassWallMBps = append(r.PassWallMBps, p.wallMBps())
			r.PassPostsPerS = append(r.PassPostsPerS, float64(p.posts)/p.cpu.Seconds())
			r.PassAllocsPerPost = append(r.PassAllocsPerPost, float64(p.mallocs)/float64(p.posts))
			r.passCovered = append(r.passCovered, float64(p.posts)/float64(len(corpus.Posts)))
		}
	}
	for i := range results {
		r := &results[i]
		if r.Skipped != "" {
			logResult(*r)
			continue
		}
		r.MBps = median(r.PassMBps)
		r.WallMBps = median(r.PassWallMBps)
		r.PostsPerS = median(r.PassPostsPerS)
		r.AllocsPerPost = median(r.PassAllocsPerPost)
		r.CoveredFraction = median(r.passCovered)
		logResult(*r)
	}
	return results
}

func postsPerCall(im peers.Impl) int { return max(im.PostsPerCall, 1) }

// checkSameCounts stops the run when an implementation reported other
// match counts in its warm-up pass than the one it must agree with
// (Impl.SameCounts: earshot in batches and earshot per post), so that a
// batching bug cannot produce a fast wrong row.
func checkSameCounts(impls []peers.Impl, results []Result) {
	for i, im := range impls {
		if im.SameCounts == "" || results[i].Skipped != "" {
			continue
		}
		j := slices.IndexFunc(impls, func(o peers.Impl) bool { return o.Name == im.SameCounts })
		if j < 0 || results[j].Skipped != "" {
			continue // the other row is not run
		}
		a, b := &results[i], &results[j]
		if a.warmCovered != b.warmCovered {
			continue // a pass cut short by -max-pass: not the same posts
		}
		if a.Matches != b.Matches || a.MatchedPosts != b.MatchedPosts {
			log.Fatalf("%d patterns: %s found %d matches in %d posts, %s %d in %d: they must agree",
				a.Patterns, a.Impl, a.Matches, a.MatchedPosts, b.Impl, b.Matches, b.MatchedPosts)
		}
	}
}

func input(im peers.Impl, corpus, lower *peers.Corpus) [][]byte {
	if im.Lower {
		return lower.Posts
	}
	return corpus.Posts
}

type passResult struct {
	d, cpu                time.Duration // wall-clock and process CPU time
	posts, bytes          int
	matches, matchedPosts int64
	mallocs               uint64
}

func (p passResult) mbps() float64 { return float64(p.bytes) / 1e6 / p.cpu.Seconds() }

func (p passResult) wallMBps() float64 { return float64(p.bytes) / 1e6 / p.d.Seconds() }

// cpuTime returns the user+system CPU time of the process. With
// GOMAXPROCS=1 it is the time one core spent on the pass, garbage
// collection included, however busy the machine is.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		log.Fatalf("cannot read CPU time: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pass scans posts once, or a prefix of them when it takes more than limit
// of CPU time (checked every 16 posts, or every call of a batch). With
// perCall > 1 it gives m (a peers.BatchMatcher) perCall consecutive posts
// per call, the last group shorter; posts, bytes and matches are counted
// per post either way.
func pass(m peers.Matcher, perCall int, posts [][]byte, limit time.Duration) passResult {
	var mt meter
	if perCall > 1 {
		bm := m.(peers.BatchMatcher)
		counts := make([]int, perCall) // before the meter starts
		mt.start()
		for i := 0; i < len(posts); i += perCall {
			group := posts[i:min(i+perCall, len(posts))]
			bm.CountBatch(group, counts)
			for k, text := range group {
				mt.p.add(counts[k], text)
			}
			if mt.over(limit) {
				break
			}
		}
		return mt.stop()
	}
	mt.start()
	for i, text := range posts {
		mt.p.add(m.Count(text), text)
		// The cap is on CPU time, so that a busy machine does not cut a
		// pass short; the cheap wall-clock test comes first.
		if i&15 == 15 && mt.over(limit) {
			break
		}
	}
	return mt.stop()
}

// meter measures one pass: wall-clock and CPU time, allocations, and what
// the pass counted.
type meter struct {
	ms0  runtime.MemStats
	cpu0 time.Duration
	t0   time.Time
	p    passResult
}

func (mt *meter) start() {
	runtime.ReadMemStats(&mt.ms0)
	mt.cpu0 = cpuTime()
	mt.t0 = time.Now()
}

// over reports whether the pass has taken more than limit, wall-clock and
// CPU time both.
func (mt *meter) over(limit time.Duration) bool {
	return time.Since(mt.t0) > limit && cpuTime()-mt.cpu0 > limit
}

func (mt *meter) stop() passResult {
	p := mt.p
	p.d = time.Since(mt.t0)
	p.cpu = cpuTime() - mt.cpu0
	var ms1 runtime.MemStats
	runtime.ReadMemStats(&ms1)
	p.mallocs = ms1.Mallocs - mt.ms0.Mallocs
	return p
}

// add counts one post scanned, with c matches.
func (p *passResult) add(c int, text []byte) {
	p.matches += int64(c)
	if c > 0 {
		p.matchedPosts++
	}
	p.bytes += len(text)
	p.posts++
}

// The Rust scans: every (overlapping) match, the counterpart of earshot's
// semantics and the one ratios use, and the default non-overlapping find_iter.
const (
	rustName     = "rust aho-corasick (DFA)"
	rustIterName = "rust aho-corasick (DFA, find_iter)"
)

// rustOutput is what the Rust binary prints.
type rustOutput struct {
	Patterns    int   `json:"patterns"`
	Posts       int   `json:"posts"`
	Bytes       int   `json:"bytes"`
	BuildNs     int64 `json:"build_ns"`
	MemoryUsage int64 `json:"memory_usage"`
	RSSGrowthKB int64 `json:"rss_growth_kb"`
	MaxRSSKB    int64 `json:"max_rss_kb"`
	Scans       []struct {
		Overlapping  bool    `json:"overlapping"`
		Matches      int64   `json:"matches"`
		MatchedPosts int64   `json:"matched_posts"`
		PassNs       []int64 `json:"pass_ns"`     // wall-clock
		PassCPUNs    []int64 `json:"pass_cpu_ns"` // thread CPU time (/proc/thread-self/schedstat)
	} `json:"scans"`
}

func runRust(bin, corpus, literals string, passes int) ([]Result, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, corpus, literals, strconv.Itoa(passes))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("cannot run %s: %w: %s", bin, err, bytes.TrimSpace(stderr.Bytes()))
	}
	var o rustOutput
	if err := json.Unmarshal(stdout.Bytes(), &o); err != nil {
		return nil, fmt.Errorf("cannot decode Rust output %q: %w", stdout.Bytes(), err)
	}
	var out []Result
	for _, sc := range o.Scans {
		if len(sc.PassCPUNs) != len(sc.PassNs) {
			return nil, fmt.Errorf("Rust output has %d CPU times for %d passes", len(sc.PassCPUNs), len(sc.PassNs))
		}
		r := Result{
			Impl: rustName, Lang: "rust", LoweredInput: true, PostsPerCall: 1,
			Semantics:       "overlapping byte matches (DFA, standard semantics, ASCII case-insensitive)",
			BuildMs:         float64(o.BuildNs) / 1e6,
			HeapBytes:       o.MemoryUsage,
			Matches:         sc.Matches,
			MatchedPosts:    sc.MatchedPosts,
			CoveredFraction: 1,
			Detail:          fmt.Sprintf("memory_usage %d B, RSS growth at build %d KiB, peak RSS %d KiB", o.MemoryUsage, o.RSSGrowthKB, o.MaxRSSKB),
		}
		if !sc.Overlapping {
			r.Detail = "" // the same automaton as the overlapping scan
			r.Impl = rustIterName
			r.Semantics = "non-overlapping byte matches (find_iter; DFA, standard semantics, ASCII case-insensitive)"
		}
		for i, ns := range sc.PassCPUNs {
			s := float64(ns) / 1e9
			r.PassMBps = append(r.PassMBps, float64(o.Bytes)/1e6/s)
			r.PassPostsPerS = append(r.PassPostsPerS, float64(o.Posts)/s)
			r.PassWallMBps = append(r.PassWallMBps, float64(o.Bytes)/1e6/(float64(sc.PassNs[i])/1e9))
		}
		r.MBps = median(r.PassMBps)
		r.WallMBps = median(r.PassWallMBps)
		r.PostsPerS = median(r.PassPostsPerS)
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("Rust output %q has no scans", stdout.Bytes())
	}
	return out, nil
}

func logResult(r Result) {
	if r.Skipped != "" {
		log.Printf("%d patterns: %-36s %s", r.Patterns, r.Impl, r.Skipped)
		return
	}
	log.Printf("%d patterns: %-36s %8.1f MB/s (wall %6.1f) %10.0f posts/s  allocs/post %.2f  matches %d (%d posts)%s",
		r.Patterns, r.Impl, r.MBps, r.WallMBps, r.PostsPerS, r.AllocsPerPost, r.Matches, r.MatchedPosts, partial(r))
}

func partial(r Result) string {
	if r.CoveredFraction < 1 {
		return fmt.Sprintf("  [%.1f%% of the corpus per pass]", 100*r.CoveredFraction)
	}
	return ""
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 }

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// machine describes where the benchmark ran.
func machine(procs int) Machine {
	m := Machine{Cores: runtime.NumCPU(), GOMAXPROCS: procs, Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if out, err := exec.Command("rustc", "--version").Output(); err == nil {
		m.Rustc = strings.TrimSpace(string(out))
	}
	return m
}
