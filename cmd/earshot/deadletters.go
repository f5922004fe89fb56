package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/segmentio/kafka-go"

	"earshot/stream"
)

// headerReplayedFrom marks a message replayed from the dead-letter topic
// with the dead letter's own coordinates (topic/partition/offset), so that
// one that fails again can be traced.
const headerReplayedFrom = "earshot-replayed-from"

// cmdDeadLetters reads the dead-letter topic over a time range and prints
// what it holds by reason, or each dead letter as JSON, or replays them
// into the input topic once whatever made them fail is fixed.
func cmdDeadLetters(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("dead-letters", flag.ContinueOnError)
	var kf kafkaFlags
	kf.register(fs, "posts")
	dlq := fs.String("dead-letter-topic", "", "dead-letter `topic` (default: TOPIC.dlq)")
	since := fs.Duration("since", 24*time.Hour, "read the dead letters written this long ago or later, up to now (0: all that Kafka keeps)")
	var reasons listFlag
	fs.Var(&reasons, "reason", "only the dead letters of these `reasons`, comma-separated (default all; see docs/posts.md)")
	asJSON := fs.Bool("json", false, "print one JSON object per dead letter (source, time, reason, detail, key, value) instead of the summary")
	replay := fs.Bool("replay", false, "write each dead letter's key, value and own headers back to --topic, on its source partition, once per source message")
	if err := parse(fs, args); err != nil {
		return err
	}
	sec, err := kf.security()
	if err != nil {
		return err
	}
	topic := cmp.Or(*dlq, kf.topic+".dlq")
	from := time.Time{}
	if *since > 0 {
		from = time.Now().Add(-*since)
	}
	var sum deadLetterSummary
	rp := newReplayer(ctx, kf.brokers, sec, kf.topic)
	defer rp.closeWriters() // after an error: what is pending is not written
	enc := json.NewEncoder(os.Stdout)
	err = readTopic(ctx, kf.brokers, sec, topic, from, func(m kafka.Message) error {
		dl := parseDeadLetter(m)
		if len(reasons) > 0 && !slices.Contains(reasons, dl.Reason) {
			return nil
		}
		sum.add(dl)
		switch {
		case *replay:
			return rp.add(dl)
		case *asJSON:
			return enc.Encode(dl)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if *replay {
		if err := rp.close(); err != nil {
			return err
		}
		fmt.Printf("replayed %d dead letters of %s to %s", rp.n, topic, kf.topic)
		if n := sum.total - rp.n; n > 0 {
			fmt.Printf(" (%d more were copies of those: a dead letter may be written twice)", n)
		}
		fmt.Println()
		return nil
	}
	if !*asJSON {
		sum.print(os.Stdout, topic, from)
	}
	return nil
}

// deadLetter is a dead letter as `earshot dead-letters --json` prints it.
type deadLetter struct {
	// Source is where the original was read, topic/partition/offset.
	Source string    `json:"source"`
	At     string    `json:"dead_letter"` // the dead letter's own topic/partition/offset
	Time   time.Time `json:"written_at"`
	Reason string    `json:"reason"`
	Detail string    `json:"detail,omitempty"`
	Key    string    `json:"key"`
	// Value is the original message; bytes that are not UTF-8 are shown
	// as U+FFFD.
	Value string `json:"value"`
	// Unread is set when the original's key and headers could not be read.
	Unread string `json:"original_unread,omitempty"`

	msg          kafka.Message
	srcTopic     string
	srcPartition int // -1: unknown
	srcOffset    int64
}

func parseDeadLetter(m kafka.Message) deadLetter {
	dl := deadLetter{At: fmt.Sprintf("%s/%d/%d", m.Topic, m.Partition, m.Offset), Time: m.Time.UTC(),
		Key: string(m.Key), Value: string(m.Value), msg: m, srcPartition: -1}
	var topic, partition, offset string
	for _, h := range m.Headers {
		switch h.Key {
		case stream.HeaderReason:
			dl.Reason = string(h.Value)
		case stream.HeaderDetail:
			dl.Detail = string(h.Value)
		case stream.HeaderSourceTopic:
			topic = string(h.Value)
		case stream.HeaderSourcePartition:
			partition = string(h.Value)
		case stream.HeaderSourceOffset:
			offset = string(h.Value)
		case stream.HeaderOriginalUnread:
			dl.Unread = string(h.Value)
		}
	}
	p, perr := strconv.Atoi(partition)
	o, oerr := strconv.ParseInt(offset, 10, 64)
	if perr == nil && oerr == nil && topic != "" && p >= 0 && o >= 0 {
		dl.Source, dl.srcTopic, dl.srcPartition, dl.srcOffset = topic+"/"+partition+"/"+offset, topic, p, o
	}
	dl.Reason = cmp.Or(dl.Reason, "(no reason header)")
	return dl
}

// original is the message to replay: the dead letter's key, value and the
// original's own headers (earshot's dropped), marked with where it was.
func (dl deadLetter) original() kafka.Message {
	m := kafka.Message{Key: dl.msg.Key, Value: dl.msg.Value}
	for _, h := range dl.msg.Headers {
		if !strings.HasPrefix(h.Key, "earshot-") {
			m.Headers = append(m.Headers, h)
		}
	}
	m.Headers = append(m.Headers, kafka.Header{Key: headerReplayedFrom, Value: []byte(dl.At)})
	return m
}

// deadLetterSummary counts dead letters by reason.
type deadLetterSummary struct {
	total       int
	first, last time.Time
	byReason    map[string]*reasonCount
}

type reasonCount struct {
	n       int
	example deadLetter
}

func (s *deadLetterSummary) add(dl deadLetter) {
	if s.byReason == nil {
		s.byReason = map[string]*reasonCount{}
	}
	s.total++
	if s.first.IsZero() || dl.Time.Before(s.first) {
		s.first = dl.Time
	}
	if dl.Time.After(s.last) {
		s.last = dl.Time
	}
	rc := s.byReason[dl.Reason]
	if rc == nil {
		rc = &reasonCount{example: dl}
		s.byReason[dl.Reason] = rc
	}
	rc.n++
}

func (s *deadLetterSummary) print(w io.Writer, topic string, from time.Time) {
	if s.total == 0 {
		if from.IsZero() {
			fmt.Fprintf(w, "%s: no dead letters\n", topic)
		} else {
			fmt.Fprintf(w, "%s: no dead letters since %s UTC\n", topic, from.UTC().Format(time.DateTime))
		}
		return
	}
	fmt.Fprintf(w, "%s: %d dead letters from %s to %s UTC\n", topic, s.total,
		s.first.Format(time.DateTime), s.last.Format(time.DateTime))
	reasons := make([]string, 0, len(s.byReason))
	for r := range s.byReason {
		reasons = append(reasons, r)
	}
	slices.SortFunc(reasons, func(a, b string) int {
		return cmp.Or(cmp.Compare(s.byReason[b].n, s.byReason[a].n), strings.Compare(a, b))
	})
	for _, r := range reasons {
		ex := s.byReason[r].example
		fmt.Fprintf(w, "  %-20s %8d  e.g. %s: %s\n", r, s.byReason[r].n, cmp.Or(ex.Source, ex.At), cmp.Or(ex.Detail, "-"))
	}
}

// readTopic calls fn for every message of topic written at from or later
// (from zero: every message Kafka keeps), up to the partitions' ends when
// it starts, partition by partition.
func readTopic(ctx context.Context, brokers []string, sec stream.Security, topic string, from time.Time, fn func(kafka.Message) error) error {
	parts, err := topicOffsets(ctx, brokers, sec, topic, from)
	if err != nil {
		return err
	}
	for _, po := range parts {
		if err := readPartition(ctx, brokers, sec, topic, po.Partition, startOffset(po, from), po.LastOffset, fn); err != nil {
			return err
		}
	}
	return nil
}

// startOffset is the first offset of po written at from or later (from
// zero: its first offset), as topicOffsets found them; the end offset when
// none is.
func startOffset(po kafka.PartitionOffsets, from time.Time) int64 {
	if from.IsZero() {
		return po.FirstOffset
	}
	start := po.LastOffset
	for off := range po.Offsets {
		if off >= 0 {
			start = max(po.FirstOffset, off)
		}
	}
	return start
}

// topicOffsets returns, by partition, the first and end offsets of topic
// and, when from is set, the first offset written at from or later (in
// Offsets).
func topicOffsets(ctx context.Context, brokers []string, sec stream.Security, topic string, from time.Time) ([]kafka.PartitionOffsets, error) {
	client := sec.Client(brokers, 10*time.Second)
	meta, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("cannot read the metadata of %s: %w", topic, err)
	}
	if len(meta.Topics) != 1 || meta.Topics[0].Error != nil {
		var terr error
		if len(meta.Topics) == 1 {
			terr = meta.Topics[0].Error
		}
		return nil, fmt.Errorf("topic %s: %w", topic, cmp.Or(terr, errors.New("not in the brokers' metadata")))
	}
	var reqs []kafka.OffsetRequest
	for _, p := range meta.Topics[0].Partitions {
		reqs = append(reqs, kafka.FirstOffsetOf(p.ID), kafka.LastOffsetOf(p.ID))
		if !from.IsZero() {
			reqs = append(reqs, kafka.TimeOffsetOf(p.ID, from))
		}
	}
	offs, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("cannot read the offsets of %s: %w", topic, err)
	}
	parts := offs.Topics[topic]
	slices.SortFunc(parts, func(a, b kafka.PartitionOffsets) int { return cmp.Compare(a.Partition, b.Partition) })
	for _, po := range parts {
		if po.Error != nil {
			return nil, fmt.Errorf("cannot read the offsets of %s/%d: %w", topic, po.Partition, po.Error)
		}
	}
	return parts, nil
}

// readPartition calls fn for the messages of one partition from start up to
// end (exclusive).
func readPartition(ctx context.Context, brokers []string, sec stream.Security, topic string, partition int, start, end int64, fn func(kafka.Message) error) error {
	if start >= end {
		return nil
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: partition, Dialer: sec.Dialer(),
		MaxBytes: 16 << 20, MaxWait: 500 * time.Millisecond})
	defer r.Close()
	if err := r.SetOffset(start); err != nil {
		return err
	}
	for {
		// The end offset was the high watermark; a message below it comes
		// at once unless none is left before it (a compacted tail).
		fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		m, err := r.FetchMessage(fctx)
		cancel()
		if err != nil {
			if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("cannot read %s/%d: no message from offset %d to %d in 30 s", topic, partition, r.Offset(), end)
			}
			return fmt.Errorf("cannot read %s/%d at offset %d: %w", topic, partition, r.Offset(), err)
		}
		if m.Offset >= end {
			return nil
		}
		if err := fn(m); err != nil {
			return err
		}
		if m.Offset == end-1 {
			return nil
		}
	}
}

