package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"earshot/match"
	"earshot/sink"
	"earshot/stream/adapt"
	"earshot/stream/dedup"
	"earshot/stream/post"
)

// A backfill gives rules added to a running pipeline the history they would
// have had: it reads again the messages the pipeline stored before it took
// the rules up, matches them against those rules alone, and stores their
// mentions beside the rows already stored, as if the rules had been in force
// from the start of the range (Backfill).
//
// It decides duplicates and copies as the pipeline would have: before each
// matched post, the posts stored from the partition before it (dedup_keys)
// are added to a dedup window and copy counts rebuilt as the pipeline
// rebuilds them on a restart, so a post the pipeline dropped as a duplicate
// is dropped again, and a post the backfill stores is remembered for the
// posts after it. A mention already stored (the pipeline's, once it ran the
// rule, or a previous backfill's) is never made again, so a backfill can
// be run again, after a failure or to cover more, and stores only what is
// missing. Its INSERTs carry a progress marker of their own (a negative
// offset: never a resume point, never another batch's), and a failed one
// is settled like the writer's, completing the views' tables from exactly
// its rows (sink.Client.CompleteRows).

// BackfillConfig configures Backfill; the zero value of a field means its
// default.
type BackfillConfig struct {
	// Topic is the input topic the pipeline reads.
	Topic string
	// Format and Limits decode the messages as the pipeline does
	// (defaults: canonical, post.Limits' defaults).
	Format adapt.Format
	Limits post.Limits
	// DedupWindow, DedupMaxKeys and CopyMaxKeys are the pipeline's (see
	// Config; defaults 24h, 20,000,000, 1,000,000).
	DedupWindow  time.Duration
	DedupMaxKeys int
	CopyMaxKeys  int
	// BatchRows is the most rows per INSERT (default 5,000).
	BatchRows int
	// Settle is how long after it started the backfill reads the stored
	// offsets again, to cover the messages the pipeline read with its old
	// rules and stored after the backfill began (default 10s).
	Settle time.Duration
	// RetryBackoff is the first wait before retrying a failed INSERT
	// (default 200ms; it doubles up to 10s).
	RetryBackoff time.Duration
	// Parallel is how many partitions are backfilled at once (default 2).
	Parallel int
	// DryRun: count what would be stored, store nothing.
	DryRun bool
}

func (c *BackfillConfig) setDefaults() {
	if c.Format == "" {
		c.Format = adapt.FormatCanonical
	}
	if c.DedupWindow <= 0 {
		c.DedupWindow = 24 * time.Hour
	}
	if c.Settle <= 0 {
		c.Settle = 10 * time.Second
	}
	if c.RetryBackoff <= 0 {
		c.RetryBackoff = 200 * time.Millisecond
	}
	if c.BatchRows <= 0 {
		c.BatchRows = 5000
	}
	if c.Parallel <= 0 {
		c.Parallel = 2
	}
}

// BackfillStore is what a backfill reads from and writes to ClickHouse:
// *sink.Client.
type BackfillStore interface {
	inserter
	// CompleteRows writes exactly rows into one view's table from their
	// copy in mentions.
	CompleteRows(ctx context.Context, rows []sink.Mention, table string) error
	ResumeOffsets(ctx context.Context, topic string) (map[int32]int64, error)
	// KeysBefore is RecentKeys for the posts stored below an offset.
	KeysBefore(ctx context.Context, topic string, partition int32, before int64, since time.Time, fn func(postID string, copyKey uint64)) error
	// KeysBetween calls fn for the posts stored at offsets in [from, to),
	// in offset order.
	KeysBetween(ctx context.Context, topic string, partition int32, from, to int64, fn func(offset int64, postID string, copyKey uint64)) error
	// RuleMentions calls fn for the mentions of rules stored from the
	// partition at offset from or later, by an INSERT at since or later.
	RuleMentions(ctx context.Context, topic string, partition int32, rules []string, from int64, since time.Time, fn func(rule, postID string)) error
	// InsertBackfillKeys records the posts stored that the pipeline had not
	// stored, for its owners' dedup windows.
	InsertBackfillKeys(ctx context.Context, topic string, partition int32, keys []sink.BackfillKey, at time.Time) error
}

// BackfillDeps are a backfill's collaborators.
type BackfillDeps struct {
	// Engine holds the rules to backfill, and no other.
	Engine   *match.Engine
	Store    BackfillStore
	Enricher Enricher
	// Read calls fn for the messages of the topic's partition from start
	// up to end (exclusive), in offset order.
	Read   func(ctx context.Context, partition int, start, end int64, fn func(*kafka.Message) error) error
	Logger *slog.Logger // nil: slog.Default()
}

