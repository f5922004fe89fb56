package enrich

import (
	"fmt"
	"strings"

	"earshot/enrich/geo"
	"earshot/stream/post"
)

// Tier ranks how a mention's location was obtained. Higher is better.
type Tier uint8

// Location quality tiers.
const (
	TierNone    Tier = 0 // no location
	TierProfile Tier = 1 // the author's free-text profile location
	TierPlace   Tier = 2 // the place object attached by the source
	TierGPS     Tier = 3 // GPS coordinates on the post
)

func (t Tier) String() string {
	switch t {
	case TierProfile:
		return "profile"
	case TierPlace:
		return "place"
	case TierGPS:
		return "gps"
	}
	return "none"
}

// CellPrecision is the geohash precision of the stored map cell (~4.9 km ×
// 4.9 km at the equator); coarser zoom levels roll up by prefix: world 2,
// country 4, city 5 (6 is for street-level drill-downs of GPS posts and is
// not stored).
const CellPrecision = 5

// Features is what enrichment derives from one post. It is a flat value
// (comparable, no pointers into the post) so a batch can keep a []Features.
type Features struct {
	// Location.
	Country string    // ISO 3166-1 alpha-2, "" when unknown
	Region  string    // first-level region "CC-A1" (GeoNames admin1 code: "US-TX", "MX-09"), "" when unknown
	Place   string    // populated place: nearest to the coordinates, or the one named; "" when unknown
	Cell    string    // geohash at CellPrecision, "" without coordinates
	Tier    Tier      // where the location came from
	Level   geo.Level // how precise it is: country, region, city, point
	Lat     float64   // set with Cell
	Lon     float64

	// Author.
	Influence float32 // 0..1, see Influence
	Segment   Segment
	Bot       float32 // bot/zombie likelihood 0..1, see BotLikelihood

	// Language.
	Lang       string     // ISO 639-1 ("en", "pt"), "" when unknown
	LangSource LangSource // where Lang came from
}

// Config configures an Enricher. The zero value means the defaults.
type Config struct {
	Geo       geo.Config
	Gazetteer geo.GazetteerConfig
	Author    AuthorConfig
	Language  LanguageConfig
	// PlaceBoxMaxKM: a place bounding box whose diagonal is at most this
	// long gives the mention its centre as coordinates (a city or smaller);
	// a larger box (a state, a country) gives only country and region.
	// Default 50.
	PlaceBoxMaxKM float64
}

// DefaultPlaceBoxMaxKM is Config.PlaceBoxMaxKM's default.
const DefaultPlaceBoxMaxKM = 50

func (c *Config) setDefaults() {
	if c.PlaceBoxMaxKM == 0 {
		c.PlaceBoxMaxKM = DefaultPlaceBoxMaxKM
	}
	c.Author.setDefaults()
	c.Language.setDefaults()
}

func (c *Config) validate() error {
	if !(c.PlaceBoxMaxKM > 0 && c.PlaceBoxMaxKM <= 2000) {
		return fmt.Errorf("PlaceBoxMaxKM %v is out of range (0, 2000]", c.PlaceBoxMaxKM)
	}
	if err := c.Author.validate(); err != nil {
		return err
	}
	return c.Language.validate()
}

// Enricher derives Features from posts. It is safe for concurrent use.
type Enricher struct {
	cfg  Config
	geo  *geo.Index
	gaz  *geo.Gazetteer
	lang *detector
}

// New loads the embedded geographic data (about 0.8 s of CPU; build one
// Enricher per process and share it).
func New(cfg Config) (*Enricher, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("cannot configure enrichment: %w", err)
	}
	ix, err := geo.Load(cfg.Geo)
	if err != nil {
		return nil, fmt.Errorf("cannot load geo data: %w", err)
	}
	gz, err := geo.LoadGazetteer(cfg.Gazetteer)
	if err != nil {
		return nil, fmt.Errorf("cannot load gazetteer: %w", err)
	}
	return &Enricher{cfg: cfg, geo: ix, gaz: gz, lang: newDetector(cfg.Language)}, nil
}

// Gazetteer returns the Enricher's gazetteer.
func (e *Enricher) Gazetteer() *geo.Gazetteer { return e.gaz }

// Enrich fills f from p.
func (e *Enricher) Enrich(p *post.Post, f *Features) {
	*f = Features{}
	e.location(p, f)
	e.author(p, f)
	f.Lang, f.LangSource = e.lang.language(p)
}

