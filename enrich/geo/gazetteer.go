package geo

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cespare/xxhash/v2"
)

// GazetteerConfig configures a Gazetteer. The zero value means the defaults.
type GazetteerConfig struct {
	// MinPopulation is how many inhabitants a place named on its own
	// ("Paris", "Springfield") must have to be an answer. A place named with
	// a qualifier that agrees with it ("Paris, TX", "Smallville, Kansas") may
	// be of any size. Default 15000: the GeoNames cities15000 cut, below
	// which most names are shared with much bigger places or are ordinary
	// words.
	MinPopulation int64
	// PhraseMinPopulation applies to a name found inside longer text
	// ("living in Leeds 🌧"). Default 50000.
	PhraseMinPopulation int64
	// NearestMaxKM is how far the nearest populated place may be from a
	// coordinate for Nearest to answer. Default 30 km; at most 500.
	NearestMaxKM float64
	// CacheEntries bounds the cache of Geocode results by profile string
	// (profile strings repeat a lot). Default 65536; negative disables it.
	// Each entry costs about 150 bytes plus the string.
	CacheEntries int
}

// Defaults of GazetteerConfig.
const (
	DefaultMinPopulation       = 15000
	DefaultPhraseMinPopulation = 50000
	DefaultNearestMaxKM        = 30
	DefaultCacheEntries        = 1 << 16
)

func (c *GazetteerConfig) setDefaults() {
	if c.MinPopulation == 0 {
		c.MinPopulation = DefaultMinPopulation
	}
	if c.PhraseMinPopulation == 0 {
		c.PhraseMinPopulation = DefaultPhraseMinPopulation
	}
	if c.NearestMaxKM == 0 {
		c.NearestMaxKM = DefaultNearestMaxKM
	}
	if c.CacheEntries == 0 {
		c.CacheEntries = DefaultCacheEntries
	}
}

func (c *GazetteerConfig) validate() error {
	if c.MinPopulation < 0 || c.PhraseMinPopulation < 0 {
		return fmt.Errorf("population thresholds must not be negative")
	}
	if !(c.NearestMaxKM > 0 && c.NearestMaxKM <= 500) {
		return fmt.Errorf("NearestMaxKM %v is out of range (0, 500]", c.NearestMaxKM)
	}
	return nil
}

// Level says how precise a geocoded location is.
type Level uint8

// Levels of a Match, from none to a coordinate.
const (
	LevelNone    Level = iota // no location
	LevelCountry              // a country: Country only
	LevelRegion               // a first-level region: Country and Region
	LevelCity                 // a populated place: all fields, Lat/Lon its centre
	LevelPoint                // coordinates written in the string ("ÜT: 19.43,-99.13")
)

func (l Level) String() string {
	switch l {
	case LevelCountry:
		return "country"
	case LevelRegion:
		return "region"
	case LevelCity:
		return "city"
	case LevelPoint:
		return "point"
	}
	return "none"
}

// Place is a populated place of the gazetteer.
type Place struct {
	Name       string // GeoNames name ("Mexico City", "Tokyo")
	Country    string // ISO 3166-1 alpha-2
	Region     string // "US-TX", "MX-09": country and GeoNames admin1 code; "" when unknown
	Lat, Lon   float64
	Population int64
}

// Match is what Geocode found in a location string. Lat/Lon are set for
// LevelCity and LevelPoint; Name for LevelCity.
type Match struct {
	Place
	Level Level
}

// HasPoint reports whether m carries coordinates.
func (m *Match) HasPoint() bool { return m.Level >= LevelCity }

// Gazetteer geocodes free-text locations and finds the nearest populated
// place to a coordinate, from GeoNames data embedded in the binary. It is
// safe for concurrent use; its only mutable state is the result cache.
type Gazetteer struct {
	cfg GazetteerConfig

	codes   []string // country index → code
	regions []string // region index → "CC-A1"
	places  []gplace // sorted by 1° cell, then longitude
	cells   []uint32 // places of cell i are places[cells[i]:cells[i+1]]
	index   []ientry // sorted by hash
	junk    map[string]bool
	stop    map[string]bool
	cache   *cache
}

