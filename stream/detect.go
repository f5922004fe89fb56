package stream

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"earshot/match"
	"earshot/sink"
	"earshot/stream/alert"
	"earshot/stream/burst"
)

// AlertStore keeps the alerts the detector raises: *sink.Client (the
// alerts table).
type AlertStore interface {
	InsertAlerts(ctx context.Context, alerts []alert.Alert) error
}

// RaisedAlerts is an AlertStore that can tell which alerts it holds
// (*sink.Client): the alerts the warm-up's replay raises again, which an
// earlier run stored and sent, are then not stored, logged or sent a
// second time. A store without it gets them all again (same ids).
type RaisedAlerts interface {
	AlertIDs(ctx context.Context, since time.Time) (map[string]bool, error)
}

// AlertSender delivers alerts to the alerts topic and webhooks:
// *alert.Dispatcher (its cooldown applies). Send must not block.
type AlertSender interface {
	Send(a *alert.Alert) (bool, error)
}

// MentionSource is what the detector warms up from at start: the matched
// mentions stored by earlier runs (*sink.Client). A Store that implements it
// gets a warm detector; one that does not gets a cold one.
type MentionSource interface {
	NewestMention(ctx context.Context, topic string, createdBy, ingestedBefore time.Time) (time.Time, error)
	RecentMentions(ctx context.Context, topic string, since, ingestedBefore time.Time, fn func(m *sink.Mention) error) error
}

// WarmupSpan is how much event time the detector replays at start, before
// the newest stored mention of the topic: the default LTA + STA (31
// minutes) and a margin for the allowed lateness and the outage window's
// start.
const WarmupSpan = 35 * time.Minute

// warmupTimeout bounds the warm-up queries of the default WarmupSpan; past
// it the detector starts with what it has replayed. A longer span (a
// rule's longer windows) gets proportionally longer.
const warmupTimeout = 2 * time.Minute

// maxAhead: a post dated more than this beyond the wall clock does not move
// its partition's event time (a bogus timestamp must not decide every open
// bin).
const maxAhead = 5 * time.Minute

// maxSkew: an owner whose partition is this far ahead of the detector's
// watermark waits before handing over more events (event time).
const maxSkew = 2 * time.Minute

// tick is a run of consumed posts created within the same second.
type tick struct {
	at time.Time
	n  int
}

// detectBatch is what a partition owner hands the detector per chunk: the
// events of its matched, deduplicated mentions, the creation times of every
// post it consumed (run-length coded per second), and its latest event time.
type detectBatch struct {
	partition int
	events    []burst.Event
	ticks     []tick
	latest    time.Time // newest created_at seen on the partition (zero: none yet)
	leave     bool      // the owner gave the partition up
}

// detection owns the burst detector: one goroutine, started and awaited by
// Pipeline.Run, fed by the owners through a bounded channel.
type detection struct {
	det *burst.Detector
	// engine is the active rules engine (Deps.Engine; nil: the detector's
	// own rules only), whose rules' alert settings the detector takes on
	// every change (takeRules); rulesOf is the engine they came from.
	engine  func() *match.Engine
	rulesOf *match.Engine
	rules   map[string]*match.Rule // rulesOf's rules by id, for the alerts' rule fields
	store   AlertStore             // nil: alerts are not stored
	sender  AlertSender            // nil: alerts are not delivered
	in      chan *detectBatch
	idle    time.Duration
	m       *metrics
	log     *slog.Logger
	stats   *Stats
	now     func() time.Time
	pool    sync.Pool
	backof  time.Duration

	revive *revivals // nil: no revival alerts

	src   MentionSource // nil: no warm-up
	topic string        // the input topic (warm-up)
	// storedBefore bounds the rows the warm-up reads by ingested_at: this
	// run's writer stores nothing dated earlier (zero: the warm-up's start).
	storedBefore time.Time
	warmH        prometheus.Observer // warm-up duration
	// skipReplayed (Config.DetectOnly) drops live events and ticks dated at
	// or before the end of the warm-up replay: the group's offsets lag
	// behind the stored mentions, so those posts were replayed already.
	skipReplayed bool
	replayed     time.Time // the replay's end when skipReplayed (zero: keep all)

	parts  map[int]*partClock
	wm     time.Time
	shared atomic.Int64  // wm in Unix nanoseconds, read by the owners (ahead)
	ticks  []tick        // buffered, not yet fed to the detector
	events []burst.Event // idem
	// order and spare are advance's scratch: the events' keys in time
	// order, and the buffer the events not yet due move to.
	order  []eventKey
	spare  []burst.Event
	alerts []alert.Alert
}

type partClock struct {
	latest time.Time // event time
	seen   time.Time // wall time of the last batch with posts
}

