package sink

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// migration is one versioned step of the schema. Every statement is
// idempotent (IF NOT EXISTS) so a step interrupted half-way is simply run
// again; the step is recorded in schema_migrations only after all its
// statements succeeded. {db} is replaced by the quoted database name.
type migration struct {
	version    uint32
	name       string
	statements []string
	// columns are added to existing tables before the statements run, each
	// only when missing (ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS).
	columns []addColumn
}

// addColumn is one ALTER TABLE … ADD COLUMN. A column added to the sorting
// key too has no default, and its decl goes on with the new key: "String,
// MODIFY ORDER BY (…, name)" (18.16 takes both in one ALTER).
type addColumn struct {
	table, name, decl string // decl: type and default, e.g. "UInt64 DEFAULT 0"
}

// mentionsColumns is the INSERT column list of mentions, in the order Insert
// appends them. minute is not sent: the server derives it
// (DEFAULT toStartOfMinute(created_at)) so it can never disagree with
// created_at.
var mentionsColumns = []string{
	"rule_id", "post_id", "created_at", "created_ms",
	"author_id", "author_handle", "author_followers",
	"lang", "source", "is_repost", "is_reply", "is_quote", "repost_of",
	"has_geo", "lat", "lon", "geo_tier", "country", "cell", "text",
	"kafka_topic", "kafka_partition", "kafka_offset", "ingested_at",
	"copy_key", "copy_of", "copy_count",
	"region", "place", "geo_level", "author_influence", "author_segment", "author_bot", "lang_detected",
}

// aggregateColumns are the aggregate states shared by both per-minute
// aggregate tables.
const aggregateColumns = `
    mentions  AggregateFunction(count),
    originals AggregateFunction(sum, UInt64),
    reposts   AggregateFunction(sum, UInt64),
    authors   AggregateFunction(uniqExact, String)`

// aggregateStates is the matching SELECT list of the materialized views.
const aggregateStates = `
    countState()                         AS mentions,
    sumState(toUInt64(is_repost = 0))    AS originals,
    sumState(toUInt64(is_repost != 0))   AS reposts,
    uniqExactState(author_id)            AS authors`

// minuteView is the view of mentions_rule_minute_<dim> with batch markers.
func minuteView(dim string) string {
	return `
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.mentions_rule_minute_` + dim + `_mv
TO {db}.mentions_rule_minute_` + dim + ` AS
SELECT rule_id, minute, ` + dim + `,` + aggregateStates + `,` + batchKey + `
FROM {db}.mentions
GROUP BY rule_id, minute, ` + dim + `, batch`
}

// authorStates is the SELECT list of authors_rule_hour's view.
const authorStates = `
    anyLastState(author_handle)    AS handle,
    countState()                   AS mentions,
    maxState(author_influence)     AS influence,
    maxState(author_followers)     AS followers`

// copiesStates is the SELECT list of copies_rule_minute's view.
const copiesStates = `
    sumState(toUInt64(copy_of != ''))                       AS copies,
    uniqExactState(if(copy_key = 0, sipHash64(post_id), copy_key)) AS texts`

