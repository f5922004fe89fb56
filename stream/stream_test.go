package stream

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"

	"earshot/enrich"
	"earshot/match"
	"earshot/sink"
	"earshot/stream/adapt"
	"earshot/stream/dedup"
	"earshot/stream/post"
)

func testEngine(t testing.TB, lines string) *match.Engine {
	t.Helper()
	rules, err := match.Parse("rules.txt", []byte(lines))
	if err != nil {
		t.Fatal(err)
	}
	e, err := match.Compile(rules)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// fixedEnricher marks every mention as coming from one place.
type fixedEnricher struct{}

func (fixedEnricher) Enrich(p *post.Post, f *enrich.Features) {
	*f = enrich.Features{Country: "MX", Tier: enrich.TierPlace}
}

func newTestProcessor(t *testing.T) *processor {
	eng := testEngine(t, "sismo\ntemblor\n地震\n")
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	return &processor{topic: "posts", partition: 3, engine: func() *match.Engine { return eng },
		enricher: fixedEnricher{}, dec: post.NewDecoder(post.Limits{}), seen: dedup.NewWindow(time.Hour, 0, t0),
		copies: dedup.NewCopies(time.Hour, 0, t0),
		m:      newMetrics(nil), now: func() time.Time { return t0 }}
}

func TestProcessor(t *testing.T) {
	pr := newTestProcessor(t)
	c := &chunk{first: -1}
	msg := func(off int64, v string) *kafka.Message {
		return &kafka.Message{Topic: "posts", Partition: 3, Offset: off, Key: []byte("k"), Value: []byte(v)}
	}
	pr.handle(msg(10, `{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"¡SISMO! y #temblor en CDMX","author":{"id":"a1"}}`), c)
	pr.handle(msg(11, `{"id":"2","created_at":"2026-11-22T10:00:01Z","text":"nothing to see"}`), c)
	pr.handle(msg(12, `{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"¡SISMO! y #temblor en CDMX"}`), c) // firehose duplicate
	pr.handle(msg(13, `not json`), c)
	pr.handle(msg(14, `{"id":"3","created_at":"2026-11-22T10:00:02Z","text":"RT @ana: 大地震だ","repost_of":"9"}`), c)

	if c.n != (counts{consumed: 5, decoded: 4, matched: 3, duplicates: 1, mentions: 3, reposts: 1}) {
		t.Fatalf("counts %+v", c.n)
	}
	if len(c.rows) != 3 {
		t.Fatalf("%d rows, want 3: %+v", len(c.rows), c.rows)
	}
	r := c.rows[0]
	if r.RuleID != "sismo" || c.rows[1].RuleID != "temblor" || r.PostID != "1" || r.Offset != 10 ||
		r.Partition != 3 || r.Topic != "posts" || r.Country != "MX" || r.AuthorID != "a1" || r.IsRepost {
		t.Fatalf("row 0 %+v", r)
	}
	if r2 := c.rows[2]; r2.RuleID != "地震" || !r2.IsRepost || r2.RepostOf != "9" || r2.Offset != 14 {
		t.Fatalf("row 2 %+v", r2)
	}
	if len(c.dead) != 1 {
		t.Fatalf("%d dead letters, want 1", len(c.dead))
	}
	h := map[string]string{}
	for _, x := range c.dead[0].Headers {
		h[x.Key] = string(x.Value)
	}
	if h[HeaderReason] != "invalid_json" || h[HeaderSourceOffset] != "13" || h[HeaderSourcePartition] != "3" ||
		h[HeaderSourceTopic] != "posts" || string(c.dead[0].Value) != "not json" {
		t.Fatalf("dead letter %q headers %v", c.dead[0].Value, h)
	}
}

// newEnrichingProcessor is newTestProcessor with the rules of a YAML file
// and the real enricher.
func newEnrichingProcessor(t *testing.T, yaml string) *processor {
	t.Helper()
	eng := testEngine(t, yaml) // a first key rules: makes it YAML
	enr, err := enrich.New(enrich.Config{})
	if err != nil {
		t.Fatal(err)
	}
	pr := newTestProcessor(t)
	pr.engine, pr.enricher = func() *match.Engine { return eng }, enr
	return pr
}

// TestProcessorCountry: country: filters see the country the mention is
// stored with (the enrichment's: GPS, then place, then profile), with the
// real enricher, for posts matched in one batch.
func TestProcessorCountry(t *testing.T) {
	pr := newEnrichingProcessor(t, "rules:\n  - id: mx\n    query: sismo country:MX\n  - id: not-mx\n    query: sismo -country:MX\n")
	c := &chunk{first: -1}
	for i, extra := range []string{
		`"geo":{"lat":19.43,"lon":-99.13}`, // GPS in Mexico City, no place
		`"place":{"country_code":"US"}`,
		`"geo":{"lat":34.05,"lon":-118.24},"place":{"country_code":"MX"}`, // GPS in Los Angeles wins over the place
		`"author":{"id":"a","location":"Guadalajara, Jalisco"}`,
		`"lang":"es"`, // nowhere: country:MX does not hold, -country:MX does
	} {
		pr.add(&kafka.Message{Offset: int64(i), Value: []byte(fmt.Sprintf(`{"id":"%d","created_at":"2026-11-22T10:00:00Z","text":"sismo",%s}`, i, extra))}, c)
	}
	pr.flush(c)
	var got []string
	for _, r := range c.rows {
		got = append(got, fmt.Sprintf("%s:%s:%s:gps=%v:cell=%v", r.PostID, r.RuleID, r.Country, r.HasGeo, r.Cell != ""))
	}
	// has_geo is the post's GPS fix (docs/schema.md, like has:geo); a place's
	// box or a profile location gives a cell without it.
	want := []string{"0:mx:MX:gps=true:cell=true", "1:not-mx:US:gps=false:cell=false", "2:not-mx:US:gps=true:cell=true",
		"3:mx:MX:gps=false:cell=true", "4:not-mx::gps=false:cell=false"}
	if !slices.Equal(got, want) {
		t.Fatalf("rows %q, want %q", got, want)
	}
}

// TestProcessorAuthor: author: and author.bio: filters see the author the
// decoder defers until a rule asks (and is:quote the quoted post).
func TestProcessorAuthor(t *testing.T) {
	pr := newEnrichingProcessor(t, "rules:\n  - id: not-own\n    query: sismo -author:CDMX_Alertas\n"+
		"  - id: press\n    query: sismo author.bio:periodista\n  - id: quote\n    query: sismo is:quote\n")
	c := &chunk{first: -1}
	for i, extra := range []string{
		`"author":{"id":"a0","handle":"@cdmx_alertas","bio":"Alertas oficiales"}`,
		`"author":{"id":"a1","handle":"ana","bio":"#Periodista. CDMX","followers":10}`,
		`"author":{"id":"a2","handle":"bob","bio":"periodistas unidos"},"quote_of":"77"`,
		``,
	} {
		if extra != "" {
			extra = "," + extra
		}
		pr.add(&kafka.Message{Offset: int64(i), Value: []byte(fmt.Sprintf(`{"id":"%d","created_at":"2026-11-22T10:00:00Z","text":"sismo"%s}`, i, extra))}, c)
	}
	pr.flush(c)
	var got []string
	for _, r := range c.rows {
		got = append(got, r.PostID+":"+r.RuleID+":"+r.AuthorHandle)
	}
	want := []string{"1:not-own:ana", "1:press:ana", "2:not-own:bob", "2:quote:bob", "3:not-own:"}
	if !slices.Equal(got, want) {
		t.Fatalf("rows %q, want %q", got, want)
	}
}

// TestProcessorLang: lang: filters see the source's language tag, or, when
// the post has none (or "und"), the language enrichment detects and stores.
func TestProcessorLang(t *testing.T) {
	pr := newEnrichingProcessor(t, "rules:\n  - id: es\n    query: sismo lang:es\n  - id: pt-BR\n    query: sismo lang:pt-BR\n")
	c := &chunk{first: -1}
	const es = "fuerte sismo esta mañana en la ciudad, todos salimos a la calle y esperamos noticias"
	for i, extra := range []string{`"lang":"es"`, ``, `"lang":"und"`, `"lang":"pt-BR"`, `"lang":"en"`} {
		msg := fmt.Sprintf(`{"id":"%d","created_at":"2026-11-22T10:00:00Z","text":%q`, i, es)
		if extra != "" {
			msg += "," + extra
		}
		pr.add(&kafka.Message{Offset: int64(i), Value: []byte(msg + "}")}, c)
	}
	pr.flush(c)
	var got []string
	for _, r := range c.rows {
		got = append(got, r.PostID+":"+r.RuleID+":"+r.Lang)
	}
	want := []string{"0:es:es", "1:es:es", "2:es:es", "3:pt-BR:pt"}
	if !slices.Equal(got, want) {
		t.Fatalf("rows %q, want %q", got, want)
	}
}

// fakeStore records inserts; failNext makes the next insert fail after
// (landed=true) or before (landed=false) storing the rows. After a failure
// that stored them, Inspect reports tables (nil: none) as the views'
// tables; Complete records the tables it is asked to complete, fails for
// those in failComplete as many times as given, and otherwise marks them
// written.
type fakeStore struct {
	mu           sync.Mutex
	rows         []sink.Mention
	inserts      int
	failNext     int
	landed       bool
	tables       []sink.TableLanding
	completed    []string
	failComplete map[string]int
	first        time.Time     // when the first Insert came
	delay        time.Duration // how long each Insert takes
	starts       []time.Time   // when each Insert came
	// running is how many INSERTs begun before a time RunningInserts
	// reports, call by call (0 when past its end); asked records olderThan.
	running []int
	asked   []time.Duration
}

func (s *fakeStore) RunningInserts(_ context.Context, olderThan time.Duration) (int, time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked = append(s.asked, olderThan)
	if len(s.asked) > len(s.running) {
		return 0, 0, nil
	}
	return s.running[len(s.asked)-1], olderThan + time.Second, nil
}

func (s *fakeStore) Insert(_ context.Context, rows []sink.Mention) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inserts == 0 {
		s.first = time.Now()
	}
	s.starts = append(s.starts, time.Now())
	time.Sleep(s.delay)
	s.inserts++
	if s.failNext > 0 {
		s.failNext--
		if s.landed {
			s.rows = append(s.rows, rows...)
		}
		return errors.New("connection reset")
	}
	s.rows = append(s.rows, rows...)
	return nil
}

