package firehose

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// decoded is a post as a test reads it back from the JSON bytes.
type decoded struct {
	ID        string          `json:"id"`
	CreatedAt string          `json:"created_at"`
	Text      *string         `json:"text"`
	Lang      json.RawMessage `json:"lang"`
	Source    string          `json:"source"`
	Author    struct {
		ID        string          `json:"id"`
		Handle    string          `json:"handle"`
		Followers json.RawMessage `json:"followers"`
		Location  string          `json:"location"`
		Verified  json.RawMessage `json:"verified"`
	} `json:"author"`
	Geo      json.RawMessage `json:"geo"`
	Place    json.RawMessage `json:"place"`
	RepostOf *string         `json:"repost_of"`
	ReplyTo  *string         `json:"reply_to"`
	QuoteOf  *string         `json:"quote_of"`
}

func decode(t *testing.T, v []byte) *decoded {
	t.Helper()
	var d decoded
	if err := json.Unmarshal(v, &d); err != nil {
		t.Fatalf("invalid JSON %s: %v", v, err)
	}
	if d.ID == "" || d.CreatedAt == "" || d.Text == nil || d.Author.ID == "" {
		t.Fatalf("missing required field in %s", v)
	}
	return &d
}

func newGen(t testing.TB, cfg Config) *Generator {
	t.Helper()
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestDeterminism(t *testing.T) {
	cfg := Config{Seed: 42, Bursts: []Burst{DefaultBurst(5 * time.Second)}}
	a, b := newGen(t, cfg), newGen(t, cfg)
	c := newGen(t, Config{Seed: 43})
	same := 0
	for i := 0; i < 20000; i++ {
		ma, mb, mc := a.Next(), b.Next(), c.Next()
		if !bytes.Equal(ma.Value, mb.Value) || !bytes.Equal(ma.Key, mb.Key) || !ma.CreatedAt.Equal(mb.CreatedAt) {
			t.Fatalf("message %d differs for the same seed:\n%s\n%s", i, ma.Value, mb.Value)
		}
		if bytes.Equal(ma.Value, mc.Value) {
			same++
		}
	}
	if same > 100 {
		t.Fatalf("%d messages equal across different seeds", same)
	}
	var ja, jb bytes.Buffer
	if err := a.Truth().WriteJSON(&ja); err != nil {
		t.Fatal(err)
	}
	if err := b.Truth().WriteJSON(&jb); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ja.Bytes(), jb.Bytes()) {
		t.Fatal("truth JSON differs for the same seed")
	}
}