// replayBatch is how many replayed messages wait per partition before they
// are written.
const replayBatch = 1000

// replayer writes dead letters back to the input topic as they are read,
// each on its source partition, where the pipeline's per-partition dedup
// expects its post id (by murmur2 of the key when the source is unknown, as
// earshot's producers place posts), in batches per partition, so that
// memory stays bounded whatever the dead-letter topic holds. The source
// messages replayed are remembered as offsets in a roaring bitmap per
// source partition (dense offsets: a few bytes each), so that a dead
// letter written twice is replayed once.
type replayer struct {
	ctx     context.Context
	brokers []string
	sec     stream.Security
	topic   string
	writers map[int]*kafka.Writer
	pending map[int][]kafka.Message
	seen    map[string]*roaring64.Bitmap // source topic/partition → offsets replayed
	n       int                          // messages replayed (written or pending)
	batch   int                          // replayBatch; smaller in tests
}

func newReplayer(ctx context.Context, brokers []string, sec stream.Security, topic string) *replayer {
	return &replayer{ctx: ctx, brokers: brokers, sec: sec, topic: topic,
		writers: map[int]*kafka.Writer{}, pending: map[int][]kafka.Message{}, seen: map[string]*roaring64.Bitmap{}, batch: replayBatch}
}

func (r *replayer) add(dl deadLetter) error {
	if dl.srcPartition >= 0 {
		key := dl.srcTopic + "/" + strconv.Itoa(dl.srcPartition)
		bm := r.seen[key]
		if bm == nil {
			bm = roaring64.New()
			r.seen[key] = bm
		}
		if !bm.CheckedAdd(uint64(dl.srcOffset)) {
			return nil // a copy
		}
	}
	p := dl.srcPartition
	r.pending[p] = append(r.pending[p], dl.original())
	r.n++
	if len(r.pending[p]) >= r.batch {
		return r.flush(p)
	}
	return nil
}

