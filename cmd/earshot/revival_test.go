package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"earshot/sink"
	"earshot/stream/alert"
)

// TestRunRevivalAlert runs earshot run on real Kafka and ClickHouse over
// two rules that were mentioned five days ago and never since: "brand" and
// "muted" (`alert: off`). Three posts mention both now, one by a large
// account. Brand's return must raise one revival alert, to the webhook and
// the alerts table, naming that account; muted's none; the looks each
// second after it must not raise it again. (TestRevivals holds back one
// whose quiet the pipeline did not see.)
func TestRunRevivalAlert(t *testing.T) {
	kafkaAddr, chAddr, id, store := pipelineFixture(t, "revival")
	ctx := t.Context()
	topic, db := "revival-"+id, "earshot_"+id
	dropTopicsAtEnd(t, []string{kafkaAddr}, topic)
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	long := time.Now().UTC().Add(-5 * 24 * time.Hour).Truncate(time.Hour).Add(10 * time.Minute) // three mentions in one hour
	var old []sink.Mention
	for i := range 3 {
		for _, rule := range []string{"brand", "muted"} {
			old = append(old, sink.Mention{RuleID: rule, PostID: fmt.Sprintf("old%d", i), CreatedAt: long.Add(time.Duration(i) * time.Minute),
				AuthorID: "a", Text: "xbox then", Topic: "elsewhere", Offset: int64(i)})
		}
	}
	// The pipeline read the feed every hour since (its progress markers):
	// the quiet was seen.
	for k := 1; k <= 80; k++ {
		old = append(old, sink.Mention{CreatedAt: time.Now().UTC().Add(-time.Duration(k) * time.Hour), Topic: "elsewhere", Offset: int64(100 + k)})
	}
	if err := store.Insert(ctx, old); err != nil {
		t.Fatal(err)
	}
	rulesFile := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(rulesFile, []byte("rules:\n  - id: brand\n    query: xbox\n  - id: muted\n    query: xbox\n    alert: off\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var hooked []alert.Alert
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var a alert.Alert
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &a); err != nil {
			t.Errorf("webhook body %s: %v", b, err)
		}
		mu.Lock()
		hooked = append(hooked, a)
		mu.Unlock()
	}))
	defer hook.Close()

	addr := "127.0.0.1:" + freePort(t)
	log := startRun(t, "--http-addr", addr, "--batch-interval", "200ms", "--revival-every", "1s",
		"--kafka-brokers", kafkaAddr, "--topic", topic, "--group", "g-"+id, "--webhook-url", hook.URL,
		"--clickhouse-addr", chAddr, "--clickhouse-database", db, "--rules", rulesFile)
	now := time.Now().UTC().Add(-3 * time.Second)
	var msgs []kafka.Message
	for i, f := range []int{30000, 12, 40} {
		msgs = append(msgs, kafka.Message{Key: fmt.Appendf(nil, "n%d", i), Value: fmt.Appendf(nil,
			`{"id":"n%d","created_at":%q,"text":"is xbox down again?","author":{"id":"u%d","handle":"h%d","followers":%d}}`,
			i, now.Add(time.Duration(i)*time.Second).Format(time.RFC3339), i, i, f)})
	}
	w := &kafka.Writer{Addr: kafka.TCP(kafkaAddr), Topic: topic, Balancer: &kafka.Murmur2Balancer{},
		BatchTimeout: 5 * time.Millisecond, RequiredAcks: kafka.RequireAll}
	defer w.Close()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}

	var got []alert.Alert
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		mu.Lock()
		got = append(got[:0], hooked...)
		mu.Unlock()
		if len(got) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no revival alert\n%s", log.String())
		}
	}
	time.Sleep(3 * time.Second) // three more looks
	mu.Lock()
	got = append(got[:0], hooked...)
	mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("webhook got %d alerts, want brand's revival once: %+v", len(got), got)
	}
	a := got[0]
	if a.Kind != alert.KindRevival || a.Rule != "brand" || a.Scope != alert.ScopeRule || a.STACount != 3 ||
		!a.Onset.Equal(now.Truncate(time.Hour)) && !a.Onset.Equal(now.Add(2*time.Second).Truncate(time.Hour)) ||
		len(a.Examples) != 3 || a.Examples[0].Author != "h0" || a.Examples[0].Followers != 30000 ||
		a.QuietSince == nil || !a.QuietSince.Equal(long.Truncate(time.Hour).Add(time.Hour)) {
		t.Errorf("revival alert %+v", a)
	}
	stored, err := store.Alerts(ctx, now.Add(-time.Hour), 0)
	if err != nil || len(stored) != 1 || stored[0].ID != a.ID || stored[0].Examples[0].Author != "h0" {
		t.Errorf("alerts table: %+v, %v", stored, err)
	}
}