// mentions returns the stored rows that are not progress markers, and the
// markers as partition → offset.
func (s *fakeStore) mentions() ([]sink.Mention, map[int32]int64) {
	var rows []sink.Mention
	marks := map[int32]int64{}
	for _, r := range s.rows {
		if r.RuleID == "" {
			marks[r.Partition] = r.Offset
		} else {
			rows = append(rows, r)
		}
	}
	return rows, marks
}

func (s *fakeStore) Inspect(_ context.Context, rows []sink.Mention) (sink.Landing, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := rows[0]
	for _, r := range s.rows {
		if r.Topic == w.Topic && r.Partition == w.Partition && r.Offset == w.Offset {
			return sink.Landing{Stored: true, Tables: slices.Clone(s.tables)}, nil
		}
	}
	return sink.Landing{}, nil
}

func (s *fakeStore) Complete(_ context.Context, _ []sink.Mention, table string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.completed = append(s.completed, table)
	if s.failComplete[table] > 0 {
		s.failComplete[table]--
		return errors.New("connection reset")
	}
	for i := range s.tables {
		if s.tables[i].Table == table {
			s.tables[i].State = sink.Written
		}
	}
	return nil
}

func (s *fakeStore) ResumeOffsets(context.Context, string) (map[int32]int64, error) { return nil, nil }

