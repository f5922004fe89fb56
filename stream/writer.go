package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"

	"earshot/sink"
	"earshot/stream/burst"
)

// Store is where mention rows go: ClickHouse in production (*sink.Client).
type Store interface {
	// Insert writes rows as one INSERT: a client that fails keeps none of
	// it, a server that fails may keep part of it (Inspect).
	Insert(ctx context.Context, rows []sink.Mention) error
	// Inspect tells, after an Insert of rows failed, whether mentions holds
	// them and which views' tables do: ClickHouse may keep a failed INSERT
	// in part (sink.Landing).
	Inspect(ctx context.Context, rows []sink.Mention) (sink.Landing, error)
	// Complete writes rows into one view's table from their copy in
	// mentions.
	Complete(ctx context.Context, rows []sink.Mention, table string) error
	// ResumeOffsets returns, per partition, the highest source offset stored.
	ResumeOffsets(ctx context.Context, topic string) (map[int32]int64, error)
	// RunningInserts returns how many INSERTs into mentions the server has
	// been running for olderThan or more, and the longest one's age.
	RunningInserts(ctx context.Context, olderThan time.Duration) (n int, longest time.Duration, err error)
	// RecentKeys calls fn with the post ids stored since the given time and
	// their copy keys, in offset order.
	RecentKeys(ctx context.Context, topic string, partition int32, since time.Time, fn func(postID string, copyKey uint64)) error
	// BackfillKeys calls fn with the posts a backfill stored, that the
	// pipeline had not, since the given time.
	BackfillKeys(ctx context.Context, topic string, partition int32, since time.Time, fn func(postID string, copyKey uint64)) error
}

// MessageWriter writes Kafka messages (the dead-letter topic): *kafka.Writer.
type MessageWriter interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}

// committer commits consumer-group offsets: *kafka.Generation.
type committer interface {
	CommitOffsets(offsets map[string]map[int]int64) error
}

// counts are a chunk's per-message tallies, added to metrics when the chunk
// is handed over so the hot path touches no shared memory.
type counts struct {
	consumed, decoded, matched, duplicates, mentions int64
	reposts, copies                                  int64 // unique matched posts that are reposts, copies
	skipped                                          int64 // valid messages that are no posts (adapters)
	stored                                           int64 // mentions a backfill found stored already
}

// fence records when a consumer-group generation ended for this process
// (zero while it lasts). Chunks of a generation that ended more than
// Config.fenceAfter ago are dropped unwritten, and inserts of an ended
// generation must finish by then: by the time the coordinator can complete
// the next generation (at most RebalanceTimeout after the rebalance began),
// nothing of the old one can still land in ClickHouse after the new owner
// read its resume offsets.
type fence struct {
	ended atomic.Int64
	done  chan struct{} // closed when the generation ends
}

func newFence() *fence { return &fence{done: make(chan struct{})} }

func (f *fence) end() {
	if f.ended.CompareAndSwap(0, time.Now().UnixNano()) {
		close(f.done)
	}
}

// deadline returns when the generation's inserts must be over; ok is false
// while the generation lasts.
func (f *fence) deadline(after time.Duration) (t time.Time, ok bool) {
	if f == nil {
		return time.Time{}, false
	}
	e := f.ended.Load()
	if e == 0 {
		return time.Time{}, false
	}
	return time.Unix(0, e).Add(after), true
}

// errFenced reports a chunk dropped because its generation ended too long
// ago; its messages are read again by the partition's next owner.
var errFenced = errors.New("generation ended: chunk fenced off")

// chunk is a run of consecutive messages of one partition, processed.
type chunk struct {
	gen       committer
	fence     *fence
	topic     string
	partition int
	first     int64 // first offset processed, -1 while empty
	last      int64 // last offset processed
	started   time.Time
	rows      []sink.Mention
	dead      []kafka.Message
	deadAt    []int64         // the offset of each dead letter's message
	routed    []kafka.Message // mentions of routed rules, for their route topics
	events    []burst.Event   // for the detector (moved out before the writer gets the chunk)
	ticks     []tick
	n         counts
	done      chan error // non-nil: flush now and report (a barrier)
}

func (c *chunk) reset() {
	clear(c.rows)
	clear(c.dead)
	clear(c.routed)
	clear(c.events)
	*c = chunk{gen: c.gen, fence: c.fence, topic: c.topic, partition: c.partition, first: -1,
		rows: c.rows[:0], dead: c.dead[:0], deadAt: c.deadAt[:0], routed: c.routed[:0], events: c.events[:0], ticks: c.ticks[:0]}
}

