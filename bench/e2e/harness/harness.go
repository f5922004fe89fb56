// Package harness measures earshot end to end against a Kafka broker and a
// ClickHouse server, the way an operator validates a machine before a big
// event (perf.md, "End to end"); `earshot bench` and bench/e2e/run.sh run
// it:
//
//  1. Throughput: the generator writes N posts (fixed seed, 10k keyword
//     rules, the realistic mix: ~2% GPS, half with a profile location, 20%
//     reposts, 1% exact duplicates, an earthquake burst) to a new topic
//     first; then `earshot run` consumes them while nothing else runs. The
//     window is from its first fetched message to the moment its committed
//     offsets cover all N posts, which happens only after ClickHouse
//     acknowledged their rows: posts/s, the earshot process's CPU per post
//     (user + system, from /proc), the CPU of Kafka and ClickHouse (when
//     their processes run on this machine under deploy/local, Options.RunDir)
//     and of the whole machine over the same window, and earshot's peak RSS.
//     It runs three times (Options.Runs), each time as a new consumer group
//     into a new database; the report gives the medians and every run.
//  2. Latency: `earshot run` on another new topic while the generator, on
//     the same machine, sends at half (then a quarter) of the measured
//     throughput in real time (event time = wall time). It makes all its
//     posts, and compresses them into Kafka record batches, before the
//     clock starts (`earshot gen --pregenerate`): making a post and
//     compressing it cost more CPU than sending it, and a generator doing
//     them as it sends could not reach half of the pipeline's rate beside
//     it. ClickHouse is
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
//     posts per CPU-second of the ClickHouse server against earshot's: it
//     needs the server's process on this machine (Options.RunDir).
//
// Run writes e2e-<date>.{json,md} into Options.Out. It creates its topics
// (earshot-e2e-<time>-<random>*) and databases (earshot_e2e_<time>_<random>,
// with _r2, _r3… for the later throughput runs, and earshot_e2e_ch_… for
// the engine phase), and deletes them at the end
// unless Options.Keep.
package harness

import (
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/segmentio/kafka-go"

	"earshot/match"
	"earshot/stream"
)

// Options configures a run; the zero values of the fields marked so take
// their defaults (SetDefaults).
type Options struct {
	Earshot      string        // the earshot binary that generates and runs (required)
	Brokers      string        // Kafka bootstrap addresses, comma-separated (default 127.0.0.1:9092)
	ClickHouse   string        // ClickHouse native host:port (default 127.0.0.1:9000)
	Posts        int           // posts written before the throughput phase (default 6,000,000: runs of ~12 s)
	Runs         int           // throughput runs over those posts, whose medians the report gives (default 3)
	Rules        int           // keyword rules, whose mentions the generator plants (default 10,000)
	RulesFile    string        // the operator's rules (file or directory) for the pipeline under test instead of the generator's ("": those)
	PostsFile    string        // canonical posts (JSONL) the generator replays, each round with new ids, instead of generating posts ("": generated)
	Seed         int           // the generator's seed (default 1)
	LatencyFor   time.Duration // how long each latency run sends posts (0: no latency phase)
	LatencyAt    []float64     // fractions of the throughput at which latency is measured (default 0.5, 0.25)
	LatencyRates []float64     // posts/s at which latency is measured, instead of LatencyAt (an event's expected peak)
	Out          string        // directory of the report (default ".")
	RunDir       string        // deploy/local's pid files of Kafka and ClickHouse ("": their CPU is not measured, and no engine phase)
	Engine       bool          // measure ClickHouse's Kafka engine too (needs RunDir)
	EnginePosts  int           // posts the engine phase reads (default 100,000)
	CPUProfile   string        // a file for a CPU profile of `earshot run` over the throughput phase's first 5 s ("": none)
	Keep         bool          // keep the run's topics and database

	// How to reach a Kafka and a ClickHouse that want TLS or
	// authentication: the harness's own clients use KafkaSecurity and the
	// ClickHouse fields; its earshot processes get the same settings as
	// flags (ChildKafkaArgs for every child, ChildClickHouseArgs for run)
	// and secrets in their environment (ChildEnv, added to the harness's).
	KafkaSecurity       stream.Security
	ClickHouseUser      string // default "default"
	ClickHousePassword  string
	ClickHouseTLS       *tls.Config
	ChildKafkaArgs      []string
	ChildClickHouseArgs []string
	ChildEnv            []string

	admin string // where the pipeline under test serves /metrics (Run picks a free port)
}

