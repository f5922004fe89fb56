package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

// TestEncodeSteps holds the encoded steps of a pregenerated run to what
// kafka.Writer would send: each partition's records are the generator's
// messages that murmur2 puts there, in order, each post's created_at moved
// by the shift and its record time that created_at; batches are LZ4 and at
// most maxBatchBytes of keys and values; steps are due when their last
// post is.
func TestEncodeSteps(t *testing.T) {
	for _, c := range []struct {
		name  string
		rate  float64
		parts int
	}{
		{"small steps, three partitions", 1000, 3},    // 25 posts a step
		{"large steps, one partition", 400_000, 1},    // 5,000 posts a step: > 1 MB, cut in batches
		{"large steps, seven partitions", 400_000, 7}, // ~300 KB a partition
	} {
		t.Run(c.name, func(t *testing.T) {
			o := genOptions{seed: 5, rate: c.rate, count: 12_000, nrules: 50, malformed: 0.03, start: "2026-11-23T23:59:58.5Z", pregenerate: true}
			g, err := o.generator()
			if err != nil {
				t.Fatal(err)
			}
			p := o.prepare(context.Background(), g, rand.New(rand.NewPCG(uint64(o.seed), 7)))
			want := generated(t, o)
			wantBy := make([][]kafka.Message, c.parts)
			ids := make([]int, c.parts)
			for i := range ids {
				ids[i] = i
			}
			for _, m := range want {
				part := (&kafka.Murmur2Balancer{}).Balance(m, ids...)
				wantBy[part] = append(wantBy[part], m)
			}

			const shift = 36*time.Hour + 1500*time.Millisecond
			spans := p.spans(stepPosts(c.rate))
			steps, err := p.encode(context.Background(), spans, c.parts, shift.Milliseconds(), c.rate, 2)
			if err != nil {
				t.Fatal(err)
			}
			per := stepPosts(c.rate)
			if int64(len(steps)) != (o.count+per-1)/per {
				t.Fatalf("%d steps of %d posts for %d posts", len(steps), per, o.count)
			}
			gotBy := make([][]protocol.Record, c.parts)
			var posts int64
			cut := 0
			for i, s := range steps {
				posts += spans[i].posts
				if wantDue := time.Duration(float64(posts) / c.rate * float64(time.Second)); s.due != wantDue {
					t.Fatalf("step %d: due %v, want %v", i, s.due, wantDue)
				}
				seen := map[int]int{}
				for _, b := range s.batches {
					seen[b.partition]++
					rs := protocol.RecordSet{}
					if _, err := rs.ReadFrom(bytes.NewReader(b.data)); err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
					if rs.Version != 2 || rs.Attributes.Compression() != protocol.Lz4.Compression() {
						t.Fatalf("step %d: version %d, attributes %v", i, rs.Version, rs.Attributes)
					}
					raw, n := 0, 0
					for {
						r, err := rs.Records.ReadRecord()
						if errors.Is(err, io.EOF) {
							break
						}
						if err != nil {
							t.Fatal(err)
						}
						k, _ := protocol.ReadAll(r.Key)
						v, _ := protocol.ReadAll(r.Value)
						raw += len(k) + len(v)
						n++
						gotBy[b.partition] = append(gotBy[b.partition], protocol.Record{Time: r.Time,
							Key: protocol.NewBytes(k), Value: protocol.NewBytes(v)})
					}
					if n != b.messages || raw > maxBatchBytes {
						t.Fatalf("step %d: a batch of %d records (says %d), %d bytes", i, n, b.messages, raw)
					}
				}
				for _, k := range seen {
					if k > 1 {
						cut++
					}
				}
			}
			if posts != o.count {
				t.Fatalf("steps hold %d posts, want %d", posts, o.count)
			}
			if c.parts == 1 && cut == 0 {
				t.Fatal("no step was cut in batches: maxBatchBytes untested")
			}
			for part := range c.parts {
				if len(gotBy[part]) != len(wantBy[part]) {
					t.Fatalf("partition %d: %d records, want %d", part, len(gotBy[part]), len(wantBy[part]))
				}
				for i, r := range gotBy[part] {
					k, _ := protocol.ReadAll(r.Key)
					v, _ := protocol.ReadAll(r.Value)
					what := fmt.Sprintf("partition %d record %d", part, i)
					if at := checkMoved(t, what, wantBy[part][i], k, v, shift); !at.IsZero() && !r.Time.Equal(at) {
						t.Fatalf("%s: record time %s, want its created_at %s", what, r.Time, at)
					}
				}
			}
		})
	}
}

