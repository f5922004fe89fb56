package stream_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"earshot/bench/e2e"
	"earshot/bench/firehose"
	"earshot/enrich"
	"earshot/match"
	"earshot/sink"
	"earshot/stream"
)

type env struct {
	brokers []string
	topic   string
	chAddr  string
	db      string
	store   *sink.Client
	engine  *match.Engine
	en      *enrich.Enricher
}

func newEnv(t *testing.T, ctx context.Context, rules []string) *env {
	kafkaAddr, chAddr := e2e.Services(t)
	suffix := fmt.Sprintf("%d_%d", time.Now().UnixNano(), rand.IntN(1e6))
	e := &env{brokers: []string{kafkaAddr}, topic: "it-posts-" + suffix}
	if err := stream.EnsureTopics(ctx, e.brokers, stream.Security{}, 4, 1, e.topic, e.topic+".dlq"); err != nil {
		t.Fatalf("kafka at %s: %v", kafkaAddr, err)
	}
	t.Cleanup(func() {
		c := &kafka.Client{Addr: kafka.TCP(e.brokers...)}
		c.DeleteTopics(context.Background(), &kafka.DeleteTopicsRequest{Topics: []string{e.topic, e.topic + ".dlq"}})
	})
	db := "earshot_it_" + suffix
	e.chAddr, e.db = chAddr, db
	store, err := sink.Open(ctx, sink.Config{Addr: chAddr, Database: db})
	if err != nil {
		t.Fatalf("clickhouse at %s: %v", chAddr, err)
	}
	t.Cleanup(func() {
		store.DropDatabase(context.Background())
		store.Close()
	})
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	e.store = store
	parsed, err := match.Parse("rules.txt", []byte(strings.Join(rules, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	if e.engine, err = match.Compile(parsed); err != nil {
		t.Fatal(err)
	}
	if e.en, err = enrich.New(enrich.Config{}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) produce(t *testing.T, ctx context.Context, msgs []kafka.Message) {
	t.Helper()
	w := &kafka.Writer{Addr: kafka.TCP(e.brokers...), Topic: e.topic, Balancer: &kafka.Murmur2Balancer{},
		RequiredAcks: kafka.RequireAll, BatchSize: 2000, BatchTimeout: 5 * time.Millisecond}
	defer w.Close()
	for i := 0; i < len(msgs); i += 2000 {
		if err := w.WriteMessages(ctx, msgs[i:min(i+2000, len(msgs))]...); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
}

// pipeline starts a pipeline in group, its metrics in a registry of its
// own; stop cancels it and waits.
func (e *env) pipeline(t *testing.T, group string) (*stream.Pipeline, *prometheus.Registry, func()) {
	t.Helper()
	reg := prometheus.NewRegistry()
	pl, err := stream.New(stream.Config{
		Brokers: e.brokers, Topic: e.topic, Group: group,
		BatchInterval: 300 * time.Millisecond, BatchRows: 5000, ChunkMessages: 1000,
		SessionTimeout: 6 * time.Second, ShutdownTimeout: 20 * time.Second,
	}, stream.Deps{Engine: func() *match.Engine { return e.engine }, Store: e.store, Enricher: e.en, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- pl.Run(ctx) }()
	return pl, reg, func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("pipeline stopped with error: %v", err)
			}
		case <-time.After(40 * time.Second):
			t.Fatal("pipeline did not stop within 40s")
		}
	}
}

// seriesOf is the number of series of the metric name in reg.
func seriesOf(t *testing.T, reg *prometheus.Registry, name string) int {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return len(mf.GetMetric())
		}
	}
	return 0
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(timeout); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out after %s waiting for %s", timeout, what)
}

// TestPipelineGroundTruth generates a firehose with exact ground truth
// (firehose duplicates, reposts, wrong-typed fields, malformed messages),
// runs it through real Kafka and ClickHouse, and requires the aggregates to
// equal the truth exactly; then replays the topic under a new consumer
// group, which must add nothing.
func TestPipelineGroundTruth(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rules := firehose.Rules(500)
	e := newEnv(t, ctx, rules)

	g, err := firehose.New(firehose.Config{Seed: 42, Start: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
		Rate: 200, Rules: rules, MatchFraction: 0.05, Bursts: []firehose.Burst{firehose.DefaultBurst(30 * time.Second)}})
	if err != nil {
		t.Fatal(err)
	}
	const n = 30_000
	var msgs []kafka.Message
	var malformedSent int
	bad := []string{"not json", `{"id":"x"}`, `{"id":"y","created_at":"nope","text":"t"}`, "[]", "\xff"}
	for i := 0; i < n; i++ {
		m := g.Next()
		msgs = append(msgs, kafka.Message{Key: append([]byte(nil), m.Key...), Value: append([]byte(nil), m.Value...)})
		if i%1500 == 0 {
			msgs = append(msgs, kafka.Message{Key: []byte(fmt.Sprint("bad-", i)), Value: []byte(bad[malformedSent%len(bad)])})
			malformedSent++
		}
	}
	truth := g.Truth()
	if truth.Mentions < 1000 || truth.Duplicates == 0 {
		t.Fatalf("generated stream too thin for the test: %d mentions, %d duplicates", truth.Mentions, truth.Duplicates)
	}
	e.produce(t, ctx, msgs)

	pl, reg, stop := e.pipeline(t, e.topic+"-g1")
	st := pl.Stats()
	waitFor(t, 3*time.Minute, "the pipeline to consume and insert everything", func() bool {
		return st.Consumed.Load() >= int64(len(msgs)) && st.Inserted.Load() == st.Mentions.Load() && st.Lag() == 0
	})
	// The per-partition gauges describe partitions owned now: one series
	// per partition while it runs, none once it let them go.
	perPartition := []string{"earshot_consumer_lag", "earshot_committed_offset", "earshot_dedup_keys", "earshot_dedup_bytes", "earshot_dedup_early_rotations"}
	for _, name := range perPartition {
		if n := seriesOf(t, reg, name); n == 0 {
			t.Errorf("%s: no series while the partitions are owned", name)
		}
	}
	stop()
	for _, name := range perPartition {
		if n := seriesOf(t, reg, name); n != 0 {
			t.Errorf("%s: %d series after the pipeline let its partitions go", name, n)
		}
	}

	if got := st.DeadLetters.Load(); got != int64(malformedSent) {
		t.Errorf("dead letters: %d, want %d", got, malformedSent)
	}
	raw, err := e.store.RawCount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if raw != uint64(truth.Mentions) {
		t.Errorf("raw mentions: %d rows, want %d", raw, truth.Mentions)
	}
	e2e.CompareTruth(t, ctx, e.store, truth)
	checkDeadLetters(t, ctx, e, malformedSent)

	// A new group has no committed offsets: it must resume right after the
	// offsets ClickHouse stores with the rows (progress markers included),
	// so it reads nothing again and counts nothing twice.
	pl2, _, stop2 := e.pipeline(t, e.topic+"-g2")
	waitFor(t, time.Minute, "the second group to own its partitions", pl2.Ready)
	time.Sleep(3 * time.Second) // time enough to read anything it would wrongly read
	stop2()
	if raw2, _ := e.store.RawCount(ctx); raw2 != raw {
		t.Errorf("replay under a new group changed the raw count: %d → %d", raw, raw2)
	}
	if got := pl2.Stats().Consumed.Load(); got != 0 {
		t.Errorf("the new group re-read %d messages; it should resume after the stored offsets", got)
	}
}

// readTopic returns every message of topic's partitions 0..partitions-1,
// each read up to its high watermark (no guessing with read timeouts).
func readTopic(t *testing.T, ctx context.Context, brokers []string, topic string, partitions int) []kafka.Message {
	t.Helper()
	var out []kafka.Message
	for p := 0; p < partitions; p++ {
		conn, err := kafka.DialLeader(ctx, "tcp", brokers[0], topic, p)
		if err != nil {
			t.Fatal(err)
		}
		last, err := conn.ReadLastOffset()
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		if last == 0 {
			continue
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: p, MaxWait: 200 * time.Millisecond})
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		for {
			m, err := r.ReadMessage(rctx)
			if err != nil {
				t.Fatalf("%s partition %d: %v", topic, p, err)
			}
			out = append(out, m)
			if m.Offset == last-1 {
				break
			}
		}
		cancel()
		r.Close()
	}
	return out
}

