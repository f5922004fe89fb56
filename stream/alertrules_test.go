package stream

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"earshot/match"
	"earshot/sink"
	"earshot/stream/alert"
	"earshot/stream/burst"
)

// cooldownSender records the alerts sent and the cooldowns set.
type cooldownSender struct {
	sent      []alert.Alert
	cooldowns map[string]time.Duration
	sets      int
}

func (s *cooldownSender) Send(a *alert.Alert) (bool, error) {
	s.sent = append(s.sent, *a)
	return true, nil
}

func (s *cooldownSender) SetCooldowns(m map[string]time.Duration) { s.cooldowns, s.sets = m, s.sets+1 }

func engineWith(t *testing.T, a *match.Alert) *match.Engine {
	t.Helper()
	e, err := match.Compile([]match.Rule{{ID: "brand", Name: "Console outages", Query: "xbox", Enabled: true, Alert: a,
		Tags: []string{"support", "en"}, Level: "primary", Route: "support"},
		{ID: "sismo", Query: "sismo", Enabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestDetectionTakesRules: the detection gives the detector the alert
// settings of the rules in force, at start and after each reload, and the
// sender their cooldowns. A quiet brand topic's spike (6 posts a minute
// over 0.5) stays under the default floor; the floor of 2 reloaded right
// after it triggers at once on the counts kept; `alert: off` then keeps a
// second spike quiet.
func TestDetectionTakesRules(t *testing.T) {
	det, err := burst.New(burst.Config{Scopes: []string{alert.ScopeRule}})
	if err != nil {
		t.Fatal(err)
	}
	var cur atomic.Pointer[match.Engine]
	cur.Store(engineWith(t, nil))
	wall := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := &alertRecorder{}
	snd := &cooldownSender{}
	d := &detection{det: det, engine: cur.Load, store: rec, sender: snd, in: make(chan *detectBatch),
		idle: time.Hour, m: newMetrics(nil), log: slog.New(slog.DiscardHandler),
		stats: &Stats{}, now: func() time.Time { return wall }, backof: time.Millisecond}
	done := make(chan struct{})
	go func() { defer close(done); d.run(context.Background()) }()
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	spike := func(min int) bool { return min >= 40 && min < 43 || min >= 50 && min < 53 }
	// minutes hands the detection minutes [a, b), a batch a minute: a post
	// a second, a brand event every 2 minutes, 6 a minute in the spikes.
	// The channel is unbuffered, so a batch handed over is one the
	// detection has taken: what it did with the one before is done; the
	// last is done once the channel is closed and run returned.
	minutes := func(a, b int) {
		for m := a; m < b; m++ {
			bt := &detectBatch{partition: 0}
			for s := m * 60; s < (m+1)*60; s++ {
				at := t0.Add(time.Duration(s) * time.Second)
				bt.ticks = append(bt.ticks, tick{at: at, n: 1})
				if s%120 == 0 || spike(m) && s%10 == 0 {
					bt.events = append(bt.events, burst.Event{Rule: "brand", At: at, Original: true, TextLen: 20, PostID: "x"})
				}
				bt.latest = at
			}
			d.in <- bt
		}
	}
	// settle makes sure the batches handed over are done.
	settle := func() { d.in <- &detectBatch{partition: 1, leave: true} }
	minutes(0, 43)
	settle()
	if len(rec.got) != 0 {
		t.Fatalf("alerts under the default floor: %+v", rec.got)
	}
	if snd.sets != 1 || len(snd.cooldowns) != 0 {
		t.Errorf("cooldowns set %d times, %v; want once, none", snd.sets, snd.cooldowns)
	}

	cur.Store(engineWith(t, &match.Alert{Floor: 2, Cooldown: time.Hour}))
	minutes(43, 44)
	settle()
	if len(rec.got) != 1 || rec.got[0].Rule != "brand" || rec.got[0].DetectedAt.After(t0.Add(43*time.Minute+10*time.Second)) {
		t.Fatalf("alerts after the reload: %+v, want brand's at once", rec.got)
	}
	if len(snd.sent) != 1 || snd.sent[0].RuleName != "Console outages" || strings.Join(snd.sent[0].Tags, ",") != "support,en" ||
		snd.sent[0].Level != "primary" || snd.sent[0].Route != "support" {
		t.Errorf("alert sent %+v, want the rule's name, tags, level and route", snd.sent)
	}
	if snd.sets != 2 || snd.cooldowns["brand"] != time.Hour || len(snd.cooldowns) != 1 {
		t.Errorf("cooldowns %v (set %d times), want brand's hour", snd.cooldowns, snd.sets)
	}
	minutes(44, 46) // the same engine: nothing set again
	settle()
	if snd.sets != 2 {
		t.Errorf("cooldowns set %d times without a reload", snd.sets)
	}

	cur.Store(engineWith(t, &match.Alert{Off: true}))
	minutes(46, 60)
	close(d.in)
	<-done
	if len(rec.got) != 1 {
		t.Errorf("alerts after brand's alerts went off: %+v", rec.got[1:])
	}
	if d.warmupSpan() != WarmupSpan {
		t.Errorf("warm-up span %v with default windows, want %v", d.warmupSpan(), WarmupSpan)
	}
	cur.Store(engineWith(t, &match.Alert{LongWindow: 2 * time.Hour}))
	d.takeRules()
	if want := 2*time.Hour + 5*time.Minute; d.warmupSpan() != want {
		t.Errorf("warm-up span %v with a 2h long window, want %v", d.warmupSpan(), want)
	}
}

// TestCheckAlerts: settings the detector refuses reject the rules, at the
// rule's `alert:`.
func TestCheckAlerts(t *testing.T) {
	check := CheckAlerts(burst.Config{})
	ok := []match.Rule{{ID: "a", Alert: &match.Alert{Floor: 2}}, {ID: "b"}}
	if err := check(ok); err != nil {
		t.Fatal(err)
	}
	bad := []match.Rule{{ID: "a", Alert: &match.Alert{Threshold: 0.2, Pos: match.Pos{File: "r.yaml", Line: 7, Col: 12}}}}
	err := check(bad)
	want := `r.yaml:7:12: alert settings of rule "a": rearm 0.25 must be at least 0 and below the threshold 0.2`
	if err == nil || err.Error()[:min(len(want), len(err.Error()))] != want {
		t.Fatalf("err %v, want %s…", err, want)
	}
}

// TestWarmUpTakesRules: the rules' alert settings are the detector's
// before the warm-up replays the stored mentions: a floor of 2 raises the
// stored spike of a quiet topic, and a rule's long window lengthens the
// span replayed.
func TestWarmUpTakesRules(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	var stored []sink.Mention
	for s := 0; s < 43*60; s += 10 {
		if s%120 == 0 || s >= 40*60 {
			at := t0.Add(time.Duration(s) * time.Second)
			stored = append(stored, sink.Mention{RuleID: "brand", PostID: strconv.Itoa(s), CreatedAt: at, Text: "xbox down"})
		}
	}
	newest := stored[len(stored)-1].CreatedAt.Add(time.Second - time.Nanosecond)
	for _, tc := range []struct {
		name   string
		alert  *match.Alert
		span   time.Duration
		alerts int
	}{
		{"defaults", nil, WarmupSpan, 0},
		{"floor 2", &match.Alert{Floor: 2}, WarmupSpan, 1},
		{"long window", &match.Alert{LongWindow: 2 * time.Hour}, 2*time.Hour + 5*time.Minute, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			det, err := burst.New(burst.Config{Scopes: []string{alert.ScopeRule}})
			if err != nil {
				t.Fatal(err)
			}
			e := engineWith(t, tc.alert)
			src := &fakeMentions{rows: stored}
			rec := &alertRecorder{}
			d := &detection{det: det, engine: func() *match.Engine { return e }, store: rec, in: make(chan *detectBatch),
				idle: time.Hour, m: newMetrics(nil), log: slog.New(slog.DiscardHandler), stats: &Stats{},
				now: time.Now, backof: time.Millisecond, topic: "posts", src: src, warmH: newWarmupHistogram(nil)}
			close(d.in)
			d.run(context.Background())
			if want := newest.Add(-tc.span); !src.since.Equal(want) {
				t.Errorf("replayed since %v, want %v", src.since, want)
			}
			if len(rec.got) != tc.alerts {
				t.Errorf("%d alerts from the replay, want %d", len(rec.got), tc.alerts)
			}
		})
	}
}
