package burst

import (
	"encoding/hex"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/cespare/xxhash/v2"
	"github.com/prometheus/client_golang/prometheus"

	"earshot/stream/alert"
)

// Event is one first-hand-candidate mention: one post matched by one rule,
// with what enrichment derived. The detector copies what it keeps.
type Event struct {
	Rule           string
	Country, Cell  string // ISO alpha-2 and geohash ("" when unknown)
	At             time.Time
	AuthorID       string
	Original       bool // neither a repost nor a quote
	Reply, HasLink bool
	TextLen        int     // characters
	Lat, Lon       float64 // valid when Cell != ""
	Tier           uint8   // location quality (enrich.Tier)
	PostID, Text   string
}

type scope uint8

const (
	scopeRule scope = iota
	scopeCountry
	scopeCell
)

var scopeNames = [...]string{alert.ScopeRule, alert.ScopeCountry, alert.ScopeCell}

func scopeOf(s string) (scope, bool) {
	i := slices.Index(scopeNames[:], s)
	return scope(i), i >= 0
}

type keyID struct {
	rule   string
	scope  scope
	region string
}

// Detector detects bursts of first-hand mentions per rule, rule × country
// and rule × cell. It is not safe for concurrent use: one goroutine owns it.
type Detector struct {
	cfg    Config
	scopes [3]bool
	params map[string]*rule // resolved parameters per rule id (lazily)
	def    *rule
	m      *metrics

	started   bool
	clock     int64 // last decided bin
	firstBin  int64
	outageEnd int64 // last bin of the latest outage span
	feed      []uint32
	feedHead  int64
	ticked    bool
	fb        int64 // bins a key's ring holds past the clock

	keys      map[keyID]*series
	active    map[*series]struct{}
	countries map[string]string // intern
	out       []alert.Alert
}

// rule is a rule's resolved parameters in bins.
type rule struct {
	p          Params
	sta, lta   int64
	rearmAfter int64
}

type series struct {
	id      keyID
	r       *rule
	counts  []uint32
	head    int64 // newest bin in the ring
	total   int64
	lastBin int64 // newest bin with a counted event
	country string

	triggered  bool
	trigBin    int64
	eventID    string
	seq        int
	nextFollow float64

	authors []authorBin // author mode: one bitmap per STA bin
	ex      []sample    // ring of recent counted posts (examples)
	exN     int
	geo     []geoSample // ring of recent geolocated counted posts
	geoN    int
}

type authorBin struct {
	bin int64
	bm  *roaring.Bitmap
}

type sample struct {
	Bin      int64
	ID, Text string
	At       time.Time
	Lat, Lon float64
	Tier     uint8
}

type geoSample struct {
	Bin      int64
	Cell     string
	Lat, Lon float64
	Tier     uint8
	Country  string
}

// New returns a Detector for cfg.
func New(cfg Config) (*Detector, error) {
	cfg.Rules = maps.Clone(cfg.Rules)
	cfg.Scopes = slices.Clone(cfg.Scopes)
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("invalid burst detector config: %w", err)
	}
	if cfg.Registerer == nil {
		cfg.Registerer = prometheus.NewRegistry()
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	d := &Detector{
		cfg:       cfg,
		params:    map[string]*rule{},
		m:         m,
		keys:      map[keyID]*series{},
		countries: map[string]string{},
		active:    map[*series]struct{}{},
	}
	d.def = d.resolve(cfg.Default)
	for _, s := range cfg.Scopes {
		sc, _ := scopeOf(s)
		d.scopes[sc] = true
	}
	d.fb = int64((cfg.AllowedLateness+cfg.MaxAhead)/cfg.Bin) + 2
	d.feed = make([]uint32, d.maxWindow()+d.fb)
	return d, nil
}

