package stream_test

import (
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"earshot/bench/firehose"
	"earshot/match"
	"earshot/stream"
	"earshot/stream/alert"
	"earshot/stream/burst"
)

// TestPipelineDetectorWarmup stops the pipeline after 31.5 minutes of
// generated event time are stored, before the earthquake burst, and starts
// a new pipeline (a new detector, the same group) for the rest: the burst's
// trigger must be raised by the second pipeline, whose own posts cover only
// 1.5 minutes — too little for a cold detector (it needs 31) — so it can
// only fire from the state rebuilt from the stored mentions.
func TestPipelineDetectorWarmup(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	terms := firehose.Rules(60)
	e := newEnv(t, ctx, terms)

	stopAt := 31*time.Minute + 30*time.Second
	msgs, created, _ := burstStream(t, terms)
	var before, after []kafka.Message
	for i, m := range msgs {
		if created[i].Before(burstStart.Add(stopAt)) {
			before = append(before, m)
		} else {
			after = append(after, m)
		}
	}
	t0 := time.Now()

	// run consumes until want posts are consumed and stored (and, with
	// alerts, an alert is raised), then stops; it returns the alerts raised.
	run := func(name string, want int, alerts bool) int64 {
		det, err := burst.New(burst.Config{})
		if err != nil {
			t.Fatal(err)
		}
		pl, err := stream.New(stream.Config{
			Brokers: e.brokers, Topic: e.topic, Group: e.topic + "-g",
			BatchInterval: 300 * time.Millisecond, BatchRows: 20000, ChunkMessages: 1000,
			SessionTimeout: 6 * time.Second, ShutdownTimeout: 20 * time.Second,
		}, stream.Deps{Engine: func() *match.Engine { return e.engine }, Store: e.store, Enricher: e.en,
			Detector: det, AlertStore: e.store})
		if err != nil {
			t.Fatal(err)
		}
		rctx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- pl.Run(rctx) }()
		st := pl.Stats()
		var caughtUp time.Time // all consumed and stored: alerts get 10 s more
		for deadline := time.Now().Add(40 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			if st.Consumed.Load() >= int64(want) && st.Inserted.Load() == st.Mentions.Load() {
				if !alerts || st.Alerts.Load() > 0 {
					break
				}
				if caughtUp.IsZero() {
					caughtUp = time.Now()
				}
			}
			if time.Now().After(deadline) || (!caughtUp.IsZero() && time.Since(caughtUp) > 10*time.Second) {
				stop()
				<-done
				t.Fatalf("%s pipeline timed out: consumed %d of %d, inserted %d of %d mentions, %d alerts",
					name, st.Consumed.Load(), want, st.Inserted.Load(), st.Mentions.Load(), st.Alerts.Load())
			}
		}
		stop()
		if err := <-done; err != nil {
			t.Errorf("%s pipeline: %v", name, err)
		}
		t.Logf("%s pipeline: consumed %d, %d mentions, %d alerts, %s after the start", name,
			st.Consumed.Load(), st.Mentions.Load(), st.Alerts.Load(), time.Since(t0).Round(time.Millisecond))
		return st.Alerts.Load()
	}

	e.produce(t, ctx, before)
	if n := run("first", len(before), false); n != 0 {
		t.Fatalf("first pipeline raised %d alerts before the burst, want 0", n)
	}
	e.produce(t, ctx, after)
	run("second", len(after), true)

	stored, err := e.store.Alerts(ctx, burstStart, 0)
	if err != nil {
		t.Fatal(err)
	}
	var want *alert.Alert
	for i := range stored {
		a := &stored[i]
		if a.Kind == alert.KindTrigger && a.Rule == "sismo" && a.Scope == alert.ScopeCountry && a.Country == "MX" {
			want = a
		}
	}
	if want == nil {
		t.Fatalf("no trigger for sismo in MX in the alerts table; got %+v", stored)
	}
	if d := want.DetectedAt.Sub(burstStart.Add(burstAt)); d < 0 || d > time.Minute {
		t.Errorf("alert detected %s after the burst started, want within a minute", d)
	}
	t.Logf("alerts stored %d, total %s", len(stored), time.Since(t0).Round(time.Millisecond))
}
