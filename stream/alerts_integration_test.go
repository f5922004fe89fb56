package stream_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"earshot/bench/firehose"
	"earshot/match"
	"earshot/stream"
	"earshot/stream/alert"
	"earshot/stream/burst"
)

// TestPipelineAlertsAndRoutes runs 33 minutes of generated event time (31
// minutes of background to warm the detector up, then the default
// earthquake burst in Mexico) through real Kafka, the pipeline with its
// burst detector, and real ClickHouse. It requires the burst's alert in the
// alerts table, on the alerts topic and at a signed webhook, and the routed
// rule's mentions — only those — on its route topic.
func TestPipelineAlertsAndRoutes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	terms := firehose.Rules(60)
	// YAML rules: the term is the id and the query; "sismo" is routed.
	var y strings.Builder
	y.WriteString("rules:\n")
	for _, term := range terms {
		fmt.Fprintf(&y, "  - id: %s\n    query: %s\n", strconv.Quote(term), strconv.Quote(term))
		if term == "sismo" {
			y.WriteString("    route: crisis-desk\n    name: Sismos\n    tags: [disaster, es]\n    level: primary\n")
		}
	}
	e := newEnv(t, ctx, nil)
	parsed, err := match.Parse("rules.yaml", []byte(y.String()))
	if err != nil {
		t.Fatal(err)
	}
	if e.engine, err = match.Compile(parsed); err != nil {
		t.Fatal(err)
	}
	prefix := "it-route-" + e.topic + "."
	routeTopic, alertsTopic := prefix+"crisis-desk", e.topic+".alerts"
	if err := stream.EnsureTopics(ctx, e.brokers, stream.Security{}, 2, 1, routeTopic, alertsTopic); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c := &kafka.Client{Addr: kafka.TCP(e.brokers...)}
		c.DeleteTopics(context.Background(), &kafka.DeleteTopicsRequest{Topics: []string{routeTopic, alertsTopic}})
	})

	msgs, _, _ := burstStream(t, terms)
	t0 := time.Now()
	e.produce(t, ctx, msgs)
	t.Logf("produced %d posts in %s", len(msgs), time.Since(t0).Round(time.Millisecond))

	const secret = "s3cret"
	var mu sync.Mutex
	var hooks []alert.Alert
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !hmac.Equal([]byte(r.Header.Get(alert.SignatureHeader)), []byte(alert.Sign(secret, body))) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var a alert.Alert
		if err := json.Unmarshal(body, &a); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		hooks = append(hooks, a)
		mu.Unlock()
	}))
	defer srv.Close()
	hook, err := alert.NewWebhook(alert.WebhookConfig{URL: srv.URL, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	kt, err := alert.NewKafka(alert.KafkaConfig{Brokers: e.brokers, Topic: alertsTopic})
	if err != nil {
		t.Fatal(err)
	}
	defer kt.Close()
	disp, err := alert.NewDispatcher(alert.DispatcherConfig{}, kt, hook)
	if err != nil {
		t.Fatal(err)
	}
	det, err := burst.New(burst.Config{})
	if err != nil {
		t.Fatal(err)
	}

	pl, err := stream.New(stream.Config{
		Brokers: e.brokers, Topic: e.topic, Group: e.topic + "-g", RouteTopicPrefix: prefix,
		BatchInterval: 300 * time.Millisecond, BatchRows: 20000, ChunkMessages: 1000,
		SessionTimeout: 6 * time.Second, ShutdownTimeout: 20 * time.Second,
	}, stream.Deps{Engine: func() *match.Engine { return e.engine }, Store: e.store, Enricher: e.en,
		Detector: det, AlertStore: e.store, AlertSender: disp})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- pl.Run(rctx) }()
	st := pl.Stats()
	for deadline := time.Now().Add(75 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if st.Consumed.Load() >= int64(len(msgs)) && st.Inserted.Load() == st.Mentions.Load() && st.Alerts.Load() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out: consumed %d of %d, inserted %d of %d mentions, %d alerts",
				st.Consumed.Load(), len(msgs), st.Inserted.Load(), st.Mentions.Load(), st.Alerts.Load())
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("pipeline: %v", err)
	}
	if err := disp.Close(ctx); err != nil {
		t.Errorf("dispatcher: %v", err)
	}
	t.Logf("pipeline done %s after the start: %d alerts", time.Since(t0).Round(time.Millisecond), st.Alerts.Load())

	isBurst := func(a *alert.Alert) bool {
		return a.Kind == alert.KindTrigger && a.Rule == "sismo" && a.Scope == alert.ScopeCountry && a.Country == "MX"
	}
	stored, err := e.store.Alerts(ctx, burstStart, 0)
	if err != nil {
		t.Fatal(err)
	}
	var want *alert.Alert
	for i := range stored {
		if isBurst(&stored[i]) {
			want = &stored[i]
		}
	}
	if want == nil {
		t.Fatalf("no trigger for sismo in MX in the alerts table; got %+v", stored)
	}
	if d := want.DetectedAt.Sub(burstStart.Add(burstAt)); d < 0 || d > time.Minute {
		t.Errorf("alert detected %s after the burst started, want within a minute", d)
	}

	// The alerts topic holds it, keyed by rule and region.
	found := false
	for _, m := range readTopic(t, ctx, e.brokers, alertsTopic, 2) {
		var a alert.Alert
		if json.Unmarshal(m.Value, &a) == nil && a.ID == want.ID {
			found = bytes.Equal(m.Key, []byte("sismo\x00MX"))
			break
		}
	}
	if !found {
		t.Errorf("alert %s not on the alerts topic %s (keyed sismo/MX)", want.ID, alertsTopic)
	}

	mu.Lock()
	gotHook := false
	for i := range hooks {
		gotHook = gotHook || hooks[i].ID == want.ID
	}
	mu.Unlock()
	if !gotHook {
		t.Errorf("webhook did not receive alert %s with a valid signature (%d received)", want.ID, len(hooks))
	}

	// The route topic holds sismo's mentions, and nothing else.
	routed := 0
	for _, m := range readTopic(t, ctx, e.brokers, routeTopic, 2) {
		var rm stream.RoutedMention
		if err := json.Unmarshal(m.Value, &rm); err != nil || rm.Rule != "sismo" || rm.Route != "crisis-desk" ||
			rm.RuleName != "Sismos" || strings.Join(rm.Tags, ",") != "disaster,es" || rm.Level != "primary" ||
			rm.PostID == "" || (rm.Author.ID != "" && string(m.Key) != rm.Author.ID) {
			t.Fatalf("unexpected routed message key %q: %s (%v)", m.Key, m.Value, err)
		}
		routed++
	}
	var sismo uint64
	rules, err := e.store.TopRules(ctx, burstStart, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, rc := range rules {
		if rc.Rule == "sismo" {
			sismo = rc.Mentions
		}
	}
	if routed == 0 || uint64(routed) < sismo {
		t.Errorf("route topic: %d messages, want at least the %d sismo mentions", routed, sismo)
	}
	t.Logf("alerts stored %d, webhook %d, routed %d (sismo mentions %d), total %s", len(stored), len(hooks), routed, sismo, time.Since(t0).Round(time.Millisecond))
}