// maxWindow is the longest STA+LTA of the default and the rules, in bins.
func (d *Detector) maxWindow() int64 {
	w := d.def.sta + d.def.lta
	for id := range d.cfg.Rules {
		r := d.ruleFor(id)
		w = max(w, r.sta+r.lta)
	}
	return w
}

// MaxWindow is the longest STA+LTA of the default and the rules: how much
// event time a replay needs to give every key its whole history.
func (d *Detector) MaxWindow() time.Duration { return time.Duration(d.maxWindow()) * d.cfg.Bin }

// SetRules replaces the per-rule parameters (Config.Rules), as a rules
// reload does. They are checked first (as New checks them); on error
// nothing changes. The keys of a rule keep their counts, examples and
// trigger state and are decided with the new parameters from the next
// bin on: a key whose windows changed keeps the bins its new windows
// cover (a longer window starts with the history it has). The keys of a
// rule whose counting mode (Params.Authors) changed are dropped, since
// their counts mean something else, and so are those of a rule now Off.
func (d *Detector) SetRules(rules map[string]Params) error {
	rules = maps.Clone(rules)
	for id, p := range rules {
		p.inherit(&d.cfg.Default)
		if err := p.validate(d.cfg.Bin); err != nil {
			return fmt.Errorf("rule %q: %w", id, err)
		}
		rules[id] = p
	}
	d.cfg.Rules = rules
	clear(d.params)
	d.growFeed(d.maxWindow() + d.fb)
	for id, s := range d.keys {
		r := d.ruleFor(id.rule)
		if r.p.Off || r.p.Authors != s.r.p.Authors {
			delete(d.keys, id)
			delete(d.active, s)
			continue
		}
		if r.sta != s.r.sta || r.lta != s.r.lta {
			d.resize(s, r)
		}
		s.r = r
		if s.lastBin > d.clock-r.sta || s.triggered {
			d.active[s] = struct{}{}
		}
	}
	d.m.keys.Set(float64(len(d.keys)))
	return nil
}

// growFeed makes the feed ring n bins long if it is shorter, keeping the
// bins it holds.
func (d *Detector) growFeed(n int64) {
	old := d.feed
	if int64(len(old)) >= n {
		return
	}
	d.feed = make([]uint32, n)
	for b := d.feedHead - int64(len(old)) + 1; b <= d.feedHead; b++ {
		d.feed[mod(b, len(d.feed))] = old[mod(b, len(old))]
	}
}

// resize gives key s the rings of rule r's windows, with the bins of its
// rings that they cover.
func (d *Detector) resize(s *series, r *rule) {
	old := s.counts
	s.counts = make([]uint32, r.sta+r.lta+d.fb)
	s.total = 0
	n := int64(min(len(old), len(s.counts)))
	for b := s.head - n + 1; b <= s.head; b++ {
		v := old[mod(b, len(old))]
		s.counts[mod(b, len(s.counts))] = v
		s.total += int64(v)
	}
	if r.p.Authors {
		oldA := s.authors
		s.authors = make([]authorBin, r.sta)
		for _, ab := range oldA {
			if ab.bm == nil {
				continue
			}
			if at := &s.authors[mod(ab.bin, len(s.authors))]; at.bm == nil || at.bin < ab.bin {
				*at = ab
			}
		}
	}
}

func (d *Detector) resolve(p Params) *rule {
	bin := d.cfg.Bin
	return &rule{p: p, sta: int64(p.STA / bin), lta: int64(p.LTA / bin), rearmAfter: int64(p.RearmAfter / bin)}
}

func (d *Detector) ruleFor(id string) *rule {
	if r, ok := d.params[id]; ok {
		return r
	}
	p, ok := d.cfg.Rules[id]
	if !ok {
		return d.def
	}
	r := d.resolve(p)
	d.params[id] = r
	return r
}

func (d *Detector) binOf(t time.Time) int64 {
	ns := t.UnixNano()
	b := ns / int64(d.cfg.Bin)
	if ns < 0 && ns%int64(d.cfg.Bin) != 0 {
		b--
	}
	return b
}