// location applies the tiers: GPS, then the place object, then the
// profile location. A better tier is never overwritten; a lower tier only
// fills the country when the better one left it empty (a GPS fix in the
// open sea with a place object).
func (e *Enricher) location(p *post.Post, f *Features) {
	if p.HasGeo {
		e.setPoint(f, p.Geo.Lat, p.Geo.Lon)
		f.Tier, f.Level = TierGPS, geo.LevelPoint
		if f.Country != "" {
			return
		}
	}
	if p.Place.Name != "" || p.Place.CountryCode != "" || p.Place.HasBBox {
		var g Features
		if e.place(p, &g) {
			if f.Tier == TierNone {
				*f = g
				f.Tier = TierPlace
				return
			}
			if f.Country == "" {
				f.Country, f.Region = g.Country, g.Region
			}
			return
		}
	}
	if f.Tier == TierNone && p.Author.Location != "" {
		m := e.gaz.Geocode(p.Author.Location)
		if m.Level == geo.LevelNone {
			return
		}
		f.Tier = TierProfile
		e.setMatch(f, &m)
	}
}

// place derives a location from the place object: a small bounding box
// gives its centre; otherwise the name is looked up in the place's country;
// otherwise the country code alone.
func (e *Enricher) place(p *post.Post, f *Features) bool {
	pl := &p.Place
	if pl.HasBBox {
		c := pl.BBox.Center()
		if pl.BBox.DiagonalKM() <= e.cfg.PlaceBoxMaxKM && geo.ValidPoint(c.Lat, c.Lon) {
			e.setPoint(f, c.Lat, c.Lon)
			f.Level = geo.LevelCity
			if pl.CountryCode != "" && f.Country != pl.CountryCode {
				f.Country = ownCode(pl.CountryCode)
			}
			return f.Country != "" || f.Cell != ""
		}
	}
	if pl.Name != "" {
		m := e.gaz.GeocodeIn(pl.Name, pl.CountryCode)
		if m.Level != geo.LevelNone && (pl.CountryCode == "" || m.Country == pl.CountryCode) {
			e.setMatch(f, &m)
			return true
		}
	}
	if pl.CountryCode != "" {
		f.Country, f.Level = ownCode(pl.CountryCode), geo.LevelCountry
		return true
	}
	return false
}

func (e *Enricher) setPoint(f *Features, lat, lon float64) {
	f.Lat, f.Lon = lat, lon
	f.Cell = geo.Geohash(lat, lon, CellPrecision)
	f.Country = e.geo.Country(lat, lon)
	if pl, _, ok := e.gaz.Nearest(lat, lon); ok {
		f.Place = pl.Name
		if f.Country == "" || pl.Country == f.Country {
			f.Region = pl.Region
		}
	}
}

func (e *Enricher) setMatch(f *Features, m *geo.Match) {
	f.Level = m.Level
	switch m.Level {
	case geo.LevelPoint:
		e.setPoint(f, m.Lat, m.Lon)
	case geo.LevelCity:
		f.Lat, f.Lon = m.Lat, m.Lon
		f.Cell = geo.Geohash(m.Lat, m.Lon, CellPrecision)
		f.Country, f.Region, f.Place = m.Country, m.Region, m.Name
	default:
		f.Country, f.Region = m.Country, m.Region
	}
}

// codes holds every code of two ASCII letters. The language and country
// codes of Features that come from the post are taken from here (ownCode)
// rather than pointing into the post's strings, which may point into the
// message it was decoded from: a stored row or a detector key holding one
// would keep the whole message alive.
var codes = func() (t [52 * 52]string) {
	for i := range 52 {
		for j := range 52 {
			t[i*52+j] = string([]byte{letterAt(i), letterAt(j)})
		}
	}
	return t
}()

func letterAt(i int) byte {
	if i < 26 {
		return 'a' + byte(i)
	}
	return 'A' + byte(i-26)
}

func letterIndex(c byte) int {
	switch {
	case c >= 'a' && c <= 'z':
		return int(c - 'a')
	case c >= 'A' && c <= 'Z':
		return 26 + int(c-'A')
	}
	return -1
}

// ownCode returns s as a string that shares no memory with it: from codes
// when it is two ASCII letters (no allocation), else a copy.
func ownCode(s string) string {
	if len(s) == 2 {
		if i, j := letterIndex(s[0]), letterIndex(s[1]); i >= 0 && j >= 0 {
			return codes[i*52+j]
		}
	}
	return strings.Clone(s)
}
