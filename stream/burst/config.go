package burst

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Params are the detection parameters of one rule. In Config.Rules
// overrides, a zero field means "as Config.Default".
//
// Units: STA and LTA are averages in posts (or authors) per minute of the
// first-hand counts in 5-second bins over their windows; B is in the same
// unit. The default trigger is STA ≥ 2·LTA + 12 per minute.
type Params struct {
	// STA is the short-term window (default 1m); a multiple of Config.Bin.
	STA time.Duration
	// LTA is the long-term window (default 30m), a multiple of Config.Bin;
	// it ends where the STA window starts, so the rise being detected does
	// not raise its own baseline.
	LTA time.Duration
	// M is the LTA multiplier of the trigger's denominator (default 2).
	M float64
	// B is the offset of the trigger's denominator, per minute (default 12):
	// the floor that keeps quiet keys from triggering on a handful of posts.
	B float64
	// Threshold: trigger when STA/(M·LTA + B) ≥ Threshold (default 1).
	// Lower is more sensitive.
	Threshold float64
	// Rearm: after a trigger the key re-arms once the ratio falls below
	// Rearm (default 0.25) and at least RearmAfter (default 5m) has passed.
	Rearm      float64
	RearmAfter time.Duration
	// MaxTextLen is the longest text, in characters, counted as first-hand
	// (default 140; negative: no limit).
	MaxTextLen int
	// CountReposts, CountReplies, CountLinks include reposts/quotes,
	// replies and posts with links in the counts (default: excluded, as
	// they are rarely first-hand reports).
	CountReposts, CountReplies, CountLinks bool
	// Authors counts distinct authors instead of posts: in author mode a
	// bin counts the authors who did not post in the previous STA window
	// (so an author counts once per minute of activity).
	Authors bool
	// FollowUpRate: while triggered, a follow-up alert is raised when the
	// STA reaches FollowUpRate per minute (default 50), then each time it
	// doubles again, at most MaxFollowUps times (default 5; negative: none).
	FollowUpRate float64
	MaxFollowUps int
	// EchoShare: while the rule-wide key is at or above its threshold, a
	// country key whose STA is below EchoShare of the rule-wide STA does not
	// trigger, nor do the cell keys of that country (default 0.05; negative:
	// off). An event far away raises chatter everywhere: during a generated
	// Mexican earthquake of 200 posts/s, 13-25 first-hand posts a minute in
	// each of a dozen other countries, 0.3-1.5% of the rule-wide count,
	// which triggered their country keys as if they were epicentres; the
	// countries of the replay's eight bursts held 34-74% of it. A second
	// event during a worldwide burst of the same rule triggers once it holds
	// 5% of the rule's count, or when the worldwide burst has passed.
	EchoShare float64
	// Off (Config.Rules only) keeps the rule out of detection: its events
	// are not counted (earshot_burst_events_total{outcome="off"}) and it
	// never alerts.
	Off bool
}

func (p *Params) inherit(d *Params) {
	setDur(&p.STA, d.STA)
	setDur(&p.LTA, d.LTA)
	setF(&p.M, d.M)
	setF(&p.B, d.B)
	setF(&p.Threshold, d.Threshold)
	setF(&p.Rearm, d.Rearm)
	setDur(&p.RearmAfter, d.RearmAfter)
	if p.MaxTextLen == 0 {
		p.MaxTextLen = d.MaxTextLen
	}
	p.CountReposts = p.CountReposts || d.CountReposts
	p.CountReplies = p.CountReplies || d.CountReplies
	p.CountLinks = p.CountLinks || d.CountLinks
	p.Authors = p.Authors || d.Authors
	setF(&p.FollowUpRate, d.FollowUpRate)
	setF(&p.EchoShare, d.EchoShare)
	if p.MaxFollowUps == 0 {
		p.MaxFollowUps = d.MaxFollowUps
	}
}

func setDur(p *time.Duration, d time.Duration) {
	if *p == 0 {
		*p = d
	}
}

