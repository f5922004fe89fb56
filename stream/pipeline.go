package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"earshot/match"
	"earshot/stream/adapt"
	"earshot/stream/burst"
	"earshot/stream/dedup"
	"earshot/stream/lifecycle"
)

// Deps are the collaborators a Pipeline runs with.
type Deps struct {
	// Engine returns the current rules engine; it is called once per batch
	// of decoded posts a partition matches together (at most 256, never
	// spanning a chunk hand-over), so a reload takes effect at the next
	// batch.
	Engine     func() *match.Engine
	Store      Store
	Enricher   Enricher
	Registerer prometheus.Registerer // nil: metrics are not registered
	Logger     *slog.Logger          // nil: slog.Default()
	// DeadLetters overrides the dead-letter writer (tests); nil: a Kafka
	// writer to Config.DeadLetterTopic.
	DeadLetters MessageWriter
	// Routes overrides the writer of routed mentions (tests); nil: a Kafka
	// writer to Config.RouteTopicPrefix + route.
	Routes MessageWriter

	// Detector, when set, receives the matched, deduplicated mentions of
	// every partition this process owns (see the package doc); Run owns it.
	// It takes the alert settings of Engine's rules (match.Rule.Alert) at
	// start and whenever Engine returns another engine (SetRules).
	Detector *burst.Detector
	// AlertStore stores the alerts raised (nil: not stored); AlertSender
	// delivers them after they are stored (nil: not delivered); one that
	// is a RuleCooldowns is given the rules' cooldowns as the detector
	// its settings.
	AlertStore  AlertStore
	AlertSender AlertSender
}

// Stats are running totals for progress displays; read them with Load.
type Stats struct {
	Consumed, DeadLetters, Matched, Duplicates, Mentions, Inserted atomic.Int64
	Alerts                                                         atomic.Int64 // alerts raised by the detector
	lag                                                            sync.Map     // partition → int64
}

// Lag sums the last observed lag of every partition this process owns.
func (s *Stats) Lag() int64 {
	var total int64
	s.lag.Range(func(_, v any) bool { total += v.(int64); return true })
	return total
}

// Pipeline consumes the input topic as a member of a consumer group and
// writes mentions to the Store. See the package doc for the flow.
type Pipeline struct {
	cfg   Config
	deps  Deps
	m     *metrics
	log   *slog.Logger
	stats Stats
	ready atomic.Bool
	pool  sync.Pool
}

// New validates cfg (after SetDefaults) and returns a Pipeline.
func New(cfg Config, deps Deps) (*Pipeline, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid pipeline config: %w", err)
	}
	if deps.Engine == nil || deps.Store == nil || deps.Enricher == nil {
		return nil, errors.New("pipeline needs an engine, a store and an enricher")
	}
	if cfg.DetectOnly && deps.Detector == nil {
		return nil, errors.New("invalid pipeline config: detect-only needs a burst detector")
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	pl := &Pipeline{cfg: cfg, deps: deps, m: newMetrics(deps.Registerer), log: deps.Logger}
	pl.pool.New = func() any { return &chunk{first: -1} }
	return pl, nil
}

// Stats returns the pipeline's running totals.
func (pl *Pipeline) Stats() *Stats { return &pl.stats }

// Ready reports whether the pipeline holds partitions and is consuming.
func (pl *Pipeline) Ready() bool { return pl.ready.Load() }

