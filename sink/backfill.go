package sink

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// The queries of a backfill (stream.Backfill): the rules it adds are matched
// again over messages the pipeline has already stored, and their mentions
// join the rows stored from the same messages. A backfill rebuilds the
// partition's dedup state as the pipeline had it (KeysBefore, KeysBetween),
// leaves alone the mentions already stored (RuleMentions), and, when an
// INSERT fails in part, completes the views' tables with exactly its rows
// (CompleteRows): the offsets of its rows also hold the pipeline's.

// KeysBefore calls fn once for every distinct post stored from the
// partition below offset before by an INSERT at or after since, with its
// copy key, lowest offset first: the dedup window and copy counts the
// pipeline had when it reached before (RecentKeys, up to an offset).
func (c *Client) KeysBefore(ctx context.Context, topic string, partition int32, before int64, since time.Time, fn func(postID string, copyKey uint64)) error {
	return c.keys(ctx, topic, partition, before, since, fn)
}

// KeysBetween calls fn for every post stored from the partition at an offset
// in [from, to), with its offset and copy key, in offset order. A post may
// come twice (the table is deduplicated by its merges).
func (c *Client) KeysBetween(ctx context.Context, topic string, partition int32, from, to int64, fn func(offset int64, postID string, copyKey uint64)) error {
	return c.query(ctx, "dedup keys by offset", func(scan func(...any) error) error {
		var off int64
		var id string
		var key uint64
		if err := scan(&off, &id, &key); err != nil {
			return err
		}
		fn(off, id, key)
		return nil
	}, `SELECT kafka_offset, post_id, copy_key FROM {db}.dedup_keys
WHERE kafka_topic = ? AND kafka_partition = ? AND kafka_offset >= ? AND kafka_offset < ?
ORDER BY kafka_offset`, topic, partition, from, to)
}

// RuleMentions calls fn for every mention stored of one of rules from the
// partition at offset from or later, by an INSERT at or after since (the
// client's clock, to the second; zero: any).
func (c *Client) RuleMentions(ctx context.Context, topic string, partition int32, rules []string, from int64, since time.Time, fn func(rule, postID string)) error {
	return c.query(ctx, "rule mentions", func(scan func(...any) error) error {
		var rule, id string
		if err := scan(&rule, &id); err != nil {
			return err
		}
		fn(rule, id)
		return nil
	}, `SELECT rule_id, post_id FROM {db}.mentions
WHERE has(?, rule_id) AND kafka_topic = ? AND kafka_partition = ? AND kafka_offset >= ? AND ingested_at >= toDateTime(?)`,
		rules, topic, partition, from, sinceArg(since))
}

// BackfillKey is a post a backfill stored that the pipeline had not stored:
// its id and copy key, for the running pipeline's dedup window.
type BackfillKey struct {
	PostID  string
	CopyKey uint64
}

// InsertBackfillKeys records keys as stored from the partition by a
// backfill at time at.
func (c *Client) InsertBackfillKeys(ctx context.Context, topic string, partition int32, keys []BackfillKey, at time.Time) error {
	if len(keys) == 0 {
		return nil
	}
	ctx, release := c.sendContext(ctx)
	defer release()
	batch, err := c.conn.PrepareBatch(ctx, c.sql("INSERT INTO {db}.backfill_keys (kafka_topic, kafka_partition, post_id, copy_key, ingested_at)"))
	if err != nil {
		return fmt.Errorf("cannot prepare INSERT of %d backfill keys: %w", len(keys), err)
	}
	defer batch.Abort() //nolint:errcheck // after Send it is a no-op
	for _, k := range keys {
		if err := batch.Append(topic, partition, k.PostID, k.CopyKey, at.UTC()); err != nil {
			return fmt.Errorf("cannot append a backfill key: %w", err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("cannot INSERT %d backfill keys: %w", len(keys), err)
	}
	return nil
}

// BackfillKeys calls fn for every key a backfill recorded for the partition
// at or after since (to the second), oldest first.
func (c *Client) BackfillKeys(ctx context.Context, topic string, partition int32, since time.Time, fn func(postID string, copyKey uint64)) error {
	return c.query(ctx, "backfill keys", scanKeys(fn), `SELECT post_id, copy_key FROM {db}.backfill_keys
WHERE kafka_topic = ? AND kafka_partition = ? AND ingested_at >= toDateTime(?)
ORDER BY ingested_at`, topic, partition, sinceArg(since))
}

// CompleteRows is Complete for a batch that shares its messages with rows
// of other batches (a backfill's): it selects from mentions exactly the
// rows of the batch, by partition, offset and rule, instead of every row of
// the batch's offsets. rows must be of one topic's partition, and no other
// row of mentions may have the same partition, offset and rule.
func (c *Client) CompleteRows(ctx context.Context, rows []Mention, table string) error {
	if len(rows) == 0 {
		return nil
	}
	var b strings.Builder
	args := make([]any, 0, 2+2*len(rows))
	b.WriteString("kafka_topic = ? AND kafka_partition = ? AND (kafka_offset, rule_id) IN (")
	args = append(args, rows[0].Topic, rows[0].Partition)
	for k := range rows {
		if rows[k].Topic != rows[0].Topic || rows[k].Partition != rows[0].Partition {
			return fmt.Errorf("cannot complete %s: rows of more than one partition", table)
		}
		if k > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?)")
		args = append(args, rows[k].Offset, rows[k].RuleID)
	}
	b.WriteString(")")
	// The filter lists every row: a batch of thousands is larger than the
	// server's default max_query_size (256 KiB).
	ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_query_size": 64 << 20}))
	return c.complete(ctx, table, b.String(), args)
}
