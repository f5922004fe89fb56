package firehose

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"
)

// Message is one Kafka message: key = post id, value = canonical post JSON.
type Message struct {
	Key, Value []byte
	CreatedAt  time.Time // the post's created_at (millisecond precision, UTC)
	Duplicate  bool      // a byte-identical re-emission of an earlier message
}

// Stats are counters about the generation itself.
type Stats struct {
	// Regenerated counts texts thrown away because they matched a different
	// set of rules than planted (a junction of planted term and background
	// forming another rule). It should stay far below 1% of posts.
	Regenerated int64
	// Unverified counts posts whose text still did not match the planted
	// set after many attempts (only with rules that collide with the
	// generator's fixed words, e.g. "rt" or "https"); their truth is what
	// the text actually matches, so Truth stays exact.
	Unverified int64
	// DroppedBackground is the number of background items (templates,
	// words) left out because they conflict with the configured rules; 0
	// for Rules(n).
	DroppedBackground int
}

// Generator produces the synthetic firehose. It is not safe for concurrent
// use.
type Generator struct {
	cfg   Config
	r     *rand.Rand
	rules []ruleInfo
	chk   *checker
	banks [numLangs]bank

	authors       []author
	authorZipf    *rand.Zipf
	ruleZipf      *rand.Zipf
	rulesByLang   [numLangs][]int32
	citiesByLang  [numLangs][]int32
	citiesByCC    map[string][]int32
	authorsByCC   map[string][]int32
	startNs       int64
	basePeriod    float64
	baseN         int64
	bursts        []burstState
	lastMs, seq   int64
	origs         ring
	dups          []dupEntry
	dupN          int
	truth         Truth
	stats         Stats
	text, scratch []byte
	out, key      []byte
	dupKey        []byte
	dupValue      []byte
	cells         []ruleCells
	cellByID      []*Counts
	minuteIDs     map[RuleMinute]int32
	countryIDs    map[RuleCountry]int32
	authorSet     pairSet
	authorsSynced int
	hits, want    []int32
	tsCacheSec    int64
	tsCache       []byte
}

type ruleInfo struct {
	rule  string
	lit   string // unquoted, original case
	shape ruleShape
	cjk   bool  // contains a CJK character
	langs uint8 // bit l: preferred language l (0: any Latin-script post)
}

type burstState struct {
	b       Burst
	terms   []int32
	startNs int64
	period  float64
	n, max  int64
	cities  []int32
	authors []int32
	origs   ring
}

// ring keeps recent originals for reposts, replies and quotes.
type ring struct {
	e []origEntry
	n int // entries written so far
}

type origEntry struct {
	id     []byte
	author int32
	text   []byte
	lang   lang
	source string
	hits   []int32
}

type dupEntry struct {
	key, value []byte
	createdAt  time.Time
}

const (
	origRingSize  = 1024
	burstRingSize = 256
	dupRingSize   = 128
	maxAttempts   = 16
	langOmitShare = 0.10
	capsShare     = 0.02
	// snowflakeEpochMs is the Twitter snowflake epoch (2010-11-04).
	snowflakeEpochMs = 1288834974657
)

var sources = [...]string{"x", "mastodon", "bluesky"}

