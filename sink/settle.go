package sink

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// An INSERT into mentions is not atomic across tables when the server
// fails. ClickHouse 18.16 writes the block into mentions first, then into
// the table of each materialized view on mentions in the order of the
// views' names, and commits each part on its own. A failure on the server
// between two of them (a crash or an OOM kill, "too many parts" or a memory
// limit in one view's table) keeps the tables written before it: the client
// gets an error, mentions holds the rows, and some views' tables do not.
// Sending the batch again would count it twice in mentions and in the
// views written before the failure. Inspect tells what a failed INSERT
// left, asking each table (by offset, or by the row each of the batch's
// progress markers makes in the aggregate tables, in the same part as the
// batch's rows), and Complete writes a batch into one view's table from its
// copy in mentions, with the view's own query.

// LandState is what a failed INSERT left in one table.
type LandState uint8

const (
	// Nothing: the view makes no rows from the batch (no post with an id,
	// for dedup_keys), so there is nothing to write.
	Nothing LandState = iota
	// Written: the table holds the batch.
	Written
	// Missing: the table does not hold the batch.
	Missing
	// Unknown: an aggregate table asked about rows without a progress
	// marker, which it cannot tell (the pipeline's batches always have
	// markers).
	Unknown
)

func (s LandState) String() string {
	return [...]string{"nothing", "written", "missing", "unknown"}[s]
}

// TableLanding is one view's table after a failed INSERT.
type TableLanding struct {
	Table string
	State LandState
}

// Landing is what a failed INSERT of a batch left in ClickHouse.
type Landing struct {
	// Stored: mentions holds the batch, which must not be inserted again.
	// When false, nothing of it was kept and it can be inserted again.
	Stored bool
	// Tables are the views' tables in the order ClickHouse writes them,
	// when Stored.
	Tables []TableLanding
}

// view is a materialized view on mentions, as the migrations create it.
type view struct {
	name, table string
	query       string // its SELECT, reading FROM {db}.mentions
	// keep reports, in Go, whether the view makes a row from m.
	keep func(m *Mention) bool
	// present asks whether the table holds the batch rows: Written,
	// Missing, or Unknown when it cannot tell (an aggregate table asked for
	// a batch without a progress marker). w is a row the view keeps.
	present func(ctx context.Context, c *Client, w *Mention, rows []Mention) (LandState, error)
}

// mentionsSource is how every view's query reads the inserted block.
const mentionsSource = "FROM {db}.mentions"

