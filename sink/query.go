package sink

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// Counts are the aggregates dashboards show for one group of mentions.
// Authors is the exact number of distinct author ids.
type Counts struct {
	Mentions, Originals, Reposts, Authors uint64
}

// RuleCount is the activity of one rule.
type RuleCount struct {
	Rule                                  string
	Mentions, Originals, Reposts, Authors uint64
}

// CountryCount is the activity in one country, all rules together; Country
// is "" for mentions whose country is unknown.
type CountryCount struct {
	Country                               string
	Mentions, Originals, Reposts, Authors uint64
}

// MinuteCount is the activity in one minute (UTC), all rules together.
type MinuteCount struct {
	Minute                                time.Time
	Mentions, Originals, Reposts, Authors uint64
}

// CellCount is the activity in one geohash cell, truncated to the precision
// asked for; Cell is "" for mentions without coordinates.
type CellCount struct {
	Cell                                  string
	Mentions, Originals, Reposts, Authors uint64
}

// RuleMinuteKey groups mentions by rule and minute (UTC).
type RuleMinuteKey struct {
	Rule   string
	Minute time.Time
}

// RuleCountryKey groups mentions by rule and country.
type RuleCountryKey struct {
	Rule, Country string
}

// mergeCounts is the SELECT list that finalises the aggregate states.
const mergeCounts = `countMerge(mentions) AS m, sumMerge(originals), sumMerge(reposts), uniqExactMerge(authors)`

// sinceArg converts t to the UInt32 seconds of a DateTime, clamped.
func sinceArg(t time.Time) uint32 {
	s := t.Unix()
	switch {
	case s < 0:
		return 0
	case s > math.MaxUint32:
		return math.MaxUint32
	}
	return uint32(s)
}

// limitClause returns " LIMIT n", or "" when n <= 0 (no limit).
func limitClause(n int) string {
	if n <= 0 {
		return ""
	}
	return " LIMIT " + strconv.Itoa(n)
}