func setF(p *float64, d float64) {
	if *p == 0 {
		*p = d
	}
}

// defaultParams are the published TED settings plus earshot's filters.
var defaultParams = Params{
	STA: time.Minute, LTA: 30 * time.Minute, M: 2, B: 12, Threshold: 1,
	Rearm: 0.25, RearmAfter: 5 * time.Minute, MaxTextLen: 140,
	FollowUpRate: 50, MaxFollowUps: 5, EchoShare: 0.05,
}

// The messages name each parameter as a rules file's `alert:` settings
// do (docs/rules.md), with the field in parentheses.
func (p *Params) validate(bin time.Duration) error {
	for _, w := range []struct {
		name string
		d    time.Duration
	}{{"short_window (STA)", p.STA}, {"long_window (LTA)", p.LTA}} {
		if w.d < bin || w.d%bin != 0 {
			return fmt.Errorf("%s window %v is not a positive multiple of the bin %v", w.name, w.d, bin)
		}
		if w.d > 24*time.Hour {
			return fmt.Errorf("%s window %v is longer than 24h", w.name, w.d)
		}
	}
	switch {
	case !(p.M >= 0) || !(p.B >= 0) || p.M+p.B == 0:
		return fmt.Errorf("factor (M) %v and floor (B) %v must be non-negative and not both zero", p.M, p.B)
	case !(p.Threshold > 0):
		return fmt.Errorf("threshold %v must be positive", p.Threshold)
	case !(p.Rearm >= 0 && p.Rearm < p.Threshold):
		return fmt.Errorf("rearm %v must be at least 0 and below the threshold %v", p.Rearm, p.Threshold)
	case p.RearmAfter < 0:
		return fmt.Errorf("re-arm delay %v is negative", p.RearmAfter)
	case !(p.FollowUpRate > 0):
		return fmt.Errorf("follow-up rate %v must be positive", p.FollowUpRate)
	case !(p.EchoShare < 1):
		return fmt.Errorf("echo share %v must be below 1 (negative: off)", p.EchoShare)
	}
	return nil
}

// Config configures a Detector. Zero fields take the documented defaults.
type Config struct {
	// Bin is the width of a counting bin (default 5s). It is detector-wide:
	// it is the unit of checkpoints and of merged counts.
	Bin time.Duration
	// AllowedLateness is how long after a bin ends it stays open for late,
	// out-of-order posts (default 10s): Advance(w) decides on the bins that
	// end at or before w − AllowedLateness. Posts later than that are still
	// counted while their bin is inside the windows (they raise later
	// STA/LTA values) but never re-trigger a bin already decided.
	AllowedLateness time.Duration
	// MaxAhead bounds how far beyond the last decided bin an event may lie
	// (default 1m); later events (clock skew, bogus timestamps) are dropped
	// and counted.
	MaxAhead time.Duration
	// CellPrecision is the geohash precision of scope-cell keys and of
	// location estimates (default 4: about 39 × 20 km, city scale). Event
	// cells are truncated to it.
	CellPrecision int
	// Scopes lists the key scopes tracked (default all: alert.ScopeRule,
	// alert.ScopeCountry, alert.ScopeCell).
	Scopes []string
	// MaxKeys caps tracked keys (default 50000; about 1.5 KB each plus up
	// to 5 KB of samples, 2.7 KB on average, plus bitmaps in author mode). Keys idle for longer than their windows are
	// dropped every five minutes of event time; when the cap is reached, the
	// least recently active sixteenth of the untriggered keys is evicted
	// (their history is lost: a re-created key starts with LTA 0).
	MaxKeys int
	// OutageWindow and OutageMinPosts define a feed outage: fewer than
	// OutageMinPosts posts (Tick calls) in OutageWindow (defaults 5m, 2).
	// Triggers are suppressed while an outage lies inside a key's STA+LTA
	// windows; the start of the detector counts as an outage, so the first
	// trigger comes after one full STA+LTA of data.
	OutageWindow   time.Duration
	OutageMinPosts int
	// Examples is how many example posts an alert quotes (default 5).
	Examples int
	// GeoSamples is how many recent geolocated first-hand posts each key
	// keeps to estimate the location (default 64).
	GeoSamples int

	// Default are the parameters of every rule without an override.
	Default Params
	// Rules overrides parameters per rule id; zero fields inherit Default.
	Rules map[string]Params

	// Registerer receives the metrics (default: a private registry).
	Registerer prometheus.Registerer
}

