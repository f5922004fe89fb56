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
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"earshot/enrich/geo"
	"earshot/sink"
	"earshot/stream/alert"
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
}

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

	mu     sync.Mutex
	recent map[query]*Summary // summaries younger than cfg.Reuse, by parameters
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
	s := &server{store: store, cfg: cfg, world: worldSVG(lines), recent: map[query]*Summary{}}
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
	// Rule is the rule of Cells, RuleMinutes and Authors ("" when there
	// are no mentions).
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
	if len(ids) > 0 { // no ids would read every rule
		if defs, err = s.store.Rules(ctx, ids...); err != nil {
			return nil, err
		}
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
