package burst_test

import (
	"math"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"earshot/bench/firehose"
	"earshot/enrich"
	"earshot/stream/alert"
	"earshot/stream/burst"
	"earshot/stream/post"
)

// cityOf is the GPS centre of the firehose cities used by the bursts below
// (bench/firehose/places.go).
var cityOf = map[string][][2]float64{
	"MX": {{19.4326, -99.1332}, {20.6597, -103.3496}, {25.6866, -100.3161}, {19.0414, -98.2063}, {17.0732, -96.7266}},
	"CL": {{-33.4489, -70.6693}},
	"TR": {{39.9334, 32.8597}},
	"PH": {{14.6000, 121.0300}},
	"NZ": {{-36.8800, 174.7500}},
	"KE": {{-1.2921, 36.8219}},
	"PE": {{-12.0464, -77.0428}},
}

func haversineKm(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371.0088
	p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
	dp, dl := p2-p1, (lon2-lon1)*math.Pi/180
	a := math.Sin(dp/2)*math.Sin(dp/2) + math.Cos(p1)*math.Cos(p2)*math.Sin(dl/2)*math.Sin(dl/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}

// replayer runs generated posts through decode, exact-id dedup, a naive
// matcher, enrichment and the detector, in event time.
type replayer struct {
	t     testing.TB
	rules []string
	dec   *post.Decoder
	enr   *enrich.Enricher
	det   *burst.Detector
	seen  map[string]struct{}
	fifo  []string
	p     post.Post
	f     enrich.Features
	wm    time.Time
	// alerts collects copies of everything raised.
	alerts []alert.Alert
}

func newReplayer(t testing.TB, rules []string, dcfg burst.Config) *replayer {
	t.Helper()
	enr, err := enrich.New(enrich.Config{})
	if err != nil {
		t.Fatal(err)
	}
	det, err := burst.New(dcfg)
	if err != nil {
		t.Fatal(err)
	}
	return &replayer{t: t, rules: rules, dec: post.NewDecoder(post.Limits{}), enr: enr, det: det,
		seen: map[string]struct{}{}}
}

func (r *replayer) post(value []byte, at time.Time) {
	if err := r.dec.Decode(value, &r.p); err != nil {
		return
	}
	p := &r.p
	if _, dup := r.seen[p.ID]; dup {
		return
	}
	r.seen[p.ID] = struct{}{}
	r.fifo = append(r.fifo, p.ID)
	if len(r.fifo) > 8192 {
		delete(r.seen, r.fifo[0])
		r.fifo = r.fifo[1:]
	}
	r.det.Tick(p.CreatedAt)
	hits := firehose.NaiveMatch(r.rules, p.Text)
	if len(hits) > 0 {
		r.enr.Enrich(p, &r.f)
		hasLink := strings.Contains(p.Text, "http://") || strings.Contains(p.Text, "https://")
		for _, h := range hits {
			r.det.Observe(&burst.Event{
				Rule: r.rules[h], Country: r.f.Country, Cell: r.f.Cell, At: p.CreatedAt,
				AuthorID: p.Author.ID, Original: !p.IsRepost() && p.QuoteOf == "", Reply: p.IsReply(),
				HasLink: hasLink, TextLen: utf8.RuneCountInString(p.Text),
				Lat: r.f.Lat, Lon: r.f.Lon, Tier: uint8(r.f.Tier), PostID: p.ID, Text: p.Text,
			})
		}
	}
	if at.After(r.wm) {
		r.wm = at
		r.alerts = append(r.alerts, r.det.Advance(at)...)
	}
}

// run generates until event time passes end, then flushes.
func (r *replayer) run(g *firehose.Generator, end time.Time) {
	for {
		m := g.Next()
		if m.CreatedAt.After(end) {
			break
		}
		r.post(m.Value, m.CreatedAt)
	}
	r.alerts = append(r.alerts, r.det.Advance(end.Add(time.Hour))...)
}

// inFamily reports whether rule is one of terms, or a hashtag of one (the
// generator writes terms as hashtags too).
func inFamily(terms []string, rule string) bool {
	return slices.Contains(terms, rule) || slices.Contains(terms, strings.TrimPrefix(rule, "#"))
}

type outcome struct {
	burst    firehose.Burst
	detected bool
	delay    time.Duration // first trigger's decision time (bin end + allowed lateness) − burst start
	onsetErr time.Duration // onset estimate − burst start
	locKm    float64       // error of the first located alert; -1 when none
}

// score matches trigger alerts to bursts: an alert for one of the burst's
// terms decided within [start, start+length+5m), rule-wide or for the
// burst's country (or a cell in it). Other triggers are false: a country
// elsewhere triggering on the burst's worldwide chatter would be a false
// epicentre on the map.
func score(start time.Time, lateness time.Duration, bursts []firehose.Burst, alerts []alert.Alert) (outs []outcome, falseAlarms []alert.Alert) {
	used := make([]bool, len(alerts))
	for _, b := range bursts {
		o := outcome{burst: b, locKm: -1}
		bs := start.Add(b.Start)
		for i := range alerts {
			a := &alerts[i]
			if !inFamily(b.Terms, a.Rule) || a.DetectedAt.Before(bs) || !a.DetectedAt.Before(bs.Add(b.Length+5*time.Minute)) ||
				a.Scope != alert.ScopeRule && a.Country != b.Country {
				continue
			}
			used[i] = true
			if a.Kind != alert.KindTrigger {
				continue
			}
			if !o.detected {
				o.detected = true
				o.delay = a.DetectedAt.Add(lateness).Sub(bs)
				o.onsetErr = a.Onset.Sub(bs)
			}
			if o.locKm < 0 && a.Location != nil && a.Location.Tier == uint8(enrich.TierGPS) {
				o.locKm = math.Inf(1)
				for _, c := range cityOf[b.Country] {
					o.locKm = min(o.locKm, haversineKm(a.Location.Lat, a.Location.Lon, c[0], c[1]))
				}
			}
		}
		outs = append(outs, o)
	}
	for i := range alerts {
		if !used[i] && alerts[i].Kind == alert.KindTrigger {
			falseAlarms = append(falseAlarms, alerts[i])
		}
	}
	return outs, falseAlarms
}

func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	return s[int(math.Round(q*float64(len(s)-1)))]
}

