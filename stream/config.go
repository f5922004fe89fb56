package stream

import (
	"errors"
	"fmt"
	"time"

	"earshot/stream/adapt"
	"earshot/stream/lifecycle"
	"earshot/stream/post"
)

// Config configures a Pipeline. Zero fields take the documented defaults
// (SetDefaults); Validate says what to fix.
type Config struct {
	// Brokers are the Kafka bootstrap addresses. Required.
	Brokers []string
	// Security is TLS and SASL for every connection to Brokers. Default
	// none: plaintext, no authentication.
	Security Security
	// Topic is the input topic of canonical posts, keyed by post id. Required.
	Topic string
	// Group is the Kafka consumer group. Default "earshot".
	Group string
	// DeadLetterTopic receives messages that cannot be decoded, with the
	// reason in headers. Default Topic + ".dlq".
	DeadLetterTopic string

	// BatchRows flushes a ClickHouse batch once it holds this many mention
	// rows. Default 50,000.
	BatchRows int
	// BatchInterval flushes a non-empty batch at least this often. Default 1s.
	BatchInterval time.Duration
	// ChunkMessages caps how many messages a partition owner processes before
	// handing its chunk to the writer. Default 5,000.
	ChunkMessages int
	// ChunkInterval hands a partition's chunk to the writer at least this
	// often while messages flow. Default 200ms.
	ChunkInterval time.Duration
	// QueueChunks bounds the chunks waiting for the writer; when full,
	// partition owners block and stop fetching. Default 16.
	QueueChunks int
	// FetchMaxBytes bounds one fetch response per partition. Default 4 MiB.
	FetchMaxBytes int
	// PartitionQueue bounds the messages prefetched per partition. Default 2,000.
	PartitionQueue int

	// DedupWindow is how long a post id is remembered (at least this long,
	// at most twice). Default 24h.
	DedupWindow time.Duration
	// DedupMaxKeys bounds the post ids remembered per partition. When the
	// window is full, its older half is forgotten early (the window shrinks
	// and earshot_dedup_early_rotations_total counts it). Default 20,000,000
	// (about 100 MB per partition at 5 bytes a key).
	DedupMaxKeys int
	// CopyMaxKeys bounds the texts remembered per partition for copy
	// detection (about 83 bytes each); when full, the older half is
	// forgotten early. Default 1,000,000.
	CopyMaxKeys int
	// BackfillPoll is how often each partition owner reads the posts a
	// backfill (earshot backfill) stored that the pipeline had not, into
	// its dedup window and copy counts, so that such a post delivered
	// again is not counted again. Default 5s.
	BackfillPoll time.Duration
	// RetryBackoff is the first wait before retrying a failed insert or
	// dead-letter write; it doubles up to 10s. Default 200ms.
	RetryBackoff time.Duration
	// ShutdownTimeout bounds the final flush on stop. Default 30s.
	ShutdownTimeout time.Duration
	// SessionTimeout is the consumer-group session timeout. Default 10s.
	SessionTimeout time.Duration

	// Format is the input format: canonical, twitter-v1, mastodon,
	// jetstream, or auto (detected per message). Default canonical.
	Format adapt.Format

	// Limits bound accepted messages (see post.Limits for defaults).
	Limits post.Limits

	// RouteTopicPrefix names the topic a routed rule's mentions go to:
	// RouteTopicPrefix + the rule's route. Default "earshot.route.".
	RouteTopicPrefix string
	// DetectQueue bounds the batches of events (one per chunk) waiting for
	// the burst detector; when full, partition owners block. Default 64.
	DetectQueue int
	// DetectIdle: a partition that delivered nothing for this long (wall
	// time) no longer holds the detector's watermark back. Default 10s.
	DetectIdle time.Duration

	// DetectOnly runs the pipeline for its burst detector alone: it
	// decodes, matches, deduplicates, enriches and detects, delivers alerts,
	// and commits its consumer group's offsets, but writes no mentions, no
	// progress markers, no routed mentions and no dead letters. It resumes
	// from its group's committed offsets only (ClickHouse's stored offsets
	// belong to the group that writes mentions) and its post-id dedup starts
	// empty. Run it in a consumer group of its own, as the only member, so
	// that its detector sees every partition. Requires Deps.Detector.
	// Default false.
	DetectOnly bool

	// RevivalEvery is how often the detection looks for topics back after
	// a quiet stretch and raises a "revival" alert for each (revival.go).
	// It needs Deps.Detector and a Store that answers life-cycle queries
	// (*sink.Client). Default 1m; negative: no revival alerts.
	RevivalEvery time.Duration
	// Revival says what a revival is (lifecycle.Config; zero fields take
	// its defaults: hourly bins, 2 mentions an active hour, 72h of quiet
	// before, begun within the last 6h).
	Revival lifecycle.Config
}