// query runs q and calls scan for every row.
func (c *Client) query(ctx context.Context, what string, scan func(scan func(dest ...any) error) error, q string, args ...any) error {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	rows, err := c.conn.Query(ctx, c.sql(q), args...)
	if err != nil {
		return fmt.Errorf("cannot query %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows.Scan); err != nil {
			return fmt.Errorf("cannot read %s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("cannot read %s: %w", what, err)
	}
	return nil
}

// TopRules returns the rules with the most mentions since the given minute,
// most mentioned first (ties by rule id); limit <= 0 means all.
func (c *Client) TopRules(ctx context.Context, since time.Time, limit int) ([]RuleCount, error) {
	var out []RuleCount
	err := c.query(ctx, "top rules", func(scan func(...any) error) error {
		var r RuleCount
		if err := scan(&r.Rule, &r.Mentions, &r.Originals, &r.Reposts, &r.Authors); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	}, `SELECT rule_id, `+mergeCounts+`
FROM {db}.mentions_rule_minute_country
WHERE rule_id != '' AND minute >= toDateTime(?)
GROUP BY rule_id
ORDER BY m DESC, rule_id`+limitClause(limit), sinceArg(since))
	return out, err
}

// ByCountry returns the countries with the most mentions since the given
// minute, all rules together, most mentioned first; limit <= 0 means all.
func (c *Client) ByCountry(ctx context.Context, since time.Time, limit int) ([]CountryCount, error) {
	var out []CountryCount
	err := c.query(ctx, "mentions by country", func(scan func(...any) error) error {
		var r CountryCount
		if err := scan(&r.Country, &r.Mentions, &r.Originals, &r.Reposts, &r.Authors); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	}, `SELECT country, `+mergeCounts+`
FROM {db}.mentions_rule_minute_country
WHERE rule_id != '' AND minute >= toDateTime(?)
GROUP BY country
ORDER BY m DESC, country`+limitClause(limit), sinceArg(since))
	return out, err
}

// PerMinute returns the activity per minute since the given minute, all
// rules together: the latest limit minutes that have mentions, oldest
// first; limit <= 0 means all.
func (c *Client) PerMinute(ctx context.Context, since time.Time, limit int) ([]MinuteCount, error) {
	return c.perMinute(ctx, "", since, limit)
}

// RulePerMinute is PerMinute for one rule: its timeline.
func (c *Client) RulePerMinute(ctx context.Context, rule string, since time.Time, limit int) ([]MinuteCount, error) {
	if rule == "" {
		return nil, fmt.Errorf("cannot query a rule's minutes: no rule")
	}
	return c.perMinute(ctx, rule, since, limit)
}

// perMinute is PerMinute of one rule, or of all when rule is "".
func (c *Client) perMinute(ctx context.Context, rule string, since time.Time, limit int) ([]MinuteCount, error) {
	var out []MinuteCount
	where, args := `rule_id != '' AND minute >= toDateTime(?)`, []any{sinceArg(since)}
	if rule != "" {
		where, args = where+` AND rule_id = ?`, append(args, rule)
	}
	err := c.query(ctx, "mentions per minute", func(scan func(...any) error) error {
		var r MinuteCount
		if err := scan(&r.Minute, &r.Mentions, &r.Originals, &r.Reposts, &r.Authors); err != nil {
			return err
		}
		r.Minute = r.Minute.UTC()
		out = append(out, r)
		return nil
	}, `SELECT minute, `+mergeCounts+`
FROM {db}.mentions_rule_minute_country
WHERE `+where+`
GROUP BY minute
ORDER BY minute DESC`+limitClause(limit), args...)
	slices.Reverse(out)
	return out, err
}

// ByCell returns the map of one rule since the given minute: mentions per
// geohash cell rolled up to precision characters (1..5), most mentioned
// first; limit <= 0 means all. Mentions without coordinates are left out.
func (c *Client) ByCell(ctx context.Context, rule string, since time.Time, precision, limit int) ([]CellCount, error) {
	if precision < 1 || precision > 5 {
		return nil, fmt.Errorf("cannot query cells: precision %d outside 1..5", precision)
	}
	var out []CellCount
	err := c.query(ctx, "mentions by cell", func(scan func(...any) error) error {
		var r CellCount
		if err := scan(&r.Cell, &r.Mentions, &r.Originals, &r.Reposts, &r.Authors); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	}, `SELECT substring(cell, 1, ?) AS c, `+mergeCounts+`
FROM {db}.mentions_rule_minute_cell
WHERE rule_id = ? AND minute >= toDateTime(?) AND cell != ''
GROUP BY c
ORDER BY m DESC, c`+limitClause(limit), precision, rule, sinceArg(since))
	return out, err
}

// RuleMinuteCounts returns the whole of mentions_rule_minute_cell merged per
// rule and minute: the ground truth tests compare with.
func (c *Client) RuleMinuteCounts(ctx context.Context) (map[RuleMinuteKey]Counts, error) {
	out := map[RuleMinuteKey]Counts{}
	err := c.query(ctx, "counts per rule and minute", func(scan func(...any) error) error {
		var k RuleMinuteKey
		var v Counts
		if err := scan(&k.Rule, &k.Minute, &v.Mentions, &v.Originals, &v.Reposts, &v.Authors); err != nil {
			return err
		}
		k.Minute = k.Minute.UTC()
		out[k] = v
		return nil
	}, `SELECT rule_id, minute, `+mergeCounts+`
FROM {db}.mentions_rule_minute_cell
WHERE rule_id != ''
GROUP BY rule_id, minute`)
	return out, err
}

// RuleCountryCounts returns the whole of mentions_rule_minute_country merged
// per rule and country.
func (c *Client) RuleCountryCounts(ctx context.Context) (map[RuleCountryKey]Counts, error) {
	out := map[RuleCountryKey]Counts{}
	err := c.query(ctx, "counts per rule and country", func(scan func(...any) error) error {
		var k RuleCountryKey
		var v Counts
		if err := scan(&k.Rule, &k.Country, &v.Mentions, &v.Originals, &v.Reposts, &v.Authors); err != nil {
			return err
		}
		out[k] = v
		return nil
	}, `SELECT rule_id, country, `+mergeCounts+`
FROM {db}.mentions_rule_minute_country
WHERE rule_id != ''
GROUP BY rule_id, country`)
	return out, err
}

// RawCount returns the number of mentions stored, progress markers aside.
func (c *Client) RawCount(ctx context.Context) (uint64, error) {
	var n uint64
	err := c.query(ctx, "mentions count", func(scan func(...any) error) error {
		return scan(&n)
	}, `SELECT count() FROM {db}.mentions WHERE rule_id != ''`)
	return n, err
}

// ResumeOffsets returns, for each partition of topic that has mentions, the
// highest Kafka offset stored. The pipeline resumes each partition at that
// offset + 1 (the rows of a message are written by one INSERT, never split).
// Partitions without mentions are absent.
func (c *Client) ResumeOffsets(ctx context.Context, topic string) (map[int32]int64, error) {
	out := map[int32]int64{}
	err := c.query(ctx, "ingest offsets", func(scan func(...any) error) error {
		var p int32
		var o int64
		if err := scan(&p, &o); err != nil {
			return err
		}
		out[p] = o
		return nil
	}, `SELECT kafka_partition, maxMerge(max_offset)
FROM {db}.ingest_offsets
WHERE kafka_topic = ?
GROUP BY kafka_partition`, topic)
	return out, err
}

// RecentPostIDs calls fn once for every distinct post id stored from the
// partition by an INSERT at or after since (the client's clock at Insert,
// to the second), in the order the posts were consumed (progress markers
// included when they carry a PostID). It warms up duplicate detection after
// a restart. fn is called while the result streams in.
func (c *Client) RecentPostIDs(ctx context.Context, topic string, partition int32, since time.Time, fn func(id string)) error {
	return c.query(ctx, "recent post ids", func(scan func(...any) error) error {
		var id string
		if err := scan(&id); err != nil {
			return err
		}
		fn(id)
		return nil
	}, `SELECT post_id FROM {db}.mention_offsets
WHERE kafka_topic = ? AND kafka_partition = ? AND ingested_at >= toDateTime(?) AND post_id != ''
GROUP BY post_id
ORDER BY min(kafka_offset)`, topic, partition, sinceArg(since))
}

// RecentKeys calls fn once for every distinct post stored from the
// partition by an INSERT at or after since (the client's clock at Insert, to
// the second), with its copy key, in the order the posts were consumed
// (lowest offset first). Replaying them rebuilds the partition's dedup
// window and copy counts exactly as the previous owner had them. fn is
// called while the result streams in.
func (c *Client) RecentKeys(ctx context.Context, topic string, partition int32, since time.Time, fn func(postID string, copyKey uint64)) error {
	return c.keys(ctx, topic, partition, math.MaxInt64, since, fn)
}

// scanKeys scans rows of (post_id, copy_key) into fn.
func scanKeys(fn func(postID string, copyKey uint64)) func(scan func(...any) error) error {
	return func(scan func(...any) error) error {
		var id string
		var key uint64
		if err := scan(&id, &key); err != nil {
			return err
		}
		fn(id, key)
		return nil
	}
}

// keys is RecentKeys for the posts stored below offset before.
func (c *Client) keys(ctx context.Context, topic string, partition int32, before int64, since time.Time, fn func(postID string, copyKey uint64)) error {
	return c.query(ctx, "recent dedup keys", scanKeys(fn), `SELECT post_id, any(copy_key) FROM {db}.dedup_keys
WHERE kafka_topic = ? AND kafka_partition = ? AND ingested_at >= toDateTime(?) AND kafka_offset < ?
GROUP BY post_id
ORDER BY min(kafka_offset)`, topic, partition, sinceArg(since), before)
}

// CopyCounts are the copies among one rule's mentions in one minute: Copies
// is how many mentions repeat the normalised text of an earlier post
// (within the dedup window, per input partition), Texts the exact number of
// distinct normalised texts (across partitions; a repost counts as its own
// text).
type CopyCounts struct {
	Copies, Texts uint64
}

// RuleMinuteCopies returns copies_rule_minute merged per rule and minute
// since the given minute.
func (c *Client) RuleMinuteCopies(ctx context.Context, since time.Time) (map[RuleMinuteKey]CopyCounts, error) {
	out := map[RuleMinuteKey]CopyCounts{}
	err := c.query(ctx, "copies per rule and minute", func(scan func(...any) error) error {
		var k RuleMinuteKey
		var v CopyCounts
		if err := scan(&k.Rule, &k.Minute, &v.Copies, &v.Texts); err != nil {
			return err
		}
		k.Minute = k.Minute.UTC()
		out[k] = v
		return nil
	}, `SELECT rule_id, minute, sumMerge(copies), uniqExactMerge(texts)
FROM {db}.copies_rule_minute
WHERE rule_id != '' AND minute >= toDateTime(?)
GROUP BY rule_id, minute`, sinceArg(since))
	return out, err
}

// RunningInserts returns how many INSERTs into this database's mentions
// table the server is still running that have run for at least olderThan,
// and the longest of them. A client that gave up on an INSERT (a fenced
// flush, a timeout) does not stop the server from finishing it, and a
// partition's next owner must not read the resume offsets while one of the
// previous generation's may still land (docs/delivery.md, step 7). It
// sees one server: with several replicas, each must be asked.
func (c *Client) RunningInserts(ctx context.Context, olderThan time.Duration) (n int, longest time.Duration, err error) {
	err = c.query(ctx, "running inserts", func(scan func(...any) error) error {
		var cnt uint64
		var el float64
		if err := scan(&cnt, &el); err != nil {
			return err
		}
		n, longest = int(cnt), time.Duration(el*float64(time.Second))
		return nil
	}, `SELECT count(), max(elapsed)
FROM system.processes
WHERE query LIKE ? AND elapsed >= ?`, "INSERT INTO "+c.db+".mentions %", olderThan.Seconds())
	return n, longest, err
}

// LastIngest returns when the newest mention of topic was stored (the
// client's clock at Insert), looking back within d only so that the query
// reads one recent slice of mention_offsets; ok is false when none was
// stored in that time.
func (c *Client) LastIngest(ctx context.Context, topic string, within time.Duration) (at time.Time, ok bool, err error) {
	var n uint64
	err = c.query(ctx, "last ingest", func(scan func(...any) error) error {
		return scan(&at, &n)
	}, `SELECT max(ingested_at), count() FROM {db}.mention_offsets
WHERE kafka_topic = ? AND ingested_at >= ?`, topic, sinceArg(time.Now().Add(-within)))
	return at.UTC(), n > 0, err
}
