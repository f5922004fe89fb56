package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"

	"earshot/bench/firehose"
	"earshot/stream"
)

func cmdGen(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	var kf kafkaFlags
	kf.register(fs, "posts")
	var o genOptions
	o.register(fs)
	output := fs.String("output", "kafka", "where posts go: kafka, a JSONL `file`, or - for stdout")
	rulesOut := fs.String("rules-out", "", "write the generated keyword rules to this `file`")
	truthOut := fs.String("truth-out", "", "write the ground truth (expected mentions per rule, minute, country) as JSON to this `file`")
	fs.BoolVar(&o.pregenerate, "pregenerate", false, "make every post before sending the first, then send them at --rate with each created_at "+
		"rewritten to when it is due (needs --count or --duration): a real-time run is held back by sending alone, not by making posts; "+
		"to Kafka, the posts are compressed before sending too. "+
		"Prints a line \"sending\" on stdout when it starts sending")
	fs.DurationVar(&o.burstEvery, "burst-every", 0, "repeat the burst this often in event time, until --count or --duration ends (0: once)")
	replayPath := fs.String("replay", "", "send the canonical posts of this JSONL `file` over and over instead of generated ones, "+
		"each with a new id (the round's number appended) and created_at (--start, then --rate): a benchmark with your own traffic")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *replayPath != "" && (*truthOut != "" || o.burstAt != 0 || o.malformed != 0) {
		return usageErr("--replay sends the file's posts: --truth-out, --burst-at and --malformed-fraction are the generator's")
	}
	if o.burstEvery < 0 || (o.burstEvery > 0 && (o.burstAt <= 0 || o.count <= 0 && o.duration <= 0)) {
		return usageErr("--burst-every needs --burst-at and --count or --duration, and must be ≥ 0")
	}
	if o.pregenerate {
		switch {
		case o.count <= 0 && o.duration <= 0:
			return usageErr("--pregenerate needs --count or --duration")
		case *output == "-":
			return usageErr("--pregenerate prints on stdout: it cannot write posts there (--output -)")
		case *truthOut != "":
			return usageErr("--pregenerate rewrites created_at, which the truth counts by: it cannot be used with --truth-out")
		}
	}
	if o.count <= 0 && o.duration <= 0 && *output == "kafka" && !o.throttle {
		return usageErr("an unthrottled run to Kafka needs --count or --duration")
	}
	sec, err := kf.security()
	if err != nil {
		return err
	}
	g, err := o.generator()
	if err != nil {
		return &usageError{err}
	}
	var src postSource = g
	if *replayPath != "" {
		if src, err = newReplay(ctx, *replayPath, o.startTime, o.rate); err != nil {
			return err
		}
	}
	if *rulesOut != "" {
		if err := writeLines(*rulesOut, o.rules); err != nil {
			return err
		}
	}
	var sent atomic.Int64
	var emit func([]kafka.Message) error
	switch *output {
	case "kafka":
		tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := ensureTopic(tctx, kf, sec)
		cancel()
		if err != nil {
			return err
		}
		if o.pregenerate {
			break // runEncoded sends
		}
		w := newProducer(kf.brokers, kf.topic, sec)
		defer w.Close()
		emit = func(b []kafka.Message) error { return w.WriteMessages(ctx, b...) }
	default:
		var out io.Writer = os.Stdout
		if *output != "-" {
			f, err := os.Create(*output)
			if err != nil {
				return err
			}
			defer f.Close()
			out = f
		}
		bw := bufio.NewWriterSize(out, 1<<20)
		defer bw.Flush()
		emit = func(b []kafka.Message) error {
			for _, m := range b {
				bw.Write(m.Value)
				if err := bw.WriteByte('\n'); err != nil {
					return err
				}
			}
			return nil
		}
	}
	if emit == nil {
		err = o.runEncoded(ctx, src, kf, sec, &sent)
	} else {
		err = o.run(ctx, src, emit, &sent)
	}
	if !o.sendStart.IsZero() { // not stopped while making posts
		el := time.Since(o.sendStart)
		slog.Info("generator done", "messages", sent.Load(), "seconds", el.Seconds(),
			"per_second", int(float64(sent.Load())/el.Seconds()))
	}
	if *truthOut != "" {
		f, ferr := os.Create(*truthOut)
		if ferr != nil {
			return ferr
		}
		defer f.Close()
		if ferr := g.Truth().WriteJSON(f); ferr != nil {
			return ferr
		}
	}
	if err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

// genOptions are the generator flags shared by gen and demo.
type genOptions struct {
	seed     int64
	rate     float64
	count    int64
	duration time.Duration
	throttle bool
	start    string
	nrules   int
	burstAt  time.Duration
	burstLen time.Duration
	// burstEvery repeats the burst (gen only): the same share of burst
	// posts whatever the count.
	burstEvery time.Duration
	malformed  float64
	rules      []string

	pregenerate bool      // gen only: make every post first (prepared)
	startTime   time.Time // the event time of the first post (set by generator)
	sendStart   time.Time // when the first post was sent (set by run)
}

func (o *genOptions) register(fs *flag.FlagSet) {
	fs.Int64Var(&o.seed, "seed", 1, "random `seed`: the same seed gives the same firehose")
	fs.Float64Var(&o.rate, "rate", 1000, "posts per second (event time; also the send rate when throttled)")
	fs.Int64Var(&o.count, "count", 0, "stop after this many messages (0: no limit)")
	fs.DurationVar(&o.duration, "duration", 0, "stop after this long (0: no limit)")
	fs.BoolVar(&o.throttle, "throttle", true, "send at --rate in real time; false sends as fast as possible")
	fs.StringVar(&o.start, "start", "", "event time of the first post, RFC 3339 (default: now)")
	fs.IntVar(&o.nrules, "rules-count", 1000, "number of keyword rules the firehose plants mentions of")
	fs.DurationVar(&o.burstAt, "burst-at", 0, "start an earthquake burst (MX) this long after the start (0: none)")
	fs.DurationVar(&o.burstLen, "burst-length", 2*time.Minute, "how long the burst lasts")
	fs.Float64Var(&o.malformed, "malformed-fraction", 0, "fraction of extra malformed messages (for dead-letter checks)")
}

func (o *genOptions) generator() (*firehose.Generator, error) {
	start := time.Now().UTC().Truncate(time.Millisecond)
	if o.start != "" {
		t, err := time.Parse(time.RFC3339Nano, o.start)
		if err != nil {
			return nil, fmt.Errorf("--start: %v", err)
		}
		start = t
	}
	o.startTime = start
	if o.rate <= 0 || o.malformed < 0 || o.malformed >= 1 {
		return nil, fmt.Errorf("--rate must be > 0 and --malformed-fraction in [0, 1)")
	}
	o.rules = firehose.Rules(o.nrules)
	cfg := firehose.Config{Seed: o.seed, Start: start, Rate: o.rate, Rules: o.rules}
	cfg.Bursts = o.bursts()
	return firehose.New(cfg)
}

// bursts are the run's bursts: one at --burst-at, then one every
// --burst-every until the event time the run covers (--count at --rate,
// or --duration) ends.
func (o *genOptions) bursts() []firehose.Burst {
	span := o.duration
	if o.count > 0 {
		span = time.Duration(float64(o.count) / o.rate * float64(time.Second))
	}
	var bs []firehose.Burst
	for at := o.burstAt; at > 0 && (len(bs) == 0 || o.burstEvery > 0 && at < span); at += o.burstEvery {
		b := firehose.DefaultBurst(at)
		b.Length = o.burstLen
		bs = append(bs, b)
	}
	return bs
}

// malformed are the broken messages a firehose really carries.
var malformed = []string{
	"not json at all",
	`{"id":"m-1","text":"no created_at here"}`,
	`{"created_at":"2026-11-22T10:00:00Z","text":"no id"}`,
	`{"id":"m-2","created_at":"yesterday at noon","text":"bad time"}`,
	`{"id":"m-3","created_at":"2026-11-22T10:00:00Z","text":42}`,
	"{\"id\":\"m-4\",\"created_at\":\"2026-11-22T10:00:00Z\",\"text\":\"\xff\xfe\"}",
	`[1,2,3]`,
	`{"id":"m-5","created_at":"2026-11-22T10:00:00Z","text":"truncated`,
}

// run emits messages in batches until count, duration or ctx ends. One
// goroutine sends a batch while the next is generated: one after the other,
// a real-time run at 150k posts/s fell behind (it sent 131k/s with the
// machine 75% busy).
func (o *genOptions) run(ctx context.Context, g postSource, emit func([]kafka.Message) error, sent *atomic.Int64) error {
	rng := rand.New(rand.NewPCG(uint64(o.seed), 7))
	var pre *prepared
	if o.pregenerate {
		pre = o.prepare(ctx, g, rng)
		if ctx.Err() != nil {
			return nil
		}
		fmt.Println("sending")
	}
	o.sendStart = time.Now()
	var deadline time.Time
	if o.duration > 0 {
		deadline = o.sendStart.Add(o.duration)
	}
	batches := make(chan []kafka.Message) // one batch waits while one is sent
	failed := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := range batches {
			if err := emit(b); err != nil {
				failed <- err
				for range batches { // the generator stops at the error
				}
				return
			}
			sent.Add(int64(len(b)))
		}
	}()
	err := o.generate(ctx, g, pre, rng, deadline, batches, failed)
	close(batches)
	<-done
	if err == nil {
		select {
		case err = <-failed:
		default:
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while sending: not an error
		}
		return fmt.Errorf("cannot send posts: %w", err)
	}
	return nil
}

