package stream_test

import (
	"context"
	"testing"
	"time"

	"earshot/bench/e2e"
	"earshot/bench/firehose"
	"earshot/match"
	"earshot/stream"
	"earshot/stream/alert"
	"earshot/stream/burst"
)

// TestPipelineDetectOnly runs the generated 33 minutes (background, then the
// earthquake burst in Mexico) through two pipelines of the writing group,
// detector off, and one detect-only pipeline in a group of its own. The
// writing group must store exactly the ground truth, the detect-only one
// nothing at all, and the burst's alert must reach the alerts table.
func TestPipelineDetectOnly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	terms := firehose.Rules(60)
	e := newEnv(t, ctx, terms)

	msgs, _, truth := burstStream(t, terms)

	// Without a detector, detect-only is refused.
	if _, err := stream.New(stream.Config{Brokers: e.brokers, Topic: e.topic, DetectOnly: true},
		stream.Deps{Engine: func() *match.Engine { return e.engine }, Store: e.store, Enricher: e.en}); err == nil {
		t.Error("detect-only without a detector: no error")
	}

	disp, err := alert.NewDispatcher(alert.DispatcherConfig{})
	if err != nil {
		t.Fatal(err)
	}
	det, err := burst.New(burst.Config{})
	if err != nil {
		t.Fatal(err)
	}
	dpl, err := stream.New(stream.Config{
		Brokers: e.brokers, Topic: e.topic, Group: e.topic + "-detect", DetectOnly: true,
		BatchInterval: 300 * time.Millisecond, ChunkMessages: 1000,
		SessionTimeout: 6 * time.Second, ShutdownTimeout: 20 * time.Second,
	}, stream.Deps{Engine: func() *match.Engine { return e.engine }, Store: e.store, Enricher: e.en,
		Detector: det, AlertStore: e.store, AlertSender: disp})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- dpl.Run(rctx) }()
	// The detector warms up from an empty table before the writers start,
	// as it would from the writers' mentions in production.
	waitFor(t, 30*time.Second, "the detect-only pipeline to own its partitions", dpl.Ready)
	time.Sleep(500 * time.Millisecond)

	pl1, _, stop1 := e.pipeline(t, e.topic+"-g")
	pl2, _, stop2 := e.pipeline(t, e.topic+"-g")
	waitFor(t, 30*time.Second, "the writing group's members to own partitions", func() bool {
		return pl1.Ready() && pl2.Ready()
	})
	e.produce(t, ctx, msgs)
	s1, s2, ds := pl1.Stats(), pl2.Stats(), dpl.Stats()
	waitFor(t, 75*time.Second, "both groups to consume everything and the alert", func() bool {
		return s1.Consumed.Load()+s2.Consumed.Load() >= int64(len(msgs)) &&
			s1.Inserted.Load()+s2.Inserted.Load() == s1.Mentions.Load()+s2.Mentions.Load() &&
			s1.Lag()+s2.Lag() == 0 && ds.Consumed.Load() >= int64(len(msgs)) && ds.Alerts.Load() > 0
	})
	stop1()
	stop2()
	stop()
	if err := <-done; err != nil {
		t.Errorf("detect-only pipeline: %v", err)
	}
	if err := disp.Close(ctx); err != nil {
		t.Errorf("dispatcher: %v", err)
	}
	if s1.Alerts.Load()+s2.Alerts.Load() != 0 {
		t.Errorf("the writing group raised alerts without a detector")
	}
	if got := ds.Inserted.Load(); got != 0 {
		t.Errorf("detect-only pipeline inserted %d rows", got)
	}

	raw, err := e.store.RawCount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if raw != uint64(truth.Mentions) {
		t.Errorf("raw mentions: %d rows, want the ground truth %d", raw, truth.Mentions)
	}
	e2e.CompareTruth(t, ctx, e.store, truth)

	stored, err := e.store.Alerts(ctx, burstStart, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for i := range stored {
		a := &stored[i]
		found = found || (a.Kind == alert.KindTrigger && a.Rule == "sismo" && a.Scope == alert.ScopeCountry && a.Country == "MX")
	}
	if !found {
		t.Errorf("no trigger for sismo in MX in the alerts table; got %+v", stored)
	}
	t.Logf("posts %d, mentions %d (writers %d+%d), detect-only consumed %d, alerts %d stored",
		len(msgs), raw, s1.Mentions.Load(), s2.Mentions.Load(), ds.Consumed.Load(), len(stored))
}
