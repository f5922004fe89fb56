package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"earshot/stream"
)

// TestStatusCommand asks `earshot status` before the pipeline has run
// (everything to do) and after it has stored every message and stopped
// (nothing to do): lag, stored and committed offsets per partition against
// the partitions' ends, and when the last mention was stored.
func TestStatusCommand(t *testing.T) {
	kafkaAddr, chAddr, id, store := pipelineFixture(t, "status")
	ctx := t.Context()
	topic, db, group := "status-"+id, "earshot_"+id, "g-"+id
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const posts = 40
	var msgs []kafka.Message
	for i := range posts {
		msgs = append(msgs, kafka.Message{Key: []byte(strconv.Itoa(i)),
			Value: fmt.Appendf(nil, `{"id":"%d","created_at":"%s","text":"sismo %d"}`, i, time.Now().UTC().Format(time.RFC3339), i)})
	}
	w := newProducer([]string{kafkaAddr}, topic, stream.Security{})
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	w.Close()

	type status struct {
		Partitions []partitionStatus
		Lag        int64
		LastStored *time.Time `json:"last_stored"`
		Rules      int
	}
	args := []string{"status", "--kafka-brokers", kafkaAddr, "--topic", topic, "--group", group,
		"--clickhouse-addr", chAddr, "--clickhouse-database", db}
	get := func() status {
		t.Helper()
		out, errOut, code := earshot(t, "", append(args, "--json")...)
		var st status
		if err := json.Unmarshal([]byte(out), &st); code != 0 || err != nil || len(st.Partitions) != defaultPartitions {
			t.Fatalf("status: %d, %v\n%s%s", code, err, out, errOut)
		}
		return st
	}
	st := get()
	var ends int64
	for _, p := range st.Partitions {
		ends += p.End
		if p.Stored != -1 || p.Committed != -1 || p.Lag != p.End {
			t.Errorf("before the pipeline: %+v", p)
		}
	}
	if ends != posts || st.Lag != posts || st.LastStored != nil || st.Rules != 0 {
		t.Fatalf("before the pipeline: ends %d, %+v", ends, st)
	}

	// --max-lag: a failed check for scripts and probes, after printing.
	out, errOut, code := earshot(t, "", append(args, "--max-lag", "10")...)
	if code != 1 || !strings.Contains(out, "lag: 40 messages not stored yet") || !strings.Contains(errOut, "over --max-lag 10") ||
		!strings.Contains(out, "rules in force: none stored yet") {
		t.Fatalf("--max-lag 10 before the pipeline: status %d\n%s%s", code, out, errOut)
	}

	rules := writeFile(t, "rules.txt", "sismo\n")
	runUntilStored(t, store, posts, "--kafka-brokers", kafkaAddr, "--topic", topic, "--group", group,
		"--clickhouse-addr", chAddr, "--clickhouse-database", db, "--rules", rules)
	st = get()
	for _, p := range st.Partitions {
		if p.End > 0 && (p.Stored != p.End || p.Committed != p.End) || p.Lag != 0 {
			t.Errorf("after the pipeline: %+v", p)
		}
	}
	if st.Lag != 0 || st.LastStored == nil || time.Since(*st.LastStored) > time.Minute || st.Rules != 1 {
		t.Errorf("after the pipeline: %+v", st)
	}
	out, _, code = earshot(t, "", append(args, "--max-lag", "10")...)
	if code != 0 || !strings.Contains(out, "lag: 0 messages not stored yet") || !strings.Contains(out, "last stored: ") ||
		!strings.Contains(out, "rules in force: 1, last changed ") {
		t.Errorf("--max-lag 10 after the pipeline: status %d, text output:\n%s", code, out)
	}
}