// BackfillPartition is what a backfill did in one partition.
type BackfillPartition struct {
	Partition int `json:"partition"`
	// Start and End are the offsets read, [Start, End): from the start
	// asked for up to where the pipeline had stored (End = Start: nothing
	// to read, the pipeline has not stored that far).
	Start int64 `json:"start_offset"`
	End   int64 `json:"end_offset"`
	// Read is the messages read, DeadLetters those that are no valid post
	// (the pipeline wrote them to the dead-letter topic; they are left).
	Read        int64 `json:"read"`
	DeadLetters int64 `json:"dead_letters"`
	// Matched is the posts the rules match, Duplicates those of them
	// dropped as duplicates (of posts stored or backfilled before them).
	Matched    int64 `json:"matched"`
	Duplicates int64 `json:"duplicates"`
	// Stored is the mentions found stored already and left alone;
	// Mentions those the backfill wrote (with DryRun: would write).
	Stored   int64 `json:"already_stored"`
	Mentions int64 `json:"mentions"`
}

// Backfill matches the messages of each partition of starts, from its start
// offset up to the offset the pipeline has stored up to, against
// deps.Engine's rules, and stores the mentions that are not stored yet
// (see above). The rules must be in force in the running pipeline by then:
// the messages after that offset are the pipeline's. After Settle it reads
// the stored offsets again and reads on to them, for the messages the
// pipeline had read before it took the rules up. Partitions with nothing
// stored are left to the pipeline. Backfill returns what it did per
// partition, in the order of starts; after an error, the partitions it did
// not reach are zero.
func Backfill(ctx context.Context, cfg BackfillConfig, deps BackfillDeps, starts []PartitionOffset) ([]BackfillPartition, error) {
	cfg.setDefaults()
	if deps.Engine == nil || deps.Store == nil || deps.Enricher == nil || deps.Read == nil {
		return nil, errors.New("backfill needs an engine, a store, an enricher and a reader")
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if _, err := adapt.New(cfg.Format, cfg.Limits); err != nil {
		return nil, err
	}
	b := &backfiller{cfg: cfg, deps: deps, m: newMetrics(nil), began: time.Now()}
	for _, r := range deps.Engine.Rules() {
		b.rules = append(b.rules, r.ID)
	}
	ends, err := deps.Store.ResumeOffsets(ctx, cfg.Topic)
	if err != nil {
		return nil, fmt.Errorf("cannot read the stored offsets: %w", err)
	}
	// Partitions are independent (each its own dedup state); Parallel of
	// them at a time, the first error stopping the others.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	out := make([]BackfillPartition, len(starts))
	errs := make([]error, len(starts))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(cfg.Parallel, len(starts)) {
		wg.Go(func() {
			for i := range next {
				s := starts[i]
				out[i], errs[i] = b.partition(ctx, s, ends)
				if errs[i] != nil {
					errs[i] = fmt.Errorf("partition %d: %w", s.Partition, errs[i])
					cancel(errs[i])
				}
			}
		})
	}
	for i := range starts {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		if errors.Is(err, context.Canceled) { // the caller's, not a partition's
			for _, e := range errs {
				if e != nil {
					return out, e
				}
			}
		}
		return out, err
	}
	return out, nil
}

// PartitionOffset is an offset of one partition.
type PartitionOffset struct {
	Partition int
	Offset    int64
}

type backfiller struct {
	cfg   BackfillConfig
	deps  BackfillDeps
	m     *metrics
	rules []string
	began time.Time
}

// partition backfills one partition from s.Offset to the stored offset in
// ends, then to the one stored after Settle.
func (b *backfiller) partition(ctx context.Context, s PartitionOffset, ends map[int32]int64) (BackfillPartition, error) {
	cfg, st := &b.cfg, b.deps.Store
	p := s.Partition
	res := BackfillPartition{Partition: p, Start: s.Offset, End: s.Offset}
	last, ok := ends[int32(p)]
	if !ok || last < s.Offset {
		return res, nil // the pipeline has stored nothing there yet: it reads it with the rules
	}
	log := b.deps.Logger.With("partition", p)
	now := time.Now()
	seen := dedup.NewWindow(cfg.DedupWindow, cfg.DedupMaxKeys, now)
	copies := dedup.NewCopies(cfg.DedupWindow, cfg.CopyMaxKeys, now)
	err := st.KeysBefore(ctx, cfg.Topic, int32(p), s.Offset, now.Add(-cfg.DedupWindow), func(id string, copyKey uint64) {
		seen.Add(dedup.Key(id), now)
		copies.Observe(copyKey, id, now)
	})
	if err != nil {
		return res, err
	}
	dec, err := adapt.New(cfg.Format, cfg.Limits)
	if err != nil {
		return res, err
	}
	pri := &prior{next: s.Offset, stored: map[string]struct{}{},
		load: func(from, to int64, fn func(int64, string, uint64)) error {
			return st.KeysBetween(ctx, cfg.Topic, int32(p), from, to, fn)
		}}
	eng := b.deps.Engine
	pr := &processor{topic: cfg.Topic, partition: p, engine: func() *match.Engine { return eng },
		enricher: b.deps.Enricher, dec: dec, seen: seen, copies: copies, m: b.m, now: time.Now, prior: pri}
	c := &chunk{topic: cfg.Topic, partition: p, first: -1}

	// pass reads [from, to) after loading the rules' mentions stored from
	// there on.
	pass := func(from, to int64) error {
		pri.from, pri.checked = from, time.Now()
		err := st.RuleMentions(ctx, cfg.Topic, int32(p), b.rules, from, time.Time{}, pri.addStored)
		if err != nil {
			return err
		}
		log.Info("backfilling", "from", from, "to", to, "mentions_stored", len(pri.stored))
		logged := time.Now()
		err = b.deps.Read(ctx, p, from, to, func(msg *kafka.Message) error {
			pr.add(msg, c)
			res.Read++
			if len(c.dead) > 0 { // the pipeline wrote them to the dead-letter topic
				res.DeadLetters += int64(len(c.dead))
				clear(c.dead)
				c.dead, c.deadAt = c.dead[:0], c.deadAt[:0]
			}
			if time.Since(logged) >= 30*time.Second {
				logged = time.Now()
				log.Info("backfilling", "offset", msg.Offset, "to", to, "mentions", res.Mentions+int64(len(c.rows)))
			}
			if len(c.rows) >= cfg.BatchRows {
				return b.flush(ctx, pr, c, &res)
			}
			return nil
		})
		if err != nil {
			return err
		}
		res.End = to
		return b.flush(ctx, pr, c, &res)
	}
	if err := pass(s.Offset, last+1); err != nil {
		return res, err
	}
	// The pipeline may have read messages with its old rules and stored
	// them after the offsets were read: once Settle has passed since the
	// backfill began, what it stored by then is read too.
	if wait := time.Until(b.began.Add(cfg.Settle)); wait > 0 {
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(wait):
		}
	}
	ends, err = st.ResumeOffsets(ctx, cfg.Topic)
	if err != nil {
		return res, err
	}
	if more := ends[int32(p)]; more > last {
		if err := pass(last+1, more+1); err != nil {
			return res, err
		}
	}
	log.Info("backfilled", "from", res.Start, "to", res.End, "read", res.Read, "matched", res.Matched,
		"duplicates", res.Duplicates, "already_stored", res.Stored, "mentions", res.Mentions)
	return res, nil
}

