package sink

import (
	"errors"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestConfig(t *testing.T) {
	f := func(cfg Config, wantErr string) {
		t.Helper()
		cfg.SetDefaults()
		err := cfg.Validate()
		switch {
		case wantErr == "" && err != nil:
			t.Errorf("Validate(%+v) = %v, want nil", cfg, err)
		case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
			t.Errorf("Validate(%+v) = %v, want error containing %q", cfg, err, wantErr)
		}
	}
	f(Config{}, "")
	f(Config{Database: "earshot_test_01"}, "")
	f(Config{Database: "bad-name"}, "Database")
	f(Config{Database: "x; DROP TABLE y"}, "Database")
	f(Config{Database: "1abc"}, "Database")
	f(Config{DialTimeout: -time.Second}, "DialTimeout")
	f(Config{WriteTimeout: -time.Second}, "WriteTimeout")

	var c Config
	c.SetDefaults()
	want := Config{Addr: "127.0.0.1:9000", Database: "earshot", User: "default",
		DialTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
	if c != want {
		t.Errorf("defaults = %+v, want %+v", c, want)
	}
}

func TestQuoteIdent(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := quoteIdent(in); got != want {
			t.Errorf("quoteIdent(%q) = %q, want %q", in, got, want)
		}
	}
	f("earshot", "`earshot`")
	f("a`b", "`a\\`b`")
	f(`a\b`, "`a\\\\b`")
}

func TestSinceArgAndLimit(t *testing.T) {
	f := func(in time.Time, want uint32) {
		t.Helper()
		if got := sinceArg(in); got != want {
			t.Errorf("sinceArg(%v) = %d, want %d", in, got, want)
		}
	}
	f(time.Time{}, 0)
	f(time.Unix(-5, 0), 0)
	f(time.Unix(1700000000, 999), 1700000000)
	f(time.Unix(math.MaxUint32+10, 0), math.MaxUint32)
	if got := limitClause(0); got != "" {
		t.Errorf("limitClause(0) = %q", got)
	}
	if got := limitClause(-3); got != "" {
		t.Errorf("limitClause(-3) = %q", got)
	}
	if got := limitClause(25); got != " LIMIT 25" {
		t.Errorf("limitClause(25) = %q", got)
	}
}

// TestMigrationsShape checks the migration list without a server: versions
// strictly increase, names are unique, every statement is idempotent, and
// the INSERT column list matches the mentions table.
func TestMigrationsShape(t *testing.T) {
	names := map[string]bool{}
	var last uint32
	for _, m := range migrations {
		if m.version <= last {
			t.Errorf("migration %s: version %d not after %d", m.name, m.version, last)
		}
		last = m.version
		if names[m.name] {
			t.Errorf("migration name %s repeated", m.name)
		}
		names[m.name] = true
		for _, s := range m.statements {
			// An INSERT of min states is idempotent too: run twice (a
			// migration cut short and applied again), the minimum is the same.
			minInsert := strings.HasPrefix(strings.TrimSpace(s), "INSERT INTO {db}.") && strings.Contains(s, "minState(") && !strings.Contains(s, "countState(")
			if !strings.Contains(s, "IF NOT EXISTS {db}.") && !strings.HasPrefix(s, "DROP TABLE IF EXISTS {db}.") && !minInsert {
				t.Errorf("migration %s: statement not idempotent or not qualified:\n%s", m.name, s)
			}
		}
	}
	create := migrations[0].statements[0]
	colRE := regexp.MustCompile(`(?m)^\s{4}([a-z_]+)\s+[A-Z]`)
	var tableCols []string
	for _, m := range colRE.FindAllStringSubmatch(create, -1) {
		if m[1] != "minute" { // derived by the server
			tableCols = append(tableCols, m[1])
		}
	}
	// Columns added by later migrations follow the CREATE TABLE ones.
	for _, m := range migrations {
		for _, c := range m.columns {
			if c.table == "mentions" {
				tableCols = append(tableCols, c.name)
			}
		}
	}
	if strings.Join(tableCols, ",") != strings.Join(mentionsColumns, ",") {
		t.Errorf("mentions columns:\n table  %v\n insert %v", tableCols, mentionsColumns)
	}
	var cols columns
	if got := len(cols.values()); got != len(mentionsColumns) {
		t.Errorf("columns.values() has %d columns, INSERT names %d", got, len(mentionsColumns))
	}
}

func TestFill(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 500e6, time.FixedZone("x", 3600))
	rows := []Mention{
		{RuleID: "r", PostID: "1", CreatedAt: time.Date(2026, 11, 22, 9, 59, 59, 987654321, time.UTC),
			IsRepost: true, IsQuote: true, HasGeo: true, GeoTier: 3, Partition: 2, Offset: 7},
		{RuleID: "r", PostID: "2", CreatedAt: time.Unix(0, 0), IsReply: true},
	}
	var c columns
	if err := c.fill(rows, now); err != nil {
		t.Fatal(err)
	}
	if c.createdMs[0] != 987 || c.createdMs[1] != 0 {
		t.Errorf("created_ms = %v, want [987 0]", c.createdMs)
	}
	if c.isRepost[0] != 1 || c.isReply[0] != 0 || c.isQuote[0] != 1 || c.hasGeo[0] != 1 ||
		c.isRepost[1] != 0 || c.isReply[1] != 1 || c.isQuote[1] != 0 || c.hasGeo[1] != 0 {
		t.Errorf("flags repost %v reply %v quote %v geo %v", c.isRepost, c.isReply, c.isQuote, c.hasGeo)
	}
	if want := now.UTC().Truncate(time.Second); !c.ingestedAt[1].Equal(want) || c.ingestedAt[1].Location() != time.UTC {
		t.Errorf("ingested_at = %v, want %v", c.ingestedAt[1], want)
	}
	for i, v := range c.values() {
		if n := lenOf(v); n != len(rows) {
			t.Errorf("column %s has %d values, want %d", mentionsColumns[i], n, len(rows))
		}
	}
	c.reset()
	for i, v := range c.values() {
		if n := lenOf(v); n != 0 {
			t.Errorf("after reset column %s has %d values", mentionsColumns[i], n)
		}
	}
	if cap(c.ruleID) < 2 || c.ruleID[:2][0] != "" {
		t.Errorf("reset must keep capacity and drop references: cap %d, %q", cap(c.ruleID), c.ruleID[:cap(c.ruleID)])
	}
}

