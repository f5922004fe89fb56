package sink

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// serverAddr returns the ClickHouse address from EARSHOT_CLICKHOUSE, or skips
// the test when it is unset.
func serverAddr(tb testing.TB) string {
	tb.Helper()
	addr := os.Getenv("EARSHOT_CLICKHOUSE")
	if addr == "" {
		tb.Skip("EARSHOT_CLICKHOUSE not set (e.g. 127.0.0.1:9000): skipping ClickHouse integration test")
	}
	return addr
}

// testClient opens a Client on a fresh database earshot_test_<random> that is
// dropped when the test ends. The server must be reachable.
func testClient(tb testing.TB, reg prometheus.Registerer) *Client {
	tb.Helper()
	addr := serverAddr(tb)
	var b [6]byte
	_, _ = rand.Read(b[:])
	db := "earshot_test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	c, err := Open(ctx, Config{Addr: addr, Database: db, Registerer: reg})
	if err != nil {
		tb.Fatalf("ClickHouse at %s (EARSHOT_CLICKHOUSE) unusable: %v", addr, err)
	}
	tb.Cleanup(func() {
		if err := c.DropDatabase(context.Background()); err != nil {
			tb.Errorf("cannot drop %s: %v", db, err)
		}
		if err := c.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return c
}

// truth computes the aggregates the views must produce, the obviously
// correct way.
type truth struct {
	ruleMinute  map[RuleMinuteKey]Counts
	ruleCountry map[RuleCountryKey]Counts
}

// migratedClient is testClient with the schema applied.
func migratedClient(tb testing.TB, reg prometheus.Registerer) *Client {
	tb.Helper()
	c := testClient(tb, reg)
	if _, err := c.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return c
}

// tally counts mentions as the aggregates do: mentions, originals,
// reposts and exact distinct authors.
type tally struct {
	c       Counts
	authors map[string]bool
}

func (a *tally) add(m *Mention) {
	if a.authors == nil {
		a.authors = map[string]bool{}
	}
	a.c.Mentions++
	if m.IsRepost {
		a.c.Reposts++
	} else {
		a.c.Originals++
	}
	if !a.authors[m.AuthorID] {
		a.authors[m.AuthorID] = true
		a.c.Authors++
	}
}

func groundTruth(rows []Mention) truth {
	rm := map[RuleMinuteKey]*tally{}
	rc := map[RuleCountryKey]*tally{}
	for i := range rows {
		m := &rows[i]
		k1 := RuleMinuteKey{m.RuleID, m.CreatedAt.UTC().Truncate(time.Minute)}
		if rm[k1] == nil {
			rm[k1] = &tally{}
		}
		rm[k1].add(m)
		k2 := RuleCountryKey{m.RuleID, m.Country}
		if rc[k2] == nil {
			rc[k2] = &tally{}
		}
		rc[k2].add(m)
	}
	t := truth{map[RuleMinuteKey]Counts{}, map[RuleCountryKey]Counts{}}
	for k, v := range rm {
		t.ruleMinute[k] = v.c
	}
	for k, v := range rc {
		t.ruleCountry[k] = v.c
	}
	return t
}

// synthetic returns n mentions from topic, offsets starting at firstOffset,
// spread over minutes after base, with several rules per post.
func synthetic(n int, topic string, partitions int32, firstOffset int64, base time.Time) []Mention {
	rules := []string{"quake", "fire", "flood", "quake_es"}
	countries := []string{"MX", "US", "", "JP", "ID"}
	cells := []string{"9g3w8", "9g3w9", "9q8yy", "", "xn76u"}
	out := make([]Mention, 0, n)
	for i := 0; len(out) < n; i++ {
		off := firstOffset + int64(i)
		t := base.Add(time.Duration(i) * 997 * time.Millisecond)
		for r := 0; r <= i%3 && len(out) < n; r++ {
			out = append(out, Mention{
				RuleID:          rules[(i+r)%len(rules)],
				PostID:          fmt.Sprintf("18523456789%08d", off),
				CreatedAt:       t,
				AuthorID:        fmt.Sprintf("a%d", i%97),
				AuthorHandle:    fmt.Sprintf("user%d", i%97),
				AuthorFollowers: int64(i * 13 % 5000),
				Lang:            "es",
				Source:          "x",
				IsRepost:        i%5 == 0,
				IsReply:         i%7 == 0,
				IsQuote:         i%11 == 0,
				HasGeo:          i%4 != 3,
				Lat:             19.43,
				Lon:             -99.13,
				GeoTier:         uint8(i % 4),
				Country:         countries[i%len(countries)],
				Cell:            cells[i%len(cells)],
				Text:            "Sismo fuerte en CDMX ahora mismo #temblor " + strings.Repeat("é", i%9),
				Topic:           topic,
				Partition:       int32(i) % partitions,
				Offset:          off,
			})
		}
	}
	return out
}

func TestIntegrationMigrate(t *testing.T) {
	c := testClient(t, nil)
	ctx := context.Background()
	applied, err := c.Migrate(ctx)
	if err != nil {
		t.Fatalf("first Migrate: %v", err)
	}
	want := make([]string, len(migrations))
	for i, m := range migrations {
		want[i] = m.name
	}
	if !slices.Equal(applied, want) {
		t.Fatalf("first Migrate applied %q, want %q", applied, want)
	}
	applied, err = c.Migrate(ctx)
	if err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if len(applied) != 0 {
		t.Fatalf("second Migrate applied %q, want nothing", applied)
	}
	// A step recorded twice (two processes migrating at once) is tolerated.
	if err := c.recordMigration(ctx, migrations[0]); err != nil {
		t.Fatal(err)
	}
	if applied, err = c.Migrate(ctx); err != nil || len(applied) != 0 {
		t.Fatalf("third Migrate: applied %q, err %v", applied, err)
	}
	for _, table := range []string{"schema_migrations", "mentions", "mentions_rule_minute_cell",
		"mentions_rule_minute_country", "ingest_offsets", "mention_offsets"} {
		var n uint64
		if err := c.conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name = ?",
			c.cfg.Database, table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("table %s missing after Migrate", table)
		}
	}
}

func TestIntegrationInsertAndQueries(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := migratedClient(t, reg)
	ctx := context.Background()
	base := time.Date(2026, 11, 30, 23, 50, 0, 123e6, time.UTC) // batches span a month boundary
	all := synthetic(5000, "posts", 3, 1000, base)
	// Three batches of uneven size, the last one also from a second topic.
	batches := [][]Mention{all[:1], all[1:3000], all[3000:]}
	other := synthetic(10, "other", 1, 0, base)
	batches = append(batches, other)
	for i, b := range batches {
		if err := c.Insert(ctx, b); err != nil {
			t.Fatalf("Insert batch %d: %v", i, err)
		}
	}
	if err := c.Insert(ctx, nil); err != nil {
		t.Fatalf("Insert(nil): %v", err)
	}
	rows := append(slices.Clone(all), other...)

	n, err := c.RawCount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != uint64(len(rows)) {
		t.Fatalf("RawCount = %d, want %d", n, len(rows))
	}

	// Round trip of one row, every column.
	want := all[4321]
	var got Mention
	var isRepost, isReply, isQuote, hasGeo uint8
	var ms uint16
	var minute time.Time
	if err := c.conn.QueryRow(ctx, c.sql(`SELECT rule_id, post_id, created_at, created_ms, minute, author_id,
author_handle, author_followers, lang, source, is_repost, is_reply, is_quote, repost_of, has_geo, lat, lon,
geo_tier, country, cell, text, kafka_topic, kafka_partition, kafka_offset
FROM {db}.mentions WHERE post_id = ? AND rule_id = ?`), want.PostID, want.RuleID).Scan(
		&got.RuleID, &got.PostID, &got.CreatedAt, &ms, &minute, &got.AuthorID,
		&got.AuthorHandle, &got.AuthorFollowers, &got.Lang, &got.Source, &isRepost, &isReply, &isQuote,
		&got.RepostOf, &hasGeo, &got.Lat, &got.Lon, &got.GeoTier, &got.Country, &got.Cell, &got.Text,
		&got.Topic, &got.Partition, &got.Offset); err != nil {
		t.Fatal(err)
	}
	got.CreatedAt = got.CreatedAt.Add(time.Duration(ms) * time.Millisecond).UTC()
	got.IsRepost, got.IsReply, got.IsQuote, got.HasGeo = isRepost == 1, isReply == 1, isQuote == 1, hasGeo == 1
	want.CreatedAt = want.CreatedAt.Truncate(time.Millisecond)
	if got != want {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	if !minute.Equal(want.CreatedAt.Truncate(time.Minute)) {
		t.Errorf("minute = %v, want %v", minute, want.CreatedAt.Truncate(time.Minute))
	}

	tr := groundTruth(rows)
	rm, err := c.RuleMinuteCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	compareMaps(t, "RuleMinuteCounts", rm, tr.ruleMinute)
	rc, err := c.RuleCountryCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	compareMaps(t, "RuleCountryCounts", rc, tr.ruleCountry)

	// Dashboard queries against the same truth.
	top, err := c.TopRules(ctx, time.Time{}, 2)
	if err != nil {
		t.Fatal(err)
	}
	perRule := map[string]Counts{}
	for _, m := range rows {
		x := perRule[m.RuleID]
		x.Mentions++
		perRule[m.RuleID] = x
	}
	if len(top) != 2 || top[0].Mentions < top[1].Mentions || top[0].Mentions != perRule[top[0].Rule].Mentions {
		t.Errorf("TopRules = %+v; per rule truth %+v", top, perRule)
	}
	byCountry, err := c.ByCountry(ctx, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var sum uint64
	for _, x := range byCountry {
		sum += x.Mentions
	}
	if len(byCountry) != 5 || sum != uint64(len(rows)) {
		t.Errorf("ByCountry = %+v, want 5 countries summing to %d", byCountry, len(rows))
	}
	perMinute, err := c.PerMinute(ctx, base.Add(5*time.Minute), 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(perMinute) != 3 || !slices.IsSortedFunc(perMinute, func(a, b MinuteCount) int { return a.Minute.Compare(b.Minute) }) {
		t.Errorf("PerMinute = %+v, want the last 3 minutes oldest first", perMinute)
	}
	last := rows[len(all)-1].CreatedAt.Truncate(time.Minute)
	if len(perMinute) == 3 && !perMinute[2].Minute.Equal(last) {
		t.Errorf("PerMinute last minute = %v, want %v", perMinute[2].Minute, last)
	}
	quakeMinutes, err := c.RulePerMinute(ctx, "quake", time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	wantMinutes := map[time.Time]uint64{}
	for _, m := range rows {
		if m.RuleID == "quake" {
			wantMinutes[m.CreatedAt.Truncate(time.Minute)]++
		}
	}
	if len(quakeMinutes) != len(wantMinutes) {
		t.Errorf("RulePerMinute(quake): %d minutes, want %d", len(quakeMinutes), len(wantMinutes))
	}
	for _, x := range quakeMinutes {
		if x.Mentions != wantMinutes[x.Minute] {
			t.Errorf("RulePerMinute(quake) %v: %d mentions, want %d", x.Minute, x.Mentions, wantMinutes[x.Minute])
		}
	}
	if _, err := c.RulePerMinute(ctx, "", time.Time{}, 0); err == nil {
		t.Error("RulePerMinute without a rule: no error")
	}
	cells, err := c.ByCell(ctx, "quake", time.Time{}, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	wantCells := map[string]uint64{}
	for _, m := range rows {
		if m.RuleID == "quake" && m.Cell != "" {
			wantCells[m.Cell[:3]]++
		}
	}
	gotCells := map[string]uint64{}
	for _, x := range cells {
		gotCells[x.Cell] = x.Mentions
	}
	if fmt.Sprint(gotCells) != fmt.Sprint(wantCells) {
		t.Errorf("ByCell = %v, want %v", gotCells, wantCells)
	}

	// Offsets stored with the data.
	res, err := c.ResumeOffsets(ctx, "posts")
	if err != nil {
		t.Fatal(err)
	}
	wantRes := map[int32]int64{}
	for _, m := range all {
		wantRes[m.Partition] = max(wantRes[m.Partition], m.Offset)
	}
	if fmt.Sprint(res) != fmt.Sprint(wantRes) {
		t.Errorf("ResumeOffsets(posts) = %v, want %v", res, wantRes)
	}
	if res, err := c.ResumeOffsets(ctx, "missing"); err != nil || len(res) != 0 {
		t.Errorf("ResumeOffsets(missing) = %v, %v; want empty", res, err)
	}
	// Inspect finds a stored batch by its first row, whoever's it is.
	moved := func(m Mention, p int32, off int64) Mention { m.Partition, m.Offset = p, off; return m }
	for _, tc := range []struct {
		row  Mention
		want bool
	}{
		{all[0], true},
		{all[len(all)-1], true},
		{moved(all[0], all[0].Partition+1, all[0].Offset), false}, // right offset, wrong partition
		{moved(all[0], 0, all[len(all)-1].Offset+1000), false},
		{Mention{RuleID: "r", CreatedAt: all[0].CreatedAt, Topic: "missing"}, false},
	} {
		l, err := c.Inspect(ctx, []Mention{tc.row})
		if err != nil || l.Stored != tc.want {
			t.Errorf("Inspect(%s/%d:%d) stored = %v, %v; want %v", tc.row.Topic, tc.row.Partition, tc.row.Offset, l.Stored, err, tc.want)
		}
	}

	var ids []string
	if err := c.RecentPostIDs(ctx, "posts", 1, time.Now().Add(-time.Hour), func(id string) { ids = append(ids, id) }); err != nil {
		t.Fatal(err)
	}
	var wantIDs []string
	for _, m := range all {
		if m.Partition == 1 && (len(wantIDs) == 0 || wantIDs[len(wantIDs)-1] != m.PostID) {
			wantIDs = append(wantIDs, m.PostID)
		}
	}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("RecentPostIDs: got %d ids, want %d in offset order", len(ids), len(wantIDs))
	}
	ids = ids[:0]
	if err := c.RecentPostIDs(ctx, "posts", 1, time.Now().Add(time.Hour), func(id string) { ids = append(ids, id) }); err != nil || len(ids) != 0 {
		t.Errorf("RecentPostIDs(future) = %d ids, %v; want none", len(ids), err)
	}

	// One part per month partition and per batch in mentions.
	var parts uint64
	if err := c.conn.QueryRow(ctx, `SELECT count() FROM system.parts WHERE database = ? AND table = 'mentions'`,
		c.cfg.Database).Scan(&parts); err != nil {
		t.Fatal(err)
	}
	if parts > 6 {
		t.Errorf("mentions has %d parts for 4 batches over 2 months; Insert split a batch", parts)
	}

	if got := testutil.ToFloat64(c.m.rows); got != float64(len(rows)) {
		t.Errorf("earshot_sink_rows_total = %v, want %d", got, len(rows))
	}
	if got := testutil.ToFloat64(c.m.inserts); got != float64(len(batches)) {
		t.Errorf("earshot_sink_inserts_total = %v, want %d", got, len(batches))
	}
}

func compareMaps[K comparable](t *testing.T, what string, got, want map[K]Counts) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d groups, want %d", what, len(got), len(want))
	}
	bad := 0
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			if bad++; bad <= 5 {
				t.Errorf("%s[%+v] = %+v (present %v), want %+v", what, k, g, ok, w)
			}
		}
	}
}

func TestIntegrationInsertInvalid(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := migratedClient(t, reg)
	ctx := context.Background()
	rows := synthetic(10, "posts", 1, 0, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	rows[7].CreatedAt = time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)
	err := c.Insert(ctx, rows)
	if err == nil || !strings.Contains(err.Error(), "row 7") {
		t.Fatalf("Insert with a 1969 row: err = %v, want ErrInvalidMention naming row 7", err)
	}
	if n, err := c.RawCount(ctx); err != nil || n != 0 {
		t.Fatalf("RawCount after rejected batch = %d, %v; want 0", n, err)
	}
	if got := testutil.ToFloat64(c.m.errors); got != 1 {
		t.Errorf("earshot_sink_insert_errors_total = %v, want 1", got)
	}
	// The buffers were reset: a valid batch goes through whole.
	rows[7].CreatedAt = time.Unix(math.MaxUint32-1, 0)
	if err := c.Insert(ctx, rows); err != nil {
		t.Fatal(err)
	}
	if n, err := c.RawCount(ctx); err != nil || n != 10 {
		t.Fatalf("RawCount = %d, %v; want 10", n, err)
	}
}

func TestIntegrationUnreachable(t *testing.T) {
	serverAddr(t)
	_, err := Open(context.Background(), Config{Addr: "127.0.0.1:1", DialTimeout: time.Second})
	if err == nil {
		t.Fatal("Open on a closed port succeeded")
	}
}

// BenchmarkInsert measures rows/s of Insert into the real server, batches of
// 10k and 100k realistic rows (sub-benchmark names give the batch size).
func BenchmarkInsert(b *testing.B) {
	c := migratedClient(b, nil)
	ctx := context.Background()
	for _, size := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			rows := synthetic(size, "bench", 4, 0, time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
			var bytes int64
			for _, m := range rows {
				bytes += int64(len(m.RuleID) + len(m.PostID) + len(m.AuthorID) + len(m.AuthorHandle) +
					len(m.Lang) + len(m.Source) + len(m.RepostOf) + len(m.Country) + len(m.Cell) +
					len(m.Text) + len(m.Topic) + 8*6 + 2 + 4*2 + 5)
			}
			b.SetBytes(bytes)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := c.Insert(ctx, rows); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(size)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func TestIntegrationProgressMarker(t *testing.T) {
	c := migratedClient(t, nil)
	ctx := context.Background()
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	rows := synthetic(20, "posts", 1, 100, at)
	marker := Mention{PostID: "1852345678901299999", CreatedAt: at, Topic: "posts", Partition: 0, Offset: 5000}
	if err := c.Insert(ctx, append(rows, marker)); err != nil {
		t.Fatal(err)
	}
	if n, err := c.RawCount(ctx); err != nil || n != uint64(len(rows)) {
		t.Errorf("RawCount = %d, %v; want %d (marker not counted)", n, err, len(rows))
	}
	rm, err := c.RuleMinuteCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	compareMaps(t, "RuleMinuteCounts", rm, groundTruth(rows).ruleMinute)
	res, err := c.ResumeOffsets(ctx, "posts")
	if err != nil || res[0] != 5000 {
		t.Errorf("ResumeOffsets = %v, %v; want partition 0 at 5000 (the marker)", res, err)
	}
	if l, err := c.Inspect(ctx, []Mention{marker}); err != nil || !l.Stored {
		t.Errorf("Inspect(marker) stored = %v, %v; want true", l.Stored, err)
	}
}

// cutProxy forwards TCP connections to addr and, once armed, closes a
// connection as soon as the client has sent more than limit bytes on it
// after arming: a client dying in the middle of an INSERT.
type cutProxy struct {
	ln    net.Listener
	addr  string
	armed atomic.Bool
	limit int64
}

func newCutProxy(t *testing.T, addr string, limit int64) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, addr: addr, limit: limit}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", addr)
			if err != nil {
				in.Close()
				continue
			}
			wg.Add(2)
			go func() { // server → client
				defer wg.Done()
				_, _ = io.Copy(in, out)
				in.Close()
			}()
			go func() { // client → server, cut when armed and over the limit
				defer wg.Done()
				defer out.Close()
				defer in.Close()
				buf := make([]byte, 4096)
				var sent int64
				for {
					n, err := in.Read(buf)
					if n > 0 {
						if p.armed.Load() {
							if sent += int64(n); sent > p.limit {
								return
							}
						}
						if _, werr := out.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return p
}

// TestIntegrationClientDiesMidInsert cuts the connection after part of a
// batch was sent: the server must store none of it.
func TestIntegrationClientDiesMidInsert(t *testing.T) {
	c := migratedClient(t, nil)
	ctx := context.Background()
	rows := synthetic(20_000, "posts", 2, 0, time.Date(2026, 11, 30, 23, 55, 0, 0, time.UTC)) // two months
	p := newCutProxy(t, c.cfg.Addr, 256<<10)                                                  // batch is ~3 MB
	viaProxy, err := Open(ctx, Config{Addr: p.ln.Addr().String(), Database: c.cfg.Database})
	if err != nil {
		t.Fatal(err)
	}
	defer viaProxy.Close()
	p.armed.Store(true)
	if err := viaProxy.Insert(ctx, rows); err == nil {
		t.Fatal("Insert through a connection cut mid-batch succeeded")
	}
	time.Sleep(300 * time.Millisecond) // let the server notice the broken connection
	if n, err := c.RawCount(ctx); err != nil || n != 0 {
		t.Fatalf("after a cut INSERT RawCount = %d, %v; want 0", n, err)
	}
	if res, err := c.ResumeOffsets(ctx, "posts"); err != nil || len(res) != 0 {
		t.Fatalf("after a cut INSERT ResumeOffsets = %v, %v; want none", res, err)
	}
	// The same batch, sent whole, lands whole.
	if err := c.Insert(ctx, rows); err != nil {
		t.Fatal(err)
	}
	if n, err := c.RawCount(ctx); err != nil || n != uint64(len(rows)) {
		t.Fatalf("RawCount = %d, %v; want %d", n, err, len(rows))
	}
}