func (d *Detector) binStart(b int64) time.Time { return time.Unix(0, b*int64(d.cfg.Bin)).UTC() }

// start initialises the clock from the first event or watermark.
func (d *Detector) start(firstBin int64) {
	d.started = true
	d.clock = firstBin - 1
	d.firstBin = firstBin
	d.outageEnd = firstBin - 1
	d.feedHead = d.clock
}

// Tick records that one post (matched or not) with creation time at was
// consumed: it feeds outage detection. Call it once per post; a caller
// that never calls Tick gets outage detection from Observe calls instead.
func (d *Detector) Tick(at time.Time) {
	d.ticked = true
	d.feedAdd(d.binOf(at))
}

func (d *Detector) feedAdd(b int64) {
	if !d.started {
		d.start(b - int64(d.cfg.AllowedLateness/d.cfg.Bin))
	}
	if b > d.clock+d.fb || b <= d.feedHead-int64(len(d.feed)) {
		return
	}
	d.feedSync(b)
	d.feed[mod(b, len(d.feed))]++
}

func (d *Detector) feedSync(b int64) {
	if b <= d.feedHead {
		return
	}
	n := int64(len(d.feed))
	for i := d.feedHead + 1; i <= b && i <= d.feedHead+n; i++ {
		d.feed[mod(i, int(n))] = 0
	}
	d.feedHead = b
}

func mod(b int64, n int) int {
	m := int(b % int64(n))
	if m < 0 {
		m += n
	}
	return m
}

// Observe counts e in the keys it belongs to if it is first-hand under its
// rule's parameters. It never blocks and never fails; events outside the
// windows are dropped and counted in earshot_burst_events_total.
func (d *Detector) Observe(e *Event) {
	b := d.binOf(e.At)
	if !d.ticked {
		d.feedAdd(b)
	}
	if !d.started {
		d.start(b - int64(d.cfg.AllowedLateness/d.cfg.Bin))
	}
	r := d.ruleFor(e.Rule)
	p := &r.p
	if p.Off {
		d.m.off.Inc()
		return
	}
	if !(e.Original || p.CountReposts) || (e.Reply && !p.CountReplies) || (e.HasLink && !p.CountLinks) ||
		(p.MaxTextLen >= 0 && e.TextLen > p.MaxTextLen) {
		d.m.filtered.Inc()
		return
	}
	switch {
	case b > d.clock+d.fb:
		d.m.future.Inc()
		return
	case b <= d.clock-r.sta-r.lta:
		d.m.tooOld.Inc()
		return
	case b <= d.clock:
		d.m.late.Inc()
	default:
		d.m.counted.Inc()
	}
	// The series keep the event's strings (in their keys and samples) for
	// as long as they live: copies, since an event's strings may be views
	// of its post's (post.Post keeps them in one block), which would stay
	// alive with them.
	ev := *e
	ev.PostID, ev.Text, ev.Country = strings.Clone(e.PostID), strings.Clone(e.Text), d.intern(e.Country)
	e = &ev
	cell := e.Cell
	if len(cell) > d.cfg.CellPrecision {
		cell = cell[:d.cfg.CellPrecision]
	}
	var author uint32
	if p.Authors {
		author = uint32(xxhash.Sum64String(e.AuthorID))
	}
	if d.scopes[scopeRule] {
		d.add(keyID{e.Rule, scopeRule, ""}, r, b, e, cell, author)
	}
	if d.scopes[scopeCountry] && e.Country != "" {
		d.add(keyID{e.Rule, scopeCountry, e.Country}, r, b, e, cell, author)
	}
	if d.scopes[scopeCell] && len(cell) == d.cfg.CellPrecision {
		d.add(keyID{e.Rule, scopeCell, cell}, r, b, e, cell, author)
	}
}