func TestFractions(t *testing.T) {
	g := newGen(t, Config{Seed: 7})
	chk := newChecker(g.cfg.Rules)
	const n = 100000
	var msgs, dups, posts, reposts, replies, quotes, originals, geo, place, noLang, planted, wrong float64
	langs := map[string]int{}
	sources := map[string]int{}
	authorsSeen := map[string]bool{}
	var withLoc, verified float64
	for i := 0; i < n; i++ {
		m := g.Next()
		msgs++
		if m.Duplicate {
			dups++
			continue
		}
		posts++
		d := decode(t, m.Value)
		sources[d.Source]++
		if len(d.Lang) == 0 {
			noLang++
		} else {
			langs[string(d.Lang)]++
		}
		if !authorsSeen[d.Author.ID] {
			authorsSeen[d.Author.ID] = true
			if d.Author.Location != "" {
				withLoc++
			}
			if string(d.Author.Verified) == "true" {
				verified++
			}
		}
		if d.Author.Followers[0] == '"' || string(d.Lang) == "null" || string(d.Geo) == "null" ||
			string(d.Place) == "[]" || bytes.Contains(d.Geo, []byte(`"lat":0,`)) || d.Author.Verified[0] == '"' {
			wrong++
		}
		switch {
		case d.RepostOf != nil:
			reposts++
			continue
		case d.ReplyTo != nil:
			replies++
		case d.QuoteOf != nil:
			quotes++
		}
		originals++
		if len(d.Geo) > 0 && d.Geo[0] == '{' && !bytes.Contains(d.Geo, []byte(`"lat":0,`)) {
			geo++
		}
		if len(d.Place) > 0 && d.Place[0] == '{' {
			place++
		}
		// The checker equals NaiveMatch (TestCheckerEqualsNaive) and is faster.
		if len(chk.match(nil, []byte(*d.Text))) > 0 {
			planted++
		}
	}
	check := func(name string, got, want, tol float64) {
		t.Helper()
		if math.Abs(got-want) > tol {
			t.Errorf("%s = %.4f, want %.4f ± %.4f", name, got, want, tol)
		}
	}
	check("duplicates/messages", dups/msgs, 0.01, 0.002)
	check("reposts/posts", reposts/posts, 0.20, 0.01)
	check("replies/posts", replies/posts, 0.08, 0.006)
	check("quotes/posts", quotes/posts, 0.03, 0.004)
	check("geo/originals", geo/originals, 0.02, 0.003)
	check("place/originals", place/originals, 0.05+0.01*0.2, 0.005)
	check("matching/originals", planted/originals, 0.03, 0.004)
	check("no lang/posts", noLang/posts, 0.10, 0.01)
	check("wrong typed (detectable cases)/posts", wrong/posts, 0.01*6/10, 0.002)
	check("profile location/authors", withLoc/float64(len(authorsSeen)), 0.5, 0.02)
	check("verified/authors", verified/float64(len(authorsSeen)), 0.005, 0.003)
	check("x/posts", float64(sources["x"])/posts, 0.85, 0.01)
	for _, l := range langCodes {
		if langs[`"`+l+`"`] < 1000 {
			t.Errorf("only %d posts in %s", langs[`"`+l+`"`], l)
		}
	}
	st := g.Stats()
	if st.Unverified != 0 || float64(st.Regenerated) > 0.002*posts {
		t.Errorf("regenerations are not rare: %+v over %v posts", st, posts)
	}
	t.Logf("%v posts, %v originals, stats %+v, langs %v", posts, originals, st, langs)
}

// TestStreamInvariants checks ids, timestamps, duplicates and references.
func TestStreamInvariants(t *testing.T) {
	g := newGen(t, Config{Seed: 3, Rate: 5000, Bursts: []Burst{DefaultBurst(2 * time.Second)}})
	byID := map[string][]byte{}
	handleOf := map[string]string{}
	textOf := map[string]string{}
	var lastID uint64
	var lastCreated time.Time
	truncated := 0
	for i := 0; i < 50000; i++ {
		m := g.Next()
		if m.Duplicate {
			orig, ok := byID[string(m.Key)]
			if !ok || !bytes.Equal(orig, m.Value) {
				t.Fatalf("duplicate %s is not a byte-identical earlier message", m.Key)
			}
			continue
		}
		d := decode(t, m.Value)
		if d.ID != string(m.Key) {
			t.Fatalf("key %s != id %s", m.Key, d.ID)
		}
		if _, seen := byID[d.ID]; seen {
			t.Fatalf("id %s reused by a non-duplicate", d.ID)
		}
		id, err := strconv.ParseUint(d.ID, 10, 64)
		if err != nil || id <= lastID {
			t.Fatalf("id %s not increasing after %d", d.ID, lastID)
		}
		created, err := time.Parse("2006-01-02T15:04:05.000Z", d.CreatedAt)
		if err != nil || !created.Equal(m.CreatedAt) || created.Before(lastCreated) {
			t.Fatalf("created_at %q (message %v, previous %v)", d.CreatedAt, m.CreatedAt, lastCreated)
		}
		lastID, lastCreated = id, created
		byID[d.ID] = bytes.Clone(m.Value)
		handleOf[d.ID] = d.Author.Handle
		textOf[d.ID] = *d.Text
		for _, ref := range []*string{d.RepostOf, d.ReplyTo, d.QuoteOf} {
			if ref != nil {
				if _, ok := byID[*ref]; !ok {
					t.Fatalf("post %s references %s, which was not emitted before", d.ID, *ref)
				}
			}
		}
		if d.RepostOf != nil {
			full := "RT @" + handleOf[*d.RepostOf] + ": " + textOf[*d.RepostOf]
			if *d.Text != full {
				cut, ok := strings.CutSuffix(*d.Text, "…")
				if !ok || !strings.HasPrefix(full, cut) || utf8.RuneCountInString(*d.Text) > 140 {
					t.Fatalf("repost text %q is not %q, whole or truncated", *d.Text, full)
				}
				if !slices.Equal(NaiveMatch(g.cfg.Rules, *d.Text), NaiveMatch(g.cfg.Rules, full)) {
					t.Fatalf("truncation changed the matched rules: %q", *d.Text)
				}
				truncated++
			}
		}
		if d.ReplyTo != nil && !strings.HasPrefix(*d.Text, "@"+handleOf[*d.ReplyTo]+" ") {
			t.Fatalf("reply %q does not address @%s", *d.Text, handleOf[*d.ReplyTo])
		}
	}
	if truncated == 0 {
		t.Error("no repost was truncated")
	}
}

