package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/segmentio/kafka-go"

	"earshot/bench/e2e"
	"earshot/bench/firehose"
	"earshot/sink"
	"earshot/stream"
	"earshot/stream/dedup"
)

// TestFaultsKill9 is the delivery proof: it runs several `earshot run`
// processes in one consumer group against real Kafka and ClickHouse while a
// producer keeps writing a firehose with exact ground truth (duplicates,
// reposts, malformed messages), kills processes with SIGKILL at random
// moments and restarts them, adds a consumer and stops another with SIGTERM,
// and then requires the raw table and both aggregate tables to equal the
// ground truth exactly (nothing lost, nothing counted twice) and the copy
// flags to be those of an owner that never restarted.
//
// EARSHOT_FAULTS_SEED replays a schedule (the seed is logged).
func TestFaultsKill9(t *testing.T) {
	kafkaAddr, chAddr := e2e.Services(t)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("EARSHOT_FAULTS_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("EARSHOT_FAULTS_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("schedule seed %d (EARSHOT_FAULTS_SEED=%d replays it)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	setup := time.Now()

	bin := earshotBin(t) // the binary as shipped (PGO), built once for all the CLI tests
	dir := t.TempDir()

	// A fresh topic (6 partitions) and a fresh database.
	const partitions = 6
	suffix := fmt.Sprintf("%d_%d", time.Now().UnixNano(), rand.IntN(1e6))
	topic, db := "faults-"+suffix, "earshot_faults_"+suffix
	brokers := []string{kafkaAddr}
	if err := stream.EnsureTopics(ctx, brokers, partitions, 1, topic, topic+".dlq"); err != nil {
		t.Fatalf("kafka at %s: %v", kafkaAddr, err)
	}
	t.Cleanup(func() {
		c := &kafka.Client{Addr: kafka.TCP(brokers...)}
		// earshot run creates the alerts topic (Config's default: topic + ".alerts").
		c.DeleteTopics(context.Background(), &kafka.DeleteTopicsRequest{Topics: []string{topic, topic + ".dlq", topic + ".alerts"}})
	})
	store, err := sink.Open(ctx, sink.Config{Addr: chAddr, Database: db})
	if err != nil {
		t.Fatalf("clickhouse at %s: %v", chAddr, err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			store.DropDatabase(context.Background())
		} else {
			t.Logf("database %s kept for inspection", db)
		}
		store.Close()
	})
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}

	// The stream and its ground truth, generated in-process.
	rules := firehose.Rules(300)
	rulesPath := filepath.Join(dir, "rules.txt")
	if err := writeLines(rulesPath, rules); err != nil {
		t.Fatal(err)
	}
	g, err := firehose.New(firehose.Config{Seed: int64(seed % 1e9), Rate: 2000, Rules: rules, MatchFraction: 0.05,
		DuplicateFraction: 0.02, Bursts: []firehose.Burst{firehose.DefaultBurst(20 * time.Second)}})
	if err != nil {
		t.Fatal(err)
	}
	const n = 150_000
	msgs := make([]kafka.Message, 0, n+n/20)
	late := 0
	for i := range n {
		m := g.Next()
		msgs = append(msgs, kafka.Message{Key: bytes.Clone(m.Key), Value: bytes.Clone(m.Value)})
		if i%5000 == 0 {
			msgs = append(msgs, kafka.Message{Key: fmt.Appendf(nil, "bad-%d", i), Value: []byte(malformed[i/5000%len(malformed)])})
		}
		// Late duplicates: the generator repeats recent messages only, which
		// rarely straddle a restart; a collector's redelivery 2–30k messages
		// later does, and must still be recognised by the next owner.
		if i > 30_000 && rng.IntN(50) == 0 {
			msgs = append(msgs, msgs[len(msgs)-2000-rng.IntN(28_000)])
			late++
		}
	}
	truth := g.Truth()
	t.Logf("stream: %d messages, %d posts, %d firehose duplicates + %d late ones, %d mentions",
		len(msgs), truth.Posts, truth.Duplicates, late, truth.Mentions)

	// Processes.
	t.Logf("setup (build, topic, database, stream) took %s", since(setup))
	begin := time.Now()
	group := topic
	procs := &fleet{t: t, bin: bin, dir: dir, begin: begin, args: []string{"run",
		"--kafka-brokers", kafkaAddr, "--topic", topic, "--group", group,
		"--clickhouse-addr", chAddr, "--clickhouse-database", db, "--rules", rulesPath,
		"--http-addr", "", "--batch-interval", "150ms", "--session-timeout", "6s",
		"--shutdown-timeout", "10s", "--migrate=false"}}
	defer procs.stopAll()
	for range 3 {
		procs.start()
	}

	// Produce during the chaos: about 60 s at a steady pace.
	produced := make(chan error, 1)
	go func() {
		w := newProducer(brokers, topic)
		defer w.Close()
		const step = 1000
		tick := time.NewTicker(400 * time.Millisecond)
		defer tick.Stop()
		for i := 0; i < len(msgs); i += step {
			if err := w.WriteMessages(ctx, msgs[i:min(i+step, len(msgs))]...); err != nil {
				produced <- err
				return
			}
			<-tick.C
		}
		produced <- nil
	}()

	// Chaos: kill -9 a random process every 3–7 s and restart it after
	// 0–2 s; add a consumer at 25 s, stop one with SIGTERM at 45 s.
	chaosEnd := time.Now().Add(60 * time.Second)
	added, removed := false, false
	kills := 0
	for time.Now().Before(chaosEnd) || kills < 10 {
		time.Sleep(time.Duration(3000+rng.IntN(4000)) * time.Millisecond)
		el := time.Since(begin)
		switch {
		case !added && el > 25*time.Second:
			added = true
			procs.start()
		case !removed && el > 45*time.Second:
			removed = true
			procs.term(rng.IntN(procs.len()))
		default:
			i := rng.IntN(procs.len())
			procs.kill(i)
			kills++
			time.Sleep(time.Duration(rng.IntN(2000)) * time.Millisecond)
			procs.restart(i)
		}
		if ctx.Err() != nil {
			t.Fatal("out of time during the chaos")
		}
	}
	if err := <-produced; err != nil {
		t.Fatalf("produce: %v", err)
	}
	t.Logf("%s: chaos over (%d kills); waiting for every partition to be stored up to its high watermark", since(begin), kills)

	// Wait until ClickHouse stores every partition up to its last offset.
	highs := highWatermarks(t, ctx, kafkaAddr, topic, partitions)
	deadline := time.Now().Add(100 * time.Second)
	for {
		resume, err := store.ResumeOffsets(ctx, topic)
		if err == nil {
			behind := 0
			for p, h := range highs {
				if h > 0 && resume[int32(p)] < h-1 {
					behind++
				}
			}
			if behind == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("partitions not stored up to their high watermarks %v: stored %v", highs, resume)
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Logf("%s: caught up; stopping the processes", since(begin))
	procs.stopAll()

	raw, err := store.RawCount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if raw != uint64(truth.Mentions) {
		t.Errorf("raw mentions: %d rows, want %d (%+d)", raw, truth.Mentions, int64(raw)-truth.Mentions)
	}
	e2e.CompareTruth(t, ctx, store, truth)
	checkCopies(t, ctx, chAddr, db)
	if t.Failed() {
		procs.dumpLogs()
	}
	t.Logf("%s: done; kill schedule:\n%s", since(begin), procs.schedule())
}

func since(t time.Time) string { return time.Since(t).Truncate(100 * time.Millisecond).String() }

// fleet runs earshot processes and logs what happens to them.
type fleet struct {
	t     *testing.T
	bin   string
	dir   string
	args  []string
	begin time.Time

	mu     sync.Mutex
	procs  []*proc
	events []string
	seq    int
	names  int
}

type proc struct {
	name    string
	started time.Time
	cmd     *exec.Cmd
	done    chan struct{}
	log     string
}

func (f *fleet) len() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.procs) }

