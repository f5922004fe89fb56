// Package dashboard serves earshot's web dashboard: a map of the mentions
// of one rule per geohash cell over the world's country outlines, mentions
// per minute (originals and reposts) of all rules and of that rule, its most
// influential authors and its most reposted posts, the rules and countries
// with the most mentions, and
// the burst detector's alerts, from ClickHouse's aggregate
// tables and alerts table (the sink package's dashboard queries), read again
// on every refresh of the page (every 5 s). It is one page with its script
// and styles, no external assets, so it works where the machine has no
// internet access.
//
// It also places each listed rule in its life cycle (earshot/stream/lifecycle:
// rising, at its peak, decaying or dormant) over Config.LifecycleWindow of
// hourly bins, whatever the page's window, and for the mapped rule shows its
// current or last episode (new, or revived after a quiet stretch) and the
// mentions with the largest audiences in the episode's first 2 hours: what
// began it. Those queries read days of aggregates and change slowly, so they
// run at most once per Config.LifecycleReuse for one set of rules.
//
// Routes, under wherever the handler is mounted:
//
//	/                 the page
//	/api/summary      the page's data as JSON; parameters window (a Go
//	                  duration, default Config.Window), rule (the map's
//	                  rule; default the rule with the most mentions) and
//	                  precision (geohash characters of the map's cells, 1-5)
//	/world.svg        the country outlines as an SVG path (x = longitude,
//	                  y = −latitude), gzip-compressed when the client takes it
//
// The package exports no metrics.
package dashboard

import (
	"bytes"
	"compress/gzip"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"earshot/enrich/geo"
	"earshot/sink"
	"earshot/stream/alert"
	"earshot/stream/lifecycle"
)

// Store is what the dashboard reads; *sink.Client is one.
type Store interface {
	TopRules(ctx context.Context, since time.Time, limit int) ([]sink.RuleCount, error)
	TagCounts(ctx context.Context, since time.Time, limit int) ([]sink.TagCount, error)
	Rules(ctx context.Context, ids ...string) ([]sink.Rule, error)
	ByCountry(ctx context.Context, since time.Time, limit int) ([]sink.CountryCount, error)
	PerMinute(ctx context.Context, since time.Time, limit int) ([]sink.MinuteCount, error)
	RulePerMinute(ctx context.Context, rule string, since time.Time, limit int) ([]sink.MinuteCount, error)
	TopAuthors(ctx context.Context, rule string, since time.Time, limit int) ([]sink.AuthorCount, error)
	RuleReach(ctx context.Context, rule string, since time.Time) (sink.Reach, error)
	TopReposted(ctx context.Context, rule string, since time.Time, limit int) ([]sink.Reposted, error)
	ByCell(ctx context.Context, rule string, since time.Time, precision, limit int) ([]sink.CellCount, error)
	Alerts(ctx context.Context, since time.Time, limit int) ([]alert.Alert, error)
	LifecyclesKnown(ctx context.Context, a *lifecycle.Analyzer, now time.Time, n int, first map[string]time.Time, rules ...string) (map[string]lifecycle.Report, error)
	Sparks(ctx context.Context, rule string, from, to time.Time, limit int) ([]sink.Spark, error)
}

var _ Store = (*sink.Client)(nil)

// Config configures the dashboard. The zero value is usable.
type Config struct {
	// Window is how far back the page looks unless it asks for another
	// window. Default 1h.
	Window time.Duration
	// MaxWindow bounds the window a request may ask for. Default 7 days.
	MaxWindow time.Duration
	// Precision is the map cells' geohash length unless the page asks for
	// another: 3 is ~156 km across, 4 ~39 km, 5 ~5 km. Default 4.
	Precision int
	// Timeout bounds the queries of one request. Default 10s.
	Timeout time.Duration
	// Reuse is how long a summary is served again to requests with the
	// same parameters before ClickHouse is asked again, so that many open
	// pages (a wall display, a team) cost the queries of one. Default 2s;
	// negative: never reused.
	Reuse time.Duration
	// LifecycleWindow is how far back the rules' life cycles look, in
	// hourly bins, whatever the page's window: a whole number of hours
	// from 4 days (a revival follows 72 quiet hours) to 90 days. Default
	// 14 days.
	LifecycleWindow time.Duration
	// LifecycleReuse is how long the life cycles of one set of rules (the
	// listed rules and the mapped one) and the mapped rules' sparks are
	// served again before ClickHouse is asked again. Default 1m; negative:
	// never reused.
	LifecycleReuse time.Duration
	// Now is the clock (tests). Default time.Now.
	Now func() time.Time
}

