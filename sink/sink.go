// Package sink writes earshot's mentions into ClickHouse and answers the
// queries dashboards ask.
//
// It owns the schema (versioned migrations applied by Client.Migrate; see
// docs/schema.md): the raw table mentions (one row per post × rule), the
// per-minute aggregates mentions_rule_minute_cell and
// mentions_rule_minute_country, the copies aggregate copies_rule_minute, and
// the top-authors aggregate authors_rule_hour, each rule's first stored
// minute rule_first_minute (FirstMentions), the bookkeeping tables
// ingest_offsets, mention_offsets and dedup_keys, all
// fed by materialized views from mentions so that they are written by the
// same INSERT as the rows they describe, and backfill_keys, the posts a
// backfill stored that the pipeline had not (InsertBackfillKeys,
// BackfillKeys). That is how the pipeline resumes
// after a crash: Kafka offsets and the dedup state are stored with the data
// (ResumeOffsets, RecentKeys). The alerts table (a
// ReplacingMergeTree by alert id) holds the burst detector's alerts
// (InsertAlerts, Alerts), and the rules table every version of the rules,
// for dashboards to name and group the aggregates and to tell what a rule
// was when (StoreRules, Rules, RuleHistory, TagCounts).
//
// Client.Insert sends one batch as one INSERT carrying one native block,
// appended column by column from buffers that are reused across calls. The
// server either writes the whole block or nothing of it when the client dies
// mid-insert (one part per month partition; see docs/schema.md for the
// caveats). A failure on the server can keep it in part: mentions and the
// views' tables ClickHouse wrote before the failure (it writes them one
// after the other, in the order of the views' names). Client.Inspect tells
// what a failed INSERT left, and Client.Complete writes a batch into a
// view's table from its copy in mentions.
//
// Every table but ingest_offsets, rules, rule_first_minute and
// schema_migrations is partitioned by month; Client.Prune drops the months
// that ended before a cutoff from all of them at once (retention; 18.16 has
// no TTL).
//
// It works with ClickHouse 18.16 (the Debian package) and current releases.
//
// Metrics, registered on Config.Registerer:
//
//	earshot_sink_inserts_total                 INSERTs acknowledged by the server
//	earshot_sink_rows_total                    rows in acknowledged INSERTs
//	earshot_sink_insert_errors_total           INSERTs that failed
//	earshot_sink_insert_duration_seconds       histogram of INSERT latency, successful or not
//
// A Client is safe for concurrent use.
package sink

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"
)

// Mention is one row of mentions: one post matched by one rule, with the
// Kafka coordinates of the message it came from.
//
// A Mention with an empty RuleID is a progress marker: it records that the
// pipeline consumed Topic/Partition up to Offset (ResumeOffsets and Inspect
// see it) without counting in any aggregate or in RawCount. Append one
// per partition to a batch whose last messages matched nothing, so a restart
// does not re-read them. Give it a valid CreatedAt (the message time).
type Mention struct {
	RuleID string
	PostID string
	// CreatedAt is stored as DateTime('UTC') plus its milliseconds; it must
	// lie in [1970-01-01, 2106-02-07) or Insert rejects the batch with
	// ErrInvalidMention.
	CreatedAt       time.Time
	AuthorID        string
	AuthorHandle    string
	AuthorFollowers int64 // -1 when unknown
	Lang            string
	Source          string
	IsRepost        bool
	IsReply         bool
	IsQuote         bool
	RepostOf        string
	HasGeo          bool
	Lat, Lon        float64
	GeoTier         uint8  // 0 none, 1 profile, 2 place, 3 gps
	Country         string // ISO 3166-1 alpha-2, "" when unknown
	Cell            string // geohash precision 5, "" when no coordinates
	Text            string
	Topic           string
	Partition       int32
	Offset          int64
	// CopyKey is the hash of the post's normalised text (0: not compared,
	// e.g. a repost); CopyOf is the first post seen with that text within
	// the dedup window ("" when this post is the first) and CopyCount the
	// running count of posts seen with it, this one included.
	CopyKey   uint64
	CopyOf    string
	CopyCount uint32

	// Enrichment (enrich.Features).
	Region       string  // first-level region, "CC-A1" (GeoNames admin1), "" when unknown
	Place        string  // populated place, nearest or named; "" when unknown
	GeoLevel     uint8   // precision of the location: 0 none, 1 country, 2 region, 3 city, 4 point
	Influence    float32 // author influence 0..1
	Segment      string  // author segment: creator, critic, collector, joiner, spectator, inactive, zombie, unknown
	Bot          float32 // bot/zombie likelihood 0..1
	LangDetected bool    // Lang was detected from the text, not given by the source
}

