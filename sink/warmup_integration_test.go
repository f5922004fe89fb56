package sink

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"
)

// TestIntegrationRecentKeys checks that RecentKeys replays one partition's
// posts once each, in offset order, with their copy keys.
func TestIntegrationRecentKeys(t *testing.T) {
	c := migratedClient(t, nil)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	rows := []Mention{
		{RuleID: "a", PostID: "p2", CreatedAt: t0, Topic: "posts", Partition: 1, Offset: 20, CopyKey: 7},
		{RuleID: "b", PostID: "p2", CreatedAt: t0, Topic: "posts", Partition: 1, Offset: 20, CopyKey: 7},
		{RuleID: "a", PostID: "p1", CreatedAt: t0, Topic: "posts", Partition: 1, Offset: 10, CopyKey: 0},
		{RuleID: "a", PostID: "p3", CreatedAt: t0, Topic: "posts", Partition: 1, Offset: 30, CopyKey: 7, CopyOf: "p2", CopyCount: 2},
		{RuleID: "a", PostID: "q", CreatedAt: t0, Topic: "posts", Partition: 2, Offset: 5},
		{CreatedAt: t0, Topic: "posts", Partition: 1, Offset: 31}, // progress marker
	}
	if err := c.Insert(ctx, rows); err != nil {
		t.Fatal(err)
	}
	var got []string
	err := c.RecentKeys(ctx, "posts", 1, time.Now().Add(-time.Hour), func(id string, key uint64) {
		got = append(got, id+"/"+strconv.FormatUint(key, 10))
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[p1/0 p2/7 p3/7]" {
		t.Fatalf("RecentKeys = %v, want [p1/0 p2/7 p3/7]", got)
	}
	copies, err := c.RuleMinuteCopies(ctx, t0.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// Rule a at t0: p1 (no key: own text), p2, p3 (key 7, one copy), q (own text).
	if got := copies[RuleMinuteKey{"a", t0}]; got != (CopyCounts{Copies: 1, Texts: 3}) {
		t.Fatalf("copies of rule a: %+v, want {Copies:1 Texts:3}", got)
	}
}

// BenchmarkRecentKeys measures the warm-up of one partition's dedup state:
// streaming n stored post ids back from ClickHouse (run with -benchtime 1x).
func BenchmarkRecentKeys(b *testing.B) {
	c := migratedClient(b, nil)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("ids=%.0e", float64(n)), func(b *testing.B) {
			topic := fmt.Sprintf("warm%d", n)
			rows := make([]Mention, 0, 100_000)
			for i := 0; i < n; i++ {
				rows = append(rows, Mention{RuleID: "r", PostID: strconv.Itoa(1852345678901234567 + i),
					CreatedAt: t0, Topic: topic, Partition: 0, Offset: int64(i), CopyKey: uint64(i) * 0x9E3779B97F4A7C15})
				if len(rows) == cap(rows) || i == n-1 {
					if err := c.Insert(ctx, rows); err != nil {
						b.Fatal(err)
					}
					rows = rows[:0]
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				got := 0
				if err := c.RecentKeys(ctx, topic, 0, time.Now().Add(-time.Hour), func(string, uint64) { got++ }); err != nil {
					b.Fatal(err)
				}
				if got != n {
					b.Fatalf("warmed %d ids, want %d", got, n)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/warmup")
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "ids/s")
		})
	}
}