// Limits of what one summary holds.
const (
	maxRules     = 50
	maxTags      = 30
	maxCountries = 30
	maxCells     = 5000
	maxAlerts    = 50
	maxAuthors   = 20
	maxReposted  = 10
	maxMinutes   = 7 * 24 * 60
	maxSparks    = 3
	sparkSpan    = 2 * time.Hour // from an episode's start, where its sparks are looked for
	maxCycles    = 8             // sets of rules whose life cycles are kept for reuse
	maxRuleLen   = 256
	outlineStep  = 0.25 // degrees between the outlines' points
)

// SetDefaults fills in the zero fields.
func (c *Config) SetDefaults() {
	if c.Window == 0 {
		c.Window = time.Hour
	}
	if c.MaxWindow == 0 {
		c.MaxWindow = 7 * 24 * time.Hour
	}
	if c.Precision == 0 {
		c.Precision = 4
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Reuse == 0 {
		c.Reuse = 2 * time.Second
	}
	if c.LifecycleWindow == 0 {
		c.LifecycleWindow = 14 * 24 * time.Hour
	}
	if c.LifecycleReuse == 0 {
		c.LifecycleReuse = time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate reports a setting out of range, saying what to fix.
func (c *Config) Validate() error {
	switch {
	case c.MaxWindow < time.Minute:
		return fmt.Errorf("dashboard: max window %v: want at least 1m", c.MaxWindow)
	case c.Window < time.Minute || c.Window > c.MaxWindow:
		return fmt.Errorf("dashboard: window %v: want 1m to %v", c.Window, c.MaxWindow)
	case c.Precision < 1 || c.Precision > 5:
		return fmt.Errorf("dashboard: precision %d: want 1 to 5 geohash characters", c.Precision)
	case c.Timeout <= 0:
		return fmt.Errorf("dashboard: timeout %v: want more than 0", c.Timeout)
	case c.LifecycleWindow < 4*24*time.Hour || c.LifecycleWindow > 90*24*time.Hour || c.LifecycleWindow%time.Hour != 0:
		return fmt.Errorf("dashboard: life cycle window %v: want whole hours from 96h (4 days) to 2160h (90 days)", c.LifecycleWindow)
	}
	return nil
}

//go:embed index.html
var page []byte

type server struct {
	store Store
	cfg   Config
	world []byte // the outlines' SVG path
	gz    []byte // world gzip-compressed

	models *lifecycle.Models // the default model (hourly bins), and those of rules with revival settings of their own
	bins   int               // cfg.LifecycleWindow in bins

	// firstMu guards first, the rules' first mentions found so far
	// (LifecyclesKnown asks only for the others).
	firstMu sync.Mutex
	first   map[string]time.Time

	mu     sync.Mutex
	recent map[query]*Summary // summaries younger than cfg.Reuse, by parameters
	cycles map[string]*cycles // life cycles younger than cfg.LifecycleReuse, by their sorted rules
}

// cycles is the life cycles of a set of rules, computed at once.
type cycles struct {
	at      time.Time // when: the series' end
	reports map[string]lifecycle.Report
	own     map[string]*lifecycle.Analyzer // the rules judged with their own revival settings
	sparks  map[string][]sink.Spark        // of the rules mapped so far (guarded by server.mu)
}

// query is a summary request's parameters.
type query struct {
	window    time.Duration
	rule      string
	precision int
}

// maxRecent bounds the summaries kept for reuse.
const maxRecent = 64

// New returns the dashboard's handler. It builds the country outlines once
// (about 50,000 points).
func New(store Store, cfg Config) (http.Handler, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	lines, err := geo.Outlines(outlineStep)
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	life, err := lifecycle.NewAnalyzer(lifecycle.Config{})
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	s := &server{store: store, cfg: cfg, world: worldSVG(lines), recent: map[query]*Summary{},
		models: lifecycle.NewModels(life), bins: int(cfg.LifecycleWindow / life.Config().Bin), cycles: map[string]*cycles{}, first: map[string]time.Time{}}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(s.world)
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("dashboard: compressing the outlines: %w", err)
	}
	s.gz = b.Bytes()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.servePage)
	mux.HandleFunc("GET /api/summary", s.serveSummary)
	mux.HandleFunc("GET /world.svg", s.serveWorld)
	return mux, nil
}

// worldSVG is an SVG document of the outlines, one path, in a viewBox of
// the world: x from -180 to 180, y from -90 to 90 (north up).
func worldSVG(lines [][]float32) []byte {
	b := []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="-180 -90 360 180"><path d="`)
	for _, l := range lines {
		for i := 0; i < len(l); i += 2 {
			if i == 0 {
				b = append(b, 'M')
			} else {
				b = append(b, 'L')
			}
			b = strconv.AppendFloat(b, float64(l[i]), 'f', -1, 32)
			b = append(b, ' ')
			b = strconv.AppendFloat(b, float64(-l[i+1]), 'f', -1, 32)
		}
		b = append(b, 'Z')
	}
	return append(b, `"/></svg>`...)
}

func (s *server) servePage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self'")
	w.Write(page)
}