func (s *fakeStore) BackfillKeys(context.Context, string, int32, time.Time, func(string, uint64)) error {
	return nil
}

// RecentKeys replays the stored rows' post ids and copy keys in offset
// order, once per post, like sink.Client.RecentKeys.
func (s *fakeStore) RecentKeys(_ context.Context, _ string, p int32, _ time.Time, fn func(string, uint64)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	rows := slices.Clone(s.rows)
	slices.SortStableFunc(rows, func(a, b sink.Mention) int { return cmp.Compare(a.Offset, b.Offset) })
	for _, r := range rows {
		if r.Partition == p && r.PostID != "" && !seen[r.PostID] {
			seen[r.PostID] = true
			fn(r.PostID, r.CopyKey)
		}
	}
	return nil
}

type fakeCommitter struct {
	mu      sync.Mutex
	commits []map[string]map[int]int64
}

func (f *fakeCommitter) CommitOffsets(o map[string]map[int]int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.commits = append(f.commits, o)
	return nil
}

type fakeDLQ struct{ msgs []kafka.Message }

func (f *fakeDLQ) WriteMessages(_ context.Context, m ...kafka.Message) error {
	f.msgs = append(f.msgs, m...)
	return nil
}

func runWriter(t *testing.T, store *fakeStore, chunks ...*chunk) (*fakeDLQ, *Stats) {
	t.Helper()
	return runWriterFrom(t, store, time.Time{}, chunks...)
}