// SetDefaults fills zero fields with their defaults.
func (c *Config) SetDefaults() {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defd := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if c.Group == "" {
		c.Group = "earshot"
	}
	if c.Format == "" {
		c.Format = adapt.FormatCanonical
	}
	if c.DeadLetterTopic == "" && c.Topic != "" {
		c.DeadLetterTopic = c.Topic + ".dlq"
	}
	if c.RouteTopicPrefix == "" {
		c.RouteTopicPrefix = "earshot.route."
	}
	def(&c.DetectQueue, 64)
	defd(&c.DetectIdle, 10*time.Second)
	defd(&c.RevivalEvery, time.Minute)
	def(&c.BatchRows, 50_000)
	defd(&c.BatchInterval, time.Second)
	def(&c.ChunkMessages, 5_000)
	defd(&c.ChunkInterval, 200*time.Millisecond)
	def(&c.QueueChunks, 16)
	def(&c.FetchMaxBytes, 4<<20)
	def(&c.PartitionQueue, 2_000)
	defd(&c.DedupWindow, 24*time.Hour)
	def(&c.DedupMaxKeys, 20_000_000)
	def(&c.CopyMaxKeys, 1_000_000)
	defd(&c.RetryBackoff, 200*time.Millisecond)
	defd(&c.BackfillPoll, 5*time.Second)
	defd(&c.ShutdownTimeout, 30*time.Second)
	defd(&c.SessionTimeout, 10*time.Second)
}

// Validate reports every problem with c.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(c.Brokers) == 0 {
		bad("kafka brokers: at least one address is required (e.g. 127.0.0.1:9092)")
	}
	if c.Topic == "" {
		bad("input topic: required")
	}
	if _, err := adapt.ParseFormat(string(c.Format)); err != nil {
		bad("input format: %v", err)
	}
	if c.DeadLetterTopic == c.Topic {
		bad("dead-letter topic %q must differ from the input topic", c.DeadLetterTopic)
	}
	pos := func(name string, v int) {
		if v < 0 {
			bad("%s: must be positive, got %d", name, v)
		}
	}
	posd := func(name string, v time.Duration) {
		if v < 0 {
			bad("%s: must be positive, got %s", name, v)
		}
	}
	pos("batch rows", c.BatchRows)
	pos("chunk messages", c.ChunkMessages)
	pos("queue chunks", c.QueueChunks)
	pos("fetch max bytes", c.FetchMaxBytes)
	pos("partition queue", c.PartitionQueue)
	pos("dedup max keys", c.DedupMaxKeys)
	pos("copy max keys", c.CopyMaxKeys)
	pos("detect queue", c.DetectQueue)
	posd("detect idle", c.DetectIdle)
	posd("batch interval", c.BatchInterval)
	posd("chunk interval", c.ChunkInterval)
	posd("retry backoff", c.RetryBackoff)
	posd("shutdown timeout", c.ShutdownTimeout)
	if c.RevivalEvery >= 0 {
		if err := c.Revival.Validate(); err != nil {
			bad("revival: %v", err)
		}
	}
	if c.DedupWindow != 0 && c.DedupWindow < time.Minute {
		bad("dedup window: at least 1m, got %s", c.DedupWindow)
	}
	if c.SessionTimeout != 0 && c.SessionTimeout < 6*time.Second {
		bad("session timeout: at least 6s (the broker's minimum), got %s", c.SessionTimeout)
	}
	if c.ShutdownTimeout > 0 && c.SessionTimeout > 0 && c.fenceAfter() < time.Second {
		bad("shutdown timeout %s: must exceed 2/5 of the session timeout %s by at least 1s (it is also the rebalance timeout)",
			c.ShutdownTimeout, c.SessionTimeout)
	}
	return errors.Join(errs...)
}

// fenceAfter is how long after its generation ended a chunk may still be
// written: the sooner of the rebalance timeout (ShutdownTimeout) and the
// session timeout, minus two heartbeat intervals, the longest this process
// can take to notice that the generation ended. A new generation cannot
// complete sooner, so no insert of the old one overlaps a new owner's
// start. The session timeout bounds it too: kafka-go stops heartbeating
// when the generation ends, while the owners flush, so the coordinator
// drops a member whose final flush outlasts its session (ClickHouse down)
// and completes the next generation then, before the rebalance timeout
// (TestFaultsClickHouseKill9 stored 38 rows twice once so: a flush retried
// 6.3 s after the end, 0.3 s after the next owner had read its resume
// offsets, with the fence at 7.6 s).
func (c *Config) fenceAfter() time.Duration {
	return min(c.ShutdownTimeout, c.SessionTimeout) - 2*(c.SessionTimeout/5)
}
