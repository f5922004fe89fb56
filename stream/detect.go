package stream

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"earshot/stream/alert"
	"earshot/stream/burst"
)

// AlertStore keeps the alerts the detector raises: *sink.Client (the
// alerts table).
type AlertStore interface {
	InsertAlerts(ctx context.Context, alerts []alert.Alert) error
}

// AlertSender delivers alerts to the alerts topic and webhooks:
// *alert.Dispatcher (its cooldown applies). Send must not block.
type AlertSender interface {
	Send(a *alert.Alert) (bool, error)
}

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
	det    *burst.Detector
	store  AlertStore  // nil: alerts are not stored
	sender AlertSender // nil: alerts are not delivered
	in     chan *detectBatch
	idle   time.Duration
	m      *metrics
	log    *slog.Logger
	stats  *Stats
	now    func() time.Time
	pool   sync.Pool
	backof time.Duration

	parts  map[int]*partClock
	wm     time.Time
	shared atomic.Int64  // wm in Unix nanoseconds, read by the owners (ahead)
	ticks  []tick        // buffered, not yet fed to the detector
	events []burst.Event // idem
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
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case b, ok := <-d.in:
			if !ok {
				return
			}
			d.m.detectQueued.Set(float64(len(d.in)))
			d.apply(b)
			d.put(b)
			d.advance(ctx)
		case <-t.C:
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
	d.ticks = append(d.ticks, b.ticks...)
	d.events = append(d.events, b.events...)
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
	slices.SortStableFunc(d.events, func(a, b burst.Event) int { return a.At.Compare(b.At) })
	nt, _ := slices.BinarySearchFunc(d.ticks, wm, func(t tick, wm time.Time) int {
		if t.at.After(wm) {
			return 1
		}
		return -1
	})
	ne, _ := slices.BinarySearchFunc(d.events, wm, func(e burst.Event, wm time.Time) int {
		if e.At.After(wm) {
			return 1
		}
		return -1
	})
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
		if j >= ne || (i < nt && !d.ticks[i].at.After(d.events[j].At)) {
			step(d.ticks[i].at)
			for range d.ticks[i].n {
				d.det.Tick(d.ticks[i].at)
			}
			i++
			continue
		}
		step(d.events[j].At)
		d.det.Observe(&d.events[j])
		j++
	}
	d.alerts = append(d.alerts, d.det.Advance(wm)...)
	d.ticks = append(d.ticks[:0], d.ticks[nt:]...)
	rest := copy(d.events, d.events[ne:])
	clear(d.events[rest:])
	d.events = d.events[:rest]
	if len(d.alerts) > 0 {
		d.deliver(ctx, d.alerts)
		clear(d.alerts)
	}
}

// deliver stores alerts (retrying until ctx ends: the detector then blocks,
// and with it the owners) and hands them to the sender.
func (d *detection) deliver(ctx context.Context, alerts []alert.Alert) {
	for i := range alerts {
		a := &alerts[i]
		d.log.Info("burst alert", "id", a.ID, "kind", a.Kind, "rule", a.Rule, "scope", a.Scope,
			"region", a.Region(), "detected_at", a.DetectedAt, "sta", a.STA, "lta", a.LTA, "ratio", a.Ratio)
	}
	if d.store != nil {
		backoff := d.backof
		for {
			err := d.store.InsertAlerts(ctx, alerts)
			if err == nil {
				d.m.detectAlerts.Add(float64(len(alerts)))
				break
			}
			d.m.retries.WithLabelValues("alerts").Inc()
			d.log.Warn("cannot store alerts; retrying", "alerts", len(alerts), "backoff", backoff, "err", err)
			select {
			case <-ctx.Done():
				d.log.Error("alerts not stored: shutdown deadline passed", "alerts", len(alerts))
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 10*time.Second)
		}
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