// checkDeadLetters reads the dead-letter topic: every malformed message is
// there with its reason and source coordinates.
func checkDeadLetters(t *testing.T, ctx context.Context, e *env, want int) {
	t.Helper()
	msgs := readTopic(t, ctx, e.brokers, e.topic+".dlq", 4)
	for _, m := range msgs {
		h := map[string]string{}
		for _, x := range m.Headers {
			h[x.Key] = string(x.Value)
		}
		if h[stream.HeaderReason] == "" || h[stream.HeaderSourceTopic] != e.topic ||
			h[stream.HeaderSourcePartition] == "" || h[stream.HeaderSourceOffset] == "" {
			t.Errorf("dead letter %q lacks its headers: %v", m.Value, h)
		}
		// The fetcher keeps values only: the source message's key was read
		// again for its dead letter.
		if len(m.Key) == 0 || h[stream.HeaderOriginalUnread] != "" {
			t.Errorf("dead letter %q without its message's key: %q, %v", m.Value, m.Key, h)
		}
	}
	if len(msgs) != want {
		t.Errorf("dead-letter topic holds %d messages, want %d", len(msgs), want)
	}
}

// The alert tests share one stream: 32 minutes of background event time
// (enough to warm the burst detector up) from burstStart, then the default
// earthquake burst in Mexico at burstAt, for a minute.
var burstStart = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