// runWriterFrom is runWriter with the writer's notBefore.
func runWriterFrom(t *testing.T, store *fakeStore, notBefore time.Time, chunks ...*chunk) (*fakeDLQ, *Stats) {
	t.Helper()
	cfg := Config{Brokers: []string{"x"}, Topic: "posts", RetryBackoff: time.Millisecond}
	cfg.SetDefaults()
	dlq := &fakeDLQ{}
	w := &writer{cfg: &cfg, store: store, dlq: dlq, m: newMetrics(nil), stats: &Stats{},
		log: slog.New(slog.NewTextHandler(io.Discard, nil)), in: make(chan *chunk, len(chunks)), notBefore: notBefore}
	for _, c := range chunks {
		w.in <- c
	}
	close(w.in)
	w.run(context.Background())
	return dlq, w.stats
}

func mention(p int32, off int64) sink.Mention {
	return sink.Mention{RuleID: "r", PostID: "p", Topic: "posts", Partition: p, Offset: off}
}

func TestWriterCommitsAfterInsert(t *testing.T) {
	gen := &fakeCommitter{}
	store := &fakeStore{}
	dl := kafka.Message{Value: []byte("bad")}
	c1 := &chunk{gen: gen, topic: "posts", partition: 0, first: 0, last: 9, rows: []sink.Mention{mention(0, 4)}, dead: []kafka.Message{dl}}
	c2 := &chunk{gen: gen, topic: "posts", partition: 1, first: 0, last: 4} // no rows: still committed
	c3 := &chunk{gen: gen, topic: "posts", partition: 0, first: 10, last: 19, rows: []sink.Mention{mention(0, 12), mention(0, 12)}}
	dlq, st := runWriter(t, store, c1, c2, c3)
	rows, marks := store.mentions()
	if len(rows) != 3 || store.inserts != 1 {
		t.Fatalf("%d rows in %d inserts, want 3 in 1", len(rows), store.inserts)
	}
	if len(marks) != 2 || marks[0] != 19 || marks[1] != 4 {
		t.Fatalf("progress markers %v, want partition 0 at 19, 1 at 4", marks)
	}
	if len(dlq.msgs) != 1 || st.Inserted.Load() != 3 {
		t.Fatalf("dead letters %d, inserted %d", len(dlq.msgs), st.Inserted.Load())
	}
	if len(gen.commits) != 1 || gen.commits[0]["posts"][0] != 20 || gen.commits[0]["posts"][1] != 5 {
		t.Fatalf("commits %v, want posts/0→20 posts/1→5", gen.commits)
	}
}

// A run's rows must not be dated in the second its detector's warm-up
// reads up to: the first insert waits for notBefore.
func TestWriterWaitsForNotBefore(t *testing.T) {
	notBefore := time.Now().Add(300 * time.Millisecond)
	store := &fakeStore{}
	runWriterFrom(t, store, notBefore, &chunk{gen: &fakeCommitter{}, topic: "posts", first: 0, last: 0, rows: []sink.Mention{mention(0, 0)}})
	if store.inserts != 1 || store.first.Before(notBefore) {
		t.Fatalf("%d inserts, the first at %v, want one at or after %v", store.inserts, store.first, notBefore)
	}
}

// An insert that failed after the server stored it must not be repeated.
func TestWriterAmbiguousInsertNotDoubled(t *testing.T) {
	for _, landed := range []bool{true, false} {
		store := &fakeStore{failNext: 1, landed: landed}
		gen := &fakeCommitter{}
		runWriter(t, store, &chunk{gen: gen, topic: "posts", first: 5, last: 6, rows: []sink.Mention{mention(0, 5), mention(0, 6)}})
		if rows, _ := store.mentions(); len(rows) != 2 {
			t.Fatalf("landed=%v: %d rows stored, want 2 exactly", landed, len(rows))
		}
		wantInserts := 2
		if landed {
			wantInserts = 1
		}
		if store.inserts != wantInserts || len(gen.commits) != 1 {
			t.Fatalf("landed=%v: %d inserts, %d commits", landed, store.inserts, len(gen.commits))
		}
	}
}