// writer owns the batch: it collects chunks, writes dead letters, inserts
// rows, and only then commits the chunks' offsets. One goroutine, started and
// awaited by Pipeline.Run.
type writer struct {
	cfg     *Config
	store   Store
	dlq     MessageWriter
	routes  MessageWriter // nil: no rule is routed
	prefix  string        // route topic prefix
	m       *metrics
	stats   *Stats
	log     *slog.Logger
	in      chan *chunk
	recycle func(*chunk)
	// notBefore is the first whole second this run's rows may carry as
	// ingested_at: the detector's warm-up reads the rows stored before it,
	// and ClickHouse keeps ingested_at to the second.
	notBefore time.Time

	pending []*chunk
	nrows   int
	batch   []sink.Mention
	dead    []kafka.Message
	routed  []kafka.Message
	marks   map[topicPartition]int64
}

type topicPartition struct {
	topic     string
	partition int
}

// run consumes chunks until in is closed, then flushes once more. I/O uses
// ctx, which is cancelled only when the shutdown deadline passes.
func (w *writer) run(ctx context.Context) {
	t := time.NewTimer(w.jitter())
	defer t.Stop()
	for {
		select {
		case c, ok := <-w.in:
			if !ok {
				w.flush(ctx)
				return
			}
			w.m.queued.Set(float64(len(w.in)))
			w.pending = append(w.pending, c)
			w.nrows += len(c.rows)
			if c.done != nil || w.nrows >= w.cfg.BatchRows {
				w.flush(ctx)
			}
		case <-t.C:
			// The interval runs from one flush's start to the next's, so that
			// a post waits at most about one interval plus one insert.
			start := time.Now()
			w.flush(ctx)
			t.Reset(max(w.jitter()-time.Since(start), 0))
		}
	}
}

// jitter spreads flushes of several processes over ±10% of the interval.
func (w *writer) jitter() time.Duration {
	iv := w.cfg.BatchInterval
	return iv - iv/10 + time.Duration(rand.Int64N(int64(iv)/5+1))
}

func (w *writer) flush(ctx context.Context) {
	if len(w.pending) == 0 {
		return
	}
	start := time.Now()
	ctx, cancel, err := w.fenceOff(ctx, start)
	defer cancel()
	if err == nil && !w.cfg.DetectOnly { // DetectOnly writes nothing, only commits
		wctx, stop := w.fenceDuring(ctx)
		err = w.write(wctx)
		if err != nil && errors.Is(context.Cause(wctx), errFenced) {
			w.m.staleChunks.Add(float64(len(w.pending)))
			w.log.Warn("batch of a generation that ended while it was written fenced off; the next owners read it again",
				"rows", w.nrows, "err", err)
			err = fmt.Errorf("%w: %w", errFenced, err)
		}
		stop()
	}
	if err == nil {
		w.commit()
		if !w.cfg.DetectOnly {
			w.m.batches.Inc()
			w.m.batchSeconds.Observe(time.Since(start).Seconds())
			w.m.batchRows.Observe(float64(w.nrows))
			w.m.inserted.Add(float64(w.nrows))
			w.stats.Inserted.Add(int64(w.nrows))
		}
	} else if !errors.Is(err, errFenced) {
		w.log.Error("batch abandoned; its messages will be read again after restart",
			"rows", w.nrows, "err", err)
	}
	for _, c := range w.pending {
		if c.done != nil {
			c.done <- err
		} else if w.recycle != nil {
			w.recycle(c)
		}
	}
	clear(w.pending)
	w.pending, w.nrows = w.pending[:0], 0
}

