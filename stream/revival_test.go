package stream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"earshot/match"
	"earshot/sink"
	"earshot/stream/alert"
	"earshot/stream/lifecycle"
)

// fakeLifecycles answers the revival queries from fixed reports.
type fakeLifecycles struct {
	reps   map[string]lifecycle.Report
	err    error
	asked  [][]string // the rules of each LifecyclesKnown call
	n      int        // its bins
	ns     []int      // the bins of each call
	sparks map[string][]sink.Spark
	// byModel, when set, gives the reports of the analyzer's model (a
	// rule's own quiet or floor) instead of reps.
	byModel func(lifecycle.Config) map[string]lifecycle.Report
}

func (f *fakeLifecycles) LifecyclesKnown(_ context.Context, a *lifecycle.Analyzer, _ time.Time, n int, _ map[string]time.Time, rules ...string) (map[string]lifecycle.Report, error) {
	f.asked, f.n, f.ns = append(f.asked, rules), n, append(f.ns, n)
	if f.byModel != nil {
		return f.byModel(a.Config()), f.err
	}
	return f.reps, f.err
}

// revivalIDs are rules with the pipeline's revival settings.
func revivalIDs(ids ...string) func() []revivalRule {
	return func() []revivalRule {
		var rs []revivalRule
		for _, id := range ids {
			rs = append(rs, revivalRule{id: id})
		}
		return rs
	}
}

func (f *fakeLifecycles) LastActive(_ context.Context, rule string, before time.Time, floor uint64) (time.Time, bool, error) {
	if rule != "back" || floor != 2 {
		return time.Time{}, false, nil
	}
	return before.Add(-9 * 24 * time.Hour), true, nil
}

func (f *fakeLifecycles) Sparks(_ context.Context, rule string, _, _ time.Time, _ int) ([]sink.Spark, error) {
	return f.sparks[rule], nil
}

type fakeRaised map[string]bool

func (f fakeRaised) AlertIDs(context.Context, time.Time) (map[string]bool, error) { return f, nil }

