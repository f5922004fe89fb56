package sink

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// tableContents are queries that print each table the INSERT writes in a
// form that does not depend on how its parts were merged, nor on ingested_at.
var tableContents = map[string]string{
	"mentions": `SELECT rule_id, post_id, created_at, kafka_topic, kafka_partition, kafka_offset
FROM {db}.mentions ORDER BY kafka_partition, kafka_offset, rule_id`,
	"authors_rule_hour": `SELECT rule_id, hour, author_id, anyLastMerge(handle), countMerge(mentions),
maxMerge(influence), maxMerge(followers) FROM {db}.authors_rule_hour GROUP BY rule_id, hour, author_id ORDER BY rule_id, hour, author_id`,
	"copies_rule_minute": `SELECT rule_id, minute, sumMerge(copies), uniqExactMerge(texts)
FROM {db}.copies_rule_minute GROUP BY rule_id, minute ORDER BY rule_id, minute`,
	"dedup_keys": `SELECT DISTINCT kafka_topic, kafka_partition, kafka_offset, post_id, copy_key
FROM {db}.dedup_keys ORDER BY kafka_partition, kafka_offset, post_id`,
	"ingest_offsets": `SELECT kafka_topic, kafka_partition, maxMerge(max_offset)
FROM {db}.ingest_offsets GROUP BY kafka_topic, kafka_partition ORDER BY kafka_topic, kafka_partition`,
	"mention_offsets": `SELECT DISTINCT kafka_topic, kafka_partition, kafka_offset, post_id
FROM {db}.mention_offsets ORDER BY kafka_partition, kafka_offset, post_id`,
	"mentions_rule_minute_cell": `SELECT rule_id, minute, cell, countMerge(mentions), sumMerge(originals),
sumMerge(reposts), uniqExactMerge(authors) FROM {db}.mentions_rule_minute_cell GROUP BY rule_id, minute, cell ORDER BY rule_id, minute, cell`,
	"mentions_rule_minute_country": `SELECT rule_id, minute, country, countMerge(mentions), sumMerge(originals),
sumMerge(reposts), uniqExactMerge(authors) FROM {db}.mentions_rule_minute_country GROUP BY rule_id, minute, country ORDER BY rule_id, minute, country`,
	"rule_first_minute": `SELECT rule_id, minMerge(first) FROM {db}.rule_first_minute GROUP BY rule_id ORDER BY rule_id`,
}

