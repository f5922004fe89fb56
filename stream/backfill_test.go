package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"earshot/match"
	"earshot/sink"
	"earshot/stream/dedup"
	"earshot/stream/post"
)

// backfillStore is ClickHouse as a backfill sees it: the rows stored, the
// dedup keys they make, and resume offsets that move on between two reads.
type backfillStore struct {
	rows    []sink.Mention
	resume  []int64 // returned one after the other (the last one stays)
	failOne bool    // the first Insert fails, keeping mentions and all but copies_rule_minute
	missing []string
	done    [][]sink.Mention // what CompleteRows was asked to write, per call
	keys    []sink.BackfillKey
}

func (s *backfillStore) ResumeOffsets(context.Context, string) (map[int32]int64, error) {
	o := s.resume[0]
	if len(s.resume) > 1 {
		s.resume = s.resume[1:]
	}
	return map[int32]int64{0: o}, nil
}

func (s *backfillStore) keyed(fn func(m *sink.Mention)) {
	rows := slices.Clone(s.rows)
	slices.SortStableFunc(rows, func(a, b sink.Mention) int { return int(a.Offset - b.Offset) })
	for i := range rows {
		if rows[i].PostID != "" {
			fn(&rows[i])
		}
	}
}

func (s *backfillStore) KeysBefore(_ context.Context, _ string, _ int32, before int64, _ time.Time, fn func(string, uint64)) error {
	seen := map[string]bool{}
	s.keyed(func(m *sink.Mention) {
		if m.Offset < before && !seen[m.PostID] {
			seen[m.PostID] = true
			fn(m.PostID, m.CopyKey)
		}
	})
	return nil
}

func (s *backfillStore) KeysBetween(_ context.Context, _ string, _ int32, from, to int64, fn func(int64, string, uint64)) error {
	s.keyed(func(m *sink.Mention) {
		if m.Offset >= from && m.Offset < to {
			fn(m.Offset, m.PostID, m.CopyKey)
		}
	})
	return nil
}

func (s *backfillStore) RuleMentions(_ context.Context, _ string, _ int32, rules []string, from int64, _ time.Time, fn func(string, string)) error {
	for _, m := range s.rows {
		if slices.Contains(rules, m.RuleID) && m.Offset >= from {
			fn(m.RuleID, m.PostID)
		}
	}
	return nil
}

func (s *backfillStore) InsertBackfillKeys(_ context.Context, _ string, _ int32, keys []sink.BackfillKey, _ time.Time) error {
	s.keys = append(s.keys, keys...)
	return nil
}

func (s *backfillStore) Insert(_ context.Context, rows []sink.Mention) error {
	s.rows = append(s.rows, rows...)
	if s.failOne {
		s.failOne = false
		s.missing = []string{"copies_rule_minute"}
		return errors.New("server failed writing copies_rule_minute")
	}
	return nil
}

func (s *backfillStore) Inspect(_ context.Context, rows []sink.Mention) (sink.Landing, error) {
	if !slices.ContainsFunc(s.rows, func(m sink.Mention) bool { return m == rows[0] }) {
		return sink.Landing{}, nil
	}
	l := sink.Landing{Stored: true}
	for _, t := range []string{"authors_rule_hour", "copies_rule_minute", "dedup_keys"} {
		st := sink.Written
		if slices.Contains(s.missing, t) {
			st = sink.Missing
		}
		l.Tables = append(l.Tables, sink.TableLanding{Table: t, State: st})
	}
	return l, nil
}

func (s *backfillStore) CompleteRows(_ context.Context, rows []sink.Mention, table string) error {
	s.done = append(s.done, slices.Clone(rows))
	s.missing = slices.DeleteFunc(s.missing, func(t string) bool { return t == table })
	return nil
}

