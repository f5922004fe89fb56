package firehose

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Config configures a Generator. The zero value of every field means its
// documented default. Fractions are probabilities in [0, 1]; because 0 means
// "default", a negative fraction means "never" (0).
type Config struct {
	// Seed makes the stream reproducible: the same Config gives the same
	// bytes. 0 is a valid seed.
	Seed int64
	// Start is the event time of the first post (default
	// 2026-11-22T10:00:00Z). It must lie between 2011 and 2070.
	Start time.Time
	// Rate is the number of background posts per second of event time
	// (default 1000). Event time advances by 1/Rate per post; the package
	// never reads the wall clock.
	Rate float64
	// Rules are the listening keywords whose mentions the generator plants
	// and counts (default Rules(1000)). Rules must be distinct and non-empty.
	Rules []string

	// MatchFraction of background originals plant 1–3 rule terms
	// (default 0.03).
	MatchFraction float64
	// GeoFraction of originals carry GPS coordinates near a city
	// (default 0.02).
	GeoFraction float64
	// PlaceFraction of originals carry a place, independently of geo
	// (default 0.05).
	PlaceFraction float64
	// ProfileLocationFraction of authors have a profile location, 70% of
	// them a real city spelling and 30% junk (default 0.5).
	ProfileLocationFraction float64
	// RepostFraction of posts are reposts of a recent original
	// (default 0.20).
	RepostFraction float64
	// ReplyFraction of posts are replies (default 0.08).
	ReplyFraction float64
	// QuoteFraction of posts are quotes (default 0.03).
	QuoteFraction float64
	// DuplicateFraction of messages are byte-identical re-emissions of an
	// earlier message (default 0.01).
	DuplicateFraction float64
	// WrongTypeFraction of posts carry an optional field of the wrong type
	// or an invalid value (default 0.01); see wrongType for the cases.
	WrongTypeFraction float64

	// Authors is the size of the author pool (default 50000).
	Authors int

	// Bursts are extra matching posts (an earthquake, an outage) on top of
	// the background stream.
	Bursts []Burst
}

// Burst is a window of event time in which extra posts mention a keyword
// family from one country.
type Burst struct {
	Terms   []string      // the keyword family; each must be one of Config.Rules
	Country string        // ISO alpha-2: the burst's posts come from this country's cities
	Start   time.Duration // offset from Config.Start in event time
	Length  time.Duration
	Rate    float64 // extra matching posts per second of event time during the burst
	// GeoFraction of burst originals carry GPS coordinates (default 0.3;
	// negative means none).
	GeoFraction float64
}

// DefaultBurst returns an earthquake in Mexico starting at the given event
// time offset: ten minutes of 200 extra posts per second mentioning sismo,
// temblor, terremoto, earthquake and #sismo. Its terms are in Rules(5) and
// every longer list.
func DefaultBurst(start time.Duration) Burst {
	return Burst{
		Terms:       []string{"sismo", "temblor", "terremoto", "earthquake", "#sismo"},
		Country:     "MX",
		Start:       start,
		Length:      10 * time.Minute,
		Rate:        200,
		GeoFraction: 0.3,
	}
}

// DefaultStart is the default Config.Start.
var defaultStart = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func defFraction(p *float64, def float64) {
	switch {
	case *p == 0:
		*p = def
	case *p < 0:
		*p = 0
	}
}

// SetDefaults fills zero fields with their defaults and turns negative
// fractions into 0.
func (c *Config) SetDefaults() {
	if c.Start.IsZero() {
		c.Start = defaultStart
	}
	if c.Rate == 0 {
		c.Rate = 1000
	}
	if c.Rules == nil {
		c.Rules = Rules(1000)
	}
	defFraction(&c.MatchFraction, 0.03)
	defFraction(&c.GeoFraction, 0.02)
	defFraction(&c.PlaceFraction, 0.05)
	defFraction(&c.ProfileLocationFraction, 0.5)
	defFraction(&c.RepostFraction, 0.20)
	defFraction(&c.ReplyFraction, 0.08)
	defFraction(&c.QuoteFraction, 0.03)
	defFraction(&c.DuplicateFraction, 0.01)
	defFraction(&c.WrongTypeFraction, 0.01)
	if c.Authors == 0 {
		c.Authors = 50000
	}
	for i := range c.Bursts {
		defFraction(&c.Bursts[i].GeoFraction, 0.3)
	}
}

