package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"earshot/bench/e2e"
	"earshot/sink"
	"earshot/stream"
)

// TestDeadLettersReplay is an operator's mistake and its mend: Mastodon
// statuses reach a pipeline run with --format canonical and become dead
// letters (no text field). `earshot dead-letters` shows them by reason and
// as JSON; once the pipeline runs with --format auto, `--replay` puts each
// back on its source partition, once although the dead-letter topic holds
// some twice, and the pipeline stores exactly the mentions they hold.
func TestDeadLettersReplay(t *testing.T) {
	kafkaAddr, chAddr, id, store := pipelineFixture(t, "dlq-replay", ".dlq")
	ctx := t.Context()
	topic, db := "dlq-replay-"+id, "earshot_"+id
	brokers := []string{kafkaAddr}

	const statuses, canonical = 60, 40
	var msgs []kafka.Message
	now := time.Now().UTC()
	for i := range statuses + canonical {
		at := now.Add(-time.Duration(i) * time.Second).Format(time.RFC3339)
		v := fmt.Sprintf(`{"id":"%d","created_at":"%s","text":"sismo canonical %d"}`, 1000+i, at, i)
		if i < statuses {
			v = fmt.Sprintf(`{"id":"%d","created_at":"%s","content":"<p>Sismo fuerte número %d</p>","account":{"id":"a%d","acct":"user%d"}}`, 1000+i, at, i, i%7, i%7)
		}
		msgs = append(msgs, kafka.Message{Key: []byte(strconv.Itoa(1000 + i)), Value: []byte(v)})
	}
	// An upstream producer that does not place posts by murmur2 of the key:
	// a replay must put them back where they were, not where murmur2 would.
	w := &kafka.Writer{Addr: kafka.TCP(kafkaAddr), Topic: topic, Balancer: &kafka.RoundRobin{}, BatchTimeout: 5 * time.Millisecond,
		RequiredAcks: kafka.RequireAll} // acknowledged: a new topic's leaders may not be there yet
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	w.Close()
	var produced int64
	for _, h := range highWatermarks(t, ctx, kafkaAddr, topic, defaultPartitions) {
		produced += h
	}
	if produced != statuses+canonical {
		t.Fatalf("%d messages in %s, want %d", produced, topic, statuses+canonical)
	}

	rules := writeFile(t, "rules.txt", "sismo\n")
	run := func(format string, wantRows uint64) {
		t.Helper()
		runUntilStored(t, store, wantRows, "--kafka-brokers", kafkaAddr, "--topic", topic, "--group", "g-"+id,
			"--clickhouse-addr", chAddr, "--clickhouse-database", db, "--rules", rules, "--format", format)
	}
	run("canonical", canonical)

	// A dead letter written twice (at-least-once): replayed once all the same.
	dl := highWatermarks(t, ctx, kafkaAddr, topic+".dlq", defaultPartitions)
	args := []string{"dead-letters", "--kafka-brokers", kafkaAddr, "--topic", topic}
	out, errOut, status := earshot(t, "", append(args, "--json")...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if status != 0 || len(lines) != statuses {
		t.Fatalf("--json: status %d, %d lines (dead letters written: %v), want %d\n%s%s", status, len(lines), dl, statuses, out, errOut)
	}
	sourcePartition := map[string]int{} // dead letter → its source's partition
	for _, line := range lines {
		var d struct {
			Source, Reason, Key, Value string
			At                         string `json:"dead_letter"`
		}
		if err := json.Unmarshal([]byte(line), &d); err != nil || d.Reason != "missing_text" ||
			!strings.HasPrefix(d.Source, topic+"/") || !strings.Contains(d.Value, "Sismo fuerte") {
			t.Fatalf("dead letter %s: %+v, %v", line, d, err)
		}
		p, _ := strconv.Atoi(strings.Split(d.Source, "/")[1])
		sourcePartition[d.At] = p
	}
	var again kafka.Message
	func() {
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic + ".dlq", Partition: 0, MaxWait: 100 * time.Millisecond})
		defer r.Close()
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		again = kafka.Message{Key: m.Key, Value: m.Value, Headers: m.Headers, Partition: 0}
	}()
	dw := &kafka.Writer{Addr: kafka.TCP(kafkaAddr), Topic: topic + ".dlq", RequiredAcks: kafka.RequireAll,
		Balancer: kafka.BalancerFunc(func(kafka.Message, ...int) int { return 0 })}
	if err := dw.WriteMessages(ctx, again); err != nil {
		t.Fatal(err)
	}
	dw.Close()

	out, _, status = earshot(t, "", args...)
	if status != 0 || !strings.Contains(out, fmt.Sprintf("%d dead letters", statuses+1)) || !strings.Contains(out, "missing_text") {
		t.Fatalf("summary: status %d\n%s", status, out)
	}
	out, _, status = earshot(t, "", append(args, "--reason", "invalid_json")...)
	if status != 0 || !strings.Contains(out, "no dead letters since") {
		t.Fatalf("--reason invalid_json: status %d\n%s", status, out)
	}
	before := highWatermarks(t, ctx, kafkaAddr, topic, defaultPartitions)
	out, errOut, status = earshot(t, "", append(args, "--replay")...)
	if status != 0 || !strings.Contains(out, fmt.Sprintf("replayed %d dead letters", statuses)) || !strings.Contains(out, "1 more were copies") {
		t.Fatalf("--replay: status %d\n%s%s", status, out, errOut)
	}
	// Each replayed message on its source partition, marked with where it was.
	after := highWatermarks(t, ctx, kafkaAddr, topic, defaultPartitions)
	var replayed int
	for p := range defaultPartitions {
		replayed += int(after[p] - before[p])
		err := readPartition(ctx, brokers, stream.Security{}, topic, p, before[p], after[p], func(m kafka.Message) error {
			var from string
			for _, h := range m.Headers {
				if h.Key == headerReplayedFrom {
					from = string(h.Value)
				}
				if strings.HasPrefix(h.Key, "earshot-") && h.Key != headerReplayedFrom {
					t.Errorf("replayed %s/%d/%d carries %s", topic, p, m.Offset, h.Key)
				}
			}
			if src, ok := sourcePartition[from]; !ok || src != p {
				t.Errorf("replayed %s/%d/%d: replayed from %q, whose source partition is %d (known: %v)", topic, p, m.Offset, from, src, ok)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if replayed != statuses {
		t.Fatalf("%d messages replayed to %s, want %d", replayed, topic, statuses)
	}
	// The replayed statuses decode now; with the same group, only they are read.
	run("auto", canonical+statuses)
	var dead int64
	for _, h := range highWatermarks(t, ctx, kafkaAddr, topic+".dlq", defaultPartitions) {
		dead += h
	}
	if dead != statuses+1 {
		t.Errorf("%d dead letters after the replay, want the %d before", dead, statuses+1)
	}
}

// runUntilStored runs `earshot run` with args until ClickHouse holds
// wantRows mentions, stops it with SIGTERM, and requires exactly wantRows.
func runUntilStored(t *testing.T, store *sink.Client, wantRows uint64, args ...string) {
	t.Helper()
	cmd := exec.Command(earshotBin(t), append([]string{"run", "--http-addr", "", "--detect=false", "--batch-interval", "200ms"}, args...)...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		n, err := store.RawCount(t.Context())
		if err == nil && n >= wantRows || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(time.Second) // a row too many would have landed by now
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("earshot run %v: %v\n%s", args, err, log.String())
	}
	if n, err := store.RawCount(t.Context()); err != nil || n != wantRows {
		t.Fatalf("after earshot run %v: %d mentions (%v), want %d\n%s", args, n, err, wantRows, log.String())
	}
}

// pipelineFixture makes a topic PREFIX-ID (and PREFIX-ID+suffix for each
// suffix) on the integration tests' Kafka and a ClickHouse database
// earshot_ID, dropped at the end, with a client to it.
func pipelineFixture(t *testing.T, prefix string, suffixes ...string) (kafkaAddr, chAddr, id string, store *sink.Client) {
	t.Helper()
	kafkaAddr, chAddr = e2e.Services(t)
	id = strconv.FormatInt(time.Now().UnixNano(), 36)
	topics := []string{prefix + "-" + id}
	for _, s := range suffixes {
		topics = append(topics, topics[0]+s)
	}
	if err := stream.EnsureTopics(t.Context(), []string{kafkaAddr}, stream.Security{}, defaultPartitions, 1, topics...); err != nil {
		t.Fatal(err)
	}
	store, err := sink.Open(t.Context(), sink.Config{Addr: chAddr, Database: "earshot_" + id})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.DropDatabase(context.Background()); store.Close() })
	return kafkaAddr, chAddr, id, store
}

// TestReplayerBatches replays 40 dead letters of two source partitions,
// each fourth one a copy, and one without source headers, in batches of 7:
// every source message lands once, in order, on its source partition.
func TestReplayerBatches(t *testing.T) {
	kafkaAddr, _, id, _ := pipelineFixture(t, "replayer")
	topic := "replayer-" + id
	rp := newReplayer(t.Context(), []string{kafkaAddr}, stream.Security{}, topic)
	rp.batch = 7
	want := map[int][]string{}
	for i := range 40 {
		p, off := i%2+1, int64(i/4)*2+int64(i%2) // offsets repeat: i and i+2 share one
		m := kafka.Message{Topic: topic + ".dlq", Offset: int64(i), Value: fmt.Appendf(nil, "v%d-%d", p, off),
			Headers: []kafka.Header{{Key: stream.HeaderSourceTopic, Value: []byte(topic)},
				{Key: stream.HeaderSourcePartition, Value: []byte(strconv.Itoa(p))},
				{Key: stream.HeaderSourceOffset, Value: []byte(strconv.FormatInt(off, 10))}}}
		if i%4 < 2 {
			want[p] = append(want[p], string(m.Value))
		}
		if err := rp.add(parseDeadLetter(m)); err != nil {
			t.Fatal(err)
		}
	}
	if err := rp.add(parseDeadLetter(kafka.Message{Topic: topic + ".dlq", Key: []byte("k"), Value: []byte("unknown source")})); err != nil {
		t.Fatal(err)
	}
	if err := rp.close(); err != nil {
		t.Fatal(err)
	}
	if rp.n != 21 {
		t.Errorf("%d replayed, want 21", rp.n)
	}
	highs := highWatermarks(t, t.Context(), kafkaAddr, topic, defaultPartitions)
	var unknown int64
	for p := range defaultPartitions {
		var got []string
		err := readPartition(t.Context(), []string{kafkaAddr}, stream.Security{}, topic, p, 0, highs[p], func(m kafka.Message) error {
			if string(m.Value) == "unknown source" {
				unknown++
			} else {
				got = append(got, string(m.Value))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want[p]) {
			t.Errorf("partition %d: %v, want %v", p, got, want[p])
		}
	}
	if unknown != 1 {
		t.Errorf("the message without a source: %d copies, want 1", unknown)
	}
}