// TestBackfillDecides is one partition the pipeline read with "sismo" and,
// from offset 7, with "terremoto" too; a backfill of terremoto from offset 2
// must make the rows the pipeline would have made had it run terremoto from
// there, no more:
//   - a duplicate of a post stored before the backfill's start is dropped
//     (the window rebuilt from the keys stored before it);
//   - a copy of such a post says so (the copy counts rebuilt with it);
//   - an edit of a post stored for sismo, under the same id, is a duplicate
//     (the keys stored within the range, fed as the backfill reaches them);
//   - a duplicate of a post the backfill stores is dropped;
//   - the mentions of terremoto stored already are left alone;
//   - a malformed message is counted and left;
//   - the messages stored after the backfill began are read too;
//   - the posts it stores that the pipeline had not are recorded for the
//     pipeline's dedup windows.
//
// Its one INSERT, the row of a post the pipeline had not stored first (what
// Inspect asks dedup_keys about), fails, keeping mentions but not
// copies_rule_minute: that table is completed with exactly the batch's
// rows, its own marker included.
func TestBackfillDecides(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	type msg struct {
		id, text string
		stored   []string // the rules the pipeline stored it for
	}
	msgs := []msg{
		{"a", "SISMO: terremoto aviso", []string{"sismo"}},
		{"b", "nada", nil},
		{"a", "SISMO: terremoto aviso", nil}, // the backfill starts here
		{"c", "sismo: terremoto aviso", []string{"sismo"}},
		{"h", "sismo ahora", []string{"sismo"}},
		{"e", "terremoto nuevo", nil},
		{"h", "sismo ahora, editado: terremoto", nil},
		{"f", "terremoto nuevo", []string{"terremoto"}}, // the pipeline runs terremoto from here
		{"e", "terremoto nuevo", nil},
		{"g", "sismo y terremoto", []string{"sismo", "terremoto"}},
		{"", "", nil}, // not json; the pipeline stores its marker after the backfill began
	}
	st := &backfillStore{resume: []int64{9, 10}, failOne: true}
	var norm []byte
	copies := dedup.NewCopies(time.Hour, 0, at)
	for off, m := range msgs {
		if len(m.stored) == 0 {
			continue
		}
		var key uint64
		key, norm = dedup.CopyKey(norm, []byte(m.text))
		of, n := copies.Observe(key, m.id, at)
		for _, r := range m.stored {
			st.rows = append(st.rows, sink.Mention{RuleID: r, PostID: m.id, CreatedAt: at, Topic: "posts", Offset: int64(off),
				CopyKey: key, CopyOf: of, CopyCount: n})
		}
	}
	stored := len(st.rows)
	read := func(_ context.Context, p int, start, end int64, fn func(*kafka.Message) error) error {
		for off := start; off < end && off < int64(len(msgs)); off++ {
			m := msgs[off]
			v := fmt.Sprintf(`{"id":%q,"created_at":"2026-11-23T10:00:00Z","text":%q}`, m.id, m.text)
			if m.id == "" {
				v = "not json"
			}
			if err := fn(&kafka.Message{Topic: "posts", Partition: p, Offset: off, Value: []byte(v)}); err != nil {
				return err
			}
		}
		return nil
	}
	deps := BackfillDeps{Engine: testEngine(t, "terremoto\n"), Store: st, Enricher: fixedEnricher{}, Read: read,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	cfg := BackfillConfig{Topic: "posts", Settle: time.Millisecond, RetryBackoff: time.Millisecond}
	res, err := Backfill(t.Context(), cfg, deps, []PartitionOffset{{0, 2}})
	if err != nil {
		t.Fatal(err)
	}
	want := BackfillPartition{Partition: 0, Start: 2, End: 11, Read: 9, DeadLetters: 1, Matched: 7, Duplicates: 3, Stored: 2, Mentions: 2}
	if len(res) != 1 || res[0] != want {
		t.Fatalf("result %+v, want %+v", res, want)
	}
	got := st.rows[stored:]
	if len(got) != 3 {
		t.Fatalf("%d rows stored, want 2 and a marker: %+v", len(got), got)
	}
	for i, w := range []struct {
		id     string
		offset int64
		copyOf string
		count  uint32
	}{{"e", 5, "", 1}, {"c", 3, "a", 2}} { // e first: the pipeline stored no row of it
		m := got[i]
		if m.RuleID != "terremoto" || m.PostID != w.id || m.Offset != w.offset || m.CopyOf != w.copyOf || m.CopyCount != w.count {
			t.Errorf("row %d: %s %s at %d, copy of %q (%d); want terremoto %s at %d, copy of %q (%d)",
				i, m.RuleID, m.PostID, m.Offset, m.CopyOf, m.CopyCount, w.id, w.offset, w.copyOf, w.count)
		}
	}
	if mk := got[2]; mk.RuleID != "" || mk.Offset >= 0 || !mk.CreatedAt.Equal(at) {
		t.Errorf("marker %+v: want no rule, a negative offset, the first row's time", mk)
	}
	if len(st.done) != 1 || !slices.Equal(st.done[0], got) || len(st.missing) != 0 {
		t.Errorf("completed %d times (%v missing), want once with the batch's rows", len(st.done), st.missing)
	}
	if len(st.keys) != 1 || st.keys[0] != (sink.BackfillKey{PostID: "e", CopyKey: got[0].CopyKey}) {
		t.Errorf("keys recorded for the pipeline: %+v, want e's alone (it stored c)", st.keys)
	}

	// Again: everything is stored; a dry run of it stores nothing either.
	st.resume = []int64{10}
	for _, dry := range []bool{false, true} {
		cfg.DryRun = dry
		res, err = Backfill(t.Context(), cfg, deps, []PartitionOffset{{0, 2}})
		if err != nil || res[0].Mentions != 0 || res[0].Stored != 4 || len(st.rows) != stored+3 {
			t.Fatalf("again (dry run %v): %+v, %v; %d rows, want %d", dry, res, err, len(st.rows), stored+3)
		}
	}
}

// FuzzBackfill is a differential test: a partition read by a pipeline that
// took up "terremoto" at offset k, then backfilled from offset s ≤ k, must
// hold the mentions of terremoto that a pipeline running it from s holds:
// each post once, the same posts. The messages repeat post ids (with the
// same text or an edit), repeat texts under other ids, and include
// malformed ones.
func FuzzBackfill(f *testing.F) {
	for seed := range 64 {
		f.Add(uint64(seed))
	}
	a, ar, r := testEngine(f, "sismo\n"), testEngine(f, "sismo\nterremoto\n"), testEngine(f, "terremoto\n")
	f.Fuzz(func(t *testing.T, seed uint64) {
		rng := rand.New(rand.NewPCG(seed, 7))
		n := 1 + rng.IntN(600)
		texts := []string{"sismo", "terremoto", "sismo y terremoto", "nada", "un TERREMOTO, sismo", "hola"}
		type msg struct{ id, text string }
		msgs := make([]msg, n)
		for i := range msgs {
			m := msg{id: fmt.Sprint(rng.IntN(n/2 + 1)), text: fmt.Sprintf("%s %d", texts[rng.IntN(len(texts))], rng.IntN(4))}
			if k := rng.IntN(i + 1); k < i && rng.IntN(4) == 0 { // an earlier post again, mostly as it was
				m = msgs[k]
				if rng.IntN(3) == 0 {
					m.text = texts[rng.IntN(len(texts))] + " (editado)"
				}
			}
			if rng.IntN(20) == 0 {
				m.text = "" // malformed
			}
			msgs[i] = m
		}
		k := rng.IntN(n + 1)
		s := rng.IntN(k + 1)
		message := func(off int) *kafka.Message {
			m := msgs[off]
			v := fmt.Sprintf(`{"id":%q,"created_at":"2026-11-23T10:00:00Z","text":%q}`, m.id, m.text)
			if m.text == "" {
				v = "{"
			}
			return &kafka.Message{Topic: "posts", Offset: int64(off), Value: []byte(v)}
		}
		// run is a pipeline over the partition that runs "sismo" and, from
		// offset from on, "terremoto" too; it returns the rows it stores.
		run := func(from int) []sink.Mention {
			t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
			eng := a
			pr := &processor{topic: "posts", engine: func() *match.Engine { return eng }, enricher: fixedEnricher{},
				dec: post.NewDecoder(post.Limits{}), seen: dedup.NewWindow(time.Hour, 0, t0), copies: dedup.NewCopies(time.Hour, 0, t0),
				m: newMetrics(nil), now: func() time.Time { return t0 }}
			c := &chunk{first: -1}
			for off := range msgs {
				if off == from {
					pr.flush(c) // a reload takes effect at the next batch
					eng = ar
				}
				pr.add(message(off), c)
			}
			pr.flush(c)
			return c.rows
		}
		st := &backfillStore{rows: run(k), resume: []int64{int64(n - 1)}}
		read := func(_ context.Context, _ int, start, end int64, fn func(*kafka.Message) error) error {
			for off := start; off < end; off++ {
				if err := fn(message(int(off))); err != nil {
					return err
				}
			}
			return nil
		}
		deps := BackfillDeps{Engine: r, Store: st, Enricher: fixedEnricher{}, Read: read, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
		cfg := BackfillConfig{Topic: "posts", Settle: time.Nanosecond, BatchRows: 1 + rng.IntN(50)}
		if _, err := Backfill(t.Context(), cfg, deps, []PartitionOffset{{0, int64(s)}}); err != nil {
			t.Fatal(err)
		}
		posts := func(rows []sink.Mention) []string {
			var ids []string
			for _, m := range rows {
				if m.RuleID == "terremoto" {
					ids = append(ids, m.PostID)
				}
			}
			slices.Sort(ids)
			return ids
		}
		if got, want := posts(st.rows), posts(run(s)); !slices.Equal(got, want) {
			t.Fatalf("%d messages, rule taken up at %d, backfilled from %d: terremoto's posts\n%v\nwant (run from %d)\n%v", n, k, s, got, s, want)
		}
	})
}

// TestBackfillRechecks: the pipeline stores a post's mention of the rule
// (its second delivery, after it took the rule up) while the backfill
// reads the first: the backfill, which loaded the stored mentions before,
// asks again before it inserts, and stores nothing.
func TestBackfillRechecks(t *testing.T) {
	st := &backfillStore{resume: []int64{0}}
	read := func(_ context.Context, p int, start, end int64, fn func(*kafka.Message) error) error {
		st.rows = append(st.rows, sink.Mention{RuleID: "terremoto", PostID: "z", Topic: "posts", Offset: 5})
		return fn(&kafka.Message{Topic: "posts", Partition: p, Offset: 0,
			Value: []byte(`{"id":"z","created_at":"2026-11-23T10:00:00Z","text":"terremoto"}`)})
	}
	deps := BackfillDeps{Engine: testEngine(t, "terremoto\n"), Store: st, Enricher: fixedEnricher{}, Read: read,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	res, err := Backfill(t.Context(), BackfillConfig{Topic: "posts", Settle: time.Nanosecond}, deps, []PartitionOffset{{0, 0}})
	if err != nil || len(res) != 1 || res[0].Mentions != 0 || res[0].Stored != 1 || len(st.rows) != 1 || len(st.keys) != 0 {
		t.Fatalf("%+v, %v; %d rows, %d keys: want nothing stored, the mention found stored", res, err, len(st.rows), len(st.keys))
	}
}
