package stream

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"earshot/stream/alert"
	"earshot/stream/burst"
)

type alertRecorder struct{ got []alert.Alert }

func (r *alertRecorder) InsertAlerts(_ context.Context, as []alert.Alert) error {
	r.got = append(r.got, as...)
	return nil
}

// TestDetectionWatermark checks the watermark (least latest event time over
// active partitions, idle ones excluded) and that partitions read at very
// different speeds still raise the burst's alert: events are buffered and
// fed in event-time order.
func TestDetectionWatermark(t *testing.T) {
	det, err := burst.New(burst.Config{Scopes: []string{alert.ScopeRule}})
	if err != nil {
		t.Fatal(err)
	}
	wall := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := &alertRecorder{}
	d := &detection{det: det, store: rec, idle: 10 * time.Second, m: newMetrics(nil), log: slog.New(slog.DiscardHandler),
		stats: &Stats{}, now: func() time.Time { return wall }, backof: time.Millisecond}
	d.parts = map[int]*partClock{}
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	// batch returns partition p's posts from minute a to minute b: one tick
	// per second, one background event every 20 s, and from minute 32 a
	// burst of 3 events per second.
	batch := func(p int, a, b int) *detectBatch {
		bt := &detectBatch{partition: p}
		for s := a * 60; s < b*60; s++ {
			at := t0.Add(time.Duration(s)*time.Second + time.Duration(p)*time.Millisecond)
			bt.ticks = append(bt.ticks, tick{at: at.Truncate(time.Second), n: 1})
			n := 0
			if s%20 == 0 {
				n = 1
			}
			if s >= 32*60 {
				n = 3
			}
			for range n {
				bt.events = append(bt.events, burst.Event{Rule: "quake", At: at, Original: true, TextLen: 20, PostID: "x"})
			}
			bt.latest = at
		}
		return bt
	}
	// Partition 0 races 34 minutes ahead; partition 1 follows in steps.
	d.apply(batch(0, 0, 34))
	d.apply(batch(1, 0, 1))
	d.advance(context.Background())
	if want := t0.Add(59*time.Second + time.Millisecond); !d.wm.Equal(want) {
		t.Fatalf("watermark %v, want partition 1's latest %v", d.wm, want)
	}
	if len(rec.got) != 0 {
		t.Fatalf("alert before the burst: %+v", rec.got)
	}
	for m := 1; m < 34; m += 3 {
		d.apply(batch(1, m, min(m+3, 34)))
		d.advance(context.Background())
	}
	if len(rec.got) == 0 || rec.got[0].Rule != "quake" || rec.got[0].Kind != alert.KindTrigger {
		t.Fatalf("no trigger for the burst; got %+v", rec.got)
	}
	if at := rec.got[0].DetectedAt.Sub(t0); at < 32*time.Minute || at > 33*time.Minute {
		t.Errorf("trigger detected at +%s, want within the burst's first minute (+32m)", at)
	}
	// Partition 1 goes idle: the watermark follows partition 0 alone.
	wall = wall.Add(11 * time.Second)
	d.apply(&detectBatch{partition: 0, latest: t0.Add(40 * time.Minute), ticks: []tick{{at: t0.Add(40 * time.Minute), n: 1}}})
	d.advance(context.Background())
	if !d.wm.Equal(t0.Add(40 * time.Minute)) {
		t.Errorf("watermark %v with partition 1 idle, want partition 0's %v", d.wm, t0.Add(40*time.Minute))
	}
	if d.ahead(t0.Add(41*time.Minute)) || !d.ahead(t0.Add(43*time.Minute)) {
		t.Errorf("ahead: an owner 1 min ahead must not wait, 3 min ahead must")
	}
	if len(d.events) != 0 || len(d.ticks) != 0 {
		t.Errorf("buffered after the watermark passed everything: %d events, %d ticks", len(d.events), len(d.ticks))
	}
}

// TestDetectionSkipReplayed checks that, after a detect-only warm-up, live
// ticks and events dated at or before the replay's end are dropped (they
// were replayed) and later ones kept.
func TestDetectionSkipReplayed(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name                 string
		replayed             time.Time
		wantTicks, wantEvent int
	}{
		{"no replay keeps all", time.Time{}, 4, 4},
		{"drops up to the replay's end", t0.Add(time.Second), 2, 2},
		{"drops all", t0.Add(time.Hour), 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := &detection{replayed: tc.replayed, now: func() time.Time { return t0 }, parts: map[int]*partClock{}}
			d.ticks = append(d.ticks, tick{at: t0.Add(-time.Hour), n: 1}) // buffered before: kept
			b := &detectBatch{partition: 1, latest: t0.Add(3 * time.Second)}
			for s := range 4 {
				at := t0.Add(time.Duration(s) * time.Second)
				b.ticks = append(b.ticks, tick{at: at, n: 1})
				b.events = append(b.events, burst.Event{Rule: "quake", At: at})
			}
			d.apply(b)
			if got := len(d.ticks) - 1; got != tc.wantTicks {
				t.Errorf("ticks kept: %d, want %d", got, tc.wantTicks)
			}
			if got := len(d.events); got != tc.wantEvent {
				t.Errorf("events kept: %d, want %d", got, tc.wantEvent)
			}
			for _, e := range d.events {
				if !tc.replayed.IsZero() && !e.At.After(tc.replayed) {
					t.Errorf("event at %s kept, replayed up to %s", e.At, tc.replayed)
				}
			}
			if !d.parts[1].latest.Equal(b.latest) {
				t.Errorf("partition clock %s, want %s", d.parts[1].latest, b.latest)
			}
		})
	}
}

// TestDetectionKeepsLaterEvents: advance feeds the events up to the
// watermark and keeps the later ones buffered, in time order and, at equal
// times, in the order they arrived, however the partitions interleaved them.
func TestDetectionKeepsLaterEvents(t *testing.T) {
	det, err := burst.New(burst.Config{Scopes: []string{alert.ScopeRule}})
	if err != nil {
		t.Fatal(err)
	}
	d := &detection{det: det, idle: time.Hour, m: newMetrics(nil), log: slog.New(slog.DiscardHandler),
		stats: &Stats{}, now: time.Now, backof: time.Millisecond}
	d.parts = map[int]*partClock{}
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	// Two partitions, their events interleaved out of order; two events
	// per second, told apart by PostID.
	rng := rand.New(rand.NewPCG(1, 2))
	for p := range 2 {
		b := &detectBatch{partition: p, latest: t0.Add(50 * time.Second)}
		for _, s := range rng.Perm(100) {
			at := t0.Add(time.Duration(s) * time.Second)
			b.events = append(b.events, burst.Event{Rule: "quake", At: at, PostID: fmt.Sprintf("%d/%d", s, p)})
		}
		d.apply(b)
	}
	d.advance(context.Background())
	if !d.wm.Equal(t0.Add(50 * time.Second)) {
		t.Fatalf("watermark %v", d.wm)
	}
	var got []string
	for _, e := range d.events {
		got = append(got, e.PostID)
	}
	var want []string
	for s := 51; s < 100; s++ {
		want = append(want, fmt.Sprintf("%d/0", s), fmt.Sprintf("%d/1", s))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("buffered after the watermark:\n got %v\nwant %v", got, want)
	}
}