// New returns a generator for cfg (defaults applied to a copy).
func New(cfg Config) (*Generator, error) {
	cfg.Bursts = slices.Clone(cfg.Bursts)
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cannot create firehose generator: %w", err)
	}
	g := &Generator{
		cfg:         cfg,
		r:           rand.New(rand.NewPCG(uint64(cfg.Seed), 0x9e3779b97f4a7c15)),
		chk:         newChecker(cfg.Rules),
		citiesByCC:  map[string][]int32{},
		authorsByCC: map[string][]int32{},
		startNs:     cfg.Start.UnixNano(),
		basePeriod:  1e9 / cfg.Rate,
		origs:       ring{e: make([]origEntry, origRingSize)},
		dups:        make([]dupEntry, dupRingSize),
		truth:       newTruth(),
		cells:       make([]ruleCells, len(cfg.Rules)),
		minuteIDs:   map[RuleMinute]int32{},
		countryIDs:  map[RuleCountry]int32{},
	}
	g.banks, g.stats.DroppedBackground = buildBanks(cfg.Rules)

	kwLang := make(map[string]string, len(keywords))
	for _, k := range keywords {
		kwLang[k.term] = k.lang
	}
	g.rules = make([]ruleInfo, len(cfg.Rules))
	for i, r := range cfg.Rules {
		ri := ruleInfo{rule: r, lit: unquote(r)}
		ri.shape, _ = literalShape(ruleLiteral(r))
		kana := false
		for _, c := range ri.lit {
			if isCJK(c) {
				ri.cjk = true
				kana = kana || unicode.In(c, unicode.Hiragana, unicode.Katakana)
			}
		}
		if tag, ok := kwLang[r]; ok {
			for l := lang(0); l < numLangs; l++ {
				if bytes.Contains([]byte(tag), []byte(langCodes[l])) {
					ri.langs |= 1 << l
				}
			}
		} else if ri.cjk {
			ri.langs = 1 << langJA
			if !kana {
				ri.langs |= 1 << langZH
			}
		}
		g.rules[i] = ri
		for l := lang(0); l < numLangs; l++ {
			if ri.langs&(1<<l) != 0 {
				g.rulesByLang[l] = append(g.rulesByLang[l], int32(i))
			}
		}
	}
	for i := range cities {
		c := &cities[i]
		g.citiesByLang[c.Lang] = append(g.citiesByLang[c.Lang], int32(i))
		g.citiesByCC[c.Country] = append(g.citiesByCC[c.Country], int32(i))
	}
	g.authors = newAuthors(g.r, cfg.Authors, cfg.Start, cfg.ProfileLocationFraction, &g.banks, &g.citiesByLang)
	for i := range g.authors {
		cc := cities[g.authors[i].city].Country
		g.authorsByCC[cc] = append(g.authorsByCC[cc], int32(i))
	}
	if n := len(g.authors); n > 1 {
		g.authorZipf = rand.NewZipf(g.r, 1.2, 8, uint64(n-1))
	}
	if n := len(g.rules); n > 1 {
		g.ruleZipf = rand.NewZipf(g.r, 1.1, 4, uint64(n-1))
	}
	for _, b := range cfg.Bursts {
		bs := burstState{
			b:       b,
			startNs: g.startNs + int64(b.Start),
			period:  1e9 / b.Rate,
			max:     int64(b.Length.Seconds() * b.Rate),
			cities:  g.citiesByCC[b.Country],
			authors: g.authorsByCC[b.Country],
			origs:   ring{e: make([]origEntry, burstRingSize)},
		}
		for _, t := range b.Terms {
			bs.terms = append(bs.terms, int32(slices.Index(cfg.Rules, t)))
		}
		g.bursts = append(g.bursts, bs)
	}
	return g, nil
}

func unquote(rule string) string {
	s := rule
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	return s
}

// Config returns the effective configuration (defaults applied).
func (g *Generator) Config() Config { return g.cfg }

// Stats returns counters about the generation so far.
func (g *Generator) Stats() Stats { return g.stats }

// Truth returns the ground truth accumulated over everything emitted so far.
// The generator keeps updating it: copy what you need before calling Next
// again from another goroutine (Generator is not concurrency-safe anyway).
func (g *Generator) Truth() *Truth {
	g.syncAuthors()
	return &g.truth
}

// post is the plan of one post before it is written as JSON.
type post struct {
	kind       byte // 'o' original, 'r' repost, 'p' reply, 'q' quote
	lang       lang
	omitLang   bool
	source     string
	author     int32
	ref        []byte // id of the reposted/replied/quoted post
	hasGeo     bool
	geoCity    int32
	lat, lon   float64
	hasPlace   bool
	placeCity  int32
	wrong      wrongType
	hits       []int32
	burst      int // -1 for background
	registerTo *ring
}

