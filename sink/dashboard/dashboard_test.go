package dashboard

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"earshot/sink"
	"earshot/stream/alert"
	"earshot/stream/lifecycle"
)

// fakeStore answers the dashboard's queries from fixed rows and records
// what it was asked.
type fakeStore struct {
	rules    []sink.RuleCount
	cells    []sink.CellCount
	err      error
	since    []time.Time
	cellRule string
	prec     int
	asked    []string // the rules of the rule queries

	reports    map[string]lifecycle.Report // by rule; a rule without one gets a zero report
	sparks     []sink.Spark
	lifeErr    error
	sparkErr   error
	lifeCalls  []string        // the arguments of Lifecycles: end, bins, bin and rules
	lifeQuiet  []time.Duration // the quiet of each call's model
	more       []sink.Rule     // rules Rules returns besides sismo
	sparkCalls []string        // those of Sparks: rule, from, to and limit
}

func (f *fakeStore) TopRules(_ context.Context, since time.Time, _ int) ([]sink.RuleCount, error) {
	f.since = append(f.since, since)
	return f.rules, f.err
}
func (f *fakeStore) TagCounts(_ context.Context, since time.Time, _ int) ([]sink.TagCount, error) {
	f.since = append(f.since, since)
	return []sink.TagCount{{Tag: "disaster", Mentions: 5, Originals: 4, Reposts: 1, Authors: 3}}, nil
}
func (f *fakeStore) Rules(_ context.Context, ids ...string) ([]sink.Rule, error) {
	f.asked = append(f.asked, "rules:"+strings.Join(ids, ","))
	return append([]sink.Rule{{ID: "sismo", Name: "Sismos", Tags: []string{"disaster", "es"}, Active: true}}, f.more...), nil
}
func (f *fakeStore) ByCountry(_ context.Context, since time.Time, _ int) ([]sink.CountryCount, error) {
	f.since = append(f.since, since)
	return []sink.CountryCount{{Country: "MX", Mentions: 7}, {Country: "", Mentions: 2}}, nil
}
func (f *fakeStore) PerMinute(_ context.Context, since time.Time, _ int) ([]sink.MinuteCount, error) {
	f.since = append(f.since, since)
	return []sink.MinuteCount{{Minute: since.Add(time.Minute), Mentions: 9, Originals: 6, Reposts: 3, Authors: 4}}, nil
}
func (f *fakeStore) RulePerMinute(_ context.Context, rule string, since time.Time, _ int) ([]sink.MinuteCount, error) {
	f.since = append(f.since, since)
	f.asked = append(f.asked, "minutes:"+rule)
	return []sink.MinuteCount{{Minute: since.Add(2 * time.Minute), Mentions: 3}}, nil
}
func (f *fakeStore) TopAuthors(_ context.Context, rule string, since time.Time, _ int) ([]sink.AuthorCount, error) {
	f.since = append(f.since, since)
	f.asked = append(f.asked, "authors:"+rule)
	return []sink.AuthorCount{{AuthorID: "7", Handle: "ana", Mentions: 2, Influence: 0.5, Followers: 1200}}, nil
}
func (f *fakeStore) RuleReach(_ context.Context, rule string, since time.Time) (sink.Reach, error) {
	f.since = append(f.since, since)
	f.asked = append(f.asked, "reach:"+rule)
	return sink.Reach{Authors: 4, Known: 3, Followers: 14012, Zombies: 1, RealFollowers: 9012}, nil
}
func (f *fakeStore) TopReposted(_ context.Context, rule string, since time.Time, _ int) ([]sink.Reposted, error) {
	f.since = append(f.since, since)
	f.asked = append(f.asked, "reposted:"+rule)
	return []sink.Reposted{{PostID: "10", Reposts: 3, Authors: 2, Text: "RT @ana: sismo"}}, nil
}
func (f *fakeStore) ByCell(_ context.Context, rule string, since time.Time, precision, _ int) ([]sink.CellCount, error) {
	f.since = append(f.since, since)
	f.cellRule, f.prec = rule, precision
	return f.cells, nil
}
func (f *fakeStore) Alerts(_ context.Context, since time.Time, _ int) ([]alert.Alert, error) {
	f.since = append(f.since, since)
	return []alert.Alert{{ID: "a1", Kind: alert.KindTrigger, Rule: "sismo", Scope: alert.ScopeCountry, Country: "MX",
		Ratio: 6.5, Location: &alert.Location{Lat: 19.4, Lon: -99.1},
		Examples: []alert.Example{{Text: `<img src=x onerror=alert(1)> sismo`}}}}, nil
}