// stepPosts is how many posts a throttled run hands over at once: 25 ms
// of them, at most 5,000 (generate; runEncoded's steps too).
func stepPosts(rate float64) int64 { return int64(min(max(rate/40, 1), 5000)) }

// generate makes the batches (or takes them from pre, when not nil) and
// hands them to the sender until count, duration or ctx ends, or the
// sender failed.
func (o *genOptions) generate(ctx context.Context, g postSource, pre *prepared, rng *rand.Rand, deadline time.Time,
	batches chan<- []kafka.Message, failed <-chan error) error {
	start := o.sendStart
	shift := start.Sub(o.startTime).Milliseconds() // for pre: made as if sent from o.startTime
	var n int64
	// A throttled run hands over what is due once it makes a batch of
	// 25 ms of posts (or 5,000): the producer waits BatchTimeout for each
	// call, so smaller batches cannot keep up with high rates. One that
	// fell behind hands over up to 20,000 at once: one call at a time is in
	// flight, and on a busy machine a pregenerated run at 200k posts/s
	// fell 10% behind with calls of 5,000.
	minBatch := stepPosts(o.rate)
	for ctx.Err() == nil {
		if !deadline.IsZero() && time.Now().After(deadline) {
			break
		}
		want := int64(5000)
		if o.throttle {
			due := int64(time.Since(start).Seconds()*o.rate) - n
			if due < minBatch {
				select {
				case <-ctx.Done():
				case <-time.After(time.Duration(float64(minBatch-due) / o.rate * float64(time.Second))):
				}
				continue
			}
			want = min(due, 20000)
		}
		if o.count > 0 {
			want = min(want, o.count-n)
		}
		batch := make([]kafka.Message, 0, want) // the sender holds the previous one
		if pre != nil {
			var taken int64
			batch, taken = pre.take(batch, want, shift)
			if taken == 0 {
				break // all sent
			}
			want = taken
		} else {
			for i := range want {
				batch = o.appendNext(batch, g, rng, n+i)
			}
		}
		select {
		case batches <- batch:
		case err := <-failed:
			return err
		case <-ctx.Done():
			return nil
		}
		n += want
		if o.count > 0 && n >= o.count {
			break
		}
	}
	return nil
}

