// Command e2ebench measures earshot end to end on the local Kafka and
// ClickHouse that deploy/local starts, the way an operator validates a
// machine before a big event (perf.md, "End to end"):
//
//  1. Throughput: the generator writes N posts (fixed seed, 10k keyword
//     rules, the realistic mix: ~2% GPS, half with a profile location, 20%
//     reposts, 1% exact duplicates, an earthquake burst) to a new topic
//     first; then `earshot run` consumes them while nothing else runs. The
//     window is from its first fetched message to the moment its committed
//     offsets cover all N posts, which happens only after ClickHouse
//     acknowledged their rows: posts/s, the earshot process's CPU per post
//     (user + system, from /proc), the CPU of Kafka and ClickHouse and of the
//     whole machine over the same window, and earshot's peak RSS.
//  2. Latency: `earshot run` on another new topic while the generator, on
//     the same machine, sends at half (then a quarter) of the measured
//     throughput in real time (event time = wall time); ClickHouse is
//     polled every 100 ms for mentions it did not show before, and each
//     post's latency is the poll's time less its created_at: from produced
//     to visible in the mentions table and its aggregate views (ClickHouse
//     fills the views in the insert). That holds while the generator keeps
//     to its schedule; a run where it did not is reported as such.
//  3. ClickHouse's own Kafka table engine with a materialized view that does
//     the keyword match (the reference perf.md names): the first 100k of the
//     same posts, in a topic of their own, read by the server itself, each post's rules found by one regular
//     expression of all the terms between word boundaries, case-insensitive
//     (extractAll; the Debian ClickHouse here, 18.16, has no multi-pattern
//     search functions), rows per rule and post into a MergeTree table. Its
//     posts per CPU-second of the ClickHouse server against earshot's.
//
// It writes bench/results/e2e-<date>.{json,md}. Run it with
// bench/e2e/run.sh, which starts the services and builds the binary.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/segmentio/kafka-go"
)

type options struct {
	earshot    string
	brokers    string
	clickhouse string
	posts      int
	rules      int
	seed       int
	latencyFor time.Duration
	latencyAt  []float64
	out        string
	runDir     string
	engine     bool
	enginePost int
	profile    string
	keep       bool
}

func main() {
	var o options
	flag.StringVar(&o.earshot, "earshot", "bin/earshot", "the earshot `binary`")
	flag.StringVar(&o.brokers, "kafka-brokers", "127.0.0.1:9092", "Kafka bootstrap `addresses`")
	flag.StringVar(&o.clickhouse, "clickhouse-addr", "127.0.0.1:9000", "ClickHouse native `host:port`")
	flag.IntVar(&o.posts, "posts", 2_000_000, "posts written before the throughput phase")
	flag.IntVar(&o.rules, "rules", 10_000, "keyword rules (the generator plants mentions of them)")
	flag.IntVar(&o.seed, "seed", 1, "generator seed")
	flag.DurationVar(&o.latencyFor, "latency-duration", 30*time.Second, "how long each latency run sends posts (0: no latency phase)")
	flag.Func("latency-at", "comma-separated `fractions` of the measured throughput at which latency is measured (default 0.5,0.25)", func(v string) error {
		o.latencyAt = nil
		for _, f := range strings.Split(v, ",") {
			x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || x <= 0 || x > 1 {
				return fmt.Errorf("%q is not a fraction in (0, 1]", f)
			}
			o.latencyAt = append(o.latencyAt, x)
		}
		return nil
	})
	flag.StringVar(&o.out, "out", "bench/results", "`directory` for e2e-<date>.json and .md")
	flag.StringVar(&o.runDir, "run-dir", ".local/run", "`directory` of the services' pid files (deploy/local)")
	flag.BoolVar(&o.engine, "clickhouse-engine", true, "measure ClickHouse's Kafka engine with a matching materialized view too")
	flag.IntVar(&o.enginePost, "clickhouse-engine-posts", 100_000, "posts the Kafka engine phase reads (it matches ~1,000 per second here)")
	flag.BoolVar(&o.keep, "keep", false, "keep the run's topics and its ClickHouse database (by default deleted at the end: a run writes ~10M posts)")
	flag.StringVar(&o.profile, "cpuprofile", "", "write a CPU profile of `earshot run`, its first 5 s of the throughput phase, to this file")
	flag.Parse()
	if o.latencyAt == nil {
		o.latencyAt = []float64{0.5, 0.25}
	}
	if o.posts <= 0 || o.rules <= 0 || o.enginePost <= 0 {
		fmt.Fprintln(os.Stderr, "e2ebench: --posts, --rules and --clickhouse-engine-posts must be positive")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "e2ebench:", err)
		os.Exit(1)
	}
}