// intern returns a copy of the country code c that all events share.
func (d *Detector) intern(c string) string {
	if c == "" {
		return ""
	}
	if k, ok := d.countries[c]; ok {
		return k
	}
	k := strings.Clone(c)
	if len(d.countries) < 1024 { // ISO 3166 has 249 codes
		d.countries[k] = k
	}
	return k
}

func (d *Detector) add(id keyID, r *rule, b int64, e *Event, cell string, author uint32) {
	s := d.keys[id]
	if s == nil {
		if len(d.keys) >= d.cfg.MaxKeys {
			d.evict()
		}
		s = d.newSeries(id, r)
		d.keys[id] = s
		d.m.keys.Set(float64(len(d.keys)))
	}
	s.sync(d.clock + d.fb)
	inc := uint32(1)
	if r.p.Authors {
		inc = s.addAuthor(b, author)
	}
	if inc > 0 {
		s.counts[mod(b, len(s.counts))] += inc
		s.total += int64(inc)
	}
	s.lastBin = max(s.lastBin, b)
	if e.Country != "" {
		s.country = e.Country
	}
	if d.cfg.Examples > 0 {
		s.ex = push(s.ex, s.exN, 2*d.cfg.Examples, sample{Bin: b, ID: e.PostID, Text: e.Text, At: e.At.UTC(), Lat: e.Lat, Lon: e.Lon, Tier: e.Tier})
		s.exN++
	}
	if d.cfg.GeoSamples > 0 && cell != "" {
		s.geo = push(s.geo, s.geoN, d.cfg.GeoSamples, geoSample{Bin: b, Cell: cell, Lat: e.Lat, Lon: e.Lon, Tier: e.Tier, Country: e.Country})
		s.geoN++
	}
	if b > d.clock-r.sta {
		d.active[s] = struct{}{}
	}
}

// push puts x, the n-th item, in the ring r of at most size items, which
// grows to size as items come: most keys (a rule in a country or a cell)
// see a few posts, and rings made whole at once were most of a key's
// memory (64 geo samples and 10 examples, ~5 KB).
func push[T any](r []T, n, size int, x T) []T {
	if len(r) < size {
		return append(r, x) // n == len(r): the ring has not wrapped
	}
	r[n%len(r)] = x
	return r
}

func (d *Detector) newSeries(id keyID, r *rule) *series {
	s := &series{
		id:      id,
		r:       r,
		counts:  make([]uint32, r.sta+r.lta+d.fb),
		head:    d.clock + d.fb,
		lastBin: math.MinInt64,
	}
	if r.p.Authors {
		s.authors = make([]authorBin, r.sta)
	}
	return s
}

// sync moves the ring's head to b, clearing the bins that enter it.
func (s *series) sync(b int64) {
	if b <= s.head {
		return
	}
	n := int64(len(s.counts))
	if b-s.head >= n {
		clear(s.counts)
		s.total = 0
	} else {
		for i := s.head + 1; i <= b; i++ {
			j := mod(i, int(n))
			s.total -= int64(s.counts[j])
			s.counts[j] = 0
		}
	}
	s.head = b
}

// addAuthor records author a in bin b and reports whether it is new within
// the STA bins before and including b.
func (s *series) addAuthor(b int64, a uint32) uint32 {
	n := int64(len(s.authors))
	for i := b - n + 1; i <= b; i++ {
		ab := &s.authors[mod(i, int(n))]
		if ab.bin == i && ab.bm != nil && ab.bm.Contains(a) {
			return 0
		}
	}
	ab := &s.authors[mod(b, int(n))]
	if ab.bin != b || ab.bm == nil {
		if ab.bm == nil {
			ab.bm = roaring.New()
		} else {
			ab.bm.Clear()
		}
		ab.bin = b
	}
	ab.bm.Add(a)
	return 1
}

