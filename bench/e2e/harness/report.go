package harness

import (
	"fmt"
	"strings"
)

// TargetRow is one of perf.md's end-to-end targets with what was measured.
type TargetRow struct {
	What     string `json:"what"`
	Target   string `json:"target"`
	Measured string `json:"measured"`
	Met      *bool  `json:"met,omitempty"` // absent: not measured, or nothing to meet
}

func targets(r *Report) []TargetRow {
	t := r.Throughput
	met := func(ok bool) *bool { return &ok }
	rows := []TargetRow{
		{"sustained posts/s, everything on this machine", "≥ 150,000",
			fmt.Sprintf("%.0f%s", r.PostsPerSecond, spread(r.Runs, func(t Throughput) string { return fmt.Sprintf("%.0f", t.PostsPerSecond) })),
			met(r.PostsPerSecond >= 150_000)},
		{"CPU of the earshot process per post", "≤ 3 µs",
			fmt.Sprintf("%.2f µs%s", t.CPUMicrosPerPost, spread(r.Runs, func(t Throughput) string { return fmt.Sprintf("%.2f", t.CPUMicrosPerPost) })),
			met(t.CPUMicrosPerPost <= 3)},
	}
	rows = append(rows, latencyTarget(r.Latency))
	if e := r.Engine; e != nil {
		ratio := 1e6 / t.CPUMicrosPerPost / e.PostsPerCPUSecond
		rows = append(rows, TargetRow{"posts per CPU-second against ClickHouse's Kafka engine + matching view", "≥ 5×",
			fmt.Sprintf("%.1f× (%.0f against %.0f)", ratio, 1e6/t.CPUMicrosPerPost, e.PostsPerCPUSecond), met(ratio >= 5)})
	} else {
		rows = append(rows, TargetRow{"against ClickHouse's Kafka engine + matching view", "≥ 5×", "not measured (--clickhouse-engine=false)", nil})
	}
	var rss int64
	for _, t := range r.Runs {
		rss = max(rss, t.PeakRSSBytes)
	}
	rows = append(rows, TargetRow{"memory", "bounded and reported",
		fmt.Sprintf("earshot peak RSS %.0f MB, the most of the throughput runs (%d rules, dedup window 24 h)", float64(rss)/(1<<20), r.Rules), nil})
	return rows
}

// spread is " (median of a, b, c)" for several runs, in their order, and
// "" for one.
func spread(runs []Throughput, f func(Throughput) string) string {
	if len(runs) < 2 {
		return ""
	}
	var parts []string
	for _, t := range runs {
		parts = append(parts, f(t))
	}
	return " (median of " + strings.Join(parts, ", ") + ")"
}

// latencyTarget is the latency row: the run at half the throughput when
// the generator kept to its schedule there, else what the runs show.
func latencyTarget(runs []Latency) TargetRow {
	row := TargetRow{What: "p99 latency, produced to visible in ClickHouse, at half of max throughput", Target: "≤ 2 s"}
	var parts []string
	for _, l := range runs {
		if l.Fraction == 0.5 && l.KeptUp {
			ok := l.P99Ms <= 2000
			row.Met = &ok
		}
		s := fmt.Sprintf("%.2f s at %.0f posts/s", l.P99Ms/1000, l.SentPerSecond)
		if !l.KeptUp {
			s = fmt.Sprintf("not measurable at %.0f posts/s: the generator on the same machine sent %.0f (p99 %.2f s with its lag)",
				l.TargetPerSecond, l.SentPerSecond, l.P99Ms/1000)
		}
		parts = append(parts, s)
	}
	row.Measured = strings.Join(parts, "; ")
	if len(runs) == 0 {
		row.Measured = "not measured (--latency-duration 0)"
	}
	return row
}

