package stream

import (
	"github.com/prometheus/client_golang/prometheus"

	"earshot/stream/post"
)

type metrics struct {
	consumed     prometheus.Counter
	decoded      prometheus.Counter
	deadLetters  *prometheus.CounterVec
	matched      prometheus.Counter
	mentions     prometheus.Counter
	duplicates   *prometheus.CounterVec
	inserted     prometheus.Counter
	batches      prometheus.Counter
	batchSeconds prometheus.Histogram
	batchRows    prometheus.Histogram
	retries      *prometheus.CounterVec
	commitErrors prometheus.Counter
	lag          *prometheus.GaugeVec
	committed    *prometheus.GaugeVec
	queued       prometheus.Gauge
	partitions   prometheus.Gauge
	dedupKeys    *prometheus.GaugeVec
	dedupBytes   *prometheus.GaugeVec
	reposts      prometheus.Counter
	skipped      prometheus.Counter
	copies       prometheus.Counter
	// earlyRotations is a gauge per partition owner (reset when the
	// partition moves), not a counter, since owners come and go.
	earlyRotations *prometheus.GaugeVec
	warmupSeconds  prometheus.Histogram
	staleChunks    prometheus.Counter
	partial        prometheus.Counter
	lateInserts    prometheus.Counter
	backfillKeys   prometheus.Counter
	lost           *prometheus.CounterVec

	routed          *prometheus.CounterVec
	detectQueued    prometheus.Gauge
	detectWatermark prometheus.Gauge
	detectAlerts    prometheus.Counter
	revivalLooks    *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		consumed: prometheus.NewCounter(prometheus.CounterOpts{Name: "earshot_consumed_messages_total",
			Help: "Kafka messages fetched from the input topic."}),
		decoded: prometheus.NewCounter(prometheus.CounterOpts{Name: "earshot_decoded_posts_total",
			Help: "Messages decoded into valid posts."}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "earshot_dead_letters_total",
			Help: "Messages sent to the dead-letter topic, by reason."}, []string{"reason"}),
		matched: prometheus.NewCounter(prometheus.CounterOpts{Name: "earshot_matched_posts_total",
			Help: "Posts that matched at least one rule (before dedup)."}),
		mentions: prometheus.NewCounter(prometheus.CounterOpts{Name: "earshot_mentions_total",
			Help: "Mention rows (post × rule) produced after dedup."}),
		duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "earshot_duplicates_total",
			Help: "Matched posts dropped as already counted, by kind."}, []string{"kind"}),
		inserted: prometheus.NewCounter(prometheus.CounterOpts{Name: "earshot_inserted_rows_total",
			Help: "Mention rows acknowledged by ClickHouse."}),
		batches: prometheus.NewCounter(prometheus.CounterOpts{Name: "earshot_batches_total",
			Help: "Batches flushed (dead letters written, rows inserted, offsets committed)."}),
		batchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "earshot_batch_seconds",
			Help:    "Time to flush one batch: dead letters, insert and offset commit.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}),
		batchRows: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "earshot_batch_rows",
			Help: "Mention rows per flushed batch.", Buckets: prometheus.ExponentialBuckets(1, 4, 10)}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "earshot_retries_total",
			Help: "Retried writes after an error, by target."}, []string{"target"}),
		commitErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "earshot_commit_errors_total",
			Help: "Kafka offset commits that failed (the data is safe: ClickHouse holds its offsets)."}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "earshot_consumer_lag",
			Help: "Messages behind the partition's high watermark at the last fetch."}, []string{"partition"}),
		committed: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "earshot_committed_offset",
			Help: "Next offset to read per partition, as last committed."}, []string{"partition"}),
		queued: prometheus.NewGauge(prometheus.GaugeOpts{Name: "earshot_queued_chunks",
			Help: "Chunks waiting for the writer (bounded by the queue size)."}),
		partitions: prometheus.NewGauge(prometheus.GaugeOpts{Name: "earshot_assigned_partitions",
			Help: "Input partitions owned by this process."}),
		dedupKeys: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "earshot_dedup_keys",
			Help: "Keys remembered for dedup, per partition and kind (post_id, copy)."}, []string{"partition", "kind"}),
		dedupBytes: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "earshot_dedup_bytes",
			Help: "Memory held by dedup state, per partition and kind (post_id, copy)."}, []string{"partition", "kind"}),
		reposts: prometheus.NewCounter(prometheus.CounterOpts{Name: "earshot_reposts_total",
			Help: "Matched unique posts that are reposts (counted apart in the aggregates)."}),
		skipped: prometheus.NewCounter(prometheus.CounterOpts{Name: "earshot_skipped_messages_total",
			Help: "Valid messages that are not posts (deletion notices, non-post events), passed over."}),
		copies: prometheus.NewCounter(prometheus.CounterOpts{Name: "earshot_copies_total",
			Help: "Matched unique posts flagged as a copy of an earlier post's text (kept, flagged with copy_of)."}),
		earlyRotations: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "earshot_dedup_early_rotations",
			Help: "Times the partition's current owner forgot the older half of its dedup window because it was full."}, []string{"partition", "kind"}),
		warmupSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "earshot_dedup_warmup_seconds",
			Help:    "Time to rebuild a partition's dedup state from ClickHouse on assignment.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14)}),
		partial: prometheus.NewCounter(prometheus.CounterOpts{Name: "earshot_partial_inserts_total",
			Help: "Failed INSERTs that ClickHouse kept in mentions but not in every view's table, completed from mentions."}),
		lateInserts: prometheus.NewCounter(prometheus.CounterOpts{Name: "earshot_late_insert_waits_total",
			Help: "Generations whose owners waited, before reading the resume offsets, for INSERTs into mentions begun before the generation that ClickHouse was still running."}),
		backfillKeys: prometheus.NewCounter(prometheus.CounterOpts{Name: "earshot_backfill_keys_learned_total",
			Help: "Posts a backfill stored that the pipeline had not, added to the owners' dedup windows."}),
		staleChunks: prometheus.NewCounter(prometheus.CounterOpts{Name: "earshot_stale_chunks_total",
			Help: "Chunks of a generation that ended too long ago, dropped unwritten (fenced) so a new owner cannot be overtaken."}),
		lost: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "earshot_lost_messages_total",
			Help: "Messages retention deleted before earshot read them, skipped by going on from the partition's first offset."}, []string{"topic", "partition"}),
		routed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "earshot_routed_mentions_total",
			Help: "Mentions of routed rules written to their route topic, by route."}, []string{"route"}),
		detectQueued: prometheus.NewGauge(prometheus.GaugeOpts{Name: "earshot_detect_queued_batches",
			Help: "Batches of events waiting for the burst detector (bounded: owners block when full)."}),
		detectWatermark: prometheus.NewGauge(prometheus.GaugeOpts{Name: "earshot_detect_watermark_seconds",
			Help: "Burst detector watermark: the least latest event time over the partitions owned (Unix seconds)."}),
		detectAlerts: prometheus.NewCounter(prometheus.CounterOpts{Name: "earshot_detect_alerts_stored_total",
			Help: "Alerts written to ClickHouse's alerts table by the pipeline."}),
		revivalLooks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "earshot_revival_looks_total",
			Help: "Looks for topics back after a quiet stretch (revival alerts), by outcome: ok, error."}, []string{"outcome"}),
	}
	m.revivalLooks.WithLabelValues("ok")
	m.revivalLooks.WithLabelValues("error")
	for _, r := range post.Reasons {
		m.deadLetters.WithLabelValues(string(r))
	}
	m.duplicates.WithLabelValues("post_id")
	if reg != nil {
		reg.MustRegister(m.consumed, m.decoded, m.deadLetters, m.matched, m.mentions, m.duplicates,
			m.inserted, m.batches, m.batchSeconds, m.batchRows, m.retries, m.commitErrors, m.lag,
			m.committed, m.queued, m.partitions, m.dedupKeys, m.dedupBytes, m.reposts, m.copies, m.skipped,
			m.earlyRotations, m.warmupSeconds, m.staleChunks, m.lost, m.partial, m.lateInserts, m.backfillKeys,
			m.routed, m.detectQueued, m.detectWatermark, m.detectAlerts, m.revivalLooks)
	}
	return m
}

// forget removes a partition's gauges when its owner returns: they describe
// the partitions a process owns now, and a partition that moved would
// otherwise show its last lag and dedup state here as well as on its new
// owner. The counters stay: they count what this process did.
func (m *metrics) forget(partition string) {
	m.lag.DeleteLabelValues(partition)
	m.committed.DeleteLabelValues(partition)
	for _, kind := range []string{"post_id", "copy"} {
		m.dedupKeys.DeleteLabelValues(partition, kind)
		m.dedupBytes.DeleteLabelValues(partition, kind)
		m.earlyRotations.DeleteLabelValues(partition, kind)
	}
}
