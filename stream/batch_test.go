package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/segmentio/kafka-go"

	"earshot/match"
	"earshot/stream/adapt"
	"earshot/stream/post"
)

// batchTestRules: "sismo" is routed, a post may match several rules.
const batchTestRules = `rules:
  - id: sismo
    query: sismo
    route: crisis-desk
  - id: temblor
    query: temblor
  - id: jishin
    query: 地震
`

// batchTestMessages returns n messages at offsets base, base+1, …: posts
// that match one or more rules, posts that match none, invalid JSON, posts
// without text (dead letters), deletion notices (skipped), firehose
// duplicates of a post 3 and 67 messages back (within a batch and across
// batches), reposts and copies of another post's text.
func batchTestMessages(n int, base int64) []kafka.Message {
	msgs := make([]kafka.Message, n)
	for i := range msgs {
		at := fmt.Sprintf("2026-11-22T10:%02d:%02dZ", i/60%60, i%60)
		var v string
		switch i % 10 {
		case 0:
			v = fmt.Sprintf(`{"id":"%d","created_at":%q,"text":"Sismo fuerte en CDMX #%d","author":{"id":"a%d"}}`, i, at, i, i%7)
		case 1:
			v = fmt.Sprintf(`{"id":"%d","created_at":%q,"text":"nada que ver %d"}`, i, at, i)
		case 2:
			v = `{"id": broken`
		case 3:
			v = string(msgs[i-3].Value) // a duplicate in the same batch
		case 4:
			v = fmt.Sprintf(`{"id":"%d","created_at":%q,"text":"RT @ana: 大地震だ","repost_of":"%d"}`, i, at, i-4)
		case 5:
			v = fmt.Sprintf(`{"id":"%d","created_at":%q,"text":"SISMO  fuerte en cdmx #%d"}`, i, at, i-5) // a copy of i-5
		case 6:
			v = fmt.Sprintf(`{"id":"%d","created_at":%q}`, i, at) // no text: unsupported_format to the auto-detecting adapter
		case 7:
			if i >= 67 {
				v = string(msgs[i-67].Value) // a duplicate from an earlier batch
			} else {
				v = fmt.Sprintf(`{"id":"%d","created_at":%q,"text":"temblor %d"}`, i, at, i)
			}
		case 8:
			v = fmt.Sprintf(`{"id":"%d","created_at":%q,"text":"sismo y temblor, 地震 %d","lang":"es"}`, i, at, i)
		case 9:
			v = fmt.Sprintf(`{"delete":{"status":{"id":%d,"id_str":"%d","user_id":2}}}`, i, i)
		}
		msgs[i] = kafka.Message{Topic: "posts", Partition: 3, Offset: base + int64(i), Key: []byte("k"), Value: []byte(v)}
	}
	return msgs
}

// handle processes one message completely, appending to c: add, then
// flush (the pipeline flushes per batch; tests often want one message).
func (pr *processor) handle(msg *kafka.Message, c *chunk) {
	pr.add(msg, c)
	pr.flush(c)
}

