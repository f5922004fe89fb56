package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"

	"earshot/bench/e2e"
)

// TestPartitionReader reads a real partition: every message in order with
// its value and offset (values of 1.5 MB among them, larger than a slab), from the first offset, from one in the
// middle of a compressed batch and from FirstOffset, through a queue
// smaller than a fetch (the fetching goroutine pauses); an offset past the
// end waits until it is written; a deadline ends a wait; Lag counts what
// follows; Close ends a fetch in progress; Originals reads keys and
// headers again.
func TestPartitionReader(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	brokers, topic := partitionTopic(t, ctx, "earshot-fetch")
	message := func(i int) kafka.Message {
		pad := i % 300
		if i%1000 == 7 {
			pad = 1536 << 10 // more than a slab of slabBytes holds
		}
		return kafka.Message{Key: []byte("k" + strconv.Itoa(i)), Value: []byte(fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("0", pad))),
			Headers: []kafka.Header{{Key: "h", Value: []byte(strconv.Itoa(i))}}}
	}
	produce := func(from, to int) {
		t.Helper()
		w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: topic, RequiredAcks: kafka.RequireAll,
			BatchSize: 500, BatchBytes: 16 << 20, BatchTimeout: 5 * time.Millisecond, Compression: kafka.Lz4}
		defer w.Close()
		var msgs []kafka.Message
		for i := from; i < to; i++ {
			msgs = append(msgs, message(i))
		}
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
	}
	const n = 3000
	produce(0, n)

	open := func(start int64) *partitionReader {
		return newPartitionReader(readerConfig{brokers: brokers, topic: topic, maxBytes: 64 << 10,
			maxWait: 100 * time.Millisecond, queue: 300, readTimeout: 5 * time.Second,
			backoffMin: 20 * time.Millisecond, backoffMax: 200 * time.Millisecond, log: slog.New(slog.DiscardHandler)}, start)
	}
	// expect reads offsets from..to-1 and checks each message.
	expect := func(r *partitionReader, from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			m, err := r.FetchMessage(ctx)
			if err != nil {
				t.Fatalf("offset %d: %v", i, err)
			}
			want := message(i)
			if m.Offset != int64(i) || string(m.Value) != string(want.Value) || m.Partition != 0 || m.Topic != topic {
				t.Fatalf("offset %d: got offset %d, %d bytes of value %.40q", i, m.Offset, len(m.Value), m.Value)
			}
		}
	}

	r := open(0)
	if lag := r.Lag(); lag != -1 {
		t.Errorf("Lag before the first message = %d, want -1", lag)
	}
	expect(r, 0, n)
	if lag := r.Lag(); lag != 0 {
		t.Errorf("Lag after the last message = %d, want 0", lag)
	}
	// Nothing more: a deadline ends the wait.
	dctx, dcancel := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err := r.FetchMessage(dctx)
	dcancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("FetchMessage at the end: %v, want a deadline", err)
	}
	// Close ends the fetch in progress promptly.
	t0 := time.Now()
	r.Close()
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("Close took %v", d)
	}
	if r.room <= minRoom { // its goroutine is done
		t.Errorf("room %d after values of 1.5 MB, want it grown", r.room)
	}

	r = open(1234)
	expect(r, 1234, 1300)
	if lag := r.Lag(); lag <= 0 || lag > n-1300 {
		t.Errorf("Lag at offset 1299 = %d, want 1..%d", lag, n-1300)
	}
	r.Close()

	r = open(kafka.FirstOffset)
	expect(r, 0, 10)
	// The keys and headers of some messages, read again (dead letters).
	offsets := []int64{3, 7, 1234, 1235, n - 1}
	dead := make([]kafka.Message, len(offsets))
	for i := range dead {
		dead[i].Headers = []kafka.Header{{Key: HeaderReason, Value: []byte("x")}}
	}
	if err := r.Originals(ctx, offsets, dead); err != nil {
		t.Fatal(err)
	}
	for i, off := range offsets {
		want := message(int(off))
		if d := dead[i]; string(d.Key) != string(want.Key) || len(d.Headers) != 2 ||
			string(d.Headers[0].Value) != strconv.Itoa(int(off)) || d.Headers[1].Key != HeaderReason {
			t.Errorf("offset %d read again: key %q, headers %v", off, d.Key, d.Headers)
		}
	}
	r.Close()

	// Past the end: it waits for the offset to be written.
	r = open(n + 100)
	dctx, dcancel = context.WithTimeout(ctx, 500*time.Millisecond)
	_, err = r.FetchMessage(dctx)
	dcancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("FetchMessage past the end: %v, want a deadline", err)
	}
	produce(n, n+200)
	expect(r, n+100, n+200)
	r.Close()
}