// TestGenPregenerateKafka runs `earshot gen --pregenerate` against the real
// broker: every message arrives once, on the partition murmur2 gives its
// key, in the order generated, every post's created_at moved by the same
// time, into the send, and the sending throttled to --rate.
func TestGenPregenerateKafka(t *testing.T) {
	addr := os.Getenv("EARSHOT_KAFKA")
	if addr == "" {
		t.Skip("EARSHOT_KAFKA not set: skipping the test against a real broker")
	}
	topic := "earshot-test-pregen-" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	args := []string{"gen", "--pregenerate", "--kafka-brokers", addr, "--topic", topic, "--count", "40000", "--rate", "20000",
		"--start", "2020-01-01T00:00:00Z", "--rules-count", "50", "--malformed-fraction", "0.01", "--seed", "9"}
	before := time.Now()
	stdout, errOut, status := earshot(t, "", args...)
	after := time.Now()
	if status != 0 || stdout != "sending\n" || !strings.Contains(errOut, "posts encoded before sending") {
		t.Fatalf("gen: status %d, stdout %q\n%s", status, stdout, errOut)
	}
	var sentMsgs, perSecond int
	var took float64
	if i := strings.Index(errOut, `msg="generator done"`); i < 0 {
		t.Fatalf("gen did not report what it sent:\n%s", errOut)
	} else if _, err := fmt.Sscanf(errOut[i:], "msg=\"generator done\" messages=%d seconds=%g per_second=%d", &sentMsgs, &took, &perSecond); err != nil {
		t.Fatalf("%v: %s", err, errOut[i:])
	}
	if took < 1.9 || took > 5 { // 40,000 posts at 20,000/s
		t.Errorf("sending took %.2f s, want 2", took)
	}

	want := generated(t, genOptions{seed: 9, rate: 20000, count: 40000, nrules: 50, malformed: 0.01, start: "2020-01-01T00:00:00Z"})
	ids := []int{0, 1, 2, 3}
	wantBy := make([][]string, len(ids))
	made := map[string]time.Time{} // created_at as made, by key
	for _, m := range want {
		var p struct {
			CreatedAt time.Time `json:"created_at"`
		}
		if json.Unmarshal(m.Value, &p) == nil {
			made[string(m.Key)] = p.CreatedAt
		}
		part := (&kafka.Murmur2Balancer{}).Balance(m, ids...)
		wantBy[part] = append(wantBy[part], string(m.Key))
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var first, last time.Time // the posts' created_at
	var shift *time.Duration  // from created_at as made: the same for every post
	total := 0
	for part := range ids {
		conn, err := kafka.DialLeader(ctx, "tcp", addr, topic, part)
		if err != nil {
			t.Fatal(err)
		}
		end, err := conn.ReadLastOffset()
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, Topic: topic, Partition: part, MaxWait: 100 * time.Millisecond})
		var keys []string
		for int64(len(keys)) < end {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				r.Close()
				t.Fatalf("partition %d, after %d of %d messages: %v", part, len(keys), end, err)
			}
			keys = append(keys, string(m.Key))
			if strings.HasPrefix(string(m.Key), "malformed-") {
				continue
			}
			var p struct {
				CreatedAt time.Time `json:"created_at"`
			}
			if err := json.Unmarshal(m.Value, &p); err != nil {
				t.Fatalf("partition %d offset %d: %v\n%s", part, m.Offset, err, m.Value)
			}
			w, ok := made[string(m.Key)]
			if !ok {
				t.Fatalf("partition %d offset %d: key %q was not generated", part, m.Offset, m.Key)
			}
			if shift == nil {
				d := p.CreatedAt.Sub(w)
				shift = &d
			} else if d := p.CreatedAt.Sub(w); d != *shift {
				t.Fatalf("partition %d offset %d: created_at moved by %s, the first post's by %s", part, m.Offset, d, *shift)
			}
			if first.IsZero() || p.CreatedAt.Before(first) {
				first = p.CreatedAt
			}
			if p.CreatedAt.After(last) {
				last = p.CreatedAt
			}
		}
		r.Close()
		total += len(keys)
		if !slices.Equal(keys, wantBy[part]) {
			t.Fatalf("partition %d: %d messages, want %d, or not in the order generated", part, len(keys), len(wantBy[part]))
		}
	}
	if total != sentMsgs {
		t.Errorf("%d messages in the topic, gen says it sent %d", total, sentMsgs)
	}
	if first.Before(before) || last.After(after) {
		t.Errorf("created_at from %s to %s, outside the run (%s to %s)", first, last, before, after)
	}
	if span := last.Sub(first); span < 1900*time.Millisecond || span > 2100*time.Millisecond {
		t.Errorf("40,000 posts at 20,000/s stamped over %s, want 2 s", span)
	}
}