// SetDefaults fills in the zero fields that have a default.
func (o *Options) SetDefaults() {
	if o.Brokers == "" {
		o.Brokers = "127.0.0.1:9092"
	}
	if o.ClickHouse == "" {
		o.ClickHouse = "127.0.0.1:9000"
	}
	if o.ClickHouseUser == "" {
		o.ClickHouseUser = "default"
	}
	if o.Posts == 0 {
		o.Posts = 6_000_000
	}
	if o.Runs == 0 {
		o.Runs = 3
	}
	if o.Rules == 0 {
		o.Rules = 10_000
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.LatencyAt == nil {
		o.LatencyAt = []float64{0.5, 0.25}
	}
	if o.Out == "" {
		o.Out = "."
	}
	if o.EnginePosts == 0 {
		o.EnginePosts = 100_000
	}
}

// Validate reports options out of range, saying what to fix.
func (o *Options) Validate() error {
	switch {
	case o.Earshot == "":
		return errors.New("no earshot binary to run")
	case o.Posts < 0 || o.Runs < 0 || o.Rules < 0 || o.EnginePosts < 0 || o.LatencyFor < 0:
		return fmt.Errorf("posts %d, runs %d, rules %d, engine posts %d and latency duration %v must be positive",
			o.Posts, o.Runs, o.Rules, o.EnginePosts, o.LatencyFor)
	case o.Engine && o.RunDir == "":
		return errors.New("the ClickHouse Kafka engine phase measures the ClickHouse server's CPU: it needs the run directory of deploy/local's pid files, or turn it off")
	case o.Engine && o.RulesFile != "":
		return errors.New("the ClickHouse Kafka engine phase matches the generator's keyword rules, not a rules file: turn it off to bench your rules")
	case o.Engine && o.KafkaSecurity.Enabled():
		return errors.New("the ClickHouse Kafka engine phase reads a plaintext Kafka (its security is the ClickHouse server's configuration): turn it off")
	}
	for _, f := range o.LatencyAt {
		if !(f > 0 && f <= 1) {
			return fmt.Errorf("latency fraction %v: want a fraction in (0, 1]", f)
		}
	}
	for _, r := range o.LatencyRates {
		if !(r >= 1) {
			return fmt.Errorf("latency rate %v: want at least 1 post/s", r)
		}
	}
	return nil
}

// Report is what a run measured; the JSON file holds it as is.
type Report struct {
	Date    string  `json:"date"`
	Machine Machine `json:"machine"`
	Posts   int     `json:"posts"`
	Rules   int     `json:"rules"` // the rules the pipeline ran
	Seed    int     `json:"seed"`
	// RulesFile is the operator's rules the pipeline ran (Options.RulesFile),
	// and Planted the generator's rules whose mentions the posts hold;
	// both are empty without a rules file.
	RulesFile string `json:"rules_file,omitempty"`
	Planted   int    `json:"planted_rules,omitempty"`
	// PostsFile is the file of posts replayed instead of generated ones
	// (Options.PostsFile).
	PostsFile string  `json:"posts_file,omitempty"`
	Produce   Produce `json:"produce"`
	// Throughput is the run of median CPU per post; Runs are all of them,
	// in order, and PostsPerSecond is their median.
	Throughput     Throughput   `json:"throughput"`
	Runs           []Throughput `json:"throughput_runs"`
	PostsPerSecond float64      `json:"median_posts_per_second"`
	Latency        []Latency    `json:"latency,omitempty"`
	Engine         *EngineRun   `json:"clickhouse_kafka_engine,omitempty"`
	Targets        []TargetRow  `json:"targets"`
	// LocalServices: Kafka and ClickHouse ran on this machine under
	// deploy/local, and their CPU was measured.
	LocalServices bool `json:"local_services"`
}

// Produce is the generator's pre-production of the throughput phase's posts.
type Produce struct {
	Seconds  float64 `json:"seconds"`
	Messages int     `json:"messages"`
}

// Run measures, writes the report and prints it.
func Run(ctx context.Context, o Options) error {
	o.SetDefaults()
	if err := o.Validate(); err != nil {
		return err
	}
	stamp := time.Now().UTC()
	// The run's topics and databases are named after its start, and a
	// random suffix: runs started in the same second do not share them.
	id := fmt.Sprintf("%s-%04x", stamp.Format("20060102-150405"), rand.IntN(1<<16))
	work, err := os.MkdirTemp("", "earshot-e2e-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	r := Report{Date: stamp.Format(time.RFC3339), Machine: describeMachine(), Posts: o.Posts, Rules: o.Rules, Seed: o.Seed, PostsFile: o.PostsFile}
	svc, err := findServices(o.RunDir)
	if err != nil {
		return err
	}
	r.LocalServices = svc.kafka != 0
	ch, err := clickhouse.Open(&clickhouse.Options{Addr: []string{o.ClickHouse}, TLS: o.ClickHouseTLS,
		Auth:     clickhouse.Auth{Username: o.ClickHouseUser, Password: o.ClickHousePassword},
		Settings: clickhouse.Settings{"max_query_size": 16 << 20}}) // the engine's view holds the 10k terms
	if err != nil {
		return err
	}
	defer ch.Close()

	topic := "earshot-e2e-" + id
	db := "earshot_e2e_" + strings.ReplaceAll(id, "-", "_")
	if o.admin, err = freeAddr(); err != nil {
		return err
	}
	dbs := []string{db} // one per throughput run, the first shared with the latency phase
	for k := 2; k <= o.Runs; k++ {
		dbs = append(dbs, fmt.Sprintf("%s_r%d", db, k))
	}
	if !o.Keep {
		defer cleanUp(o, ch, dbs, topic)
	}
	if o.PostsFile != "" {
		if _, err := os.Stat(o.PostsFile); err != nil {
			return fmt.Errorf("posts file: %w", err)
		}
	}
	genRules := filepath.Join(work, "rules.txt")
	rulesFile := genRules
	if o.RulesFile != "" {
		n, err := countRules(o.RulesFile)
		if err != nil {
			return err
		}
		rulesFile, r.RulesFile, r.Rules, r.Planted = o.RulesFile, o.RulesFile, n, o.Rules
		fmt.Printf("bench: the pipeline runs your %d rules from %s; the posts hold mentions of the generator's %d\n", n, o.RulesFile, o.Rules)
	}
	fmt.Printf("bench: writing %d posts (%d rules, seed %d) to %s\n", o.Posts, o.Rules, o.Seed, topic)
	t0 := time.Now()
	// Every post is dated in the past, its last 7 minutes ago (at 1,000
	// posts/s of event time): the pipeline's burst detector does not count
	// posts dated more than 5 minutes past the wall clock (maxAhead), so
	// posts in the future would cost it less than a live firehose's.
	eventStart := stamp.Add(-time.Duration(o.Posts)*time.Millisecond - 7*time.Minute)
	if err := produce(ctx, o, topic, o.Posts, eventStart, "--rules-out", genRules); err != nil {
		return err
	}
	r.Produce = Produce{Seconds: time.Since(t0).Seconds(), Messages: o.Posts}

	// Each throughput run reads the same posts as a new consumer group
	// into a new database: the same work, and the machine's noise shows
	// in their spread.
	for k, runDB := range dbs {
		if err := ch.Exec(ctx, "DROP DATABASE IF EXISTS "+runDB); err != nil {
			return err
		}
		fmt.Printf("bench: throughput phase, run %d of %d\n", k+1, len(dbs))
		t, err := throughput(ctx, o, svc, pipelineArgs(o, topic, fmt.Sprintf("e2e-%s-r%d", id, k+1), runDB, rulesFile), o.Posts)
		if err != nil {
			return fmt.Errorf("throughput: %w", err)
		}
		if err := mentionsStored(ctx, ch, runDB, topic, &t); err != nil {
			return err
		}
		fmt.Printf("bench: %.0f posts/s, %.2f µs CPU per post\n", t.PostsPerSecond, t.CPUMicrosPerPost)
		r.Runs = append(r.Runs, t)
		o.CPUProfile = "" // of the first run only
	}
	r.Throughput = medianBy(r.Runs, func(t Throughput) float64 { return t.CPUMicrosPerPost })
	r.PostsPerSecond = medianBy(r.Runs, func(t Throughput) float64 { return t.PostsPerSecond }).PostsPerSecond
	if len(r.Runs) > 1 {
		fmt.Printf("bench: medians %.0f posts/s, %.2f µs CPU per post\n", r.PostsPerSecond, r.Throughput.CPUMicrosPerPost)
	}

	rates, fractions := latencyRates(o, r.PostsPerSecond)
	for k, rate := range rates {
		if o.LatencyFor <= 0 {
			break
		}
		f := fractions[k]
		fmt.Printf("bench: latency at %.0f posts/s (%.2f of the throughput)\n", rate, f)
		live := fmt.Sprintf("%s-live%d", topic, k)
		l, err := latency(ctx, o, svc, ch, pipelineArgs(o, live, fmt.Sprintf("e2e-live%d-%s", k, id), db, rulesFile), live, db, rate)
		if err != nil {
			return fmt.Errorf("latency: %w", err)
		}
		l.Fraction = f
		r.Latency = append(r.Latency, *l)
		fmt.Printf("bench: p50 %.0f ms, p99 %.0f ms; the generator sent %.0f posts/s\n", l.P50Ms, l.P99Ms, l.SentPerSecond)
	}

	if o.Engine {
		fmt.Println("bench: ClickHouse Kafka engine phase")
		e, err := engineRun(ctx, o, svc, ch, topic, genRules, "e2e-ch-"+id, eventStart)
		if err != nil {
			return fmt.Errorf("clickhouse kafka engine: %w", err)
		}
		r.Engine = e
		fmt.Printf("bench: ClickHouse Kafka engine %.0f posts/s, %.0f posts per CPU-second\n", e.PostsPerSecond, e.PostsPerCPUSecond)
	}
	r.Targets = targets(&r)
	return writeReport(o.Out, stamp, &r)
}

// cleanUp deletes the run's topics (every topic named after its input
// topic: the phases' own, their dead-letter and alert topics) and its
// database.
func cleanUp(o Options, ch driver.Conn, dbs []string, topic string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := &kafka.Client{Addr: kafka.TCP(strings.Split(o.Brokers, ",")...), Transport: o.KafkaSecurity.Transport()}
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
		fmt.Fprintf(os.Stderr, "bench: deleting the topics %s*: %v\n", topic, err)
	}
	for _, db := range dbs {
		if err := ch.Exec(ctx, "DROP DATABASE IF EXISTS "+db); err != nil {
			fmt.Fprintln(os.Stderr, "bench: dropping "+db+":", err)
		}
	}
}

// latencyRates returns the rates at which latency is measured and their
// fractions of the measured throughput: o.LatencyRates as given, else
// o.LatencyAt's fractions of throughput.
func latencyRates(o Options, throughput float64) (rates, fractions []float64) {
	if len(o.LatencyRates) > 0 {
		for _, rate := range o.LatencyRates {
			fractions = append(fractions, rate/throughput)
		}
		return o.LatencyRates, fractions
	}
	for _, f := range o.LatencyAt {
		rates = append(rates, throughput*f)
	}
	return rates, o.LatencyAt
}

// medianBy returns the run whose key is the median of runs' (the lower
// of the two middle ones for an even count).
func medianBy(runs []Throughput, key func(Throughput) float64) Throughput {
	sorted := slices.Clone(runs)
	slices.SortStableFunc(sorted, func(a, b Throughput) int { return cmp.Compare(key(a), key(b)) })
	return sorted[(len(sorted)-1)/2]
}

// countRules loads and compiles a rules file or directory as the pipeline
// will, and returns how many rules are in force: a file that does not
// compile stops the bench before it writes anything.
func countRules(path string) (int, error) {
	rules, err := match.LoadPath(path)
	if err == nil {
		var e *match.Engine
		if e, err = match.Compile(rules); err == nil {
			return len(e.Rules()), nil
		}
	}
	return 0, fmt.Errorf("rules file %s rejected:\n%w", path, err)
}

// pipelineArgs are `earshot run`'s arguments for a phase: its own topic,
// group and the bench database; the burst detector on, as in production.
func pipelineArgs(o Options, topic, group, db, rulesFile string) []string {
	args := []string{"run", "--kafka-brokers", o.Brokers, "--topic", topic, "--group", group,
		"--clickhouse-addr", o.ClickHouse, "--clickhouse-database", db, "--rules", rulesFile,
		"--http-addr", o.admin}
	return append(args, o.ChildClickHouseArgs...)
}

// freeAddr returns a local address no one listens on now, for the pipeline
// under test to serve /metrics, /readyz and /debug/pprof/ on: runs on one
// machine at the same time do not read each other's metrics.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("cannot find a free port for the pipeline's metrics: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// adminURL is the URL of path on the pipeline under test.
func (o *Options) adminURL(path string) string { return "http://" + o.admin + path }

// produce writes count posts to topic with the generator, as fast as it
// can; event time starts at start, at 1,000 posts/s with an earthquake
// burst 10 minutes in (so the detector warms up and triggers as in
// production), and again every 30 minutes, so that any count has the same
// share of burst posts (2M posts span 33 minutes). The same seed and rules
// give the same posts.
func produce(ctx context.Context, o Options, topic string, count int, start time.Time, extra ...string) error {
	args := append([]string{"gen", "--kafka-brokers", o.Brokers, "--topic", topic,
		"--count", fmt.Sprint(count), "--throttle=false", "--rate", "1000", "--seed", fmt.Sprint(o.Seed),
		"--rules-count", fmt.Sprint(o.Rules), "--start", start.Format(time.RFC3339)}, o.postsArgs("--burst-at", "10m", "--burst-every", "30m")...)
	args = append(args, extra...)
	if err := o.command(ctx, args...).Run(); err != nil {
		return fmt.Errorf("generator: %w", err)
	}
	return nil
}

// postsArgs are the generator's arguments for its posts: --replay of the
// posts file, or generated posts with the given arguments.
func (o *Options) postsArgs(generated ...string) []string {
	if o.PostsFile != "" {
		return []string{"--replay", o.PostsFile}
	}
	return generated
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
func (o *Options) command(ctx context.Context, args ...string) *exec.Cmd {
	// Every child is `earshot run` or `earshot gen`: both take the Kafka
	// settings.
	c := exec.CommandContext(ctx, o.Earshot, append(slices.Clone(args), o.ChildKafkaArgs...)...)
	if len(o.ChildEnv) > 0 {
		c.Env = append(os.Environ(), o.ChildEnv...)
	}
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

func (o *Options) startChild(ctx context.Context, args ...string) (*child, error) {
	return start(o.command(ctx, args...))
}

// start starts cmd as a child.
func start(cmd *exec.Cmd) (*child, error) {
	c := &child{cmd: cmd, done: make(chan struct{})}
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
	fmt.Printf("bench: wrote %s.json and %s.md\n", base, base)
	return nil
}
