package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/segmentio/kafka-go"
)

func testAlert(id, kind, region string) *Alert {
	return &Alert{ID: id, EventID: id, Kind: kind, Rule: "sismo", Scope: ScopeCountry, Country: region,
		DetectedAt: time.Date(2026, 11, 22, 10, 0, 5, 0, time.UTC), Onset: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
		Unit: "posts", STA: 120, LTA: 1.5, Ratio: 8, STACount: 120, LTACount: 45,
		Location: &Location{Cell: "9g3w", Lat: 19.43, Lon: -99.13, Tier: 3, Posts: 12, Country: "MX"},
		Examples: []Example{{ID: "1", At: time.Date(2026, 11, 22, 10, 0, 1, 0, time.UTC), Text: "¡sismo!"}}}
}

func TestJSON(t *testing.T) {
	a := testAlert("9f2c4e1a7b3d5e60", KindTrigger, "MX")
	b, err := a.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"id":"9f2c4e1a7b3d5e60"`, `"scope":"country"`, `"country":"MX"`, `"detected_at":"2026-11-22T10:00:05Z"`,
		`"sta":120`, `"location":{"cell":"9g3w","lat":19.43,"lon":-99.13,"tier":3,"posts":12,"country":"MX"}`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
	var back Alert
	if err := json.Unmarshal(b, &back); err != nil || back.ID != a.ID || back.Location.Lat != 19.43 || back.Region() != "MX" {
		t.Errorf("round trip: %+v, %v", back, err)
	}
}

// TestWebhookHTTP posts to a real httptest server: signature, retries on
// 503, no retry on 400.
func TestWebhookHTTP(t *testing.T) {
	var calls atomic.Int32
	var mu sync.Mutex
	var bodies [][]byte
	var sigs []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies, sigs = append(bodies, b), append(sigs, r.Header.Get(SignatureHeader))
		mu.Unlock()
		switch {
		case strings.HasSuffix(r.URL.Path, "/bad"):
			w.WriteHeader(http.StatusBadRequest)
		case n < 3:
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer srv.Close()

	wh, err := NewWebhook(WebhookConfig{URL: srv.URL + "/hook", Secret: "s3cret", Backoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	a := testAlert("a1", KindTrigger, "MX")
	body, _ := a.AppendJSON(nil)
	if err := wh.Deliver(context.Background(), a, body); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 {
		t.Fatalf("%d attempts, want 3 (two 503s, then 204)", calls.Load())
	}
	for i, s := range sigs {
		if s != Sign("s3cret", bodies[i]) || !strings.HasPrefix(s, "sha256=") || len(s) != 7+64 {
			t.Errorf("attempt %d: signature %q does not match body", i, s)
		}
	}
	// Independent check of the HMAC (RFC 4231-style known answer for this body).
	if Sign("key", []byte("The quick brown fox jumps over the lazy dog")) != "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8" {
		t.Error("Sign is not HMAC-SHA256")
	}

	calls.Store(10)
	bad, _ := NewWebhook(WebhookConfig{URL: srv.URL + "/bad", Backoff: time.Millisecond})
	if err := bad.Deliver(context.Background(), a, body); err == nil || calls.Load() != 11 {
		t.Errorf("400: err %v after %d attempts; want an error after 1", err, calls.Load()-10)
	}
	if _, err := NewWebhook(WebhookConfig{URL: "ftp://x"}); err == nil {
		t.Error("ftp URL accepted")
	}
}

// handlerTransport serves requests in memory (no sockets), so synctest can
// advance its fake clock through timeouts and backoffs.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() { t.h.ServeHTTP(rec, r); close(done) }()
	select {
	case <-done:
		return rec.Result(), nil
	case <-r.Context().Done():
		<-done
		return nil, r.Context().Err()
	}
}

// TestWebhookBackoffAndTimeout: attempts time out after Timeout, retries
// wait Backoff doubling up to MaxBackoff, all in fake time.
func TestWebhookBackoffAndTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var at []time.Duration
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			at = append(at, time.Since(start))
			<-r.Context().Done() // hang until the client gives up
		})
		wh, err := NewWebhook(WebhookConfig{URL: "http://hook.test/x", Timeout: 2 * time.Second, MaxAttempts: 4,
			Backoff: time.Second, MaxBackoff: 3 * time.Second, Client: &http.Client{Transport: handlerTransport{h}}})
		if err != nil {
			t.Fatal(err)
		}
		a := testAlert("a2", KindTrigger, "MX")
		err = wh.Deliver(context.Background(), a, []byte(`{}`))
		if err == nil || len(at) != 4 {
			t.Fatalf("err %v, %d attempts; want a timeout error after 4", err, len(at))
		}
		// Between attempts: the 2s timeout, then a backoff of 1, 2, 3s
		// (doubling, capped by MaxBackoff), each with its own ±20% jitter.
		if at[0] != 0 {
			t.Errorf("first attempt at %v, want at once", at[0])
		}
		for i, backoff := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second} {
			wait := at[i+1] - at[i] - 2*time.Second
			if lo, hi := backoff*8/10, backoff*12/10; wait < lo || wait > hi {
				t.Errorf("backoff before attempt %d: %v, want in [%v, %v]", i+2, wait, lo, hi)
			}
		}
	})
}

type recorder struct {
	mu   sync.Mutex
	name string
	got  []string
	wait chan struct{}
}

func (r *recorder) Name() string { return r.name }
func (r *recorder) Deliver(ctx context.Context, a *Alert, body []byte) error {
	if r.wait != nil {
		select {
		case <-r.wait:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.mu.Lock()
	r.got = append(r.got, a.ID)
	r.mu.Unlock()
	return nil
}

// TestDispatcherCooldown: a second trigger for the same rule × region
// within the cooldown is suppressed with its follow-ups; other regions and
// later triggers pass.
func TestDispatcherCooldown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{name: "rec"}
		d, err := NewDispatcher(DispatcherConfig{Cooldown: 10 * time.Minute}, rec)
		if err != nil {
			t.Fatal(err)
		}
		send := func(a *Alert, want bool) {
			t.Helper()
			ok, err := d.Send(a)
			if err != nil || ok != want {
				t.Errorf("Send(%s %s %s) = %v, %v; want %v", a.ID, a.Kind, a.Region(), ok, err, want)
			}
		}
		send(testAlert("t1", KindTrigger, "MX"), true)
		f := testAlert("f1", KindFollowUp, "MX")
		f.EventID = "t1"
		send(f, true)
		time.Sleep(5 * time.Minute)
		send(testAlert("t2", KindTrigger, "MX"), false)
		f2 := testAlert("f2", KindFollowUp, "MX")
		f2.EventID = "t2"
		send(f2, false)
		send(testAlert("t3", KindTrigger, "CL"), true)
		time.Sleep(6 * time.Minute)
		send(testAlert("t4", KindTrigger, "MX"), true)
		if err := d.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if strings.Join(rec.got, ",") != "t1,f1,t3,t4" {
			t.Errorf("delivered %v, want t1,f1,t3,t4", rec.got)
		}
		if _, err := d.Send(testAlert("t5", KindTrigger, "PE")); err != ErrClosed {
			t.Errorf("Send after Close: %v", err)
		}
	})
}

// TestDispatcherRuleCooldowns: a rule's own cooldown (SetCooldowns)
// replaces the default for that rule only, none (negative) included, and
// a later SetCooldowns replaces the earlier ones.
func TestDispatcherRuleCooldowns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{name: "rec"}
		d, err := NewDispatcher(DispatcherConfig{Cooldown: 10 * time.Minute}, rec)
		if err != nil {
			t.Fatal(err)
		}
		d.SetCooldowns(map[string]time.Duration{"support": time.Hour, "noisy": -1})
		send := func(id, rule string, want bool) {
			t.Helper()
			a := testAlert(id, KindTrigger, "MX")
			a.Rule = rule
			if ok, err := d.Send(a); err != nil || ok != want {
				t.Errorf("Send(%s of %s) = %v, %v; want %v", id, rule, ok, err, want)
			}
		}
		send("s1", "support", true)
		send("q1", "sismo", true)
		send("n1", "noisy", true)
		send("n2", "noisy", true) // no cooldown
		time.Sleep(30 * time.Minute)
		send("s2", "support", false) // within its hour
		send("q2", "sismo", true)    // past the default 10m
		d.SetCooldowns(map[string]time.Duration{"sismo": time.Hour})
		time.Sleep(time.Minute)
		send("s3", "support", true) // back to the default: 31m > 10m
		send("q3", "sismo", false)  // its new hour since q2
		send("n3", "noisy", true)
		send("n4", "noisy", false) // the default again
		if err := d.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(rec.got, ","); got != "s1,q1,n1,n2,q2,s3,n3" {
			t.Errorf("delivered %v", got)
		}
	})
}

// TestDispatcherBoundedQueue: a stuck target drops beyond its queue and
// does not hold up another target; Close with a deadline cancels it.
func TestDispatcherBoundedQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		stuck := &recorder{name: "stuck", wait: make(chan struct{})}
		fast := &recorder{name: "fast"}
		d, err := NewDispatcher(DispatcherConfig{Cooldown: -1, QueueSize: 2, Log: slog.New(slog.DiscardHandler)}, stuck, fast)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 10 {
			if _, err := d.Send(testAlert(string(rune('a'+i)), KindTrigger, "MX")); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := d.Close(ctx); err == nil {
			t.Error("Close returned nil with a stuck target past its deadline")
		}
		if len(fast.got) != 10 {
			t.Errorf("fast target got %d alerts, want 10", len(fast.got))
		}
		if len(stuck.got) != 0 {
			t.Errorf("stuck target delivered %d", len(stuck.got))
		}
	})
}

type failing struct{ name string }

func (f failing) Name() string { return f.name }
func (f failing) Deliver(context.Context, *Alert, []byte) error {
	return errors.New("webhook answered 503")
}

// TestDispatcherLogs: every alert a target does not get is logged with the
// target, the alert and why: given up by a failing target, dropped on a
// stuck target's full queue.
func TestDispatcherLogs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer // written by the owners before Close returns, and by Send
		stuck := &recorder{name: "stuck", wait: make(chan struct{})}
		d, err := NewDispatcher(DispatcherConfig{Cooldown: -1, QueueSize: 1,
			Log: slog.New(slog.NewTextHandler(&logs, nil))}, failing{"webhook1"}, stuck)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"a", "b", "c"} {
			if _, err := d.Send(testAlert(id, KindTrigger, "MX")); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
		}
		close(stuck.wait)
		if err := d.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		out := logs.String()
		for _, id := range []string{"a", "b", "c"} {
			if !strings.Contains(out, `msg="alert not delivered; given up" target=webhook1 alert=`+id) {
				t.Errorf("no line for alert %s given up by webhook1", id)
			}
		}
		if !strings.Contains(out, `err="webhook answered 503"`) {
			t.Error("the target's error is not logged")
		}
		// stuck holds a, queues b, drops c.
		if n := strings.Count(out, `msg="alert queue full; alert dropped for this target" target=stuck`); n != 1 ||
			!strings.Contains(out, "target=stuck alert=c") {
			t.Errorf("%d drop lines for stuck, want 1 for alert c:\n%s", n, out)
		}
		if len(stuck.got) != 2 {
			t.Errorf("stuck delivered %v, want a and b", stuck.got)
		}
	})
}

type fakeWriter struct{ msgs []kafka.Message }

func (f *fakeWriter) WriteMessages(ctx context.Context, m ...kafka.Message) error {
	f.msgs = append(f.msgs, m...)
	return nil
}

func TestKafkaMessage(t *testing.T) {
	fw := &fakeWriter{}
	k := NewKafkaWriter(fw, "kafka:test")
	a := testAlert("id1", KindTrigger, "MX")
	body, _ := a.AppendJSON(nil)
	if err := k.Deliver(context.Background(), a, body); err != nil {
		t.Fatal(err)
	}
	m := fw.msgs[0]
	if string(m.Key) != "sismo\x00MX" || string(m.Value) != string(body) || string(m.Headers[0].Value) != "id1" {
		t.Errorf("message %+v", m)
	}
}

// TestKafkaTopic writes an alert to a real broker (EARSHOT_KAFKA=host:port)
// and reads it back.
func TestKafkaTopic(t *testing.T) {
	addr := os.Getenv("EARSHOT_KAFKA")
	if addr == "" {
		t.Skip("EARSHOT_KAFKA not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	topic := "earshot-alerts-test-" + time.Now().Format("20060102150405.000000")
	conn, err := kafka.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	err = conn.CreateTopics(kafka.TopicConfig{Topic: topic, NumPartitions: 1, ReplicationFactor: 1})
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c := &kafka.Client{Addr: kafka.TCP(addr)}
		c.DeleteTopics(context.Background(), &kafka.DeleteTopicsRequest{Topics: []string{topic}})
	})
	k, err := NewKafka(KafkaConfig{Brokers: []string{addr}, Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDispatcher(DispatcherConfig{}, k)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := d.Send(testAlert("kafka-1", KindTrigger, "MX")); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	k.Close()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, Topic: topic, Partition: 0})
	defer r.Close()
	m, err := r.ReadMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var a Alert
	if err := json.Unmarshal(m.Value, &a); err != nil || a.ID != "kafka-1" {
		t.Fatalf("read back %s: %v", m.Value, err)
	}
}
