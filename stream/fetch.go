package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
)

// partitionReader reads one partition from its leader for a partition
// owner. A goroutine it owns fetches from the broker and hands the messages
// over in runs of up to runMessages, so a message costs the owner no
// channel operation, no lock and no clock read: kafka-go's Reader hands
// each message through a channel (a select on each side) and sets a read
// deadline per message: 7% of earshot run's CPU in the end-to-end harness's
// profile, and replacing it took 4.65-4.74 µs of CPU per post to 3.92-4.10
// there (bench/e2e, two runs each). Fetched messages wait in at most queue/256 runs
// (and the run being read); while those are full the goroutine stops
// reading the socket (pause on full).
//
// Retries follow kafka-go's Reader: a lost connection or a moved leader
// reconnects with backoff; an offset past the partition's end waits for
// it; an offset before its start (retention deleted messages not yet
// read) goes on from the start, with an error logged and the messages
// skipped added to cfg.lost, since those messages are lost to earshot.
type partitionReader struct {
	cfg  readerConfig
	runs chan *fetchRun // fetched runs, in offset order
	free chan *fetchRun // runs the owner is done with
	cur  *fetchRun
	next int   // index in cur.msgs of the next message
	lag  int64 // Lag
	room int   // the free space of a slab a value is read into, at least minRoom (the fetching goroutine's)

	cancel context.CancelFunc
	done   chan struct{}
	conn   atomic.Pointer[kafka.Conn] // the open connection, closed by Close
}

type readerConfig struct {
	brokers   []string
	topic     string
	partition int
	maxBytes  int           // per fetch
	maxWait   time.Duration // the broker's wait for a first byte
	queue     int           // messages fetched ahead at most
	// readTimeout bounds reading one run of a fetch response off the socket.
	readTimeout time.Duration
	backoffMin  time.Duration
	backoffMax  time.Duration
	dialer      *kafka.Dialer
	log         *slog.Logger
	// lost counts the messages retention deleted before they were read,
	// skipped when an offset before the partition's first is moved to it
	// (earshot_lost_messages_total); nil counts nothing.
	lost prometheus.Counter
}

// runMessages is how many messages a run holds at most: one channel
// operation per 256 messages.
const runMessages = 256

// slabBytes is the size of the buffers message values are read into. A
// run's values share its slab: kafka-go's Batch.ReadMessage allocates each
// message's key and value (two allocations per message, ~47% of the bytes
// earshot run allocated and most of what the collector had to keep up
// with), and reading values into slabs instead took the end-to-end
// harness's CPU per post from 2.97-3.02 to 2.79-2.83 µs, peak RSS from
// 625-681 to 679-780 MB (2M posts, two binaries alternated twice, three
// runs each; docs/e2e-performance.md). A slab is never
// reused: the processor may still hold posts decoded from a run's values
// after the run is freed, so the collector frees a slab once nothing
// points into it (stored rows do not: Post.Own, enrich's codes).
const slabBytes = 1 << 20

// minRoom is the free space a value is first read into; Batch.Read fails
// a larger value (io.ErrShortBuffer) and the reader doubles its room and
// reads the fetch again from that value.
const minRoom = 64 << 10

// fetchRun is a sequence of consecutive messages of one fetch, without
// their keys and headers (Originals reads them for dead letters).
type fetchRun struct {
	slab []byte // the values are in it (or in slabs before it); its free tail is for the next
	msgs []kafka.Message
	hwm  int64 // the partition's high watermark when fetched
}

func newPartitionReader(cfg readerConfig, start int64) *partitionReader {
	if cfg.dialer == nil {
		cfg.dialer = kafka.DefaultDialer
	}
	slots := max(1, cfg.queue/runMessages)
	r := &partitionReader{cfg: cfg, lag: -1, room: minRoom, runs: make(chan *fetchRun, slots), free: make(chan *fetchRun, slots+2),
		done: make(chan struct{})}
	for range slots + 2 {
		r.free <- &fetchRun{msgs: make([]kafka.Message, 0, runMessages)}
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		defer close(r.done)
		r.fetch(ctx, start)
	}()
	return r
}

// FetchMessage returns the next message; it waits until one is fetched or
// ctx ends. A message is returned only while ctx has not ended, so that a
// deadline ends the wait for the next one even when messages are queued.
// Its only errors are ctx's: the fetching goroutine logs and retries the
// broker's.
func (r *partitionReader) FetchMessage(ctx context.Context) (kafka.Message, error) {
	if err := ctx.Err(); err != nil {
		return kafka.Message{}, err
	}
	for r.cur == nil || r.next == len(r.cur.msgs) {
		if r.cur != nil {
			r.free <- r.cur // never blocks: free holds every run
			r.cur = nil
		}
		select {
		case <-ctx.Done():
			return kafka.Message{}, ctx.Err()
		case c := <-r.runs:
			r.cur, r.next = c, 0
		}
	}
	m := r.cur.msgs[r.next]
	r.cur.msgs[r.next] = kafka.Message{} // the run is reused: drop its references
	r.next++
	r.lag = r.cur.hwm - (m.Offset + 1)
	return m, nil
}