type gplace struct {
	name     string
	lat, lon float32
	pop      uint32
	country  uint16
	region   uint16
	rank     uint8
}

type ientry struct {
	h    uint64
	ref  uint32
	kind uint8
}

// Kinds of index entries.
const (
	kName    = iota // a place's GeoNames or ASCII name; ref = place
	kAlt            // a place's alternate name; ref = place
	kAlias          // a curated nickname; ref = place
	kCountry        // a country name; ref = country
	kRegion         // a curated region name; ref = region
	kCode           // a region or country code usable only as a qualifier ("TX", "SP"); ref = region
	kISO            // an ISO alpha-2 code usable only as a qualifier; ref = country
)

// LoadGazetteer builds a Gazetteer from the embedded data. It takes about
// half a second of CPU; build one per process and share it.
func LoadGazetteer(cfg GazetteerConfig) (*Gazetteer, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("cannot load gazetteer: %w", err)
	}
	d, err := parseGazetteer(placesBin)
	if err != nil {
		return nil, err
	}
	g := &Gazetteer{cfg: cfg, junk: map[string]bool{}, stop: map[string]bool{}}
	if cfg.CacheEntries > 0 {
		g.cache = newCache(cfg.CacheEntries)
	}
	cidx := map[string]uint16{}
	for i, c := range d.countries {
		g.codes = append(g.codes, c.code)
		cidx[c.code] = uint16(i)
	}
	ridx := map[string]uint16{}
	region := func(cc, a1 string) uint16 {
		k := cc + "-" + a1
		if i, ok := ridx[k]; ok {
			return i
		}
		ridx[k] = uint16(len(g.regions))
		g.regions = append(g.regions, k)
		return ridx[k]
	}
	region("", "") // region 0 = unknown
	g.places = make([]gplace, len(d.places))
	g.cells = make([]uint32, gridW*gridH+1)
	var buf []byte
	add := func(name string, ref uint32, kind uint8) {
		buf = appendKey(buf[:0], name)
		if len(buf) > 0 {
			g.index = append(g.index, ientry{h: xxhash.Sum64(buf), ref: ref, kind: kind})
		}
	}
	for i, p := range d.places {
		cc := d.countries[p.country].code
		r := uint16(0)
		if a := d.admins[p.admin]; a != "" && a != "00" {
			r = region(cc, a)
		}
		g.places[i] = gplace{name: p.name, lat: float32(p.lat), lon: float32(p.lon), pop: uint32(p.pop),
			country: uint16(p.country), region: r, rank: p.rank}
		g.cells[cellIndex(p.lat, p.lon)+1]++
		add(p.name, uint32(i), kName)
		if p.ascii != "" {
			add(p.ascii, uint32(i), kName)
		}
		for _, a := range p.alt {
			add(a, uint32(i), kAlt)
		}
	}
	for i := 1; i < len(g.cells); i++ {
		g.cells[i] += g.cells[i-1]
	}
	for i, c := range d.countries {
		for _, n := range c.names {
			add(n, uint32(i), kCountry)
		}
		add(c.code, uint32(i), kISO)
	}
	for cc, names := range countryAliases {
		ci, ok := cidx[cc]
		if !ok {
			return nil, fmt.Errorf("cannot load gazetteer: alias for unknown country %s", cc)
		}
		for _, n := range names {
			if len(key(n)) <= 2 {
				add(n, uint32(ci), kISO)
			} else {
				add(n, uint32(ci), kCountry)
			}
		}
	}
	for _, rd := range regionDefs {
		ri := uint32(region(rd.country, rd.admin1))
		for _, n := range rd.names {
			if k := key(n); len(k) <= 3 && !strings.Contains(k, " ") {
				add(n, ri, kCode)
			} else {
				add(n, ri, kRegion)
			}
		}
	}
	sortIndex(g.index)
	// Aliases point at the largest place with that name in their country.
	for _, a := range cityAliases {
		pi, ok := g.findPlace(a.name, a.country)
		if !ok {
			return nil, fmt.Errorf("cannot load gazetteer: alias %q: no place %q in %s", a.alias, a.name, a.country)
		}
		add(a.alias, uint32(pi), kAlias)
	}
	sortIndex(g.index)
	for _, j := range junkLocations {
		g.junk[key(j)] = true
	}
	for _, s := range phraseStopwords {
		g.stop[key(s)] = true
	}
	return g, nil
}