func (d *detection) get() *detectBatch {
	if b, ok := d.pool.Get().(*detectBatch); ok {
		return b
	}
	return &detectBatch{}
}

func (d *detection) put(b *detectBatch) {
	clear(b.events)
	*b = detectBatch{events: b.events[:0], ticks: b.ticks[:0]}
	d.pool.Put(b)
}

// run consumes batches until in is closed. Alert I/O uses ctx, cancelled
// only when the shutdown deadline passes.
func (d *detection) run(ctx context.Context) {
	d.parts = map[int]*partClock{}
	d.takeRules()
	d.warmUp(ctx) // owners queue up (and then block) meanwhile
	// revived carries the revival alerts' looks (nil: none).
	var revived chan []alert.Alert
	if d.revive != nil {
		revived = make(chan []alert.Alert)
		rctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); d.revive.run(rctx, revived) }()
		defer wg.Wait()
		defer cancel()
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case as := <-revived:
			d.deliver(ctx, as)
		case b, ok := <-d.in:
			if !ok {
				return
			}
			d.m.detectQueued.Set(float64(len(d.in)))
			d.takeRules()
			d.apply(b)
			d.put(b)
			d.advance(ctx)
		case <-t.C:
			d.takeRules()
			d.advance(ctx) // a partition may have gone idle
		}
	}
}

// apply buffers a batch's events and ticks until the watermark passes
// them: partitions are read at different speeds (much so while catching
// up), and the detector drops events too far ahead of its last decided bin.
func (d *detection) apply(b *detectBatch) {
	if b.leave {
		delete(d.parts, b.partition)
		return
	}
	nt, ne := len(d.ticks), len(d.events)
	d.ticks = append(d.ticks, b.ticks...)
	d.events = append(d.events, b.events...)
	if r := d.replayed; !r.IsZero() {
		kt := slices.DeleteFunc(d.ticks[nt:], func(t tick) bool { return !t.at.After(r) })
		ke := slices.DeleteFunc(d.events[ne:], func(e burst.Event) bool { return !e.At.After(r) })
		d.ticks, d.events = d.ticks[:nt+len(kt)], d.events[:ne+len(ke)]
	}
	pc := d.parts[b.partition]
	if pc == nil {
		pc = &partClock{}
		d.parts[b.partition] = pc
	}
	if len(b.ticks) > 0 || pc.seen.IsZero() {
		pc.seen = d.now()
	}
	if b.latest.After(pc.latest) {
		pc.latest = b.latest
	}
}

// watermark is the least latest event time over the partitions owned that
// delivered posts within the idle timeout; zero when none did or one of
// them has no posts yet.
func (d *detection) watermark() time.Time {
	now := d.now()
	var wm time.Time
	for _, pc := range d.parts {
		if now.Sub(pc.seen) > d.idle {
			continue
		}
		if pc.latest.IsZero() {
			return time.Time{}
		}
		if wm.IsZero() || pc.latest.Before(wm) {
			wm = pc.latest
		}
	}
	return wm
}

// ahead reports whether an owner whose partition reached latest should wait
// before handing over more events: it is more than maxSkew ahead of the
// watermark. This bounds the events buffered for the slower partitions.
func (d *detection) ahead(latest time.Time) bool {
	wm := d.shared.Load()
	return wm != 0 && latest.UnixNano()-wm > int64(maxSkew)
}

// advance feeds the detector, in event-time order, the buffered ticks and
// events up to the new watermark, advancing it as it goes, and delivers
// the alerts raised.
func (d *detection) advance(ctx context.Context) {
	wm := d.watermark()
	if !wm.After(d.wm) {
		return
	}
	d.wm = wm
	d.shared.Store(wm.UnixNano())
	d.m.detectWatermark.Set(float64(wm.UnixMilli()) / 1e3)

	// Split off what is due, in time order.
	slices.SortStableFunc(d.ticks, func(a, b tick) int { return a.at.Compare(b.at) })
	// The events (~150 bytes each) are ordered by their keys: sorting them
	// in place moved them several times over (2% of earshot run's CPU).
	d.order = d.order[:0]
	for i := range d.events {
		d.order = append(d.order, keyOf(d.events[i].At, i))
	}
	slices.SortFunc(d.order, compareKeys) // the index breaks ties: stable
	nt, _ := slices.BinarySearchFunc(d.ticks, wm, func(t tick, wm time.Time) int {
		if t.at.After(wm) {
			return 1
		}
		return -1
	})
	ne, _ := slices.BinarySearchFunc(d.order, keyOf(wm, math.MaxInt32), compareKeys)
	d.alerts = d.alerts[:0]
	var cur time.Time
	step := func(at time.Time) {
		if at.After(cur) {
			cur = at
			d.alerts = append(d.alerts, d.det.Advance(at)...)
		}
	}
	i, j := 0, 0
	for i < nt || j < ne {
		var e *burst.Event
		if j < ne {
			e = &d.events[d.order[j].i]
		}
		if e == nil || (i < nt && !d.ticks[i].at.After(e.At)) {
			step(d.ticks[i].at)
			for range d.ticks[i].n {
				d.det.Tick(d.ticks[i].at)
			}
			i++
			continue
		}
		step(e.At)
		d.det.Observe(e)
		j++
	}
	d.alerts = append(d.alerts, d.det.Advance(wm)...)
	d.ticks = append(d.ticks[:0], d.ticks[nt:]...)
	for _, k := range d.order[ne:] {
		d.spare = append(d.spare, d.events[k.i])
	}
	clear(d.events)
	d.events, d.spare = d.spare, d.events[:0]
	if len(d.alerts) > 0 {
		d.deliver(ctx, d.alerts)
		clear(d.alerts)
	}
}