// Next returns the next message. Key and Value are valid until the next
// call and must not be modified.
func (g *Generator) Next() Message {
	if g.dupN > 0 && g.r.Float64() < g.cfg.DuplicateFraction {
		return g.duplicate()
	}
	// Pick the stream whose next post is due first (background on ties).
	t := g.startNs + int64(float64(g.baseN)*g.basePeriod)
	src := -1
	for i := range g.bursts {
		b := &g.bursts[i]
		if b.n >= b.max {
			continue
		}
		if bt := b.startNs + int64(float64(b.n)*b.period); bt < t {
			t, src = bt, i
		}
	}
	if src < 0 {
		g.baseN++
	} else {
		g.bursts[src].n++
	}
	ms := t / 1e6
	if t < 0 && t%1e6 != 0 {
		ms--
	}
	if ms == g.lastMs {
		g.seq++
	} else {
		g.lastMs, g.seq = ms, 0
	}
	g.key = strconv.AppendUint(g.key[:0], uint64(ms-snowflakeEpochMs)<<22|uint64(g.seq), 10)
	created := time.UnixMilli(ms).UTC()

	var p post
	if src < 0 {
		g.planBackground(&p)
	} else {
		g.planBurst(&p, src)
	}
	// The message is written straight into the duplicate ring.
	d := &g.dups[g.dupN%dupRingSize]
	g.out = d.value[:0]
	g.writeJSON(&p, ms)
	d.value = g.out
	d.key = append(d.key[:0], g.key...)
	d.createdAt = created
	g.dupN++
	g.record(&p, created)
	if p.registerTo != nil && p.kind != 'r' {
		g.register(p.registerTo, &p)
	}
	g.truth.Messages++
	g.truth.Posts++
	return Message{Key: d.key, Value: d.value, CreatedAt: created}
}

func (g *Generator) duplicate() Message {
	n := min(g.dupN, dupRingSize)
	d := &g.dups[(g.dupN-1-g.r.IntN(n))%dupRingSize]
	g.dupKey = append(g.dupKey[:0], d.key...)
	g.dupValue = append(g.dupValue[:0], d.value...)
	g.truth.Messages++
	g.truth.Duplicates++
	return Message{Key: g.dupKey, Value: g.dupValue, CreatedAt: d.createdAt, Duplicate: true}
}

// pickAuthor draws an author: half uniformly, half from a heavy-tailed
// activity distribution (a few accounts post a lot).
func (g *Generator) pickAuthor() int32 {
	if g.authorZipf != nil && g.r.IntN(2) == 0 {
		return int32(g.authorZipf.Uint64())
	}
	return int32(g.r.IntN(len(g.authors)))
}

func (g *Generator) pickSource() string {
	x := g.r.IntN(100)
	switch {
	case x < 85:
		return sources[0]
	case x < 93:
		return sources[1]
	}
	return sources[2]
}

func (g *Generator) pickRule() int32 {
	if g.ruleZipf == nil {
		return 0
	}
	return int32(g.ruleZipf.Uint64())
}

// compatible reports whether rule i may be planted into a post in language l:
// CJK terms only into Japanese or Chinese posts of their language, other
// terms anywhere (spaced off in CJK text).
func (g *Generator) compatible(i int32, l lang) bool {
	ri := &g.rules[i]
	if ri.cjk {
		return ri.langs&(1<<l) != 0
	}
	return true
}