// TestReplayDetection replays 6 hours of event time with 8 bursts of
// different sizes in different countries and checks detection delay and
// location error against the targets.
func TestReplayDetection(t *testing.T) {
	rules := firehose.Rules(60)
	start := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	quake := []string{"sismo", "temblor", "terremoto", "earthquake", "#sismo"}
	var bursts []firehose.Burst
	specs := []struct {
		country string
		rate    float64
		length  time.Duration
	}{
		{"MX", 200, 10 * time.Minute}, // firehose.DefaultBurst
		{"CL", 20, 5 * time.Minute},
		{"TR", 5, 5 * time.Minute},
		{"PH", 3, 8 * time.Minute},
		{"NZ", 50, 3 * time.Minute},
		{"KE", 10, 5 * time.Minute},
		{"PE", 4, 6 * time.Minute},
		{"MX", 8, 5 * time.Minute},
	}
	for i, s := range specs {
		bursts = append(bursts, firehose.Burst{Terms: quake, Country: s.country,
			Start: 50*time.Minute + time.Duration(i)*40*time.Minute, Length: s.length, Rate: s.rate, GeoFraction: 0.3})
	}
	g, err := firehose.New(firehose.Config{Seed: 7, Start: start, Rate: 2, Rules: rules, MatchFraction: 0.3, Bursts: bursts})
	if err != nil {
		t.Fatal(err)
	}
	cfg := burst.Config{}
	r := newReplayer(t, rules, cfg)
	r.run(g, start.Add(6*time.Hour))

	outs, fa := score(start, 10*time.Second, bursts, r.alerts)
	var delays, locs []float64
	for _, o := range outs {
		if !o.detected {
			t.Errorf("burst %s %.0f/s at +%v not detected", o.burst.Country, o.burst.Rate, o.burst.Start)
			continue
		}
		delays = append(delays, o.delay.Seconds())
		if o.locKm >= 0 {
			locs = append(locs, o.locKm)
		}
		t.Logf("burst %s %5.0f/s: delay %5.1fs (onset estimate %+.0fs), location error %.2f km",
			o.burst.Country, o.burst.Rate, o.delay.Seconds(), o.onsetErr.Seconds(), o.locKm)
	}
	for _, o := range outs {
		if o.detected && (o.onsetErr < -15*time.Second || o.onsetErr > 15*time.Second) {
			t.Errorf("burst %s: onset estimate off by %v: want within 15s", o.burst.Country, o.onsetErr)
		}
	}
	for _, a := range fa {
		t.Errorf("false alarm: %s %s %s%s at %v ratio %.2f", a.Rule, a.Scope, a.Country, a.Cell, a.DetectedAt, a.Ratio)
	}
	med, worst := quantile(delays, 0.5), slices.Max(delays)
	t.Logf("detection delay (decision time incl. %v lateness): median %.1fs, worst %.1fs over %d bursts", 10*time.Second, med, worst, len(delays))
	t.Logf("location error: median %.2f km, worst %.2f km over %d located bursts", quantile(locs, 0.5), slices.Max(locs), len(locs))
	if med > 60 || worst > 120 {
		t.Errorf("delay median %.1fs worst %.1fs: want ≤ 60s and ≤ 120s", med, worst)
	}
	if len(locs) < len(outs)-1 || quantile(locs, 0.5) > 10 || slices.Max(locs) > 25 {
		t.Errorf("location errors %v: want a location for nearly every burst, median ≤ 10 km, worst ≤ 25 km", locs)
	}
}

// TestReplayFalseAlarms replays a week of background traffic only and
// counts triggers.
func TestReplayFalseAlarms(t *testing.T) {
	if testing.Short() {
		t.Skip("long replay")
	}
	span := 7 * 24 * time.Hour
	rules := firehose.Rules(60)
	start := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	g, err := firehose.New(firehose.Config{Seed: 11, Start: start, Rate: 0.6, Rules: rules, MatchFraction: 0.8})
	if err != nil {
		t.Fatal(err)
	}
	r := newReplayer(t, rules, burst.Config{})
	r.run(g, start.Add(span))
	_, fa := score(start, 0, nil, r.alerts)
	perWeek := float64(len(fa)) / span.Hours() * 24 * 7
	tr := g.Truth()
	t.Logf("background: %v simulated, %d posts, %d mentions, top rule %q %.2f mentions/min; %d false alarms (%.2f per week), %d keys tracked at end",
		span, tr.Posts, tr.Mentions, rules[0], float64(tr.ByRule[rules[0]].Mentions)/span.Minutes(), len(fa), perWeek, r.det.Keys())
	for _, a := range fa {
		t.Logf("false alarm: %s %s %s%s at %v sta %.1f lta %.1f", a.Rule, a.Scope, a.Country, a.Cell, a.DetectedAt, a.STA, a.LTA)
	}
	if perWeek > 1 {
		t.Errorf("%d false alarms in %v: want ≤ 1 per week", len(fa), span)
	}
}