// flush matches the posts pending in pr into c and stores c's rows (with
// DryRun, counts them), then empties c.
func (b *backfiller) flush(ctx context.Context, pr *processor, c *chunk, res *BackfillPartition) error {
	pr.flush(c)
	pk := pr.prior
	if pk.err != nil {
		return pk.err // the rows' dedup is not known: none is stored
	}
	res.Matched += c.n.matched
	res.Duplicates += c.n.duplicates
	res.Stored += c.n.stored
	if len(c.rows) > 0 && !b.cfg.DryRun {
		if err := b.store(ctx, pk, c, res); err != nil {
			return err
		}
	}
	res.Mentions += int64(len(c.rows))
	c.reset()
	pk.fresh = pk.fresh[:0]
	return nil
}

// store inserts c's rows, less those the pipeline stored since they were
// checked (a post it read again after it took the rules up, while the
// backfill ran), and then records the posts among them it had not stored.
func (b *backfiller) store(ctx context.Context, pk *prior, c *chunk, res *BackfillPartition) error {
	checked := time.Now()
	// A second of slack: the server's ingested_at is the client's clock at
	// INSERT, to the second.
	err := b.deps.Store.RuleMentions(ctx, c.topic, int32(c.partition), b.rules, pk.from, pk.checked.Add(-time.Second), pk.addStored)
	if err != nil {
		return err
	}
	pk.checked = checked
	k := 0
	for i := range c.rows {
		if pk.isStored(c.rows[i].RuleID, c.rows[i].PostID) {
			res.Stored++
			continue
		}
		c.rows[k], pk.fresh[k] = c.rows[i], pk.fresh[i]
		k++
	}
	clear(c.rows[k:])
	c.rows, pk.fresh = c.rows[:k], pk.fresh[:k]
	if k == 0 {
		return nil
	}
	// Inspect asks dedup_keys and mention_offsets about the batch's first
	// row, and a post the pipeline stored at that offset is there whatever
	// became of the batch: a post it did not store goes first. (When there
	// is none, every post of the batch has its keys there already.)
	if f := slices.Index(pk.fresh, true); f > 0 {
		c.rows[0], c.rows[f] = c.rows[f], c.rows[0]
		pk.fresh[0], pk.fresh[f] = pk.fresh[f], pk.fresh[0]
	}
	// A marker of the batch's own: a negative offset is never a resume
	// point (ingest_offsets keeps the maximum), and no other batch has it,
	// so that Inspect asks the aggregate tables for this batch alone. Its
	// time puts it in the month partition of the first row.
	rows := append(c.rows, sink.Mention{CreatedAt: c.rows[0].CreatedAt,
		Topic: c.topic, Partition: int32(c.partition), Offset: -time.Now().UnixNano()})
	partial, err := land(ctx, b.deps.Store, rows, b.deps.Store.CompleteRows, b.retry, b.deps.Logger)
	if err != nil {
		return fmt.Errorf("cannot insert %d rows: %w", len(c.rows), err)
	}
	if partial {
		b.deps.Logger.Warn("ClickHouse kept a failed INSERT in part; the views' tables that lacked it were completed from mentions",
			"rows", len(rows), "batch", batchSpan(rows))
	}
	// The running pipeline reads these into its dedup windows (at-least-once:
	// a key read twice is the same key).
	pk.found = pk.found[:0]
	for i := range c.rows { // a post's rows are together (but the first), and a key twice is harmless
		if n := len(pk.found); pk.fresh[i] && (n == 0 || pk.found[n-1].PostID != c.rows[i].PostID) {
			pk.found = append(pk.found, sink.BackfillKey{PostID: c.rows[i].PostID, CopyKey: c.rows[i].CopyKey})
		}
	}
	return b.retry(ctx, "clickhouse", func() error {
		return b.deps.Store.InsertBackfillKeys(ctx, c.topic, int32(c.partition), pk.found, time.Now())
	})
}