// newBatchTestProcessor is newTestProcessor with batchTestRules, the
// auto-detecting adapter, routes and detector events; *engineCalls counts
// the calls of its engine func.
func newBatchTestProcessor(t *testing.T, engineCalls *int) *processor {
	t.Helper()
	eng := testEngine(t, batchTestRules)
	dec, err := adapt.New(adapt.FormatAuto, post.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	pr := newTestProcessor(t)
	pr.engine = func() *match.Engine { *engineCalls++; return eng }
	pr.dec, pr.detect, pr.routePrefix = dec, true, "route."
	return pr
}

type mentionKey struct {
	offset       int64
	post, ruleID string
}

// referenceMentions is what the rows of msgs must be, from Engine.Match on
// each post and a set of the post ids already counted.
func referenceMentions(t *testing.T, eng *match.Engine, msgs []kafka.Message) (want []mentionKey, decoded int) {
	t.Helper()
	dec, err := adapt.New(adapt.FormatAuto, post.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var p post.Post
	for _, m := range msgs {
		if dec.Decode(m.Value, &p) != nil {
			continue
		}
		decoded++
		d := DocOf(&p, nil)
		hits := eng.Match(nil, &d)
		if len(hits) == 0 || seen[p.ID] {
			continue
		}
		seen[p.ID] = true
		for _, h := range hits {
			want = append(want, mentionKey{m.Offset, p.ID, eng.Rules()[h].ID})
		}
	}
	return want, decoded
}

// TestProcessorBatch feeds more than two batches of messages through add
// and a final flush, and requires exactly the chunk that handling them one
// by one gives (rows in message order with their offsets, dead letters,
// routed messages, detector events and ticks, counts), the rows a
// reference built on Engine.Match gives, and one engine per batch.
func TestProcessorBatch(t *testing.T) {
	const n = 1000 // 700 posts: more than two batches, the last one partial
	msgs := batchTestMessages(n, 1000)

	var calls, oneCalls int
	pr := newBatchTestProcessor(t, &calls)
	c := &chunk{first: -1}
	for i := range msgs {
		pr.add(&msgs[i], c)
		if pr.n >= batchPosts {
			t.Fatalf("after message %d: %d posts pending, batches hold %d", i, pr.n, batchPosts)
		}
	}
	if pr.n == 0 {
		t.Fatal("nothing pending before the final flush: the test does not exercise it")
	}
	pr.flush(c)
	if pr.n != 0 {
		t.Fatalf("%d posts pending after flush", pr.n)
	}

	one := newBatchTestProcessor(t, &oneCalls)
	want := &chunk{first: -1}
	for i := range msgs {
		one.handle(&msgs[i], want)
	}

	if !slices.Equal(c.rows, want.rows) {
		t.Errorf("rows differ from handling one message at a time\n got %+v\nwant %+v", c.rows, want.rows)
	}
	if c.n != want.n {
		t.Errorf("counts %+v, one at a time %+v", c.n, want.n)
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("chunk differs from handling one message at a time\n got %+v\nwant %+v", c, want)
	}
	if pr.latest != one.latest {
		t.Errorf("latest %v, one at a time %v", pr.latest, one.latest)
	}

	// Against the reference: rule, post id and offset of every row, in
	// message order.
	ref, decoded := referenceMentions(t, pr.engine(), msgs)
	calls--
	var got []mentionKey
	for _, r := range c.rows {
		got = append(got, mentionKey{r.Offset, r.PostID, r.RuleID})
	}
	if !slices.Equal(got, ref) {
		t.Errorf("rows (offset, post, rule)\n got %v\nwant %v", got, ref)
	}
	if wantCalls := (decoded + batchPosts - 1) / batchPosts; calls != wantCalls || decoded <= 2*batchPosts {
		t.Errorf("%d decoded posts matched with %d engines, want %d (and more than 2 batches of posts)", decoded, calls, wantCalls)
	}
	// The mix is what the test claims to cover.
	if c.n.consumed != n || c.n.decoded != int64(decoded) || c.n.skipped != n/10 ||
		c.n.duplicates != n/10+(n-58)/10 || c.n.copies != n/10 || c.n.reposts != n/10 ||
		len(c.routed) == 0 || len(c.events) != len(c.rows) {
		t.Errorf("counts %+v, %d routed, %d events for %d rows", c.n, len(c.routed), len(c.events), len(c.rows))
	}
	reasons := map[string]int{}
	for _, d := range c.dead {
		for _, h := range d.Headers {
			if h.Key == HeaderReason {
				reasons[string(h.Value)]++
			}
		}
	}
	if len(c.dead) != n/5 || reasons["invalid_json"] != n/10 || reasons["unsupported_format"] != n/10 {
		t.Errorf("%d dead letters, reasons %v; want %d invalid_json and %d unsupported_format", len(c.dead), reasons, n/10, n/10)
	}
}

// TestProcessorBatchAllocs: batching adds no allocation per post — add and
// flush of posts that match nothing allocate what decoding them does, which
// is nothing for posts without escapes (DecodeDeferred's strings point into
// the message).
func TestProcessorBatchAllocs(t *testing.T) {
	var calls int
	pr := newBatchTestProcessor(t, &calls)
	pr.detect = false
	msgs := make([]kafka.Message, 3*batchPosts+5)
	for i := range msgs {
		msgs[i] = kafka.Message{Offset: int64(i), Value: []byte(fmt.Sprintf(
			`{"id":"%d","created_at":"2026-11-22T10:00:00Z","text":"nada que ver aquí, amigos %d","lang":"%s"}`, i, i, []string{"es", "pt-BR", "", "und"}[i%4]))}
	}
	c := &chunk{first: -1}
	process := testing.AllocsPerRun(20, func() {
		for i := range msgs {
			pr.add(&msgs[i], c)
		}
		pr.flush(c)
		c.reset()
	})
	dec, _ := adapt.New(adapt.FormatAuto, post.Limits{})
	var p post.Post
	decode := testing.AllocsPerRun(20, func() {
		for i := range msgs {
			dec.DecodeDeferred(msgs[i].Value, &p)
		}
	})
	if process != decode || process != 0 {
		t.Fatalf("add+flush of %d posts: %v allocations, decoding them: %v; want none", len(msgs), process, decode)
	}
}

// fakeFetcher serves msgs in order; before msgs[i] with pause[i], and after
// the last, it blocks until the fetch's context ends (a chunk deadline or
// the end of the partition loop).
type fakeFetcher struct {
	msgs      []kafka.Message
	pause     map[int]bool
	i         int
	paused    bool
	origErr   error
	origAsked []int64
}

func (f *fakeFetcher) FetchMessage(ctx context.Context) (kafka.Message, error) {
	if f.i < len(f.msgs) && (!f.pause[f.i] || f.paused) {
		f.paused = false
		f.i++
		return f.msgs[f.i-1], nil
	}
	<-ctx.Done()
	f.paused = true
	return kafka.Message{}, ctx.Err()
}

// Originals: the fake's messages keep their keys and headers; it fails
// with origErr when set.
func (f *fakeFetcher) Originals(_ context.Context, offsets []int64, dead []kafka.Message) error {
	f.origAsked = append(f.origAsked, offsets...)
	return f.origErr
}

// The dead letters of a chunk ask the reader for their messages' keys and
// headers at the hand-over; when it cannot read them, each says so.
func TestPartitionLoopOriginals(t *testing.T) {
	for _, fail := range []bool{false, true} {
		f := &fakeFetcher{}
		if fail {
			f.origErr = errors.New("leader not available")
		}
		lp := &partitionLoop{r: f, log: slog.New(slog.DiscardHandler)}
		c := &chunk{dead: []kafka.Message{{Value: []byte("{")}, {Value: []byte("[")}}, deadAt: []int64{4, 9}}
		lp.originals(context.Background(), c)
		if !slices.Equal(f.origAsked, []int64{4, 9}) {
			t.Errorf("fail=%v: asked for offsets %v, want [4 9]", fail, f.origAsked)
		}
		for _, d := range c.dead {
			unread := ""
			for _, h := range d.Headers {
				if h.Key == HeaderOriginalUnread {
					unread = string(h.Value)
				}
			}
			if fail != (unread == "leader not available") {
				t.Errorf("fail=%v: dead letter %q marked %q", fail, d.Value, unread)
			}
		}
	}
	f := &fakeFetcher{}
	(&partitionLoop{r: f, log: slog.New(slog.DiscardHandler)}).originals(context.Background(), &chunk{})
	if f.origAsked != nil {
		t.Errorf("a chunk without dead letters asked for offsets %v", f.origAsked)
	}
}

// TestPartitionLoopFlushesAtHandOver runs the partition loop over a fake
// reader: chunks are handed over on size (100 messages, not a multiple of
// the batch), on the chunk deadline and at the final barrier, each time
// with posts pending in the processor's batch. Every chunk handed over must
// hold exactly the rows of its own offsets, nothing may be pending then,
// and all chunks together must hold the rows of handling every message one
// at a time, in order.
func TestPartitionLoopFlushesAtHandOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = time.Second
		msgs := batchTestMessages(250, 0)
		var calls int
		pr := newBatchTestProcessor(t, &calls)

		type handed struct {
			c       *chunk
			barrier bool
		}
		var got []handed
		lp := &partitionLoop{
			r:  &fakeFetcher{msgs: msgs, pause: map[int]bool{230: true}},
			pr: pr, interval: interval, messages: 100, now: time.Now,
			log: slog.New(slog.DiscardHandler),
			send: func(c *chunk, barrier bool) (*chunk, bool) {
				if pr.n != 0 {
					t.Errorf("chunk [%d, %d] handed over with %d posts pending", c.first, c.last, pr.n)
				}
				got = append(got, handed{c, barrier})
				return &chunk{first: -1}, !barrier
			},
		}
		// Count the posts each hand-over must flush, to be sure the test
		// exercises it.
		pending := func(from, to int) int {
			dec, _ := adapt.New(adapt.FormatAuto, post.Limits{})
			var p post.Post
			n := 0
			for _, m := range msgs[from : to+1] {
				if dec.Decode(m.Value, &p) == nil {
					n++
				}
			}
			return n % batchPosts
		}

		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); lp.run(ctx, &chunk{first: -1}) }()
		synctest.Wait() // 0..229 fetched: two chunks on size; waits at 230
		time.Sleep(interval)
		synctest.Wait() // the deadline handed [200, 229] over; 230..249 fetched
		cancel()
		<-done

		wantRanges := [][2]int64{{0, 99}, {100, 199}, {200, 229}, {230, 249}}
		if len(got) != len(wantRanges) {
			t.Fatalf("%d chunks handed over, want %d", len(got), len(wantRanges))
		}
		one := newBatchTestProcessor(t, &calls)
		var all, want []mentionKey
		for k, h := range got {
			c, rng := h.c, wantRanges[k]
			if c.first != rng[0] || c.last != rng[1] || h.barrier != (k == len(got)-1) {
				t.Errorf("chunk %d: [%d, %d] barrier %v, want [%d, %d] barrier %v",
					k, c.first, c.last, h.barrier, rng[0], rng[1], k == len(got)-1)
			}
			if pending(int(rng[0]), int(rng[1])) == 0 {
				t.Errorf("chunk %d: no post pending at its hand-over: the test exercises nothing", k)
			}
			ref := &chunk{first: -1}
			for i := rng[0]; i <= rng[1]; i++ {
				one.handle(&msgs[i], ref)
			}
			if !slices.Equal(c.rows, ref.rows) || c.n != ref.n || len(c.dead) != len(ref.dead) ||
				len(c.routed) != len(ref.routed) || len(c.events) != len(ref.events) {
				t.Errorf("chunk %d [%d, %d]: %d rows %+v, %d dead letters; one at a time: %d rows %+v, %d dead letters",
					k, c.first, c.last, len(c.rows), c.n, len(c.dead), len(ref.rows), ref.n, len(ref.dead))
			}
			for _, r := range c.rows {
				if r.Offset < c.first || r.Offset > c.last {
					t.Errorf("chunk %d [%d, %d] holds a row of offset %d", k, c.first, c.last, r.Offset)
				}
				all = append(all, mentionKey{r.Offset, r.PostID, r.RuleID})
			}
		}
		want, _ = referenceMentions(t, pr.engine(), msgs)
		if !slices.Equal(all, want) {
			t.Errorf("rows of all chunks\n got %v\nwant %v", all, want)
		}
	})
}