func (s *server) serveWorld(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "max-age=86400")
	w.Header().Set("Vary", "Accept-Encoding")
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(s.gz)
		return
	}
	w.Write(s.world)
}

// Summary is the page's data.
type Summary struct {
	GeneratedAt time.Time `json:"generated_at"`
	Since       time.Time `json:"since"`
	Window      string    `json:"window"`
	// Rule is the rule of Cells, RuleMinutes, Authors and LifeCycle (""
	// when there are no mentions).
	Rule        string             `json:"rule"`
	Precision   int                `json:"precision"`
	Rules       []Count            `json:"rules"`
	Tags        []Count            `json:"tags"` // the rules in force, by their tags (the rules table)
	Countries   []Count            `json:"countries"`
	Minutes     []Count            `json:"minutes"`      // all rules
	RuleMinutes []Count            `json:"rule_minutes"` // Rule's timeline
	Cells       []Count            `json:"cells"`
	Authors     []sink.AuthorCount `json:"authors"`  // Rule's most influential authors, from the hour Since is in
	Reach       *sink.Reach        `json:"reach"`    // the followers of Rule's authors since Since
	Reposted    []sink.Reposted    `json:"reposted"` // the posts most reposted among Rule's mentions
	Alerts      []Alert            `json:"alerts"`
	LifeCycle   *LifeCycle         `json:"life_cycle"` // Rule's (nil without a rule)
}