// sum adds the counts of bins (from, to]. It takes one division, for the
// first bin's place in the ring, not one per bin (a 64-bit division each:
// the detector's evaluation was 3% of earshot run's CPU, half of it mod).
func (s *series) sum(from, to int64) int64 {
	var t int64
	n := len(s.counts)
	j := mod(from+1, n)
	for i := from + 1; i <= to; i++ {
		t += int64(s.counts[j])
		if j++; j == n {
			j = 0
		}
	}
	return t
}

// Advance decides every bin that ends at or before watermark −
// AllowedLateness and returns the alerts raised, in order. The returned
// slice is valid until the next call. A watermark earlier than a previous
// one does nothing.
func (d *Detector) Advance(watermark time.Time) []alert.Alert {
	d.out = d.out[:0]
	ns := watermark.Add(-d.cfg.AllowedLateness).UnixNano()
	target := ns/int64(d.cfg.Bin) - 1 // bins ending at or before ns
	if ns < 0 && ns%int64(d.cfg.Bin) != 0 {
		target--
	}
	if !d.started {
		d.start(target + 1)
		return d.out
	}
	if target-d.clock > 1<<22 { // more than ~8 months of bins: jump
		d.clock = target - 1
	}
	for d.clock < target {
		d.clock++
		d.decide(d.clock)
	}
	return d.out
}

func (d *Detector) decide(c int64) {
	d.feedSync(c)
	if w := int64(d.cfg.OutageWindow / d.cfg.Bin); c-d.firstBin+1 >= w {
		var n int64
		for i := c - w + 1; i <= c; i++ {
			n += int64(d.feed[mod(i, len(d.feed))])
		}
		if n < int64(d.cfg.OutageMinPosts) {
			d.outageEnd = c
		}
	}
	n0 := len(d.out)
	for s := range d.active {
		d.evaluate(s, c)
		if !s.triggered && s.lastBin <= c-s.r.sta {
			delete(d.active, s)
		}
	}
	if len(d.out)-n0 > 1 { // deterministic order within a bin
		slices.SortFunc(d.out[n0:], func(a, b alert.Alert) int {
			return strings.Compare(a.Rule+"\x00"+a.Scope+"\x00"+a.Region(), b.Rule+"\x00"+b.Scope+"\x00"+b.Region())
		})
	}
	if mod(c, 60) == 0 {
		d.dropIdle(c)
	}
}

// level returns a key's counts in its STA and LTA windows at bin c, their
// rates per minute and the trigger's ratio.
func (d *Detector) level(s *series, c int64) (staN, ltaN int64, sta, lta, ratio float64) {
	r := s.r
	p := &r.p
	s.sync(c + d.fb)
	staN = s.sum(c-r.sta, c)
	openN := s.sum(c, c+d.fb)
	ltaN = s.total - staN - openN
	sta = float64(staN) / p.STA.Minutes()
	lta = float64(ltaN) / p.LTA.Minutes()
	return staN, ltaN, sta, lta, sta / (p.M*lta + p.B)
}

// echo reports whether country or cell key s rises only as the echo of
// its rule's worldwide burst (Params.EchoShare): the rule-wide key is at or
// above its threshold and the country's STA (a cell's country's) is below
// EchoShare of the rule-wide STA.
func (d *Detector) echo(s *series, c int64, staN int64) bool {
	if s.id.scope == scopeRule || !(s.r.p.EchoShare > 0) {
		return false
	}
	rs := d.keys[keyID{rule: s.id.rule, scope: scopeRule}]
	if rs == nil {
		return false
	}
	ruleN, _, _, _, ratio := d.level(rs, c)
	if ratio < rs.r.p.Threshold {
		return false
	}
	if s.id.scope == scopeCell {
		if cs := d.keys[keyID{rule: s.id.rule, scope: scopeCountry, region: s.country}]; cs != nil {
			staN, _, _, _, _ = d.level(cs, c)
		}
	}
	return float64(staN) < s.r.p.EchoShare*float64(ruleN)
}

