package main

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"earshot/bench/peers"
)

// Report is the machine-readable result (match-<date>.json).
type Report struct {
	Date    string     `json:"date"`
	Machine Machine    `json:"machine"`
	Corpus  CorpusInfo `json:"corpus"`
	Passes  int        `json:"passes"`
	MaxPass string     `json:"max_pass"`
	Results []Result   `json:"results"`
	Ratios  []Ratio    `json:"ratios"`
	Notes   []string   `json:"notes,omitempty"`
}

// Machine is where the run happened.
type Machine struct {
	CPU        string `json:"cpu"`
	Cores      int    `json:"cores"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	Go         string `json:"go"`
	Rustc      string `json:"rustc,omitempty"`
	OS         string `json:"os"`
}

// CorpusInfo describes the corpus every implementation scanned.
type CorpusInfo struct {
	Posts          int    `json:"posts"`
	Bytes          int    `json:"bytes"`
	LowerBytes     int    `json:"lower_bytes"` // size of the lower-cased copy the byte matchers scan
	CrisisLexPosts int    `json:"crisislex_posts"`
	CrisisLexOnly  bool   `json:"crisislex_only"` // no generated posts
	Seed           int64  `json:"seed"`
	PlantRules     int    `json:"plant_rules"`
	File           string `json:"file"`
	LowerFile      string `json:"lower_file"`
}

// Result is one implementation on one pattern set. MB are 10^6 bytes.
type Result struct {
	Impl              string    `json:"impl"`
	Lang              string    `json:"lang"`
	Patterns          int       `json:"patterns"`
	Skipped           string    `json:"skipped,omitempty"`
	LoweredInput      bool      `json:"lowered_input"`
	Semantics         string    `json:"semantics"`
	PostsPerCall      int       `json:"posts_per_call"` // consecutive posts given to the matcher per call
	BuildMs           float64   `json:"build_ms"`
	HeapBytes         int64     `json:"heap_bytes"`    // Go: live heap growth after build; Rust: AhoCorasick::memory_usage
	MBps              float64   `json:"mb_per_s"`      // per CPU-second of the process (Go) or thread (Rust)
	WallMBps          float64   `json:"wall_mb_per_s"` // per wall-clock second
	PostsPerS         float64   `json:"posts_per_s"`
	AllocsPerPost     float64   `json:"allocs_per_post"`
	Matches           int64     `json:"matches"`
	MatchedPosts      int64     `json:"matched_posts"`
	CoveredFraction   float64   `json:"covered_fraction"` // share of the corpus one pass scanned (< 1: capped by -max-pass)
	PassMBps          []float64 `json:"pass_mb_per_s"`
	PassWallMBps      []float64 `json:"pass_wall_mb_per_s"`
	PassPostsPerS     []float64 `json:"pass_posts_per_s"`
	PassAllocsPerPost []float64 `json:"pass_allocs_per_post,omitempty"`
	Detail            string    `json:"detail,omitempty"`

	passCovered []float64
	warmCovered int // posts the warm-up pass scanned
}

// earshotRows are the earshot results the ratios are computed for, the
// headline first: batches, the way the pipeline runs the matcher, then one
// post per call.
var earshotRows = []string{peers.EarshotBatchName, peers.EarshotName}

// Ratio compares one earshot row with the fastest Go peer and with Rust on
// one pattern set; 0 means not measured.
type Ratio struct {
	Patterns         int     `json:"patterns"`
	Earshot          string  `json:"earshot"` // which earshot row (earshotRows)
	FastestGoPeer    string  `json:"fastest_go_peer"`
	VsFastestGoPeer  float64 `json:"earshot_vs_fastest_go_peer"`
	VsRust           float64 `json:"earshot_vs_rust"`
	EarshotMBps      float64 `json:"earshot_mb_per_s"`
	FastestGoPeerMBs float64 `json:"fastest_go_peer_mb_per_s"`
	RustMBps         float64 `json:"rust_mb_per_s"`
}

// ratios computes one Ratio per pattern set and earshot row that was run
// (skipped rows give zeros). The peers exclude both earshot rows.
func (r *Report) ratios(sizes []int) {
	for _, n := range sizes {
		var peer Ratio
		for _, res := range r.Results {
			if res.Patterns != n || res.Skipped != "" || slices.Contains(earshotRows, res.Impl) {
				continue
			}
			switch {
			case res.Impl == rustName:
				peer.RustMBps = res.MBps
			case res.Lang == "go" && res.MBps > peer.FastestGoPeerMBs:
				peer.FastestGoPeer, peer.FastestGoPeerMBs = res.Impl, res.MBps
			}
		}
		for _, e := range earshotRows {
			res := r.find(e, n)
			if res == nil {
				continue
			}
			q := peer
			q.Patterns, q.Earshot = n, e
			if res.Skipped == "" {
				q.EarshotMBps = res.MBps
			}
			if q.EarshotMBps > 0 {
				if q.FastestGoPeerMBs > 0 {
					q.VsFastestGoPeer = q.EarshotMBps / q.FastestGoPeerMBs
				}
				if q.RustMBps > 0 {
					q.VsRust = q.EarshotMBps / q.RustMBps
				}
			}
			r.Ratios = append(r.Ratios, q)
		}
	}
}

// impls returns the implementation names in first-seen order.
func (r *Report) impls() []string {
	var names []string
	seen := map[string]bool{}
	for _, res := range r.Results {
		if !seen[res.Impl] {
			seen[res.Impl] = true
			names = append(names, res.Impl)
		}
	}
	return names
}

func (r *Report) find(impl string, n int) *Result {
	for i := range r.Results {
		if r.Results[i].Impl == impl && r.Results[i].Patterns == n {
			return &r.Results[i]
		}
	}
	return nil
}

func label(n int) string {
	if n >= 1000 && n%1000 == 0 {
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

// Markdown renders the short human report (match-<date>.md).
func (r *Report) Markdown(sizes []int) []byte {
	var b bytes.Buffer
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	cell := func(impl string, n int, f func(*Result) string) string {
		res := r.find(impl, n)
		switch {
		case res == nil:
			return "–"
		case res.Skipped != "":
			return "skipped"
		}
		return f(res)
	}
	w("# Matcher benchmark, %s\n\n", r.Date)
	w("Machine: %s, %d cores, GOMAXPROCS=%d (one core per implementation), %s, %s.\n",
		r.Machine.CPU, r.Machine.Cores, r.Machine.GOMAXPROCS, r.Machine.Go, orNone(r.Machine.Rustc))
	if r.Corpus.CrisisLexOnly {
		w("Corpus: %d posts, %.1f MB, CrisisLex T6 tweets only (English crisis tweets, shuffled with seed %d); ",
			r.Corpus.Posts, float64(r.Corpus.Bytes)/1e6, r.Corpus.Seed)
	} else {
		w("Corpus: %d posts, %.1f MB (%d CrisisLex T6 tweets, the rest from the firehose generator, seed %d, %d rules planted); ",
			r.Corpus.Posts, float64(r.Corpus.Bytes)/1e6, r.Corpus.CrisisLexPosts, r.Corpus.Seed, r.Corpus.PlantRules)
	}
	w("patterns: firehose.Rules(n). Median of %d interleaved passes over the whole corpus (CPU cap %s per pass). "+
		"MB/s and posts/s are per CPU-second of the process (Go, GOMAXPROCS=1, GC included) or thread (Rust), "+
		"so that other load on the machine does not count; wall-clock rates are in the JSON. MB = 10^6 bytes.\n\n",
		r.Passes, r.MaxPass)

	w("## Throughput per core, MB/s (posts/s)\n\n| implementation |")
	for _, n := range sizes {
		w(" %s |", label(n))
	}
	w("\n|---|")
	for range sizes {
		w("---:|")
	}
	w("\n")
	for _, impl := range r.impls() {
		w("| %s |", impl)
		for _, n := range sizes {
			w(" %s |", cell(impl, n, func(res *Result) string {
				return fmt.Sprintf("%s (%s)%s", rate(res.MBps), posts(res.PostsPerS), partialMark(res))
			}))
		}
		w("\n")
	}

	w("\n## Ratios (earshot MB/s ÷ peer MB/s, same run; Rust = overlapping scan)\n\n")
	w("%s is how the earshot pipeline runs the matcher (%d consecutive posts per call); %s calls it once per post, as every peer is called.\n\n",
		peers.EarshotBatchName, peers.EarshotBatch, peers.EarshotName)
	w("| patterns | earshot | fastest Go peer | earshot / fastest Go peer | earshot / Rust DFA |\n|---|---|---|---:|---:|\n")
	for _, q := range r.Ratios {
		w("| %s | %s | %s | %s | %s |\n", label(q.Patterns), q.Earshot, orNone(q.FastestGoPeer), ratio(q.VsFastestGoPeer), ratio(q.VsRust))
	}

	w("\n## Build time ms / memory MB / allocations per post / matches\n\n| implementation |")
	for _, n := range sizes {
		w(" %s |", label(n))
	}
	w("\n|---|")
	for range sizes {
		w("---|")
	}
	w("\n")
	for _, impl := range r.impls() {
		w("| %s |", impl)
		for _, n := range sizes {
			w(" %s |", cell(impl, n, func(res *Result) string {
				allocs := "n/a"
				if res.Lang == "go" {
					allocs = fmt.Sprintf("%.2f", res.AllocsPerPost)
				}
				return fmt.Sprintf("%.0f ms / %.1f MB / %s / %d (%d posts)", res.BuildMs, float64(res.HeapBytes)/1e6, allocs, res.Matches, res.MatchedPosts)
			}))
		}
		w("\n")
	}

	w("\n## How to read this\n\n")
	w("- earshot does more work than the others: Unicode case folding and NFKD inside the scan, word boundaries, phrases, hashtags; " +
		"it reports each matching rule once per post.\n")
	w("- The Go peers and Rust match bytes case-sensitively: they scan a copy of the corpus lower-cased in advance with bytes.ToLower, " +
		"outside their timing (this favours them; bytes.ToLower alone runs at 140–260 MB/s). Rust also has ASCII case-insensitivity on. " +
		"Their patterns are the lower-cased term literals (phrase quotes removed).\n")
	w("- Match counts differ by semantics and are not errors: the byte matchers find patterns inside longer words and count every " +
		"(overlapping) occurrence; cloudflare counts distinct patterns per post; regexp counts leftmost non-overlapping whole-word matches.\n")
	w("- Memory: Go = live heap growth after build (runtime.MemStats after GC); Rust = AhoCorasick::memory_usage.\n")
	for _, impl := range r.impls() {
		for _, n := range sizes {
			if res := r.find(impl, n); res != nil && res.Skipped != "" {
				w("- %s, %s patterns: %s.\n", impl, label(n), res.Skipped)
			}
			if res := r.find(impl, n); res != nil && res.Skipped == "" && res.CoveredFraction < 1 {
				w("- %s, %s patterns (*): a pass scanned only %.2g%% of the corpus (time cap %s); its match counts cover that part.\n",
					impl, label(n), 100*res.CoveredFraction, r.MaxPass)
			}
		}
	}
	for _, note := range r.Notes {
		w("- %s\n", note)
	}
	for _, impl := range r.impls() {
		if res := r.find(impl, sizes[len(sizes)-1]); res != nil && res.Detail != "" {
			w("- %s, %s patterns: %s.\n", impl, label(res.Patterns), res.Detail)
		}
	}
	return []byte(strings.ReplaceAll(b.String(), "\t", " "))
}

// rate formats MB/s with two significant digits below 10.
func rate(v float64) string {
	if v < 10 {
		return fmt.Sprintf("%.2g", v)
	}
	return fmt.Sprintf("%.0f", v)
}

func posts(v float64) string {
	if v < 1e5 {
		return fmt.Sprintf("%.0f/s", v)
	}
	return fmt.Sprintf("%.2fM/s", v/1e6)
}

func partialMark(res *Result) string {
	if res.CoveredFraction < 1 {
		return "*"
	}
	return ""
}

func ratio(v float64) string {
	if v == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", v)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