// LifeCycle is where a rule stands over Config.LifecycleWindow of hourly
// bins (earshot/stream/lifecycle), as of ComputedAt.
type LifeCycle struct {
	Phase string    `json:"phase"` // none, rising, peak, decaying or dormant
	Since time.Time `json:"since"` // the start of the hour from which Phase has held (From if throughout)
	// Recent holds the mentions of the last 6 hours (the current one
	// partial), Before those of the 6 before.
	Recent uint64 `json:"recent"`
	Before uint64 `json:"before"`
	// From is the start of the hours looked at (on the hour), ComputedAt
	// the end of the last, partial, one (up to Config.LifecycleReuse
	// before the summary).
	From       time.Time `json:"from"`
	ComputedAt time.Time `json:"computed_at"`
	Episodes   int       `json:"episodes"` // episodes of activity since From
	// Episode is the ongoing episode, or else the last one (nil without
	// any since From).
	Episode *Episode `json:"episode"`
	// Sparks are Episode's mentions with the largest audiences in its
	// first 2 hours, one per author, most followers first: what began it.
	Sparks []sink.Spark `json:"sparks"`
	// Hours holds the mentions of each hour from From (the last one
	// partial), Phases the phase at each hour's end, one letter each:
	// n(one), r(ising), p(eak), d(ecaying), z (dormant).
	Hours  []uint64 `json:"hours"`
	Phases string   `json:"phases"`
	// Quiet and Floor are the model the rule is judged with: how long a
	// quiet ends an episode ("72h", "14d") and the mentions of an active
	// hour; OwnModel is set when they are the rule's own revival settings
	// (`alert: {revival: {quiet: 14d, floor: 5}}`), as its revival alerts
	// judge it.
	Quiet    string `json:"quiet"`
	Floor    uint64 `json:"floor"`
	OwnModel bool   `json:"own_model,omitempty"`
}

// spanText writes a quiet in days when it is a whole week or more of whole
// days, else in hours (72h).
func spanText(d time.Duration) string {
	if d >= 7*24*time.Hour && d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return strconv.Itoa(int(d/time.Hour)) + "h"
}

// Episode is a run of a rule's activity (lifecycle.Episode).
type Episode struct {
	Origin       string    `json:"origin"` // new, revived (after a quiet stretch) or continuing (from before From, or Unseen)
	Start        time.Time `json:"start"`  // the start of its first active hour
	End          time.Time `json:"end"`    // the end of its last active hour (ComputedAt if that is the current one)
	Ongoing      bool      `json:"ongoing"`
	Peak         time.Time `json:"peak"`          // the start of its busiest hour
	PeakMentions uint64    `json:"peak_mentions"` // that hour's mentions
	Mentions     uint64    `json:"mentions"`      // from Start to End
	// Unseen: it follows a quiet stretch in part of which the pipeline
	// read nothing (lifecycle.Episode.Unseen).
	Unseen bool `json:"unseen,omitempty"`
}

// Count is one group's activity: a rule, a country ("" unknown), a minute
// or a map cell (with its centre).
type Count struct {
	Key string `json:"key"`
	// Name and Tags are a rule's, from the rules table (rules only).
	Name      string     `json:"name,omitempty"`
	Tags      []string   `json:"tags,omitempty"`
	Minute    *time.Time `json:"minute,omitempty"`
	Lat       *float64   `json:"lat,omitempty"`
	Lon       *float64   `json:"lon,omitempty"`
	Mentions  uint64     `json:"mentions"`
	Originals uint64     `json:"originals"`
	Reposts   uint64     `json:"reposts"`
	Authors   uint64     `json:"authors"`

	// Phase is a rule's phase in its life cycle, from PhaseSince (rules
	// only; see LifeCycle).
	Phase      string     `json:"phase,omitempty"`
	PhaseSince *time.Time `json:"phase_since,omitempty"`
}

// Alert is what the page shows of an alert.
type Alert struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"`
	Rule       string    `json:"rule"`
	Scope      string    `json:"scope"`
	Country    string    `json:"country,omitempty"`
	Cell       string    `json:"cell,omitempty"`
	DetectedAt time.Time `json:"detected_at"`
	Ratio      float64   `json:"ratio"`
	STA        float64   `json:"sta"`
	LTA        float64   `json:"lta"`
	Unit       string    `json:"unit"`
	Lat        *float64  `json:"lat,omitempty"`
	Lon        *float64  `json:"lon,omitempty"`
	Example    string    `json:"example,omitempty"`
}

// badRequest is an error in a request's parameters.
type badRequest struct{ msg string }