// Run consumes until ctx is cancelled, then stops fetching, flushes what was
// processed, commits, and leaves the group (bounded by ShutdownTimeout). It
// returns nil after a clean stop.
func (pl *Pipeline) Run(ctx context.Context) error {
	cfg := &pl.cfg
	var revival *lifecycle.Analyzer // nil: no revival alerts
	if cfg.RevivalEvery > 0 && pl.deps.Detector != nil {
		var err error
		if revival, err = lifecycle.NewAnalyzer(cfg.Revival); err != nil {
			return fmt.Errorf("revival alerts: %w", err)
		}
	}
	// hard is cancelled ShutdownTimeout after ctx: the final flush's deadline.
	hard, cancelHard := context.WithCancelCause(context.Background())
	defer cancelHard(nil)
	stopHard := context.AfterFunc(ctx, func() {
		time.AfterFunc(cfg.ShutdownTimeout, func() { cancelHard(errors.New("shutdown timeout")) })
	})
	defer stopHard()

	transport := cfg.Security.Transport() // one pool of connections for both writers
	dlq := pl.deps.DeadLetters
	if dlq == nil {
		kw := &kafka.Writer{
			Addr: kafka.TCP(cfg.Brokers...), Topic: cfg.DeadLetterTopic, Transport: transport,
			Balancer: &kafka.Murmur2Balancer{}, RequiredAcks: kafka.RequireAll,
			BatchTimeout: 20 * time.Millisecond, AllowAutoTopicCreation: true,
		}
		defer kw.Close()
		dlq = kw
	}

	group, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID: cfg.Group, Brokers: cfg.Brokers, Topics: []string{cfg.Topic},
		SessionTimeout: cfg.SessionTimeout, HeartbeatInterval: cfg.SessionTimeout / 5,
		RebalanceTimeout: cfg.ShutdownTimeout, JoinGroupBackoff: time.Second,
		StartOffset: kafka.FirstOffset, WatchPartitionChanges: true, Dialer: cfg.Security.Dialer(),
	})
	if err != nil {
		return fmt.Errorf("cannot join consumer group %q: %w", cfg.Group, err)
	}

	routes := pl.deps.Routes
	if routes == nil {
		// No Topic: each message names its route topic.
		kw := &kafka.Writer{
			Addr: kafka.TCP(cfg.Brokers...), Transport: transport, Balancer: &kafka.Murmur2Balancer{}, RequiredAcks: kafka.RequireAll,
			BatchTimeout: 20 * time.Millisecond, BatchSize: 1000, AllowAutoTopicCreation: true,
		}
		defer kw.Close()
		routes = kw
	}

	// Rows this run stores carry ingested_at >= epoch; the detector warms
	// up from the rows stored before it.
	epoch := time.Now().Truncate(time.Second).Add(time.Second)
	w := &writer{cfg: cfg, store: pl.deps.Store, dlq: dlq, routes: routes, prefix: cfg.RouteTopicPrefix,
		m: pl.m, stats: &pl.stats, log: pl.log, in: make(chan *chunk, cfg.QueueChunks), recycle: pl.putChunk,
		notBefore: epoch}
	writerDone := make(chan struct{})
	go func() { defer close(writerDone); w.run(hard) }()

	var det *detection
	detDone := make(chan struct{})
	if pl.deps.Detector != nil {
		det = &detection{det: pl.deps.Detector, engine: pl.deps.Engine, store: pl.deps.AlertStore, sender: pl.deps.AlertSender,
			in: make(chan *detectBatch, cfg.DetectQueue), idle: cfg.DetectIdle, m: pl.m, log: pl.log,
			stats: &pl.stats, now: time.Now, backof: cfg.RetryBackoff,
			src: mentionSource(pl.deps.Store), topic: cfg.Topic, warmH: newWarmupHistogram(pl.deps.Registerer),
			skipReplayed: cfg.DetectOnly, storedBefore: epoch}
		if src, ok := pl.deps.Store.(RevivalSource); ok && revival != nil && pl.deps.Engine != nil {
			raised, _ := pl.deps.AlertStore.(RaisedAlerts)
			det.revive = &revivals{src: src, a: revival, every: cfg.RevivalEvery, rules: revivalRules(pl.deps.Engine),
				raised: raised, now: time.Now, log: pl.log, m: pl.m,
				first: map[string]time.Time{}, seen: map[string]time.Time{}}
		}
		go func() { defer close(detDone); det.run(hard) }()
	} else {
		close(detDone)
	}

	var owners sync.WaitGroup
	for ctx.Err() == nil {
		gen, err := group.Next(ctx)
		if err != nil {
			if ctx.Err() == nil {
				pl.log.Warn("consumer group: cannot join; retrying", "group", cfg.Group, "err", err)
				pl.ready.Store(false)
			}
			continue
		}
		assigned := gen.Assignments[cfg.Topic]
		pl.awaitLateInserts(ctx, time.Now())
		resume, err := pl.resumeOffsets(ctx)
		if err != nil {
			// Without ClickHouse's offsets a replay could double count, so
			// this generation is given up; leaving it triggers a rejoin.
			pl.log.Error("cannot read resume offsets; rejoining", "err", err)
			gen.Start(func(context.Context) {})
			continue
		}
		pl.log.Info("partitions assigned", "generation", gen.ID, "partitions", len(assigned))
		f := newFence()
		pl.m.partitions.Set(float64(len(assigned)))
		pl.ready.Store(true)
		for _, pa := range assigned {
			start := pa.Offset
			if off, ok := resume[int32(pa.ID)]; ok && (start < 0 || off+1 > start) {
				start = off + 1
			}
			owners.Add(1)
			gen.Start(func(gctx context.Context) {
				defer owners.Done()
				octx, cancel := context.WithCancel(gctx)
				defer cancel()
				defer context.AfterFunc(ctx, cancel)()
				// gctx ends only when the generation does (a rebalance, a
				// lost session), not when the process stops.
				defer context.AfterFunc(gctx, f.end)()
				pl.own(octx, hard, gen, f, w.in, det, pa.ID, start)
			})
		}
	}
	pl.ready.Store(false)
	owners.Wait()
	close(w.in)
	if det != nil {
		close(det.in)
	}
	<-writerDone
	<-detDone
	group.Close()
	if err := context.Cause(hard); err != nil {
		return fmt.Errorf("stopped before everything was flushed: %w", err)
	}
	return nil
}

