package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"earshot/match"
	"earshot/sink"
)

// ruleStore is where the rules in force are recorded for dashboards:
// *sink.Client (the rules table).
type ruleStore interface {
	StoreRules(ctx context.Context, rules []sink.Rule, at time.Time) error
	Rules(ctx context.Context, ids ...string) ([]sink.Rule, error)
}

// ruleTable keeps the rules table in step with the rules in force: at
// start and after every reload (the engine changed) it stores each rule in
// force that is new or changed since the table's latest version of it,
// and the rules in force before but not now as inactive. A store that
// fails is tried again at the next poll.
type ruleTable struct {
	store  ruleStore
	engine func() *match.Engine
	log    *slog.Logger

	last    *match.Engine        // the engine last stored
	stored  map[string]sink.Rule // rule id → its row as last stored (nil until read)
	failing bool                 // the last attempt failed (logged once)
}

// ruleTablePoll is how often the rules table is compared with the rules in
// force: a pointer compare, whatever reloaded them (the file's poll,
// SIGHUP, the admin endpoint).
const ruleTablePoll = time.Second

// publishRules runs a ruleTable every poll, from now until the returned
// stop is called; stop waits for it.
func publishRules(store ruleStore, engine func() *match.Engine, poll time.Duration) (stop func()) {
	t := &ruleTable{store: store, engine: engine, log: slog.Default()}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(poll)
		defer tick.Stop()
		for {
			t.sync(ctx)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
	return func() { cancel(); wg.Wait() }
}

// sync stores the rules of the engine in force if they were not stored.
func (t *ruleTable) sync(ctx context.Context) {
	e := t.engine()
	if e == t.last {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if t.stored == nil {
		rows, err := t.store.Rules(ctx)
		if err != nil {
			t.fail(err)
			return
		}
		t.stored = map[string]sink.Rule{}
		for _, r := range rows {
			t.stored[r.ID] = r
		}
	}
	// The rules table keeps every version: store the rules that changed
	// since they were stored, and those no longer in force.
	inForce := ruleRows(e.Rules())
	var rows []sink.Rule
	ids := make(map[string]bool, len(inForce))
	for _, r := range inForce {
		ids[r.ID] = true
		if prev, ok := t.stored[r.ID]; !ok || !sameRow(prev, r) {
			rows = append(rows, r)
		}
	}
	changed := len(rows)
	for id, r := range t.stored {
		if r.Active && !ids[id] {
			r.Active = false
			rows = append(rows, r)
		}
	}
	if len(rows) > 0 {
		at := time.Now()
		if err := t.store.StoreRules(ctx, rows, at); err != nil {
			t.fail(err)
			return
		}
		for _, r := range rows {
			r.LoadedAt = at.UTC().Truncate(time.Second)
			t.stored[r.ID] = r
		}
	}
	t.failing = false
	t.last = e
	t.log.Info("rules table updated", "in_force", len(inForce), "new_or_changed", changed, "no_longer", len(rows)-changed)
}

// sameRow reports whether two rows of the rules table say the same of a
// rule, whenever they were loaded.
func sameRow(a, b sink.Rule) bool {
	return a.ID == b.ID && a.Active == b.Active && len(versionChanges(a, b)) == 0
}

// fail logs the first of a run of failures; the writer's retries already
// say that ClickHouse is unreachable.
func (t *ruleTable) fail(err error) {
	if !t.failing {
		t.log.Warn("rules table not updated; retrying every second", "err", err)
	}
	t.failing = true
}

// ruleRows are rules as the rules table keeps them, in force.
func ruleRows(rules []match.Rule) []sink.Rule {
	rows := make([]sink.Rule, 0, len(rules))
	for i := range rules {
		st := rules[i].Settings()
		rows = append(rows, sink.Rule{ID: rules[i].ID, Name: st.Name, Query: st.Query, Tags: st.Tags, Level: st.Level,
			Route: st.Route, Diacritics: st.Diacritics, Alert: st.Alert, Active: true})
	}
	return rows
}

// settingsOf is a row's rule settings as match writes them.
func settingsOf(r sink.Rule) match.Settings {
	return match.Settings{Name: r.Name, Query: r.Query, Diacritics: r.Diacritics, Tags: r.Tags, Route: r.Route,
		Level: r.Level, Alert: r.Alert}
}
