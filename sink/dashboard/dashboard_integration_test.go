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

	h, err := New(store, Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	var s Summary
	if code := get(t, srv.URL+"/api/summary?precision=4", &s); code != 200 {
		t.Fatalf("status %d", code)
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
