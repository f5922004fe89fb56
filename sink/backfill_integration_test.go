package sink

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"
)

// TestIntegrationBackfillBatch: a backfill's batch holds rows of messages
// the pipeline stored rows of (a rule added since, on posts of other rules)
// and of a message it stored nothing of, first, then its own progress
// marker at a negative offset. When the server fails its INSERT at any
// place in the views' order, Inspect and CompleteRows leave every table as
// one clean INSERT would; Complete, which takes every row of the batch's
// offsets, would copy the pipeline's rows too. The queries a backfill
// rebuilds its dedup state with answer from the same tables.
func TestIntegrationBackfillBatch(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	pipe := synthetic(90, "posts", 1, 100, at)
	boom := pipe[0]
	boom.RuleID, boom.PostID, boom.Offset = "tsunami", "boom", 60
	bf := []Mention{boom}
	for i := range pipe {
		if i%3 == 0 && (i == 0 || pipe[i-1].Offset != pipe[i].Offset) {
			m := pipe[i]
			m.RuleID = "tsunami"
			bf = append(bf, m)
		}
	}
	bf = append(bf, Mention{CreatedAt: at, Topic: "posts", Offset: -1_700_000_000_000_000_000})
	ctx := context.Background()
	ref := migratedClient(t, nil)
	for _, b := range [][]Mention{pipe, bf} {
		if err := ref.Insert(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	for _, fail := range []string{"a_fail_mv", "d_fail_mv", "j_fail_mv", "mentions_rule_minute_cf_fail_mv", "zz_fail_mv"} {
		t.Run(fail, func(t *testing.T) {
			c := migratedClient(t, nil)
			if err := c.Insert(ctx, pipe); err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{
				`CREATE TABLE {db}.fail_sink (x UInt8) ENGINE = Null`,
				`CREATE MATERIALIZED VIEW {db}.` + fail + ` TO {db}.fail_sink AS
SELECT throwIf(post_id = 'boom') AS x FROM {db}.mentions`,
			} {
				if err := c.conn.Exec(ctx, c.sql(q)); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.Insert(ctx, bf); err == nil {
				t.Fatal("the INSERT succeeded; the failing view did not fail it")
			}
			l, err := c.Inspect(ctx, bf)
			if err != nil || !l.Stored {
				t.Fatalf("Inspect: %+v, %v; want stored", l, err)
			}
			for _, tl := range l.Tables {
				if tl.State == Missing {
					if err := c.CompleteRows(ctx, bf, tl.Table); err != nil {
						t.Fatal(err)
					}
				}
			}
			for _, table := range slices.Sorted(func(yield func(string) bool) {
				for k := range tableContents {
					if !yield(k) {
						return
					}
				}
			}) {
				if got, want := dump(t, c, table), dump(t, ref, table); got != want {
					t.Errorf("%s:\n%s\nwant:\n%s", table, got, want)
				}
			}
		})
	}

	var stored []string
	if err := ref.RuleMentions(ctx, "posts", 0, []string{"tsunami", "none"}, 100, func(rule, id string) {
		stored = append(stored, rule+" "+id)
	}); err != nil {
		t.Fatal(err)
	}
	if len(stored) != len(bf)-2 { // neither boom (offset 60) nor the marker
		t.Errorf("RuleMentions from offset 100: %d, want %d: %v", len(stored), len(bf)-2, stored)
	}
	var before []string
	if err := ref.KeysBefore(ctx, "posts", 0, 103, time.Now().Add(-time.Hour), func(id string, _ uint64) {
		before = append(before, id)
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{"boom", pipe[0].PostID}
	for _, m := range pipe {
		if m.Offset < 103 && m.PostID != want[len(want)-1] {
			want = append(want, m.PostID)
		}
	}
	if !slices.Equal(before, want) {
		t.Errorf("KeysBefore 103: %v, want %v", before, want)
	}
	var offs []int64
	keys := map[string]bool{}
	if err := ref.KeysBetween(ctx, "posts", 0, 60, 102, func(off int64, id string, _ uint64) {
		offs = append(offs, off)
		keys[fmt.Sprint(off, " ", id)] = true
	}); err != nil {
		t.Fatal(err)
	}
	wantKeys := map[string]bool{"60 boom": true, "100 1852345678900000100": true, "101 1852345678900000101": true}
	if !slices.IsSorted(offs) || !maps.Equal(keys, wantKeys) {
		t.Errorf("KeysBetween 60-102: offsets %v, keys %v; want in order, %v", offs, keys, wantKeys)
	}
}