var (
	minStart = time.Date(2011, 1, 1, 0, 0, 0, 0, time.UTC)
	maxStart = time.Date(2070, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Validate reports the first problem with c (call SetDefaults first).
func (c *Config) Validate() error {
	if c.Start.Before(minStart) || !c.Start.Before(maxStart) {
		return fmt.Errorf("start %s is outside [2011, 2070)", c.Start.Format(time.RFC3339))
	}
	if !(c.Rate > 0 && c.Rate <= 1e8) {
		return fmt.Errorf("rate %v is outside (0, 1e8] posts per second", c.Rate)
	}
	if len(c.Rules) == 0 {
		return errors.New("no rules")
	}
	seen := make(map[string]struct{}, len(c.Rules))
	for i, r := range c.Rules {
		if ruleLiteral(r) == "" {
			return fmt.Errorf("rule %d %q is empty", i, r)
		}
		if _, dup := seen[r]; dup {
			return fmt.Errorf("rule %d %q is listed twice", i, r)
		}
		seen[r] = struct{}{}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"match", c.MatchFraction}, {"geo", c.GeoFraction}, {"place", c.PlaceFraction},
		{"profile location", c.ProfileLocationFraction}, {"repost", c.RepostFraction},
		{"reply", c.ReplyFraction}, {"quote", c.QuoteFraction}, {"duplicate", c.DuplicateFraction},
		{"wrong type", c.WrongTypeFraction},
	} {
		if !(f.v >= 0 && f.v <= 1) {
			return fmt.Errorf("%s fraction %v is outside [0, 1]", f.name, f.v)
		}
	}
	if s := c.RepostFraction + c.ReplyFraction + c.QuoteFraction; s > 1 {
		return fmt.Errorf("repost, reply and quote fractions add up to %v > 1", s)
	}
	if c.DuplicateFraction > 0.5 {
		return fmt.Errorf("duplicate fraction %v is above 0.5", c.DuplicateFraction)
	}
	if c.Authors < 1 || c.Authors > 50_000_000 {
		return fmt.Errorf("authors %d is outside [1, 5e7]", c.Authors)
	}
	total := c.Rate
	for i, b := range c.Bursts {
		if len(b.Terms) == 0 {
			return fmt.Errorf("burst %d has no terms", i)
		}
		for _, t := range b.Terms {
			if _, ok := seen[t]; !ok {
				return fmt.Errorf("burst %d term %q is not one of the rules", i, t)
			}
		}
		if len(b.Country) != 2 || strings.ToUpper(b.Country) != b.Country {
			return fmt.Errorf("burst %d country %q is not an upper-case ISO alpha-2 code", i, b.Country)
		}
		if !hasCountry(b.Country) {
			return fmt.Errorf("burst %d country %q has no built-in city (known: %s)", i, b.Country, strings.Join(countryCodes(), " "))
		}
		if b.Start < 0 || b.Length <= 0 {
			return fmt.Errorf("burst %d window start %v length %v is invalid", i, b.Start, b.Length)
		}
		if !(b.Rate > 0 && b.Rate <= 1e8) || math.IsInf(b.Rate, 0) {
			return fmt.Errorf("burst %d rate %v is outside (0, 1e8]", i, b.Rate)
		}
		if !(b.GeoFraction >= 0 && b.GeoFraction <= 1) {
			return fmt.Errorf("burst %d geo fraction %v is outside [0, 1]", i, b.GeoFraction)
		}
		total += b.Rate
	}
	if total > 1e9 {
		return fmt.Errorf("total rate %v is above 1e9 posts per second", total)
	}
	return nil
}

func hasCountry(cc string) bool {
	for i := range cities {
		if cities[i].Country == cc {
			return true
		}
	}
	return false
}

func countryCodes() []string {
	var out []string
	seen := map[string]bool{}
	for i := range cities {
		if !seen[cities[i].Country] {
			seen[cities[i].Country] = true
			out = append(out, cities[i].Country)
		}
	}
	return out
}