func TestFillRejectsOutOfRange(t *testing.T) {
	for _, at := range []time.Time{
		{},
		time.Unix(-1, 0),
		time.Unix(math.MaxUint32, 0),
		time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		var c columns
		err := c.fill([]Mention{{PostID: "ok", CreatedAt: time.Unix(1, 0)}, {PostID: "bad", CreatedAt: at}}, time.Now())
		if !errors.Is(err, ErrInvalidMention) || !strings.Contains(err.Error(), `row 1 (post "bad"`) {
			t.Errorf("fill(created_at %v) = %v, want ErrInvalidMention naming row 1", at, err)
		}
	}
}

func lenOf(v any) int {
	switch v := v.(type) {
	case []string:
		return len(v)
	case []time.Time:
		return len(v)
	case []uint16:
		return len(v)
	case []uint8:
		return len(v)
	case []int64:
		return len(v)
	case []int32:
		return len(v)
	case []float64:
		return len(v)
	case []float32:
		return len(v)
	case []uint64:
		return len(v)
	case []uint32:
		return len(v)
	}
	return -1
}

// FuzzFill feeds arbitrary post fields (untrusted: they come from the feed)
// to the column builder: it must never panic and must either reject the row
// with ErrInvalidMention or store every column.
func FuzzFill(f *testing.F) {
	f.Add("quake", "1852345678901234567", int64(1795000000), int64(123456789), "Sismo fuerte #temblor", "MX", "9g3w8", 19.43, -99.13)
	f.Add("", "", int64(-1), int64(0), "\xff\xfe", "", "", math.NaN(), math.Inf(1))
	f.Add("r", "p", int64(math.MaxUint32), int64(999999999), "", "ZZZ", "x", 0.0, 0.0)
	f.Fuzz(func(t *testing.T, rule, post string, sec, nsec int64, text, country, cell string, lat, lon float64) {
		m := Mention{RuleID: rule, PostID: post, CreatedAt: time.Unix(sec, nsec), Text: text,
			Country: country, Cell: cell, Lat: lat, Lon: lon}
		var c columns
		err := c.fill([]Mention{m}, time.Now())
		if err != nil {
			if !errors.Is(err, ErrInvalidMention) {
				t.Fatalf("fill: %v", err)
			}
			return
		}
		if c.text[0] != text || c.createdMs[0] > 999 {
			t.Fatalf("fill stored text %q ms %d", c.text[0], c.createdMs[0])
		}
	})
}

// BenchmarkFill measures building the columns of a batch, the client-side
// work of Insert before the driver encodes them.
func BenchmarkFill(b *testing.B) {
	rows := synthetic(10_000, "bench", 4, 0, time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	var bytes int64
	for _, m := range rows {
		bytes += int64(len(m.PostID) + len(m.Text) + len(m.AuthorID))
	}
	b.SetBytes(bytes)
	b.ReportAllocs()
	var c columns
	now := time.Now()
	for b.Loop() {
		if err := c.fill(rows, now); err != nil {
			b.Fatal(err)
		}
		c.reset()
	}
	b.ReportMetric(float64(len(rows))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