// migrations is the schema, oldest first. Rows with an empty rule_id are
// progress markers (see Mention): the aggregate views skip them,
// ingest_offsets counts them. Never edit a released step: append
// a new one.
var migrations = []migration{
	{1, "create_mentions", []string{`
CREATE TABLE IF NOT EXISTS {db}.mentions (
    rule_id          String,
    post_id          String,
    created_at       DateTime('UTC'),
    created_ms       UInt16,
    minute           DateTime('UTC') DEFAULT toStartOfMinute(created_at),
    author_id        String,
    author_handle    String,
    author_followers Int64,
    lang             String,
    source           String,
    is_repost        UInt8,
    is_reply         UInt8,
    is_quote         UInt8,
    repost_of        String,
    has_geo          UInt8,
    lat              Float64,
    lon              Float64,
    geo_tier         UInt8,
    country          String,
    cell             String,
    text             String,
    kafka_topic      String,
    kafka_partition  Int32,
    kafka_offset     Int64,
    ingested_at      DateTime('UTC') DEFAULT now()
) ENGINE = MergeTree
PARTITION BY toYYYYMM(created_at)
ORDER BY (rule_id, created_at, post_id)`}, nil},

	{2, "create_mentions_rule_minute_cell", []string{`
CREATE TABLE IF NOT EXISTS {db}.mentions_rule_minute_cell (
    rule_id String,
    minute  DateTime('UTC'),
    cell    String,` + aggregateColumns + `
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (rule_id, minute, cell)`, `
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.mentions_rule_minute_cell_mv
TO {db}.mentions_rule_minute_cell AS
SELECT rule_id, minute, cell,` + aggregateStates + `
FROM {db}.mentions
WHERE rule_id != ''
GROUP BY rule_id, minute, cell`}, nil},

	{3, "create_mentions_rule_minute_country", []string{`
CREATE TABLE IF NOT EXISTS {db}.mentions_rule_minute_country (
    rule_id String,
    minute  DateTime('UTC'),
    country String,` + aggregateColumns + `
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (rule_id, minute, country)`, `
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.mentions_rule_minute_country_mv
TO {db}.mentions_rule_minute_country AS
SELECT rule_id, minute, country,` + aggregateStates + `
FROM {db}.mentions
WHERE rule_id != ''
GROUP BY rule_id, minute, country`}, nil},

	{4, "create_ingest_offsets", []string{`
CREATE TABLE IF NOT EXISTS {db}.ingest_offsets (
    kafka_topic     String,
    kafka_partition Int32,
    max_offset      AggregateFunction(max, Int64)
) ENGINE = AggregatingMergeTree
ORDER BY (kafka_topic, kafka_partition)`, `
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.ingest_offsets_mv
TO {db}.ingest_offsets AS
SELECT kafka_topic, kafka_partition, maxState(kafka_offset) AS max_offset
FROM {db}.mentions
GROUP BY kafka_topic, kafka_partition`}, nil},

	{5, "create_mention_offsets", []string{`
CREATE TABLE IF NOT EXISTS {db}.mention_offsets (
    kafka_topic     String,
    kafka_partition Int32,
    kafka_offset    Int64,
    post_id         String,
    ingested_at     DateTime('UTC')
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ingested_at)
ORDER BY (kafka_topic, kafka_partition, kafka_offset, post_id)`, `
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.mention_offsets_mv
TO {db}.mention_offsets AS
SELECT kafka_topic, kafka_partition, kafka_offset, post_id, ingested_at
FROM {db}.mentions`}, nil},

	{6, "add_mentions_copies", nil, []addColumn{
		{"mentions", "copy_key", "UInt64 DEFAULT 0"},
		{"mentions", "copy_of", "String DEFAULT ''"},
		{"mentions", "copy_count", "UInt32 DEFAULT 0"},
	}},

	{7, "create_dedup_keys", []string{`
CREATE TABLE IF NOT EXISTS {db}.dedup_keys (
    kafka_topic     String,
    kafka_partition Int32,
    kafka_offset    Int64,
    post_id         String,
    copy_key        UInt64,
    ingested_at     DateTime('UTC')
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ingested_at)
ORDER BY (kafka_topic, kafka_partition, kafka_offset, post_id)`, `
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.dedup_keys_mv
TO {db}.dedup_keys AS
SELECT kafka_topic, kafka_partition, kafka_offset, post_id, copy_key, ingested_at
FROM {db}.mentions
WHERE post_id != ''`}, nil},

	{8, "create_copies_rule_minute", []string{`
CREATE TABLE IF NOT EXISTS {db}.copies_rule_minute (
    rule_id String,
    minute  DateTime('UTC'),
    copies  AggregateFunction(sum, UInt64),
    texts   AggregateFunction(uniqExact, UInt64)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (rule_id, minute)`, `
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.copies_rule_minute_mv
TO {db}.copies_rule_minute AS
SELECT rule_id, minute,` + copiesStates + `
FROM {db}.mentions
WHERE rule_id != ''
GROUP BY rule_id, minute`}, nil},

	{9, "add_mentions_enrichment", nil, []addColumn{
		{"mentions", "region", "String DEFAULT ''"},
		{"mentions", "place", "String DEFAULT ''"},
		{"mentions", "geo_level", "UInt8 DEFAULT 0"},
		{"mentions", "author_influence", "Float32 DEFAULT 0"},
		{"mentions", "author_segment", "String DEFAULT ''"},
		{"mentions", "author_bot", "Float32 DEFAULT 0"},
		{"mentions", "lang_detected", "UInt8 DEFAULT 0"},
	}},

	{10, "create_alerts", []string{`
CREATE TABLE IF NOT EXISTS {db}.alerts (
    id             String,
    event_id       String,
    kind           String,
    seq            UInt16,
    rule_id        String,
    scope          String,
    country        String,
    cell           String,
    detected_at    DateTime('UTC'),
    onset          DateTime('UTC'),
    unit           String,
    sta            Float64,
    lta            Float64,
    ratio          Float64,
    sta_count      Int64,
    lta_count      Int64,
    location_cell  String,
    lat            Float64,
    lon            Float64,
    tier           UInt8,
    location_posts UInt32,
    location_country String,
    example_ids    Array(String),
    examples       Array(String),
    inserted_at    DateTime('UTC') DEFAULT now()
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(detected_at)
ORDER BY id`}, nil},

	{11, "create_authors_rule_hour", []string{`
CREATE TABLE IF NOT EXISTS {db}.authors_rule_hour (
    rule_id   String,
    hour      DateTime('UTC'),
    author_id String,
    handle    AggregateFunction(anyLast, String),
    mentions  AggregateFunction(count),
    influence AggregateFunction(max, Float32),
    followers AggregateFunction(max, Int64)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (rule_id, hour, author_id)`, `
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.authors_rule_hour_mv
TO {db}.authors_rule_hour AS
SELECT rule_id, toStartOfHour(created_at) AS hour, author_id,` + authorStates + `
FROM {db}.mentions
WHERE rule_id != '' AND author_id != ''
GROUP BY rule_id, hour, author_id`}, nil},

	// The aggregate tables hold a marker row per partition of each batch
	// (rule_id = '', batch = topic/partition/offset) from the batch's
	// progress markers: the views are made again (views cannot be altered
	// on 18.16), so INSERTs made while this step runs may miss the
	// aggregates; run it with the pipeline stopped (earshot migrate).
	{version: 12, name: "batch_markers_in_aggregates", columns: []addColumn{
		{"authors_rule_hour", "batch", "String, MODIFY ORDER BY (rule_id, hour, author_id, batch)"},
		{"copies_rule_minute", "batch", "String, MODIFY ORDER BY (rule_id, minute, batch)"},
		{"mentions_rule_minute_cell", "batch", "String, MODIFY ORDER BY (rule_id, minute, cell, batch)"},
		{"mentions_rule_minute_country", "batch", "String, MODIFY ORDER BY (rule_id, minute, country, batch)"},
	}, statements: []string{
		`DROP TABLE IF EXISTS {db}.authors_rule_hour_mv`, `
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.authors_rule_hour_mv
TO {db}.authors_rule_hour AS
SELECT rule_id, toStartOfHour(created_at) AS hour, author_id,` + authorStates + `,` + batchKey + `
FROM {db}.mentions
WHERE rule_id = '' OR author_id != ''
GROUP BY rule_id, hour, author_id, batch`,
		`DROP TABLE IF EXISTS {db}.copies_rule_minute_mv`, `
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.copies_rule_minute_mv
TO {db}.copies_rule_minute AS
SELECT rule_id, minute,` + copiesStates + `,` + batchKey + `
FROM {db}.mentions
GROUP BY rule_id, minute, batch`,
		`DROP TABLE IF EXISTS {db}.mentions_rule_minute_cell_mv`, minuteView("cell"),
		`DROP TABLE IF EXISTS {db}.mentions_rule_minute_country_mv`, minuteView("country"),
	}},
	// The posts a backfill stored that the pipeline had not, by the time
	// they were stored: the running pipeline's owners read the new ones
	// every few seconds into their dedup windows (BackfillKeys).
	{13, "create_backfill_keys", []string{`
CREATE TABLE IF NOT EXISTS {db}.backfill_keys (
    kafka_topic     String,
    kafka_partition Int32,
    post_id         String,
    copy_key        UInt64,
    ingested_at     DateTime('UTC')
) ENGINE = MergeTree
PARTITION BY toYYYYMM(ingested_at)
ORDER BY (kafka_topic, kafka_partition, ingested_at)`}, nil},
	// The rules in force, as the pipeline last loaded them, for dashboards
	// to join on rule_id: names, tags, levels, routes and alert settings.
	// A row per rule and load; the latest version wins (read with FINAL),
	// and a rule no longer in force has a row with active = 0.
	{14, "create_rules", []string{`
CREATE TABLE IF NOT EXISTS {db}.rules (
    rule_id     String,
    name        String,
    query       String,
    tags        Array(String),
    level       String,
    route       String,
    alert       String,
    active      UInt8,
    loaded_at   DateTime('UTC'),
    version     UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY rule_id`}, nil},
	// The rules table keeps every version of each rule (a row per change,
	// ordered by rule and version), not the latest alone: what a rule's
	// query, tags and alert settings were when its mentions were stored.
	// Its rows are the pipeline's to write again at start, so the table of
	// step 14 is dropped, not converted.
	{15, "rules_history", []string{
		`DROP TABLE IF EXISTS {db}.rules`, `
CREATE TABLE IF NOT EXISTS {db}.rules (
    rule_id     String,
    name        String,
    query       String,
    tags        Array(String),
    level       String,
    route       String,
    alert       String,
    active      UInt8,
    loaded_at   DateTime('UTC'),
    version     UInt64
) ENGINE = ReplacingMergeTree
ORDER BY (rule_id, version)`}, nil},
	// A rule's diacritics setting changes what it matches, so its versions
	// record it too.
	{version: 16, name: "rules_diacritics", columns: []addColumn{
		{"rules", "diacritics", "String DEFAULT 'sensitive'"},
	}},
	// Each rule's first stored minute, kept as a min state per rule so that
	// the life cycles (FirstMentions) read a row per rule instead of all
	// of a rule's minute aggregates. Not partitioned: retention keeps it,
	// so a rule whose early months were pruned is still not new. The
	// INSERT fills it from the aggregates already stored (a minute the
	// view also wrote while it ran counts once: the minimum of both).
	{17, "create_rule_first_minute", []string{`
CREATE TABLE IF NOT EXISTS {db}.rule_first_minute (
    rule_id String,
    first   AggregateFunction(min, DateTime('UTC'))
) ENGINE = AggregatingMergeTree
ORDER BY rule_id`, `
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.rule_first_minute_mv
TO {db}.rule_first_minute AS
SELECT rule_id, minState(minute) AS first
FROM {db}.mentions
WHERE rule_id != ''
GROUP BY rule_id`, `
INSERT INTO {db}.rule_first_minute (rule_id, first)
SELECT rule_id, minState(minute) FROM {db}.mentions_rule_minute_country
WHERE rule_id != ''
GROUP BY rule_id`}, nil},
}

