package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
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
	r := newFaultRun(t, kafkaAddr, chAddr)
	for range 3 {
		r.procs.start()
	}
	produced := r.produce()

	// Chaos: kill -9 a random process every 3–7 s and restart it after
	// 0–2 s; add a consumer at 25 s, stop one with SIGTERM at 45 s.
	chaosEnd := time.Now().Add(60 * time.Second)
	added, removed := false, false
	kills := 0
	for time.Now().Before(chaosEnd) || kills < 10 {
		time.Sleep(time.Duration(3000+r.rng.IntN(4000)) * time.Millisecond)
		el := time.Since(r.begin)
		switch {
		case !added && el > 25*time.Second:
			added = true
			r.procs.start()
		case !removed && el > 45*time.Second:
			removed = true
			r.procs.term(r.rng.IntN(r.procs.len()))
		default:
			i := r.rng.IntN(r.procs.len())
			r.procs.kill(i)
			kills++
			time.Sleep(time.Duration(r.rng.IntN(2000)) * time.Millisecond)
			r.procs.restart(i)
		}
		if r.ctx.Err() != nil {
			t.Fatal("out of time during the chaos")
		}
	}
	r.finish(produced, fmt.Sprintf("%d kills", kills))
}

// TestFaultsClickHouseKill9 is the same proof with the other side failing:
// two `earshot run` processes write into a ClickHouse server of the test's
// own (deploy/local/up with its own directory and ports), which the test
// kills with SIGKILL every 3–6 s, in the middle of INSERTs or not, and
// starts again. mentions, the aggregates and the copy flags must equal the
// ground truth exactly, however many INSERTs the server kept in part
// (docs/delivery.md, step 4).
func TestFaultsClickHouseKill9(t *testing.T) {
	kafkaAddr, _ := e2e.Services(t)
	ch := startService(t, "clickhouse", "EARSHOT_CLICKHOUSE_TCP_PORT", "EARSHOT_CLICKHOUSE_HTTP_PORT")
	r := newFaultRun(t, kafkaAddr, ch.addr)
	r.killService(ch, 45*time.Second, 6, 3*time.Second)
}

// TestFaultsKafkaKill9 is the same proof with the broker failing: two
// `earshot run` processes read from, and write dead letters and alerts to,
// a Kafka broker of the test's own (deploy/local/up kafka with its own
// directory and ports), the group's coordinator too, which the test kills
// with SIGKILL 6–12 s after it is back, three times, and starts again; the
// producer retries what the broker did not take. Everything stored must
// equal the ground truth.
func TestFaultsKafkaKill9(t *testing.T) {
	_, chAddr := e2e.Services(t)
	kf := startService(t, "kafka", "EARSHOT_KAFKA_PORT", "EARSHOT_KAFKA_CONTROLLER_PORT")
	r := newFaultRun(t, kf.addr, chAddr)
	r.killService(kf, 30*time.Second, 3, 6*time.Second) // a broker takes ~20 s to start again
}

// killService runs two of the fault test's processes while it kills svc
// with SIGKILL every to 2×every after it is up (at least kills times, for at
// least d) and starts it again 0–2 s later, then finishes the run.
func (r *faultRun) killService(svc *service, d time.Duration, kills int, every time.Duration) {
	for range 2 {
		r.procs.start()
	}
	produced := r.produce()
	end := time.Now().Add(d)
	n := 0
	for time.Now().Before(end) || n < kills {
		time.Sleep(every + time.Duration(r.rng.Int64N(int64(every))))
		svc.kill()
		n++
		r.procs.mu.Lock()
		r.procs.event("kill -9 %s", svc.name)
		r.procs.mu.Unlock()
		time.Sleep(time.Duration(r.rng.IntN(2000)) * time.Millisecond)
		svc.start()
		if r.ctx.Err() != nil {
			r.t.Fatal("out of time during the chaos")
		}
	}
	r.finish(produced, fmt.Sprintf("%d %s kills", n, svc.name))
}

// faultRun is a fault test's stream, its ground truth, its processes and
// the database they write.
type faultRun struct {
	t                 *testing.T
	ctx               context.Context
	rng               *rand.Rand
	kafkaAddr, chAddr string
	topic, db         string
	partitions        int
	store             *sink.Client
	msgs              []kafka.Message
	truth             *firehose.Truth
	procs             *fleet
	begin             time.Time
	// The producer's address and security (default: kafkaAddr, none) and
	// the time between its steps of 1,000 messages (default 400 ms).
	produceAddr string
	produceSec  stream.Security
	stepEvery   time.Duration
}

