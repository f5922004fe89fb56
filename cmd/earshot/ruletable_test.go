package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"earshot/match"
	"earshot/sink"
)

// fakeRuleStore is a rules table: the latest row of each id.
type fakeRuleStore struct {
	rows   map[string]sink.Rule
	stores int
	last   []string // the ids of the last store
	fail   error
}

func (f *fakeRuleStore) StoreRules(_ context.Context, rules []sink.Rule, at time.Time) error {
	if f.fail != nil {
		return f.fail
	}
	f.stores++
	f.last = nil
	for _, r := range rules {
		f.last = append(f.last, r.ID)
		r.LoadedAt = at
		f.rows[r.ID] = r
	}
	return nil
}

func (f *fakeRuleStore) Rules(context.Context, ...string) ([]sink.Rule, error) {
	if f.fail != nil {
		return nil, f.fail
	}
	var out []sink.Rule
	for _, r := range f.rows {
		out = append(out, r)
	}
	return out, nil
}

func (f *fakeRuleStore) summary() string {
	var s []string
	for id, r := range f.rows {
		state := "in force"
		if !r.Active {
			state = "gone"
		}
		s = append(s, id+" "+state+" "+r.Name+" ["+strings.Join(r.Tags, ",")+"] "+r.Level+" "+r.Route+" "+r.Alert)
	}
	slices.Sort(s)
	return strings.Join(s, "; ")
}

// TestRuleTable: the rules table follows the rules in force: stored at
// start, again after a reload only, the rules gone marked so (with what
// they were), and a failed store tried again at the next poll.
func TestRuleTable(t *testing.T) {
	compile := func(src string) *match.Engine {
		t.Helper()
		rules, err := match.Parse("r.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		e, err := match.Compile(rules)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	// A rule stored by an earlier run, no longer in force.
	store := &fakeRuleStore{rows: map[string]sink.Rule{"old": {ID: "old", Name: "Old", Active: true}}}
	e := compile(`rules:
  - id: sismo
    name: Sismos
    query: sismo
    tags: [disaster, es]
    level: primary
    route: crisis-desk
    diacritics: insensitive
  - id: xbox
    query: xbox
    alert: {floor: 2, cooldown: 30m}
`)
	var logged bytes.Buffer
	tb := &ruleTable{store: store, engine: func() *match.Engine { return e }, log: slog.New(slog.NewTextHandler(&logged, nil))}
	ctx := context.Background()
	tb.sync(ctx)
	want := "old gone Old []   ; sismo in force Sismos [disaster,es] primary crisis-desk ; xbox in force  []   {floor: 2, cooldown: 30m}"
	if got := store.summary(); got != want || store.stores != 1 {
		t.Fatalf("after start (%d stores):\n got %s\nwant %s", store.stores, got, want)
	}
	tb.sync(ctx)
	if store.stores != 1 {
		t.Errorf("stored again without a reload")
	}
	if d, d2 := store.rows["sismo"].Diacritics, store.rows["xbox"].Diacritics; d != "insensitive" || d2 != "sensitive" {
		t.Errorf("diacritics stored %q and %q", d, d2)
	}
	e = compile("rules:\n  - id: xbox\n    query: xbox\n    alert: off\n")
	store.fail = errors.New("down")
	tb.sync(ctx)
	tb.sync(ctx)
	store.fail = nil
	tb.sync(ctx)
	if n := strings.Count(logged.String(), "rules table not updated"); n != 1 {
		t.Errorf("%d failure lines for a run of failures, want 1:\n%s", n, logged.String())
	}
	want = "old gone Old []   ; sismo gone Sismos [disaster,es] primary crisis-desk ; xbox in force  []   off"
	if got := store.summary(); got != want || store.stores != 2 {
		t.Fatalf("after a reload and a failure (%d stores):\n got %s\nwant %s", store.stores, got, want)
	}
	if n := len(tb.stored); n != 3 {
		t.Errorf("%d rows remembered, want 3", n)
	}
	// Only the rules that changed were stored again.
	if slices.Sort(store.last); strings.Join(store.last, ",") != "sismo,xbox" {
		t.Errorf("stored %v on the reload, want the changed xbox and the gone sismo", store.last)
	}
	// A new run with the same rules stores nothing.
	again := &ruleTable{store: store, engine: func() *match.Engine { return e }, log: slog.New(slog.DiscardHandler)}
	again.sync(ctx)
	if store.stores != 2 || again.last != e {
		t.Errorf("a run with the rules stored: %d stores (want 2), engine taken %v", store.stores, again.last == e)
	}
}

// TestRulesHistory: earshot rules history prints a rule's versions from
// the real rules table: in force, each change, no longer in force; --json
// gives them whole; a rule never stored is an error.
func TestRulesHistory(t *testing.T) {
	_, chAddr, id, store := pipelineFixture(t, "rulehist")
	ctx := t.Context()
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	v := sink.Rule{ID: "xbox", Query: "xbox", Tags: []string{"support"}, Diacritics: "sensitive", Alert: "{floor: 2}", Active: true}
	for i, change := range []func(r *sink.Rule){
		func(*sink.Rule) {},
		func(r *sink.Rule) { r.Name, r.Alert = "Console outages", "off" },
		func(*sink.Rule) {}, // another process of the group stores the same
		func(r *sink.Rule) { r.Active = false },
	} {
		change(&v)
		if err := store.StoreRules(ctx, []sink.Rule{v}, t0.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	db := "earshot_" + id
	out, errOut, status := earshot(t, "", "rules", "history", "xbox", "--clickhouse-addr", chAddr, "--clickhouse-database", db)
	want := "2026-11-24 09:00:00  in force   query xbox; tags [support]; alert {floor: 2}\n" +
		"2026-11-24 10:00:00  changed    name (none) → Console outages; alert {floor: 2} → off\n" +
		"2026-11-24 11:00:00  changed    stored again, unchanged\n" +
		"2026-11-24 12:00:00  no longer in force\n"
	if status != 0 || out != want {
		t.Fatalf("status %d\n%s%s\nwant\n%s", status, out, errOut, want)
	}
	out, _, status = earshot(t, "", "rules", "history", "--json", "xbox", "--clickhouse-addr", chAddr, "--clickhouse-database", db)
	var versions []sink.Rule
	if err := json.Unmarshal([]byte(out), &versions); status != 0 || err != nil || len(versions) != 4 ||
		versions[1].Name != "Console outages" || versions[3].Active {
		t.Fatalf("--json: status %d, %v: %s", status, err, out)
	}
	_, errOut, status = earshot(t, "", "rules", "history", "nope", "--clickhouse-addr", chAddr, "--clickhouse-database", db)
	if status == 0 || !strings.Contains(errOut, `rule "nope" has no stored version`) {
		t.Fatalf("a rule never stored: status %d\n%s", status, errOut)
	}
}