// batchKey is the batch column of the aggregate tables' views: a progress
// marker (an empty rule_id) becomes a row of its own in every aggregate
// table, keyed by the message it marks (topic/partition/offset) and written
// in the same part as the batch's rows, so that Inspect can tell whether the
// table holds the batch. The rows of rules have an empty batch.
const batchKey = `
    if(rule_id = '', concat(kafka_topic, '/', toString(kafka_partition), '/', toString(kafka_offset)), '') AS batch`

// quoteIdent quotes a ClickHouse identifier with backticks.
func quoteIdent(s string) string {
	return "`" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "`", "\\`") + "`"
}

// Migrate brings the schema up to date and returns the names of the steps it
// applied, oldest first (none when the schema was current). It is safe to
// call on every start-up and from several processes at once: each statement
// is idempotent, and schema_migrations may then hold a step twice, which
// Migrate tolerates.
func (c *Client) Migrate(ctx context.Context) (applied []string, err error) {
	ctx, release := c.sendContext(ctx) // it sends batches (recordMigration)
	defer release()
	if err := c.conn.Exec(ctx, c.sql(`
CREATE TABLE IF NOT EXISTS {db}.schema_migrations (
    version    UInt32,
    name       String,
    applied_at DateTime('UTC')
) ENGINE = ReplacingMergeTree
ORDER BY version`)); err != nil {
		return nil, fmt.Errorf("cannot create schema_migrations: %w", err)
	}
	done := map[uint32]bool{}
	rows, err := c.conn.Query(ctx, c.sql(`SELECT DISTINCT version FROM {db}.schema_migrations`))
	if err != nil {
		return nil, fmt.Errorf("cannot read schema_migrations: %w", err)
	}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return nil, fmt.Errorf("cannot read schema_migrations: %w", err)
		}
		done[v] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read schema_migrations: %w", err)
	}
	for _, m := range migrations {
		if done[m.version] {
			continue
		}
		for _, col := range m.columns {
			if err := c.addColumn(ctx, col); err != nil {
				return applied, fmt.Errorf("cannot apply migration %d %s: %w", m.version, m.name, err)
			}
		}

		for _, stmt := range m.statements {
			if err := c.conn.Exec(ctx, c.sql(stmt)); err != nil {
				return applied, fmt.Errorf("cannot apply migration %d %s: %w", m.version, m.name, err)
			}
		}
		if err := c.recordMigration(ctx, m); err != nil {
			return applied, fmt.Errorf("cannot record migration %d %s: %w", m.version, m.name, err)
		}
		applied = append(applied, m.name)
	}
	return applied, nil
}