// A failed insert that ClickHouse kept in mentions is not inserted again:
// the views' tables that lack it are completed, and after a completion
// fails the batch is inspected again, so that each table is written once.
func TestWriterSettlesPartialInsert(t *testing.T) {
	for _, tc := range []struct {
		name          string
		tables        []sink.TableLanding
		failComplete  map[string]int
		wantCompleted []string
		wantPartial   float64
	}{
		{name: "kept whole", tables: []sink.TableLanding{
			{Table: "t1", State: sink.Written}, {Table: "t2", State: sink.Written}, {Table: "t3", State: sink.Nothing}}},
		{name: "kept in part",
			tables: []sink.TableLanding{
				{Table: "t1", State: sink.Unknown}, // logged, left
				{Table: "t2", State: sink.Written},
				{Table: "t3", State: sink.Missing},
				{Table: "t4", State: sink.Missing},
				{Table: "t5", State: sink.Nothing},
				{Table: "t6", State: sink.Missing},
				{Table: "t7", State: sink.Written},
			},
			failComplete:  map[string]int{"t3": 2, "t4": 1},
			wantCompleted: []string{"t3", "t3", "t3", "t4", "t4", "t6"},
			wantPartial:   1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := &fakeStore{failNext: 1, landed: true, tables: tc.tables, failComplete: tc.failComplete}
			cfg := Config{Brokers: []string{"x"}, Topic: "posts", RetryBackoff: time.Millisecond}
			cfg.SetDefaults()
			w := &writer{cfg: &cfg, store: store, dlq: &fakeDLQ{}, m: newMetrics(nil), stats: &Stats{},
				log: slog.New(slog.NewTextHandler(io.Discard, nil)), in: make(chan *chunk, 1)}
			gen := &fakeCommitter{}
			w.in <- &chunk{gen: gen, topic: "posts", first: 5, last: 6, rows: []sink.Mention{mention(0, 5), mention(0, 6)}}
			close(w.in)
			w.run(context.Background())
			if rows, _ := store.mentions(); len(rows) != 2 || store.inserts != 1 || len(gen.commits) != 1 {
				t.Fatalf("%d rows stored by %d inserts, %d commits; want 2 rows, 1 insert, 1 commit", len(rows), store.inserts, len(gen.commits))
			}
			if !slices.Equal(store.completed, tc.wantCompleted) {
				t.Errorf("completed %q, want %q", store.completed, tc.wantCompleted)
			}
			if got := testutil.ToFloat64(w.m.partial); got != tc.wantPartial {
				t.Errorf("partial inserts = %v, want %v", got, tc.wantPartial)
			}
		})
	}
}

// Flushes start every BatchInterval, however long each insert takes: a
// post waits at most about one interval and one insert, not two inserts.
func TestWriterIntervalFromFlushStart(t *testing.T) {
	const interval, insert = 100 * time.Millisecond, 60 * time.Millisecond
	cfg := Config{Brokers: []string{"x"}, Topic: "posts", BatchInterval: interval}
	cfg.SetDefaults()
	store := &fakeStore{delay: insert}
	w := &writer{cfg: &cfg, store: store, dlq: &fakeDLQ{}, m: newMetrics(nil), stats: &Stats{},
		log: slog.New(slog.NewTextHandler(io.Discard, nil)), in: make(chan *chunk, 4)}
	done := make(chan struct{})
	go func() { defer close(done); w.run(context.Background()) }()
	gen := &fakeCommitter{}
	for off := int64(0); off < 150; off++ { // 1.5 s of chunks, one every 10 ms
		w.in <- &chunk{gen: gen, topic: "posts", first: off, last: off, rows: []sink.Mention{mention(0, off)}}
		time.Sleep(10 * time.Millisecond)
	}
	close(w.in)
	<-done
	starts := store.starts[:len(store.starts)-1] // the last flush is the close's
	var gaps []time.Duration
	for i := 1; i < len(starts); i++ {
		gaps = append(gaps, starts[i].Sub(starts[i-1]))
	}
	if len(gaps) < 5 {
		t.Fatalf("%d timed flushes in 1.5 s, want about 15", len(gaps)+1)
	}
	slices.Sort(gaps)
	// From flush end to the next start, the median gap would be ~160 ms.
	if med := gaps[len(gaps)/2]; med > interval+interval/3 {
		t.Fatalf("median time between flush starts %v, want about %v (inserts take %v)", med, interval, insert)
	}
	if rows, _ := store.mentions(); len(rows) != 150 {
		t.Fatalf("%d rows stored, want 150", len(rows))
	}
}

