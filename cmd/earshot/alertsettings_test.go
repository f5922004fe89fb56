package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"earshot/stream/alert"
)

// quietPosts is a support team's quiet topic between minutes a and b of
// event time after base: a post that matches nothing every 10 s (the feed
// the outage guard watches), an "xbox" post every 2 minutes, and one
// every 10 s during the spikes (minutes 40-43 and 50-53): 6 a minute over
// 0.5, under the default floor of 12.
func quietPosts(base time.Time, a, b int) []kafka.Message {
	var msgs []kafka.Message
	for s := a * 60; s < b*60; s += 10 {
		m := s / 60
		text := fmt.Sprintf("nothing to see %d", s)
		if s%120 == 0 || (m >= 40 && m < 43 || m >= 50 && m < 53) {
			text = fmt.Sprintf("my xbox cannot connect again %d", s)
		}
		id := fmt.Sprintf("q%05d", s)
		msgs = append(msgs, kafka.Message{Key: []byte(id), Value: fmt.Appendf(nil,
			`{"id":%q,"created_at":%q,"text":%q,"author":{"id":"u%d","handle":"h%d"}}`,
			id, base.Add(time.Duration(s)*time.Second).Format(time.RFC3339), text, s, s)})
	}
	return msgs
}

// TestRunAlertSettings runs earshot run on real Kafka and ClickHouse with
// two rules over the same quiet topic: "brand" with `alert: {floor: 2}`
// and "twin" with the defaults. The first spike must raise brand's alert
// and not twin's. Then the rules file gives brand `alert: off` and twin a
// floor of 2, reloaded through the admin endpoint while the pipeline
// runs: the second spike must raise twin's alert and no other of brand's.
func TestRunAlertSettings(t *testing.T) {
	kafkaAddr, chAddr, id, store := pipelineFixture(t, "alertcfg")
	ctx := t.Context()
	topic, db := "alertcfg-"+id, "earshot_"+id
	dropTopicsAtEnd(t, []string{kafkaAddr}, topic)
	rulesFile := filepath.Join(t.TempDir(), "rules.yaml")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(rulesFile, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`rules:
  - id: brand
    query: xbox
    alert: {floor: 2}
  - id: twin
    query: xbox
`)
	base := time.Now().UTC().Add(-65 * time.Minute).Truncate(time.Minute)
	w := &kafka.Writer{Addr: kafka.TCP(kafkaAddr), Topic: topic, Balancer: &kafka.Murmur2Balancer{},
		BatchTimeout: 5 * time.Millisecond, RequiredAcks: kafka.RequireAll}
	defer w.Close()
	if err := w.WriteMessages(ctx, quietPosts(base, 0, 3)...); err != nil {
		t.Fatal(err)
	}

	addr := "127.0.0.1:" + freePort(t)
	log := startRun(t, "--http-addr", addr, "--batch-interval", "200ms", "--rules-poll", "1h",
		"--kafka-brokers", kafkaAddr, "--topic", topic, "--group", "g-"+id,
		"--clickhouse-addr", chAddr, "--clickhouse-database", db, "--rules", rulesFile)
	// A cold detector starts at its first watermark, and that start counts
	// as a feed outage for the 31 minutes of its windows: the first three
	// minutes are read first, so that it starts there, not at the spike.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if n, err := store.RawCount(ctx); err == nil && n >= 4 { // 2 posts × 2 rules
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first minutes were not stored\n%s", log.String())
		}
	}
	if err := w.WriteMessages(ctx, quietPosts(base, 3, 47)...); err != nil {
		t.Fatal(err)
	}
	// triggers waits until the alerts table holds n triggers, a second
	// more for any too many, and returns them by rule.
	triggers := func(n int) map[string][]alert.Alert {
		t.Helper()
		var got map[string][]alert.Alert
		count := func() int {
			as, err := store.Alerts(ctx, base.Add(-time.Hour), 0)
			if err != nil {
				return -1
			}
			got = map[string][]alert.Alert{}
			k := 0
			for _, a := range as {
				if a.Kind == alert.KindTrigger && a.Scope == alert.ScopeRule {
					got[a.Rule] = append(got[a.Rule], a)
					k++
				}
			}
			return k
		}
		for deadline := time.Now().Add(60 * time.Second); count() < n; time.Sleep(200 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %d triggers: %v\n%s", n, got, log.String())
			}
		}
		time.Sleep(time.Second)
		count()
		return got
	}
	// rules reads the rules table: id, active, alert settings.
	rules := func(want string) {
		t.Helper()
		var got string
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			rs, err := store.Rules(ctx)
			got = fmt.Sprint(err)
			if err == nil {
				var parts []string
				for _, r := range rs {
					parts = append(parts, fmt.Sprintf("%s %v %s", r.ID, r.Active, r.Alert))
				}
				got = strings.Join(parts, "; ")
			}
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("rules table: %s, want %s", got, want)
			}
		}
	}
	rules("brand true {floor: 2}; twin true ")
	got := triggers(1)
	if len(got["brand"]) != 1 || len(got["twin"]) != 0 {
		t.Fatalf("triggers after the first spike: %v, want brand's alone", got)
	}
	if at := got["brand"][0].DetectedAt.Sub(base); at < 40*time.Minute || at > 43*time.Minute {
		t.Errorf("brand triggered at minute %v, want in the spike (40-43)", at)
	}

	write(`rules:
  - id: brand
    query: xbox
    alert: off
  - id: twin
    query: xbox
    alert:
      floor: 2
`)
	resp, err := http.Post("http://"+addr+"/admin/rules/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("reload: %s", resp.Status)
	}
	rules("brand true off; twin true {floor: 2}")
	if err := w.WriteMessages(ctx, quietPosts(base, 47, 60)...); err != nil {
		t.Fatal(err)
	}
	got = triggers(2)
	if len(got["brand"]) != 1 || len(got["twin"]) != 1 {
		t.Fatalf("triggers after the reload and the second spike: %v, want one each", got)
	}
	if at := got["twin"][0].DetectedAt.Sub(base); at < 50*time.Minute || at > 53*time.Minute {
		t.Errorf("twin triggered at minute %v, want in the second spike (50-53)", at)
	}
	if !strings.Contains(log.String(), "burst detector took the reloaded rules' alert settings") {
		t.Errorf("no log line of the reload's alert settings:\n%s", log.String())
	}

	// A setting the detector refuses rejects the file; the rules in force
	// stay.
	write("rules:\n  - id: brand\n    query: xbox\n    alert: {threshold: 0.2}\n")
	resp, err = http.Post("http://"+addr+"/admin/rules/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body.String(), "rules.yaml:4:12") ||
		!strings.Contains(body.String(), "rearm 0.25 must be at least 0 and below the threshold 0.2") {
		t.Errorf("reload of a refused setting: %s %s", resp.Status, body.String())
	}
}