func markdown(r *Report) string {
	var b strings.Builder
	t := r.Throughput
	fmt.Fprintf(&b, "# earshot end to end, %s\n\n", r.Date)
	where := "Kafka and ClickHouse from deploy/local on the same machine."
	if !r.LocalServices {
		where = "Kafka and ClickHouse as given (their CPU not measured)."
	}
	fmt.Fprintf(&b, "Machine: %s, %d cores, %s, %s. %s\n", r.Machine.CPU, r.Machine.Cores, r.Machine.Memory, r.Machine.Go, where)
	switch {
	case r.PostsFile != "":
		rules := fmt.Sprintf("the generator's %d keyword rules", r.Rules)
		if r.RulesFile != "" {
			rules = fmt.Sprintf("the %d rules of `%s`", r.Rules, r.RulesFile)
		}
		fmt.Fprintf(&b, "Workload: the posts of `%s` replayed (`earshot gen --replay`: each round with new ids and dates), %d written before the throughput phase (%.1f s); "+
			"the pipeline ran %s: %.1f%% of the posts matched.\n", r.PostsFile, r.Posts, r.Produce.Seconds, rules, 100*float64(r.Throughput.MatchedPosts)/float64(max(r.Posts, 1)))
	case r.RulesFile == "":
		fmt.Fprintf(&b, "Workload: `earshot gen --seed %d`, %d keyword rules, %d posts written before the throughput phase (%.1f s).\n", r.Seed, r.Rules, r.Posts, r.Produce.Seconds)
	default:
		fmt.Fprintf(&b, "Workload: `earshot gen --seed %d`, %d posts written before the throughput phase (%.1f s), which hold mentions of the generator's %d keyword rules; "+
			"the pipeline ran the %d rules of `%s` instead: %.1f%% of the posts matched them (a rule set the posts do not speak of measures the scan more than the writes).\n",
			r.Seed, r.Posts, r.Produce.Seconds, r.Planted, r.Rules, r.RulesFile, 100*float64(r.Throughput.MatchedPosts)/float64(max(r.Posts, 1)))
	}
	fmt.Fprintf(&b, "Command: `earshot bench` (bench/e2e/run.sh; results in JSON next to this file).\n\n")
	b.WriteString("| what | target | measured | met |\n|---|---|---|---|\n")
	for _, row := range r.Targets {
		m := "—"
		if row.Met != nil {
			m = map[bool]string{true: "yes", false: "no"}[*row.Met]
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", row.What, row.Target, row.Measured, m)
	}
	fmt.Fprintf(&b, "\n## Throughput\n\n`earshot run` over the %d posts already in Kafka, from its first fetch until its committed offsets covered them all "+
		"(offsets are committed only after ClickHouse acknowledged the rows before them; startup, %.1f s, not timed)", r.Posts, t.StartupSeconds)
	if len(r.Runs) > 1 {
		fmt.Fprintf(&b, ", %d times, each as a new consumer group into a new database. The run of median CPU per post:\n\n", len(r.Runs))
	} else {
		b.WriteString(":\n\n")
	}
	fmt.Fprintf(&b, "- %d posts in %.2f s: **%.0f posts/s**\n", t.Posts, t.Seconds, t.PostsPerSecond)
	fmt.Fprintf(&b, "- earshot CPU %.2f s: **%.2f µs per post** (%.0f posts per CPU-second); peak RSS %.0f MB\n",
		t.CPUSeconds, t.CPUMicrosPerPost, 1e6/t.CPUMicrosPerPost, float64(t.PeakRSSBytes)/(1<<20))
	if r.LocalServices {
		fmt.Fprintf(&b, "- in the same window Kafka used %.2f CPU-s, ClickHouse %.2f; the machine was %.0f%% busy\n",
			t.KafkaCPUSeconds, t.ClickHouseCPUSecs, 100*t.MachineBusy)
	} else {
		fmt.Fprintf(&b, "- in the same window the machine was %.0f%% busy\n", 100*t.MachineBusy)
	}
	fmt.Fprintf(&b, "- %d posts matched a rule (%.1f%%), %d mention rows stored\n", t.MatchedPosts, 100*float64(t.MatchedPosts)/float64(r.Posts), t.MentionRows)
	if len(r.Runs) > 1 {
		b.WriteString("\nEvery run, in order:\n\n| run | posts | seconds | posts/s | earshot CPU | µs per post | Kafka CPU | ClickHouse CPU | machine busy | peak RSS |\n")
		b.WriteString("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for k, t := range r.Runs {
			fmt.Fprintf(&b, "| %d | %d | %.2f | %.0f | %.2f s | %.2f | %.2f s | %.2f s | %.0f%% | %.0f MB |\n", k+1, t.Posts, t.Seconds, t.PostsPerSecond,
				t.CPUSeconds, t.CPUMicrosPerPost, t.KafkaCPUSeconds, t.ClickHouseCPUSecs, 100*t.MachineBusy, float64(t.PeakRSSBytes)/(1<<20))
		}
	}
	if len(r.Latency) > 0 {
		fmt.Fprintf(&b, "\n## Latency\n\nThe generator (`earshot gen --pregenerate`: it makes all its posts and compresses them into Kafka record batches first, then only sends them) sending in real time "+
			"for %.0f s at a fraction of the throughput above, on the same machine, "+
			"`earshot run` with its defaults (batches flushed at least every second), ClickHouse polled every %.0f ms. "+
			"A post's latency is the poll that first returned its mentions less its created_at, the time the generator was due to send it: "+
			"an upper bound by up to one poll interval, and the latency from production only while the generator kept to its schedule "+
			"(sent %.0f%% of its rate or more).\n\n", r.Latency[0].Seconds, r.Latency[0].PollMs, 100*keptUp)
		b.WriteString("| rate asked | sent | kept up | posts with mentions | p50 | p90 | p99 | max | earshot CPU | generator CPU | machine busy |\n")
		b.WriteString("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, l := range r.Latency {
			fmt.Fprintf(&b, "| %.0f (%.2f×) | %.0f | %s | %d | %.0f ms | %.0f ms | %.0f ms | %.0f ms | %.1f s | %.1f s | %.0f%% |\n",
				l.TargetPerSecond, l.Fraction, l.SentPerSecond, map[bool]string{true: "yes", false: "no"}[l.KeptUp], l.Measured,
				l.P50Ms, l.P90Ms, l.P99Ms, l.MaxMs, l.EarshotCPU, l.GeneratorCPU, 100*l.MachineBusy)
		}
	}
	if e := r.Engine; e != nil {
		fmt.Fprintf(&b, "\n## ClickHouse's Kafka engine\n\nClickHouse %s reading the first %d of the same posts (a topic of their own) with its Kafka table engine (JSONEachRow: id, text), "+
			"a materialized view matching each post's text against one case-insensitive regular expression of all %d terms "+
			"between word boundaries (`extractAll`, %d bytes of pattern; this ClickHouse has no multi-pattern search functions), "+
			"one row per post with its terms into a MergeTree table. It does less than earshot: no decoding of the whole post, "+
			"no dedup, enrichment, aggregates, dead letters or offsets kept with the rows.\n\n", e.Version, e.Posts, r.Rules, e.PatternBytes)
		fmt.Fprintf(&b, "- %d posts in %.1f s (%.0f posts/s), ClickHouse CPU %.1f s: **%.0f posts per CPU-second**; %d posts matched",
			e.Posts, e.Seconds, e.PostsPerSecond, e.CPUSeconds, e.PostsPerCPUSecond, e.MatchedPosts)
		if e.TimedOut {
			fmt.Fprintf(&b, " (stopped after %s)", engineTimeout)
		}
		b.WriteString("\n")
	}
	return b.String()
}
