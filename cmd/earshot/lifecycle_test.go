package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"earshot/sink"
)

// TestLifecycleCommand stores four topics in different phases and reads
// them back with `earshot lifecycle`, the list and one rule's detail.
func TestLifecycleCommand(t *testing.T) {
	_, chAddr, id, store := pipelineFixture(t, "lifecycle")
	ctx := t.Context()
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if time.Until(time.Now().Truncate(time.Hour).Add(time.Hour)) < 30*time.Second {
		time.Sleep(time.Minute) // the command's hourly bins must be those the rows were placed in
	}
	h := time.Now().UTC().Truncate(time.Hour) // the current hour's start
	var rows []sink.Mention
	add := func(rule string, at time.Time, n int, author string, followers int64, repostOf string) {
		for i := range n {
			rows = append(rows, sink.Mention{RuleID: rule, PostID: fmt.Sprintf("%s-%d", rule, len(rows)),
				CreatedAt: at.Add(time.Duration(i) * time.Second), AuthorID: fmt.Sprintf("%s%d", author, i),
				AuthorHandle: author, AuthorFollowers: followers, Segment: "creator", IsRepost: repostOf != "",
				RepostOf: repostOf, Text: rule + " post", Topic: "t", Offset: int64(len(rows))})
		}
	}
	// brand: an episode 20 days ago, quiet since, revived an hour ago by a
	// large account's repost (its author twice: one spark).
	add("brand", h.Add(-20*24*time.Hour), 5, "fan", 10, "")
	add("brand", h.Add(-time.Hour+5*time.Minute), 1, "bigaccount", 30000, "p1")
	rows[len(rows)-1].AuthorID = "big"
	add("brand", h.Add(-time.Hour+6*time.Minute), 1, "bigaccount", 30000, "p1")
	rows[len(rows)-1].AuthorID = "big"
	add("brand", h.Add(-time.Hour+10*time.Minute), 6, "echo", 50, "p1")
	// fading: peaked a day ago, a few mentions since.
	for k, n := range []int{10, 20, 30, 20} {
		add("fading", h.Add(time.Duration(k-30)*time.Hour), n, "f", 5, "")
	}
	add("fading", h.Add(-8*time.Hour), 6, "f", 5, "")
	add("fading", h.Add(-3*time.Hour), 2, "f", 5, "")
	// patient: brand's story, but its revival settings want 30 days of
	// quiet: one episode, new 20 days ago and going on.
	add("patient", h.Add(-20*24*time.Hour), 5, "fan", 10, "")
	add("patient", h.Add(-time.Hour+10*time.Minute), 8, "echo", 50, "")
	add("gone", h.Add(-10*24*time.Hour), 3, "g", 5, "") // dormant
	add("removed", h.Add(-time.Hour), 3, "r", 5, "")    // not in force: not listed
	// lapsed: back 140 hours ago after a quiet in 51 of whose 72 hours the
	// pipeline was stopped (no progress markers from 200 to 150 hours ago).
	add("lapsed", h.Add(-300*time.Hour), 2, "l", 5, "")
	add("lapsed", h.Add(-140*time.Hour), 2, "l", 5, "")
	// The pipeline read the feed every hour of the last 30 days but those
	// (its progress markers).
	for k := 1; k <= 30*24; k++ {
		if k < 150 || k > 200 {
			rows = append(rows, sink.Mention{CreatedAt: h.Add(-time.Duration(k) * time.Hour), Topic: "t", Offset: int64(10_000 + k)})
		}
	}
	if err := store.Insert(ctx, rows); err != nil {
		t.Fatal(err)
	}
	var rules []sink.Rule
	for _, r := range []string{"brand", "fading", "gone", "lapsed", "silent", "removed", "patient"} {
		rules = append(rules, sink.Rule{ID: r, Query: r, Diacritics: "sensitive", Active: true})
	}
	rules[6].Alert = "{revival: {quiet: 30d}}"
	rules[0].Name = "Console outages"
	rules[0].Tags, rules[2].Tags, rules[5].Tags = []string{"support", "en"}, []string{"support"}, []string{"support"}
	if err := store.StoreRules(ctx, rules, h.Add(-30*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	rules[5].Active = false
	if err := store.StoreRules(ctx, rules[5:6], h.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	db := []string{"--clickhouse-addr", chAddr, "--clickhouse-database", "earshot_" + id}
	at := func(t time.Time) string { return t.Format("2006-01-02 15:04") }

	out, errOut, status := earshot(t, "", append([]string{"lifecycle"}, db...)...)
	if status != 0 {
		t.Fatalf("status %d\n%s%s", status, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := [][]string{
		{"RULE", "PHASE", "SINCE", "LAST 6H", "BEFORE", "EPISODE"},
		{"brand (Console outages) [support, en]", "rising", at(h.Add(-time.Hour)), "8", "0", "revived " + at(h.Add(-time.Hour))},
		{"patient {quiet 30d, floor 2}", "rising", "8", "0", "new " + at(h.Add(-20*24*time.Hour))},
		{"fading", "decaying"},
		{"gone", "dormant", at(h.Add(-10*24*time.Hour + 72*time.Hour)), "0", "0", "new " + at(h.Add(-10*24*time.Hour)), "ended"},
		{"lapsed", "dormant", "continuing (quiet unseen) " + at(h.Add(-140*time.Hour)), "ended"},
		{"silent", "none", "", "0", "0", "none in the window"},
	}
	if len(lines) != len(want)+2 || !strings.HasPrefix(lines[0], "Life cycle over the last 30d") ||
		!strings.HasPrefix(lines[1], "A rule marked {quiet …, floor …} is judged with its own revival settings") {
		t.Fatalf("want a header, a note on the rules' own settings and %d lines:\n%s", len(want), out)
	}
	for i, w := range want {
		for _, s := range w {
			if !strings.Contains(lines[i+2], s) {
				t.Errorf("line %d lacks %q:\n%s", i+2, s, out)
			}
		}
	}
	// Its own settings: in JSON too; --quiet judges it as every rule.
	out, _, _ = earshot(t, "", append([]string{"lifecycle", "--json", "patient"}, db...)...)
	var own []topicLife
	if err := json.Unmarshal([]byte(out), &own); err != nil || len(own) != 1 || own[0].Model == nil || *own[0].Model != (ownModel{"30d", 2}) {
		t.Errorf("--json patient: %v: %s", err, out)
	}
	out, _, _ = earshot(t, "", append([]string{"lifecycle", "patient", "--quiet", "72h"}, db...)...)
	if !strings.Contains(out, "revived  "+at(h.Add(-time.Hour))+"  ongoing") || strings.Contains(out, "{quiet") {
		t.Errorf("--quiet 72h: patient not revived as every rule would be:\n%s", out)
	}

	out, errOut, status = earshot(t, "", append([]string{"lifecycle", "brand"}, db...)...)
	for _, s := range []string{
		"brand (Console outages) [support, en]: rising since " + at(h.Add(-time.Hour)) + " UTC; 8 mentions in the last 6h, 0 in the 6h before.",
		"new      " + at(h.Add(-20*24*time.Hour)),
		"revived  " + at(h.Add(-time.Hour)) + "  ongoing",
		"@bigaccount (30,000 followers, creator) reposted p1",
		"p1  8 reposts by 7 authors",
	} {
		if status != 0 || !strings.Contains(out, s) {
			t.Errorf("lifecycle brand lacks %q: status %d\n%s%s", s, status, out, errOut)
		}
	}
	if strings.Count(out, "@bigaccount") != 1 {
		t.Errorf("one spark per author:\n%s", out)
	}

	out, _, status = earshot(t, "", append([]string{"lifecycle", "--json", "fading", "gone"}, db...)...)
	var lives []topicLife
	if err := json.Unmarshal([]byte(out), &lives); status != 0 || err != nil || len(lives) != 2 ||
		lives[0].Rule != "fading" || lives[0].Name != "" || lives[0].Phase.String() != "decaying" || lives[0].Recent != 2 || lives[0].Before != 6 ||
		len(lives[0].Episodes) != 1 || lives[0].Episodes[0].PeakMentions != 30 || lives[1].Rule != "gone" || lives[1].Sparks != nil {
		t.Fatalf("--json: status %d, %v: %s", status, err, out)
	}
	if !strings.Contains(out, `"phase":"decaying"`) {
		t.Errorf("phases are written as names: %s", out)
	}
	out, _, _ = earshot(t, "", append([]string{"lifecycle", "--json", "brand"}, db...)...)
	if err := json.Unmarshal([]byte(out), &lives); err != nil || len(lives) != 1 || lives[0].Name != "Console outages" ||
		strings.Join(lives[0].Tags, ",") != "support,en" || len(lives[0].Sparks) != 5 || lives[0].Sparks[0].Author != "bigaccount" || len(lives[0].Spread) != 1 {
		t.Errorf("--json brand: %v: %s", err, out)
	}

	// --tag: the rules in force with the tag (removed has it too).
	out, errOut, status = earshot(t, "", append([]string{"lifecycle", "--tag", "support"}, db...)...)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); status != 0 || len(lines) != 4 ||
		!strings.HasPrefix(lines[2], "brand ") || !strings.HasPrefix(lines[3], "gone ") {
		t.Errorf("--tag support: status %d\n%s%s", status, out, errOut)
	}
	_, errOut, status = earshot(t, "", append([]string{"lifecycle", "--tag", "nope"}, db...)...)
	if status != 1 || !strings.Contains(errOut, `no rule in force carries the tag "nope"`) {
		t.Errorf("--tag nope: status %d\n%s", status, errOut)
	}
	_, errOut, status = earshot(t, "", append([]string{"lifecycle", "--tag", "support", "brand"}, db...)...)
	if status != 2 || !strings.Contains(errOut, "give one or the other") {
		t.Errorf("--tag and an id: status %d\n%s", status, errOut)
	}
	// --at: five days ago, gone was dormant and fading had no mention yet.
	out, errOut, status = earshot(t, "", append([]string{"lifecycle", "--at", h.Add(-5 * 24 * time.Hour).Format("2006-01-02 15:04"), "gone", "fading"}, db...)...)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); status != 0 || len(lines) != 4 ||
		!strings.HasPrefix(lines[2], "gone ") || !strings.Contains(lines[2], "dormant") ||
		!strings.HasPrefix(lines[3], "fading ") || !strings.Contains(lines[3], "none") {
		t.Errorf("--at five days ago: status %d\n%s%s", status, out, errOut)
	}
	_, errOut, status = earshot(t, "", append([]string{"lifecycle", "--at", "tomorrow"}, db...)...)
	if status != 2 || !strings.Contains(errOut, `--at "tomorrow": want a time before now`) {
		t.Errorf("--at tomorrow: status %d\n%s", status, errOut)
	}
	_, errOut, status = earshot(t, "", append([]string{"lifecycle", "--quiet", "90m"}, db...)...)
	if status != 2 || !strings.Contains(errOut, "quiet 1h30m0s: want a multiple of the bin 1h0m0s") {
		t.Errorf("--quiet 90m: status %d\n%s", status, errOut)
	}
	_, errOut, status = earshot(t, "", append([]string{"lifecycle", "--window", "90m"}, db...)...)
	if status != 2 || !strings.Contains(errOut, "--window 1h30m0s and --bin 1h0m0s") {
		t.Errorf("--window 90m: status %d\n%s", status, errOut)
	}
}
