package alert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Target is where a Dispatcher delivers alerts. Deliver gets the alert and
// its JSON body (shared: do not modify it) and returns once the alert is
// delivered or given up; it must return when ctx is done.
type Target interface {
	Name() string
	Deliver(ctx context.Context, a *Alert, body []byte) error
}

// DispatcherConfig configures a Dispatcher.
type DispatcherConfig struct {
	// Cooldown suppresses a trigger for a rule × region (and its
	// follow-ups) within Cooldown of the last trigger sent for that rule ×
	// region (default 10m; negative: no cooldown). Wall-clock time.
	// SetCooldowns gives rules cooldowns of their own.
	Cooldown time.Duration
	// QueueSize bounds each target's queue (default 256 alerts); Send
	// drops an alert for a target whose queue is full and counts it.
	QueueSize int
	// Registerer receives the metrics (default: a private registry).
	Registerer prometheus.Registerer
	// Log receives a line for every alert a target did not get: given up
	// after its attempts, or dropped on a full queue (default
	// slog.Default()).
	Log *slog.Logger
}

func (c *DispatcherConfig) setDefaults() {
	if c.Cooldown == 0 {
		c.Cooldown = 10 * time.Minute
	}
	if c.QueueSize == 0 {
		c.QueueSize = 256
	}
	if c.Registerer == nil {
		c.Registerer = prometheus.NewRegistry()
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
}

func (c *DispatcherConfig) validate() error {
	if c.QueueSize < 1 || c.QueueSize > 1<<20 {
		return fmt.Errorf("queue size %d is outside [1, 1048576]", c.QueueSize)
	}
	return nil
}

// Dispatcher fans alerts out to targets. Send is safe for concurrent use.
//
// Concurrency: NewDispatcher starts one owner goroutine per target; Close
// stops accepting, lets each owner drain its queue until the context given
// to Close is done (then cancels in-flight retries) and waits for all of
// them. Lock order: Dispatcher.mu only, never held while delivering.
type Dispatcher struct {
	cfg     DispatcherConfig
	targets []*queue
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	now     func() time.Time

	mu         sync.Mutex
	closed     bool
	last       map[string]time.Time     // rule\x00region → last trigger sent
	suppressed map[string]time.Time     // event id → when its trigger was suppressed
	cooldowns  map[string]time.Duration // rule → its own cooldown (SetCooldowns)

	alerts     *prometheus.CounterVec
	suppressN  prometheus.Counter
	deliveries *prometheus.CounterVec
	failures   *prometheus.CounterVec
	retries    *prometheus.CounterVec
	dropped    *prometheus.CounterVec
}

type queue struct {
	t  Target
	ch chan item
}

type item struct {
	a    Alert
	body []byte
}

// NewDispatcher starts delivering to targets.
func NewDispatcher(cfg DispatcherConfig, targets ...Target) (*Dispatcher, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("invalid alert dispatcher config: %w", err)
	}
	d := &Dispatcher{
		cfg: cfg, now: time.Now,
		last: map[string]time.Time{}, suppressed: map[string]time.Time{},
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "earshot_alerts_total", Help: "Alerts handed to the dispatcher, by kind.",
		}, []string{"kind"}),
		suppressN: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "earshot_alerts_suppressed_total", Help: "Alerts suppressed by the per rule × region cooldown.",
		}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "earshot_alert_deliveries_total", Help: "Alerts delivered, by target.",
		}, []string{"target"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "earshot_alert_delivery_failures_total", Help: "Alerts given up after all attempts, by target.",
		}, []string{"target"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "earshot_alert_retries_total", Help: "Retried delivery attempts, by target.",
		}, []string{"target"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "earshot_alert_dropped_total", Help: "Alerts dropped because a target's queue was full, by target.",
		}, []string{"target"}),
	}
	for _, c := range []prometheus.Collector{d.alerts, d.suppressN, d.deliveries, d.failures, d.retries, d.dropped} {
		if err := cfg.Registerer.Register(c); err != nil {
			return nil, fmt.Errorf("cannot register alert metrics: %w", err)
		}
	}
	names := map[string]bool{}
	for _, t := range targets {
		if names[t.Name()] {
			return nil, fmt.Errorf("two alert targets named %q", t.Name())
		}
		names[t.Name()] = true
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	for _, t := range targets {
		q := &queue{t: t, ch: make(chan item, cfg.QueueSize)}
		d.targets = append(d.targets, q)
		if r, ok := t.(interface{ setRetries(prometheus.Counter) }); ok {
			r.setRetries(d.retries.WithLabelValues(t.Name()))
		}
		d.wg.Add(1)
		go d.run(q)
	}
	return d, nil
}