// Lag is how many messages of the partition follow the last one returned,
// as of that message's fetch; -1 before the first.
func (r *partitionReader) Lag() int64 { return r.lag }

// Close stops fetching and waits for the fetching goroutine.
func (r *partitionReader) Close() error {
	r.cancel()
	if c := r.conn.Load(); c != nil {
		c.Close() // ends a read in progress
	}
	<-r.done
	return nil
}

// fetch is the fetching goroutine: it connects, fetches from offset on and
// reconnects after errors, until ctx ends.
func (r *partitionReader) fetch(ctx context.Context, offset int64) {
	log := r.cfg.log
	for attempt := 0; ctx.Err() == nil; attempt++ {
		if attempt > 0 && !r.sleep(ctx, attempt) {
			return
		}
		conn, start, err := r.connect(ctx, offset)
		if err != nil {
			if errors.Is(err, kafka.OffsetOutOfRange) {
				// Past the end: wait for it to be written.
				log.Debug("offset past the partition's end; waiting", "offset", offset)
				attempt = 0 // the next round waits backoffMin
				continue
			}
			if ctx.Err() != nil {
				return
			}
			log.Warn("cannot connect to the partition's leader; retrying", "attempt", attempt, "err", err)
			continue
		}
		attempt, offset = 0, start
		offset, err = r.read(ctx, conn, offset)
		r.conn.Store(nil)
		conn.Close()
		if ctx.Err() != nil {
			return
		}
		if err != nil && !errors.Is(err, kafka.OffsetOutOfRange) { // connect sorts that out
			log.Warn("fetch failed; reconnecting", "offset", offset, "err", err)
		}
	}
}

// connect dials the partition's leader and seeks to offset (FirstOffset or
// LastOffset, or an absolute offset; one before the partition's first is
// moved to it). An offset past the end is kafka.OffsetOutOfRange.
func (r *partitionReader) connect(ctx context.Context, offset int64) (*kafka.Conn, int64, error) {
	var err error
	for _, broker := range r.cfg.brokers {
		var conn *kafka.Conn
		conn, err = r.cfg.dialer.DialLeader(ctx, "tcp", broker, r.cfg.topic, r.cfg.partition)
		if err != nil {
			continue
		}
		var first, last, lost int64
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		if first, last, err = conn.ReadOffsets(); err != nil {
			conn.Close()
			continue
		}
		at := offset // where this connection starts
		switch {
		case offset == kafka.FirstOffset:
			at = first
		case offset == kafka.LastOffset:
			at = last
		case offset < first:
			at, lost = first, first-offset // logged and counted below, once reading goes on from first
		case offset > last:
			conn.Close()
			return nil, 0, kafka.OffsetOutOfRange
		}
		if _, err = conn.Seek(at, kafka.SeekAbsolute|kafka.SeekDontCheck); err != nil {
			conn.Close()
			continue
		}
		conn.SetDeadline(time.Time{})
		r.conn.Store(conn)
		if ctx.Err() != nil { // Close may have missed it
			r.conn.Store(nil)
			conn.Close()
			return nil, 0, ctx.Err()
		}
		if lost > 0 {
			r.cfg.log.Error("retention deleted messages earshot had not read; going on from the partition's first offset",
				"from", offset, "to", first, "lost", lost)
			if r.cfg.lost != nil {
				r.cfg.lost.Add(float64(lost))
			}
		}
		return conn, at, nil
	}
	return nil, 0, err
}