// TestTruthMatchesNaive rebuilds the truth from the emitted bytes alone, with
// NaiveMatch as the matcher, and compares it with Generator.Truth.
func TestTruthMatchesNaive(t *testing.T) {
	cfg := Config{Seed: 11, Rate: 2000, MatchFraction: 0.1, WrongTypeFraction: 0.05,
		Bursts: []Burst{DefaultBurst(3 * time.Second)}}
	g := newGen(t, cfg)
	rules := g.cfg.Rules
	want := newTruth()
	mentionsFor := func(key RuleMinute, kc RuleCountry) []*Counts {
		var out []*Counts
		if want.ByRule[key.Rule] == nil {
			want.ByRule[key.Rule] = &Counts{Authors: map[string]struct{}{}}
		}
		if want.ByRuleMinute[key] == nil {
			want.ByRuleMinute[key] = &Counts{Authors: map[string]struct{}{}}
		}
		if want.ByRuleCountry[kc] == nil {
			want.ByRuleCountry[kc] = &Counts{Authors: map[string]struct{}{}}
		}
		return append(out, want.ByRule[key.Rule], want.ByRuleMinute[key], want.ByRuleCountry[kc])
	}
	for i := 0; i < 20000; i++ {
		m := g.Next()
		want.Messages++
		if m.Duplicate {
			want.Duplicates++
			continue
		}
		want.Posts++
		d := decode(t, m.Value)
		created, _ := time.Parse("2006-01-02T15:04:05.000Z", d.CreatedAt)
		country := countryOf(t, d)
		for _, ri := range NaiveMatch(rules, *d.Text) {
			want.Mentions++
			for _, c := range mentionsFor(RuleMinute{rules[ri], created.Truncate(time.Minute)}, RuleCountry{rules[ri], country}) {
				c.Mentions++
				if d.RepostOf != nil {
					c.Reposts++
				} else {
					c.Originals++
				}
				c.Authors[d.Author.ID] = struct{}{}
			}
		}
	}
	got := g.Truth()
	if got.Messages != want.Messages || got.Posts != want.Posts || got.Duplicates != want.Duplicates || got.Mentions != want.Mentions {
		t.Fatalf("totals: got %d/%d/%d/%d, want %d/%d/%d/%d", got.Messages, got.Posts, got.Duplicates, got.Mentions,
			want.Messages, want.Posts, want.Duplicates, want.Mentions)
	}
	if want.Mentions < 3000 {
		t.Fatalf("only %d mentions: the test proves little", want.Mentions)
	}
	sameCounts := func(name string, a, b *Counts) {
		t.Helper()
		if a == nil || b == nil || a.Mentions != b.Mentions || a.Originals != b.Originals || a.Reposts != b.Reposts || len(a.Authors) != len(b.Authors) {
			t.Fatalf("%s: got %+v, want %+v", name, a, b)
		}
		for id := range b.Authors {
			if _, ok := a.Authors[id]; !ok {
				t.Fatalf("%s: author %s missing", name, id)
			}
		}
	}
	if len(got.ByRule) != len(want.ByRule) || len(got.ByRuleMinute) != len(want.ByRuleMinute) || len(got.ByRuleCountry) != len(want.ByRuleCountry) {
		t.Fatalf("cells: got %d/%d/%d, want %d/%d/%d", len(got.ByRule), len(got.ByRuleMinute), len(got.ByRuleCountry),
			len(want.ByRule), len(want.ByRuleMinute), len(want.ByRuleCountry))
	}
	for k, w := range want.ByRule {
		sameCounts("rule "+k, got.ByRule[k], w)
	}
	for k, w := range want.ByRuleMinute {
		sameCounts("minute "+k.Rule+" "+k.Minute.String(), got.ByRuleMinute[k], w)
	}
	countries := 0
	for k, w := range want.ByRuleCountry {
		sameCounts("country "+k.Rule+" "+k.Country, got.ByRuleCountry[k], w)
		if k.Country == "MX" {
			countries++
		}
	}
	if countries == 0 {
		t.Error("the burst produced no mention attributed to MX")
	}
}

