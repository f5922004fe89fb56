package stream

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"earshot/sink"
	"earshot/stream/alert"
	"earshot/stream/burst"
)

// fakeMentions is a MentionSource over rows sorted by created_at.
type fakeMentions struct {
	rows                    []sink.Mention
	err                     error
	since, ingestB, recentB time.Time
}

func (f *fakeMentions) NewestMention(_ context.Context, _ string, createdBy, ingestedBefore time.Time) (time.Time, error) {
	if f.err != nil {
		return time.Time{}, f.err
	}
	var newest time.Time
	for i := range f.rows {
		if at := f.rows[i].CreatedAt.Truncate(time.Second); !at.After(createdBy) && at.After(newest) {
			newest = at
		}
	}
	f.ingestB = ingestedBefore
	return newest, nil
}

func (f *fakeMentions) RecentMentions(_ context.Context, _ string, since, ingestedBefore time.Time, fn func(m *sink.Mention) error) error {
	f.since, f.recentB = since, ingestedBefore
	for i := range f.rows {
		if !f.rows[i].CreatedAt.Before(since) {
			if err := fn(&f.rows[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// TestDetectionWarmUp replays 31.5 minutes of stored mentions into a fresh
// detector, then feeds the live burst: the trigger must come within the
// burst's first minute, which a cold detector cannot do.
func TestDetectionWarmUp(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	wall := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var stored []sink.Mention
	for s := 0; s < 31*60+30; s += 10 { // a post every 10 s matching two rules
		at := t0.Add(time.Duration(s)*time.Second + 250*time.Millisecond)
		id := strconv.Itoa(s)
		stored = append(stored,
			sink.Mention{RuleID: "other", PostID: id, CreatedAt: at, Text: "x"},
			sink.Mention{RuleID: "quake", PostID: id, CreatedAt: at, Text: "quake here"})
	}
	live := func(d *detection) {
		bt := &detectBatch{partition: 0}
		for s := 31*60 + 30; s < 34*60; s++ {
			at := t0.Add(time.Duration(s) * time.Second)
			bt.ticks = append(bt.ticks, tick{at: at, n: 1})
			n := 0
			if s%10 == 0 {
				n = 1
			}
			if s >= 32*60 {
				n = 3
			}
			for range n {
				m := sink.Mention{RuleID: "quake", PostID: "q", CreatedAt: at, Text: "quake now"}
				bt.events = append(bt.events, mentionEvent(&m, false))
			}
			bt.latest = at
		}
		d.apply(bt)
		d.advance(context.Background())
	}
	epoch := wall.Add(time.Second) // the pipeline's bound: the second after the run started
	for _, tc := range []struct {
		name         string
		src          *fakeMentions
		storedBefore time.Time
		trigger      bool
	}{
		{"warm", &fakeMentions{rows: stored}, time.Time{}, true},
		{"warm, bounded by the writer's first second", &fakeMentions{rows: stored}, epoch, true},
		{"no source", nil, time.Time{}, false},
		{"source fails", &fakeMentions{rows: stored, err: errors.New("down")}, time.Time{}, false},
		{"nothing stored", &fakeMentions{}, time.Time{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			det, err := burst.New(burst.Config{Scopes: []string{alert.ScopeRule}})
			if err != nil {
				t.Fatal(err)
			}
			rec := &alertRecorder{}
			d := &detection{det: det, store: rec, idle: 10 * time.Second, m: newMetrics(nil), log: slog.New(slog.DiscardHandler),
				stats: &Stats{}, now: func() time.Time { return wall }, backof: time.Millisecond, topic: "posts",
				warmH: newWarmupHistogram(nil), storedBefore: tc.storedBefore}
			if tc.src != nil {
				d.src = tc.src
			}
			d.parts = map[int]*partClock{}
			d.warmUp(context.Background())
			if tc.src != nil && tc.src.rows != nil && tc.src.err == nil {
				newest := t0.Add(31*time.Minute + 20*time.Second)
				if want := newest.Add(time.Second - time.Nanosecond); !d.wm.Equal(want) {
					t.Errorf("watermark after warm-up %v, want %v", d.wm, want)
				}
				if want := newest.Add(time.Second - time.Nanosecond - WarmupSpan); !tc.src.since.Equal(want) {
					t.Errorf("replayed since %v, want %v", tc.src.since, want)
				}
				want := wall // without a bound: the warm-up's start
				if !tc.storedBefore.IsZero() {
					want = tc.storedBefore
				}
				if !tc.src.ingestB.Equal(want) || !tc.src.recentB.Equal(want) {
					t.Errorf("ingested before %v and %v, want %v", tc.src.ingestB, tc.src.recentB, want)
				}
			}
			if len(rec.got) != 0 {
				t.Fatalf("alerts from the background: %+v", rec.got)
			}
			live(d)
			var trig *alert.Alert
			for i := range rec.got {
				if rec.got[i].Rule == "quake" && rec.got[i].Kind == alert.KindTrigger {
					trig = &rec.got[i]
					break
				}
			}
			if !tc.trigger {
				if trig != nil {
					t.Fatalf("a cold detector triggered at %v", trig.DetectedAt)
				}
				return
			}
			if trig == nil {
				t.Fatalf("no trigger after the warm-up; got %+v", rec.got)
			}
			if at := trig.DetectedAt.Sub(t0); at < 32*time.Minute || at > 33*time.Minute {
				t.Errorf("trigger detected at +%s, want within the burst's first minute (+32m)", at)
			}
		})
	}
}

func TestMentionEvent(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		m    sink.Mention
		want burst.Event
	}{
		{"original", sink.Mention{RuleID: "r", PostID: "1", CreatedAt: at, AuthorID: "a", Text: "sismo ñ", Country: "MX",
			Cell: "9g3w7", Lat: 19.4, Lon: -99.1, GeoTier: 3},
			burst.Event{Rule: "r", PostID: "1", At: at, AuthorID: "a", Original: true, TextLen: 7, Text: "sismo ñ",
				Country: "MX", Cell: "9g3w7", Lat: 19.4, Lon: -99.1, Tier: 3}},
		{"repost", sink.Mention{RuleID: "r", IsRepost: true, Text: "x"}, burst.Event{Rule: "r", TextLen: 1, Text: "x"}},
		{"quote reply", sink.Mention{RuleID: "r", IsQuote: true, IsReply: true}, burst.Event{Rule: "r", Reply: true}},
	} {
		if got := mentionEvent(&tc.m, false); got != tc.want {
			t.Errorf("%s: mentionEvent = %+v, want %+v", tc.name, got, tc.want)
		}
	}
	for text, want := range map[string]bool{"see https://x.co": true, "http://a": true, "no link": false, "https:/": false} {
		if got := textHasLink(text); got != want {
			t.Errorf("textHasLink(%q) = %v, want %v", text, got, want)
		}
	}
}

// BenchmarkDetectionWarmUp measures the detector side of the warm-up (the
// query excluded): 100,000 mentions over 35 minutes, 20 rules, 3 scopes.
func BenchmarkDetectionWarmUp(b *testing.B) {
	const n = 100_000
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	rows := make([]sink.Mention, n)
	cells := []string{"9g3w7", "9g3q1", "9ewm2", "9u8d4"}
	for i := range rows {
		rows[i] = sink.Mention{RuleID: "r" + strconv.Itoa(i%20), PostID: strconv.Itoa(i), AuthorID: strconv.Itoa(i % 5000),
			CreatedAt: t0.Add(time.Duration(i) * (WarmupSpan / n)), Country: "MX", Cell: cells[i%len(cells)],
			Lat: 19.4, Lon: -99.1, GeoTier: 3, Text: "sismo fuerte en la ciudad ahora mismo"}
	}
	wall := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		det, err := burst.New(burst.Config{})
		if err != nil {
			b.Fatal(err)
		}
		d := &detection{det: det, idle: 10 * time.Second, m: newMetrics(nil), log: slog.New(slog.DiscardHandler),
			stats: &Stats{}, now: func() time.Time { return wall }, topic: "posts", src: &fakeMentions{rows: rows}}
		d.warmUp(context.Background())
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "mentions/s")
}

// raisedRecorder is an alertRecorder that knows which alerts an earlier run
// stored.
type raisedRecorder struct {
	alertRecorder
	ids   map[string]bool
	err   error
	since time.Time
}

func (r *raisedRecorder) AlertIDs(_ context.Context, since time.Time) (map[string]bool, error) {
	r.since = since
	return r.ids, r.err
}

// TestWarmUpSkipsRaisedAlerts: a burst among the stored mentions is raised
// again by the warm-up's replay, with the ids the earlier run gave it; the
// alerts the store already holds are not stored or sent again, the others
// are, and a store that cannot say gets them all.
func TestWarmUpSkipsRaisedAlerts(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	var stored []sink.Mention
	for s := 0; s < 34*60; s++ { // background every 10 s, then a burst from +32m
		n := 0
		if s%10 == 0 {
			n = 1
		}
		if s >= 32*60 {
			n = 3
		}
		for i := range n {
			stored = append(stored, sink.Mention{RuleID: "quake", PostID: strconv.Itoa(s*10 + i),
				CreatedAt: t0.Add(time.Duration(s) * time.Second), Text: "quake here"})
		}
	}
	warm := func(store AlertStore) *detection {
		det, err := burst.New(burst.Config{Scopes: []string{alert.ScopeRule}})
		if err != nil {
			t.Fatal(err)
		}
		d := &detection{det: det, store: store, idle: 10 * time.Second, m: newMetrics(nil), log: slog.New(slog.DiscardHandler),
			stats: &Stats{}, now: func() time.Time { return t0.Add(time.Hour) }, backof: time.Millisecond, topic: "posts",
			warmH: newWarmupHistogram(nil), src: &fakeMentions{rows: stored}, parts: map[int]*partClock{}}
		d.warmUp(context.Background())
		return d
	}
	first := &alertRecorder{}
	warm(first)
	if len(first.got) < 2 {
		t.Fatalf("the replayed burst raised %d alerts, want a trigger and follow-ups", len(first.got))
	}
	ids := map[string]bool{}
	for _, a := range first.got {
		ids[a.ID] = true
	}

	again := &raisedRecorder{ids: ids}
	d := warm(again)
	if len(again.got) != 0 || d.stats.Alerts.Load() != 0 {
		t.Errorf("alerts raised before were delivered again: %+v", again.got)
	}
	if want := t0.Add(34*time.Minute - time.Nanosecond - WarmupSpan - time.Minute); !again.since.Equal(want) {
		t.Errorf("asked for the alerts since %v, want %v", again.since, want)
	}

	delete(ids, first.got[len(first.got)-1].ID) // the last one the earlier run did not store
	partly := &raisedRecorder{ids: ids}
	warm(partly)
	if len(partly.got) != 1 || partly.got[0].ID != first.got[len(first.got)-1].ID {
		t.Errorf("delivered %+v, want the one alert not stored before", partly.got)
	}

	failing := &raisedRecorder{err: errors.New("down")}
	warm(failing)
	if len(failing.got) != len(first.got) {
		t.Errorf("store that cannot say: %d alerts delivered, want all %d", len(failing.got), len(first.got))
	}
}