// eventKey orders buffered events: by time, then by their index in the
// buffer (the order they arrived in).
type eventKey struct {
	sec  int64
	nsec int32
	i    int32
}

func keyOf(at time.Time, i int) eventKey {
	return eventKey{sec: at.Unix(), nsec: int32(at.Nanosecond()), i: int32(i)}
}

func compareKeys(a, b eventKey) int {
	if c := cmp.Compare(a.sec, b.sec); c != 0 {
		return c
	}
	if c := cmp.Compare(a.nsec, b.nsec); c != 0 {
		return c
	}
	return cmp.Compare(a.i, b.i)
}

// dropRaised removes from d.alerts the alerts the store already holds (an
// earlier run raised them from the same mentions, with the same ids), and
// returns how many it removed. Alerts are detected at or after since. When
// the store cannot say, every alert stays.
func (d *detection) dropRaised(ctx context.Context, since time.Time) int {
	raised, ok := d.store.(RaisedAlerts)
	if !ok || len(d.alerts) == 0 {
		return 0
	}
	qctx, cancel := context.WithTimeout(ctx, warmupTimeout)
	defer cancel()
	ids, err := raised.AlertIDs(qctx, since.Add(-time.Minute))
	if err != nil {
		d.log.Warn("cannot read the alerts already raised; the warm-up's alerts are all delivered again", "err", err)
		return 0
	}
	n := len(d.alerts)
	d.alerts = slices.DeleteFunc(d.alerts, func(a alert.Alert) bool { return ids[a.ID] })
	return n - len(d.alerts)
}

// deliver stores alerts (retrying until ctx ends: the detector then blocks,
// and with it the owners) and hands them to the sender.
func (d *detection) deliver(ctx context.Context, alerts []alert.Alert) {
	for i := range alerts {
		a := &alerts[i]
		if r := d.rules[a.Rule]; r != nil {
			a.RuleName, a.Tags, a.Level, a.Route = r.Name, r.Tags, r.Level, r.Route
		}
		d.log.Info("alert raised", "id", a.ID, "kind", a.Kind, "rule", a.Rule, "scope", a.Scope,
			"region", a.Region(), "detected_at", a.DetectedAt, "sta", a.STA, "lta", a.LTA, "ratio", a.Ratio)
	}
	if d.store != nil {
		err := retry(ctx, d.m, d.log, "alerts", d.backof, func() error { return d.store.InsertAlerts(ctx, alerts) })
		if err != nil {
			d.log.Error("alerts not stored: shutdown deadline passed", "alerts", len(alerts), "err", err)
			return
		}
		d.m.detectAlerts.Add(float64(len(alerts)))
	}
	d.stats.Alerts.Add(int64(len(alerts)))
	if d.sender == nil {
		return
	}
	for i := range alerts {
		if _, err := d.sender.Send(&alerts[i]); err != nil {
			d.log.Warn("cannot send alert", "id", alerts[i].ID, "err", err)
		}
	}
}

// mentionEvent maps a stored or about-to-be-stored mention to the
// detector's event: the live path and the warm-up replay both use it, so a
// replayed mention counts exactly as it did live. hasLink is the live
// matcher's link test of the text (textHasLink).
func mentionEvent(m *sink.Mention, hasLink bool) burst.Event {
	return burst.Event{
		Rule: m.RuleID, Country: m.Country, Cell: m.Cell, At: m.CreatedAt,
		AuthorID: m.AuthorID, Original: !m.IsRepost && !m.IsQuote, Reply: m.IsReply,
		HasLink: hasLink, TextLen: utf8.RuneCountInString(m.Text),
		Lat: m.Lat, Lon: m.Lon, Tier: m.GeoTier, PostID: m.PostID, Text: m.Text,
	}
}