func (g *Generator) planBackground(p *post) {
	p.burst = -1
	p.author = g.pickAuthor()
	a := &g.authors[p.author]
	p.lang = a.lang
	if g.r.Float64() < 0.1 {
		p.lang = pickLang(g.r)
	}
	p.source = g.pickSource()
	x := g.r.Float64()
	switch {
	case x < g.cfg.RepostFraction:
		p.kind = 'r'
	case x < g.cfg.RepostFraction+g.cfg.ReplyFraction:
		p.kind = 'p'
	case x < g.cfg.RepostFraction+g.cfg.ReplyFraction+g.cfg.QuoteFraction:
		p.kind = 'q'
	default:
		p.kind = 'o'
	}
	if p.kind != 'o' && g.origs.n == 0 {
		p.kind = 'o'
	}
	p.registerTo = &g.origs
	if p.kind == 'r' && g.repost(p, &g.origs) {
		g.finishCommon(p, g.cfg.GeoFraction, a.city, nil)
		return
	}
	if p.kind == 'r' {
		p.kind = 'o'
	}
	// Planted terms.
	var plant [3]int32
	np := 0
	if g.r.Float64() < g.cfg.MatchFraction {
		first := g.pickRule()
		ri := &g.rules[first]
		switch {
		case ri.cjk:
			p.lang = g.cjkLang(ri.langs)
		case ri.langs != 0 && g.r.IntN(100) < 85:
			p.lang = firstLang(ri.langs)
		}
		plant[0] = first
		np = 1
		want := 1
		if x := g.r.IntN(100); x < 8 {
			want = 3
		} else if x < 30 {
			want = 2
		}
		for try := 0; np < want && try < 6; try++ {
			var c int32
			if lst := g.rulesByLang[p.lang]; len(lst) > 0 && g.r.IntN(100) < 60 {
				c = lst[g.r.IntN(len(lst))]
			} else {
				c = g.pickRule()
			}
			if g.compatible(c, p.lang) && !slices.Contains(plant[:np], c) {
				plant[np] = c
				np++
			}
		}
	}
	g.compose(p, plant[:np])
	g.finishCommon(p, g.cfg.GeoFraction, a.city, nil)
}

func firstLang(mask uint8) lang {
	for l := lang(0); l < numLangs; l++ {
		if mask&(1<<l) != 0 {
			return l
		}
	}
	return langEN
}

func (g *Generator) cjkLang(mask uint8) lang {
	ja, zh := mask&(1<<langJA) != 0, mask&(1<<langZH) != 0
	switch {
	case ja && zh:
		if g.r.IntN(2) == 0 {
			return langJA
		}
		return langZH
	case zh:
		return langZH
	}
	return langJA
}

func (g *Generator) planBurst(p *post, i int) {
	b := &g.bursts[i]
	p.burst = i
	p.registerTo = &b.origs
	if len(b.authors) > 0 && g.r.IntN(100) < 70 {
		p.author = b.authors[g.r.IntN(len(b.authors))]
	} else {
		p.author = g.pickAuthor()
	}
	home := b.cities[g.r.IntN(len(b.cities))]
	p.lang = cities[home].Lang
	if g.r.IntN(100) < 15 {
		p.lang = langEN
	}
	p.source = g.pickSource()
	if b.origs.n > 0 && g.r.Float64() < g.cfg.RepostFraction {
		p.kind = 'r'
		if g.repost(p, &b.origs) {
			g.finishCommon(p, b.b.GeoFraction, home, b.cities)
			return
		}
	}
	p.kind = 'o'
	if x := g.r.Float64(); x < g.cfg.ReplyFraction && b.origs.n > 0 {
		p.kind = 'p'
	}
	// 1–3 terms of the family compatible with the language.
	var plant [3]int32
	np := 0
	want := 1 + g.r.IntN(3)
	for try := 0; np < want && try < 8; try++ {
		c := b.terms[g.r.IntN(len(b.terms))]
		if !g.compatible(c, p.lang) {
			if np > 0 || !g.rules[c].cjk {
				continue
			}
			p.lang = g.cjkLang(g.rules[c].langs)
		}
		if !slices.Contains(plant[:np], c) {
			plant[np] = c
			np++
		}
	}
	g.compose(p, plant[:np])
	g.finishCommon(p, b.b.GeoFraction, home, b.cities)
}