func (f *fakeStore) LifecyclesKnown(_ context.Context, a *lifecycle.Analyzer, end time.Time, n int, _ map[string]time.Time, rules ...string) (map[string]lifecycle.Report, error) {
	f.lifeCalls = append(f.lifeCalls, fmt.Sprintf("%s %d×%v %s", end.Format(time.RFC3339), n, a.Config().Bin, strings.Join(rules, ",")))
	f.lifeQuiet = append(f.lifeQuiet, a.Config().Quiet)
	if f.lifeErr != nil {
		return nil, f.lifeErr
	}
	out := make(map[string]lifecycle.Report, len(rules))
	for _, r := range rules {
		out[r] = f.reports[r]
	}
	return out, nil
}
func (f *fakeStore) Sparks(_ context.Context, rule string, from, to time.Time, limit int) ([]sink.Spark, error) {
	f.sparkCalls = append(f.sparkCalls, fmt.Sprintf("%s %s-%s %d", rule, from.Format(time.RFC3339), to.Format(time.RFC3339), limit))
	return f.sparks, f.sparkErr
}

var clock = time.Date(2026, 11, 22, 10, 30, 40, 0, time.UTC)

// Life cycles as of clock, in hours from 2026-11-08 11:00: sismo revived
// three hours ago and rising, fire dormant since its episode ended four
// days ago.
// sismoHours and sismoPhases: 336 hours, the last four (from 07:00) rising
// with 8, 40, 12 and 10 mentions.
var (
	sismoHours  = append(make([]uint64, 332), 8, 40, 12, 10)
	sismoPhases = append(make([]lifecycle.Phase, 332), lifecycle.Rising, lifecycle.Rising, lifecycle.Rising, lifecycle.Rising)
)

var (
	lifeFrom = time.Date(2026, 11, 8, 11, 0, 0, 0, time.UTC)
	revival  = lifecycle.Episode{Origin: lifecycle.Revived, Start: time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC),
		End: clock, Ongoing: true, Peak: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC), PeakMentions: 40, Mentions: 70}
	reports = map[string]lifecycle.Report{
		"sismo": {From: lifeFrom, Phases: sismoPhases, Mentions: sismoHours, Phase: lifecycle.Rising, Since: revival.Start, Recent: 70, Before: 0, Episodes: []lifecycle.Episode{
			{Origin: lifecycle.New, Start: time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 10, 11, 0, 0, 0, time.UTC),
				Peak: time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC), PeakMentions: 5, Mentions: 8},
			revival}},
		"fire": {From: lifeFrom, Phase: lifecycle.Dormant, Since: time.Date(2026, 11, 21, 13, 0, 0, 0, time.UTC), Episodes: []lifecycle.Episode{
			{Origin: lifecycle.Continuing, Start: time.Date(2026, 11, 8, 11, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 18, 13, 0, 0, 0, time.UTC),
				Peak: time.Date(2026, 11, 9, 3, 0, 0, 0, time.UTC), PeakMentions: 12, Mentions: 90}}},
	}
	sparks = []sink.Spark{{PostID: "r0", At: revival.Start.Add(4 * time.Minute), Author: "newsdesk", Followers: 30000, Segment: "creator",
		IsRepost: true, RepostOf: "p0", Text: "RT @ana: <b>sismo</b>"}}
)

