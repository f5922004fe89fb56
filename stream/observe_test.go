package stream

import (
	"testing"
	"time"
)

// TestObserveTimeAhead: the partition's latest event time follows the
// posts, except a post dated more than maxAhead past the wall clock; the
// clock is read again when a post is past the previous reading's limit.
func TestObserveTimeAhead(t *testing.T) {
	wall := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	reads := 0
	pr := &processor{now: func() time.Time { reads++; return wall }}
	c := &chunk{}
	steps := []struct {
		at     time.Time
		latest time.Time
	}{
		{wall.Add(-time.Hour), wall.Add(-time.Hour)},
		{wall.Add(-2 * time.Hour), wall.Add(-time.Hour)},       // older: kept
		{wall.Add(maxAhead), wall.Add(maxAhead)},               // at the limit
		{wall.Add(maxAhead + time.Second), wall.Add(maxAhead)}, // past it: ignored
		{wall.Add(maxAhead + time.Hour), wall.Add(maxAhead)},   // idem
	}
	for i, s := range steps {
		pr.observeTime(c, s.at)
		if !pr.latest.Equal(s.latest) {
			t.Fatalf("step %d: latest %v, want %v", i, pr.latest, s.latest)
		}
	}
	// The clock moved on: a post that was ahead is not any more.
	wall = wall.Add(time.Hour)
	pr.observeTime(c, wall.Add(maxAhead-time.Minute))
	if want := wall.Add(maxAhead - time.Minute); !pr.latest.Equal(want) {
		t.Fatalf("after the clock moved: latest %v, want %v", pr.latest, want)
	}
	// Posts within the last reading's limit do not read the clock.
	reads = 0
	last := wall.Add(maxAhead - time.Minute)
	for range 100 {
		last = last.Add(time.Millisecond)
		pr.observeTime(c, last)
	}
	if reads != 0 || !pr.latest.Equal(last) {
		t.Errorf("100 newer posts within the limit: %d clock reads, latest %v (want 0, %v)", reads, pr.latest, last)
	}
	if n := len(c.ticks); n == 0 {
		t.Error("no ticks recorded")
	}
}