// finishCommon draws language omission, geo, place and the wrong-type case.
// Reposts carry no geo or place (as on the big networks).
func (g *Generator) finishCommon(p *post, geoFraction float64, home int32, pool []int32) {
	p.omitLang = g.r.Float64() < langOmitShare
	if p.kind != 'r' {
		pick := func() int32 {
			if pool != nil {
				return pool[g.r.IntN(len(pool))]
			}
			if g.r.IntN(100) < 80 {
				return g.authors[p.author].city
			}
			return int32(g.r.IntN(len(cities)))
		}
		if g.r.Float64() < geoFraction {
			p.hasGeo = true
			p.geoCity = pick()
			p.lat, p.lon = g.nearCity(p.geoCity)
		}
		if g.r.Float64() < g.cfg.PlaceFraction {
			p.hasPlace = true
			if p.hasGeo && g.r.IntN(100) < 90 {
				p.placeCity = p.geoCity
			} else {
				p.placeCity = pick()
			}
		}
	}
	if g.r.Float64() < g.cfg.WrongTypeFraction {
		p.wrong = wrongType(1 + g.r.IntN(int(numWrongTypes)-1))
		switch p.wrong {
		case wtCountryLower, wtCountryInvalid:
			if p.kind == 'r' {
				p.wrong = wtFollowersString // reposts keep carrying no place
				break
			}
			if !p.hasPlace {
				p.hasPlace = true
				p.placeCity = g.authors[p.author].city
				if pool != nil {
					p.placeCity = pool[g.r.IntN(len(pool))]
				}
			}
		}
	}
}

// nearCity draws a point uniformly in the disc of the city's radius.
func (g *Generator) nearCity(c int32) (lat, lon float64) {
	ct := &cities[c]
	d := ct.RadiusKm * math.Sqrt(g.r.Float64())
	th := 2 * math.Pi * g.r.Float64()
	lat = ct.Lat + d*math.Cos(th)/111.32
	lon = ct.Lon + d*math.Sin(th)/(111.32*math.Cos(ct.Lat*math.Pi/180))
	// Five decimals (~1 m) as written in JSON.
	lat = math.Round(lat*1e5) / 1e5
	lon = math.Round(lon*1e5) / 1e5
	return lat, lon
}

// pickOrig draws an entry of a ring: mostly the recent ones.
func (g *Generator) pickOrig(r *ring) *origEntry {
	n := min(r.n, len(r.e))
	var back int
	if g.r.IntN(100) < 30 {
		back = g.r.IntN(min(n, 64))
	} else {
		back = g.r.IntN(n)
	}
	return &r.e[(r.n-1-back)%len(r.e)]
}

// repost writes "RT @author: text" into g.text (truncated to 140 characters
// with "…" unless that would change the matched rules). It reports false
// when no verified repost could be written; the caller then writes an
// original.
func (g *Generator) repost(p *post, r *ring) bool {
	for try := 0; try < 4; try++ {
		o := g.pickOrig(r)
		g.text = append(g.text[:0], "RT @"...)
		g.text = append(g.text, g.authors[o.author].handle...)
		g.text = append(g.text, ": "...)
		g.text = append(g.text, o.text...)
		g.hits = g.chk.match(g.hits[:0], g.text)
		if !slices.Equal(g.hits, o.hits) {
			g.stats.Regenerated++
			continue
		}
		if utf8.RuneCount(g.text) > 140 {
			g.scratch = truncateWords(g.scratch[:0], g.text, 139)
			g.hits = g.chk.match(g.hits[:0], g.scratch)
			if slices.Equal(g.hits, o.hits) {
				g.text, g.scratch = g.scratch, g.text
			}
		}
		p.hits = append(p.hits[:0], o.hits...)
		p.ref = o.id
		p.lang = o.lang
		p.source = o.source
		return true
	}
	return false
}

// truncateWords appends to dst the longest prefix of s of at most n runes
// that ends before a space, followed by "…".
func truncateWords(dst, s []byte, n int) []byte {
	cut, runes := 0, 0
	for i := 0; i < len(s) && runes < n; {
		_, size := utf8.DecodeRune(s[i:])
		if s[i] == ' ' {
			cut = i
		}
		i += size
		runes++
	}
	if cut == 0 {
		// No space (CJK): cut on a rune boundary.
		for i, k := 0, 0; i < len(s); k++ {
			if k == n {
				cut = i
				break
			}
			_, size := utf8.DecodeRune(s[i:])
			i += size
		}
	}
	dst = append(dst, s[:cut]...)
	return append(dst, "…"...)
}

// register keeps an emitted original for later reposts, replies and quotes.
func (g *Generator) register(r *ring, p *post) {
	e := &r.e[r.n%len(r.e)]
	e.id = append(e.id[:0], g.key...)
	e.author = p.author
	e.text = append(e.text[:0], g.text...)
	e.lang = p.lang
	e.source = p.source
	e.hits = append(e.hits[:0], p.hits...)
	r.n++
}

