package sink

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// retained are the tables Prune expires: every table of the schema
// partitioned by month (TestRetainedTables holds the list to the schema).
// ingest_offsets, the resume points, and schema_migrations are never pruned.
var retained = []string{
	"mentions",
	"mentions_rule_minute_cell",
	"mentions_rule_minute_country",
	"mention_offsets",
	"dedup_keys",
	"copies_rule_minute",
	"alerts",
	"authors_rule_hour",
	"backfill_keys",
}

// Partition is one month of one table, as ClickHouse stores it.
type Partition struct {
	Table string
	// Month is the partition's id, YYYYMM.
	Month       string
	Rows, Bytes uint64
}

// End is the first instant after the partition's month (UTC).
func (p Partition) End() (time.Time, error) {
	t, err := time.Parse("200601", p.Month)
	if err != nil {
		return time.Time{}, fmt.Errorf("partition %s of %s is not a month", p.Month, p.Table)
	}
	return t.AddDate(0, 1, 0), nil
}

// Partitions lists the months of the tables Prune expires, by table, then
// month.
func (c *Client) Partitions(ctx context.Context) ([]Partition, error) {
	var parts []Partition
	err := c.query(ctx, "partitions", func(scan func(dest ...any) error) error {
		var p Partition
		if err := scan(&p.Table, &p.Month, &p.Rows, &p.Bytes); err != nil {
			return err
		}
		if slices.Contains(retained, p.Table) {
			parts = append(parts, p)
		}
		return nil
	}, `SELECT table, partition, sum(rows), sum(bytes_on_disk) FROM system.parts
WHERE database = ? AND active GROUP BY table, partition ORDER BY table, partition`, c.cfg.Database)
	return parts, err
}

// Prune drops every month of the expiring tables that ended at or before
// before (rows are kept for at least until before, at most a month more)
// and returns what it dropped, or with dryRun what it would drop. ClickHouse
// 18.16 has no TTL; on current servers a TTL does the same row by row
// (docs/schema.md). A month of mentions is dropped with its aggregates, so
// dashboards never see aggregates without the mentions behind them for
// long. It stops at the first failure, returning what it dropped before.
func (c *Client) Prune(ctx context.Context, before time.Time, dryRun bool) ([]Partition, error) {
	parts, err := c.Partitions(ctx)
	if err != nil {
		return nil, err
	}
	var dropped []Partition
	for _, p := range parts {
		end, err := p.End()
		if err != nil {
			return dropped, err
		}
		if end.After(before) {
			continue
		}
		if !dryRun {
			tctx, cancel := c.withTimeout(ctx)
			err := c.conn.Exec(tctx, c.sql("ALTER TABLE {db}."+quoteIdent(p.Table)+" DROP PARTITION "+p.Month))
			cancel()
			if err != nil {
				return dropped, fmt.Errorf("cannot drop partition %s of %s: %w", p.Month, p.Table, err)
			}
		}
		dropped = append(dropped, p)
	}
	return dropped, nil
}
