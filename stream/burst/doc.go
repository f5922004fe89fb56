// Package burst detects bursts of first-hand mentions — an earthquake felt
// by a city, an outage noticed by its users — within a minute, locates them,
// and raises alerts (earshot/stream/alert records).
//
// # What is counted
//
// Each matched post × rule is an Event. Only likely first-hand reports
// count: originals (not reposts or quotes), not replies, without links, at
// most Params.MaxTextLen characters (each filter can be relaxed per rule).
// Every event is counted under up to three keys: the rule everywhere, the
// rule in the post's country, and the rule in the post's geohash cell
// truncated to Config.CellPrecision (4: about 39 × 20 km, city scale).
// Params.Authors counts authors instead of posts (author ids hashed to 32
// bits into roaring bitmaps per bin; a bin counts the authors not seen in
// the STA window before it), so one account cannot fake a burst.
//
// # The trigger (after the USGS Tweet Earthquake Dispatch)
//
// Counts go into 5-second bins of event time (the post's created_at).
// STA is the average over the last minute and LTA over the 30 minutes
// before that minute, both expressed in posts per minute. A key triggers
// when
//
//	STA / (M·LTA + B) ≥ Threshold     defaults M = 2, B = 12 per minute, Threshold = 1
//
// i.e. when the last minute holds at least twice the usual rate plus 12
// posts. The published TED description (Earle, Bowden and Guy, Annals of
// Geophysics 54(6), 2011) applies STA/LTA to the tweet-frequency series
// of short "earthquake" tweets; the units of its constants are not stated
// in the material we could consult. We chose per-minute units: B is then
// "12 posts in the last minute", which keeps city-scale keys quiet on a few
// stray posts yet fires within seconds on a real burst; B = 12 per 5-s bin
// (144 per minute) would make city-scale detection impossible below 2.4
// posts per second. Set B to 144 to reproduce that reading. The LTA window
// ends where the STA window starts, so a burst does not raise its own
// baseline. After a trigger a key re-arms when the ratio falls below
// Rearm (0.25) and at least RearmAfter (5 minutes) has passed. While
// triggered, follow-up alerts are raised when the STA reaches
// FollowUpRate (50 per minute) and each time it doubles again, at most
// MaxFollowUps (5) times.
//
// Echoes: while a rule's worldwide key is at or above its threshold, a
// country key whose STA is below EchoShare (5%) of the worldwide STA does
// not trigger, nor do the cell keys of that country. A large event raises
// chatter everywhere: during a generated earthquake in Mexico (200 posts/s),
// each of a dozen other countries got 0.3-1.5% of the rule's first-hand
// posts, enough to trigger their keys as if the shaking were there, while
// the countries of the replay's eight bursts held 34-74%. A second event
// of the same rule during a worldwide burst triggers once it holds 5% of
// the rule's count, or when that burst has passed. Suppressed echoes are
// counted (earshot_burst_echoes_total).
//
// Feed outages: fewer than OutageMinPosts (2) posts in OutageWindow
// (5 minutes) across the whole feed (Tick, once per consumed post) mark an
// outage; triggers are suppressed while an outage lies inside a key's
// STA+LTA windows, because the LTA would be artificially low. The start of
// the detector counts as an outage: the first trigger can come after one
// full STA+LTA (31 minutes) of data — restore a snapshot to avoid that.
//
// Every parameter can be overridden per rule (Config.Rules: a rules file's
// `alert:` settings), and the overrides replaced while the detector runs
// (SetRules, on a rules reload), each key keeping its counts; Params.Off
// keeps a rule out. The bin width is detector-wide.
//
// # Event time, lateness and the watermark
//
// Observe counts an event in the bin of its created_at. Advance(w) decides
// every bin ending at or before w − AllowedLateness (default 10s), in
// order, and returns the alerts raised. The caller owns the watermark; the
// earshot detect command uses the newest created_at seen. Posts that arrive
// later than the allowed lateness are still counted (they raise the STA
// and LTA of bins decided afterwards) but never re-trigger a bin already
// decided; posts older than the windows, or more than MaxAhead beyond the
// last decided bin, are dropped and counted. Alerts carry the event time at
// which the bin was decided (detected_at) and an onset estimate (a CUSUM
// change point over the last two minutes of bins). Alert ids are a
// function of rule, scope, region, trigger bin and follow-up number, so a
// replay raises the same ids.
//
// # Location
//
// Each key keeps its last GeoSamples geolocated first-hand posts. An
// alert's location is the cell (at CellPrecision) holding the most of them
// within the STA window, and the centroid of that cell's posts of the best
// location tier present (GPS before place before profile).
//
// # Memory
//
// A key costs about 1.5 KB of bins (372 uint32 at the defaults plus the
// lateness margin) plus its example and geo samples, whose rings grow with
// the posts the key counts (up to 10 examples, ~0.9 KB, and 64 geo samples,
// ~4 KB): 2.7 KB per key on average with 50,000 keys of rules, countries and
// cells fed 200,000 posts over 30 minutes, against 8.0 KB when the rings
// were made whole at once; author mode adds one bitmap per STA bin. Keys whose windows are empty are
// dropped every five minutes of event time; at Config.MaxKeys (50000) the
// least recently active sixteenth of untriggered keys is evicted first. The
// feed series is one ring of STA+LTA bins.
//
// # Checkpoints
//
// Snapshot encodes the whole state (bins, trigger states, samples, the
// watermark) as versioned JSON; Restore loads it into a fresh Detector,
// adapting to changed windows. The pipeline stores a snapshot together
// with the offsets of the last message observed (one row per consumer in a
// ClickHouse table, or a compacted Kafka topic keyed by consumer), taken
// at a chunk boundary after those offsets are committed; after a restart it
// restores the snapshot and resumes from those offsets, so every post is
// counted once. Posts between the snapshot and a crash are re-observed; the
// alerts they raise get the same ids, and the alerts table and consumers of
// the alerts topic deduplicate on id.
//
// # Several consumers
//
// The input topic is partitioned by post id, so each consumer sees a
// random sample of every rule: per-consumer counts are partial and
// thresholds such as B would be wrong on them. The design: each consumer
// runs the first-hand filter and keying locally and publishes, once per
// decided bin, its per-key bin counts (and, in author mode, bitmaps) to a
// counts topic keyed by rule; a detector per counts-topic partition sums
// the counts of all consumers for a bin once every consumer's watermark has
// passed it (the slowest consumer holds the watermark back; an idle one
// sends empty heartbeats) and runs this detector on the merged bins. This
// keeps detection within seconds, costs one small message per key and bin,
// and scales by rule. Detecting in ClickHouse from the per-minute
// aggregates was rejected: minute granularity, insert batching and merge
// latency would add one to two minutes of delay, against the goal of
// detecting within one. This package implements the single-consumer path;
// merging counts needs an Observe variant taking (key, bin, count), which
// the bins already support.
//
// # Metrics
//
// Registered on Config.Registerer:
//
//	earshot_burst_tracked_keys               keys tracked
//	earshot_burst_alerts_total{kind}         alerts raised (trigger, followup)
//	earshot_burst_suppressed_total           triggers suppressed by a feed outage
//	earshot_burst_echoes_total               country and cell triggers suppressed as echoes
//	earshot_burst_events_total{outcome}      counted, late, too_old, future, filtered, off
//	earshot_burst_evicted_keys_total{reason} keys forgotten: idle, cap
//
// A Detector is not safe for concurrent use: one goroutine owns it.
package burst