// ErrInvalidMention marks an Insert rejected before anything was sent because
// a row cannot be stored; retrying the same batch fails the same way.
var ErrInvalidMention = errors.New("invalid mention")

// maxFreeBuffers is how many sets of column buffers a Client keeps for
// reuse: enough for an Insert in flight while the next one is filled.
const maxFreeBuffers = 2

// Client writes to and queries one ClickHouse database.
type Client struct {
	conn      driver.Conn
	cfg       Config
	db        string // quoted database name
	insertSQL string
	// free keeps column buffers between Inserts. Not a sync.Pool: the GC
	// empties pools, and a 100k-row batch allocates enough to trigger one
	// every Insert.
	free chan *columns
	m    metrics
}

type metrics struct {
	inserts  prometheus.Counter
	rows     prometheus.Counter
	errors   prometheus.Counter
	duration prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (metrics, error) {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := metrics{
		inserts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "earshot_sink_inserts_total",
			Help: "INSERTs into mentions acknowledged by ClickHouse.",
		}),
		rows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "earshot_sink_rows_total",
			Help: "Rows in INSERTs acknowledged by ClickHouse.",
		}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "earshot_sink_insert_errors_total",
			Help: "INSERTs into mentions that failed.",
		}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "earshot_sink_insert_duration_seconds",
			Help:    "Latency of INSERTs into mentions, from preparing the batch to the server's acknowledgement.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12), // 5ms … ~10s
		}),
	}
	var err error
	m.inserts = register(reg, m.inserts, &err)
	m.rows = register(reg, m.rows, &err)
	m.errors = register(reg, m.errors, &err)
	m.duration = register(reg, m.duration, &err)
	return m, err
}

// register registers c on reg; when an identical collector is already
// registered (two Clients sharing a Registerer) it returns that one.
func register[C prometheus.Collector](reg prometheus.Registerer, c C, errp *error) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		if *errp == nil {
			*errp = fmt.Errorf("cannot register sink metrics: %w", err)
		}
	}
	return c
}

// Open connects to the server, creates the database when missing and
// returns a Client. It does not migrate the schema: call Migrate.
func Open(ctx context.Context, cfg Config) (*Client, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, db: quoteIdent(cfg.Database), m: m}
	c.insertSQL = "INSERT INTO " + c.db + ".mentions (" + strings.Join(mentionsColumns, ", ") + ")"
	c.free = make(chan *columns, maxFreeBuffers)

	// The database may not exist yet: connect to "default" to create it.
	boot, err := clickhouse.Open(c.options("default"))
	if err != nil {
		return nil, fmt.Errorf("cannot connect to ClickHouse at %s: %w", cfg.Addr, err)
	}
	tctx, cancel := c.withTimeout(ctx)
	err = boot.Exec(tctx, "CREATE DATABASE IF NOT EXISTS "+c.db)
	cancel()
	boot.Close()
	if err != nil {
		return nil, fmt.Errorf("cannot create database %s at %s: %w", cfg.Database, cfg.Addr, err)
	}

	c.conn, err = clickhouse.Open(c.options(cfg.Database))
	if err != nil {
		return nil, fmt.Errorf("cannot connect to ClickHouse at %s: %w", cfg.Addr, err)
	}
	tctx, cancel = c.withTimeout(ctx)
	defer cancel()
	if err := c.conn.Ping(tctx); err != nil {
		c.conn.Close()
		return nil, fmt.Errorf("cannot reach ClickHouse at %s: %w", cfg.Addr, err)
	}
	return c, nil
}

func (c *Client) options(database string) *clickhouse.Options {
	o := &clickhouse.Options{
		Protocol: clickhouse.Native,
		Addr:     []string{c.cfg.Addr},
		Auth: clickhouse.Auth{
			Database: database,
			Username: c.cfg.User,
			Password: c.cfg.Password,
		},
		ClientInfo: clickhouse.ClientInfo{
			Products: []struct{ Name, Version string }{{Name: "earshot", Version: "1"}},
		},
		DialTimeout: c.cfg.DialTimeout,
		ReadTimeout: c.cfg.WriteTimeout,
		TLS:         c.cfg.TLS,
	}
	if c.cfg.Compress {
		o.Compression = &clickhouse.Compression{Method: clickhouse.CompressionLZ4}
	}
	return o
}

// Close closes the connections.
func (c *Client) Close() error {
	if err := c.conn.Close(); err != nil {
		return fmt.Errorf("cannot close ClickHouse connection: %w", err)
	}
	return nil
}

// sendGrace is how long an INSERT's context outlives its batch's Send
// (sendContext).
const sendGrace = 5 * time.Second