// TestPartitionReaderRetention deletes the partition's records before
// offset 40 on the broker, as retention would, and starts a reader at 10:
// it goes on from 40, reads 40..99 in order, and counts the 30 messages
// lost in its lost counter (earshot_lost_messages_total in the pipeline).
func TestPartitionReaderRetention(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	brokers, topic := partitionTopic(t, ctx, "earshot-fetch-retention")
	const n, first, start = 100, 40, 10
	w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: topic, RequiredAcks: kafka.RequireAll,
		BatchSize: n, BatchTimeout: 5 * time.Millisecond}
	var msgs []kafka.Message
	for i := range n {
		msgs = append(msgs, kafka.Message{Value: []byte(strconv.Itoa(i))})
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	w.Close()
	deleteRecords(t, ctx, brokers[0], topic, 0, first)

	lost := prometheus.NewCounter(prometheus.CounterOpts{Name: "earshot_lost_messages_total"})
	r := newPartitionReader(readerConfig{brokers: brokers, topic: topic, maxBytes: 64 << 10,
		maxWait: 100 * time.Millisecond, queue: 300, readTimeout: 5 * time.Second,
		backoffMin: 20 * time.Millisecond, backoffMax: 200 * time.Millisecond,
		log: slog.New(slog.DiscardHandler), lost: lost}, start)
	defer r.Close()
	for i := first; i < n; i++ {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("offset %d: %v", i, err)
		}
		if m.Offset != int64(i) || string(m.Value) != strconv.Itoa(i) {
			t.Fatalf("message %d after a start at %d with the records before %d deleted: offset %d, value %q",
				i-first, start, first, m.Offset, m.Value)
		}
	}
	if got := testutil.ToFloat64(lost); got != first-start {
		t.Errorf("lost messages counted: %v, want %d (offsets %d..%d)", got, first-start, start, first-1)
	}
}

// deleteRecords deletes the records of topic's partition before offset on
// the broker, as retention would, with Kafka's own tool: kafka-go has no
// DeleteRecords call. The tool needs the jars deploy/local/up fetched.
func deleteRecords(t *testing.T, ctx context.Context, broker, topic string, partition int, offset int64) {
	t.Helper()
	cmd := exec.CommandContext(ctx, "../deploy/local/kafka-delete-records", "--bootstrap-server", broker,
		topic, strconv.Itoa(partition), strconv.FormatInt(offset, 10))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("deploy/local/kafka-delete-records %s %d %d: %v\n%s", topic, partition, offset, err, out)
	}
}

// TestPartitionReaderReconnects cuts the reader's connections while it reads
// (as a broker restart or a network fault would): it dials again and goes on
// from the next offset, every message once and in order.
func TestPartitionReaderReconnects(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	brokers, topic := partitionTopic(t, ctx, "earshot-fetch-cut")
	const n = 20000
	w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: topic, RequiredAcks: kafka.RequireAll,
		BatchSize: 1000, BatchTimeout: 5 * time.Millisecond, Compression: kafka.Lz4}
	var msgs []kafka.Message
	for i := range n {
		msgs = append(msgs, kafka.Message{Value: []byte(fmt.Sprintf("%d %0200d", i, 0))})
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	w.Close()

	var mu sync.Mutex
	var conns []net.Conn
	dials := 0
	nd := &net.Dialer{}
	dialer := &kafka.Dialer{Timeout: 10 * time.Second, DialFunc: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := nd.DialContext(ctx, network, addr)
		if err == nil {
			mu.Lock()
			conns, dials = append(conns, c), dials+1
			mu.Unlock()
		}
		return c, err
	}}
	cut := func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
		conns = nil
	}
	r := newPartitionReader(readerConfig{brokers: brokers, topic: topic, maxBytes: 256 << 10,
		maxWait: 100 * time.Millisecond, queue: 512, readTimeout: 5 * time.Second, dialer: dialer,
		backoffMin: 10 * time.Millisecond, backoffMax: 100 * time.Millisecond, log: slog.New(slog.DiscardHandler)}, 0)
	defer r.Close()
	for i := range n {
		if i > 0 && i%4000 == 0 {
			cut() // the reader is ahead of i by up to a queue and a fetch
		}
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("offset %d: %v", i, err)
		}
		if want := fmt.Sprintf("%d %0200d", i, 0); m.Offset != int64(i) || string(m.Value) != want {
			t.Fatalf("message %d: offset %d, value %.20q", i, m.Offset, m.Value)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if dials < 5 {
		t.Errorf("%d dials for 4 cuts", dials)
	}
}

// partitionTopic makes a topic of one partition on the real broker, deleted
// when the test ends.
func partitionTopic(t *testing.T, ctx context.Context, prefix string) (brokers []string, topic string) {
	t.Helper()
	kafkaAddr, _ := e2e.Services(t)
	brokers = []string{kafkaAddr}
	topic = fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano())
	if err := EnsureTopics(ctx, brokers, Security{}, 1, 1, topic); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c := &kafka.Client{Addr: kafka.TCP(brokers...)}
		c.DeleteTopics(context.Background(), &kafka.DeleteTopicsRequest{Topics: []string{topic}})
	})
	return brokers, topic
}