func sortIndex(ix []ientry) {
	slices.SortStableFunc(ix, func(a, b ientry) int {
		switch {
		case a.h < b.h:
			return -1
		case a.h > b.h:
			return 1
		}
		return 0
	})
}

func cellIndex(lat, lon float64) int {
	x := min(max(int(math.Floor(lon))+180, 0), gridW-1)
	y := min(max(int(math.Floor(lat))+90, 0), gridH-1)
	return y*gridW + x
}

// lookup returns the index entries whose name has key k.
func (g *Gazetteer) lookup(k []byte) []ientry {
	if len(k) == 0 {
		return nil
	}
	h := xxhash.Sum64(k)
	i := sort.Search(len(g.index), func(i int) bool { return g.index[i].h >= h })
	j := i
	for j < len(g.index) && g.index[j].h == h {
		j++
	}
	return g.index[i:j]
}

func (g *Gazetteer) findPlace(name, cc string) (int, bool) {
	best, ok := -1, false
	for _, e := range g.lookup(appendKey(nil, name)) {
		if e.kind > kAlt {
			continue
		}
		p := &g.places[e.ref]
		if g.codes[p.country] != cc {
			continue
		}
		if !ok || better(p, &g.places[best]) {
			best, ok = int(e.ref), true
		}
	}
	return best, ok
}

// better orders places named alike: the more populous, then the higher rank.
func better(a, b *gplace) bool {
	if a.pop != b.pop {
		return a.pop > b.pop
	}
	return a.rank > b.rank
}

func (g *Gazetteer) place(i uint32) Place {
	p := &g.places[i]
	return Place{Name: p.name, Country: g.codes[p.country], Region: g.regions[p.region],
		Lat: round4(p.lat), Lon: round4(p.lon), Population: int64(p.pop)}
}

// round4 undoes float32 storage noise: the data has 1e-4° resolution.
func round4(f float32) float64 {
	return math.Round(float64(f)*1e4) / 1e4
}

// Len returns the number of places and of indexed names.
func (g *Gazetteer) Len() (places, names int) { return len(g.places), len(g.index) }

// Nearest returns the populated place nearest to lat, lon within
// GazetteerConfig.NearestMaxKM, and its distance in kilometres. Distances
// are equirectangular (exact enough at these ranges). It does not allocate.
func (g *Gazetteer) Nearest(lat, lon float64) (Place, float64, bool) {
	if !ValidPoint(lat, lon) {
		return Place{}, 0, false
	}
	cosLat := math.Cos(lat * math.Pi / 180)
	maxD := g.cfg.NearestMaxKM
	best, bestD := -1, maxD*maxD
	// Under this metric a place within maxD lies within dLat degrees of
	// latitude and dLon of longitude of the point: scan only the cells that
	// box touches (usually 1–4 one-degree cells).
	dLat := maxD / kmPerDeg
	y0 := max(int(math.Floor(lat-dLat))+90, 0)
	y1 := min(int(math.Floor(lat+dLat))+90, gridH-1)
	x0, x1 := 0, gridW-1
	if cosLat > 0.01 {
		if dLon := maxD / (kmPerDeg * cosLat); dLon < 180 {
			x0 = int(math.Floor(lon-dLon)) + 180
			x1 = int(math.Floor(lon+dLon)) + 180
		}
	}
	for y := y0; y <= y1; y++ {
		for xx := x0; xx <= x1; xx++ {
			x := (xx%gridW + gridW) % gridW
			c := y*gridW + x
			for i := g.cells[c]; i < g.cells[c+1]; i++ {
				p := &g.places[i]
				ky := (float64(p.lat) - lat) * kmPerDeg
				kx := wrapLon(float64(p.lon)-lon) * kmPerDeg * cosLat
				if d := kx*kx + ky*ky; d < bestD {
					best, bestD = int(i), d
				}
			}
		}
	}
	if best < 0 {
		return Place{}, 0, false
	}
	return g.place(uint32(best)), math.Sqrt(bestD), true
}