// views are the materialized views on mentions in the order ClickHouse
// writes them: by name (TestViewsInWriteOrder holds this list to the
// migrations, TestIntegrationPartialInsert to the server).
var views = func() []view {
	all := func(*Mention) bool { return true }
	byOffset := func(table string) func(context.Context, *Client, *Mention, []Mention) (LandState, error) {
		return func(ctx context.Context, c *Client, w *Mention, _ []Mention) (LandState, error) {
			return c.holds(ctx, table, `SELECT count() FROM {db}.`+table+`
WHERE kafka_topic = ? AND kafka_partition = ? AND kafka_offset = ? AND post_id = ?`, w.Topic, w.Partition, w.Offset, w.PostID)
		}
	}
	// An aggregate table holds a row per progress marker of a batch
	// (batchKey in schema.go), written in the same part as the batch's rows.
	byMarker := func(table, bin string) func(context.Context, *Client, *Mention, []Mention) (LandState, error) {
		return func(ctx context.Context, c *Client, _ *Mention, rows []Mention) (LandState, error) {
			k := slices.IndexFunc(rows, func(m Mention) bool { return m.RuleID == "" })
			if k < 0 {
				return Unknown, nil
			}
			m := &rows[k]
			return c.holds(ctx, table, `SELECT count() FROM {db}.`+table+`
WHERE rule_id = '' AND `+bin+` AND batch = ?`,
				sinceArg(m.CreatedAt), fmt.Sprintf("%s/%d/%d", m.Topic, m.Partition, m.Offset))
		}
	}
	minute, hour := "minute = toStartOfMinute(toDateTime(?, 'UTC'))", "hour = toStartOfHour(toDateTime(?, 'UTC'))"
	vs := []view{
		{name: "authors_rule_hour_mv", keep: func(m *Mention) bool { return m.RuleID == "" || m.AuthorID != "" },
			present: byMarker("authors_rule_hour", hour)},
		{name: "copies_rule_minute_mv", keep: all, present: byMarker("copies_rule_minute", minute)},
		{name: "dedup_keys_mv", keep: func(m *Mention) bool { return m.PostID != "" }, present: byOffset("dedup_keys")},
		{name: "ingest_offsets_mv", keep: all, present: func(ctx context.Context, c *Client, w *Mention, rows []Mention) (LandState, error) {
			last := w.Offset // the batch's last offset of w's partition
			for _, s := range Spans(rows) {
				if s.Topic == w.Topic && s.Partition == w.Partition {
					last = s.Last
				}
			}
			return c.holds(ctx, "ingest_offsets", `SELECT count() FROM (
SELECT kafka_partition, maxMerge(max_offset) AS o FROM {db}.ingest_offsets
WHERE kafka_topic = ? AND kafka_partition = ? GROUP BY kafka_partition) WHERE o >= ?`, w.Topic, w.Partition, last)
		}},
		{name: "mention_offsets_mv", keep: all, present: byOffset("mention_offsets")},
		{name: "mentions_rule_minute_cell_mv", keep: all, present: byMarker("mentions_rule_minute_cell", minute)},
		{name: "mentions_rule_minute_country_mv", keep: all, present: byMarker("mentions_rule_minute_country", minute)},
		// A minimum: the table holds what the batch brings when it holds a
		// first minute of the rule no later than the row's (an earlier
		// batch's, or this one's). Completing it again changes nothing.
		{name: "rule_first_minute_mv", keep: func(m *Mention) bool { return m.RuleID != "" },
			present: func(ctx context.Context, c *Client, w *Mention, _ []Mention) (LandState, error) {
				return c.holds(ctx, "rule_first_minute", `SELECT count() FROM (
SELECT minMerge(first) AS f FROM {db}.rule_first_minute WHERE rule_id = ? GROUP BY rule_id) WHERE f <= toStartOfMinute(toDateTime(?, 'UTC'))`,
					w.RuleID, sinceArg(w.CreatedAt))
			}},
	}
	for i := range vs {
		v := &vs[i]
		v.table, v.query = viewQuery(v.name)
	}
	return vs
}()

// viewQuery returns the target table and the SELECT of the view named name
// as the last migration that creates it made it.
func viewQuery(name string) (table, query string) {
	head := "CREATE MATERIALIZED VIEW IF NOT EXISTS {db}." + name + "\nTO {db}."
	for _, m := range migrations {
		for _, s := range m.statements {
			rest, ok := strings.CutPrefix(strings.TrimSpace(s), head)
			if !ok {
				continue
			}
			table, query, ok = strings.Cut(rest, " AS\n")
			if !ok || strings.Count(query, mentionsSource) != 1 {
				panic("sink: view " + name + " is not TO table AS SELECT … " + mentionsSource + " …")
			}
		}
	}
	if table == "" {
		panic("sink: no migration creates view " + name)
	}
	return table, query
}

// exists runs a count() query and reports whether it counted anything.
func (c *Client) exists(ctx context.Context, what, q string, args ...any) (bool, error) {
	var n uint64
	err := c.query(ctx, what, func(scan func(...any) error) error { return scan(&n) }, q, args...)
	return n > 0, err
}

// holds is exists as a LandState.
func (c *Client) holds(ctx context.Context, what, q string, args ...any) (LandState, error) {
	ok, err := c.exists(ctx, what, q, args...)
	if ok {
		return Written, err
	}
	return Missing, err
}

