package sink

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"earshot/stream/lifecycle"
)

// TestIntegrationLifecycle stores a topic that went quiet for a week and
// came back with a large account's repost, and reads its series, its first
// mention, the mentions that began the revival and what spread in it.
func TestIntegrationLifecycle(t *testing.T) {
	c := migratedClient(t, nil)
	ctx := context.Background()
	old := time.Date(2026, 10, 1, 9, 15, 30, 0, time.UTC)
	back := time.Date(2026, 10, 10, 13, 4, 0, 0, time.UTC)
	var rows []Mention
	add := func(rule, id string, at time.Time, country string, followers int64, repostOf string) {
		rows = append(rows, Mention{RuleID: rule, PostID: id, CreatedAt: at, AuthorID: "a" + id, AuthorHandle: "u" + id,
			AuthorFollowers: followers, Segment: "spectator", Country: country, IsRepost: repostOf != "", RepostOf: repostOf,
			Text: "brand " + id, Topic: "t", Offset: int64(len(rows))})
	}
	add("brand", "o1", old, "US", 10, "")
	add("brand", "o2", old.Add(time.Minute), "MX", 20, "")
	add("brand", "r0", back, "US", 30000, "p0") // the spark
	add("brand", "r0b", back.Add(10*time.Second), "US", 30000, "p0")
	rows[len(rows)-1].AuthorID = "ar0" // its author again: one spark each
	for i := range 9 {                 // its echo over the next two hours, in three countries
		add("brand", fmt.Sprintf("e%d", i), back.Add(time.Duration(i)*13*time.Minute), []string{"US", "MX", "JP"}[i%3], int64(100+i), "p0")
	}
	add("brand", "x1", back.Add(-2*time.Hour), "US", 90000, "p9")                      // before the revival's window
	add("brand", "x2", back.Add(5*time.Hour), "US", 80000, "p9")                       // after it
	add("other", "z1", back.Add(time.Hour), "", 5, "")                                 // another rule
	rows = append(rows, Mention{PostID: "m", CreatedAt: back, Topic: "t", Offset: 99}) // a progress marker
	// The pipeline read the feed every hour from October 3 to October 10
	// 12:00 (its progress markers): brand's quiet before its revival was
	// seen; blind's, active September 25 and back October 4 10:00, was not
	// (the 38 hours before October 3 are part of it).
	feedFrom, feedTo := time.Date(2026, 10, 3, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 10, 12, 0, 0, 0, time.UTC)
	for h := feedFrom; h.Before(feedTo); h = h.Add(time.Hour) {
		rows = append(rows, Mention{CreatedAt: h.Add(17 * time.Minute), Topic: "t", Offset: 1000 + int64(len(rows))})
	}
	for i, at := range []time.Time{time.Date(2026, 9, 25, 8, 0, 0, 0, time.UTC), time.Date(2026, 10, 4, 10, 1, 0, 0, time.UTC)} {
		add("blind", fmt.Sprintf("b%d", 2*i), at, "US", 5, "")
		add("blind", fmt.Sprintf("b%d", 2*i+1), at.Add(time.Minute), "US", 5, "")
	}
	if err := c.Insert(ctx, rows); err != nil {
		t.Fatal(err)
	}

	// Hourly bins over the day of the revival, from 10:00.
	start := time.Date(2026, 10, 10, 10, 0, 0, 0, time.UTC)
	series, err := c.Series(ctx, start, time.Hour, 12, "brand")
	if err != nil {
		t.Fatal(err)
	}
	want := make([]uint64, 12)
	want[1] = 1             // x1 at 11:04
	want[3], want[4] = 7, 4 // r0, r0b and e0-e4 (13:04 … 13:56), e5-e8 (14:09 … 14:48)
	want[8] = 1             // x2 at 18:04
	if len(series) != 1 || fmt.Sprint(series["brand"]) != fmt.Sprint(want) {
		t.Fatalf("series of brand: %v, want %v", series, want)
	}
	all, err := c.Series(ctx, start, 30*time.Minute, 24)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all["other"][8] != 1 || all["brand"][6] != 4 || all[""] != nil {
		t.Errorf("series of every rule in half hours: %v", all)
	}
	if _, err := c.Series(ctx, start, 90*time.Second, 4); err == nil {
		t.Error("a bin of 90 s accepted")
	}

	first, err := c.FirstMentions(ctx, "brand", "nobody")
	if err != nil || len(first) != 1 || !first["brand"].Equal(old.Truncate(time.Minute)) {
		t.Errorf("first mentions: %v, %v", first, err)
	}
	firsts, err := c.FirstMentions(ctx)
	if err != nil || len(firsts) != 3 || !firsts["other"].Equal(back.Add(time.Hour)) {
		t.Errorf("first mentions of every rule: %v, %v", firsts, err)
	}
	// A database that had mentions before rule_first_minute existed: the
	// migration's INSERT fills it from the minute aggregates, and running
	// it twice changes nothing.
	if err := c.conn.Exec(ctx, c.sql("TRUNCATE TABLE {db}.rule_first_minute")); err != nil {
		t.Fatal(err)
	}
	if gone, err := c.FirstMentions(ctx); err != nil || len(gone) != 0 {
		t.Fatalf("first mentions of an empty table: %v, %v", gone, err)
	}
	fill := migrations[len(migrations)-1].statements[2]
	if !strings.HasPrefix(strings.TrimSpace(fill), "INSERT INTO {db}.rule_first_minute") {
		t.Fatalf("not the filling INSERT: %s", fill)
	}
	for range 2 {
		if err := c.conn.Exec(ctx, c.sql(fill)); err != nil {
			t.Fatal(err)
		}
		if again, err := c.FirstMentions(ctx); err != nil || !maps.EqualFunc(again, firsts, time.Time.Equal) {
			t.Errorf("first mentions filled from the aggregates: %v, want %v (%v)", again, firsts, err)
		}
	}

	sparks, err := c.Sparks(ctx, "brand", back, back.Add(2*time.Hour), 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(sparks) != 3 || sparks[0].PostID != "r0" || sparks[0].Followers != 30000 || !sparks[0].IsRepost ||
		sparks[0].RepostOf != "p0" || sparks[0].Author != "ur0" || sparks[0].Segment != "spectator" ||
		!sparks[0].At.Equal(back) || sparks[1].PostID != "e8" || sparks[2].PostID != "e7" {
		t.Errorf("sparks: %+v", sparks)
	}
	spread, err := c.RepostedBetween(ctx, "brand", back, back.Add(2*time.Hour), 0)
	if err != nil || len(spread) != 1 || spread[0].PostID != "p0" || spread[0].Reposts != 11 || spread[0].Authors != 10 {
		t.Errorf("reposted in the revival: %+v, %v", spread, err)
	}
	if since, err := c.TopReposted(ctx, "brand", back.Add(-3*time.Hour), 0); err != nil || len(since) != 2 ||
		since[0].PostID != "p0" || since[1].Reposts != 2 {
		t.Errorf("top reposted since before the revival: %+v, %v", since, err)
	}

	// The life cycle over two weeks of hourly bins, the last one 16:00-17:00
	// (now is 16:04:30): new on October 1, revived in the hour of 13:00
	// (x1 at 11:04, alone in its hour, is below the floor), rising since.
	a, err := lifecycle.NewAnalyzer(lifecycle.Config{})
	if err != nil {
		t.Fatal(err)
	}
	now0 := back.Add(3*time.Hour + 30*time.Second)
	reps, err := c.Lifecycles(ctx, a, now0, 14*24, "brand", "nobody")
	if err != nil {
		t.Fatal(err)
	}
	b := reps["brand"]
	if len(reps) != 2 || b.Phase != lifecycle.Rising || !b.Since.Equal(back.Truncate(time.Hour)) || len(b.Episodes) != 2 ||
		b.Episodes[0].Origin != lifecycle.New || b.Episodes[0].Mentions != 2 ||
		b.Episodes[1].Origin != lifecycle.Revived || !b.Episodes[1].Start.Equal(back.Truncate(time.Hour)) || b.Episodes[1].Mentions != 11 || !b.Episodes[1].End.Equal(back.Truncate(time.Hour).Add(2*time.Hour)) {
		t.Errorf("life cycle of brand: %v since %v, episodes %+v", b.Phase, b.Since, b.Episodes)
	}
	if n := reps["nobody"]; n.Phase != lifecycle.None || len(n.Episodes) != 0 {
		t.Errorf("life cycle of a rule without mentions: %+v", n)
	}
	// Known first mentions are used as given: a rule without mentions
	// said to have had one before the window is dormant, not none.
	known := map[string]time.Time{}
	if _, err := c.LifecyclesKnown(ctx, a, now0, 14*24, known, "brand", "nobody"); err != nil || len(known) != 1 ||
		!known["brand"].Equal(old.Truncate(time.Minute)) {
		t.Errorf("first mentions found: %v, %v", known, err)
	}
	known["nobody"] = old
	if reps, err := c.LifecyclesKnown(ctx, a, now0, 48, known, "nobody"); err != nil || reps["nobody"].Phase != lifecycle.Dormant {
		t.Errorf("nobody with a first mention given as %v: %+v, %v", old, reps["nobody"], err)
	}

	// Now within the episode's last active bin: it ends now, not at the
	// bin's end.
	now := back.Add(30 * time.Minute)
	if reps, err := c.Lifecycles(ctx, a, now, 48, "brand"); err != nil || len(reps["brand"].Episodes) != 1 ||
		!reps["brand"].Episodes[0].End.Equal(now) {
		t.Errorf("life cycle of brand at %v: %+v, %v", now, reps["brand"].Episodes, err)
	}
	every, err := c.Lifecycles(ctx, a, back.Add(3*time.Hour), 14*24)
	if err != nil || len(every) != 3 || every["other"].Phase != lifecycle.Dormant || every["brand"].Phase != lifecycle.Rising {
		t.Errorf("life cycles of every rule: %+v, %v", every, err)
	}

	// The hours of the markers: the hourly ones, and 13:00 (none at 12:00).
	hours, err := c.FeedHours(ctx, back.Add(-24*time.Hour), back.Add(24*time.Hour))
	if err != nil || len(hours) != 23+1 || !hours[back.Truncate(time.Hour)] || hours[feedTo] || !hours[feedTo.Add(-time.Hour)] {
		t.Errorf("feed hours: %v, %v", hours, err)
	}
	if hours, err := c.FeedHours(ctx, back.Add(time.Hour), back.Add(24*time.Hour)); err != nil || len(hours) != 0 {
		t.Errorf("feed hours after the marker: %v, %v", hours, err)
	}
	// blind's return on October 4: its quiet was not seen whole.
	at := time.Date(2026, 10, 4, 12, 30, 0, 0, time.UTC)
	reps, err = c.Lifecycles(ctx, a, at, 14*24, "blind")
	if e, ok := reps["blind"].Current(); err != nil || !ok || e.Origin != lifecycle.Continuing || !e.Unseen {
		t.Errorf("life cycle of blind: %+v, %v", reps["blind"].Episodes, err)
	}

	// brand's last active hour before its revival: October 1 09:00 (o1, o2).
	if end, ok, err := c.LastActive(ctx, "brand", back.Truncate(time.Hour), 2); err != nil || !ok ||
		!end.Equal(time.Date(2026, 10, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("brand's last active hour: %v %v %v", end, ok, err)
	}
	if _, ok, err := c.LastActive(ctx, "brand", back.Truncate(time.Hour), 3); err != nil || ok {
		t.Errorf("brand never had 3 mentions in an hour before its revival: %v %v", ok, err)
	}
}