// appendNext appends the generator's next post, the n-th, to batch, and a
// malformed message after it for --malformed-fraction of them.
func (o *genOptions) appendNext(batch []kafka.Message, g postSource, rng *rand.Rand, n int64) []kafka.Message {
	m := g.Next()
	batch = append(batch, kafka.Message{Key: append([]byte(nil), m.Key...), Value: append([]byte(nil), m.Value...)})
	if o.malformed > 0 && rng.Float64() < o.malformed {
		v := malformed[rng.IntN(len(malformed))]
		batch = append(batch, kafka.Message{Key: fmt.Appendf(nil, "malformed-%d", n), Value: []byte(v)})
	}
	return batch
}

func newProducer(brokers []string, topic string, sec stream.Security) *kafka.Writer {
	return &kafka.Writer{
		Addr: kafka.TCP(brokers...), Topic: topic, Transport: sec.Transport(),
		// Murmur2 is the Java client's default partitioner: a post id lands on
		// the same partition whichever client produced it, which per-partition
		// dedup relies on.
		Balancer: &kafka.Murmur2Balancer{}, RequiredAcks: kafka.RequireAll,
		BatchSize: 5000, BatchBytes: 8 << 20, BatchTimeout: 5 * time.Millisecond,
		Compression: kafka.Lz4,
	}
}

// defaultPartitions is the partition count of topics earshot creates; more
// partitions let more consumers share the load.
const defaultPartitions = 4

func ensureTopic(ctx context.Context, kf kafkaFlags, sec stream.Security) error {
	return stream.EnsureTopics(ctx, kf.brokers, sec, defaultPartitions, 1, kf.topic)
}

func writeLines(path string, lines []string) error {
	return os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}