// Originals reads again the messages at offsets (ascending), which the
// reader handed over without their keys and headers, and gives dead[i]
// the key of the message at offsets[i] and its headers before its own. It
// uses a connection of its own, closed before it returns. A message no
// longer in the partition (retention, compaction) is left as it is.
func (r *partitionReader) Originals(ctx context.Context, offsets []int64, dead []kafka.Message) error {
	var conn *kafka.Conn
	var err error
	for _, broker := range r.cfg.brokers {
		if conn, err = r.cfg.dialer.DialLeader(ctx, "tcp", broker, r.cfg.topic, r.cfg.partition); err == nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("dialing the leader of partition %d: %w", r.cfg.partition, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if _, err := conn.Seek(offsets[0], kafka.SeekAbsolute); err != nil {
		return fmt.Errorf("seeking offset %d: %w", offsets[0], err)
	}
	k := 0
	for k < len(offsets) {
		conn.SetReadDeadline(time.Now().Add(r.cfg.maxWait + r.cfg.readTimeout))
		batch := conn.ReadBatchWith(kafka.ReadBatchConfig{MinBytes: 1, MaxBytes: r.cfg.maxBytes, MaxWait: r.cfg.maxWait})
		from := batch.Offset()
		for k < len(offsets) {
			m, err := batch.ReadMessage()
			if err != nil {
				break
			}
			for k < len(offsets) && offsets[k] < m.Offset {
				k++ // gone
			}
			if k < len(offsets) && offsets[k] == m.Offset {
				dead[k].Key = m.Key
				dead[k].Headers = append(m.Headers, dead[k].Headers...)
				k++
			}
		}
		if err := batch.Close(); err != nil {
			return fmt.Errorf("reading offsets %d..%d again: %w", offsets[0], offsets[len(offsets)-1], err)
		}
		if batch.Offset() == from {
			return fmt.Errorf("reading offsets %d..%d again: nothing past %d", offsets[0], offsets[len(offsets)-1], from)
		}
	}
	return nil
}

// read fetches from conn until an error that needs a new connection, and
// returns the offset to go on from. An offset out of range (retention
// deleted it, or the log was truncated) is left to connect, which knows
// the partition's bounds.
func (r *partitionReader) read(ctx context.Context, conn *kafka.Conn, offset int64) (int64, error) {
	for ctx.Err() == nil {
		conn.SetReadDeadline(time.Now().Add(r.cfg.maxWait + r.cfg.readTimeout))
		batch := conn.ReadBatchWith(kafka.ReadBatchConfig{MinBytes: 1, MaxBytes: r.cfg.maxBytes, MaxWait: r.cfg.maxWait})
		hwm := batch.HighWaterMark()
		var err error
		for err == nil {
			c := r.take(ctx)
			if c == nil {
				batch.Close()
				return offset, ctx.Err()
			}
			c.hwm = hwm
			for len(c.msgs) < cap(c.msgs) {
				if cap(c.slab)-len(c.slab) < r.room {
					c.slab = make([]byte, 0, max(slabBytes, 2*r.room))
				}
				buf := c.slab[len(c.slab):cap(c.slab)]
				var n int
				if n, err = batch.Read(buf); err != nil {
					break
				}
				at := batch.Offset() - 1
				if at < offset { // a compressed batch may start before the offset asked for
					continue
				}
				c.slab = c.slab[:len(c.slab)+n]
				c.msgs = append(c.msgs, kafka.Message{Topic: r.cfg.topic, Partition: r.cfg.partition, Offset: at, Value: buf[:n:n]})
			}
			if len(c.msgs) == 0 {
				r.free <- c
				break
			}
			offset = c.msgs[len(c.msgs)-1].Offset + 1
			if !r.give(ctx, c) {
				batch.Close()
				return offset, ctx.Err()
			}
			// The next run is read after the owner took this one: the
			// deadline bounds reading it, not the owner's pace.
			conn.SetReadDeadline(time.Now().Add(r.cfg.readTimeout))
		}
		if cerr := batch.Close(); err == nil || errors.Is(err, io.EOF) {
			err = cerr
		}
		if errors.Is(err, io.ErrShortBuffer) {
			// A value larger than the room: the batch gave it back, and the
			// connection goes on from it (kafka-go keeps it open).
			r.room *= 2
			continue
		}
		// io.EOF: the fetch is read; RequestTimedOut: nothing within maxWait.
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, kafka.RequestTimedOut) {
			return offset, err
		}
	}
	return offset, ctx.Err()
}

// take returns an empty run, waiting while the owner holds all of them (the
// queue is full); nil when ctx ends.
func (r *partitionReader) take(ctx context.Context) *fetchRun {
	select {
	case c := <-r.free:
		c.msgs = c.msgs[:0]
		return c
	case <-ctx.Done():
		return nil
	}
}

func (r *partitionReader) give(ctx context.Context, c *fetchRun) bool {
	select {
	case r.runs <- c:
		return true
	case <-ctx.Done():
		return false
	}
}

// sleep waits the backoff of attempt (doubling from backoffMin up to
// backoffMax, with jitter); false when ctx ended first.
func (r *partitionReader) sleep(ctx context.Context, attempt int) bool {
	d := r.cfg.backoffMin << min(attempt-1, 10)
	if d <= 0 || d > r.cfg.backoffMax {
		d = r.cfg.backoffMax
	}
	d = d/2 + rand.N(d/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