// compose writes the text of an original, reply or quote with the planted
// terms into g.text and sets p.hits, regenerating until the text matches
// exactly the rules the planted terms imply.
func (g *Generator) compose(p *post, plant []int32) {
	var ref *origEntry
	if p.kind == 'p' || p.kind == 'q' {
		ref = g.pickOrig(p.registerTo)
		p.ref = ref.id
	}
	for attempt := 0; ; attempt++ {
		g.text = g.text[:0]
		g.want = g.want[:0]
		if p.kind == 'p' {
			g.text = append(g.text, '@')
			g.text = append(g.text, g.authors[ref.author].handle...)
			g.text = append(g.text, ' ')
		} else if g.r.IntN(100) < 10 {
			g.text = g.appendHandle(g.text)
			g.text = append(g.text, ' ')
		}
		bodyStart := len(g.text)
		b := &g.banks[p.lang]
		if len(plant) == 0 {
			g.text = g.appendTmpl(g.text, b.sentences[g.r.IntN(len(b.sentences))], p.lang, -1)
			if g.r.IntN(100) < 70 {
				g.text = g.sep(g.text, p.lang)
				g.text = g.appendTmpl(g.text, b.sentences[g.r.IntN(len(b.sentences))], p.lang, -1)
			}
		} else {
			if g.r.IntN(100) < 30 {
				g.text = g.appendTmpl(g.text, b.sentences[g.r.IntN(len(b.sentences))], p.lang, -1)
				g.text = g.sep(g.text, p.lang)
			}
			g.text = g.appendTmpl(g.text, b.mentions[g.r.IntN(len(b.mentions))], p.lang, plant[0])
			for _, t := range plant[1:] {
				if p.lang.cjk() {
					g.text = append(g.text, ' ')
				} else if g.r.IntN(2) == 0 {
					g.text = append(g.text, ' ')
				} else {
					g.text = g.sep(g.text, p.lang)
				}
				g.text = g.appendTerm(g.text, t, p.lang, true)
			}
		}
		if !p.lang.cjk() && g.r.Float64() < capsShare {
			g.scratch = appendUpper(g.scratch[:0], g.text[bodyStart:])
			g.text = append(g.text[:bodyStart], g.scratch...)
		}
		g.text = g.appendExtras(g.text, p.lang)
		if p.kind == 'q' {
			g.text = append(g.text, " https://x.com/"...)
			g.text = append(g.text, g.authors[ref.author].handle...)
			g.text = append(g.text, "/status/"...)
			g.text = append(g.text, ref.id...)
		}
		slices.Sort(g.want)
		g.want = slices.Compact(g.want)
		g.hits = g.chk.match(g.hits[:0], g.text)
		if slices.Equal(g.hits, g.want) {
			break
		}
		if attempt+1 >= maxAttempts {
			g.stats.Unverified++
			break
		}
		g.stats.Regenerated++
	}
	p.hits = append(p.hits[:0], g.hits...)
}

// sep appends a sentence separator.
func (g *Generator) sep(dst []byte, l lang) []byte {
	if l.cjk() {
		switch g.r.IntN(3) {
		case 0:
			return append(dst, "。"...)
		case 1:
			return append(dst, "！"...)
		}
		return append(dst, ' ')
	}
	switch g.r.IntN(4) {
	case 0:
		return append(dst, ". "...)
	case 1:
		return append(dst, "! "...)
	case 2:
		return append(dst, " - "...)
	}
	return append(dst, ", "...)
}