// countryOf derives a post's truth country from its JSON: valid coordinates
// map to the built-in city they lie next to; else a valid place country code.
func countryOf(t *testing.T, d *decoded) string {
	t.Helper()
	var geo struct{ Lat, Lon *float64 }
	if len(d.Geo) > 0 && d.Geo[0] == '{' {
		if err := json.Unmarshal(d.Geo, &geo); err != nil {
			t.Fatal(err)
		}
		if geo.Lat != nil && geo.Lon != nil && !(*geo.Lat == 0 && *geo.Lon == 0) {
			for _, c := range cities {
				dy := (*geo.Lat - c.Lat) * 111.32
				dx := (*geo.Lon - c.Lon) * 111.32 * math.Cos(c.Lat*math.Pi/180)
				if math.Hypot(dx, dy) <= c.RadiusKm+0.01 {
					return c.Country
				}
			}
			t.Fatalf("coordinates %v,%v are near no city", *geo.Lat, *geo.Lon)
		}
	}
	var place struct {
		Name        string `json:"name"`
		CountryCode any    `json:"country_code"`
	}
	if len(d.Place) > 0 && d.Place[0] == '{' {
		if err := json.Unmarshal(d.Place, &place); err != nil {
			t.Fatal(err)
		}
		if s, ok := place.CountryCode.(string); ok && len(s) == 2 && isASCIILetter(s[0]) && isASCIILetter(s[1]) {
			return strings.ToUpper(s)
		}
		// An unusable country code: the place is located by its name.
		for _, c := range cities {
			if c.Name == place.Name {
				return c.Country
			}
		}
		t.Fatalf("place name %q is no city of the generator", place.Name)
	}
	if loc := d.Author.Location; loc != "" {
		return locationCountry(t, loc)
	}
	return ""
}