// awaitLateInserts waits, for up to ShutdownTimeout, until ClickHouse runs
// no INSERT into mentions that began before assigned (when this process
// learnt of its generation). An owner of the generation before, fenced
// or killed, may have given up on an INSERT the server still runs: its
// rows would land after this generation's owners read the resume offsets
// and be read and stored again (TestIntegrationRunningInserts shows the
// server finishing an INSERT its client gave up on). Every owner of the
// generation before has returned by now, so what runs is theirs or of
// processes that died; INSERTs of this generation began after assigned.
func (pl *Pipeline) awaitLateInserts(ctx context.Context, assigned time.Time) {
	if pl.cfg.DetectOnly {
		return // resumes from the group's offsets, writes nothing
	}
	deadline := assigned.Add(pl.cfg.ShutdownTimeout)
	waited := false
	for {
		n, longest, err := pl.deps.Store.RunningInserts(ctx, time.Since(assigned))
		switch {
		case err != nil:
			pl.log.Warn("cannot list the INSERTs ClickHouse runs; reading the resume offsets without waiting", "err", err)
			return
		case n == 0:
			if waited {
				pl.log.Info("INSERTs begun before this generation finished", "waited", time.Since(assigned))
			}
			return
		case !waited:
			waited = true
			pl.m.lateInserts.Inc()
			pl.log.Warn("waiting for INSERTs begun before this generation to finish before reading the resume offsets",
				"inserts", n, "longest", longest)
		case time.Now().After(deadline):
			pl.log.Error("INSERTs begun before this generation still run; reading the resume offsets anyway: if they land, their posts are stored twice",
				"inserts", n, "longest", longest)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (pl *Pipeline) resumeOffsets(ctx context.Context) (map[int32]int64, error) {
	if pl.cfg.DetectOnly {
		return nil, nil // the group's committed offsets alone
	}
	qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return pl.deps.Store.ResumeOffsets(qctx, pl.cfg.Topic)
}

func (pl *Pipeline) getChunk() *chunk { return pl.pool.Get().(*chunk) }
func (pl *Pipeline) putChunk(c *chunk) {
	c.gen, c.fence = nil, nil
	pl.pool.Put(c)
}

// own is the owner of one partition for one generation: it fetches,
// processes and hands chunks to the writer until ctx ends, then hands over
// its last chunk and waits until it is committed (or hard ends).
func (pl *Pipeline) own(ctx, hard context.Context, gen *kafka.Generation, f *fence, out chan<- *chunk, det *detection, partition int, start int64) {
	cfg := &pl.cfg
	log := pl.log.With("partition", partition)
	pkey := strconv.Itoa(partition)
	defer pl.m.forget(pkey)
	now := time.Now
	warmStart := now()
	seen := dedup.NewWindow(cfg.DedupWindow, cfg.DedupMaxKeys, warmStart)
	copies := dedup.NewCopies(cfg.DedupWindow, cfg.CopyMaxKeys, warmStart)
	warm := 0
	// Replaying the keys ClickHouse stored for this partition, in offset
	// order, rebuilds the window and the copy counts the previous owner had
	// at the resume offset: the state is checkpointed with the offsets it
	// covers, by the same INSERTs.
	// DetectOnly skips it: ClickHouse's keys run up to the writing group's
	// offsets, not to this group's, and the posts between them would be
	// taken for duplicates and never reach the detector.
	var err error
	if !cfg.DetectOnly {
		err = pl.deps.Store.RecentKeys(ctx, cfg.Topic, int32(partition), warmStart.Add(-cfg.DedupWindow), func(id string, copyKey uint64) {
			seen.Add(dedup.Key(id), warmStart)
			copies.Observe(copyKey, id, warmStart)
			warm++
		})
	}
	if err != nil {
		log.Error("cannot load recent post ids for dedup; giving up the partition", "err", err)
		return
	}
	took := time.Since(warmStart)
	pl.m.warmupSeconds.Observe(took.Seconds())
	log.Info("partition owned", "offset", start, "dedup_warm_ids", warm, "warmup", took)

	// Fetching starts once the window is warm.
	r := newPartitionReader(readerConfig{
		brokers: cfg.Brokers, topic: cfg.Topic, partition: partition,
		maxBytes: cfg.FetchMaxBytes, maxWait: 250 * time.Millisecond, queue: cfg.PartitionQueue,
		readTimeout: 5 * time.Second, backoffMin: 100 * time.Millisecond, backoffMax: time.Second, dialer: cfg.Security.Dialer(),
		log: log, lost: pl.m.lost.WithLabelValues(cfg.Topic, pkey),
	}, start)
	defer r.Close()

	dec, err := adapt.New(cfg.Format, cfg.Limits)
	if err != nil { // Validate has checked the format
		log.Error("cannot build the decoder", "err", err)
		return
	}
	pr := &processor{topic: cfg.Topic, partition: partition, engine: pl.deps.Engine,
		enricher: pl.deps.Enricher, dec: dec, seen: seen, copies: copies, m: pl.m, now: now,
		detect: det != nil, routePrefix: cfg.RouteTopicPrefix}
	if det != nil {
		defer func() {
			b := det.get()
			b.partition, b.leave = partition, true
			select {
			case det.in <- b:
			case <-hard.Done():
			}
		}()
	}

	// Posts a backfill stores after the warm-up are read, at most every
	// BackfillPoll, as a chunk begins (an idle partition too: before the
	// message that ends its idleness): a post only the backfilled rules
	// match, delivered again, must find its id in the window. The backfill
	// records them after its rows land, with its own clock: reading the
	// last 30 s again each time covers INSERTs still running and clocks
	// apart.
	learned, polled := warmStart.Add(-time.Minute), time.Now()
	learn := func() {
		if cfg.DetectOnly || time.Since(polled) < cfg.BackfillPoll {
			return
		}
		start := time.Now()
		polled = start
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		n := 0
		err := pl.deps.Store.BackfillKeys(qctx, cfg.Topic, int32(partition), learned, func(id string, copyKey uint64) {
			if !seen.Seen(dedup.Key(id), start) {
				copies.Observe(copyKey, id, start)
				n++
			}
		})
		if err != nil {
			log.Warn("cannot read the posts backfills stored; trying again later", "err", err)
			return
		}
		learned = start.Add(-30 * time.Second)
		if n > 0 {
			pl.m.backfillKeys.Add(float64(n))
			log.Info("dedup window learned posts a backfill stored", "posts", n)
		}
	}

	var reported time.Time // latest event time handed to the detector
	// send hands c over (barrier: the last chunk, waited for until it is
	// committed); it returns the next chunk, or false when the owner stops.
	send := func(c *chunk, barrier bool) (*chunk, bool) {
		pl.account(c, pkey, r, seen, copies)
		if det != nil {
			// The detector gets the chunk's events before the writer gets
			// the chunk; when its queue is full the owner blocks.
			// Only a partition whose events handed over so far are ahead
			// waits: the one holding the watermark back never does.
			for det.ahead(reported) && ctx.Err() == nil {
				select { // the slower partitions catch up
				case <-time.After(20 * time.Millisecond):
				case <-ctx.Done():
				}
			}
			b := det.get()
			b.partition, b.latest = partition, pr.latest
			b.events, c.events = c.events, b.events
			b.ticks, c.ticks = c.ticks, b.ticks
			reported = b.latest // b is the detector's once sent
			select {
			case det.in <- b:
			case <-hard.Done():
				return nil, false
			}
		}
		if barrier {
			c.done = make(chan error, 1)
		}
		select {
		case out <- c:
		case <-hard.Done():
			return nil, false
		}
		if barrier {
			select {
			case err := <-c.done:
				if err != nil {
					log.Warn("final flush failed", "err", err)
				}
			case <-hard.Done():
			}
			return nil, false
		}
		return pl.newChunk(gen, f, partition), true
	}
	lp := &partitionLoop{r: r, pr: pr, interval: cfg.ChunkInterval, messages: int64(cfg.ChunkMessages),
		now: now, log: log, send: send, begin: learn}
	lp.run(ctx, pl.newChunk(gen, f, partition))
}

// fetcher is what the partition loop needs of its partitionReader.
type fetcher interface {
	// FetchMessage returns the next message, without its key and headers.
	FetchMessage(ctx context.Context) (kafka.Message, error)
	// Originals gives the dead letters of the messages at offsets their
	// keys and headers.
	Originals(ctx context.Context, offsets []int64, dead []kafka.Message) error
}

// originalsTimeout bounds reading dead letters' keys and headers again.
const originalsTimeout = 10 * time.Second

// partitionLoop fetches one partition's messages, processes them into
// chunks and hands each chunk over: after messages offsets, after interval
// since its first message, and once more (a barrier) when ctx ends.
//
// The processor keeps decoded posts pending until its batch is full; every
// hand-over flushes the batch into the chunk first (handOver), so a chunk
// handed over holds the rows of every post up to its last offset, and its
// offsets can be committed.
type partitionLoop struct {
	r        fetcher
	pr       *processor
	interval time.Duration // Config.ChunkInterval
	messages int64         // Config.ChunkMessages
	now      func() time.Time
	log      *slog.Logger
	// send hands c over; it returns the next chunk, or false when the loop
	// must end (always after a barrier).
	send func(c *chunk, barrier bool) (*chunk, bool)
	// begin, when set, is called as a chunk begins, before its first
	// message is processed.
	begin func()
}

// run consumes into c and the chunks after it until ctx ends.
func (lp *partitionLoop) run(ctx context.Context, c *chunk) {
	handOver := func(barrier bool) bool {
		lp.pr.flush(c) // the pending posts are c's: their offsets are ≤ c.last
		lp.originals(ctx, c)
		next, ok := lp.send(c, barrier)
		c = next
		return ok
	}
	var fctx context.Context = ctx
	cancelF := func() {}
	for {
		msg, err := lp.r.FetchMessage(fctx)
		if err != nil {
			if ctx.Err() != nil {
				cancelF()
				handOver(true)
				return
			}
			if errors.Is(err, context.DeadlineExceeded) {
				cancelF()
				fctx, cancelF = ctx, func() {}
				if !handOver(false) {
					return
				}
				continue
			}
			lp.log.Warn("fetch failed", "err", err)
			continue
		}
		if c.first < 0 {
			if lp.begin != nil {
				lp.begin()
			}
			c.first, c.started = msg.Offset, lp.now()
			fctx, cancelF = context.WithDeadline(ctx, c.started.Add(lp.interval))
		}
		lp.pr.add(&msg, c)
		c.last = msg.Offset
		if c.last-c.first+1 >= lp.messages {
			cancelF()
			fctx, cancelF = ctx, func() {}
			if !handOver(false) {
				return
			}
		}
	}
}

// originals gives c's dead letters the keys and headers of their
// messages, read again from the partition (at the last hand-over too, when
// ctx has ended); when that fails they go without, marked so.
func (lp *partitionLoop) originals(ctx context.Context, c *chunk) {
	if len(c.dead) == 0 {
		return
	}
	octx, cancel := context.WithTimeout(context.WithoutCancel(ctx), originalsTimeout)
	defer cancel()
	if err := lp.r.Originals(octx, c.deadAt, c.dead); err != nil {
		lp.log.Warn("dead letters go without their messages' keys and headers", "count", len(c.dead), "err", err)
		for i := range c.dead {
			c.dead[i].Headers = append(c.dead[i].Headers, kafka.Header{Key: HeaderOriginalUnread, Value: []byte(err.Error())})
		}
	}
}

func (pl *Pipeline) newChunk(gen *kafka.Generation, f *fence, partition int) *chunk {
	c := pl.getChunk()
	c.gen, c.fence, c.topic, c.partition = gen, f, pl.cfg.Topic, partition
	c.reset()
	return c
}

// account adds a chunk's tallies to metrics and stats as it is handed over.
func (pl *Pipeline) account(c *chunk, pkey string, r *partitionReader, seen *dedup.Window, copies *dedup.Copies) {
	n := &c.n
	m, s := pl.m, &pl.stats
	m.consumed.Add(float64(n.consumed))
	m.decoded.Add(float64(n.decoded))
	m.matched.Add(float64(n.matched))
	m.duplicates.WithLabelValues("post_id").Add(float64(n.duplicates))
	m.reposts.Add(float64(n.reposts))
	m.copies.Add(float64(n.copies))
	m.skipped.Add(float64(n.skipped))
	m.mentions.Add(float64(n.mentions))
	s.Consumed.Add(n.consumed)
	s.DeadLetters.Add(int64(len(c.dead)))
	s.Matched.Add(n.matched)
	s.Duplicates.Add(n.duplicates)
	s.Mentions.Add(n.mentions)
	lag := r.Lag()
	if lag < 0 {
		lag = 0
	}
	s.lag.Store(c.partition, lag)
	m.lag.WithLabelValues(pkey).Set(float64(lag))
	m.dedupKeys.WithLabelValues(pkey, "post_id").Set(float64(seen.Len()))
	m.dedupKeys.WithLabelValues(pkey, "copy").Set(float64(copies.Len()))
	m.dedupBytes.WithLabelValues(pkey, "post_id").Set(float64(seen.Bytes()))
	m.dedupBytes.WithLabelValues(pkey, "copy").Set(float64(copies.Bytes()))
	m.earlyRotations.WithLabelValues(pkey, "post_id").Set(float64(seen.EarlyRotations()))
	m.earlyRotations.WithLabelValues(pkey, "copy").Set(float64(copies.EarlyRotations()))
}
