package dashboard

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"os"
	"reflect"
	"testing"
	"time"

	"earshot/sink"
	"earshot/stream/alert"
)

// TestIntegrationSummary stores mentions and an alert in a fresh database
// of the real ClickHouse and reads them back through the dashboard's JSON:
// the counts per rule, country, minute and cell are the ones stored, and
// what is older than the window is left out.
func TestIntegrationSummary(t *testing.T) {
	ctx := context.Background()
	store := testStore(t)

	now := time.Now().UTC().Truncate(time.Minute)
	var rows []sink.Mention
	add := func(rule, country, cell string, at time.Time, repost bool, author string) {
		m := sink.Mention{RuleID: rule, PostID: fmt.Sprint(len(rows) + 1), CreatedAt: at,
			AuthorID: author, Country: country, Cell: cell, IsRepost: repost, HasGeo: cell != "",
			Text: "sismo", Topic: "posts", Offset: int64(len(rows))}
		if repost {
			m.RepostOf, m.Text = "p0", "RT @ana: sismo"
		}
		rows = append(rows, m)
	}
	for i := range 6 { // sismo: 6 in Mexico City's cells, 2 of them reposts, 3 authors
		add("sismo", "MX", []string{"9g3w8", "9g3w9", "9g3qx"}[i%3], now.Add(-10*time.Minute), i < 2, fmt.Sprint("a", i%3))
	}
	add("sismo", "", "", now.Add(-2*time.Minute), false, "a9") // no place
	add("fire", "US", "9q8yy", now.Add(-2*time.Minute), false, "b1")
	add("sismo", "MX", "9g3w8", now.Add(-3*time.Hour), false, "old") // outside the window
	if err := store.Insert(ctx, rows); err != nil {
		t.Fatal(err)
	}
	if err := store.StoreRules(ctx, []sink.Rule{{ID: "sismo", Name: "Sismos", Query: "sismo", Tags: []string{"disaster", "es"}, Active: true},
		{ID: "fire", Query: "fire", Tags: []string{"disaster"}, Active: true}}, now); err != nil {
		t.Fatal(err)
	}
	at := now.Add(-9 * time.Minute)
	if err := store.InsertAlerts(ctx, []alert.Alert{{ID: "a1", EventID: "a1", Kind: alert.KindTrigger, Rule: "sismo",
		Scope: alert.ScopeCountry, Country: "MX", DetectedAt: at, Onset: at, Unit: "posts", STA: 6, LTA: 0.5, Ratio: 6,
		Location: &alert.Location{Cell: "9g3w", Lat: 19.43, Lon: -99.13, Tier: 3, Posts: 4, Country: "MX"},
		Examples: []alert.Example{{ID: "1", At: at, Text: "sismo fuerte"}}}}); err != nil {
		t.Fatal(err)
	}

	srv := serve(t, store)
	var s Summary
	if code := get(t, srv.URL+"/api/summary?precision=4", &s); code != 200 {
		t.Fatalf("status %d", code)
	}
	// sismo rising (7 mentions in the last hour or two), fire dormant
	// (never 2 mentions in an hour).
	if len(s.Rules) != 2 || s.Rules[0].Phase != "rising" || s.Rules[0].PhaseSince == nil || s.Rules[1].Phase != "dormant" {
		t.Errorf("rules' phases %+v", s.Rules)
	} else {
		s.Rules[0].Phase, s.Rules[0].PhaseSince = "", nil
	}
	if len(s.Rules) != 2 || !reflect.DeepEqual(s.Rules[0], Count{Key: "sismo", Name: "Sismos", Tags: []string{"disaster", "es"},
		Mentions: 7, Originals: 5, Reposts: 2, Authors: 4}) ||
		s.Rules[1].Key != "fire" || s.Rules[1].Mentions != 1 {
		t.Errorf("rules %+v", s.Rules)
	}
	// Tags: sismo's 7 and fire's 1 are disaster, sismo's es.
	if len(s.Tags) != 2 || s.Tags[0].Key != "disaster" || s.Tags[0].Mentions != 8 || s.Tags[0].Authors != 5 ||
		s.Tags[1].Key != "es" || s.Tags[1].Mentions != 7 {
		t.Errorf("tags %+v", s.Tags)
	}
	countries := map[string]uint64{}
	for _, c := range s.Countries {
		countries[c.Key] = c.Mentions
	}
	if len(countries) != 3 || countries["MX"] != 6 || countries["US"] != 1 || countries[""] != 1 {
		t.Errorf("countries %+v", s.Countries)
	}
	var perMinute uint64
	for _, m := range s.Minutes {
		perMinute += m.Mentions
		if m.Minute.Before(s.Since) {
			t.Errorf("minute %v before %v", m.Minute, s.Since)
		}
	}
	if perMinute != 8 || len(s.Minutes) != 2 {
		t.Errorf("minutes %+v", s.Minutes)
	}
	// The map: sismo (the most mentioned), cells cut to 4 characters.
	cells := map[string]uint64{}
	for _, c := range s.Cells {
		cells[c.Key] = c.Mentions
	}
	if s.Rule != "sismo" || len(cells) != 2 || cells["9g3w"] != 4 || cells["9g3q"] != 2 {
		t.Errorf("map of %q: %+v", s.Rule, s.Cells)
	}
	var ruleMinutes uint64
	for _, m := range s.RuleMinutes {
		ruleMinutes += m.Mentions
	}
	if ruleMinutes != 7 || len(s.RuleMinutes) != 2 {
		t.Errorf("sismo's minutes %+v", s.RuleMinutes)
	}
	if len(s.Authors) != 4 {
		t.Errorf("sismo's authors %+v", s.Authors)
	}
	// The two reposts, by a0 and a1, of p0.
	if len(s.Reposted) != 1 || s.Reposted[0].PostID != "p0" || s.Reposted[0].Reposts != 2 || s.Reposted[0].Authors != 2 ||
		s.Reposted[0].Text != "RT @ana: sismo" {
		t.Errorf("reposted %+v", s.Reposted)
	}
	if len(s.Alerts) != 1 || s.Alerts[0].Rule != "sismo" || s.Alerts[0].Example != "sismo fuerte" || s.Alerts[0].Lat == nil {
		t.Errorf("alerts %+v", s.Alerts)
	}
	// Another rule's map, and a window that holds the old mention too.
	get(t, srv.URL+"/api/summary?rule=fire&precision=5", &s)
	if s.Rule != "fire" || len(s.Cells) != 1 || s.Cells[0].Key != "9q8yy" {
		t.Errorf("map of fire: %+v", s.Cells)
	}
	get(t, srv.URL+"/api/summary?window=6h", &s)
	if s.Rules[0].Mentions != 8 {
		t.Errorf("6h window: %+v", s.Rules)
	}
}

