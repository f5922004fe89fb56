package sink

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestIntegrationRules: the rules table keeps each rule's latest load
// (a load stored twice is one), and TagCounts counts the mentions of the
// rules in force per tag, against counts made from the rows.
func TestIntegrationRules(t *testing.T) {
	c := migratedClient(t, nil)
	ctx := context.Background()
	t1 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	first := []Rule{
		{ID: "quake", Name: "Quakes", Query: "earthquake OR quake", Tags: []string{"disaster", "en"}, Level: "primary", Active: true},
		{ID: "quake_es", Name: "Sismos", Query: "sismo", Tags: []string{"disaster", "es"}, Route: "crisis-desk",
			Diacritics: "insensitive", Alert: "{floor: 2}", Active: true},
		{ID: "fire", Query: "fire", Tags: []string{"disaster"}, Active: true},
		{ID: "flood", Query: "flood", Active: true},
	}
	for range 2 { // a replica stores the same load
		if err := c.StoreRules(ctx, first, t1); err != nil {
			t.Fatal(err)
		}
	}
	got, err := c.Rules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Rule{}
	// stored is how a load reads back: empty tags a list, diacritics the
	// column's default.
	stored := func(rules []Rule, at time.Time) {
		for _, r := range rules {
			r.LoadedAt = at
			if r.Tags == nil {
				r.Tags = []string{}
			}
			if r.Diacritics == "" {
				r.Diacritics = "sensitive"
			}
			want[r.ID] = r
		}
	}
	stored(first, t1)
	check := func(when string) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d rules, want %d: %+v", when, len(got), len(want), got)
		}
		for _, r := range got {
			if !reflect.DeepEqual(r, want[r.ID]) {
				t.Errorf("%s: %+v\nwant %+v", when, r, want[r.ID])
			}
		}
	}
	check("first load")

	// A reload a second later: fire gone, quake renamed and retagged (the
	// rules that did not change are not stored again).
	t2 := t1.Add(time.Second)
	second := []Rule{
		{ID: "quake", Name: "Earthquakes", Query: "earthquake OR quake", Tags: []string{"disaster"}, Level: "primary", Active: true},
		{ID: "fire", Query: "fire", Tags: []string{"disaster"}, Active: false},
	}
	if err := c.StoreRules(ctx, second, t2); err != nil {
		t.Fatal(err)
	}
	if got, err = c.Rules(ctx); err != nil {
		t.Fatal(err)
	}
	stored(second, t2)
	check("after the reload")
	if some, err := c.Rules(ctx, "fire", "quake", "none"); err != nil || len(some) != 2 || some[0].ID != "fire" ||
		some[1].Name != "Earthquakes" {
		t.Errorf("rules fire, quake, none: %+v, %v", some, err)
	}

	// Every version stays, each once.
	hist, err := c.RuleHistory(ctx, "quake")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].Name != "Quakes" || !hist[0].LoadedAt.Equal(t1) || hist[1].Name != "Earthquakes" ||
		!hist[1].LoadedAt.Equal(t2) || strings.Join(hist[1].Tags, ",") != "disaster" {
		t.Errorf("history of quake: %+v", hist)
	}
	if hist, err := c.RuleHistory(ctx, "fire"); err != nil || len(hist) != 2 || !hist[0].Active || hist[1].Active {
		t.Errorf("history of fire: %+v, %v", hist, err)
	}

	// Mentions of the four rules; fire's no longer count for its tag.
	rows := synthetic(3000, "posts", 3, 0, t1)
	if err := c.Insert(ctx, rows); err != nil {
		t.Fatal(err)
	}
	tags := map[string][]string{"quake": {"disaster"}, "quake_es": {"disaster", "es"}}
	exp := map[string]*tally{}
	for i := range rows {
		m := &rows[i]
		for _, tag := range tags[m.RuleID] {
			if exp[tag] == nil {
				exp[tag] = &tally{}
			}
			exp[tag].add(m)
		}
	}
	counts, err := c.TagCounts(ctx, t1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != len(exp) {
		t.Fatalf("tags %+v, want %d", counts, len(exp))
	}
	for _, tc := range counts {
		e := exp[tc.Tag]
		if e == nil || (Counts{tc.Mentions, tc.Originals, tc.Reposts, tc.Authors}) != e.c {
			t.Errorf("tag %q: %+v, want %+v", tc.Tag, tc, e)
		}
	}
	if counts[0].Tag != "disaster" {
		t.Errorf("most mentioned tag %q, want disaster", counts[0].Tag)
	}
}
