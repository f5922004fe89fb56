package dedup

import (
	"testing"
	"time"
)

func TestWindow(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	w := NewWindow(time.Hour, t0)
	a, b := Key("1852345678901234567"), Key("1852345678901234568")
	if a == b {
		t.Fatal("distinct ids hash equal")
	}
	if w.Seen(a, t0) {
		t.Fatal("first sight reported as duplicate")
	}
	if !w.Seen(a, t0.Add(time.Minute)) {
		t.Fatal("second sight not reported")
	}
	if w.Seen(b, t0.Add(59*time.Minute)) {
		t.Fatal("b is new")
	}
	// After one rotation both are still remembered (previous generation).
	if !w.Seen(a, t0.Add(90*time.Minute)) || !w.Seen(b, t0.Add(90*time.Minute)) {
		t.Fatal("keys forgotten before the span elapsed")
	}
	// a and b were re-added at 90m; nothing at all seen for > 2 spans forgets them.
	if w.Seen(a, t0.Add(5*time.Hour)) {
		t.Fatal("key remembered after 2 spans of silence")
	}
	if w.Len() != 1 {
		t.Fatalf("Len = %d, want 1", w.Len())
	}
	w.Add(b, t0.Add(5*time.Hour))
	if !w.Seen(b, t0.Add(5*time.Hour)) {
		t.Fatal("Add did not remember")
	}
}

func BenchmarkSeen(b *testing.B) {
	t0 := time.Now()
	w := NewWindow(time.Hour, t0)
	b.ReportAllocs()
	i := uint64(0)
	for b.Loop() {
		i++
		w.Seen(i*0x9E3779B97F4A7C15, t0)
	}
}
