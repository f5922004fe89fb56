package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"earshot/bench/e2e/harness"
	"earshot/sink"
)

// cmdBench runs the end-to-end harness (bench/e2e/harness) with this
// binary as the generator and the pipeline under test.
func cmdBench(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var o, d harness.Options
	d.SetDefaults()
	fs.StringVar(&o.Brokers, "kafka-brokers", d.Brokers, "Kafka bootstrap `addresses`, comma-separated")
	fs.StringVar(&o.ClickHouse, "clickhouse-addr", d.ClickHouse, "ClickHouse native protocol `host:port`")
	var kf kafkaFlags
	kf.registerSecurity(fs)
	var sc sink.Config
	chArgs := clickhouseAuthFlags(fs, &sc)
	fs.IntVar(&o.Posts, "posts", d.Posts, "posts written before the throughput phase")
	fs.IntVar(&o.Runs, "runs", d.Runs, "throughput runs over those posts; the report gives their medians")
	fs.IntVar(&o.Rules, "rules", d.Rules, "keyword rules (the generator plants mentions of them)")
	fs.StringVar(&o.RulesFile, "rules-file", "", "your rules `file` or directory: the pipeline under test runs them instead of the generator's (whose mentions the posts still hold)")
	fs.StringVar(&o.PostsFile, "posts-file", "", "your posts: a JSONL `file` of canonical posts the generator replays, each round with new ids and dates, instead of generating posts (a sample of your traffic: earshot sample)")
	fs.IntVar(&o.Seed, "seed", d.Seed, "generator seed")
	fs.DurationVar(&o.LatencyFor, "latency-duration", 30*time.Second, "how long each latency run sends posts (0: no latency phase)")
	fs.Func("latency-at", "comma-separated `fractions` of the measured throughput at which latency is measured (default 0.5,0.25)", func(v string) error {
		var err error
		o.LatencyAt, err = floats(v, "a fraction in (0, 1]", func(x float64) bool { return x > 0 && x <= 1 })
		return err
	})
	fs.Func("latency-rates", "comma-separated `posts/s` at which latency is measured, instead of --latency-at (e.g. an event's expected peak)", func(v string) error {
		var err error
		o.LatencyRates, err = floats(v, "a rate of at least 1 post/s", func(x float64) bool { return x >= 1 })
		return err
	})
	fs.StringVar(&o.Out, "out", d.Out, "`directory` for e2e-<date>.json and .md")
	fs.StringVar(&o.RunDir, "run-dir", "", "`directory` of deploy/local's pid files, to measure the CPU of Kafka and ClickHouse running on this machine (empty: not measured)")
	fs.BoolVar(&o.Engine, "clickhouse-engine", false, "measure ClickHouse's Kafka engine with a matching materialized view too (needs --run-dir)")
	fs.IntVar(&o.EnginePosts, "clickhouse-engine-posts", d.EnginePosts, "posts the Kafka engine phase reads")
	fs.BoolVar(&o.Keep, "keep", false, "keep the run's topics and its ClickHouse database (by default deleted at the end)")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of earshot run (the first 5 s of the throughput phase) to this `file`")
	if err := parse(fs, args); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("cannot find this binary to run it: %w", err)
	}
	o.Earshot = self
	if o.KafkaSecurity, err = kf.security(); err != nil {
		return err
	}
	o.ChildKafkaArgs = kf.childArgs()
	o.ClickHouseUser, o.ClickHousePassword, o.ClickHouseTLS = sc.User, sc.Password, sc.TLS
	o.ChildClickHouseArgs = chArgs()
	// Secrets reach the processes the bench starts in their environment,
	// not in their arguments, which any user of the machine can read.
	if kf.saslPassw != "" {
		o.ChildEnv = append(o.ChildEnv, envName("kafka-sasl-password")+"="+kf.saslPassw)
	}
	if sc.Password != "" {
		o.ChildEnv = append(o.ChildEnv, envName("clickhouse-password")+"="+sc.Password)
	}
	if o.Posts <= 0 || o.Runs <= 0 || o.Rules <= 0 || o.EnginePosts <= 0 {
		return usageErr("--posts, --runs, --rules and --clickhouse-engine-posts must be positive")
	}
	o.SetDefaults()
	if err := o.Validate(); err != nil {
		return &usageError{err}
	}
	return harness.Run(ctx, o)
}

// floats parses a comma-separated list of numbers that each satisfy ok.
func floats(v, want string, ok func(float64) bool) ([]float64, error) {
	var xs []float64
	for _, f := range strings.Split(v, ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || !ok(x) {
			return nil, fmt.Errorf("%q is not %s", f, want)
		}
		xs = append(xs, x)
	}
	return xs, nil
}