// Report is what a run measured; the JSON file holds it as is.
type Report struct {
	Date       string      `json:"date"`
	Machine    Machine     `json:"machine"`
	Posts      int         `json:"posts"`
	Rules      int         `json:"rules"`
	Seed       int         `json:"seed"`
	Produce    Produce     `json:"produce"`
	Throughput Throughput  `json:"throughput"`
	Latency    []Latency   `json:"latency,omitempty"`
	Engine     *EngineRun  `json:"clickhouse_kafka_engine,omitempty"`
	Targets    []TargetRow `json:"targets"`
}

// Produce is the generator's pre-production of the throughput phase's posts.
type Produce struct {
	Seconds  float64 `json:"seconds"`
	Messages int     `json:"messages"`
}

func run(ctx context.Context, o options) error {
	stamp := time.Now().UTC()
	id := stamp.Format("20060102-150405")
	work, err := os.MkdirTemp("", "earshot-e2e-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	r := Report{Date: stamp.Format(time.RFC3339), Machine: describeMachine(), Posts: o.posts, Rules: o.rules, Seed: o.seed}
	svc, err := findServices(o.runDir)
	if err != nil {
		return err
	}
	ch, err := clickhouse.Open(&clickhouse.Options{Addr: []string{o.clickhouse},
		Settings: clickhouse.Settings{"max_query_size": 16 << 20}}) // the engine's view holds the 10k terms
	if err != nil {
		return err
	}
	defer ch.Close()

	topic := "earshot-e2e-" + id
	db := "earshot_e2e"
	if !o.keep {
		defer cleanUp(o, ch, db, topic)
	}
	rulesFile := filepath.Join(work, "rules.txt")
	fmt.Printf("e2ebench: writing %d posts (%d rules, seed %d) to %s\n", o.posts, o.rules, o.seed, topic)
	t0 := time.Now()
	eventStart := stamp.Add(-40 * time.Minute)
	if err := produce(ctx, o, topic, o.posts, eventStart, "--rules-out", rulesFile); err != nil {
		return err
	}
	r.Produce = Produce{Seconds: time.Since(t0).Seconds(), Messages: o.posts}

	if err := ch.Exec(ctx, "DROP DATABASE IF EXISTS "+db); err != nil {
		return err
	}
	fmt.Println("e2ebench: throughput phase")
	r.Throughput, err = throughput(ctx, o, svc, pipelineArgs(o, topic, "e2e-"+id, db, rulesFile), o.posts)
	if err != nil {
		return fmt.Errorf("throughput: %w", err)
	}
	if err := mentionsStored(ctx, ch, db, topic, &r.Throughput); err != nil {
		return err
	}
	fmt.Printf("e2ebench: %.0f posts/s, %.2f µs CPU per post\n", r.Throughput.PostsPerSecond, r.Throughput.CPUMicrosPerPost)

	for k, f := range o.latencyAt {
		if o.latencyFor <= 0 {
			break
		}
		rate := r.Throughput.PostsPerSecond * f
		fmt.Printf("e2ebench: latency at %.0f posts/s (%.2f of the throughput)\n", rate, f)
		live := fmt.Sprintf("%s-live%d", topic, k)
		l, err := latency(ctx, o, svc, ch, pipelineArgs(o, live, fmt.Sprintf("e2e-live%d-%s", k, id), db, rulesFile), live, db, rate)
		if err != nil {
			return fmt.Errorf("latency: %w", err)
		}
		l.Fraction = f
		r.Latency = append(r.Latency, *l)
		fmt.Printf("e2ebench: p50 %.0f ms, p99 %.0f ms; the generator sent %.0f posts/s\n", l.P50Ms, l.P99Ms, l.SentPerSecond)
	}

	if o.engine {
		fmt.Println("e2ebench: ClickHouse Kafka engine phase")
		e, err := engineRun(ctx, o, svc, ch, topic, rulesFile, "e2e-ch-"+id, eventStart)
		if err != nil {
			return fmt.Errorf("clickhouse kafka engine: %w", err)
		}
		r.Engine = e
		fmt.Printf("e2ebench: ClickHouse Kafka engine %.0f posts/s, %.0f posts per CPU-second\n", e.PostsPerSecond, e.PostsPerCPUSecond)
	}
	r.Targets = targets(&r)
	return writeReport(o.out, stamp, &r)
}

// cleanUp deletes the run's topics (every topic named after its input
// topic: the phases' own, their dead-letter and alert topics) and its
// database.
func cleanUp(o options, ch driver.Conn, db, topic string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := &kafka.Client{Addr: kafka.TCP(strings.Split(o.brokers, ",")...)}
	md, err := c.Metadata(ctx, &kafka.MetadataRequest{})
	if err == nil {
		var names []string
		for _, t := range md.Topics {
			if strings.HasPrefix(t.Name, topic) {
				names = append(names, t.Name)
			}
		}
		_, err = c.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: names})
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2ebench: deleting the topics %s*: %v\n", topic, err)
	}
	if err := ch.Exec(ctx, "DROP DATABASE IF EXISTS "+db); err != nil {
		fmt.Fprintln(os.Stderr, "e2ebench: dropping "+db+":", err)
	}
}