// TestDetectAlertSettings replays the quiet topic's first spike with
// earshot detect: the rules' alert settings apply as in earshot run, and
// `rules check` rejects a setting the detector refuses at its place.
func TestDetectAlertSettings(t *testing.T) {
	var posts strings.Builder
	for _, m := range quietPosts(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), 0, 47) {
		posts.Write(m.Value)
		posts.WriteByte('\n')
	}
	rules := writeFile(t, "rules.yaml", `rules:
  - id: brand
    query: xbox
    alert: {floor: 2, count: authors}
  - id: twin
    query: xbox
  - id: quiet
    query: xbox
    alert:
      floor: 2
      long_window: 2h
`)
	out, errOut, status := earshot(t, posts.String(), "detect", "--rules", rules, "--json", "--scopes", "rule")
	if status != 0 {
		t.Fatalf("detect: status %d\n%s", status, errOut)
	}
	var rulesAlerted []string
	for l := range strings.Lines(out) {
		var a alert.Alert
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("detect --json line %q: %v", l, err)
		}
		if a.Kind == alert.KindTrigger {
			rulesAlerted = append(rulesAlerted, a.Rule+"/"+a.Unit)
		}
	}
	// quiet's long window needs 2h01m of history before it may trigger.
	if strings.Join(rulesAlerted, ",") != "brand/authors" {
		t.Errorf("triggers %v, want brand's, counting authors\n%s", rulesAlerted, errOut)
	}

	out, errOut, status = earshot(t, "", "rules", "check", rules)
	if status != 0 || !strings.Contains(out, "ok — 3 rules, 1 term,") || !strings.Contains(out, "; 2 with alert settings of their own\n") {
		t.Errorf("rules check: status %d\nstdout: %s\nstderr: %s", status, out, errOut)
	}
	bad := writeFile(t, "bad.yaml", "rules:\n  - id: brand\n    query: xbox\n    alert: {short_window: 7s, threshold: 2}\n")
	out, errOut, status = earshot(t, "", "rules", "check", bad)
	want := bad + `:4:12: alert settings of rule "brand": short_window (STA) window 7s is not a positive multiple of the bin 5s`
	if status == 0 || !strings.Contains(errOut, want) || !strings.Contains(errOut, "    alert: {short_window") ||
		!strings.Contains(errOut, "hint: each setting and its default") {
		t.Errorf("rules check: status %d\nstdout: %s\nstderr: %s\nwant %s", status, out, errOut, want)
	}
}
