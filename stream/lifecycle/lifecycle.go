// Package lifecycle places a topic — one rule's mentions over days or
// weeks — in its life cycle: a topic rises, peaks, decays, goes quiet, and
// can come back. A brand's forgotten complaint revived by one repost of a
// large account, an aftershock sequence days after a quake, a product name
// that trends once a year: the burst detector (earshot/stream/burst) raises
// a minute-scale alert, this package says where a topic stands over hours
// and days, and when and from what it came back.
//
// # The model
//
// The input is a series of equal bins (Config.Bin, one hour by default) of
// a rule's mention counts, ending now. A bin is active when it holds at
// least Config.Floor mentions (2), quiet otherwise. An episode is a run of
// activity: it starts at an active bin and ends at the last active bin
// before Config.Quiet (72 hours) of quiet bins. An episode is
//
//   - new when the topic had no mention before it (none in the series
//     before its start, and none before the series: Series.Earlier),
//   - revived when it follows at least Quiet of quiet bins and the topic
//     had mentions before: what a dashboard wants to explain (and, when
//     Series.Read says when the pipeline read posts, when it read them in
//     at least MinRead of those bins: otherwise the quiet was not seen,
//     and the episode is continuing and Unseen),
//   - continuing when fewer than Quiet bins of the series precede it: it
//     may have begun before the series.
//
// The phase at the end of each bin, from what was known then:
//
//   - dormant: Quiet or more of quiet bins have passed since the last
//     active one (or the topic had mentions, but none active in the series
//     yet);
//   - rising: the mentions of the last Config.Recent (6 hours) are at
//     least Floor and more than Config.Rise (1.5) times those of the
//     Recent before;
//   - peak: not rising, and the last Recent holds at least
//     Config.PeakShare (half) of the most any Recent of the episode held;
//   - decaying: in an episode, neither rising nor at its peak (quiet bins
//     of an episode's tail shorter than Quiet included);
//   - none: no mention at all, in the series or before it.
//
// Report.Since is the start of the bin from which the last phase has held.
// Everything is computed in one pass over prefix sums: a year of hourly
// bins takes ~50 µs (BenchmarkAnalyze). The package exports no metrics.
//
// A rule may have its own quiet and floor (its revival settings, `alert:
// {revival: {quiet: 14d, floor: 5}}`): Models keeps an analyzer per model,
// reads a rule's settings as the rules table keeps them (Models.Own), and
// splits rules among the analyzers (Models.Split), for the revival alerts,
// `earshot lifecycle` and the dashboard alike.
package lifecycle

import (
	"errors"
	"fmt"
	"time"
)

// Config holds the life-cycle parameters; a zero field takes its default.
type Config struct {
	// Bin is the width of the series' bins (default 1h).
	Bin time.Duration
	// Floor is the fewest mentions of an active bin (default 2): fewer is
	// quiet, so a stray mention does not end a quiet stretch.
	Floor uint64
	// Quiet is how long a topic stays quiet before its episode ends and it
	// is dormant (default 72h); a multiple of Bin.
	Quiet time.Duration
	// Recent is the span whose mentions are compared with the span before
	// it and with the episode's busiest such span (default 6h); a multiple
	// of Bin.
	Recent time.Duration
	// Rise is the factor by which the last Recent must exceed the Recent
	// before it for a rising topic (default 1.5; above 1).
	Rise float64
	// PeakShare is the share of the episode's busiest Recent that the last
	// Recent must hold for a topic at its peak (default 0.5; in (0, 1]).
	PeakShare float64
}

func (c *Config) setDefaults() {
	if c.Bin == 0 {
		c.Bin = time.Hour
	}
	if c.Floor == 0 {
		c.Floor = 2
	}
	if c.Quiet == 0 {
		c.Quiet = 72 * time.Hour
	}
	if c.Recent == 0 {
		c.Recent = 6 * time.Hour
	}
	if c.Rise == 0 {
		c.Rise = 1.5
	}
	if c.PeakShare == 0 {
		c.PeakShare = 0.5
	}
}

// Validate reports the first setting that cannot be used, after defaults.
func (c Config) Validate() error {
	c.setDefaults()
	switch {
	case c.Bin < time.Second:
		return fmt.Errorf("lifecycle: bin %v: want 1s or more", c.Bin)
	case c.Quiet < c.Bin || c.Quiet%c.Bin != 0:
		return fmt.Errorf("lifecycle: quiet %v: want a multiple of the bin %v", c.Quiet, c.Bin)
	case c.Recent < c.Bin || c.Recent%c.Bin != 0:
		return fmt.Errorf("lifecycle: recent %v: want a multiple of the bin %v", c.Recent, c.Bin)
	case !(c.Rise > 1):
		return fmt.Errorf("lifecycle: rise %v: want above 1", c.Rise)
	case !(c.PeakShare > 0 && c.PeakShare <= 1):
		return fmt.Errorf("lifecycle: peak share %v: want above 0 and at most 1", c.PeakShare)
	}
	return nil
}