const burstAt = 32 * time.Minute

// burstStream generates that stream for terms: the messages, their posts'
// creation times, and the ground truth over every message returned.
func burstStream(t *testing.T, terms []string) ([]kafka.Message, []time.Time, *firehose.Truth) {
	t.Helper()
	g, err := firehose.New(firehose.Config{Seed: 7, Start: burstStart, Rate: 20, Rules: terms, MatchFraction: 0.05,
		Bursts: []firehose.Burst{firehose.DefaultBurst(burstAt)}})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []kafka.Message
	var created []time.Time
	for end := burstStart.Add(burstAt + time.Minute); ; {
		m := g.Next()
		// The truth counts every message emitted: the last one is kept too.
		msgs = append(msgs, kafka.Message{Key: append([]byte(nil), m.Key...), Value: append([]byte(nil), m.Value...)})
		created = append(created, m.CreatedAt)
		if m.CreatedAt.After(end) {
			return msgs, created, g.Truth()
		}
	}
}

// TestLateInsertHoldsResumeOffsets: the owner before gave up on an INSERT
// of partition 0's first ten messages that ClickHouse still runs (two
// views named to run before the offset and dedup views sleep 3 s each, so
// mentions holds the rows while ingest_offsets does not yet). A new
// pipeline must wait until it has landed before reading the resume
// offsets, or it reads those ten messages again and stores them twice.
func TestLateInsertHoldsResumeOffsets(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := newEnv(t, ctx, []string{"quake"})
	const n = 200
	at := time.Now().UTC().Truncate(time.Millisecond)
	var msgs []kafka.Message
	for i := range n {
		id := fmt.Sprint("late-", i)
		msgs = append(msgs, kafka.Message{Key: []byte(id),
			Value: fmt.Appendf(nil, `{"id":%q,"created_at":%q,"text":"quake number %d"}`, id, at.Format(time.RFC3339Nano), i)})
	}
	e.produce(t, ctx, msgs)

	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{e.chAddr}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{
		`CREATE TABLE ` + e.db + `.slow_sink (x UInt8) ENGINE = Null`,
		`CREATE MATERIALIZED VIEW ` + e.db + `.a_slow_mv TO ` + e.db + `.slow_sink AS SELECT toUInt8(sleep(3)) AS x FROM ` + e.db + `.mentions`,
		`CREATE MATERIALIZED VIEW ` + e.db + `.a_slow2_mv TO ` + e.db + `.slow_sink AS SELECT toUInt8(sleep(3)) AS x FROM ` + e.db + `.mentions`,
	} {
		if err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var rows []sink.Mention
	for off := range int64(10) {
		rows = append(rows, sink.Mention{CreatedAt: at, Topic: e.topic, Partition: 0, Offset: off, RuleID: "quake",
			PostID: fmt.Sprint("gone-", off), Text: "quake"})
	}
	ictx, giveUp := context.WithCancel(ctx)
	landed := make(chan error, 1)
	go func() { landed <- e.store.Insert(ictx, rows) }()
	time.Sleep(300 * time.Millisecond)
	giveUp() // as a fenced flush or a killed process does; the server goes on
	<-landed
	if n, _, err := e.store.RunningInserts(ctx, 0); err != nil || n != 1 {
		t.Fatalf("the insert given up is not running on the server (%d, %v): the test sets nothing up", n, err)
	}

	pl, reg, stop := e.pipeline(t, e.topic+"-late")
	st := pl.Stats()
	waitFor(t, time.Minute, "the pipeline to consume and insert everything", func() bool {
		return st.Consumed.Load() >= n-10 && st.Inserted.Load() == st.Mentions.Load() && st.Lag() == 0
	})
	stop()
	if waits := gathered(t, reg, "earshot_late_insert_waits_total"); waits < 1 {
		t.Errorf("earshot_late_insert_waits_total %v: the pipeline did not wait for the insert", waits)
	}
	raw, err := e.store.RawCount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if raw != n {
		t.Errorf("raw mentions: %d rows, want %d (the ten of the late insert and the %d after them)", raw, n, n-10)
	}
}

// gathered is the value of the unlabelled counter or gauge name in reg.
func gathered(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.Metric) == 1 {
			if c := mf.Metric[0].GetCounter(); c != nil {
				return c.GetValue()
			}
			return mf.Metric[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