// TestIntegrationLifeCycle stores a topic that went quiet for ten days
// and came back with a large account's repost, and one dormant for five
// days, and reads their life cycles through the dashboard's JSON: the
// phases of the rules listed, the revival and the repost that began it.
func TestIntegrationLifeCycle(t *testing.T) {
	ctx := context.Background()
	store := testStore(t)

	// Hours start on the hour, the current one partial (this one, or the
	// next if the hour turns before the summary).
	hour := time.Now().UTC().Truncate(time.Hour)
	back := hour.Add(-3*time.Hour + 5*time.Minute) // the revival, three hours before this one
	var rows []sink.Mention
	add := func(rule, id string, at time.Time, followers int64, repostOf string) {
		m := sink.Mention{RuleID: rule, PostID: id, CreatedAt: at, AuthorID: "a" + id, AuthorHandle: "u" + id,
			AuthorFollowers: followers, Segment: "spectator", IsRepost: repostOf != "", RepostOf: repostOf,
			Text: "brand " + id, Topic: "posts", Offset: int64(len(rows))}
		if id == "r0" {
			m.Segment = "creator"
		}
		rows = append(rows, m)
	}
	add("brand", "o1", hour.Add(-10*24*time.Hour+5*time.Minute), 10, "") // new ten days ago: two mentions in an hour
	add("brand", "o2", hour.Add(-10*24*time.Hour+6*time.Minute), 20, "")
	add("brand", "r0", back, 30000, "p0") // the spark
	for i := range 5 {                    // its echo in the same hour
		add("brand", fmt.Sprint("e", i), back.Add(time.Duration(i+1)*3*time.Minute), int64(100+i), "p0")
	}
	add("brand", "x1", hour.Add(-50*time.Minute), 90000, "") // after the revival's first 2 hours
	add("brand", "x2", hour.Add(-49*time.Minute), 5, "")
	add("calm", "c1", hour.Add(-5*24*time.Hour+5*time.Minute), 10, "") // dormant: active five days ago
	add("calm", "c2", hour.Add(-5*24*time.Hour+6*time.Minute), 10, "")
	for k := 1; k <= 14*24; k++ { // the pipeline read the feed every hour (its progress markers)
		rows = append(rows, sink.Mention{CreatedAt: hour.Add(-time.Duration(k) * time.Hour), Topic: "posts", Offset: int64(1000 + k)})
	}
	if err := store.Insert(ctx, rows); err != nil {
		t.Fatal(err)
	}

	srv := serve(t, store)
	var s Summary
	if code := get(t, srv.URL+"/api/summary?window=168h", &s); code != 200 {
		t.Fatalf("status %d", code)
	}
	phases := map[string]string{}
	for _, r := range s.Rules {
		phases[r.Key] = r.Phase
	}
	if len(phases) != 2 || phases["brand"] != "rising" || phases["calm"] != "dormant" {
		t.Errorf("phases of the rules listed: %v", phases)
	}
	lc := s.LifeCycle
	if s.Rule != "brand" || lc == nil || lc.Episode == nil {
		t.Fatalf("life cycle of %q: %+v", s.Rule, lc)
	}
	// The revival began in the hour of r0, rising since, with r0 and its
	// echo; x1 and x2 an active hour of the episode, later.
	ep := lc.Episode
	if lc.Phase != "rising" || !lc.Since.Equal(ep.Start) || lc.Recent != 8 || lc.Before != 0 || lc.Episodes != 2 ||
		lc.From.Before(hour.Add(-14*24*time.Hour+time.Hour)) || lc.From.After(hour.Add(-14*24*time.Hour+2*time.Hour)) ||
		ep.Origin != "revived" || !ep.Ongoing || !ep.Start.Equal(back.Truncate(time.Hour)) ||
		ep.Mentions != 8 || ep.PeakMentions != 6 || !ep.Peak.Equal(ep.Start) {
		t.Errorf("life cycle of brand: %s", jsonOf(lc))
	}
	if len(lc.Sparks) != 3 || lc.Sparks[0].Author != "ur0" || lc.Sparks[0].Followers != 30000 || !lc.Sparks[0].IsRepost ||
		lc.Sparks[0].Segment != "creator" || !lc.Sparks[0].At.Equal(back) || lc.Sparks[1].Author != "ue4" || lc.Sparks[2].Author != "ue3" {
		t.Errorf("sparks of brand's revival: %s", jsonOf(lc.Sparks))
	}
	// The dormant rule's last episode, ended, and what began it.
	get(t, srv.URL+"/api/summary?window=168h&rule=calm", &s)
	if lc := s.LifeCycle; lc == nil || lc.Phase != "dormant" || lc.Episode == nil || lc.Episode.Origin != "new" || lc.Episode.Ongoing ||
		lc.Episode.Mentions != 2 || len(lc.Sparks) != 2 {
		t.Errorf("life cycle of calm: %s", jsonOf(lc))
	}
}

// testStore returns a client of a fresh database of the ClickHouse at
// EARSHOT_CLICKHOUSE, dropped at the test's end, or skips the test.
func testStore(t *testing.T) *sink.Client {
	t.Helper()
	addr := os.Getenv("EARSHOT_CLICKHOUSE")
	if addr == "" {
		t.Skip("EARSHOT_CLICKHOUSE not set (e.g. 127.0.0.1:9000): skipping ClickHouse integration test")
	}
	ctx := context.Background()
	var b [6]byte
	rand.Read(b[:])
	store, err := sink.Open(ctx, sink.Config{Addr: addr, Database: "earshot_test_" + hex.EncodeToString(b[:])})
	if err != nil {
		t.Fatalf("ClickHouse at %s (EARSHOT_CLICKHOUSE) unusable: %v", addr, err)
	}
	t.Cleanup(func() {
		if err := store.DropDatabase(context.Background()); err != nil {
			t.Error(err)
		}
		store.Close()
	})
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return store
}

// serve serves the dashboard of store until the test ends.
func serve(t *testing.T, store Store) *httptest.Server {
	t.Helper()
	h, err := New(store, Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