func (c *Config) setDefaults() {
	if c.Bin == 0 {
		c.Bin = 5 * time.Second
	}
	if c.AllowedLateness == 0 {
		c.AllowedLateness = 10 * time.Second
	}
	if c.MaxAhead == 0 {
		c.MaxAhead = time.Minute
	}
	if c.CellPrecision == 0 {
		c.CellPrecision = 4
	}
	if c.Scopes == nil {
		c.Scopes = []string{"rule", "country", "cell"}
	}
	if c.MaxKeys == 0 {
		c.MaxKeys = 50000
	}
	if c.OutageWindow == 0 {
		c.OutageWindow = 5 * time.Minute
	}
	if c.OutageMinPosts == 0 {
		c.OutageMinPosts = 2
	}
	if c.Examples == 0 {
		c.Examples = 5
	}
	if c.GeoSamples == 0 {
		c.GeoSamples = 64
	}
	c.Default.inherit(&defaultParams)
}

// CheckRule reports whether p, as an entry of Config.Rules, is valid in
// a detector with this configuration, once its zero fields are inherited
// from Default: the check New and SetRules make, for a rules file to be
// rejected before it is made active.
func (c Config) CheckRule(p Params) error {
	c.Rules = nil
	c.setDefaults()
	if err := c.validate(); err != nil {
		return err
	}
	p.inherit(&c.Default)
	return p.validate(c.Bin)
}

func (c *Config) validate() error {
	if c.Bin < time.Millisecond || c.Bin > time.Hour {
		return fmt.Errorf("bin %v is outside [1ms, 1h]", c.Bin)
	}
	if c.AllowedLateness < 0 || c.AllowedLateness > time.Hour {
		return fmt.Errorf("allowed lateness %v is outside [0, 1h]", c.AllowedLateness)
	}
	if c.MaxAhead < c.Bin || c.MaxAhead > 24*time.Hour {
		return fmt.Errorf("max ahead %v is outside [bin, 24h]", c.MaxAhead)
	}
	if c.CellPrecision < 1 || c.CellPrecision > 12 {
		return fmt.Errorf("cell precision %d is outside [1, 12]", c.CellPrecision)
	}
	if len(c.Scopes) == 0 {
		return errors.New("no scopes")
	}
	for _, s := range c.Scopes {
		if _, ok := scopeOf(s); !ok {
			return fmt.Errorf("unknown scope %q: want rule, country or cell", s)
		}
	}
	if c.MaxKeys < 16 {
		return fmt.Errorf("max keys %d is below 16", c.MaxKeys)
	}
	if c.OutageWindow < c.Bin || c.OutageWindow%c.Bin != 0 {
		return fmt.Errorf("outage window %v is not a positive multiple of the bin %v", c.OutageWindow, c.Bin)
	}
	if c.OutageMinPosts < 0 {
		return fmt.Errorf("outage minimum %d is negative", c.OutageMinPosts)
	}
	if c.Examples < 0 || c.Examples > 100 || c.GeoSamples < 0 || c.GeoSamples > 100000 {
		return fmt.Errorf("examples %d or geo samples %d out of range", c.Examples, c.GeoSamples)
	}
	if err := c.Default.validate(c.Bin); err != nil {
		return fmt.Errorf("default parameters: %w", err)
	}
	for id, p := range c.Rules {
		p.inherit(&c.Default)
		if err := p.validate(c.Bin); err != nil {
			return fmt.Errorf("rule %q: %w", id, err)
		}
		c.Rules[id] = p
	}
	return nil
}