// Inspect tells what a failed Insert of rows left: whether mentions holds
// them and, if it does, which views' tables do, each asked for itself (an
// aggregate table by the row of the rows' progress marker: Unknown without
// one). Call it before anything else is written for the rows' partitions;
// it may be asked again after some tables were completed.
func (c *Client) Inspect(ctx context.Context, rows []Mention) (Landing, error) {
	if len(rows) == 0 {
		return Landing{}, nil
	}
	w := &rows[0]
	stored, err := c.exists(ctx, "mentions", `SELECT count() FROM {db}.mentions
WHERE rule_id = ? AND created_at = toDateTime(?, 'UTC') AND post_id = ?
  AND kafka_topic = ? AND kafka_partition = ? AND kafka_offset = ?`,
		w.RuleID, sinceArg(w.CreatedAt), w.PostID, w.Topic, w.Partition, w.Offset)
	if err != nil || !stored {
		return Landing{}, err
	}
	l := Landing{Stored: true, Tables: make([]TableLanding, len(views))}
	for i := range views {
		v := &views[i]
		l.Tables[i] = TableLanding{Table: v.table, State: Nothing}
		k := slices.IndexFunc(rows, func(m Mention) bool { return v.keep(&m) })
		if k < 0 {
			continue
		}
		if l.Tables[i].State, err = v.present(ctx, c, &rows[k], rows); err != nil {
			return Landing{}, err
		}
	}
	return l, nil
}

// Complete writes rows into table, one of the views' tables, from their copy
// in mentions and with the view's query: what the INSERT would have written
// there. Call it for a table that Inspect found missing the rows.
func (c *Client) Complete(ctx context.Context, rows []Mention, table string) error {
	filter, args := batchFilter(rows)
	return c.complete(ctx, table, filter, args)
}

// complete writes the rows of mentions that filter selects into table, one
// of the views' tables, with the view's query.
func (c *Client) complete(ctx context.Context, table, filter string, args []any) error {
	i := slices.IndexFunc(views, func(v view) bool { return v.table == table })
	if i < 0 {
		return fmt.Errorf("cannot complete %s: not a view's table", table)
	}
	q := "INSERT INTO {db}." + views[i].table + "\n" + strings.Replace(views[i].query, mentionsSource,
		"FROM (SELECT * FROM {db}.mentions WHERE "+filter+")", 1)
	ctx, release := c.sendContext(ctx)
	defer release()
	if err := c.conn.Exec(ctx, c.sql(q), args...); err != nil {
		return fmt.Errorf("cannot complete %s from mentions: %w", views[i].table, err)
	}
	return nil
}

// Span is the range of offsets of one topic's partition that a batch's
// rows come from.
type Span struct {
	Topic       string
	Partition   int32
	First, Last int64
}

// Spans returns the spans of rows, in the order their partitions first
// appear.
func Spans(rows []Mention) []Span {
	var out []Span
	for i := range rows {
		m := &rows[i]
		k := slices.IndexFunc(out, func(s Span) bool { return s.Topic == m.Topic && s.Partition == m.Partition })
		if k < 0 {
			out = append(out, Span{m.Topic, m.Partition, m.Offset, m.Offset})
			continue
		}
		out[k].First, out[k].Last = min(out[k].First, m.Offset), max(out[k].Last, m.Offset)
	}
	return out
}

// batchFilter selects the rows of mentions from the messages of rows: per
// topic and partition, the range of offsets the batch covers (a batch holds
// every row of its messages, and no other batch holds rows of them).
func batchFilter(rows []Mention) (string, []any) {
	var b strings.Builder
	var args []any
	for i, s := range Spans(rows) {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString("(kafka_topic = ? AND kafka_partition = ? AND kafka_offset BETWEEN ? AND ?)")
		args = append(args, s.Topic, s.Partition, s.First, s.Last)
	}
	return b.String(), args
}