func (f *fleet) event(format string, args ...any) {
	f.events = append(f.events, fmt.Sprintf("%8s  ", since(f.begin))+fmt.Sprintf(format, args...))
}

func (f *fleet) spawn(name string) *proc {
	f.seq++
	log := filepath.Join(f.dir, fmt.Sprintf("%s-%d.log", name, f.seq))
	lf, err := os.Create(log)
	if err != nil {
		f.t.Fatal(err)
	}
	cmd := exec.Command(f.bin, f.args...)
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := cmd.Start(); err != nil {
		f.t.Fatalf("start %s: %v", name, err)
	}
	p := &proc{name: name, started: time.Now(), cmd: cmd, done: make(chan struct{}), log: log}
	go func() { cmd.Wait(); lf.Close(); close(p.done) }()
	f.event("start   %s (pid %d)", name, cmd.Process.Pid)
	return p
}

func (f *fleet) start() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.names++
	f.procs = append(f.procs, f.spawn(fmt.Sprintf("p%d", f.names)))
}

func (f *fleet) kill(i int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.procs[i]
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	f.event("kill -9 %s (pid %d)", p.name, p.cmd.Process.Pid)
}

func (f *fleet) restart(i int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.procs[i] = f.spawn(f.procs[i].name)
}

// term stops process i with SIGTERM and removes it from the fleet.
func (f *fleet) term(i int) {
	f.mu.Lock()
	p := f.procs[i]
	f.procs = append(f.procs[:i], f.procs[i+1:]...)
	// A process that has not installed its signal handler yet would die
	// of SIGTERM instead of stopping cleanly.
	time.Sleep(time.Until(p.started.Add(2 * time.Second)))
	p.cmd.Process.Signal(syscall.SIGTERM)
	f.event("SIGTERM %s (pid %d), not restarted", p.name, p.cmd.Process.Pid)
	f.mu.Unlock()
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		f.t.Errorf("%s did not stop within 30s of SIGTERM", p.name)
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		f.t.Errorf("%s exited with status %d after SIGTERM", p.name, code)
	}
}