// A barrier chunk is flushed at once and answered.
func TestWriterBarrier(t *testing.T) {
	store := &fakeStore{}
	done := make(chan error, 1)
	runWriter(t, store, &chunk{gen: &fakeCommitter{}, topic: "posts", first: 0, last: 0,
		rows: []sink.Mention{mention(0, 0)}, done: done})
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatal("barrier not answered")
	}
}

// TestFenceAfter: an ended generation's chunks are written no later than
// the new generation can complete: before the rebalance timeout
// (ShutdownTimeout) and before the session timeout (kafka-go heartbeats
// no more while the owners flush), less two heartbeats each.
func TestFenceAfter(t *testing.T) {
	for _, c := range []struct {
		session, shutdown, want time.Duration
	}{
		{6 * time.Second, 10 * time.Second, 3600 * time.Millisecond}, // the fault tests': 7.6 s before
		{10 * time.Second, 30 * time.Second, 6 * time.Second},        // the defaults
		{10 * time.Second, 8 * time.Second, 4 * time.Second},
	} {
		cfg := Config{SessionTimeout: c.session, ShutdownTimeout: c.shutdown}
		if got := cfg.fenceAfter(); got != c.want {
			t.Errorf("session %v, shutdown %v: fence after %v, want %v", c.session, c.shutdown, got, c.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	var c Config
	c.SetDefaults()
	if err := c.Validate(); err == nil {
		t.Fatal("empty config accepted")
	}
	c = Config{Brokers: []string{"127.0.0.1:9092"}, Topic: "posts", DedupWindow: time.Second}
	c.SetDefaults()
	if err := c.Validate(); err == nil {
		t.Fatal("1s dedup window accepted")
	}
	c.DedupWindow = time.Hour
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.DeadLetterTopic != "posts.dlq" || c.Group != "earshot" || c.BatchRows != 50_000 || c.RevivalEvery != time.Minute {
		t.Fatalf("defaults %+v", c)
	}
	c.Revival.Quiet = 90 * time.Minute
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "revival: lifecycle: quiet 1h30m0s") {
		t.Fatalf("a revival quiet of 90m: %v", err)
	}
	c.RevivalEvery = -1 // no revival alerts: their settings are not used
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestProcessorCopies(t *testing.T) {
	pr := newTestProcessor(t)
	c := &chunk{first: -1}
	msg := func(off int64, v string) *kafka.Message {
		return &kafka.Message{Topic: "posts", Partition: 3, Offset: off, Value: []byte(v)}
	}
	pr.handle(msg(1, `{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"Sismo fuerte en CDMX https://t.co/a","author":{"id":"a"}}`), c)
	pr.handle(msg(2, `{"id":"2","created_at":"2026-11-22T10:00:01Z","text":"sismo  FUERTE en cdmx https://t.co/b @x","author":{"id":"b"}}`), c)
	pr.handle(msg(3, `{"id":"3","created_at":"2026-11-22T10:00:02Z","text":"RT @a: Sismo fuerte en CDMX","repost_of":"1"}`), c)
	pr.handle(msg(4, `{"id":"4","created_at":"2026-11-22T10:00:03Z","text":"RT @a: Sismo fuerte en CDMX","author":{"id":"c"}}`), c)
	pr.handle(msg(5, `{"id":"5","created_at":"2026-11-22T10:00:04Z","text":"otro sismo"}`), c)
	type got struct {
		id, of string
		n      uint32
		rt     bool
	}
	var rows []got
	for _, r := range c.rows {
		rows = append(rows, got{r.PostID, r.CopyOf, r.CopyCount, r.IsRepost})
	}
	want := []got{{"1", "", 1, false}, {"2", "1", 2, false}, {"3", "", 0, true}, {"4", "1", 3, false}, {"5", "", 1, false}}
	if !slices.Equal(rows, want) {
		t.Fatalf("rows\n got %+v\nwant %+v", rows, want)
	}
	if c.n.copies != 2 || c.n.reposts != 1 {
		t.Fatalf("copies %d reposts %d, want 2 and 1", c.n.copies, c.n.reposts)
	}
}

// TestWarmUpReplaysState checks that the dedup window and copy counts
// rebuilt from the stored keys (what a new owner does on assignment) give
// the rows the previous owner would have produced: a restart at any offset
// changes nothing.
func TestWarmUpReplaysState(t *testing.T) {
	texts := []string{"sismo fuerte", "SISMO fuerte https://t.co/x", "temblor ahora", "sismo y temblor", "otro sismo"}
	var msgs []*kafka.Message
	for i := range 60 {
		id := i
		if i%7 == 6 {
			id = i - 3 // a firehose duplicate
		}
		v := fmt.Sprintf(`{"id":"%d","created_at":"2026-11-22T10:00:%02dZ","text":%q}`, id, i%60, texts[i%len(texts)])
		msgs = append(msgs, &kafka.Message{Topic: "posts", Partition: 3, Offset: int64(i), Value: []byte(v)})
	}
	run := func(pr *processor, from int) []sink.Mention {
		c := &chunk{first: -1}
		for _, m := range msgs[from:] {
			pr.handle(m, c)
		}
		return c.rows
	}
	all := run(newTestProcessor(t), 0)
	for _, cut := range []int{1, 7, 13, 30, 59} {
		store := &fakeStore{}
		for _, r := range all {
			if r.Offset < int64(cut) {
				store.rows = append(store.rows, r)
			}
		}
		pr := newTestProcessor(t)
		t0 := pr.now()
		store.RecentKeys(context.Background(), "posts", 3, t0, func(id string, key uint64) {
			pr.seen.Add(dedup.Key(id), t0)
			pr.copies.Observe(key, id, t0)
		})
		var want []sink.Mention
		for _, r := range all {
			if r.Offset >= int64(cut) {
				want = append(want, r)
			}
		}
		if got := run(pr, cut); !slices.Equal(got, want) {
			t.Errorf("restart at offset %d: rows differ\n got %+v\nwant %+v", cut, got, want)
		}
	}
}

// TestWriterFencesEndedGeneration: a chunk whose generation ended longer
// ago than the fence allows is dropped unwritten and uncommitted; one whose
// generation ended just now is still written.
func TestWriterFencesEndedGeneration(t *testing.T) {
	cfg := Config{Brokers: []string{"x"}, Topic: "posts"}
	cfg.SetDefaults()
	stale, fresh := newFence(), newFence()
	stale.ended.Store(time.Now().Add(-cfg.fenceAfter() - time.Second).UnixNano())
	fresh.end()
	gc := &fakeCommitter{}
	old := &chunk{gen: gc, fence: stale, topic: "posts", partition: 1, first: 10, last: 11,
		rows: []sink.Mention{mention(1, 10)}, done: make(chan error, 1)}
	store := &fakeStore{}
	runWriter(t, store, old)
	if err := <-old.done; !errors.Is(err, errFenced) {
		t.Fatalf("stale chunk: done = %v, want errFenced", err)
	}
	if store.inserts != 0 || len(gc.commits) != 0 {
		t.Fatalf("stale chunk written: %d inserts, %d commits", store.inserts, len(gc.commits))
	}
	now := &chunk{gen: gc, fence: fresh, topic: "posts", partition: 1, first: 12, last: 12,
		rows: []sink.Mention{mention(1, 12)}}
	runWriter(t, store, now)
	if rows, _ := store.mentions(); len(rows) != 1 || len(gc.commits) != 1 {
		t.Fatalf("fresh chunk: %d rows, %d commits; want 1 and 1", len(rows), len(gc.commits))
	}
}

// blockingDLQ is a dead-letter topic on a broker that is down: every write
// waits until its context ends.
type blockingDLQ struct{ entered chan struct{} }

func (d *blockingDLQ) WriteMessages(ctx context.Context, _ ...kafka.Message) error {
	select {
	case d.entered <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return ctx.Err()
}

// A generation that ends while its batch is being written (its dead letters
// waiting for a broker that went down) fences the batch fenceAfter later:
// its rows are never inserted after the partition's next owner may have
// read its resume offsets.
func TestWriterFencesGenerationEndingDuringFlush(t *testing.T) {
	cfg := Config{Brokers: []string{"x"}, Topic: "posts", RetryBackoff: time.Millisecond,
		ShutdownTimeout: 600 * time.Millisecond, SessionTimeout: time.Second} // fenceAfter 200 ms
	cfg.SetDefaults()
	f := newFence()
	dlq := &blockingDLQ{entered: make(chan struct{}, 1)}
	store := &fakeStore{}
	w := &writer{cfg: &cfg, store: store, dlq: dlq, m: newMetrics(nil), stats: &Stats{},
		log: slog.New(slog.NewTextHandler(io.Discard, nil)), in: make(chan *chunk, 1)}
	gc := &fakeCommitter{}
	c := &chunk{gen: gc, fence: f, topic: "posts", partition: 1, first: 10, last: 11,
		rows: []sink.Mention{mention(1, 10)}, dead: []kafka.Message{{Value: []byte("bad")}}, done: make(chan error, 1)}
	w.in <- c
	close(w.in)
	go func() { <-dlq.entered; f.end() }()
	done := make(chan struct{})
	go func() { defer close(done); w.run(context.Background()) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the flush outlived its generation's fence")
	}
	if err := <-c.done; !errors.Is(err, errFenced) {
		t.Fatalf("done = %v, want errFenced", err)
	}
	if store.inserts != 0 || len(gc.commits) != 0 {
		t.Fatalf("%d inserts, %d commits; want none", store.inserts, len(gc.commits))
	}
	if got := testutil.ToFloat64(w.m.staleChunks); got != 1 {
		t.Errorf("stale chunks = %v, want 1", got)
	}
}

// With an adapter, a valid message that is not a post is passed over
// without a dead letter, and a post in another format becomes a mention.
func TestProcessorAdapter(t *testing.T) {
	pr := newTestProcessor(t)
	a, err := adapt.New(adapt.FormatAuto, post.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	pr.dec = a
	c := &chunk{first: -1}
	pr.handle(&kafka.Message{Offset: 1, Value: []byte(`{"delete":{"status":{"id":1,"id_str":"1","user_id":2}}}`)}, c)
	pr.handle(&kafka.Message{Offset: 2, Value: []byte(`{"created_at":"Sun Nov 22 10:00:00 +0000 2026","id":77,"id_str":"77",
		"text":"Fuerte sismo ahora","user":{"id":5,"id_str":"5","screen_name":"ana","followers_count":10,"friends_count":20,
		"statuses_count":30,"created_at":"Sat Mar 01 00:00:00 +0000 2014"},"coordinates":{"type":"Point","coordinates":[-99.13,19.43]}}`)}, c)
	if c.n.skipped != 1 || len(c.dead) != 0 {
		t.Fatalf("skipped %d, dead letters %d; want 1, 0", c.n.skipped, len(c.dead))
	}
	if len(c.rows) != 1 || c.rows[0].PostID != "77" || c.rows[0].RuleID != "sismo" || c.rows[0].AuthorID != "5" {
		t.Fatalf("rows %+v", c.rows)
	}
}

// TestAwaitLateInserts: before reading the resume offsets, a new
// generation waits while ClickHouse runs INSERTs begun before it (asking
// each time for those older than the time since it began), counts the
// wait once, and gives up after ShutdownTimeout.
func TestAwaitLateInserts(t *testing.T) {
	for _, c := range []struct {
		name    string
		running []int
		timeout time.Duration
		calls   int // at least
		waits   float64
	}{
		{"none", nil, time.Second, 1, 0},
		{"two, then one, then none", []int{2, 2, 1}, 5 * time.Second, 4, 1},
		{"never done", []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 500 * time.Millisecond, 5, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			store := &fakeStore{running: c.running}
			pl := &Pipeline{cfg: Config{ShutdownTimeout: c.timeout}, deps: Deps{Store: store}, m: newMetrics(nil), log: slog.New(slog.DiscardHandler)}
			start := time.Now()
			pl.awaitLateInserts(context.Background(), start)
			took := time.Since(start)
			if len(store.asked) < c.calls {
				t.Errorf("asked %d times, want at least %d", len(store.asked), c.calls)
			}
			if !slices.IsSorted(store.asked) || store.asked[len(store.asked)-1] > took {
				t.Errorf("asked for INSERTs older than %v: not the time since the generation began (%v)", store.asked, took)
			}
			if got := testutil.ToFloat64(pl.m.lateInserts); got != c.waits {
				t.Errorf("earshot_late_insert_waits_total %v, want %v", got, c.waits)
			}
			if c.name == "never done" && (took < c.timeout || len(store.asked) > len(c.running)) {
				t.Errorf("gave up after %v and %d calls, want after %v", took, len(store.asked), c.timeout)
			}
		})
	}
}
