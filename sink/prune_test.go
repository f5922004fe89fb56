package sink

import (
	"context"
	"maps"
	"regexp"
	"slices"
	"testing"
	"time"
)

// TestRetainedTables holds Prune's list to the schema: every table created
// partitioned by month expires, and nothing else.
func TestRetainedTables(t *testing.T) {
	create := regexp.MustCompile(`(?s)CREATE TABLE IF NOT EXISTS \{db\}\.(\w+) \(.*?\) ENGINE = \w+(.*?)(?:;|$)`)
	var monthly []string
	for _, m := range migrations {
		for _, stmt := range m.statements {
			for _, c := range create.FindAllStringSubmatch(stmt, -1) {
				if regexp.MustCompile(`PARTITION BY toYYYYMM\(`).MatchString(c[2]) {
					monthly = append(monthly, c[1])
				}
			}
		}
	}
	slices.Sort(monthly)
	want := slices.Sorted(slices.Values(retained))
	if !slices.Equal(monthly, want) || len(monthly) < 6 {
		t.Fatalf("tables partitioned by month %v, Prune expires %v", monthly, want)
	}
}

func TestPartitionEnd(t *testing.T) {
	for _, c := range []struct {
		month string
		end   time.Time
	}{
		{"202501", time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)},
		{"202612", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		if end, err := (Partition{Month: c.month}).End(); err != nil || !end.Equal(c.end) {
			t.Errorf("%s: end %v, %v; want %v", c.month, end, err, c.end)
		}
	}
	for _, bad := range []string{"tuple()", "2025011", "20251", "202513", "1; DROP"} {
		if _, err := (Partition{Table: "mentions", Month: bad}).End(); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestIntegrationPrune stores mentions of January 2025 and of the last hour,
// and an alert of each time, then prunes what is older than 90 days: a dry
// run drops nothing; the real one drops January from every table that had
// it and leaves the recent rows, their aggregates and every resume point.
func TestIntegrationPrune(t *testing.T) {
	c := migratedClient(t, nil)
	ctx := context.Background()
	old := synthetic(300, "prune", 2, 0, time.Date(2025, 1, 10, 12, 0, 0, 0, time.UTC))
	recent := synthetic(300, "prune", 2, 1000, time.Now().UTC().Add(-time.Hour).Truncate(time.Second))
	for _, rows := range [][]Mention{old, recent} {
		if err := c.Insert(ctx, rows); err != nil {
			t.Fatal(err)
		}
	}
	offsets, err := c.ResumeOffsets(ctx, "prune")
	if err != nil {
		t.Fatal(err)
	}
	before, err := c.Partitions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var january []string
	for _, p := range before {
		if p.Month == "202501" {
			january = append(january, p.Table)
			if p.Rows == 0 || p.Bytes == 0 {
				t.Errorf("%+v: no rows or bytes", p)
			}
		}
	}
	for _, table := range []string{"mentions", "mentions_rule_minute_cell", "mentions_rule_minute_country", "authors_rule_hour"} {
		if !slices.Contains(january, table) {
			t.Fatalf("%s has no partition 202501: %+v", table, before)
		}
	}

	firstBefore, err := c.FirstMentions(ctx)
	if err != nil || len(firstBefore) == 0 {
		t.Fatalf("first mentions: %v, %v", firstBefore, err)
	}
	cutoff := time.Now().AddDate(0, 0, -90)
	for _, dry := range []bool{true, false} {
		dropped, err := c.Prune(ctx, cutoff, dry)
		if err != nil {
			t.Fatal(err)
		}
		var tables []string
		for _, p := range dropped {
			if p.Month != "202501" {
				t.Errorf("dry run %v: dropped %+v", dry, p)
			}
			tables = append(tables, p.Table)
		}
		if !slices.Equal(tables, january) {
			t.Errorf("dry run %v: dropped %v, want %v", dry, tables, january)
		}
		n, err := c.RawCount(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := len(recent) + len(old)*boolInt(dry); n != uint64(want) {
			t.Errorf("dry run %v: %d mentions left, want %d", dry, n, want)
		}
	}
	rm, err := c.RuleMinuteCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	compareMaps(t, "RuleMinuteCounts after pruning", rm, groundTruth(recent).ruleMinute)
	after, err := c.ResumeOffsets(ctx, "prune")
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != 2 || len(offsets) != 2 || after[0] != offsets[0] || after[1] != offsets[1] {
		t.Errorf("resume offsets %v after pruning, %v before", after, offsets)
	}
	// Each rule's first mention is the one before pruning: January's.
	if first, err := c.FirstMentions(ctx); err != nil || !maps.EqualFunc(first, firstBefore, time.Time.Equal) || first["quake"].Year() != 2025 {
		t.Errorf("first mentions after pruning %v, before %v (%v)", first, firstBefore, err)
	}
	// Nothing is left to drop.
	if dropped, err := c.Prune(ctx, cutoff, false); err != nil || len(dropped) != 0 {
		t.Errorf("second prune: %+v, %v", dropped, err)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