func (r *replayer) flush(p int) error {
	if len(r.pending[p]) == 0 {
		return nil
	}
	w := r.writers[p]
	if w == nil {
		var bal kafka.Balancer = &kafka.Murmur2Balancer{}
		if p >= 0 {
			bal = kafka.BalancerFunc(func(_ kafka.Message, partitions ...int) int {
				if slices.Contains(partitions, p) {
					return p
				}
				return partitions[0] // the topic lost partitions; the balancer must return one
			})
		}
		w = &kafka.Writer{Addr: kafka.TCP(r.brokers...), Topic: r.topic, Transport: r.sec.Transport(),
			Balancer: bal, RequiredAcks: kafka.RequireAll, BatchSize: r.batch, BatchTimeout: 5 * time.Millisecond}
		r.writers[p] = w
	}
	if err := w.WriteMessages(r.ctx, r.pending[p]...); err != nil {
		return fmt.Errorf("cannot replay to %s: %w", r.topic, err)
	}
	r.pending[p] = r.pending[p][:0]
	return nil
}

// close writes what is pending, then closes the writers.
func (r *replayer) close() error {
	for p := range r.pending {
		if err := r.flush(p); err != nil {
			return err
		}
	}
	return r.closeWriters()
}

// closeWriters closes the writers; a second call does nothing.
func (r *replayer) closeWriters() error {
	var errs []error
	for p, w := range r.writers {
		errs = append(errs, w.Close())
		delete(r.writers, p)
	}
	return errors.Join(errs...)
}
