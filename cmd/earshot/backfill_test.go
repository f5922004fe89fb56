package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/segmentio/kafka-go"

	"earshot/sink"
)

// backfillPost is one message of TestBackfill's topic.
type backfillPost struct {
	id, text string
	at       time.Time
}

func (p backfillPost) message() kafka.Message {
	v := fmt.Sprintf(`{"id":%q,"created_at":%q,"text":%q,"author":{"id":"u%d","handle":"h%d"}}`,
		p.id, p.at.Format(time.RFC3339), p.text, len(p.text)%7, len(p.text)%7)
	if p.text == "" {
		v = `{"id":` + p.id // malformed: a dead letter
	}
	return kafka.Message{Key: []byte(p.id), Value: []byte(v)}
}

// TestBackfill is a rule added during an event, and its history: a pipeline
// stores the mentions of "sismo" from the first half of a topic, then runs
// with "terremoto" added over the second half. `earshot backfill --rule
// terremoto` must then leave ClickHouse holding, for terremoto, what a
// pipeline that had run both rules from the start holds (the reference,
// its own group and database): the same posts, the same copy flags, the
// same aggregates, duplicates dropped the same way (within a half, across
// the halves, of posts stored for sismo). The halves hold duplicates of
// posts of either rule and of none, copies of one text within each half,
// and malformed messages. A dry run before stores nothing, and the
// backfill run again stores nothing more.
func TestBackfill(t *testing.T) {
	kafkaAddr, chAddr, id, store := pipelineFixture(t, "backfill", ".dlq")
	ctx := t.Context()
	topic, db := "backfill-"+id, "earshot_"+id
	refDB := "earshot_ref_" + id
	ref, err := sink.Open(ctx, sink.Config{Addr: chAddr, Database: refDB})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ref.DropDatabase(context.Background()); ref.Close() })

	base := time.Now().UTC().Add(-20 * time.Minute).Truncate(time.Second)
	post := func(phase, i int, text string) backfillPost {
		return backfillPost{id: fmt.Sprintf("%d%04d", phase, i), text: text, at: base.Add(time.Duration(phase*600+i) * time.Second)}
	}
	var halves [2][]backfillPost
	for phase := range 2 {
		var ps []backfillPost
		for i := range 150 {
			n := phase*1000 + i // no text of one half in the other
			var text string
			switch i % 6 {
			case 0:
				text = fmt.Sprintf("sismo fuerte en la costa %d", n)
			case 1:
				text = fmt.Sprintf("un terremoto en la ciudad %d", n)
			case 2:
				text = fmt.Sprintf("sismo y terremoto, número %d", n)
			case 3:
				text = fmt.Sprintf("nada que ver %d", n)
			case 4: // copies of one text, within each half
				text = []string{"Terremoto: el primer aviso", "terremoto: el segundo aviso"}[phase]
			case 5:
				if i%12 == 5 {
					text = "" // malformed
				} else {
					text = fmt.Sprintf("réplica del terremoto %d", n)
				}
			}
			ps = append(ps, post(phase, i, text))
		}
		halves[phase] = ps
	}
	// Duplicates: within the first half, of posts of terremoto alone, of
	// both rules and of a copy; in the second, of first-half posts of each
	// kind but the copies (see the limits in docs/delivery.md) and of one of
	// its own.
	h0 := halves[0]
	halves[0] = append(halves[0], h0[1], h0[2], h0[7], h0[10])
	halves[1] = append(halves[1], h0[13], h0[14], h0[12], h0[15], h0[17], halves[1][19])

	w := &kafka.Writer{Addr: kafka.TCP(kafkaAddr), Topic: topic, Balancer: &kafka.Murmur2Balancer{},
		BatchTimeout: 5 * time.Millisecond, RequiredAcks: kafka.RequireAll}
	defer w.Close()
	produce := func(ps []backfillPost) {
		t.Helper()
		var msgs []kafka.Message
		for _, p := range ps {
			msgs = append(msgs, p.message())
		}
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
	}
	sismo := writeFile(t, "sismo.txt", "sismo\n")
	both := writeFile(t, "both.txt", "sismo\nterremoto\n")
	run := func(db, group, rules string, want uint64, st *sink.Client) {
		t.Helper()
		runUntilStored(t, st, want, "--kafka-brokers", kafkaAddr, "--topic", topic, "--group", group,
			"--clickhouse-addr", chAddr, "--clickhouse-database", db, "--rules", rules)
	}
	// What the pipeline stores: the first copy of each post id, once per
	// rule in force when it is read (a post counted before is dropped).
	counted := map[string]bool{}
	stored := func(ps []backfillPost, rules ...string) (n uint64) {
		for _, p := range ps {
			var hits uint64
			for _, r := range rules {
				if p.text != "" && strings.Contains(strings.ToLower(p.text), r) {
					hits++
				}
			}
			if hits > 0 && !counted[p.id] {
				counted[p.id] = true
				n += hits
			}
		}
		return n
	}
	produce(halves[0])
	n0 := stored(halves[0], "sismo")
	run(db, "g-"+id, sismo, n0, store)
	produce(halves[1])
	n1 := n0 + stored(halves[1], "sismo", "terremoto")
	run(db, "g-"+id, both, n1, store)
	clear(counted)
	all := append(slices.Clone(halves[0]), halves[1]...)
	nRef := stored(all, "sismo", "terremoto")
	run(refDB, "g-ref-"+id, both, nRef, ref)

	// backfill runs `earshot backfill`, with --json unless as text.
	type result struct {
		backfillReport
		text string
	}
	backfill := func(extra ...string) (rep result) {
		t.Helper()
		args := append([]string{"backfill", "--kafka-brokers", kafkaAddr, "--topic", topic, "--clickhouse-addr", chAddr,
			"--clickhouse-database", db, "--rules", both, "--rule", "terremoto", "--since", "1h", "--settle", "1s"}, extra...)
		out, errOut, status := earshot(t, "", args...)
		if status != 0 {
			t.Fatalf("earshot %v: status %d\n%s%s", args, status, out, errOut)
		}
		if !slices.Contains(extra, "--json") {
			return result{text: out}
		}
		if err := json.Unmarshal([]byte(out), &rep.backfillReport); err != nil {
			t.Fatalf("earshot %v: %v\n%s", args, err, out)
		}
		return rep
	}
	want := nRef - n1 // what the first half holds for terremoto, less what the pipeline stored of it
	dry := backfill("--dry-run", "--json")
	var read, dead, malformed int64
	for _, p := range dry.Partitions {
		read, dead = read+p.Read, dead+p.DeadLetters
	}
	for _, p := range all {
		if p.text == "" {
			malformed++
		}
	}
	if !dry.DryRun || dry.Mentions != int64(want) || read != int64(len(all)) || dead != malformed {
		t.Fatalf("dry run: would store %d mentions from %d messages (%d dead letters), want %d from %d (%d)\n%+v",
			dry.Mentions, read, dead, want, len(all), malformed, dry)
	}
	if n, _ := store.RawCount(ctx); n != n1 {
		t.Fatalf("after a dry run %d mentions, want %d unchanged", n, n1)
	}
	// The backfill runs beside the pipeline, which learns the posts it
	// stores: a post only terremoto matches, first read before the
	// pipeline took terremoto up, delivered again after the backfill, is
	// not counted again.
	var log syncBuffer
	live := exec.Command(earshotBin(t), "run", "--http-addr", "", "--detect=false", "--batch-interval", "200ms",
		"--backfill-poll", "500ms", "--kafka-brokers", kafkaAddr, "--topic", topic, "--group", "g-"+id,
		"--clickhouse-addr", chAddr, "--clickhouse-database", db, "--rules", both)
	live.Stdout, live.Stderr = &log, &log
	if err := live.Start(); err != nil {
		t.Fatal(err)
	}
	defer live.Process.Kill()
	for deadline := time.Now().Add(30 * time.Second); strings.Count(log.String(), "partition owned") < defaultPartitions; {
		if time.Now().After(deadline) {
			t.Fatalf("the pipeline did not take its partitions:\n%s", log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	out := backfill().text
	time.Sleep(2 * time.Second) // past a poll
	dup := h0[19]
	if !strings.HasPrefix(dup.text, "un terremoto") {
		t.Fatalf("post %s is not of terremoto alone: %q", dup.id, dup.text)
	}
	produce([]backfillPost{dup})
	hw := highWatermarks(t, ctx, kafkaAddr, topic, defaultPartitions)
	for deadline := time.Now().Add(30 * time.Second); ; {
		resume, err := store.ResumeOffsets(ctx, topic)
		done := err == nil
		for p, h := range hw {
			done = done && resume[int32(p)] == h-1
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the pipeline did not store up to %v: %v, %v\n%s", hw, resume, err, log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	live.Process.Signal(syscall.SIGTERM)
	if err := live.Wait(); err != nil {
		t.Fatalf("earshot run: %v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "dedup window learned posts a backfill stored") {
		t.Errorf("the pipeline did not say it learned the backfilled posts:\n%s", log.String())
	}
	if n, _ := store.RawCount(ctx); n != nRef {
		t.Fatalf("after the backfill %d mentions, want the reference's %d\n%s", n, nRef, out)
	}
	if !strings.Contains(out, fmt.Sprintf("\nstored %d mentions\n", want)) || !strings.Contains(out, "already stored") {
		t.Errorf("backfill, as text:\n%s", out)
	}
	compareRule(t, ctx, chAddr, db, refDB, "terremoto")
	for _, st := range []*sink.Client{store, ref} { // sismo's untouched: the same in both
		counts, err := st.RuleMinuteCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var total uint64
		for k, c := range counts {
			if k.Rule == "sismo" {
				total += c.Mentions
			}
		}
		if total != countRule(all, "sismo") {
			t.Errorf("sismo: %d mentions in the aggregates, want %d", total, countRule(all, "sismo"))
		}
	}

	// Again: everything is there already.
	again := backfill("--json")
	var found int64
	for _, p := range again.Partitions {
		found += p.Stored
	}
	if n, _ := store.RawCount(ctx); again.Mentions != 0 || found != int64(countRule(all, "terremoto")) || n != nRef {
		t.Fatalf("backfill again: stored %d mentions (%d in all), found %d stored; want 0 (%d), %d",
			again.Mentions, n, found, nRef, countRule(all, "terremoto"))
	}
	compareRule(t, ctx, chAddr, db, refDB, "terremoto")

	// Mistakes: a rule that is not in the file, no --since.
	_, errOut, status := earshot(t, "", "backfill", "--kafka-brokers", kafkaAddr, "--topic", topic, "--clickhouse-addr", chAddr,
		"--rules", both, "--rule", "temblor", "--since", "1h")
	if status != 2 || !strings.Contains(errOut, `rule "temblor" is not in `+both) {
		t.Errorf("unknown rule: status %d, %s", status, errOut)
	}
	_, errOut, status = earshot(t, "", "backfill", "--kafka-brokers", kafkaAddr, "--topic", topic, "--clickhouse-addr", chAddr,
		"--clickhouse-database", db+"_none", "--rules", both, "--rule", "terremoto", "--since", "1h")
	if none, err := sink.Open(context.Background(), sink.Config{Addr: chAddr, Database: db + "_none"}); err == nil {
		none.DropDatabase(context.Background()) // opening the store made it
		none.Close()
	}
	if status != 1 || !strings.Contains(errOut, "does the pipeline store into the database "+db+"_none?") {
		t.Errorf("a database the pipeline does not use: status %d, %s", status, errOut)
	}
	_, errOut, status = earshot(t, "", "backfill", "--rules", both, "--rule", "terremoto")
	if status != 2 || !strings.Contains(errOut, "--since is required") {
		t.Errorf("no --since: status %d, %s", status, errOut)
	}
}

// countRule is how many distinct posts of ps hold rule's term.
func countRule(ps []backfillPost, rule string) uint64 {
	ids := map[string]bool{}
	for _, p := range ps {
		if p.text != "" && strings.Contains(strings.ToLower(p.text), rule) {
			ids[p.id] = true
		}
	}
	return uint64(len(ids))
}

// compareRule requires rule's mentions (post, time, author, copy flags) and
// its aggregates to be the same in databases db and ref.
func compareRule(t *testing.T, ctx context.Context, chAddr, db, ref, rule string) {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{chAddr}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	read := func(q string) []string {
		t.Helper()
		rows, err := conn.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var row string
			if err := rows.Scan(&row); err != nil {
				t.Fatal(err)
			}
			out = append(out, row)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	queries := map[string]string{
		"mentions": `SELECT concat(post_id, ' ', toString(created_at), ' ', author_id, ' ', toString(copy_key), ' ', copy_of, ' ', toString(copy_count))
FROM %s.mentions WHERE rule_id = '` + rule + `' ORDER BY post_id`,
		"per minute": `SELECT concat(toString(minute), ' ', toString(countMerge(mentions)), ' ', toString(sumMerge(originals)), ' ', toString(uniqExactMerge(authors)))
FROM %s.mentions_rule_minute_country WHERE rule_id = '` + rule + `' GROUP BY minute ORDER BY minute`,
		"copies": `SELECT concat(toString(minute), ' ', toString(sumMerge(copies)), ' ', toString(uniqExactMerge(texts)))
FROM %s.copies_rule_minute WHERE rule_id = '` + rule + `' GROUP BY minute ORDER BY minute`,
		"authors": `SELECT concat(author_id, ' ', toString(countMerge(mentions))) FROM %s.authors_rule_hour
WHERE rule_id = '` + rule + `' GROUP BY author_id ORDER BY author_id`,
	}
	for _, name := range slices.Sorted(maps.Keys(queries)) {
		got, want := read(fmt.Sprintf(queries[name], db)), read(fmt.Sprintf(queries[name], ref))
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("%s of %s: %d rows\n%s\nthe reference's: %d rows\n%s", name, rule,
				len(got), strings.Join(got, "\n"), len(want), strings.Join(want, "\n"))
		}
	}
}

// syncBuffer is a bytes.Buffer a process writes while a test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