func (e badRequest) Error() string { return e.msg }

func (s *server) serveSummary(w http.ResponseWriter, r *http.Request) {
	sum, err := s.summary(r)
	var br badRequest
	switch {
	case errors.As(err, &br):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
	case err != nil:
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
	default:
		writeJSON(w, http.StatusOK, sum)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// params reads a summary request's window, rule and precision.
func (s *server) params(r *http.Request) (window time.Duration, rule string, precision int, err error) {
	q := r.URL.Query()
	window, precision = s.cfg.Window, s.cfg.Precision
	if v := q.Get("window"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute || d > s.cfg.MaxWindow {
			return 0, "", 0, badRequest{fmt.Sprintf("window %q: want a duration from 1m to %v, e.g. 15m or 24h", v, s.cfg.MaxWindow)}
		}
		window = d
	}
	if v := q.Get("precision"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 5 {
			return 0, "", 0, badRequest{fmt.Sprintf("precision %q: want 1 to 5 geohash characters", v)}
		}
		precision = p
	}
	rule = q.Get("rule")
	if len(rule) > maxRuleLen {
		return 0, "", 0, badRequest{fmt.Sprintf("rule: %d bytes, want at most %d", len(rule), maxRuleLen)}
	}
	return window, rule, precision, nil
}

// summary answers a request from a summary of the same parameters made
// within cfg.Reuse, or from ClickHouse.
func (s *server) summary(r *http.Request) (*Summary, error) {
	window, rule, precision, err := s.params(r)
	if err != nil {
		return nil, err
	}
	q := query{window, rule, precision}
	now := s.cfg.Now().UTC()
	s.mu.Lock()
	sum := s.recent[q]
	s.mu.Unlock()
	if sum != nil && now.Sub(sum.GeneratedAt) < s.cfg.Reuse {
		return sum, nil
	}
	sum, err = s.read(r.Context(), q, now)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.recent {
		if now.Sub(v.GeneratedAt) >= s.cfg.Reuse || len(s.recent) >= maxRecent {
			delete(s.recent, k)
		}
	}
	if s.cfg.Reuse > 0 {
		s.recent[q] = sum
	}
	return sum, nil
}

// read reads a summary from the store.
func (s *server) read(ctx context.Context, q query, now time.Time) (*Summary, error) {
	window, rule, precision := q.window, q.rule, q.precision
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	since := now.Add(-window).Truncate(time.Minute)
	sum := &Summary{GeneratedAt: now, Since: since, Window: window.String(), Precision: precision}

	rules, err := s.store.TopRules(ctx, since, maxRules)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(rules))
	for _, c := range rules {
		ids = append(ids, c.Rule)
	}
	var defs []sink.Rule
	lookup := ids // and the rule asked for, for its life cycle's model
	if rule != "" && !slices.Contains(ids, rule) {
		lookup = append(slices.Clip(ids), rule)
	}
	if len(lookup) > 0 { // no ids would read every rule
		if defs, err = s.store.Rules(ctx, lookup...); err != nil {
			return nil, err
		}
	}
	settings := make(map[string]string, len(defs)) // the rules' alert settings: their revival models
	for _, d := range defs {
		settings[d.ID] = d.Alert
	}
	byID := make(map[string]*sink.Rule, len(defs))
	for i := range defs {
		byID[defs[i].ID] = &defs[i]
	}
	for _, c := range rules {
		rc := Count{Key: c.Rule, Mentions: c.Mentions, Originals: c.Originals, Reposts: c.Reposts, Authors: c.Authors}
		if d := byID[c.Rule]; d != nil {
			rc.Name, rc.Tags = d.Name, d.Tags
		}
		sum.Rules = append(sum.Rules, rc)
	}
	tags, err := s.store.TagCounts(ctx, since, maxTags)
	if err != nil {
		return nil, err
	}
	for _, c := range tags {
		sum.Tags = append(sum.Tags, Count{Key: c.Tag, Mentions: c.Mentions, Originals: c.Originals, Reposts: c.Reposts, Authors: c.Authors})
	}
	countries, err := s.store.ByCountry(ctx, since, maxCountries)
	if err != nil {
		return nil, err
	}
	for _, c := range countries {
		sum.Countries = append(sum.Countries, Count{Key: c.Country, Mentions: c.Mentions, Originals: c.Originals, Reposts: c.Reposts, Authors: c.Authors})
	}
	minutes, err := s.store.PerMinute(ctx, since, maxMinutes)
	if err != nil {
		return nil, err
	}
	sum.Minutes = minuteCounts(minutes)
	if rule == "" && len(rules) > 0 {
		rule = rules[0].Rule
	}
	sum.Rule = rule
	if rule != "" {
		minutes, err := s.store.RulePerMinute(ctx, rule, since, maxMinutes)
		if err != nil {
			return nil, err
		}
		sum.RuleMinutes = minuteCounts(minutes)
		if sum.Authors, err = s.store.TopAuthors(ctx, rule, since, maxAuthors); err != nil {
			return nil, err
		}
		reach, err := s.store.RuleReach(ctx, rule, since)
		if err != nil {
			return nil, err
		}
		sum.Reach = &reach
		if sum.Reposted, err = s.store.TopReposted(ctx, rule, since, maxReposted); err != nil {
			return nil, err
		}
		cells, err := s.store.ByCell(ctx, rule, since, precision, maxCells)
		if err != nil {
			return nil, err
		}
		for _, c := range cells {
			box, err := geo.DecodeGeohash(c.Cell)
			if err != nil {
				continue // not a cell earshot writes
			}
			lat, lon := box.Center()
			sum.Cells = append(sum.Cells, Count{Key: c.Cell, Lat: &lat, Lon: &lon, Mentions: c.Mentions, Originals: c.Originals, Reposts: c.Reposts, Authors: c.Authors})
		}
	}
	if len(ids) > 0 { // no ids would read every rule
		if err := s.lifeCycles(ctx, sum, ids, settings, now); err != nil {
			return nil, err
		}
	}
	alerts, err := s.store.Alerts(ctx, since, maxAlerts)
	if err != nil {
		return nil, err
	}
	for i := range alerts {
		sum.Alerts = append(sum.Alerts, alertOf(&alerts[i]))
	}
	return sum, nil
}

func minuteCounts(ms []sink.MinuteCount) []Count {
	var out []Count
	for _, c := range ms {
		m := c.Minute.UTC()
		out = append(out, Count{Key: m.Format("15:04"), Minute: &m, Mentions: c.Mentions, Originals: c.Originals, Reposts: c.Reposts, Authors: c.Authors})
	}
	return out
}

func alertOf(a *alert.Alert) Alert {
	v := Alert{ID: a.ID, Kind: a.Kind, Rule: a.Rule, Scope: a.Scope, Country: a.Country, Cell: a.Cell,
		DetectedAt: a.DetectedAt.UTC(), Ratio: a.Ratio, STA: a.STA, LTA: a.LTA, Unit: a.Unit}
	if l := a.Location; l != nil && (l.Lat != 0 || l.Lon != 0) {
		lat, lon := l.Lat, l.Lon
		v.Lat, v.Lon = &lat, &lon
	}
	if len(a.Examples) > 0 {
		v.Example = a.Examples[0].Text
	}
	return v
}

// lifeCycles fills in the phases of the listed rules, ids, and sum.Rule's
// life cycle, from life cycles of the same rules computed within
// cfg.LifecycleReuse or from the store.
func (s *server) lifeCycles(ctx context.Context, sum *Summary, ids []string, alerts map[string]string, now time.Time) error {
	set := slices.Clone(ids)
	if sum.Rule != "" {
		set = append(set, sum.Rule)
	}
	slices.Sort(set)
	set = slices.Compact(set)
	key := strings.Join(set, "\x00")
	s.mu.Lock()
	c := s.cycles[key]
	if c != nil && now.Sub(c.at) >= s.cfg.LifecycleReuse {
		c = nil
	}
	var sparks []sink.Spark
	sparked := false
	if c != nil {
		sparks, sparked = c.sparks[sum.Rule]
	}
	s.mu.Unlock()

	if c == nil {
		// Rules with revival settings of their own are judged with them.
		c = &cycles{at: now, reports: map[string]lifecycle.Report{}, own: s.models.Own(alerts), sparks: map[string][]sink.Spark{}}
		s.firstMu.Lock()
		for _, g := range s.models.Split(c.own, set) {
			reports, err := s.store.LifecyclesKnown(ctx, g.A, now, s.bins, s.first, g.Rules...)
			if err != nil {
				s.firstMu.Unlock()
				return fmt.Errorf("life cycle: %w", err)
			}
			maps.Copy(c.reports, reports)
		}
		s.firstMu.Unlock()
	}
	rep, ok := c.reports[sum.Rule]
	ep, episode := rep.Last()
	var err error
	if sum.Rule != "" && ok && episode && !sparked {
		sparks, err = s.store.Sparks(ctx, sum.Rule, ep.Start, ep.Start.Add(sparkSpan), maxSparks)
	}
	if s.cfg.LifecycleReuse > 0 { // the life cycles even if the sparks failed
		s.mu.Lock()
		if sum.Rule != "" && err == nil {
			c.sparks[sum.Rule] = sparks
		}
		s.keepCycles(key, c, now)
		s.mu.Unlock()
	}
	if err != nil {
		return fmt.Errorf("life cycle: sparks of %s: %w", sum.Rule, err)
	}

	for i := range sum.Rules {
		if r, ok := c.reports[sum.Rules[i].Key]; ok {
			since := r.Since.UTC()
			sum.Rules[i].Phase, sum.Rules[i].PhaseSince = r.Phase.String(), &since
		}
	}
	if sum.Rule != "" && ok {
		model := s.models.Base().Config()
		if a := c.own[sum.Rule]; a != nil {
			model = a.Config()
		}
		lc := &LifeCycle{Phase: rep.Phase.String(), Since: rep.Since.UTC(), Recent: rep.Recent, Before: rep.Before,
			Quiet: spanText(model.Quiet), Floor: model.Floor, OwnModel: c.own[sum.Rule] != nil,
			From: rep.From.UTC(), ComputedAt: c.at, Episodes: len(rep.Episodes), Sparks: sparks,
			Hours: rep.Mentions, Phases: phaseLetters(rep.Phases)}
		if episode {
			lc.Episode = &Episode{Origin: ep.Origin.String(), Start: ep.Start.UTC(), End: ep.End.UTC(), Ongoing: ep.Ongoing,
				Peak: ep.Peak.UTC(), PeakMentions: ep.PeakMentions, Mentions: ep.Mentions, Unseen: ep.Unseen}
		}
		sum.LifeCycle = lc
	}
	return nil
}

// keepCycles keeps c under key, dropping the life cycles too old to be
// served again and, beyond maxCycles, the oldest. s.mu is held.
func (s *server) keepCycles(key string, c *cycles, now time.Time) {
	s.cycles[key] = c
	for k, v := range s.cycles {
		if now.Sub(v.at) >= s.cfg.LifecycleReuse {
			delete(s.cycles, k)
		}
	}
	for len(s.cycles) > maxCycles {
		oldest := ""
		for k, v := range s.cycles {
			if oldest == "" || v.at.Before(s.cycles[oldest].at) {
				oldest = k
			}
		}
		delete(s.cycles, oldest)
	}
}

// phaseLetters writes phases one letter each (LifeCycle.Phases).
func phaseLetters(ps []lifecycle.Phase) string {
	b := make([]byte, len(ps))
	for i, p := range ps {
		b[i] = "nrpdz"[p]
	}
	return string(b)
}
