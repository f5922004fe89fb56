package harness

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/segmentio/kafka-go"
)

// EngineRun is ClickHouse's own Kafka table engine and a materialized view
// doing the keyword match, over the throughput phase's posts.
type EngineRun struct {
	Posts             int     `json:"posts"`
	Seconds           float64 `json:"seconds"`
	PostsPerSecond    float64 `json:"posts_per_second"`
	CPUSeconds        float64 `json:"clickhouse_cpu_seconds"`
	PostsPerCPUSecond float64 `json:"posts_per_cpu_second"`
	MatchedPosts      int64   `json:"matched_posts"`
	PatternBytes      int     `json:"pattern_bytes"`
	TimedOut          bool    `json:"timed_out"`
	Version           string  `json:"clickhouse_version"`
}

// engineTimeout bounds the phase; a slower server is measured over the
// posts it read by then.
const engineTimeout = 10 * time.Minute

func engineRun(ctx context.Context, o Options, svc services, ch driver.Conn, topic, rulesFile, group string, start time.Time) (*EngineRun, error) {
	terms, err := readTerms(rulesFile)
	if err != nil {
		return nil, err
	}
	pattern := termsPattern(terms)
	e := &EngineRun{PatternBytes: len(pattern)}
	// A topic of its own with the first of the same posts: the engine
	// inserts a block when it has read max_insert_block_size rows (about
	// 1M: ~20 minutes of matching here) or when its topic has no more, and
	// a table being dropped waits for the block being read.
	topic += "-engine"
	if err := produce(ctx, o, topic, o.EnginePosts, start); err != nil {
		return nil, err
	}
	// The engine's consumer starts at a new group's end (librdkafka's
	// default, not settable in this ClickHouse): the group is given
	// offset 0 of every partition first.
	if err := commitStart(ctx, o.Brokers, group, topic); err != nil {
		return nil, err
	}
	if err := ch.QueryRow(ctx, "SELECT version()").Scan(&e.Version); err != nil {
		return nil, err
	}
	db := "earshot_" + strings.ReplaceAll(group, "-", "_") // earshot_e2e_ch_<time>
	stmts := []string{
		"DROP DATABASE IF EXISTS " + db,
		"CREATE DATABASE " + db,
		fmt.Sprintf("CREATE TABLE %s.posts_queue (id String, text String) ENGINE = Kafka('%s', '%s', '%s', 'JSONEachRow')",
			db, o.Brokers, topic, group),
		fmt.Sprintf("CREATE TABLE %s.post_terms (id String, terms Array(String)) ENGINE = MergeTree ORDER BY id", db),
	}
	for _, s := range stmts {
		if err := ch.Exec(ctx, s); err != nil {
			return nil, fmt.Errorf("%.80s: %w", s, err)
		}
	}
	defer func() { // the view first: the engine reads on while one is attached
		for _, s := range []string{"DROP TABLE IF EXISTS " + db + ".match_mv", "DROP DATABASE IF EXISTS " + db} {
			if err := ch.Exec(context.Background(), s); err != nil {
				fmt.Fprintf(os.Stderr, "bench: %s: %v\n", s, err)
			}
		}
	}()
	first, err := sample(0, svc)
	if err != nil {
		return nil, err
	}
	// The view starts the consumer; the match is one regular expression
	// of all the terms (case-insensitive, between word boundaries).
	mv := fmt.Sprintf("CREATE MATERIALIZED VIEW %s.match_mv TO %s.post_terms AS SELECT id, extractAll(text, '%s') AS terms FROM %s.posts_queue",
		db, db, sqlString(pattern), db)
	if err := ch.Exec(ctx, mv); err != nil {
		return nil, fmt.Errorf("creating the matching view: %w", err)
	}
	var n uint64
	deadline := time.Now().Add(engineTimeout)
	for {
		if err := wait(ctx, 500*time.Millisecond); err != nil {
			return nil, err
		}
		if err := ch.QueryRow(ctx, "SELECT count() FROM "+db+".post_terms").Scan(&n); err != nil {
			return nil, err
		}
		if n >= uint64(o.EnginePosts) {
			break
		}
		if time.Now().After(deadline) {
			e.TimedOut = true
			break
		}
	}
	last, err := sample(0, svc)
	if err != nil {
		return nil, err
	}
	var matched uint64
	if err := ch.QueryRow(ctx, "SELECT countIf(notEmpty(terms)) FROM "+db+".post_terms").Scan(&matched); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("the Kafka engine stored no post in %s", engineTimeout)
	}
	e.Posts, e.MatchedPosts = int(n), int64(matched)
	e.Seconds = last.at.Sub(first.at).Seconds()
	e.PostsPerSecond = float64(n) / e.Seconds
	e.CPUSeconds = (last.clickhouse - first.clickhouse).Seconds()
	e.PostsPerCPUSecond = float64(n) / e.CPUSeconds
	return e, nil
}

// readTerms reads a keyword list: one term per line, blank lines and
// comment lines (# followed by a space, or a lone #) skipped.
func readTerms(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var terms []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		t := strings.TrimSpace(sc.Text())
		if t == "" || t == "#" || strings.HasPrefix(t, "# ") {
			continue
		}
		terms = append(terms, t)
	}
	return terms, sc.Err()
}

// termsPattern is one RE2 expression matching any of the terms,
// case-insensitive, each between word boundaries where it starts or ends
// with an ASCII letter or digit (RE2's \b is ASCII-only; terms of other
// scripts get no boundary there), capturing the term.
func termsPattern(terms []string) string {
	var b strings.Builder
	b.WriteString("(?i)(")
	for k, t := range terms {
		if k > 0 {
			b.WriteByte('|')
		}
		if asciiWord(t, true) {
			b.WriteString(`\b`)
		}
		b.WriteString(regexp.QuoteMeta(t))
		if asciiWord(t, false) {
			b.WriteString(`\b`)
		}
	}
	b.WriteString(")")
	return b.String()
}

// asciiWord reports whether t's first (or last) rune is an ASCII letter,
// digit or '_'.
func asciiWord(t string, first bool) bool {
	r, _ := utf8.DecodeRuneInString(t)
	if !first {
		r, _ = utf8.DecodeLastRuneInString(t)
	}
	return r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_')
}

// sqlString escapes s for a ClickHouse string literal in single quotes.
func sqlString(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s)
}

// commitStart commits offset 0 of every partition of topic for group.
func commitStart(ctx context.Context, brokers, group, topic string) error {
	c := &kafka.Client{Addr: kafka.TCP(strings.Split(brokers, ",")...)}
	md, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return fmt.Errorf("reading %s's partitions: %w", topic, err)
	}
	var offs []kafka.OffsetCommit
	for _, t := range md.Topics {
		for _, p := range t.Partitions {
			offs = append(offs, kafka.OffsetCommit{Partition: p.ID, Offset: 0})
		}
	}
	if len(offs) == 0 {
		return fmt.Errorf("topic %s has no partitions", topic)
	}
	resp, err := c.OffsetCommit(ctx, &kafka.OffsetCommitRequest{GroupID: group, GenerationID: -1,
		Topics: map[string][]kafka.OffsetCommit{topic: offs}})
	if err != nil {
		return fmt.Errorf("committing the engine's start offsets: %w", err)
	}
	for _, ps := range resp.Topics {
		for _, p := range ps {
			if p.Error != nil {
				return fmt.Errorf("committing the engine's start offset of partition %d: %w", p.Partition, p.Error)
			}
		}
	}
	return nil
}
