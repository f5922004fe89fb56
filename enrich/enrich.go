// Package enrich adds to each mention what a dashboard needs beyond the post
// itself: where it was posted from (country, map grid cell, and how much to
// trust that location) and, in later stages, author and language features.
//
// Location precedence follows the survey-style quality tiers: valid GPS
// coordinates, then the post's place object, then nothing. The tier is
// stored with every mention so dashboards and detectors choose what to trust.
//
// Enrich is safe for concurrent use; it exports no metrics.
package enrich

import (
	"fmt"

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

// CellPrecision is the geohash precision of the stored map cell (~4.9 km ×
// 4.9 km at the equator); coarser zoom levels roll up by prefix.
const CellPrecision = 5

// Features is what enrichment derives from one post.
type Features struct {
	Country string // ISO 3166-1 alpha-2, "" when unknown
	Cell    string // geohash at CellPrecision, "" without coordinates
	Tier    Tier
	Lat     float64 // set with Cell
	Lon     float64
}

// Config configures an Enricher.
type Config struct {
	Geo geo.Config
}

// Enricher derives Features from posts.
type Enricher struct {
	geo *geo.Index
}

// New loads the embedded geographic data.
func New(cfg Config) (*Enricher, error) {
	ix, err := geo.Load(cfg.Geo)
	if err != nil {
		return nil, fmt.Errorf("cannot load geo data: %w", err)
	}
	return &Enricher{geo: ix}, nil
}

// Enrich fills f from p.
func (e *Enricher) Enrich(p *post.Post, f *Features) {
	*f = Features{}
	if p.HasGeo {
		f.Lat, f.Lon = p.Geo.Lat, p.Geo.Lon
		f.Cell = geo.Geohash(f.Lat, f.Lon, CellPrecision)
		f.Country = e.geo.Country(f.Lat, f.Lon)
		f.Tier = TierGPS
		if f.Country != "" {
			return
		}
	}
	if p.Place.CountryCode != "" {
		f.Country = p.Place.CountryCode
		if f.Tier == TierNone {
			f.Tier = TierPlace
		}
	}
}