// Geocode finds the place a free-text location names: a profile location
// ("Jakarta, Indonesia", "NYC", "東京", "São Paulo - SP", "Paris, TX"),
// coordinates written as text ("ÜT: 19.43,-99.13", "35.68,139.76"), or a
// place name with its source's country code. Strings that name no place
// ("in your heart", "worldwide", emoji) give LevelNone. Results are cached
// by string (a copy of it); a cached answer costs a map lookup and, but
// for a key moved up from the cache's older half, does not allocate.
func (g *Gazetteer) Geocode(s string) Match {
	if s == "" {
		return Match{}
	}
	if g.cache != nil {
		if m, ok := g.cache.get(s); ok {
			return m
		}
	}
	m := g.geocode(s, "")
	if g.cache != nil {
		g.cache.put(s, m)
	}
	return m
}

// GeocodeIn is Geocode restricted to one country (a place object's name and
// country code). It is not cached.
func (g *Gazetteer) GeocodeIn(s, country string) Match {
	return g.geocode(s, country)
}

// maxLocationBytes bounds the work per string: profile locations are short.
const maxLocationBytes = 160

type cand struct {
	ref    uint32
	kind   uint8
	seg    int  // segment order
	phrase bool // found inside longer text
	words  int
	// named: the segment also names a country or region (see keepNamed).
	named           bool
	country, region int
}

// quals are the countries and regions a string names, each with the
// segment it came from (-1: the whole string, e.g. a flag emoji), so a
// segment does not qualify its own candidates.
type quals struct {
	countries []uint16
	cseg      []int
	regions   []uint16
	rseg      []int
}

func (q *quals) addCountry(c uint16, seg int) {
	q.countries = append(q.countries, c)
	q.cseg = append(q.cseg, seg)
}

func (q *quals) addRegion(r uint16, seg int) {
	q.regions = append(q.regions, r)
	q.rseg = append(q.rseg, seg)
}

// agree counts the qualifiers from other segments than seg that p agrees
// with (a region counts twice), and how many such qualifiers there are.
func (q *quals) agree(p *gplace, seg int) (agree, n int) {
	for i, c := range q.countries {
		if q.cseg[i] == seg {
			continue
		}
		n++
		if c == p.country {
			agree = max(agree, 1)
		}
	}
	ra := 0
	for i, r := range q.regions {
		if q.rseg[i] == seg {
			continue
		}
		n++
		if p.region != 0 && r == p.region {
			ra = 2
		}
	}
	return agree + ra, n
}