// fenceOff drops pending chunks whose generation ended more than
// fenceAfter ago and bounds the batch's I/O by the earliest deadline of the
// ended generations among the rest. It fails when nothing is left to write.
func (w *writer) fenceOff(ctx context.Context, now time.Time) (context.Context, context.CancelFunc, error) {
	after := w.cfg.fenceAfter()
	var deadline time.Time
	kept := w.pending[:0]
	for _, c := range w.pending {
		d, ended := c.fence.deadline(after)
		switch {
		case ended && !now.Before(d):
			w.m.staleChunks.Inc()
			w.nrows -= len(c.rows)
			w.log.Warn("chunk of an ended generation fenced off; the next owner reads it again",
				"partition", c.partition, "first", c.first, "last", c.last)
			if c.done != nil {
				c.done <- errFenced
			} else if w.recycle != nil {
				w.recycle(c)
			}
			continue
		case ended && (deadline.IsZero() || d.Before(deadline)):
			deadline = d
		}
		kept = append(kept, c)
	}
	clear(w.pending[len(kept):])
	w.pending = kept
	if len(kept) == 0 {
		return ctx, func() {}, errFenced
	}
	if deadline.IsZero() {
		return ctx, func() {}, nil
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	return ctx, cancel, nil
}

// fenceDuring bounds the batch's I/O by the fence of a generation that ends
// while the batch is written. fenceOff bounds it by the generations that
// had ended when the flush began; without this, a flush that began just
// before its generation ended, and then waited (on a broker that went down,
// for its dead letters), would insert its rows after the partition's next
// owner read its resume offsets. ctx is cancelled with errFenced as its
// cause fenceAfter after such an end; stop ends the watch and waits for it.
func (w *writer) fenceDuring(ctx context.Context) (wctx context.Context, stop func()) {
	var live []*fence
	for _, c := range w.pending {
		if f := c.fence; f != nil && f.ended.Load() == 0 && !slices.Contains(live, f) {
			live = append(live, f)
		}
	}
	if len(live) == 0 {
		return ctx, func() {}
	}
	wctx, cancel := context.WithCancelCause(ctx)
	after := w.cfg.fenceAfter()
	var wg sync.WaitGroup
	for _, f := range live {
		wg.Go(func() {
			select {
			case <-wctx.Done():
				return
			case <-f.done:
			}
			d, _ := f.deadline(after)
			t := time.NewTimer(time.Until(d))
			defer t.Stop()
			select {
			case <-wctx.Done():
			case <-t.C:
				cancel(errFenced)
			}
		})
	}
	return wctx, func() { cancel(nil); wg.Wait() }
}

// write stores the batch's dead letters, then its rows. It retries until
// success or ctx ends.
func (w *writer) write(ctx context.Context) error {
	w.dead = w.dead[:0]
	w.batch = w.batch[:0]
	clear(w.routed)
	w.routed = w.routed[:0]
	for _, c := range w.pending {
		w.dead = append(w.dead, c.dead...)
		w.batch = append(w.batch, c.rows...)
		w.routed = append(w.routed, c.routed...)
	}
	// Routed mentions, like dead letters, are written before the rows are
	// inserted and the offsets committed: at-least-once.
	if len(w.routed) > 0 && w.routes != nil {
		err := w.retry(ctx, "route", func() error { return w.routes.WriteMessages(ctx, w.routed...) })
		if err != nil {
			return fmt.Errorf("cannot write %d routed mentions: %w", len(w.routed), err)
		}
		for i := range w.routed {
			w.m.routed.WithLabelValues(w.routed[i].Topic[len(w.prefix):]).Inc()
		}
	}
	if len(w.dead) > 0 {
		err := w.retry(ctx, "dead_letter", func() error { return w.dlq.WriteMessages(ctx, w.dead...) })
		if err != nil {
			return fmt.Errorf("cannot write %d dead letters: %w", len(w.dead), err)
		}
	}
	w.appendMarkers()
	if len(w.batch) == 0 {
		return nil
	}
	if d := time.Until(w.notBefore); d > 0 {
		select { // the first batch of a run, when it is quick (< 1 s)
		case <-time.After(d):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	partial, err := land(ctx, w.store, w.batch, w.store.Complete, w.retry, w.log)
	if err == nil && partial {
		w.m.partial.Inc()
		w.log.Warn("ClickHouse kept a failed INSERT in part; the views' tables that lacked it were completed from mentions",
			"rows", len(w.batch), "batch", batchSpan(w.batch))
	}
	clear(w.batch)
	if err != nil {
		return fmt.Errorf("cannot insert %d rows: %w", len(w.batch), err)
	}
	return nil
}

// inserter is the part of Store that land uses.
type inserter interface {
	Insert(ctx context.Context, rows []sink.Mention) error
	Inspect(ctx context.Context, rows []sink.Mention) (sink.Landing, error)
}

// land inserts rows with one INSERT, retried (by retry, target
// "clickhouse") until it succeeds or ctx ends. An insert that failed may
// have been kept, whole or in part (mentions and the views' tables written
// before the failure): inserting it again would count it twice. So after a
// failure the batch is inserted again only if mentions does not hold it; if
// it does, the views' tables that lack it are completed from mentions with
// complete (Store.Complete; a backfill's batches, which share their
// messages with the pipeline's rows, use sink.Client.CompleteRows). It
// reports whether any table had to be completed.
func land(ctx context.Context, st inserter, rows []sink.Mention,
	complete func(ctx context.Context, rows []sink.Mention, table string) error,
	retry func(ctx context.Context, target string, op func() error) error, log *slog.Logger) (partial bool, err error) {
	failed := false
	var landing *sink.Landing
	err = retry(ctx, "clickhouse", func() error {
		if failed && landing == nil {
			l, err := st.Inspect(ctx, rows)
			if err != nil {
				return err
			}
			if l.Stored {
				landing = &l
			}
		}
		if landing != nil {
			did, err := settle(ctx, landing, rows, complete, log)
			partial = partial || did
			if err != nil {
				landing = nil // ask again: every table answers for itself by the batch's markers
			}
			return err
		}
		failed = true
		return st.Insert(ctx, rows)
	})
	return partial, err
}

// settle completes the views' tables that a failed insert of rows left
// without them (l, from Store.Inspect). It reports whether any table lacked
// the batch; after an error the batch must be inspected again. A table
// Inspect cannot tell (an aggregate table, for rows without a progress
// marker, which the writer's batches always have) is logged and left.
func settle(ctx context.Context, l *sink.Landing, rows []sink.Mention,
	complete func(ctx context.Context, rows []sink.Mention, table string) error, log *slog.Logger) (partial bool, err error) {
	for i := range l.Tables {
		t := &l.Tables[i]
		switch t.State {
		case sink.Missing:
			if err := complete(ctx, rows, t.Table); err != nil {
				return true, err
			}
			t.State, partial = sink.Written, true
		case sink.Unknown:
			partial = true
			log.Error("cannot tell whether a table holds a batch that mentions holds: check it against mentions",
				"table", t.Table, "rows", len(rows), "batch", batchSpan(rows))
		}
	}
	return partial, nil
}

// batchSpan describes the batch's messages: topic/partition:first-last.
func batchSpan(rows []sink.Mention) string {
	var b []byte
	for i, s := range sink.Spans(rows) {
		if i > 0 {
			b = append(b, ' ')
		}
		b = fmt.Appendf(b, "%s/%d:%d-%d", s.Topic, s.Partition, s.First, s.Last)
	}
	return string(b)
}

// appendMarkers adds one progress marker per partition in the batch (a row
// with no rule, counted nowhere) at the last offset processed, so that the
// offsets ClickHouse stores cover messages that produced no mentions too and
// a restart resumes right after the batch. Every table the INSERT writes
// holds a row of each marker, by which sink.Client.Inspect tells whether it
// holds the batch; the markers carry the time of the batch's first row, so
// that they fall in the same month partition as the rows, the same part.
func (w *writer) appendMarkers() {
	if w.marks == nil {
		w.marks = map[topicPartition]int64{}
	}
	clear(w.marks)
	for _, c := range w.pending {
		if c.first < 0 {
			continue
		}
		k := topicPartition{c.topic, c.partition}
		if last, ok := w.marks[k]; !ok || c.last > last {
			w.marks[k] = c.last
		}
	}
	at := time.Now()
	if len(w.batch) > 0 {
		at = w.batch[0].CreatedAt
	}
	for k, off := range w.marks {
		w.batch = append(w.batch, sink.Mention{CreatedAt: at, Topic: k.topic, Partition: int32(k.partition), Offset: off})
	}
}

func (w *writer) retry(ctx context.Context, target string, op func() error) error {
	return retry(ctx, w.m, w.log, target, w.cfg.RetryBackoff, op)
}

// retry runs op until it succeeds or ctx ends, waiting first between
// attempts and doubling the wait up to 10s; each failure is counted in
// earshot_retries_total{target} and logged.
func retry(ctx context.Context, m *metrics, log *slog.Logger, target string, first time.Duration, op func() error) error {
	backoff := first
	for {
		err := op()
		if err == nil {
			return nil
		}
		m.retries.WithLabelValues(target).Inc()
		log.Warn("write failed; retrying", "target", target, "backoff", backoff, "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (gave up: %v)", err, context.Cause(ctx))
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// commit commits, per generation, the next offset of every partition in the
// batch. A failed commit loses nothing: on assignment the owner resumes from
// the offsets ClickHouse stores with the rows (with DetectOnly, from the
// last commit that succeeded: a few posts reach the detector again).
func (w *writer) commit() {
	offs := map[committer]map[string]map[int]int64{}
	for _, c := range w.pending {
		if c.first < 0 || c.gen == nil {
			continue
		}
		byTopic := offs[c.gen]
		if byTopic == nil {
			byTopic = map[string]map[int]int64{}
			offs[c.gen] = byTopic
		}
		if byTopic[c.topic] == nil {
			byTopic[c.topic] = map[int]int64{}
		}
		if next := c.last + 1; next > byTopic[c.topic][c.partition] {
			byTopic[c.topic][c.partition] = next
		}
	}
	for gen, o := range offs {
		if err := gen.CommitOffsets(o); err != nil {
			w.m.commitErrors.Inc()
			w.log.Warn("offset commit failed", "err", err)
			continue
		}
		for _, parts := range o {
			for p, off := range parts {
				w.m.committed.WithLabelValues(strconv.Itoa(p)).Set(float64(off))
			}
		}
	}
}
