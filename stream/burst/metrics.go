package burst

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	keys                                         prometheus.Gauge
	alerts                                       *prometheus.CounterVec
	counted, late, tooOld, future, filtered, off prometheus.Counter
	suppressed, evictedIdle, evictedCap          prometheus.Counter
	echoes                                       prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	events := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "earshot_burst_events_total",
		Help: "Events seen by the burst detector, by outcome: counted, late (counted in a decided bin), too_old, future, filtered (not first-hand), off (the rule's alerts are off).",
	}, []string{"outcome"})
	evicted := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "earshot_burst_evicted_keys_total",
		Help: "Detector keys forgotten: idle (windows empty) or cap (MaxKeys reached).",
	}, []string{"reason"})
	m := &metrics{
		keys: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "earshot_burst_tracked_keys",
			Help: "Keys (rule, rule × country, rule × cell) tracked by the burst detector.",
		}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "earshot_burst_alerts_total",
			Help: "Alerts raised by the burst detector, by kind (trigger, followup).",
		}, []string{"kind"}),
		suppressed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "earshot_burst_suppressed_total",
			Help: "Triggers suppressed because a feed outage lies inside the windows.",
		}),
		echoes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "earshot_burst_echoes_total",
			Help: "Country and cell triggers suppressed as echoes of their rule's worldwide burst (Params.EchoShare).",
		}),
		counted:     events.WithLabelValues("counted"),
		late:        events.WithLabelValues("late"),
		tooOld:      events.WithLabelValues("too_old"),
		future:      events.WithLabelValues("future"),
		filtered:    events.WithLabelValues("filtered"),
		off:         events.WithLabelValues("off"),
		evictedIdle: evicted.WithLabelValues("idle"),
		evictedCap:  evicted.WithLabelValues("cap"),
	}
	for _, c := range []prometheus.Collector{m.keys, m.alerts, m.suppressed, m.echoes, events, evicted} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("cannot register burst metrics (one Detector per Registerer): %w", err)
		}
	}
	return m, nil
}