// sendContext is the context of an INSERT, and the function that ends it
// once the caller releases it: sendGrace later, not at once. clickhouse-go
// (v2.50) watches the context of a batch's Send in a goroutine that closes
// the connection when the context ends, and stops that goroutine without
// waiting for it: when the goroutine has not run yet as Send returns, a
// cancel right after can close the connection the pool already has back,
// and the next statement on it fails with "use of closed network
// connection". That happened in TestIntegrationAlerts under make test, and
// TestSendRace (EARSHOT_STRESS) gets it within a minute on a saturated
// machine. For the same reason the caller's ctx ends the INSERT only until
// release is called (a shutdown cancelling it right after a Send).
func (c *Client) sendContext(ctx context.Context) (sctx context.Context, release func()) {
	sctx, cancel := c.withTimeout(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, cancel) // ctx's end or deadline, while the INSERT lasts
	if ctx.Err() != nil {
		cancel() // at once, not in AfterFunc's goroutine
	}
	return sctx, func() {
		stop()
		time.AfterFunc(sendGrace, cancel)
	}
}

func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.cfg.WriteTimeout > 0 {
		return context.WithTimeout(ctx, c.cfg.WriteTimeout)
	}
	return context.WithCancel(ctx)
}

// Insert writes rows into mentions with one INSERT that carries them all in
// one native block, so the server stores all of them or none when the
// client fails mid-way (a batch spanning a month boundary becomes one part
// per month; see docs/schema.md). The aggregates, ingest_offsets and
// mention_offsets are updated by the same INSERT through their
// materialized views. An empty rows is a no-op. Insert does not retain rows.
//
// When Insert returns an error other than ErrInvalidMention the batch may
// have been stored, whole (the acknowledgement was lost) or in part (the
// server failed while writing the views' tables): ask Inspect before
// sending it again.
func (c *Client) Insert(ctx context.Context, rows []Mention) error {
	if len(rows) == 0 {
		return nil
	}
	start := time.Now()
	err := c.insert(ctx, rows, start)
	c.m.duration.Observe(time.Since(start).Seconds())
	if err != nil {
		c.m.errors.Inc()
		return err
	}
	c.m.inserts.Inc()
	c.m.rows.Add(float64(len(rows)))
	return nil
}