// dump prints a table with its tableContents query.
func dump(t *testing.T, c *Client, table string) string {
	t.Helper()
	rows, err := c.conn.Query(context.Background(), c.sql(tableContents[table]))
	if err != nil {
		t.Fatalf("%s: %v", table, err)
	}
	defer rows.Close()
	var b strings.Builder
	types := rows.ColumnTypes()
	for rows.Next() {
		vals := make([]any, len(types))
		for i, ct := range types {
			vals[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(vals...); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		for _, v := range vals {
			fmt.Fprintf(&b, "%v\t", reflect.ValueOf(v).Elem().Interface())
		}
		b.WriteByte('\n')
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", table, err)
	}
	return b.String()
}

// TestIntegrationPartialInsert makes the server fail an INSERT part-way
// through the views, as a crash, "too many parts" or a memory limit in one
// view's table would: an extra view that throws on one post, named to come
// at a given place in ClickHouse's order of views. It checks what Inspect
// finds, then completes the tables missing the batch, as the pipeline's
// writer does, and requires every table to
// be what one clean INSERT writes, after a batch inserted whole before.
func TestIntegrationPartialInsert(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	rows := synthetic(60, "posts", 3, 100, at)
	rows[17].PostID = "boom"
	rows[0].RuleID = "fresh" // a rule the batch before did not have: its first minute is the batch's
	rows = append(rows, Mention{CreatedAt: at, Topic: "posts", Partition: 0, Offset: 400},
		Mention{CreatedAt: at, Topic: "posts", Partition: 2, Offset: 401})
	// A batch before, inserted whole: completing must not copy it again.
	before := synthetic(30, "posts", 3, 10, at.Add(-90*time.Second))
	ctx := context.Background()
	ref := migratedClient(t, nil)
	for _, b := range [][]Mention{before, rows} {
		if err := ref.Insert(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	W, M := Written, Missing
	for _, tc := range []struct {
		fail string // the failing view's name: its place in the order
		want []LandState
	}{
		{"a_fail_mv", []LandState{M, M, M, M, M, M, M, M}},                       // before every view
		{"d_fail_mv", []LandState{W, W, M, M, M, M, M, M}},                       // after copies_rule_minute
		{"j_fail_mv", []LandState{W, W, W, W, M, M, M, M}},                       // after ingest_offsets
		{"mentions_rule_minute_cf_fail_mv", []LandState{W, W, W, W, W, W, M, M}}, // after the cell aggregate
		{"n_fail_mv", []LandState{W, W, W, W, W, W, W, M}},                       // before rule_first_minute
		{"zz_fail_mv", []LandState{W, W, W, W, W, W, W, W}},                      // after every view
	} {
		t.Run(tc.fail, func(t *testing.T) {
			c := migratedClient(t, nil)
			for _, q := range []string{
				`CREATE TABLE {db}.fail_sink (x UInt8) ENGINE = Null`,
				`CREATE MATERIALIZED VIEW {db}.` + tc.fail + ` TO {db}.fail_sink AS
SELECT throwIf(post_id = 'boom') AS x FROM {db}.mentions`,
			} {
				if err := c.conn.Exec(ctx, c.sql(q)); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.Insert(ctx, before); err != nil {
				t.Fatal(err)
			}
			if err := c.Insert(ctx, rows); err == nil {
				t.Fatal("the INSERT succeeded; the failing view did not fail it")
			}
			l, err := c.Inspect(ctx, rows)
			if err != nil {
				t.Fatal(err)
			}
			var got []LandState
			for _, tl := range l.Tables {
				got = append(got, tl.State)
			}
			if !l.Stored || !slices.Equal(got, tc.want) {
				t.Fatalf("Inspect: stored %v, states %v; want stored, %v", l.Stored, got, tc.want)
			}
			for _, tl := range l.Tables {
				if tl.State == Missing {
					if err := c.Complete(ctx, rows, tl.Table); err != nil {
						t.Fatal(err)
					}
				}
			}
			if got, want := dump(t, c, "mentions"), dump(t, ref, "mentions"); got != want {
				t.Errorf("mentions:\n%s\nwant:\n%s", got, want)
			}
			for _, tl := range l.Tables {
				if got, want := dump(t, c, tl.Table), dump(t, ref, tl.Table); got != want {
					t.Errorf("%s (%v):\n%s\nwant:\n%s", tl.Table, tl.State, got, want)
				}
			}
		})
	}
	if l, err := ref.Inspect(ctx, rows); err != nil || !l.Stored {
		t.Errorf("Inspect after a clean INSERT: stored %v, %v; want stored", l.Stored, err)
	}
	other := synthetic(3, "posts", 1, 9000, at)
	if l, err := ref.Inspect(ctx, other); err != nil || l.Stored || len(l.Tables) != 0 {
		t.Errorf("Inspect of rows never inserted = %+v, %v; want not stored", l, err)
	}
}

// TestIntegrationRunningInserts: an INSERT into mentions that the server
// is still running (slowed by a view that sleeps) is seen, by its age, and
// no longer once it is done; one the client gave up on is seen until the
// server finished it.
func TestIntegrationRunningInserts(t *testing.T) {
	ctx := context.Background()
	c := migratedClient(t, nil)
	for _, q := range []string{
		`CREATE TABLE {db}.slow_sink (x UInt8) ENGINE = Null`,
		`CREATE MATERIALIZED VIEW {db}.zz_slow_mv TO {db}.slow_sink AS
SELECT toUInt8(sleep(2)) AS x FROM {db}.mentions`,
	} {
		if err := c.conn.Exec(ctx, c.sql(q)); err != nil {
			t.Fatal(err)
		}
	}
	if n, _, err := c.RunningInserts(ctx, 0); err != nil || n != 0 {
		t.Fatalf("before any insert: %d running, %v", n, err)
	}
	rows := synthetic(10, "posts", 1, 10, time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	for _, giveUp := range []bool{false, true} {
		ictx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- c.Insert(ictx, rows) }()
		seen := false
		for !seen && time.Since(start) < 1500*time.Millisecond {
			n, longest, err := c.RunningInserts(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			seen = n == 1 && longest <= time.Since(start)
			time.Sleep(20 * time.Millisecond)
		}
		if !seen {
			t.Fatalf("the running insert (give up %v) was not seen", giveUp)
		}
		if n, _, err := c.RunningInserts(ctx, time.Minute); err != nil || n != 0 {
			t.Fatalf("an insert of a second seen as running for a minute: %d, %v", n, err)
		}
		if giveUp {
			cancel()
			<-done
			if n, _, err := c.RunningInserts(ctx, 0); err != nil || n != 1 {
				t.Fatalf("the insert given up: the server runs it still, yet %d seen, %v", n, err)
			}
		}
		for time.Since(start) < 5*time.Second {
			if n, _, err := c.RunningInserts(ctx, 0); err == nil && n == 0 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		cancel()
		if !giveUp {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		if n, _, err := c.RunningInserts(ctx, 0); err != nil || n != 0 || time.Since(start) < 2*time.Second {
			t.Fatalf("after the insert: %d running after %s, %v", n, time.Since(start), err)
		}
	}
}