func TestRevivals(t *testing.T) {
	now := time.Date(2026, 11, 24, 15, 20, 0, 0, time.UTC)
	h := now.Truncate(time.Hour)
	ongoing := func(o lifecycle.Origin, start time.Time) lifecycle.Report {
		return lifecycle.Report{Phase: lifecycle.Rising, Since: start, Recent: 12, Before: 1,
			Episodes: []lifecycle.Episode{{Origin: lifecycle.New, Start: h.Add(-200 * time.Hour), End: h.Add(-199 * time.Hour)},
				{Origin: o, Start: start, End: now, Ongoing: true, Mentions: 12}}}
	}
	unseen := ongoing(lifecycle.Continuing, h.Add(-2*time.Hour))
	unseen.Episodes[1].Unseen = true
	src := &fakeLifecycles{
		reps: map[string]lifecycle.Report{
			"back":  ongoing(lifecycle.Revived, h.Add(-time.Hour)),
			"fresh": ongoing(lifecycle.New, h.Add(-time.Hour)),       // a first episode is no revival
			"stale": ongoing(lifecycle.Revived, h.Add(-7*time.Hour)), // begun more than Recent ago
			"held":  ongoing(lifecycle.Revived, h),                   // the alerts table holds it
			"quiet": {Phase: lifecycle.Dormant},
			"blind": unseen,                                        // the pipeline read nothing for hours before it
			"gone":  ongoing(lifecycle.Revived, h.Add(-time.Hour)), // no longer in force (or alert: off)
		},
		sparks: map[string][]sink.Spark{"back": {{PostID: "p1", At: h.Add(-55 * time.Minute), Author: "bigaccount",
			Followers: 30000, IsRepost: true, RepostOf: "p0", Text: "RT brand is back"}}},
	}
	a, err := lifecycle.NewAnalyzer(lifecycle.Config{})
	if err != nil {
		t.Fatal(err)
	}
	heldID := revivalAlert("held", new(lifecycle.Report), lifecycle.Episode{Start: h}, a.Config(), now).ID
	var logs bytes.Buffer
	r := &revivals{src: src, a: a, every: time.Minute, raised: fakeRaised{heldID: true},
		rules: revivalIDs("quiet", "stale", "held", "fresh", "back", "blind"),
		now:   func() time.Time { return now }, log: slog.New(slog.NewTextHandler(&logs, nil)), m: newMetrics(nil),
		first: map[string]time.Time{}, seen: map[string]time.Time{}}

	as := r.look(context.Background())
	if len(as) != 1 {
		t.Fatalf("alerts %+v, want back's alone", as)
	}
	got := as[0]
	quiet := h.Add(-time.Hour - 9*24*time.Hour) // back's last active hour ended nine days before its revival
	want := alert.Alert{ID: got.ID, EventID: got.ID, Kind: "revival", Rule: "back", Scope: "rule", DetectedAt: now,
		Onset: h.Add(-time.Hour), Unit: "mentions", STA: 12.0 / 360, LTA: 1.0 / 360, STACount: 12, LTACount: 1,
		Examples:   []alert.Example{{ID: "p1", At: h.Add(-55 * time.Minute), Text: "RT brand is back", Author: "bigaccount", Followers: 30000}},
		QuietSince: &quiet}
	if len(got.ID) != 16 || got.ID == heldID || !equalAlerts(got, want) {
		t.Errorf("alert\n%+v\nwant\n%+v", got, want)
	}
	if src.n != 72+6+1 || len(src.asked) != 1 || len(src.asked[0]) != 0 {
		t.Errorf("asked %v over %d bins, want every rule (none named) over 79", src.asked, src.n)
	}
	if again := revivalAlert("back", new(lifecycle.Report), lifecycle.Episode{Start: h.Add(-time.Hour)}, a.Config(), now.Add(time.Hour)); again.ID != got.ID {
		t.Errorf("the id changes with the time of the look: %s, %s", again.ID, got.ID)
	}

	// Handed over by run, an alert is not raised again by this process.
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan []alert.Alert)
	done := make(chan struct{})
	go func() { defer close(done); r.run(ctx, out) }()
	if as := <-out; len(as) != 1 || as[0].ID != got.ID {
		t.Fatalf("run handed %+v", as)
	}
	cancel()
	<-done
	if as := r.look(context.Background()); len(as) != 0 {
		t.Errorf("raised again: %+v", as)
	}

	// Failures: nothing raised, counted, logged once per run of them.
	src.err = errors.New("clickhouse down")
	r.look(context.Background())
	r.look(context.Background())
	if !strings.Contains(logs.String(), `revivals not raised: the pipeline read nothing in part of the quiet before them" rules=1 first=[blind]`) {
		t.Errorf("blind's revival not logged:\n%s", logs.String())
	}
	if n := testutil.ToFloat64(r.m.revivalLooks.WithLabelValues("error")); n != 2 || strings.Count(logs.String(), "cannot look for revived topics") != 1 {
		t.Errorf("%v failed looks, logs:\n%s", n, logs.String())
	}
	src.err = nil
	r.look(context.Background())
	if !strings.Contains(logs.String(), "looking for revived topics again") {
		t.Errorf("no line after the failures:\n%s", logs.String())
	}
}

func equalAlerts(a, b alert.Alert) bool {
	x, _ := a.AppendJSON(nil)
	y, _ := b.AppendJSON(nil)
	return bytes.Equal(x, y)
}

