package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"

	"earshot/stream"
)

// A pregenerated run to Kafka also compresses its posts before the first
// is sent: each step's posts become one LZ4 record batch per partition,
// stamped with the time they will be due, and sending is one produce
// request per batch (kafka-go's RawProduce), without compressing. LZ4 was
// 2 of the 3.15 µs of CPU a sent post cost (kafka.Writer, 263k posts/s on
// the 2-vCPU EPYC), and the generator could not keep to half of the
// pipeline's maximum rate beside it; the posts on the wire, and the
// pipeline's work, are the same.

// encodedBatch is one partition's share of a step (or part of it): a v2
// record batch, LZ4-compressed.
type encodedBatch struct {
	partition int
	data      []byte
	messages  int
}

// encodedStep is what is sent at once: posts due up to due after the
// send's start, and the malformed messages after them.
type encodedStep struct {
	due     time.Duration
	batches []encodedBatch // a partition's batches in order
}

// stepSpan is a step's messages, prepared.msgs[from:to].
type stepSpan struct {
	from, to int
	posts    int64 // posts in the step
	before   int64 // posts before it
}

// maxBatchBytes bounds a record batch's keys and values before
// compression: the broker's message.max.bytes (1 MB by default) bounds the
// batch it gets, compressed.
const maxBatchBytes = 1 << 20

// spans cuts the prepared messages into steps of per posts.
func (p *prepared) spans(per int64) []stepSpan {
	var out []stepSpan
	var posts int64
	s := stepSpan{}
	for i := range p.msgs {
		if p.msgs[i].extra {
			continue
		}
		if s.posts == per {
			s.to = i
			out = append(out, s)
			s = stepSpan{from: i, before: posts}
		}
		s.posts++
		posts++
	}
	if s.posts > 0 {
		s.to = len(p.msgs)
		out = append(out, s)
	}
	return out
}

// encode encodes the steps on workers goroutines: each post's created_at
// is moved by shift ms (as take does), the records go to partitions of
// parts by murmur2 of their keys, as kafka.Writer's Murmur2Balancer puts
// them. A step is due when its last post is, at rate.
func (p *prepared) encode(ctx context.Context, spans []stepSpan, parts int, shift int64, rate float64, workers int) ([]encodedStep, error) {
	steps := make([]encodedStep, len(spans))
	ids := make([]int, parts)
	for i := range ids {
		ids[i] = i
	}
	var next atomic.Int64
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := stepEncoder{p: p, ids: ids, recs: make([][]protocol.Record, parts), raw: make([]int, parts), st: newStamper()}
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(spans) {
					return
				}
				s := spans[i]
				due := time.Duration(float64(s.before+s.posts) / rate * float64(time.Second))
				steps[i] = encodedStep{due: due}
				if err := e.step(&steps[i], s, shift); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return steps, ctx.Err()
}

// stepEncoder is one encode worker's state.
type stepEncoder struct {
	p    *prepared
	bal  kafka.Murmur2Balancer
	ids  []int
	recs [][]protocol.Record // per partition, not yet encoded
	raw  []int               // their keys' and values' bytes
	st   stamper
	buf  bytes.Buffer
}

func (e *stepEncoder) step(out *encodedStep, s stepSpan, shift int64) error {
	p := e.p
	var at time.Time // a record's time: its post's created_at, or the post's before it
	for i := s.from; i < s.to; i++ {
		m := &p.msgs[i]
		c := p.chunks[m.chunk]
		key, value := c[m.key:m.value:m.value], c[m.value:m.end:m.end]
		if m.stamp >= 0 {
			e.st.restamp(value[m.stamp:m.stamp+stampLen], m.ms+shift)
			at = time.UnixMilli(m.ms + shift)
		}
		part := e.bal.Balance(kafka.Message{Key: key}, e.ids...)
		if e.raw[part] > 0 && e.raw[part]+len(key)+len(value) > maxBatchBytes {
			if err := e.flush(out, part); err != nil {
				return err
			}
		}
		e.recs[part] = append(e.recs[part], protocol.Record{Time: at, Key: protocol.NewBytes(key), Value: protocol.NewBytes(value)})
		e.raw[part] += len(key) + len(value)
	}
	for part := range e.recs {
		if err := e.flush(out, part); err != nil {
			return err
		}
	}
	return nil
}

// flush encodes partition part's pending records as one batch of out.
func (e *stepEncoder) flush(out *encodedStep, part int) error {
	recs := e.recs[part]
	if len(recs) == 0 {
		return nil
	}
	rs := protocol.RecordSet{Version: 2, Attributes: protocol.Lz4, Records: protocol.NewRecordReader(recs...)}
	e.buf.Reset()
	if _, err := rs.WriteTo(&e.buf); err != nil {
		return fmt.Errorf("cannot encode a record batch: %w", err)
	}
	out.batches = append(out.batches, encodedBatch{partition: part, data: bytes.Clone(e.buf.Bytes()), messages: len(recs)})
	clear(recs)
	e.recs[part], e.raw[part] = recs[:0], 0
	return nil
}

