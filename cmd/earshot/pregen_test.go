package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// TestPreparedTake holds the posts of a pregenerated run to the
// generator's own, taken in batches: the same keys, values and malformed
// messages in the same order, and each post's created_at moved by the
// shift and nothing else.
func TestPreparedTake(t *testing.T) {
	o := genOptions{seed: 3, rate: 1000, count: 2000, nrules: 50, malformed: 0.05, start: "2026-11-23T23:59:58.5Z", pregenerate: true}
	g, err := o.generator()
	if err != nil {
		t.Fatal(err)
	}
	p := o.prepare(context.Background(), g, rand.New(rand.NewPCG(uint64(o.seed), 7)))
	want := generated(t, o)

	const shift = 36*time.Hour + 1500*time.Millisecond
	var got []kafka.Message
	var posts int64
	for {
		var n int64
		got, n = p.take(got, 300, shift.Milliseconds())
		if n == 0 {
			break
		}
		if n != 300 && posts+n != o.count {
			t.Fatalf("took %d posts after %d of %d", n, posts, o.count)
		}
		posts += n
	}
	if posts != o.count || len(got) != len(want) {
		t.Fatalf("took %d posts in %d messages, want %d in %d", posts, len(got), o.count, len(want))
	}
	malformedSeen := 0
	for i := range want {
		w, g := want[i], got[i]
		if bytes.HasPrefix(w.Key, []byte("malformed-")) {
			malformedSeen++
		}
		checkMoved(t, fmt.Sprintf("message %d", i), w, g.Key, g.Value, shift)
	}
	if malformedSeen == 0 || malformedSeen != len(want)-int(o.count) {
		t.Fatalf("%d malformed messages, want %d (and some)", malformedSeen, len(want)-int(o.count))
	}
}

// TestGenPregenerate runs the command: it says "sending" on stdout, writes
// every post, and stamps them with the time they were sent, not --start.
func TestGenPregenerate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "posts.jsonl")
	before := time.Now().UTC().Truncate(time.Millisecond)
	stdout, errOut, status := earshot(t, "", "gen", "--pregenerate", "--output", out, "--count", "3000", "--rate", "10000",
		"--start", "2020-01-01T00:00:00Z", "--rules-count", "20")
	after := time.Now().UTC()
	if status != 0 || stdout != "sending\n" || !strings.Contains(errOut, "posts made before sending") {
		t.Fatalf("gen --pregenerate: status %d, stdout %q\n%s", status, stdout, errOut)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 3000 {
		t.Fatalf("%d posts, want 3000", len(lines))
	}
	for _, l := range lines {
		var p struct {
			CreatedAt time.Time `json:"created_at"`
		}
		if err := json.Unmarshal([]byte(l), &p); err != nil {
			t.Fatal(err)
		}
		if p.CreatedAt.Before(before) || p.CreatedAt.After(after) {
			t.Fatalf("created_at %s outside the run (%s to %s): %s", p.CreatedAt, before, after, l)
		}
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--output", out}, "--pregenerate needs --count or --duration"},
		{[]string{"--output", "-", "--count", "5"}, "cannot write posts there"},
		{[]string{"--output", out, "--count", "5", "--truth-out", out + ".truth"}, "cannot be used with --truth-out"},
	} {
		args := append([]string{"gen", "--pregenerate"}, c.args...)
		if _, errOut, status := earshot(t, "", args...); status != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("gen %s: status %d, stderr %q (want 2 and %q)", strings.Join(args, " "), status, errOut, c.want)
		}
	}
}

// TestBursts: --burst-every repeats the burst until the event time the run
// covers ends; without it, one burst, and none without --burst-at.
func TestBursts(t *testing.T) {
	starts := func(o genOptions) []time.Duration {
		o.burstLen = 2 * time.Minute
		var at []time.Duration
		for _, b := range o.bursts() {
			if b.Length != o.burstLen {
				t.Errorf("burst length %v, want %v", b.Length, o.burstLen)
			}
			at = append(at, b.Start)
		}
		return at
	}
	m := time.Minute
	for _, c := range []struct {
		o    genOptions
		want []time.Duration
	}{
		{genOptions{rate: 1000, count: 6_000_000, burstAt: 10 * m, burstEvery: 30 * m}, []time.Duration{10 * m, 40 * m, 70 * m}},
		{genOptions{rate: 1000, count: 2_000_000, burstAt: 10 * m, burstEvery: 30 * m}, []time.Duration{10 * m}},
		{genOptions{rate: 1000, duration: 25 * m, burstAt: 5 * m, burstEvery: 10 * m}, []time.Duration{5 * m, 15 * m}},
		{genOptions{rate: 1000, count: 6_000_000, burstAt: 10 * m}, []time.Duration{10 * m}},
		{genOptions{rate: 1000, count: 6_000_000}, nil},
	} {
		if got := starts(c.o); !slices.Equal(got, c.want) {
			t.Errorf("%+v: bursts at %v, want %v", c.o, got, c.want)
		}
	}
	if _, errOut, status := earshot(t, "", "gen", "--output", "-", "--burst-every", "30m", "--count", "5"); status != 2 || !strings.Contains(errOut, "--burst-every needs --burst-at") {
		t.Errorf("--burst-every without --burst-at: status %d, %q", status, errOut)
	}
}

// generated returns the messages o's generator makes, one after the other.
func generated(t *testing.T, o genOptions) []kafka.Message {
	t.Helper()
	g, err := o.generator()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(o.seed), 7))
	var msgs []kafka.Message
	for n := range o.count {
		msgs = o.appendNext(msgs, g, rng, n)
	}
	return msgs
}

// checkMoved requires the message key, value to be want with its
// created_at moved by shift and nothing else changed (a malformed message
// unchanged), and returns the moved created_at (zero for a malformed one).
func checkMoved(t *testing.T, what string, want kafka.Message, key, value []byte, shift time.Duration) time.Time {
	t.Helper()
	if !bytes.Equal(key, want.Key) {
		t.Fatalf("%s: key %q, want %q", what, key, want.Key)
	}
	if bytes.HasPrefix(want.Key, []byte("malformed-")) {
		if !bytes.Equal(value, want.Value) {
			t.Fatalf("%s: malformed message changed: %q, want %q", what, value, want.Value)
		}
		return time.Time{}
	}
	var wp, gp struct {
		CreatedAt time.Time `json:"created_at"`
	}
	if err := json.Unmarshal(want.Value, &wp); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, want.Value)
	}
	if err := json.Unmarshal(value, &gp); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, value)
	}
	if d := gp.CreatedAt.Sub(wp.CreatedAt); d != shift {
		t.Fatalf("%s: created_at %s, want %s moved by %s", what, gp.CreatedAt, wp.CreatedAt, shift)
	}
	old, moved := wp.CreatedAt.Format("2006-01-02T15:04:05.000Z"), gp.CreatedAt.Format("2006-01-02T15:04:05.000Z")
	if !bytes.Equal(bytes.Replace(want.Value, []byte(old), []byte(moved), 1), value) {
		t.Fatalf("%s: more than created_at changed:\n%s\nwant\n%s", what, value, want.Value)
	}
	return gp.CreatedAt
}
