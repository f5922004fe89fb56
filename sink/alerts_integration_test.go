package sink

import (
	"context"
	"slices"
	"testing"
	"time"

	"earshot/stream/alert"
)

// TestIntegrationAlerts inserts alerts twice (a replay) and reads each back
// once, with location and examples; then checks the top-authors aggregate.
func TestIntegrationAlerts(t *testing.T) {
	c := migratedClient(t, nil)
	ctx := context.Background()
	at := time.Date(2026, 11, 22, 10, 31, 5, 0, time.UTC)
	as := []alert.Alert{
		{ID: "a1", EventID: "a1", Kind: alert.KindTrigger, Rule: "sismo", Scope: alert.ScopeCountry, Country: "MX",
			DetectedAt: at, Onset: at.Add(-20 * time.Second), Unit: "posts", STA: 80, LTA: 2, Ratio: 5, STACount: 80, LTACount: 60,
			Location: &alert.Location{Cell: "9g3w", Lat: 19.4, Lon: -99.1, Tier: 3, Posts: 12, Country: "MX"},
			Examples: []alert.Example{{ID: "p1", At: at, Text: "sismo fuerte"}, {ID: "p2", At: at, Text: "temblor"}}},
		{ID: "a2", EventID: "a1", Kind: alert.KindFollowUp, Seq: 1, Rule: "sismo", Scope: alert.ScopeCountry, Country: "MX",
			DetectedAt: at.Add(time.Minute), Onset: at.Add(-20 * time.Second), Unit: "posts"},
	}
	for i := 0; i < 2; i++ {
		if err := c.InsertAlerts(ctx, as); err != nil {
			t.Fatal(err)
		}
	}
	got, err := c.Alerts(ctx, at.Add(-time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "a2" || got[1].ID != "a1" {
		t.Fatalf("alerts: got %+v, want a2 then a1, once each", got)
	}
	a := got[1]
	if a.Location == nil || a.Location.Cell != "9g3w" || a.Location.Posts != 12 || len(a.Examples) != 2 ||
		a.Examples[1].Text != "temblor" || !a.DetectedAt.Equal(at) || a.STACount != 80 {
		t.Errorf("alert a1 read back as %+v (location %+v)", a, a.Location)
	}
	if got[0].Location != nil || got[0].Seq != 1 {
		t.Errorf("follow-up read back as %+v", got[0])
	}
	if got, err := c.Alerts(ctx, at.Add(time.Hour), 0); err != nil || len(got) != 0 {
		t.Errorf("alerts since a later time: %v, %v", got, err)
	}
	if ids, err := c.AlertIDs(ctx, at.Add(30*time.Second)); err != nil || len(ids) != 1 || !ids["a2"] {
		t.Errorf("alert ids since a2's minute: %v, %v", ids, err)
	}
	if ids, err := c.AlertIDs(ctx, at.Add(-time.Hour)); err != nil || len(ids) != 2 || !ids["a1"] || !ids["a2"] {
		t.Errorf("alert ids: %v, %v", ids, err)
	}

	rows := []Mention{
		{RuleID: "sismo", PostID: "1", CreatedAt: at, AuthorID: "u1", AuthorHandle: "ana", AuthorFollowers: 10, Influence: 0.2, Topic: "t", Offset: 1},
		{RuleID: "sismo", PostID: "2", CreatedAt: at, AuthorID: "u1", AuthorHandle: "ana", AuthorFollowers: 12, Influence: 0.3, Topic: "t", Offset: 2},
		{RuleID: "sismo", PostID: "3", CreatedAt: at, AuthorID: "u2", AuthorHandle: "bob", AuthorFollowers: 9000, Influence: 0.9, Topic: "t", Offset: 3},
		{RuleID: "other", PostID: "3", CreatedAt: at, AuthorID: "u3", Influence: 1, Topic: "t", Offset: 3},
		{RuleID: "sismo", PostID: "4", CreatedAt: at, AuthorID: "u4", AuthorFollowers: -1, Topic: "t", Offset: 4},
		{RuleID: "sismo", PostID: "5", CreatedAt: at.Add(-3 * time.Hour), AuthorID: "u5", AuthorFollowers: 50000, Topic: "t", Offset: 5},
		{RuleID: "sismo", PostID: "6", CreatedAt: at, AuthorID: "u6", AuthorFollowers: 5000, Segment: "zombie", Topic: "t", Offset: 6},
	}
	if err := c.Insert(ctx, rows); err != nil {
		t.Fatal(err)
	}
	top, err := c.TopAuthors(ctx, "sismo", at.Add(-time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(top) != 4 || top[0].AuthorID != "u2" || top[0].Handle != "bob" || top[1].Mentions != 2 ||
		top[1].Followers != 12 || top[1].Influence < 0.29 {
		t.Errorf("top authors: %+v", top)
	}
	// Reach: u1 once at its most (12), u2, u4 unknown, u6 a zombie; u5
	// before since, other's author not sismo's.
	reach, err := c.RuleReach(ctx, "sismo", at.Add(-time.Hour))
	if err != nil || reach != (Reach{Authors: 4, Known: 3, Followers: 14012, Zombies: 1, RealFollowers: 9012}) {
		t.Errorf("reach of sismo: %+v, %v", reach, err)
	}
	if reach, err := c.RuleReach(ctx, "none", at.Add(-time.Hour)); err != nil || reach != (Reach{}) {
		t.Errorf("reach of a rule without mentions: %+v, %v", reach, err)
	}
}

// TestIntegrationTopReposted: the posts most reposted among a rule's
// mentions since a time, with their distinct reposting authors and the
// span of the reposts; other rules, originals and older reposts are left
// out.
func TestIntegrationTopReposted(t *testing.T) {
	c := migratedClient(t, nil)
	ctx := context.Background()
	at := time.Date(2026, 11, 22, 10, 31, 5, 0, time.UTC)
	var rows []Mention
	add := func(rule, id, repostOf, author string, when time.Time) {
		rows = append(rows, Mention{RuleID: rule, PostID: id, CreatedAt: when, AuthorID: author, IsRepost: repostOf != "",
			RepostOf: repostOf, Text: "RT @ana: sismo " + repostOf, Topic: "t", Offset: int64(len(rows))})
	}
	add("sismo", "10", "", "ana", at)
	add("sismo", "11", "10", "a", at.Add(time.Minute))
	add("sismo", "12", "10", "b", at.Add(2*time.Minute))
	add("sismo", "13", "10", "a", at.Add(3*time.Minute))
	add("sismo", "14", "20", "c", at.Add(time.Minute))
	add("fuego", "15", "10", "d", at.Add(time.Minute))  // another rule
	add("sismo", "16", "10", "e", at.Add(-2*time.Hour)) // before since
	if err := c.Insert(ctx, rows); err != nil {
		t.Fatal(err)
	}
	got, err := c.TopReposted(ctx, "sismo", at.Add(-time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []Reposted{
		{PostID: "10", Reposts: 3, Authors: 2, First: at.Add(time.Minute), Last: at.Add(3 * time.Minute), Text: "RT @ana: sismo 10"},
		{PostID: "20", Reposts: 1, Authors: 1, First: at.Add(time.Minute), Last: at.Add(time.Minute), Text: "RT @ana: sismo 20"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("top reposted:\n got %+v\nwant %+v", got, want)
	}
	if got, err := c.TopReposted(ctx, "sismo", at.Add(-time.Hour), 1); err != nil || len(got) != 1 || got[0].PostID != "10" {
		t.Errorf("limit 1: %+v, %v", got, err)
	}
}