func TestRevivalRules(t *testing.T) {
	e, err := match.Compile([]match.Rule{
		{ID: "on", Query: "xbox", Enabled: true},
		{ID: "off", Query: "xbox", Enabled: true, Alert: &match.Alert{Off: true}},
		{ID: "floor", Query: "xbox", Enabled: true, Alert: &match.Alert{Floor: 2}},
		{ID: "bursts only", Query: "xbox", Enabled: true, Alert: &match.Alert{NoRevival: true}},
		{ID: "slow", Query: "xbox", Enabled: true, Alert: &match.Alert{RevivalQuiet: 14 * 24 * time.Hour, RevivalFloor: 5}},
		{ID: "off too", Query: "xbox", Enabled: true, Alert: &match.Alert{NoRevival: true, RevivalQuiet: 14 * 24 * time.Hour}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := revivalRules(func() *match.Engine { return e })()
	if want := []revivalRule{{id: "on"}, {id: "floor"}, {id: "slow", quiet: 14 * 24 * time.Hour, floor: 5}}; !slices.Equal(got, want) {
		t.Errorf("rules %v, want %v (off's alerts are off, bursts only's revivals; slow's settings its own)", got, want)
	}
	if got := revivalRules(func() *match.Engine { return nil })(); got != nil {
		t.Errorf("no engine: %v", got)
	}
}

// TestRevivalsOwnSettings: a rule with its own quiet or floor is judged
// with its own model, asked for by name over as many bins as its quiet
// needs; the other rules with the pipeline's, asked for all at once.
func TestRevivalsOwnSettings(t *testing.T) {
	now := time.Date(2026, 11, 24, 15, 20, 0, 0, time.UTC)
	h := now.Truncate(time.Hour)
	a, err := lifecycle.NewAnalyzer(lifecycle.Config{})
	if err != nil {
		t.Fatal(err)
	}
	base := a.Config()
	revived := lifecycle.Report{Recent: 5, Episodes: []lifecycle.Episode{{Origin: lifecycle.New, Start: h.Add(-200 * time.Hour)},
		{Origin: lifecycle.Revived, Start: h.Add(-time.Hour), End: now, Ongoing: true}}}
	continuing := revived
	continuing.Episodes = []lifecycle.Episode{{Origin: lifecycle.Continuing, Start: h.Add(-90 * time.Hour), End: now, Ongoing: true}}
	src := &fakeLifecycles{byModel: func(c lifecycle.Config) map[string]lifecycle.Report {
		// Under the pipeline's model every rule is back after 72 h of quiet;
		// a quiet of 14 days had not passed, nor had 5 mentions an hour.
		reps := map[string]lifecycle.Report{"back": revived, "slow": revived, "picky": revived, "long": revived}
		if c.Quiet == 14*24*time.Hour || c.Floor == 5 {
			reps["slow"], reps["picky"] = continuing, continuing
		}
		return reps
	}}
	r := &revivals{src: src, a: a, every: time.Minute, now: func() time.Time { return now },
		log: slog.New(slog.NewTextHandler(io.Discard, nil)), m: newMetrics(nil), first: map[string]time.Time{}, seen: map[string]time.Time{},
		rules: func() []revivalRule {
			return []revivalRule{{id: "slow", quiet: 14 * 24 * time.Hour}, {id: "back"}, {id: "picky", floor: 5},
				{id: "long", quiet: 14 * 24 * time.Hour, floor: 1}}
		}}
	var raised []string
	for _, x := range r.look(context.Background()) {
		raised = append(raised, x.Rule)
	}
	if strings.Join(raised, ",") != "back,long" {
		t.Errorf("raised %v, want back (the pipeline's model) and long (revived under its own)", raised)
	}
	asked := fmt.Sprint(src.asked)
	if asked != "[[] [picky] [long] [slow]]" || !slices.Equal(src.ns, []int{79, 79, 14*24 + 6 + 1, 14*24 + 6 + 1}) {
		t.Errorf("asked %s over %v bins: want every rule with the pipeline's model (79), then each model of rules' own by name", asked, src.ns)
	}
	if a, _ := r.models.For(14*24*time.Hour, 0); a == r.a || a.Config().Quiet != 14*24*time.Hour || a.Config().Recent != base.Recent {
		t.Errorf("the model of a 14-day quiet: %+v", a.Config())
	}
}