func (f *fleet) stopAll() {
	for f.len() > 0 {
		f.term(0)
	}
}

func (f *fleet) schedule() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b bytes.Buffer
	for _, e := range f.events {
		b.WriteString(e)
		b.WriteByte('\n')
	}
	return b.String()
}

func (f *fleet) dumpLogs() {
	logs, _ := filepath.Glob(filepath.Join(f.dir, "*.log"))
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		if len(b) > 4000 {
			b = b[len(b)-4000:]
		}
		f.t.Logf("--- %s (tail)\n%s", filepath.Base(l), b)
	}
}

// highWatermarks returns each partition's next offset to be written.
func highWatermarks(t *testing.T, ctx context.Context, broker, topic string, partitions int) []int64 {
	t.Helper()
	out := make([]int64, partitions)
	for p := range partitions {
		conn, err := kafka.DialLeader(ctx, "tcp", broker, topic, p)
		if err != nil {
			t.Fatal(err)
		}
		out[p], err = conn.ReadLastOffset()
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// checkCopies replays the stored mentions of each partition in offset order
// through a fresh dedup.Copies, as one owner that never restarted would
// have seen them, and requires the stored copy_key, copy_of and copy_count
// to be what that owner would have written: restarts must not change them.
func checkCopies(t *testing.T, ctx context.Context, chAddr, db string) {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{chAddr}, Auth: clickhouse.Auth{Database: db}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query(ctx, `SELECT kafka_partition, post_id, any(text), any(is_repost), any(copy_key), any(copy_of), any(copy_count)
FROM mentions WHERE rule_id != ''
GROUP BY kafka_partition, kafka_offset, post_id
ORDER BY kafka_partition, kafka_offset`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	now := time.Now()
	byPartition := map[int32]*dedup.Copies{}
	var buf []byte
	n, copies, bad := 0, 0, 0
	for rows.Next() {
		var (
			p                int32
			id, text, copyOf string
			repost           uint8
			key              uint64
			count            uint32
		)
		if err := rows.Scan(&p, &id, &text, &repost, &key, &copyOf, &count); err != nil {
			t.Fatal(err)
		}
		c := byPartition[p]
		if c == nil {
			c = dedup.NewCopies(24*time.Hour, 0, now)
			byPartition[p] = c
		}
		var wantKey uint64
		var wantOf string
		var wantCount uint32
		if repost == 0 {
			wantKey, buf = dedup.CopyKey(buf, []byte(text))
			wantOf, wantCount = c.Observe(wantKey, id, now)
		}
		n++
		if wantOf != "" {
			copies++
		}
		if key != wantKey || copyOf != wantOf || count != wantCount {
			if bad < 10 {
				t.Errorf("partition %d post %s: copy (%#x, %q, %d), want (%#x, %q, %d)", p, id, key, copyOf, count, wantKey, wantOf, wantCount)
			}
			bad++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if bad > 0 {
		t.Errorf("%d of %d stored posts carry copy flags that differ from an uninterrupted owner's", bad, n)
	}
	t.Logf("copies: %d of %d stored posts flagged as copies, all as an uninterrupted owner would", copies, n)
}