// addColumn adds col unless its table has it. Two processes migrating at
// once may both try; the loser's error is ignored when the column is there.
func (c *Client) addColumn(ctx context.Context, col addColumn) error {
	has := func() (bool, error) {
		var n uint64
		err := c.conn.QueryRow(ctx, `SELECT count() FROM system.columns WHERE database = ? AND table = ? AND name = ?`,
			c.cfg.Database, col.table, col.name).Scan(&n)
		return n > 0, err
	}
	if ok, err := has(); err != nil || ok {
		return err
	}
	err := c.conn.Exec(ctx, c.sql("ALTER TABLE {db}."+quoteIdent(col.table)+" ADD COLUMN "+quoteIdent(col.name)+" "+col.decl))
	if err != nil {
		if ok, _ := has(); ok {
			return nil
		}
		return fmt.Errorf("cannot add column %s.%s: %w", col.table, col.name, err)
	}
	return nil
}

// recordMigration inserts m into schema_migrations. It uses a batch, not
// INSERT … VALUES through Exec: ClickHouse 18.16 parses no inline VALUES on
// the native protocol and waits for data blocks that Exec never sends.
func (c *Client) recordMigration(ctx context.Context, m migration) error {
	b, err := c.conn.PrepareBatch(ctx, c.sql(`INSERT INTO {db}.schema_migrations (version, name, applied_at)`))
	if err != nil {
		return err
	}
	defer b.Abort() //nolint:errcheck // after Send it is a no-op
	if err := b.Append(m.version, m.name, time.Now()); err != nil {
		return err
	}
	return b.Send()
}

// sql replaces {db} with the client's quoted database name.
func (c *Client) sql(q string) string {
	return strings.ReplaceAll(q, "{db}", c.db)
}