// Phase is where a topic stands at a bin's end.
type Phase uint8

// Phases.
const (
	None     Phase = iota // no mention yet, in the series or before it
	Rising                // more than Rise times the Recent before
	Peak                  // at least PeakShare of the episode's busiest Recent
	Decaying              // in an episode, below both
	Dormant               // Quiet or more of quiet bins since the last active one
)

var phaseNames = [...]string{"none", "rising", "peak", "decaying", "dormant"}

func (p Phase) String() string { return nameOf(phaseNames[:], "Phase", uint8(p)) }

// MarshalText writes the phase's name (JSON: a string).
func (p Phase) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads a phase's name.
func (p *Phase) UnmarshalText(b []byte) error {
	return unmarshalName(phaseNames[:], "phase", b, (*uint8)(p))
}

// nameOf returns the name of value v of an enum, or Type(v) for a value
// out of its range.
func nameOf(names []string, typ string, v uint8) string {
	if int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", typ, v)
}

// unmarshalName sets *v to the value whose name is b.
func unmarshalName(names []string, what string, b []byte, v *uint8) error {
	for i, n := range names {
		if n == string(b) {
			*v = uint8(i)
			return nil
		}
	}
	return fmt.Errorf("lifecycle: unknown %s %q", what, b)
}

// Origin says how an episode began.
type Origin uint8

// Origins.
const (
	Continuing Origin = iota // fewer than Quiet bins of the series before it: it may have begun earlier
	New                      // the topic's first mentions
	Revived                  // after Quiet or more of quiet bins, with mentions before
)

var originNames = [...]string{"continuing", "new", "revived"}

func (o Origin) String() string { return nameOf(originNames[:], "Origin", uint8(o)) }

// MarshalText writes the origin's name (JSON: a string).
func (o Origin) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText reads an origin's name.
func (o *Origin) UnmarshalText(b []byte) error {
	return unmarshalName(originNames[:], "origin", b, (*uint8)(o))
}

// Series is a topic's mentions in consecutive bins of Config.Bin.
type Series struct {
	Start    time.Time // the first bin's start
	Mentions []uint64  // one count per bin; the last bin ends "now"
	// Earlier is true when the topic had mentions before Start.
	Earlier bool
	// Read, when set, says for each bin whether the pipeline read posts
	// in it (its progress markers): a quiet it read in fewer than MinRead
	// of its bins was not seen, and the episode after it is continuing
	// (Episode.Unseen), not revived: a pipeline stopped for days, or a
	// silent feed, is no quiet of the topic's. Nil: every bin was read.
	Read []bool
}

// MinRead is the share of the Quiet bins before an episode in which the
// pipeline must have read posts (Series.Read) for it to be a revival.
const MinRead = 0.9

// seen reports whether the Quiet bins before bin i were read in MinRead of
// them or more (bins before the series count as not read).
func (a *Analyzer) seen(read []bool, i int) bool {
	if read == nil {
		return true
	}
	n := 0
	for j := max(i-a.quiet, 0); j < i && j < len(read); j++ {
		if read[j] {
			n++
		}
	}
	return float64(n) >= MinRead*float64(a.quiet)
}

// End returns the end of the series' last bin.
func (s Series) End(bin time.Duration) time.Time {
	return s.Start.Add(time.Duration(len(s.Mentions)) * bin)
}

// Episode is a run of activity (see the package doc).
type Episode struct {
	Origin Origin    `json:"origin"`
	Start  time.Time `json:"start"` // the start of its first active bin
	End    time.Time `json:"end"`   // the end of its last active bin
	// Ongoing: fewer than Quiet bins have passed since End.
	Ongoing      bool      `json:"ongoing"`
	Peak         time.Time `json:"peak"`          // the start of its busiest bin (the first of equals)
	PeakMentions uint64    `json:"peak_mentions"` // that bin's mentions
	Mentions     uint64    `json:"mentions"`      // from Start to End
	// Unseen: it follows Quiet or more of quiet bins, but the pipeline read
	// posts in fewer than MinRead of them (Series.Read): continuing, since
	// what happened then is not known.
	Unseen bool `json:"unseen,omitempty"`
}

