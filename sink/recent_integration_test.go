package sink

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestIntegrationRecentMentions checks NewestMention and RecentMentions:
// matched rows of the topic only, created_at order with milliseconds, the
// detector's columns, and the bounds on created_at and ingested_at.
func TestIntegrationRecentMentions(t *testing.T) {
	c := migratedClient(t, nil)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	rows := []Mention{
		{RuleID: "b", PostID: "p2", CreatedAt: t0.Add(2*time.Second + 300*time.Millisecond), Topic: "posts", Partition: 1, Offset: 20,
			AuthorID: "u2", IsRepost: true, IsReply: true, IsQuote: true, HasGeo: true, Lat: 19.5, Lon: -99.25, GeoTier: 3,
			Country: "MX", Cell: "9g3w7", Text: "sismo https://x"},
		{RuleID: "a", PostID: "p2", CreatedAt: t0.Add(2*time.Second + 300*time.Millisecond), Topic: "posts", Partition: 1, Offset: 20},
		{RuleID: "a", PostID: "p1", CreatedAt: t0.Add(2*time.Second + 100*time.Millisecond), Topic: "posts", Partition: 0, Offset: 10},
		{RuleID: "a", PostID: "p0", CreatedAt: t0.Add(-10 * time.Minute), Topic: "posts", Partition: 0, Offset: 5},
		{RuleID: "a", PostID: "p9", CreatedAt: t0.Add(time.Hour), Topic: "posts", Partition: 0, Offset: 50}, // beyond createdBy
		{RuleID: "a", PostID: "o", CreatedAt: t0.Add(time.Minute), Topic: "other", Partition: 0, Offset: 1},
		{CreatedAt: t0.Add(30 * time.Minute), Topic: "posts", Partition: 1, Offset: 31}, // progress marker
	}
	if err := c.Insert(ctx, rows); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(2 * time.Second)
	newest, err := c.NewestMention(ctx, "posts", t0.Add(time.Minute), later)
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(2 * time.Second); !newest.Equal(want) {
		t.Errorf("NewestMention = %v, want %v", newest, want)
	}
	if none, err := c.NewestMention(ctx, "posts", t0.Add(time.Minute), time.Now().Add(-time.Hour)); err != nil || !none.IsZero() {
		t.Errorf("NewestMention of rows ingested an hour ago = %v, %v; want zero", none, err)
	}
	var got []string
	err = c.RecentMentions(ctx, "posts", t0.Add(-time.Minute), later, func(m *Mention) error {
		got = append(got, fmt.Sprintf("%s/%s@%s", m.PostID, m.RuleID, m.CreatedAt.Format("15:04:05.000")))
		if m.PostID == "p2" && m.RuleID == "b" {
			want := rows[0]
			want.Topic = "posts"
			m.Topic = "posts"
			if *m != want {
				t.Errorf("row %+v, want %+v", *m, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "[p1/a@10:00:02.100 p2/a@10:00:02.300 p2/b@10:00:02.300 p9/a@11:00:00.000]"; fmt.Sprint(got) != want {
		t.Errorf("RecentMentions = %v, want %s", got, want)
	}
	stop := fmt.Errorf("stop")
	n := 0
	if err := c.RecentMentions(ctx, "posts", t0.Add(-time.Hour), later, func(*Mention) error { n++; return stop }); err == nil || n != 1 {
		t.Errorf("an error from fn: got %v after %d rows, want it returned after 1", err, n)
	}
}

// BenchmarkRecentMentions measures the detector's warm-up query: n matched
// mentions over 35 minutes, streamed in created_at order.
func BenchmarkRecentMentions(b *testing.B) {
	c := migratedClient(b, nil)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("mentions=%.0e", float64(n)), func(b *testing.B) {
			topic := fmt.Sprintf("recent%d", n)
			rows := make([]Mention, 0, 100_000)
			step := 35 * time.Minute / time.Duration(n)
			for i := 0; i < n; i++ {
				rows = append(rows, Mention{RuleID: fmt.Sprintf("r%d", i%50), PostID: fmt.Sprint(1852345678901234567 + i),
					CreatedAt: t0.Add(time.Duration(i) * step), AuthorID: fmt.Sprint(i % 5000), Country: "MX", Cell: "9g3w7",
					Lat: 19.4, Lon: -99.1, GeoTier: 3, Text: "sismo fuerte en la ciudad ahora mismo", Topic: topic, Offset: int64(i)})
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
				if err := c.RecentMentions(ctx, topic, t0, time.Now().Add(time.Hour), func(*Mention) error { got++; return nil }); err != nil {
					b.Fatal(err)
				}
				if got != n {
					b.Fatalf("read %d mentions, want %d", got, n)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/warmup")
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "mentions/s")
		})
	}
}
