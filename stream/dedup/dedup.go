// Package dedup remembers which posts a partition owner has already counted,
// so a post delivered twice — by the firehose itself or by a Kafka replay —
// yields its mentions once.
//
// Window is an exact set of 64-bit post-id hashes with a sliding expiry made
// of two generations: a key is remembered for at least Span and at most
// 2×Span after it was last added, so memory is bounded by the posts seen in
// 2×Span. A false duplicate needs two distinct ids with the same 64-bit
// xxhash: about n²/2⁶⁵, under 3e-6 with 10M keys remembered.
//
// A Window belongs to one goroutine (the owner of one Kafka partition); it is
// not safe for concurrent use.
package dedup

import (
	"time"

	"github.com/cespare/xxhash/v2"
)

// Window is a two-generation set of remembered keys.
type Window struct {
	span      time.Duration
	rotatedAt time.Time
	cur, prev map[uint64]struct{}
}

// NewWindow returns an empty window remembering keys for span (≥ 1s).
func NewWindow(span time.Duration, now time.Time) *Window {
	if span < time.Second {
		span = time.Second
	}
	return &Window{span: span, rotatedAt: now, cur: map[uint64]struct{}{}, prev: map[uint64]struct{}{}}
}

// Key hashes a post id.
func Key(id string) uint64 { return xxhash.Sum64String(id) }

// Seen reports whether key was added within the window, and adds it.
func (w *Window) Seen(key uint64, now time.Time) bool {
	w.rotate(now)
	if _, ok := w.cur[key]; ok {
		return true
	}
	_, ok := w.prev[key]
	w.cur[key] = struct{}{}
	return ok
}

// Add remembers key without testing it (warm-up after a restart).
func (w *Window) Add(key uint64, now time.Time) {
	w.rotate(now)
	w.cur[key] = struct{}{}
}

// Len is the number of keys remembered.
func (w *Window) Len() int { return len(w.cur) + len(w.prev) }

func (w *Window) rotate(now time.Time) {
	if now.Sub(w.rotatedAt) < w.span {
		return
	}
	if now.Sub(w.rotatedAt) >= 2*w.span {
		clear(w.prev)
	} else {
		w.prev = w.cur
	}
	w.cur = make(map[uint64]struct{}, len(w.prev))
	w.rotatedAt = now
}