func (d *Dispatcher) run(q *queue) {
	defer d.wg.Done()
	for it := range q.ch {
		err := d.ctx.Err()
		if err == nil {
			err = q.t.Deliver(d.ctx, &it.a, it.body)
		}
		if err != nil {
			d.failures.WithLabelValues(q.t.Name()).Inc()
			d.cfg.Log.Error("alert not delivered; given up", "target", q.t.Name(), "alert", it.a.ID,
				"kind", it.a.Kind, "rule", it.a.Rule, "region", it.a.Region(), "err", err)
			continue
		}
		d.deliveries.WithLabelValues(q.t.Name()).Inc()
	}
}

// ErrClosed is returned by Send after Close.
var ErrClosed = errors.New("alert dispatcher closed")

// Send applies the cooldown and queues a copy of a for every target. It
// never blocks: it reports whether the alert was queued (false, nil when
// suppressed by the cooldown).
func (d *Dispatcher) Send(a *Alert) (bool, error) {
	body, err := a.AppendJSON(nil)
	if err != nil {
		return false, fmt.Errorf("cannot encode alert %s: %w", a.ID, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false, ErrClosed
	}
	d.alerts.WithLabelValues(a.Kind).Inc()
	if !d.admit(a) {
		d.suppressN.Inc()
		return false, nil
	}
	for _, q := range d.targets {
		select {
		case q.ch <- item{a: *a, body: body}:
		default:
			d.dropped.WithLabelValues(q.t.Name()).Inc()
			d.cfg.Log.Error("alert queue full; alert dropped for this target", "target", q.t.Name(), "alert", a.ID,
				"kind", a.Kind, "rule", a.Rule, "region", a.Region(), "queue", d.cfg.QueueSize)
		}
	}
	return true, nil
}

// SetCooldowns gives rules a cooldown of their own in place of
// DispatcherConfig.Cooldown (negative: none), replacing the ones set
// before: the pipeline sets them from the rules' alert settings at start
// and on every rules reload. Safe for concurrent use with Send.
func (d *Dispatcher) SetCooldowns(rules map[string]time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cooldowns = maps.Clone(rules)
}

// cooldown is rule's cooldown; d.mu is held.
func (d *Dispatcher) cooldown(rule string) time.Duration {
	if c, ok := d.cooldowns[rule]; ok {
		return c
	}
	return d.cfg.Cooldown
}

// admit applies the cooldown; d.mu is held.
func (d *Dispatcher) admit(a *Alert) bool {
	cool := d.cooldown(a.Rule)
	if cool < 0 {
		return true
	}
	now := d.now()
	if len(d.last) > 4096 || len(d.suppressed) > 4096 {
		for k, t := range d.last {
			if now.Sub(t) >= d.cooldown(k[:strings.IndexByte(k, 0)]) {
				delete(d.last, k)
			}
		}
		for k, t := range d.suppressed {
			if now.Sub(t) >= 24*time.Hour {
				delete(d.suppressed, k)
			}
		}
	}
	if a.Kind != KindTrigger {
		_, sup := d.suppressed[a.EventID]
		return !sup
	}
	key := a.Rule + "\x00" + a.Scope + "\x00" + a.Region()
	if t, ok := d.last[key]; ok && now.Sub(t) < cool {
		d.suppressed[a.ID] = now
		return false
	}
	d.last[key] = now
	return true
}

// Close stops accepting alerts, waits until every queued alert is
// delivered or ctx is done (then in-flight deliveries are cancelled and the
// rest counted as failures), and waits for the owner goroutines.
func (d *Dispatcher) Close(ctx context.Context) error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	for _, q := range d.targets {
		close(q.ch)
	}
	d.mu.Unlock()
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("cannot drain alert queues: %w", ctx.Err())
	}
	d.cancel()
	<-done
	return err
}
