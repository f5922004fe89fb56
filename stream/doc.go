// Package stream runs earshot's pipeline: it consumes the input topic as a
// member of a Kafka consumer group, decodes each message into a canonical
// post, matches it against the rules, drops posts already counted, enriches
// the mentions and hands them to the Store (ClickHouse) in batches. Offsets
// are committed only after the Store acknowledged every row before them.
// Every Kafka connection it makes (the group, the partition readers, the
// dead-letter and route writers) takes Config.Security: TLS, SASL, or
// neither.
//
// # Flow and concurrency
//
//	Pipeline.Run ─ consumer group generation loop
//	  └─ one owner goroutine per assigned partition (started with
//	     Generation.Start, awaited by Run): fetch → decode → match → dedup →
//	     enrich → append to a chunk; a chunk is handed to the writer after
//	     ChunkMessages messages or ChunkInterval. Decoded posts are matched
//	     256 at a time (match.Engine.MatchBatch); the pending ones are matched
//	     before a chunk is handed over, so a chunk holds every row up to its
//	     last offset. Values are fetched into shared 1 MB slabs, without keys
//	     and headers; a chunk's dead letters get theirs read again from the
//	     partition at its hand-over.
//	  └─ one writer goroutine (started and awaited by Run): collects chunks
//	     into a batch, flushes on BatchRows or a jittered BatchInterval:
//	     dead letters → Kafka, rows → Store.Insert (after a failure the
//	     batch is inspected and only what ClickHouse lacks is written: it
//	     may keep an INSERT in part, docs/delivery.md step 4), then commits
//	     each chunk's next offset with its generation.
//
//	  └─ with Deps.Detector, one detector goroutine (started and awaited by
//	     Run): each owner hands it, per chunk and before the writer gets the
//	     chunk, the events of its matched, deduplicated mentions, its posts'
//	     creation times and its latest event time, through a bounded queue
//	     (DetectQueue; owners block when it is full). The watermark is the
//	     least latest event time over the partitions owned (a partition idle
//	     for DetectIdle does not count); buffered events are fed to the
//	     detector in event-time order up to it. Alerts are inserted into the
//	     AlertStore, then handed to the AlertSender. docs/alerts.md has the
//	     details and what several consumers get. Every RevivalEvery a
//	     goroutine the detector owns looks at the rules' life cycles in
//	     ClickHouse (revival.go) and hands it a "revival" alert for each rule
//	     back after a quiet stretch, delivered the same way.
//
//	  └─ with Config.DetectOnly, the writer writes nothing and only commits
//	     offsets; partitions resume from the group's commits, not from the
//	     offsets ClickHouse stores. One such process in a group of its own
//	     detects on every partition while the writing group runs without a
//	     detector.
//
// Mentions of rules with a route are written by the writer to
// RouteTopicPrefix + route, keyed by author id, before the batch is
// inserted (at-least-once, like dead letters).
//
// The chunk queue between owners and writer is bounded (QueueChunks): when
// ClickHouse is slow or down the writer retries, the queue fills, owners
// block, and each partition reader stops fetching once its own bounded
// prefetch queue is full. Memory is bounded by QueueChunks × ChunkMessages
// plus one batch.
//
// # Delivery
//
// At-least-once from Kafka, effectively-once into ClickHouse: every row
// carries its source topic, partition and offset, and a batch is inserted as
// one block. On assignment an owner resumes from the later of the group's
// committed offset and one past the highest offset ClickHouse stores for
// the partition, and rebuilds its dedup state (post ids and copy counts) by
// replaying, in offset order, the keys ClickHouse stored for the partition
// within DedupWindow: the state is checkpointed with the offsets it covers,
// by the same INSERTs. An insert that failed ambiguously is retried only if
// none of its rows landed. Dead letters are at-least-once: a replay may
// repeat them. On revocation or stop, each owner hands over its last chunk
// and waits until it is committed; chunks of a generation that ended more
// than ShutdownTimeout − 2 heartbeats ago are fenced off (never written),
// so nothing of an old owner lands after a new owner started.
// docs/delivery.md has the argument in full.
//
// # Duplicates, reposts, copies
//
// A matched post whose id was counted within DedupWindow is dropped. A
// repost is kept and flagged (is_repost, repost_of); the aggregates count
// originals and reposts apart. A non-repost whose normalised text
// (dedup.AppendNormal) was already seen on the partition within the window
// is kept and flagged as a copy: copy_of is the first post's id, copy_count
// the running count; copies_rule_minute sums them for dashboards.
//
// # Backfill
//
// Backfill gives rules added to a running pipeline their history: it reads
// again, partition by partition (Parallel at a time), the messages the
// pipeline stored before it took them up, matches them against those rules
// alone, and stores the mentions the pipeline would have stored had it run
// them, deciding duplicates and copies as it would have (from the keys
// ClickHouse stores with the rows) and leaving alone every mention stored
// already, so that it can be run again. It exports no metrics: it is a
// command (earshot backfill) that prints what it did. The posts it stores
// that the pipeline had not are recorded (sink backfill_keys); every
// partition owner reads the new ones at most every BackfillPoll, as a chunk
// begins, into its dedup window and copy counts.
//
// # Metrics
//
//	earshot_consumed_messages_total    messages fetched
//	earshot_decoded_posts_total        messages decoded into posts
//	earshot_dead_letters_total{reason} messages sent to the dead-letter topic
//	earshot_matched_posts_total        posts matching at least one rule
//	earshot_mentions_total             mention rows produced
//	earshot_inserted_rows_total        rows acknowledged by ClickHouse
//	earshot_batches_total              batches flushed
//	earshot_batch_seconds              flush latency (dead letters, insert, commit)
//	earshot_batch_rows                 rows per batch
//	earshot_retries_total{target}      retried writes (clickhouse, dead_letter)
//	earshot_commit_errors_total        failed offset commits
//	earshot_consumer_lag{partition}    messages behind the high watermark
//	earshot_lost_messages_total{topic,partition} messages retention deleted
//	                                   before they were read, skipped (logged too)
//	earshot_committed_offset{partition} next offset, as last committed
//	earshot_queued_chunks              chunks waiting for the writer
//	earshot_assigned_partitions        partitions owned
//	earshot_duplicates_total{kind}     kind="post_id": matched posts dropped as already counted
//	earshot_reposts_total              unique matched posts that are reposts
//	earshot_copies_total               unique matched posts flagged as copies (kept)
//	earshot_skipped_messages_total     valid messages that are no posts (adapters), passed over
//	earshot_dedup_keys{partition,kind}  keys remembered (kind: post_id, copy)
//	earshot_dedup_bytes{partition,kind} memory held by the dedup state
//	earshot_dedup_early_rotations{partition,kind} times the current owner's
//	                                   window was full and forgot its older half
//	earshot_dedup_warmup_seconds       time to rebuild a partition's dedup state on assignment
//	earshot_stale_chunks_total         chunks of an ended generation fenced off unwritten
//	earshot_partial_inserts_total      failed INSERTs ClickHouse kept in part, completed from mentions
//	earshot_late_insert_waits_total    generations that waited for INSERTs begun before them to finish
//	earshot_backfill_keys_learned_total posts a backfill stored that the pipeline had not, added to the owners' dedup windows
//	earshot_routed_mentions_total{route} mentions of routed rules written to their route topic
//	earshot_detect_queued_batches      event batches waiting for the burst detector
//	earshot_detect_watermark_seconds   the detector's watermark (Unix seconds)
//	earshot_detect_alerts_stored_total alerts written to ClickHouse's alerts table
//	earshot_revival_looks_total{outcome} looks for rules back after a quiet stretch (ok, error)
//
// The burst detector (Deps.Detector) and the alert dispatcher register
// their own metrics (earshot_burst_*, earshot_alert*); see stream/burst and
// stream/alert.
package stream