func (b *backfiller) retry(ctx context.Context, target string, op func() error) error {
	return retry(ctx, b.m, b.deps.Logger, target, b.cfg.RetryBackoff, op)
}

// prior is what a backfill knows of the partition's stored posts: it feeds
// the dedup state with those stored before each matched post (loaded from
// ClickHouse a span of offsets at a time, so memory stays bounded), and
// holds the mentions of the backfilled rules stored already.
type prior struct {
	load   func(from, to int64, fn func(offset int64, postID string, copyKey uint64)) error
	next   int64 // the keys stored below next are loaded
	keys   []storedKey
	i      int                 // keys[:i] were fed
	stored map[string]struct{} // rule id + "\x00" + post id
	key    []byte
	err    error // the first load that failed
	// from is the first offset of the pass, checked when the mentions
	// stored from there on were last read.
	from    int64
	checked time.Time
	// fresh tells, for each row of the chunk, whether the pipeline had not
	// stored its post (note).
	fresh []bool
	found []sink.BackfillKey // scratch
}

type storedKey struct {
	offset  int64
	postID  string
	copyKey uint64
}

// priorSpan is how many offsets of stored keys a query loads.
const priorSpan = 100_000

// feed adds to seen and copies the posts stored before offset o (each
// once: a post the backfill has counted already is not counted again).
func (pk *prior) feed(o int64, seen *dedup.Window, copies *dedup.Copies, now time.Time) {
	for pk.err == nil {
		for ; pk.i < len(pk.keys) && pk.keys[pk.i].offset < o; pk.i++ {
			k := &pk.keys[pk.i]
			if !seen.Seen(dedup.Key(k.postID), now) {
				copies.Observe(k.copyKey, k.postID, now)
			}
		}
		if pk.next > o {
			return
		}
		clear(pk.keys)
		pk.keys, pk.i = pk.keys[:0], 0
		from := pk.next
		pk.next += priorSpan
		pk.err = pk.load(from, pk.next, func(off int64, id string, key uint64) {
			pk.keys = append(pk.keys, storedKey{off, id, key})
		})
	}
}

// note records the rows of the post id at offset o, the chunk's last n:
// whether the pipeline stored the post (at that offset, for other rules).
// Call it after feed(o).
func (pk *prior) note(o int64, id string, n int) {
	fresh := true
	for j := pk.i; j < len(pk.keys) && pk.keys[j].offset == o; j++ {
		if pk.keys[j].postID == id {
			fresh = false // stored by the pipeline
		}
	}
	for range n {
		pk.fresh = append(pk.fresh, fresh)
	}
}

func (pk *prior) addStored(rule, postID string) {
	pk.stored[rule+"\x00"+postID] = struct{}{}
}

// isStored reports whether the mention of post by rule is stored already.
func (pk *prior) isStored(rule, postID string) bool {
	pk.key = append(append(append(pk.key[:0], rule...), 0), postID...)
	_, ok := pk.stored[string(pk.key)]
	return ok
}