// Report is a topic's life cycle over a series.
type Report struct {
	From  time.Time `json:"from"`  // the series' start
	Phase Phase     `json:"phase"` // at the series' end
	// Since is the start of the bin from which Phase has held (the series'
	// start if it held throughout).
	Since time.Time `json:"since"`
	// Recent holds the mentions of the last Config.Recent, Before those of
	// the Recent before it (within the series).
	Recent   uint64    `json:"recent"`
	Before   uint64    `json:"before"`
	Episodes []Episode `json:"episodes"` // oldest first
	// Phases holds the phase at the end of each bin of the series, and
	// Mentions its counts (the series').
	Phases   []Phase  `json:"-"`
	Mentions []uint64 `json:"-"`
}

// Last returns the report's last episode (the ongoing one, if any).
func (r Report) Last() (Episode, bool) {
	if n := len(r.Episodes); n > 0 {
		return r.Episodes[n-1], true
	}
	return Episode{}, false
}

// Current returns the report's last episode when it is ongoing.
func (r Report) Current() (Episode, bool) {
	e, ok := r.Last()
	return e, ok && e.Ongoing
}

// Analyzer computes reports with one Config.
type Analyzer struct {
	cfg           Config
	quiet, recent int // in bins
}

// NewAnalyzer returns an Analyzer, or the error of Config.Validate.
func NewAnalyzer(cfg Config) (*Analyzer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	return &Analyzer{cfg: cfg, quiet: int(cfg.Quiet / cfg.Bin), recent: int(cfg.Recent / cfg.Bin)}, nil
}

// Config returns the analyzer's configuration with its defaults filled in.
func (a *Analyzer) Config() Config { return a.cfg }

// ErrEmpty is returned for a series without bins.
var ErrEmpty = errors.New("lifecycle: empty series")

// Analyze places the series' topic in its life cycle.
func (a *Analyzer) Analyze(s Series) (Report, error) {
	n := len(s.Mentions)
	if n == 0 {
		return Report{}, ErrEmpty
	}
	bin, floor, R := a.cfg.Bin, a.cfg.Floor, a.recent
	at := func(i int) time.Time { return s.Start.Add(time.Duration(i) * bin) }
	sum := make([]uint64, n+1) // sum[i]: the mentions of bins [0, i)
	for i, m := range s.Mentions {
		sum[i+1] = sum[i] + m
	}
	span := func(from, to int) uint64 { return sum[max(to, 0)] - sum[max(from, 0)] } // bins [from, to)

	r := Report{From: s.Start, Phases: make([]Phase, n), Mentions: s.Mentions}
	var (
		ep       *Episode
		lastAct  = -1   // the last active bin
		epStart  = -1   // the current episode's first bin
		peakSpan uint64 // the episode's busiest Recent so far
	)
	for i, m := range s.Mentions {
		if m >= floor {
			if epStart < 0 || i-lastAct > a.quiet { // a new episode
				o, unseen := Continuing, false
				switch {
				case lastAct < 0 && !s.Earlier && span(0, i) == 0:
					o = New
				case lastAct >= 0 || i >= a.quiet: // after Quiet or more of quiet bins
					if unseen = !a.seen(s.Read, i); !unseen {
						o = Revived
					}
				}
				r.Episodes = append(r.Episodes, Episode{Origin: o, Start: at(i), Ongoing: true, Unseen: unseen})
				ep = &r.Episodes[len(r.Episodes)-1]
				epStart, peakSpan = i, 0
			}
			lastAct = i
			ep.End = at(i + 1)
			ep.Mentions = span(epStart, i+1)
			if m > ep.PeakMentions {
				ep.Peak, ep.PeakMentions = at(i), m
			}
		}
		switch {
		case epStart < 0 || i-lastAct >= a.quiet:
			if ep != nil {
				ep.Ongoing = false
			}
			if s.Earlier || span(0, i+1) > 0 {
				r.Phases[i] = Dormant
			} else {
				r.Phases[i] = None
			}
			continue
		}
		recent := span(i+1-R, i+1)
		peakSpan = max(peakSpan, recent)
		// The Recent before is known when it lies in the series, or when
		// nothing came before the series (its bins there are zeros).
		before, known := span(i+1-2*R, i+1-R), i+1 >= 2*R || !s.Earlier
		rising := known && recent >= floor && float64(recent) > a.cfg.Rise*float64(before)
		switch {
		case rising:
			r.Phases[i] = Rising
		case recent > 0 && float64(recent) >= a.cfg.PeakShare*float64(peakSpan):
			r.Phases[i] = Peak
		default:
			r.Phases[i] = Decaying
		}
	}
	r.Phase = r.Phases[n-1]
	r.Recent, r.Before = span(n-R, n), span(n-2*R, n-R)
	k := n - 1
	for k > 0 && r.Phases[k-1] == r.Phase {
		k--
	}
	r.Since = at(k)
	return r, nil
}
