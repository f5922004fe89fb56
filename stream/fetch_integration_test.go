package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"earshot/bench/e2e"
)

// TestPartitionReader reads a real partition: every message in order with
// its key, value, headers and offset, from the first offset, from one in the
// middle and from FirstOffset, through a queue smaller than a fetch (the
// fetching goroutine pauses); an offset past the end waits until it is
// written; a deadline ends a wait; Lag counts what follows; Close ends a
// fetch in progress.
func TestPartitionReader(t *testing.T) {
	kafkaAddr, _ := e2e.Services(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	brokers := []string{kafkaAddr}
	topic := fmt.Sprintf("earshot-fetch-%d", time.Now().UnixNano())
	if err := EnsureTopics(ctx, brokers, 1, 1, topic); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c := &kafka.Client{Addr: kafka.TCP(brokers...)}
		c.DeleteTopics(context.Background(), &kafka.DeleteTopicsRequest{Topics: []string{topic}})
	})
	message := func(i int) kafka.Message {
		return kafka.Message{Key: []byte("k" + strconv.Itoa(i)), Value: []byte(fmt.Sprintf(`{"n":%d,"pad":"%0*d"}`, i, i%300, 0)),
			Headers: []kafka.Header{{Key: "h", Value: []byte(strconv.Itoa(i))}}}
	}
	produce := func(from, to int) {
		t.Helper()
		w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: topic, RequiredAcks: kafka.RequireAll,
			BatchSize: 500, BatchTimeout: 5 * time.Millisecond, Compression: kafka.Lz4}
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
			if m.Offset != int64(i) || string(m.Key) != string(want.Key) || string(m.Value) != string(want.Value) ||
				len(m.Headers) != 1 || string(m.Headers[0].Value) != strconv.Itoa(i) || m.Partition != 0 || m.Topic != topic {
				t.Fatalf("offset %d: got offset %d key %q value %q headers %v", i, m.Offset, m.Key, m.Value, m.Headers)
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

	r = open(1234)
	expect(r, 1234, 1300)
	if lag := r.Lag(); lag <= 0 || lag > n-1300 {
		t.Errorf("Lag at offset 1299 = %d, want 1..%d", lag, n-1300)
	}
	r.Close()

	r = open(kafka.FirstOffset)
	expect(r, 0, 10)
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