// runEncoded is run for --pregenerate to Kafka: it makes the posts, plans
// when sending will start (from the time encoding a sample of steps
// took), encodes every step for that start, waits for it, says "sending",
// and sends each step when it is due.
func (o *genOptions) runEncoded(ctx context.Context, g postSource, kf kafkaFlags, sec stream.Security, sent *atomic.Int64) error {
	client := sec.Client(kf.brokers, 30*time.Second)
	leaders, err := partitionLeaders(ctx, client, kf.topic)
	if err != nil {
		return err
	}
	pre := o.prepare(ctx, g, rand.New(rand.NewPCG(uint64(o.seed), 7)))
	if ctx.Err() != nil {
		return nil
	}
	spans := pre.spans(stepPosts(o.rate))
	workers := runtime.GOMAXPROCS(0)

	t := time.Now()
	sample := spans[:min(len(spans), 20*workers)]
	if _, err := pre.encode(ctx, sample, len(leaders), 0, o.rate, workers); err != nil {
		return err
	}
	per := time.Since(t) / time.Duration(len(sample))
	// Encoding is planned at 1.5 times the sample's pace, plus a second.
	start := time.Now().Add(per*time.Duration(len(spans))*3/2 + time.Second)
	steps, err := pre.encode(ctx, spans, len(leaders), start.Sub(o.startTime).Milliseconds(), o.rate, workers)
	if err != nil || ctx.Err() != nil {
		return err
	}
	var size int
	for i, s := range steps {
		if !o.throttle {
			steps[i].due = 0 // as fast as the broker takes them
		}
		for _, b := range s.batches {
			size += len(b.data)
		}
	}
	slog.Info("posts encoded before sending", "steps", len(steps), "compressed_mb", size>>20,
		"seconds", time.Since(t).Seconds(), "workers", workers)
	if late := time.Since(start); late > 0 {
		return fmt.Errorf("encoding the posts took %s longer than planned: their created_at would be %[1]s early; run again on a quieter machine", late.Round(time.Millisecond))
	}
	pre.chunks, pre.msgs = nil, nil // the steps hold copies
	select {
	case <-time.After(time.Until(start)):
	case <-ctx.Done():
		return nil
	}
	fmt.Println("sending")
	o.sendStart = start
	err = sendSteps(ctx, client, leaders, kf.topic, steps, start, sent)
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("cannot send posts: %w", err)
	}
	return nil
}

// partitionLeaders returns the address of each partition's leader.
func partitionLeaders(ctx context.Context, client *kafka.Client, topic string) ([]net.Addr, error) {
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("cannot read the metadata of topic %q: %w", topic, err)
	}
	if len(md.Topics) != 1 || md.Topics[0].Error != nil || len(md.Topics[0].Partitions) == 0 {
		var terr error
		if len(md.Topics) == 1 {
			terr = md.Topics[0].Error
		}
		return nil, fmt.Errorf("topic %q has no partitions: %v", topic, terr)
	}
	ps := md.Topics[0].Partitions
	leaders := make([]net.Addr, len(ps))
	for _, p := range ps {
		if p.ID < 0 || p.ID >= len(ps) || p.Leader.Host == "" {
			return nil, fmt.Errorf("topic %q: partition %d has no leader", topic, p.ID)
		}
		leaders[p.ID] = kafka.TCP(net.JoinHostPort(p.Leader.Host, fmt.Sprint(p.Leader.Port)))
	}
	return leaders, nil
}

// sendSteps sends each step when it is due after start, one goroutine per
// partition so that a partition's batches stay in order, and adds the
// messages the broker acknowledged to sent. A step waits while a
// partition's previous steps are still being sent (queues of 64 batches).
func sendSteps(ctx context.Context, client *kafka.Client, leaders []net.Addr, topic string, steps []encodedStep, start time.Time, sent *atomic.Int64) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	queues := make([]chan encodedBatch, len(leaders))
	var wg sync.WaitGroup
	for part := range queues {
		q := make(chan encodedBatch, 64)
		queues[part] = q
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range q {
				if ctx.Err() != nil {
					continue // drained after a failure
				}
				if err := produceRaw(ctx, client, leaders, topic, b); err != nil {
					cancel(err)
					continue
				}
				sent.Add(int64(b.messages))
			}
		}()
	}
	timer := time.NewTimer(0)
	<-timer.C
	func() {
		for _, s := range steps {
			if d := time.Until(start.Add(s.due)); d > 0 {
				timer.Reset(d)
				select {
				case <-timer.C:
				case <-ctx.Done():
					return
				}
			}
			for _, b := range s.batches {
				select {
				case queues[b.partition] <- b:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	for _, q := range queues {
		close(q)
	}
	wg.Wait()
	return context.Cause(ctx)
}

// produceRaw sends one batch, again up to 10 times while the broker
// refuses it, asking for the partition's leader again each time.
func produceRaw(ctx context.Context, client *kafka.Client, leaders []net.Addr, topic string, b encodedBatch) error {
	addr := leaders[b.partition]
	for attempt := 1; ; attempt++ {
		res, err := client.RawProduce(ctx, &kafka.RawProduceRequest{Addr: addr, Topic: topic, Partition: b.partition,
			RequiredAcks: kafka.RequireAll, RawRecords: protocol.RawRecordSet{Reader: bytes.NewReader(b.data)}})
		if err == nil {
			err = res.Error
		}
		if err == nil {
			return nil
		}
		if attempt == 10 || ctx.Err() != nil {
			return fmt.Errorf("partition %d: %w", b.partition, err)
		}
		select {
		case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		if ls, lerr := partitionLeaders(ctx, client, topic); lerr == nil && b.partition < len(ls) {
			addr = ls[b.partition]
		}
	}
}