// newTestServer serves f at the time *now (clock when nil).
func newTestServer(t *testing.T, f *fakeStore, now ...*time.Time) *httptest.Server {
	t.Helper()
	at := &clock
	if len(now) > 0 {
		at = now[0]
	}
	h, err := New(f, Config{Now: func() time.Time { return *at }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string, out any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return resp.StatusCode
}

func TestSummary(t *testing.T) {
	f := &fakeStore{
		rules:   []sink.RuleCount{{Rule: "sismo", Mentions: 9, Originals: 6, Reposts: 3, Authors: 4}, {Rule: "fire", Mentions: 1}},
		cells:   []sink.CellCount{{Cell: "9g3w", Mentions: 5}, {Cell: "bad!", Mentions: 1}},
		reports: reports,
		sparks:  sparks,
	}
	srv := newTestServer(t, f)
	var s Summary
	if code := get(t, srv.URL+"/api/summary", &s); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	since := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC) // an hour back, to the minute
	for _, got := range f.since {
		if !got.Equal(since) {
			t.Errorf("queried since %v, want %v", got, since)
		}
	}
	if len(f.since) != 10 || !s.Since.Equal(since) || s.Window != "1h0m0s" || !s.GeneratedAt.Equal(clock) {
		t.Errorf("%d queries; summary since %v window %q at %v", len(f.since), s.Since, s.Window, s.GeneratedAt)
	}
	// The map shows the most mentioned rule unless asked, at the default precision.
	if s.Rule != "sismo" || f.cellRule != "sismo" || f.prec != 4 || s.Precision != 4 {
		t.Errorf("map of %q (asked %q) at precision %d (asked %d)", s.Rule, f.cellRule, s.Precision, f.prec)
	}
	if len(s.Rules) != 2 || s.Rules[0].Key != "sismo" || s.Rules[0].Mentions != 9 || s.Rules[0].Authors != 4 ||
		s.Rules[0].Name != "Sismos" || strings.Join(s.Rules[0].Tags, ",") != "disaster,es" || s.Rules[1].Name != "" {
		t.Errorf("rules %+v", s.Rules)
	}
	if len(s.Tags) != 1 || s.Tags[0].Key != "disaster" || s.Tags[0].Mentions != 5 || s.Tags[0].Authors != 3 {
		t.Errorf("tags %+v", s.Tags)
	}
	if len(s.Countries) != 2 || s.Countries[1].Key != "" || s.Countries[1].Mentions != 2 {
		t.Errorf("countries %+v", s.Countries)
	}
	if len(s.Minutes) != 1 || s.Minutes[0].Key != "09:31" || s.Minutes[0].Originals != 6 {
		t.Errorf("minutes %+v", s.Minutes)
	}
	if len(s.RuleMinutes) != 1 || s.RuleMinutes[0].Key != "09:32" || len(s.Authors) != 1 || s.Authors[0].Handle != "ana" ||
		len(s.Reposted) != 1 || s.Reposted[0].PostID != "10" || s.Reposted[0].Reposts != 3 ||
		s.Reach == nil || s.Reach.Followers != 14012 || s.Reach.RealFollowers != 9012 ||
		strings.Join(f.asked, " ") != "rules:sismo,fire minutes:sismo authors:sismo reach:sismo reposted:sismo" {
		t.Errorf("rule minutes %+v, authors %+v, reposted %+v, asked %v", s.RuleMinutes, s.Authors, s.Reposted, f.asked)
	}
	// A cell carries its centre; one that is not a geohash is left out.
	if len(s.Cells) != 1 || s.Cells[0].Key != "9g3w" || s.Cells[0].Lat == nil ||
		*s.Cells[0].Lat < 19.3 || *s.Cells[0].Lat > 19.6 || *s.Cells[0].Lon < -99.3 || *s.Cells[0].Lon > -98.9 {
		t.Errorf("cells %+v", s.Cells)
	}
	if len(s.Alerts) != 1 || s.Alerts[0].Country != "MX" || s.Alerts[0].Lat == nil || *s.Alerts[0].Lat != 19.4 ||
		!strings.Contains(s.Alerts[0].Example, "<img") {
		t.Errorf("alerts %+v", s.Alerts)
	}

	// Life cycles: of the listed rules over 14 days of hours to now, the
	// mapped rule's with its episode and what began it.
	if strings.Join(f.lifeCalls, "|") != "2026-11-22T10:30:40Z 336×1h0m0s fire,sismo" ||
		strings.Join(f.sparkCalls, "|") != "sismo 2026-11-22T07:00:00Z-2026-11-22T09:00:00Z 3" {
		t.Errorf("life cycles asked %q, sparks asked %q", f.lifeCalls, f.sparkCalls)
	}
	if s.Rules[0].Phase != "rising" || s.Rules[0].PhaseSince == nil || !s.Rules[0].PhaseSince.Equal(revival.Start) ||
		s.Rules[1].Phase != "dormant" || !s.Rules[1].PhaseSince.Equal(reports["fire"].Since) {
		t.Errorf("rules' phases %+v", s.Rules)
	}
	want := LifeCycle{Phase: "rising", Since: revival.Start, Recent: 70, From: time.Date(2026, 11, 8, 11, 0, 0, 0, time.UTC), ComputedAt: clock,
		Episodes: 2, Episode: &Episode{Origin: "revived", Start: revival.Start, End: revival.End, Ongoing: true, Peak: revival.Peak,
			PeakMentions: 40, Mentions: 70},
		Sparks: sparks, Hours: sismoHours, Phases: strings.Repeat("n", 332) + "rrrr", Quiet: "72h", Floor: 2}
	if s.LifeCycle == nil || !reflect.DeepEqual(*s.LifeCycle, want) {
		t.Errorf("life cycle of sismo:\n%s\nwant\n%s", jsonOf(s.LifeCycle), jsonOf(want))
	}

	// Asked for: another window, rule and precision. The life cycles of
	// the same rules are those computed a moment ago; fire's last
	// episode, ended, has its sparks.
	f.since, f.lifeCalls, f.sparkCalls = nil, nil, nil
	get(t, srv.URL+"/api/summary?window=15m&rule=fire&precision=5", &s)
	if want := time.Date(2026, 11, 22, 10, 15, 0, 0, time.UTC); !f.since[0].Equal(want) || s.Rule != "fire" || f.cellRule != "fire" || f.prec != 5 {
		t.Errorf("since %v (want %v), rule %q/%q, precision %d", f.since[0], want, s.Rule, f.cellRule, f.prec)
	}
	if len(f.lifeCalls) != 0 || strings.Join(f.sparkCalls, "|") != "fire 2026-11-08T11:00:00Z-2026-11-08T13:00:00Z 3" ||
		s.LifeCycle == nil || s.LifeCycle.Phase != "dormant" || s.LifeCycle.Episode == nil ||
		s.LifeCycle.Episode.Origin != "continuing" || s.LifeCycle.Episode.Ongoing || s.LifeCycle.Episode.Mentions != 90 {
		t.Errorf("life cycle of fire %s; asked %q and sparks %q", jsonOf(s.LifeCycle), f.lifeCalls, f.sparkCalls)
	}
	// A rule not listed: its life cycle with the listed ones'; none
	// since the window's start, so no episode and no sparks.
	f.lifeCalls, f.sparkCalls = nil, nil
	get(t, srv.URL+"/api/summary?rule=quiet", &s)
	if strings.Join(f.lifeCalls, "|") != "2026-11-22T10:30:40Z 336×1h0m0s fire,quiet,sismo" || len(f.sparkCalls) != 0 ||
		s.LifeCycle == nil || s.LifeCycle.Phase != "none" || s.LifeCycle.Episode != nil || s.LifeCycle.Sparks != nil ||
		s.Rules[0].Phase != "rising" {
		t.Errorf("life cycle of a rule not listed %s; asked %q and sparks %q", jsonOf(s.LifeCycle), f.lifeCalls, f.sparkCalls)
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestSummaryErrors(t *testing.T) {
	f := &fakeStore{}
	now := clock
	srv := newTestServer(t, f, &now)
	for _, q := range []string{"window=0s", "window=30s", "window=9000h", "window=abc", "precision=0", "precision=6", "precision=x",
		"rule=" + strings.Repeat("r", 300)} {
		var e map[string]string
		if code := get(t, srv.URL+"/api/summary?"+q, &e); code != http.StatusBadRequest || e["error"] == "" {
			t.Errorf("%s: status %d, error %q", q, code, e["error"])
		}
	}
	// No mentions: no map rule, no cells query.
	var s Summary
	if code := get(t, srv.URL+"/api/summary", &s); code != http.StatusOK || s.Rule != "" || len(s.Cells) != 0 || f.cellRule != "" ||
		len(f.asked) != 0 || len(s.RuleMinutes) != 0 || len(s.Authors) != 0 || len(f.lifeCalls) != 0 || s.LifeCycle != nil {
		t.Errorf("empty store: status %d, rule %q, cells %v, cells asked for %q, life cycles asked %q",
			code, s.Rule, s.Cells, f.cellRule, f.lifeCalls)
	}
	// ClickHouse failing: 502 with the error (once the last summary is
	// too old to serve again).
	f.err = errors.New("connection refused")
	now = now.Add(2 * time.Second)
	var e map[string]string
	if code := get(t, srv.URL+"/api/summary", &e); code != http.StatusBadGateway || !strings.Contains(e["error"], "connection refused") {
		t.Errorf("store error: status %d, %v", code, e)
	}
}

func TestPageAndWorld(t *testing.T) {
	srv := newTestServer(t, &fakeStore{})
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{`id="map"`, `id="timeline"`, `id="ruletimeline"`, `id="authors"`, `id="reposted"`, `id="lifecycle"`, `id="sparks"`, `id="rules"`, `id="alerts"`, `id="countries"`, `fetch("api/summary?"`, `fetch("world.svg")`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("page lacks %s", want)
		}
	}
	// No external assets (the page must work offline), and server data is
	// never parsed as HTML.
	if m := regexp.MustCompile(`https?://[^"]*`).FindAllString(string(body), -1); len(m) != 1 || m[0] != "http://www.w3.org/2000/svg" {
		t.Errorf("URLs in the page: %v", m)
	}
	if strings.Contains(string(body), "innerHTML") || strings.Contains(string(body), "insertAdjacentHTML") {
		t.Error("the page parses data as HTML")
	}
	if resp, err := http.Get(srv.URL + "/nope"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown path: %v %v", resp.StatusCode, err)
	}

	// The outlines, plain and compressed, are the same SVG.
	req, _ := http.NewRequest("GET", srv.URL+"/world.svg", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err = http.DefaultTransport.RoundTrip(req) // the client would decompress silently
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("world.svg gzip: %v, %q", err, resp.Header.Get("Content-Encoding"))
	}
	unz, _ := io.ReadAll(zr)
	resp.Body.Close()
	req.Header.Del("Accept-Encoding")
	req.Header.Set("Accept-Encoding", "identity")
	resp, err = http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(plain) != string(unz) || len(plain) < 100_000 || len(plain) > 3_000_000 {
		t.Fatalf("world.svg: %d bytes plain, %d unzipped", len(plain), len(unz))
	}
	if !regexp.MustCompile(`^<svg [^>]*viewBox="-180 -90 360 180"><path d="M-?[0-9.]+ -?[0-9.]+(L-?[0-9.]+ -?[0-9.]+)+Z(M[-0-9. L]+Z)+"/></svg>$`).Match(plain) {
		t.Errorf("world.svg is not one path of closed polylines: %.200s…", plain)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{
		{Window: 30 * time.Second}, {Window: 8 * 24 * time.Hour}, {Precision: 6}, {Precision: -1},
		{MaxWindow: time.Second}, {Timeout: -time.Second},
		{LifecycleWindow: 95 * time.Hour}, {LifecycleWindow: 2161 * time.Hour}, {LifecycleWindow: -time.Hour},
		{LifecycleWindow: 14*24*time.Hour + 30*time.Minute},
	} {
		if _, err := New(&fakeStore{}, c); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
	for _, c := range []Config{{LifecycleWindow: 96 * time.Hour}, {LifecycleWindow: 2160 * time.Hour}, {LifecycleReuse: -1}} {
		if _, err := New(&fakeStore{}, c); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

// TestLifeCycleReuse: the life cycles of one set of rules are computed
// once per LifecycleReuse whatever the summaries asked meanwhile, and the
// sparks once per mapped rule; other rules are another set.
func TestLifeCycleReuse(t *testing.T) {
	type step struct {
		after         time.Duration // since the last request
		query         string
		lifes, sparks int // calls of Lifecycles and Sparks so far
	}
	for _, tc := range []struct {
		name  string
		reuse time.Duration
		steps []step
	}{
		{"default, 1m", 0, []step{
			{0, "", 1, 1},
			{30 * time.Second, "", 1, 1},                    // another summary, the same life cycles
			{0, "rule=fire", 1, 2},                          // another summary, fire's sparks
			{10 * time.Second, "window=15m", 1, 2},          // the same rules listed
			{10 * time.Second, "rule=quiet", 2, 2},          // another set of rules (quiet has no episode: no sparks)
			{9 * time.Second, "", 2, 2},                     // 59 s after the first
			{time.Second, "", 3, 3},                         // 60 s: computed again
			{59 * time.Second, "rule=fire", 3, 4},           // fire's sparks of the new life cycles
			{time.Second, "rule=quiet", 4, 4},               // quiet's set, 70 s old
			{10 * time.Minute, "rule=fire&window=6h", 5, 5}, // long after
		}},
		{"10m", 10 * time.Minute, []step{
			{0, "", 1, 1},
			{9 * time.Minute, "", 1, 1},
			{time.Minute, "", 2, 2},
		}},
		{"never reused", -1, []step{
			{0, "", 1, 1},
			{3 * time.Second, "", 2, 2},
			{3 * time.Second, "rule=fire", 3, 3},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeStore{rules: []sink.RuleCount{{Rule: "sismo", Mentions: 9}, {Rule: "fire", Mentions: 1}}, reports: reports, sparks: sparks}
			now := clock
			h, err := New(f, Config{Reuse: -1, LifecycleReuse: tc.reuse, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			for i, st := range tc.steps {
				now = now.Add(st.after)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/summary?"+st.query, nil))
				var s Summary
				if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil || rec.Code != http.StatusOK {
					t.Fatalf("step %d: %d %s", i, rec.Code, rec.Body)
				}
				if !s.GeneratedAt.Equal(now) { // a summary made now, not reused
					t.Fatalf("step %d: summary of %v reused at %v", i, s.GeneratedAt, now)
				}
				if len(f.lifeCalls) != st.lifes || len(f.sparkCalls) != st.sparks {
					t.Errorf("step %d (%s after %v): %d Lifecycles, %d Sparks calls; want %d, %d",
						i, st.query, st.after, len(f.lifeCalls), len(f.sparkCalls), st.lifes, st.sparks)
				}
				// A reused life cycle is served as computed.
				if s.LifeCycle == nil || s.LifeCycle.ComputedAt.After(now) ||
					(tc.reuse >= 0 && now.Sub(s.LifeCycle.ComputedAt) >= max(tc.reuse, time.Minute)) ||
					(tc.reuse < 0 && !s.LifeCycle.ComputedAt.Equal(now)) {
					t.Errorf("step %d: life cycle computed at %v, now %v", i, s.LifeCycle, now)
				}
			}
		})
	}
}

// TestLifeCycleErrors: a failing life-cycle query fails the summary, as
// every other query of it does (502 with the error); the life cycles
// computed before sparks failed are kept for the next summary.
func TestLifeCycleErrors(t *testing.T) {
	for _, tc := range []struct {
		name             string
		lifeErr, sparkEr error
		want             string
		lifes            int // Lifecycles calls by the next summary, once the store works
	}{
		{"life cycles", errors.New("too many simultaneous queries"), nil, "life cycle: too many simultaneous queries", 1},
		{"sparks", nil, errors.New("timeout"), "life cycle: sparks of sismo: timeout", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeStore{rules: []sink.RuleCount{{Rule: "sismo", Mentions: 9}}, reports: reports, sparks: sparks,
				lifeErr: tc.lifeErr, sparkErr: tc.sparkEr}
			now := clock
			srv := newTestServer(t, f, &now)
			var e map[string]string
			if code := get(t, srv.URL+"/api/summary", &e); code != http.StatusBadGateway || e["error"] != tc.want {
				t.Errorf("status %d, %v; want 502, %q", code, e, tc.want)
			}
			f.lifeErr, f.sparkErr, f.lifeCalls, f.sparkCalls = nil, nil, nil, nil
			now = now.Add(time.Second) // the failure was not kept as a summary
			var s Summary
			if code := get(t, srv.URL+"/api/summary", &s); code != http.StatusOK || s.LifeCycle == nil ||
				s.LifeCycle.Phase != "rising" || len(s.LifeCycle.Sparks) != 1 || len(f.lifeCalls) != tc.lifes || len(f.sparkCalls) != 1 {
				t.Errorf("then: status %d, life cycle %s, %d Lifecycles and %d Sparks calls", code, jsonOf(s.LifeCycle), len(f.lifeCalls), len(f.sparkCalls))
			}
		})
	}
}

// TestKeepCycles: the life cycles kept are at most maxCycles sets, none
// older than LifecycleReuse, the newest kept.
func TestKeepCycles(t *testing.T) {
	s := &server{cfg: Config{LifecycleReuse: time.Minute}, cycles: map[string]*cycles{}}
	for i := range 12 {
		at := clock.Add(time.Duration(i) * time.Second)
		s.keepCycles(fmt.Sprint(i), &cycles{at: at}, at)
	}
	if len(s.cycles) != maxCycles || s.cycles["11"] == nil || s.cycles["4"] == nil || s.cycles["3"] != nil {
		t.Errorf("kept %d: %v", len(s.cycles), s.cycles)
	}
	at := clock.Add(70 * time.Second) // 59 s after the newest, 60 s after the second newest
	s.keepCycles("new", &cycles{at: at}, at)
	if len(s.cycles) != 2 || s.cycles["11"] == nil || s.cycles["new"] == nil {
		t.Errorf("kept %d: %v", len(s.cycles), s.cycles)
	}
}

// TestSummaryReuse: requests with the same parameters within Reuse are
// answered from one set of queries; other parameters, an older summary or
// a negative Reuse ask the store again.
func TestSummaryReuse(t *testing.T) {
	f := &fakeStore{rules: []sink.RuleCount{{Rule: "sismo", Mentions: 1}}}
	now := clock
	srv := newTestServer(t, f, &now)
	queries := func() int { return len(f.since) / 8 } // 8 queries per summary with a rule
	var s Summary
	get(t, srv.URL+"/api/summary", &s)
	now = now.Add(1500 * time.Millisecond)
	get(t, srv.URL+"/api/summary", &s)
	if queries() != 1 || !s.GeneratedAt.Equal(clock) {
		t.Errorf("%d summaries queried within 2s (the last generated at %v), want 1", queries(), s.GeneratedAt)
	}
	get(t, srv.URL+"/api/summary?window=15m", &s)
	if queries() != 2 {
		t.Errorf("another window: %d summaries queried, want 2", queries())
	}
	now = now.Add(time.Second) // 2.5 s after the first
	get(t, srv.URL+"/api/summary", &s)
	if queries() != 3 || !s.GeneratedAt.Equal(now) {
		t.Errorf("after 2.5s: %d summaries queried, generated at %v", queries(), s.GeneratedAt)
	}

	h, err := New(f, Config{Reuse: -1, Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	f.since = nil
	for range 3 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/summary", nil))
	}
	if queries() != 3 {
		t.Errorf("Reuse -1: %d summaries queried for 3 requests", queries())
	}
}

// TestSummaryOwnModel: a rule with revival settings of its own has its life
// cycle computed with them, as its revival alerts are, and the panel says so.
func TestSummaryOwnModel(t *testing.T) {
	f := &fakeStore{
		rules:   []sink.RuleCount{{Rule: "sismo", Mentions: 9}, {Rule: "fire", Mentions: 1}},
		reports: reports,
		more:    []sink.Rule{{ID: "fire", Alert: "{floor: 2, revival: {quiet: 14d}}", Active: true}, {ID: "bad", Alert: "{revival: {quiet: 1h}}"}},
	}
	srv := newTestServer(t, f)
	var s Summary
	get(t, srv.URL+"/api/summary?rule=fire", &s)
	if strings.Join(f.lifeCalls, "|") != "2026-11-22T10:30:40Z 336×1h0m0s sismo|2026-11-22T10:30:40Z 336×1h0m0s fire" ||
		!slices.Equal(f.lifeQuiet, []time.Duration{72 * time.Hour, 14 * 24 * time.Hour}) {
		t.Errorf("life cycles asked %q with quiets %v: want sismo with 72h, fire with its own 14d", f.lifeCalls, f.lifeQuiet)
	}
	if s.LifeCycle == nil || s.LifeCycle.Quiet != "14d" || s.LifeCycle.Floor != 2 || !s.LifeCycle.OwnModel {
		t.Errorf("fire's life cycle: %s", jsonOf(s.LifeCycle))
	}
	s = Summary{}
	get(t, srv.URL+"/api/summary?rule=sismo", &s)
	if s.LifeCycle == nil || s.LifeCycle.Quiet != "72h" || s.LifeCycle.OwnModel {
		t.Errorf("sismo's life cycle: %s", jsonOf(s.LifeCycle))
	}
}
