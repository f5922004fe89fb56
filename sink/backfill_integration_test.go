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
	for _, since := range []time.Time{{}, time.Now().Add(time.Hour)} {
		stored = stored[:0]
		if err := ref.RuleMentions(ctx, "posts", 0, []string{"tsunami", "none"}, 100, since, func(rule, id string) {
			stored = append(stored, rule+" "+id)
		}); err != nil {
			t.Fatal(err)
		}
		want := len(bf) - 2 // neither boom (offset 60) nor the marker
		if !since.IsZero() {
			want = 0 // none stored since
		}
		if len(stored) != want {
			t.Errorf("RuleMentions from offset 100, since %v: %d, want %d: %v", since, len(stored), want, stored)
		}
	}
	keys := []BackfillKey{{"boom", 7}, {"1852345678900000103", 9}}
	now := time.Now()
	if err := ref.InsertBackfillKeys(ctx, "posts", 0, keys, now); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		partition int32
		since     time.Time
		want      []BackfillKey
	}{{0, now.Add(-time.Second), keys}, {1, now.Add(-time.Second), nil}, {0, now.Add(2 * time.Second), nil}} {
		var got []BackfillKey
		if err := ref.BackfillKeys(ctx, "posts", c.partition, c.since, func(id string, key uint64) {
			got = append(got, BackfillKey{id, key})
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("BackfillKeys of partition %d since %v: %v, want %v", c.partition, c.since, got, c.want)
		}
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
	keyset := map[string]bool{}
	if err := ref.KeysBetween(ctx, "posts", 0, 60, 102, func(off int64, id string, _ uint64) {
		offs = append(offs, off)
		keyset[fmt.Sprint(off, " ", id)] = true
	}); err != nil {
		t.Fatal(err)
	}
	wantKeys := map[string]bool{"60 boom": true, "100 1852345678900000100": true, "101 1852345678900000101": true}
	if !slices.IsSorted(offs) || !maps.Equal(keyset, wantKeys) {
		t.Errorf("KeysBetween 60-102: offsets %v, keys %v; want in order, %v", offs, keyset, wantKeys)
	}
}
