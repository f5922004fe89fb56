package harness

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseMetrics(t *testing.T) {
	text := `# HELP earshot_consumed_messages_total Kafka messages fetched from the input topic.
# TYPE earshot_consumed_messages_total counter
earshot_consumed_messages_total 1.5e+06
earshot_matched_posts_total 81234
earshot_committed_offset{partition="0"} 375000
earshot_committed_offset{partition="1"} 374999
earshot_consumer_lag{partition="0"} 12
`
	m, err := parseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	want := pipelineMetrics{consumed: 1.5e6, matched: 81234, committed: 749999, partitions: 2}
	if m != want {
		t.Errorf("got %+v, want %+v", m, want)
	}
	if _, err := parseMetrics(strings.NewReader("earshot_matched_posts_total x\n")); err == nil {
		t.Error("a malformed value was accepted")
	}
}

func TestParseStat(t *testing.T) {
	// The command name holds a space and a parenthesis; utime 250, stime 50.
	line := "4242 (earshot (x) run) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 100 1000 10\n"
	d, err := parseStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if d != 3*time.Second {
		t.Errorf("got %v, want 3s", d)
	}
	if _, err := parseStat([]byte("4242 (short) S 1")); err == nil {
		t.Error("a short line was accepted")
	}
}

func TestQuantile(t *testing.T) {
	xs := make([]float64, 100)
	for i := range xs {
		xs[i] = float64(i + 1)
	}
	for _, c := range []struct{ q, want float64 }{{0.5, 50}, {0.9, 90}, {0.99, 99}, {1, 100}, {0, 1}} {
		if got := quantile(xs, c.q); got != c.want {
			t.Errorf("quantile %v: got %v, want %v", c.q, got, c.want)
		}
	}
}

// TestTermsPattern holds the Kafka engine's expression (RE2, as Go's
// regexp) to whole-word, case-insensitive matching of the terms it quotes.
func TestTermsPattern(t *testing.T) {
	terms := []string{"quake", "#sismo", "c++", "地震", "sísmo", "no signal"}
	re := regexp.MustCompile(termsPattern(terms))
	for _, c := range []struct {
		text string
		want []string
	}{
		{"Big QUAKE now", []string{"QUAKE"}},
		{"earthquake", nil},
		{"#SISMO en CDMX", []string{"#SISMO"}},
		{"i love c++ and 地震が", []string{"c++", "地震"}},
		{"un Sísmo fuerte", []string{"Sísmo"}},
		{"no signal here, nosignal", []string{"no signal"}},
	} {
		got := re.FindAllString(c.text, -1)
		if !slices.Equal(got, c.want) {
			t.Errorf("%q: got %q, want %q", c.text, got, c.want)
		}
	}
	if got := sqlString(`a\b'c`); got != `a\\b\'c` {
		t.Errorf("sqlString: got %s", got)
	}
}

// TestLatencyTarget: the target is judged on the run at half the
// throughput, and only when the generator kept to its schedule there.
func TestLatencyTarget(t *testing.T) {
	half := Latency{Fraction: 0.5, TargetPerSecond: 100_000, SentPerSecond: 99_500, P99Ms: 1500, KeptUp: true}
	quarter := Latency{Fraction: 0.25, TargetPerSecond: 50_000, SentPerSecond: 50_000, P99Ms: 900, KeptUp: true}
	for _, c := range []struct {
		name string
		runs []Latency
		met  string // "yes", "no" or "" (not judged)
	}{
		{"met", []Latency{half, quarter}, "yes"},
		{"missed", []Latency{{Fraction: 0.5, SentPerSecond: 100_000, P99Ms: 2500, KeptUp: true}}, "no"},
		{"generator behind", []Latency{{Fraction: 0.5, TargetPerSecond: 100_000, SentPerSecond: 80_000, P99Ms: 9000}, quarter}, ""},
		{"quarter only", []Latency{quarter}, ""},
		{"none", nil, ""},
	} {
		row := latencyTarget(c.runs)
		got := ""
		if row.Met != nil {
			got = map[bool]string{true: "yes", false: "no"}[*row.Met]
		}
		if got != c.met {
			t.Errorf("%s: met %q, want %q (%s)", c.name, got, c.met, row.Measured)
		}
	}
	if row := latencyTarget([]Latency{{Fraction: 0.5, TargetPerSecond: 100_000, SentPerSecond: 80_000, P99Ms: 2390}}); !strings.Contains(row.Measured, "not measurable") ||
		!strings.Contains(row.Measured, "p99 2.39 s with its lag") {
		t.Errorf("a run whose generator fell behind reads %q", row.Measured)
	}
}

// TestLatencyRates: fractions of the throughput by default, the rates as
// asked when given (the half of a fraction stays exactly 0.5, which the
// latency row looks for).
func TestLatencyRates(t *testing.T) {
	rates, fr := latencyRates(Options{LatencyAt: []float64{0.5, 0.25}}, 400_000)
	if !slices.Equal(rates, []float64{200_000, 100_000}) || !slices.Equal(fr, []float64{0.5, 0.25}) {
		t.Errorf("fractions: rates %v, fractions %v", rates, fr)
	}
	rates, fr = latencyRates(Options{LatencyAt: []float64{0.5}, LatencyRates: []float64{150_000, 300_000}}, 400_000)
	if !slices.Equal(rates, []float64{150_000, 300_000}) || !slices.Equal(fr, []float64{0.375, 0.75}) {
		t.Errorf("rates: rates %v, fractions %v", rates, fr)
	}
}

// TestMedianBy: the run of median key (the lower middle one for an even
// count), whatever the order, and the report's targets from it.
func TestMedianBy(t *testing.T) {
	cpu := func(t Throughput) float64 { return t.CPUMicrosPerPost }
	runs := []Throughput{{CPUMicrosPerPost: 3.74, PostsPerSecond: 380e3}, {CPUMicrosPerPost: 3.11, PostsPerSecond: 486e3},
		{CPUMicrosPerPost: 3.59, PostsPerSecond: 360e3}}
	if got := medianBy(runs, cpu); got != runs[2] {
		t.Errorf("median of three: got %+v", got)
	}
	if got := medianBy(append(runs, Throughput{CPUMicrosPerPost: 2.9}), cpu); got != runs[1] {
		t.Errorf("median of four (the lower middle): got %+v", got)
	}
	if got := medianBy(runs[:1], cpu); got != runs[0] {
		t.Errorf("median of one: got %+v", got)
	}
	if runs[0].CPUMicrosPerPost != 3.74 {
		t.Error("medianBy reordered its argument")
	}

	r := Report{Runs: runs, Throughput: medianBy(runs, cpu), PostsPerSecond: 380e3}
	rows := targets(&r)
	if rows[0].Measured != "380000 (median of 380000, 486000, 360000)" || rows[1].Measured != "3.59 µs (median of 3.74, 3.11, 3.59)" ||
		*rows[1].Met {
		t.Errorf("target rows %+v, %+v", rows[0], rows[1])
	}
}

func TestValidateRulesFile(t *testing.T) {
	o := Options{Earshot: "earshot", RulesFile: "rules.yaml", Engine: true, RunDir: "run"}
	o.SetDefaults()
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "turn it off to bench your rules") {
		t.Errorf("a rules file with the engine phase: %v", err)
	}
	o.Engine = false
	if err := o.Validate(); err != nil {
		t.Errorf("a rules file: %v", err)
	}
}