func (d *Detector) evaluate(s *series, c int64) {
	r := s.r
	p := &r.p
	staN, ltaN, sta, lta, ratio := d.level(s, c)
	if !s.triggered {
		if ratio < p.Threshold {
			return
		}
		if d.outageEnd > c-r.sta-r.lta {
			d.m.suppressed.Inc()
			return
		}
		if d.echo(s, c, staN) {
			d.m.echoes.Inc()
			return
		}
		s.triggered, s.trigBin, s.seq = true, c, 0
		s.nextFollow = p.FollowUpRate
		a := d.newAlert(s, c, alert.KindTrigger, sta, lta, ratio, staN, ltaN)
		s.eventID = a.ID
		a.EventID = a.ID
		d.out = append(d.out, a)
		d.m.alerts.WithLabelValues(alert.KindTrigger).Inc()
		for p.MaxFollowUps > 0 && sta >= s.nextFollow {
			s.nextFollow *= 2
		}
		return
	}
	if p.MaxFollowUps > 0 && s.seq < p.MaxFollowUps && sta >= s.nextFollow {
		s.seq++
		for sta >= s.nextFollow {
			s.nextFollow *= 2
		}
		a := d.newAlert(s, c, alert.KindFollowUp, sta, lta, ratio, staN, ltaN)
		d.out = append(d.out, a)
		d.m.alerts.WithLabelValues(alert.KindFollowUp).Inc()
	}
	if c-s.trigBin >= r.rearmAfter && ratio < p.Rearm {
		s.triggered = false
	}
}