// textHasLink reports whether a post's text contains a link (the match.Doc
// HasLink field).
func textHasLink(text string) bool {
	// One scan for "http" instead of one per scheme: every post pays this.
	for {
		i := strings.Index(text, "http")
		if i < 0 {
			return false
		}
		text = text[i+4:]
		if strings.HasPrefix(text, "://") || strings.HasPrefix(text, "s://") {
			return true
		}
	}
}

// mentionSource returns store as a MentionSource, nil when it is none.
func mentionSource(store Store) MentionSource {
	src, _ := store.(MentionSource)
	return src
}

// newWarmupHistogram returns earshot_burst_warmup_seconds, registered with
// reg when reg is non-nil (an identical collector already registered is
// reused).
func newWarmupHistogram(reg prometheus.Registerer) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "earshot_burst_warmup_seconds",
		Help:    "Time to rebuild the burst detector's state from the mentions stored in ClickHouse at start.",
		Buckets: prometheus.ExponentialBuckets(0.01, 2, 14)})
	if reg == nil {
		return h
	}
	if err := reg.Register(h); err != nil {
		if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
			if old, ok := are.ExistingCollector.(prometheus.Histogram); ok {
				return old
			}
		}
	}
	return h
}

// warmUp rebuilds the detector's state from the mentions stored by earlier
// runs: the WarmupSpan (or a rule's longer windows, warmupSpan) of event time before the newest stored mention of
// the topic, fed in created_at order through the live path's mapping, one
// Tick per post, advancing the detector as it goes; its watermark ends at
// that newest mention. Alerts raised by the replay are delivered (ids are
// stable across replays, so a repeat of an alert the previous run raised
// has the same id).
//
// Only rows stored before this run's writer may store any are read
// (storedBefore: the whole second after the run started, which the writer
// waits for): the owners of this run may insert while the warm-up runs, and
// their posts reach the detector through the live path. ClickHouse keeps
// ingested_at to the second, so a bound at the warm-up's start would lose
// the rows a previous run stored in that same second (a quick restart). The posts the owners read are never among the
// replayed ones: each partition resumes after the highest offset stored.
func (d *detection) warmUp(ctx context.Context) {
	if d.src == nil {
		return
	}
	start := d.now()
	span := d.warmupSpan()
	before := d.storedBefore
	if before.IsZero() {
		before = start
	}
	qctx, cancel := context.WithTimeout(ctx, time.Duration(float64(warmupTimeout)*float64(span)/float64(WarmupSpan)))
	defer cancel()
	newest, err := d.src.NewestMention(qctx, d.topic, start.Add(maxAhead), before)
	if err != nil {
		d.log.Warn("burst detector starts cold: cannot find the newest stored mention", "err", err)
		return
	}
	if newest.IsZero() {
		d.log.Info("burst detector starts cold: no stored mentions", "topic", d.topic)
		return
	}
	// newest is to the second: every stored mention of that second counts.
	newest = newest.Add(time.Second - time.Nanosecond)
	var cur time.Time
	var lastPost string
	var mentions, posts int
	d.alerts = d.alerts[:0]
	err = d.src.RecentMentions(qctx, d.topic, newest.Add(-span), before, func(m *sink.Mention) error {
		if m.CreatedAt.After(newest) {
			return nil // dated beyond the bound: the live path ignores it too
		}
		if m.CreatedAt.After(cur) {
			cur = m.CreatedAt
			d.alerts = append(d.alerts, d.det.Advance(cur)...)
		}
		if m.PostID != lastPost { // a post's rows are adjacent
			lastPost = m.PostID
			d.det.Tick(m.CreatedAt)
			posts++
		}
		ev := mentionEvent(m, textHasLink(m.Text))
		d.det.Observe(&ev)
		mentions++
		return nil
	})
	if err != nil {
		// What was replayed stays: a partial LTA only delays triggers.
		d.log.Warn("burst detector warm-up incomplete", "mentions", mentions, "err", err)
	}
	d.alerts = append(d.alerts, d.det.Advance(newest)...)
	d.wm = newest
	if d.skipReplayed {
		d.replayed = newest
	}
	d.shared.Store(newest.UnixNano())
	d.m.detectWatermark.Set(float64(newest.UnixMilli()) / 1e3)
	took := d.now().Sub(start)
	if d.warmH != nil {
		d.warmH.Observe(took.Seconds())
	}
	repeats := d.dropRaised(ctx, newest.Add(-span))
	d.log.Info("burst detector warmed up", "mentions", mentions, "posts", posts,
		"from", newest.Add(-span), "to", newest, "alerts", len(d.alerts), "already_raised", repeats, "took", took)
	if len(d.alerts) > 0 {
		d.deliver(ctx, d.alerts)
		clear(d.alerts)
		d.alerts = d.alerts[:0]
	}
}