// locationCountry is the country a profile location string names: a city
// variant's country, or "" for a junk string.
func locationCountry(t *testing.T, loc string) string {
	t.Helper()
	for _, j := range junkLocations {
		if loc == j {
			return ""
		}
	}
	country := ""
	for _, c := range cities {
		for _, v := range c.Variants {
			if v == loc {
				if country != "" && country != c.Country {
					t.Fatalf("location variant %q names two countries: %s and %s", loc, country, c.Country)
				}
				country = c.Country
			}
		}
	}
	if country == "" {
		t.Fatalf("profile location %q is neither a city variant nor junk", loc)
	}
	return country
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func TestWriteJSON(t *testing.T) {
	g := newGen(t, Config{Seed: 5, Bursts: []Burst{DefaultBurst(0)}})
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, g, 3000); err != nil {
		t.Fatal(err)
	}
	if lines := bytes.Count(buf.Bytes(), []byte("\n")); lines != 3000 {
		t.Fatalf("%d lines, want 3000", lines)
	}
	var a, b bytes.Buffer
	if err := g.Truth().WriteJSON(&a); err != nil {
		t.Fatal(err)
	}
	if err := g.Truth().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("WriteJSON is not stable")
	}
	var out jsonTruth
	if err := json.Unmarshal(a.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if out.Messages != 3000 || len(out.ByRule) == 0 || len(out.ByRuleMinute) == 0 || len(out.ByRuleCountry) == 0 {
		t.Fatalf("unexpected truth: %+v", out)
	}
	if !slices.IsSortedFunc(out.ByRule, func(x, y jsonCounts) int { return strings.Compare(x.Rule, y.Rule) }) {
		t.Fatal("by_rule is not sorted")
	}
	var sum int64
	for _, c := range out.ByRule {
		sum += c.Mentions
		if c.Authors < 1 || int64(c.Authors) > c.Mentions || c.Originals+c.Reposts != c.Mentions {
			t.Fatalf("inconsistent %+v", c)
		}
	}
	if sum != out.Mentions {
		t.Fatalf("by_rule mentions add up to %d, total %d", sum, out.Mentions)
	}
}

func TestConfigValidate(t *testing.T) {
	f := func(name string, mod func(*Config), wantErr string) {
		t.Helper()
		cfg := Config{}
		mod(&cfg)
		cfg.SetDefaults()
		err := cfg.Validate()
		switch {
		case wantErr == "" && err != nil:
			t.Errorf("%s: unexpected error %v", name, err)
		case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
			t.Errorf("%s: error %v, want one containing %q", name, err, wantErr)
		}
	}
	f("defaults", func(c *Config) {}, "")
	f("negative means zero", func(c *Config) { c.DuplicateFraction = -1; c.RepostFraction = -1 }, "")
	f("fraction above 1", func(c *Config) { c.GeoFraction = 1.5 }, "geo fraction")
	f("kinds above 1", func(c *Config) { c.RepostFraction, c.ReplyFraction = 0.7, 0.5 }, "add up")
	f("duplicate rule", func(c *Config) { c.Rules = []string{"a", "a"} }, "twice")
	f("empty rule", func(c *Config) { c.Rules = []string{"ok", `""`} }, "empty")
	f("rate", func(c *Config) { c.Rate = -3 }, "rate")
	f("early start", func(c *Config) { c.Start = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC) }, "start")
	f("burst term", func(c *Config) { c.Rules = []string{"x1"}; c.Bursts = []Burst{DefaultBurst(0)} }, "not one of the rules")
	f("burst country", func(c *Config) { b := DefaultBurst(0); b.Country = "XX"; c.Bursts = []Burst{b} }, "no built-in city")
	f("burst length", func(c *Config) { b := DefaultBurst(0); b.Length = 0; c.Bursts = []Burst{b} }, "window")
	f("default burst in Rules(5)", func(c *Config) { c.Rules = Rules(5); c.Bursts = []Burst{DefaultBurst(0)} }, "")
	if _, err := New(Config{Authors: -1}); err == nil {
		t.Error("New accepted a negative author count")
	}
}

// TestCustomRules uses rules that collide with background words and the
// generator's fixed words: truth must stay exact.
func TestCustomRules(t *testing.T) {
	rules := []string{"the", "coffee", `"good morning"`, "rt", "https", "#tbt", "东京", "猫", "café", "Sismo!", "a-b"}
	g := newGen(t, Config{Seed: 9, Rules: rules, MatchFraction: 0.2})
	if g.Stats().DroppedBackground == 0 {
		t.Error("nothing was dropped from the background")
	}
	var mentions int64
	for i := 0; i < 5000; i++ {
		m := g.Next()
		if m.Duplicate {
			continue
		}
		d := decode(t, m.Value)
		mentions += int64(len(NaiveMatch(rules, *d.Text)))
	}
	if got := g.Truth().Mentions; got != mentions {
		t.Fatalf("truth has %d mentions, NaiveMatch finds %d", got, mentions)
	}
	t.Logf("stats %+v, %d mentions", g.Stats(), mentions)
}