// pipelineArgs are `earshot run`'s arguments for a phase: its own topic,
// group and the bench database; the burst detector on, as in production.
func pipelineArgs(o options, topic, group, db, rulesFile string) []string {
	return []string{"run", "--kafka-brokers", o.brokers, "--topic", topic, "--group", group,
		"--clickhouse-addr", o.clickhouse, "--clickhouse-database", db, "--rules", rulesFile,
		"--http-addr", adminAddr}
}

// adminAddr is where the pipeline under test serves /metrics, /readyz and
// /debug/pprof/.
const adminAddr = "127.0.0.1:9469"

func adminURL(path string) string { return "http://" + adminAddr + path }

// produce writes count posts to topic with the generator, as fast as it
// can; event time starts at start, at 1,000 posts/s with an earthquake
// burst 10 minutes in (so the detector warms up and triggers as in
// production). The same seed and rules give the same posts.
func produce(ctx context.Context, o options, topic string, count int, start time.Time, extra ...string) error {
	args := append([]string{"gen", "--kafka-brokers", o.brokers, "--topic", topic,
		"--count", fmt.Sprint(count), "--throttle=false", "--rate", "1000", "--seed", fmt.Sprint(o.seed),
		"--rules-count", fmt.Sprint(o.rules), "--start", start.Format(time.RFC3339), "--burst-at", "10m"}, extra...)
	if err := command(ctx, o.earshot, args...).Run(); err != nil {
		return fmt.Errorf("generator: %w", err)
	}
	return nil
}

// wait returns after d, or ctx's error when it ends first.
func wait(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// command returns cmd with the harness's stderr.
func command(ctx context.Context, name string, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, name, args...)
	c.Stderr = os.Stderr
	c.Cancel = func() error { return c.Process.Signal(os.Interrupt) }
	c.WaitDelay = 40 * time.Second
	return c
}

// child is a running earshot process that the harness waits for.
type child struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when it has exited; err is set then
	err  error
}

func startChild(ctx context.Context, name string, args ...string) (*child, error) {
	c := &child{cmd: command(ctx, name, args...), done: make(chan struct{})}
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

// exited returns an error when the process has ended before it was told to.
func (c *child) exited() error {
	select {
	case <-c.done:
		return fmt.Errorf("%s exited early: %v", c.cmd.Path, c.err)
	default:
		return nil
	}
}

// stop interrupts the process (a pipeline flushes and commits) and waits.
func (c *child) stop() error {
	select {
	case <-c.done:
		return c.err
	default:
	}
	if err := c.cmd.Process.Signal(os.Interrupt); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	<-c.done
	return c.err
}

func writeReport(dir string, stamp time.Time, r *Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	base := filepath.Join(dir, "e2e-"+stamp.Format("2006-01-02"))
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(base+".json", append(js, '\n'), 0o644); err != nil {
		return err
	}
	md := markdown(r)
	if err := os.WriteFile(base+".md", []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Print(md)
	fmt.Printf("e2ebench: wrote %s.json and %s.md\n", base, base)
	return nil
}