// appendTmpl fills a template. term is the rule for {T} (-1: none).
func (g *Generator) appendTmpl(dst []byte, t tmpl, l lang, term int32) []byte {
	b := &g.banks[l]
	for _, s := range t {
		switch s.slot {
		case 0:
			dst = append(dst, s.lit...)
		case 'n':
			dst = append(dst, b.nouns[g.r.IntN(len(b.nouns))]...)
		case 'a':
			dst = append(dst, b.adjs[g.r.IntN(len(b.adjs))]...)
		case 'p':
			dst = append(dst, b.names[g.r.IntN(len(b.names))]...)
		case 'c':
			dst = append(dst, b.cities[g.r.IntN(len(b.cities))]...)
		case 'd':
			dst = append(dst, b.days[g.r.IntN(len(b.days))]...)
		case '#':
			dst = strconv.AppendInt(dst, int64(2+g.r.IntN(300)), 10)
		case 'T':
			if term >= 0 {
				dst = g.appendTerm(dst, term, l, false)
			}
		}
	}
	return dst
}

// appendTerm writes a rule term in a random case variant (lower, Title,
// UPPER), sometimes as a hashtag for a plain word, spaced off from CJK text
// when it is not CJK itself, and adds the rules that rendering implies to
// g.want.
func (g *Generator) appendTerm(dst []byte, i int32, l lang, extra bool) []byte {
	ri := &g.rules[i]
	spaced := l.cjk() && !ri.cjk
	if spaced && len(dst) > 0 && dst[len(dst)-1] != ' ' {
		dst = append(dst, ' ')
	}
	start := len(dst)
	if ri.shape == shapeWord && g.r.IntN(100) < 30+20*b2i(extra) {
		dst = append(dst, '#')
	}
	switch ri.cjk {
	case true:
		dst = append(dst, ri.lit...)
	default:
		switch g.r.IntN(10) {
		case 0, 1:
			dst = appendTitle(dst, ri.lit)
		case 2:
			dst = appendUpper(dst, []byte(ri.lit))
		default:
			dst = appendLower(dst, ri.lit)
		}
	}
	g.want = g.chk.match(g.want, dst[start:])
	if spaced {
		dst = append(dst, ' ')
	}
	return dst
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func appendLower(dst []byte, s string) []byte {
	for _, r := range s {
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
	}
	return dst
}

func appendUpper(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 'a' && c <= 'z' {
				c -= 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		i += size
		dst = utf8.AppendRune(dst, unicode.ToUpper(r))
	}
	return dst
}

// appendTitle upper-cases the first letter of every space-separated word.
func appendTitle(dst []byte, s string) []byte {
	first := true
	for _, r := range s {
		if first {
			r = unicode.ToUpper(r)
		} else {
			r = unicode.ToLower(r)
		}
		first = r == ' '
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

func (g *Generator) appendHandle(dst []byte) []byte {
	dst = append(dst, '@')
	return append(dst, g.authors[g.r.IntN(len(g.authors))].handle...)
}

// appendExtras adds the usual decorations: emoji, hashtags, @handles, URLs.
func (g *Generator) appendExtras(dst []byte, l lang) []byte {
	b := &g.banks[l]
	if g.r.IntN(100) < 25 {
		dst = append(dst, ' ')
		dst = append(dst, emojis[g.r.IntN(len(emojis))]...)
		if g.r.IntN(3) == 0 {
			dst = append(dst, emojis[g.r.IntN(len(emojis))]...)
		}
	}
	if g.r.IntN(100) < 18 {
		dst = append(dst, " cc "...)
		dst = g.appendHandle(dst)
	}
	if g.r.IntN(100) < 30 {
		n := 1 + g.r.IntN(2)
		for range n {
			dst = append(dst, ' ')
			dst = append(dst, b.tags[g.r.IntN(len(b.tags))]...)
		}
	}
	if g.r.IntN(100) < 30 {
		dst = append(dst, ' ')
		dst = g.appendURL(dst)
	}
	return dst
}

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// appendURL writes a short link whose id has a digit in second position.
func (g *Generator) appendURL(dst []byte) []byte {
	dst = append(dst, urlPrefixes[g.r.IntN(len(urlPrefixes))]...)
	x := g.r.Uint64()
	for i := range 10 {
		if i == 1 {
			dst = append(dst, byte('0'+x%10))
		} else {
			dst = append(dst, alnum[x%uint64(len(alnum))])
		}
		x /= uint64(len(alnum))
		if x == 0 {
			x = g.r.Uint64()
		}
	}
	return dst
}