func (d *Detector) newAlert(s *series, c int64, kind string, sta, lta, ratio float64, staN, ltaN int64) alert.Alert {
	unit := "posts"
	if s.r.p.Authors {
		unit = "authors"
	}
	a := alert.Alert{
		ID:         alertID(s.id, s.trigBin, s.seq),
		EventID:    s.eventID,
		Kind:       kind,
		Seq:        s.seq,
		Rule:       s.id.rule,
		Scope:      scopeNames[s.id.scope],
		DetectedAt: d.binStart(c + 1),
		Onset:      d.binStart(s.onset(c)),
		Unit:       unit,
		STA:        round3(sta),
		LTA:        round3(lta),
		Ratio:      round3(ratio),
		STACount:   staN,
		LTACount:   ltaN,
	}
	switch s.id.scope {
	case scopeCountry:
		a.Country = s.id.region
	case scopeCell:
		a.Cell = s.id.region
		a.Country = s.country
	}
	a.Location = s.locate(c)
	a.Examples = s.examples(c, d.cfg.Examples)
	return a
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

func alertID(id keyID, trigBin int64, seq int) string {
	var b []byte
	b = append(b, id.rule...)
	b = append(b, 0, byte(id.scope))
	b = append(b, id.region...)
	b = append(b, 0)
	b = strconv.AppendInt(b, trigBin, 10)
	b = append(b, 0)
	b = strconv.AppendInt(b, int64(seq), 10)
	var h [8]byte
	v := xxhash.Sum64(b)
	for i := range h {
		h[i] = byte(v >> (56 - 8*i))
	}
	return hex.EncodeToString(h[:])
}

// onset estimates the first bin of the rise with a CUSUM change point:
// walking back from c over up to two STA windows, the bin from which the
// summed excess of the counts over the midpoint between the LTA rate and the
// STA rate (per bin) is largest.
func (s *series) onset(c int64) int64 {
	r := s.r
	lam := float64(s.sum(c-r.sta-r.lta, c-r.sta)) / float64(r.lta)
	mu := float64(s.sum(c-r.sta, c)) / float64(r.sta)
	ref := (lam + mu) / 2
	best, bestAt, run := math.Inf(-1), c, 0.0
	back := min(2*r.sta, r.sta+r.lta)
	for i := c; i > c-back; i-- {
		run += float64(s.counts[mod(i, len(s.counts))]) - ref
		if run > best {
			best, bestAt = run, i
		}
	}
	return bestAt
}

// locate picks the cell with the most geolocated posts in the STA window
// and averages the coordinates of its best-tier posts.
func (s *series) locate(c int64) *alert.Location {
	from := c - s.r.sta
	type agg struct {
		n    int
		tier uint8
	}
	cells := map[string]*agg{}
	for i := range min(s.geoN, len(s.geo)) {
		g := &s.geo[i]
		if g.Bin <= from {
			continue
		}
		a := cells[g.Cell]
		if a == nil {
			a = &agg{}
			cells[g.Cell] = a
		}
		a.n++
		a.tier = max(a.tier, g.Tier)
	}
	best := ""
	for cell, a := range cells {
		if b := cells[best]; best == "" || a.n > b.n || (a.n == b.n && (a.tier > b.tier || (a.tier == b.tier && cell < best))) {
			best = cell
		}
	}
	if best == "" {
		return nil
	}
	loc := &alert.Location{Cell: best, Tier: cells[best].tier}
	var lat, lon float64
	for i := range min(s.geoN, len(s.geo)) {
		g := &s.geo[i]
		if g.Bin <= from || g.Cell != best || g.Tier != loc.Tier {
			continue
		}
		lat += g.Lat
		lon += g.Lon
		loc.Posts++
		if g.Country != "" {
			loc.Country = g.Country
		}
	}
	loc.Lat = round5(lat / float64(loc.Posts))
	loc.Lon = round5(lon / float64(loc.Posts))
	return loc
}

func round5(f float64) float64 { return math.Round(f*1e5) / 1e5 }

// examples returns up to n recent counted posts from the STA window on
// (including still-open bins), oldest first.
func (s *series) examples(c int64, n int) []alert.Example {
	var out []alert.Example
	k := len(s.ex)
	start := max(0, s.exN-k)
	for i := start; i < s.exN && len(out) < n; i++ {
		e := &s.ex[i%k]
		if e.Bin <= c-s.r.sta {
			continue
		}
		out = append(out, alert.Example{ID: e.ID, At: e.At, Text: e.Text, Lat: e.Lat, Lon: e.Lon, Tier: e.Tier})
	}
	return out
}

// dropIdle forgets keys whose windows are empty.
func (d *Detector) dropIdle(c int64) {
	for id, s := range d.keys {
		if !s.triggered && s.lastBin <= c-s.r.sta-s.r.lta {
			delete(d.keys, id)
			delete(d.active, s)
			d.m.evictedIdle.Inc()
		}
	}
	d.m.keys.Set(float64(len(d.keys)))
}

// evict drops the least recently active sixteenth of the untriggered keys.
func (d *Detector) evict() {
	d.dropIdle(d.clock)
	if len(d.keys) < d.cfg.MaxKeys {
		return
	}
	cands := make([]*series, 0, len(d.keys))
	for _, s := range d.keys {
		if !s.triggered {
			cands = append(cands, s)
		}
	}
	slices.SortFunc(cands, func(a, b *series) int {
		switch {
		case a.lastBin < b.lastBin:
			return -1
		case a.lastBin > b.lastBin:
			return 1
		}
		return 0
	})
	n := max(1, d.cfg.MaxKeys/16)
	for _, s := range cands[:min(n, len(cands))] {
		delete(d.keys, s.id)
		delete(d.active, s)
		d.m.evictedCap.Inc()
	}
}

// Keys reports how many keys are tracked.
func (d *Detector) Keys() int { return len(d.keys) }

// WarmUp is how much event time a detector started cold (no snapshot)
// needs before a key with the default parameters can trigger: its STA+LTA
// (31 minutes by default), since the start counts as a feed outage.
func (d *Detector) WarmUp() time.Duration { return d.def.p.STA + d.def.p.LTA }