func (c *Client) insert(ctx context.Context, rows []Mention, now time.Time) error {
	var cols *columns
	select {
	case cols = <-c.free:
	default:
		cols = new(columns)
	}
	defer func() {
		cols.reset()
		select {
		case c.free <- cols:
		default: // more concurrent Inserts than kept buffers: let the GC have it
		}
	}()
	if err := cols.fill(rows, now); err != nil {
		return err
	}
	ctx, release := c.sendContext(ctx)
	defer release()
	batch, err := c.conn.PrepareBatch(ctx, c.insertSQL)
	if err != nil {
		return fmt.Errorf("cannot prepare INSERT of %d mentions: %w", len(rows), err)
	}
	defer batch.Abort() //nolint:errcheck // after Send it is a no-op
	for i, col := range cols.values() {
		if err := batch.Column(i).Append(col); err != nil {
			return fmt.Errorf("cannot append column %s: %w", mentionsColumns[i], err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("cannot INSERT %d mentions: %w", len(rows), err)
	}
	return nil
}

// columns holds one batch column by column, in mentionsColumns order. Its
// slices keep their capacity between batches.
type columns struct {
	ruleID, postID         []string
	createdAt              []time.Time
	createdMs              []uint16
	authorID, authorHandle []string
	authorFollowers        []int64
	lang, source           []string
	isRepost, isReply      []uint8
	isQuote                []uint8
	repostOf               []string
	hasGeo                 []uint8
	lat, lon               []float64
	geoTier                []uint8
	country, cell, text    []string
	topic                  []string
	partition              []int32
	offset                 []int64
	ingestedAt             []time.Time
	copyKey                []uint64
	copyOf                 []string
	copyCount              []uint32
	region, place, segment []string
	geoLevel, langDetected []uint8
	influence, bot         []float32
	vals                   []any
}

// minDateTime and maxDateTime bound what a DateTime (UInt32 seconds) holds.
var (
	minDateTime = time.Unix(0, 0)
	maxDateTime = time.Unix(math.MaxUint32, 0)
)

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func (c *columns) fill(rows []Mention, now time.Time) error {
	now = now.UTC().Truncate(time.Second)
	for i := range rows {
		r := &rows[i]
		if r.CreatedAt.Before(minDateTime) || !r.CreatedAt.Before(maxDateTime) {
			return fmt.Errorf("row %d (post %q, rule %q): created_at %s outside 1970..2106: %w",
				i, r.PostID, r.RuleID, r.CreatedAt.UTC().Format(time.RFC3339), ErrInvalidMention)
		}
		c.ruleID = append(c.ruleID, r.RuleID)
		c.postID = append(c.postID, r.PostID)
		c.createdAt = append(c.createdAt, r.CreatedAt)
		c.createdMs = append(c.createdMs, uint16(r.CreatedAt.Nanosecond()/1e6))
		c.authorID = append(c.authorID, r.AuthorID)
		c.authorHandle = append(c.authorHandle, r.AuthorHandle)
		c.authorFollowers = append(c.authorFollowers, r.AuthorFollowers)
		c.lang = append(c.lang, r.Lang)
		c.source = append(c.source, r.Source)
		c.isRepost = append(c.isRepost, b2u(r.IsRepost))
		c.isReply = append(c.isReply, b2u(r.IsReply))
		c.isQuote = append(c.isQuote, b2u(r.IsQuote))
		c.repostOf = append(c.repostOf, r.RepostOf)
		c.hasGeo = append(c.hasGeo, b2u(r.HasGeo))
		c.lat = append(c.lat, r.Lat)
		c.lon = append(c.lon, r.Lon)
		c.geoTier = append(c.geoTier, r.GeoTier)
		c.country = append(c.country, r.Country)
		c.cell = append(c.cell, r.Cell)
		c.text = append(c.text, r.Text)
		c.topic = append(c.topic, r.Topic)
		c.partition = append(c.partition, r.Partition)
		c.offset = append(c.offset, r.Offset)
		c.ingestedAt = append(c.ingestedAt, now)
		c.copyKey = append(c.copyKey, r.CopyKey)
		c.copyOf = append(c.copyOf, r.CopyOf)
		c.copyCount = append(c.copyCount, r.CopyCount)
		c.region = append(c.region, r.Region)
		c.place = append(c.place, r.Place)
		c.geoLevel = append(c.geoLevel, r.GeoLevel)
		c.influence = append(c.influence, r.Influence)
		c.segment = append(c.segment, r.Segment)
		c.bot = append(c.bot, r.Bot)
		c.langDetected = append(c.langDetected, b2u(r.LangDetected))
	}
	return nil
}

// values returns the columns in mentionsColumns order.
func (c *columns) values() []any {
	c.vals = append(c.vals[:0],
		c.ruleID, c.postID, c.createdAt, c.createdMs,
		c.authorID, c.authorHandle, c.authorFollowers,
		c.lang, c.source, c.isRepost, c.isReply, c.isQuote, c.repostOf,
		c.hasGeo, c.lat, c.lon, c.geoTier, c.country, c.cell, c.text,
		c.topic, c.partition, c.offset, c.ingestedAt,
		c.copyKey, c.copyOf, c.copyCount,
		c.region, c.place, c.geoLevel, c.influence, c.segment, c.bot, c.langDetected)
	return c.vals
}

// reset empties the columns, keeping capacity but dropping references to the
// caller's strings.
func (c *columns) reset() {
	for _, s := range []*[]string{&c.ruleID, &c.postID, &c.authorID, &c.authorHandle,
		&c.lang, &c.source, &c.repostOf, &c.country, &c.cell, &c.text, &c.topic, &c.copyOf,
		&c.region, &c.place, &c.segment} {
		clear(*s)
		*s = (*s)[:0]
	}
	c.createdAt = c.createdAt[:0]
	c.createdMs = c.createdMs[:0]
	c.authorFollowers = c.authorFollowers[:0]
	c.isRepost, c.isReply, c.isQuote = c.isRepost[:0], c.isReply[:0], c.isQuote[:0]
	c.hasGeo, c.lat, c.lon, c.geoTier = c.hasGeo[:0], c.lat[:0], c.lon[:0], c.geoTier[:0]
	c.partition, c.offset, c.ingestedAt = c.partition[:0], c.offset[:0], c.ingestedAt[:0]
	c.copyKey, c.copyCount = c.copyKey[:0], c.copyCount[:0]
	c.geoLevel, c.langDetected = c.geoLevel[:0], c.langDetected[:0]
	c.influence, c.bot = c.influence[:0], c.bot[:0]
	clear(c.vals)
	c.vals = c.vals[:0]
}

// DropDatabase drops the client's database with everything in it. Tests and
// demos that create throwaway databases use it to clean up.
func (c *Client) DropDatabase(ctx context.Context) error {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	if err := c.conn.Exec(ctx, "DROP DATABASE IF EXISTS "+c.db); err != nil {
		return fmt.Errorf("cannot drop database %s: %w", c.db, err)
	}
	return nil
}