// newFaultRun makes a fresh topic and database, the stream with its ground
// truth, and a fleet (not started) of `earshot run` processes on them.
func newFaultRun(t *testing.T, kafkaAddr, chAddr string) *faultRun {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("EARSHOT_FAULTS_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("EARSHOT_FAULTS_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("schedule seed %d (EARSHOT_FAULTS_SEED=%d replays it)", seed, seed)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	r := &faultRun{t: t, ctx: ctx, rng: rand.New(rand.NewPCG(seed, 1)), kafkaAddr: kafkaAddr, chAddr: chAddr, partitions: 6}
	setup := time.Now()
	bin := earshotBin(t) // the binary as shipped (PGO), built once for all the CLI tests
	dir := t.TempDir()

	// A fresh topic (6 partitions) and a fresh database.
	suffix := fmt.Sprintf("%d_%d", time.Now().UnixNano(), rand.IntN(1e6))
	r.topic, r.db = "faults-"+suffix, "earshot_faults_"+suffix
	brokers := []string{kafkaAddr}
	if err := stream.EnsureTopics(ctx, brokers, stream.Security{}, r.partitions, 1, r.topic, r.topic+".dlq"); err != nil {
		t.Fatalf("kafka at %s: %v", kafkaAddr, err)
	}
	dropTopicsAtEnd(t, brokers, r.topic)
	store, err := sink.Open(ctx, sink.Config{Addr: chAddr, Database: r.db})
	if err != nil {
		t.Fatalf("clickhouse at %s: %v", chAddr, err)
	}
	r.store = store
	t.Cleanup(func() {
		if !t.Failed() {
			store.DropDatabase(context.Background())
		} else {
			t.Logf("database %s kept for inspection", r.db)
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
	r.msgs = make([]kafka.Message, 0, n+n/20)
	late := 0
	for i := range n {
		m := g.Next()
		r.msgs = append(r.msgs, kafka.Message{Key: bytes.Clone(m.Key), Value: bytes.Clone(m.Value)})
		if i%5000 == 0 {
			r.msgs = append(r.msgs, kafka.Message{Key: fmt.Appendf(nil, "bad-%d", i), Value: []byte(malformed[i/5000%len(malformed)])})
		}
		// Late duplicates: the generator repeats recent messages only, which
		// rarely straddle a restart; a collector's redelivery 2–30k messages
		// later does, and must still be recognised by the next owner.
		if i > 30_000 && r.rng.IntN(50) == 0 {
			r.msgs = append(r.msgs, r.msgs[len(r.msgs)-2000-r.rng.IntN(28_000)])
			late++
		}
	}
	r.truth = g.Truth()
	t.Logf("stream: %d messages, %d posts, %d firehose duplicates + %d late ones, %d mentions",
		len(r.msgs), r.truth.Posts, r.truth.Duplicates, late, r.truth.Mentions)
	t.Logf("setup (build, topic, database, stream) took %s", since(setup))
	r.begin = time.Now()
	r.procs = &fleet{t: t, bin: bin, dir: dir, begin: r.begin, args: []string{"run",
		"--kafka-brokers", kafkaAddr, "--topic", r.topic, "--group", r.topic,
		"--clickhouse-addr", chAddr, "--clickhouse-database", r.db, "--rules", rulesPath,
		"--http-addr", "", "--batch-interval", "150ms", "--session-timeout", "6s",
		"--shutdown-timeout", "10s", "--migrate=false"}}
	t.Cleanup(r.procs.stopAll)
	return r
}

// produce writes the stream during the chaos: about 60 s at a steady pace.
func (r *faultRun) produce() <-chan error {
	produced := make(chan error, 1)
	go func() {
		addr, every := cmp.Or(r.produceAddr, r.kafkaAddr), cmp.Or(r.stepEvery, 400*time.Millisecond)
		w := newProducer([]string{addr}, r.topic, r.produceSec)
		defer w.Close()
		const step = 1000
		tick := time.NewTicker(every)
		defer tick.Stop()
		for i := 0; i < len(r.msgs); i += step {
			// A broker killed by the test takes some of a step or none: the
			// step is sent again, and what it repeats are duplicates of
			// posts the dedup window drops, or malformed messages.
			for {
				err := w.WriteMessages(r.ctx, r.msgs[i:min(i+step, len(r.msgs))]...)
				if err == nil {
					break
				}
				if r.ctx.Err() != nil {
					produced <- err
					return
				}
				time.Sleep(500 * time.Millisecond)
			}
			<-tick.C
		}
		produced <- nil
	}()
	return produced
}

// finish waits for the producer and for ClickHouse to store every
// partition up to its high watermark, stops the processes and compares
// what is stored with the ground truth: mentions, the aggregates and the
// copy flags.
func (r *faultRun) finish(produced <-chan error, chaos string) {
	t, ctx := r.t, r.ctx
	if err := <-produced; err != nil {
		t.Fatalf("produce: %v", err)
	}
	t.Logf("%s: chaos over (%s); waiting for every partition to be stored up to its high watermark", since(r.begin), chaos)
	highs := highWatermarks(t, ctx, r.kafkaAddr, r.topic, r.partitions)
	deadline := time.Now().Add(100 * time.Second)
	for {
		resume, err := r.store.ResumeOffsets(ctx, r.topic)
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
	t.Logf("%s: caught up; stopping the processes", since(r.begin))
	r.procs.stopAll()

	raw, err := r.store.RawCount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if raw != uint64(r.truth.Mentions) {
		t.Errorf("raw mentions: %d rows, want %d (%+d)", raw, r.truth.Mentions, int64(raw)-r.truth.Mentions)
	}
	t.Logf("%d INSERTs kept in part by ClickHouse and completed; %d generations waited for INSERTs begun before them",
		r.procs.grepLogs("kept a failed INSERT in part"), r.procs.grepLogs("waiting for INSERTs begun before this generation"))
	e2e.CompareTruth(t, ctx, r.store, r.truth)
	checkCopies(t, ctx, r.chAddr, r.db)
	if t.Failed() {
		r.procs.dumpLogs()
	}
	t.Logf("%s: done; schedule:\n%s", since(r.begin), r.procs.schedule())
}

// service is a Kafka broker or a ClickHouse server of a test's own, started
// and stopped by deploy/local with its own directory and ports.
type service struct {
	t    *testing.T
	name string // kafka or clickhouse
	addr string // where clients connect
	env  []string
	pid  string // its pid file
}

// startService starts the service name for t alone, on free ports given to
// deploy/local in the environment variables ports (the clients' port
// first); it is stopped and its data removed when t ends.
func startService(t *testing.T, name string, ports ...string) *service {
	dir := t.TempDir()
	svc := &service{t: t, name: name, pid: filepath.Join(dir, "run", name+".pid"),
		env: append(os.Environ(), "EARSHOT_LOCAL_DIR="+dir)}
	for i, v := range ports {
		p := freePort(t)
		if i == 0 {
			svc.addr = "127.0.0.1:" + p
		}
		svc.env = append(svc.env, v+"="+p)
	}
	svc.start()
	t.Cleanup(func() { svc.deploy("down") })
	return svc
}

func (svc *service) deploy(verb string) {
	cmd := exec.Command(filepath.Join("..", "..", "deploy", "local", verb), svc.name)
	cmd.Env = svc.env
	if out, err := cmd.CombinedOutput(); err != nil {
		svc.t.Fatalf("deploy/local/%s %s: %v\n%s", verb, svc.name, err, out)
	}
}

func (svc *service) start() { svc.deploy("up") }

// kill kills the service with SIGKILL and waits until it is gone.
func (svc *service) kill() {
	b, err := os.ReadFile(svc.pid)
	if err != nil {
		svc.t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		svc.t.Fatal(err)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	for syscall.Kill(pid, 0) == nil {
		time.Sleep(20 * time.Millisecond)
	}
}

// freePort returns a local TCP port no one listens on now.
func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
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

// grepLogs counts the lines of the processes' logs that hold s.
func (f *fleet) grepLogs(s string) int {
	logs, _ := filepath.Glob(filepath.Join(f.dir, "*.log"))
	n := 0
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		n += bytes.Count(b, []byte(s))
	}
	return n
}

// dumpLogs logs, for each process, the lines that tell who owned what
// when (assignments, each partition's start offset, fences, flushes given
// up or completed, writes retried), then its log's tail.
func (f *fleet) dumpLogs() {
	logs, _ := filepath.Glob(filepath.Join(f.dir, "*.log"))
	events := regexp.MustCompile(`partitions assigned|partition owned|fenced|abandoned|final flush|kept a failed|rejoin|revoked|write failed|cannot|INSERTs begun before`)
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		var ev bytes.Buffer
		for line := range bytes.Lines(b) {
			if events.Match(line) {
				ev.Write(line)
			}
		}
		if len(b) > 4000 {
			b = b[len(b)-4000:]
		}
		f.t.Logf("--- %s (events)\n%s--- %s (tail)\n%s", filepath.Base(l), ev.Bytes(), filepath.Base(l), b)
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