func (g *Gazetteer) geocode(s, country string) Match {
	if len(s) > maxLocationBytes {
		s = s[:maxLocationBytes]
		for len(s) > 0 && !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	if lat, lon, ok := parseCoords(s); ok {
		return Match{Place: Place{Lat: lat, Lon: lon}, Level: LevelPoint}
	}
	var q quals
	if country != "" {
		for i, c := range g.codes {
			if c == country {
				q.addCountry(uint16(i), -1)
			}
		}
	}
	segs := splitSegments(s, func(cc string) {
		for i, c := range g.codes {
			if c == cc {
				q.addCountry(uint16(i), -1)
			}
		}
	})
	var keys [][]byte
	for _, seg := range segs {
		if k := appendKey(nil, seg); len(k) > 0 {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		if len(q.countries) > 0 && country == "" {
			return Match{Place: Place{Country: g.codes[q.countries[0]]}, Level: LevelCountry}
		}
		return Match{}
	}
	if g.junk[string(appendKey(nil, s))] {
		return Match{}
	}
	only := len(keys) == 1 && !strings.Contains(string(keys[0]), " ")
	var cands []cand
	if len(keys) > 1 {
		// A nickname that spans separators: "NY, NY", "Washington, D.C.".
		for _, e := range g.lookup(appendKey(nil, s)) {
			if e.kind == kAlias || e.kind == kName {
				cands = append(cands, cand{ref: e.ref, kind: e.kind, seg: -1, words: 4})
			}
		}
	}
	var countryFirst, regionFirst = -1, -1
	for si, k := range keys {
		if g.junk[string(k)] {
			continue
		}
		es := g.lookup(k)
		if len(es) > 0 {
			n0 := len(cands)
			isCountry, isRegion := false, false
			namedCountry, namedRegion := -1, -1
			for _, e := range es {
				switch e.kind {
				case kCountry:
					q.addCountry(uint16(e.ref), si)
					isCountry = true
					if namedCountry < 0 {
						namedCountry = int(e.ref)
					}
					if countryFirst < 0 {
						countryFirst = int(e.ref)
					}
				case kISO:
					if si > 0 || !only {
						q.addCountry(uint16(e.ref), si)
					}
				case kRegion:
					q.addRegion(uint16(e.ref), si)
					isRegion = true
					if namedRegion < 0 {
						namedRegion = int(e.ref)
					}
					if regionFirst < 0 {
						regionFirst = int(e.ref)
					}
				case kCode:
					if si > 0 || !only {
						q.addRegion(uint16(e.ref), si)
					}
				case kAlias:
					if len(k) > 3 || only && si == 0 {
						cands = append(cands, cand{ref: e.ref, kind: e.kind, seg: si, words: 1})
					}
				case kAlt:
					// Short alternate names ("She", "Ho") are often
					// words or codes: only as the whole string.
					if len(k) > 3 || only {
						cands = append(cands, cand{ref: e.ref, kind: e.kind, seg: si, words: 1})
					}
				default:
					cands = append(cands, cand{ref: e.ref, kind: e.kind, seg: si, words: 1})
				}
			}
			if isCountry || isRegion {
				for i := n0; i < len(cands); i++ {
					cands[i].named = true
					cands[i].country, cands[i].region = namedCountry, namedRegion
				}
			}
			continue
		}
		cands = g.phrases(cands, &q, k, si)
	}
	if best, ok := g.resolve(cands, &q); ok {
		return Match{Place: g.place(best), Level: LevelCity}
	}
	if regionFirst >= 0 || len(q.regions) > 0 && len(q.countries) > 0 {
		r := regionFirst
		if r < 0 {
			// A code qualifier ("TX") with a country that agrees ("Texas, USA").
			for _, ri := range q.regions {
				if slices.Contains(q.countries, g.regionCountry(ri)) {
					r = int(ri)
					break
				}
			}
		}
		if r >= 0 {
			return Match{Place: Place{Country: g.codes[g.regionCountry(uint16(r))], Region: g.regions[r]}, Level: LevelRegion}
		}
	}
	if countryFirst >= 0 {
		return Match{Place: Place{Country: g.codes[countryFirst]}, Level: LevelCountry}
	}
	if len(q.countries) > 0 && country == "" && !only {
		return Match{Place: Place{Country: g.codes[q.countries[0]]}, Level: LevelCountry}
	}
	return Match{}
}

func (g *Gazetteer) regionCountry(r uint16) uint16 {
	cc := g.regions[r][:2]
	for i, c := range g.codes {
		if c == cc {
			return uint16(i)
		}
	}
	return 0
}

// keepNamed decides for a candidate from a segment that also names a
// country or region ("Mexico", "Guatemala", "Bali", "Salvador" — French
// for El Salvador): the country or region wins, unless another segment
// agrees with the candidate ("Granada, España"), the candidate is that
// country's capital by its own name (a city-state) or lies in that region,
// or it is a city of a million or more elsewhere whose own name it is
// (Salvador, Brazil).
func (g *Gazetteer) keepNamed(c *cand, p *gplace, agree int) bool {
	switch {
	case agree > 0:
		return true
	case c.country >= 0 && p.country == uint16(c.country):
		return c.kind == kName && p.rank == rankCapital
	case c.region >= 0 && p.region == uint16(c.region):
		return true
	}
	return c.kind == kName && p.pop >= 1e6
}

// phrases looks for names inside a segment that did not match as a whole:
// word n-grams (longest first, at most 4 words) for spaced scripts, and
// substrings for scripts written without spaces.
func (g *Gazetteer) phrases(cands []cand, q *quals, k []byte, si int) []cand {
	ks := string(k)
	words := strings.Fields(ks)
	if len(words) > 12 {
		words = words[:12]
	}
	used := make([]bool, len(words))
	for n := min(len(words), 4); n >= 1; n-- {
		for i := 0; i+n <= len(words); i++ {
			if slices.Contains(used[i:i+n], true) || g.stop[words[i]] || g.stop[words[i+n-1]] {
				continue
			}
			ph := strings.Join(words[i:i+n], " ")
			if g.junk[ph] {
				continue
			}
			unspaced := false
			for _, r := range ph {
				if isUnspaced(r) {
					unspaced = true
					break
				}
			}
			if unspaced {
				cands = g.scanUnspaced(cands, q, ph, si)
				continue
			}
			found := false
			for _, e := range g.lookup([]byte(ph)) {
				switch e.kind {
				case kCountry:
					q.addCountry(uint16(e.ref), si)
					found = true
				case kISO:
					if i > 0 {
						q.addCountry(uint16(e.ref), si)
						found = true
					}
				case kRegion:
					q.addRegion(uint16(e.ref), si)
					found = true
				case kCode:
					if i > 0 {
						q.addRegion(uint16(e.ref), si)
						found = true
					}
				case kAlias:
					if len(ph) > 3 {
						cands = append(cands, cand{ref: e.ref, kind: e.kind, seg: si, phrase: true, words: n})
						found = true
					}
				default:
					if len(ph) >= 4 {
						cands = append(cands, cand{ref: e.ref, kind: e.kind, seg: si, phrase: true, words: n})
						found = true
					}
				}
			}
			if found {
				for j := i; j < i+n; j++ {
					used[j] = true
				}
			}
		}
	}
	return cands
}

// scanUnspaced finds known names in text without spaces ("北海道札幌市",
// "東京都渋谷区"): at each position the longest name of up to 8 characters,
// also tried without a trailing administrative suffix (市, 都, 府, 県, 区, 省).
func (g *Gazetteer) scanUnspaced(cands []cand, q *quals, s string, si int) []cand {
	rs := []rune(s)
	if len(rs) > 32 {
		rs = rs[:32]
	}
	var buf []byte
	for i := 0; i < len(rs); {
		adv := 1
		for n := min(len(rs)-i, 8); n >= 2; n-- {
			buf = appendKey(buf[:0], string(rs[i:i+n]))
			es := g.lookup(buf)
			if len(es) == 0 && strings.ContainsRune("市都府県区省州", rs[i+n-1]) && n > 2 {
				buf = appendKey(buf[:0], string(rs[i:i+n-1]))
				es = g.lookup(buf)
			}
			if len(es) == 0 {
				continue
			}
			for _, e := range es {
				switch e.kind {
				case kCountry:
					q.addCountry(uint16(e.ref), si)
				case kRegion:
					q.addRegion(uint16(e.ref), si)
				case kName, kAlt, kAlias:
					cands = append(cands, cand{ref: e.ref, kind: e.kind, seg: si, words: n})
				}
			}
			adv = n
			break
		}
		i += adv
	}
	return cands
}

// resolve picks the best candidate: the most qualifiers agreeing, then
// curated aliases, then whole-segment names, earlier segments, more words,
// and population.
func (g *Gazetteer) resolve(cands []cand, q *quals) (uint32, bool) {
	bestScore, bestI := -1, -1
	for ci := range cands {
		c := &cands[ci]
		p := &g.places[c.ref]
		agree, n := q.agree(p, c.seg)
		if n > 0 && agree == 0 {
			continue // a qualifier names somewhere else
		}
		if c.named && !g.keepNamed(c, p, agree) {
			continue
		}
		minPop := g.cfg.MinPopulation
		if c.phrase {
			minPop = g.cfg.PhraseMinPopulation
		}
		if agree == 0 && c.kind != kAlias && int64(p.pop) < minPop && p.rank < rankAdmin1 {
			continue
		}
		score := agree << 24
		if c.kind == kAlias {
			score |= 1 << 23
		}
		if !c.phrase {
			score |= 1 << 22
		}
		if c.kind == kName || c.kind == kAlias {
			score |= 1 << 21 // a place's own name beats another's alternate name
		}
		score |= (7 - min(max(c.seg, 0), 7)) << 18
		score |= min(c.words, 3) << 16
		// Population on a log scale, ranks to break ties between sections
		// of a city and the city.
		score |= min(int(math.Log2(float64(p.pop)+1)*256), 0xffff) & 0xff00
		score |= int(p.rank)
		if score > bestScore || score == bestScore && better(p, &g.places[cands[bestI].ref]) {
			bestScore, bestI = score, ci
		}
	}
	if bestI < 0 {
		return 0, false
	}
	return cands[bestI].ref, true
}

// splitSegments cuts a location string at separators: , ; / | ( ) [ ] · •
// and a dash between spaces; emoji and other symbols end a segment too.
// Flag emoji are reported to flag as country codes.
func splitSegments(s string, flag func(cc string)) []string {
	var segs []string
	start := 0
	var ri rune // pending regional indicator
	cut := func(i, next int) {
		if t := strings.TrimSpace(s[start:i]); t != "" {
			segs = append(segs, t)
		}
		start = next
	}
	for i, r := range s {
		n := utf8.RuneLen(r)
		if r == utf8.RuneError {
			n = 1
		}
		switch {
		case r >= 0x1F1E6 && r <= 0x1F1FF: // regional indicator: two make a flag
			if ri != 0 {
				flag(string([]rune{'A' + ri - 0x1F1E6, 'A' + r - 0x1F1E6}))
				ri = 0
			} else {
				ri = r
			}
			cut(i, i+n)
		case strings.ContainsRune(",;/|()[]{}·•\n\t\"“”«»!?:", r):
			cut(i, i+n)
		case (r == '-' || r == '–' || r == '—') && i > 0 && i+n < len(s) && s[i-1] == ' ' && s[i+n] == ' ':
			cut(i, i+n)
		case r == '–' || r == '—' || r == '~':
			cut(i, i+n)
		case unicode.Is(unicode.So, r) || unicode.Is(unicode.Sk, r) || r == 0xFE0F || r == 0x200D || unicode.Is(unicode.Co, r) || r >= 0x1F000:
			cut(i, i+n)
		}
	}
	cut(len(s), len(s))
	if len(segs) > 8 {
		segs = segs[:8]
	}
	return segs
}

// parseCoords finds "lat,lon" in s: two decimal numbers with a fractional
// part, separated by a comma and/or spaces, after an optional prefix such as
// "ÜT:" or "iPhone:". It accepts the pair only when lat, lon is valid.
func parseCoords(s string) (lat, lon float64, ok bool) {
	i := strings.IndexAny(s, "0123456789-+")
	if i < 0 {
		return 0, 0, false
	}
	// Everything before the numbers must be a short label ending in ':' or nothing.
	if pre := strings.TrimSpace(s[:i]); pre != "" && !(strings.HasSuffix(pre, ":") && len(pre) <= 24) {
		return 0, 0, false
	}
	rest := s[i:]
	a, rest, okA := decimal(rest)
	if !okA {
		return 0, 0, false
	}
	r2 := strings.TrimLeft(rest, " ")
	sep := len(r2) < len(rest)
	if strings.HasPrefix(r2, ",") {
		r2, sep = strings.TrimLeft(r2[1:], " "), true
	}
	if !sep {
		return 0, 0, false
	}
	rest = r2
	b, rest, okB := decimal(rest)
	if !okB || strings.TrimSpace(rest) != "" || !ValidPoint(a, b) {
		return 0, 0, false
	}
	return a, b, true
}

// decimal reads a number with a fractional part from the front of s.
func decimal(s string) (float64, string, bool) {
	j := 0
	if j < len(s) && (s[j] == '-' || s[j] == '+') {
		j++
	}
	digits, dot := 0, false
	for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' && !dot) {
		if s[j] == '.' {
			dot = true
		} else {
			digits++
		}
		j++
	}
	if !dot || digits < 2 {
		return 0, s, false
	}
	f, err := strconv.ParseFloat(s[:j], 64)
	if err != nil {
		return 0, s, false
	}
	return f, s[j:], true
}
