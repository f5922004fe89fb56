// Package geo turns WGS84 coordinates into the geography dashboards group by:
// the country (ISO 3166-1 alpha-2) and a map grid cell (geohash). It works
// offline from country shapes embedded in the binary.
//
// # Countries
//
// Load builds an Index from data/countries.bin, Natural Earth 1:50m admin-0
// country polygons (see data/ATTRIBUTION.md; regenerate with
// `go run ./enrich/geo/internal/gendata`). Index.Country answers with a
// point-in-polygon test behind a spatial index: a 1°×1° grid whose cells are
// split into quadrants (down to 1/64°) while they hold many polygon edges.
// Each leaf holds either "the whole cell is in country X" (most land) or the
// polygons clipped to the leaf, so a lookup tests a few dozen edges at most and
// allocates nothing. The Index is immutable and safe for concurrent use.
//
// The 1:50m coastlines are coarse (vertices about 0.4 km apart and smoothed):
// a GPS point on a beach, in a harbour or on a small island can fall in the
// sea. A point in no polygon is attributed to the country whose boundary is
// nearest, when that boundary is within Config.SeaSnapKM (default 25 km),
// measured to the nearest edge on a local equirectangular projection; beyond
// that Country returns "". Inland borders are only as exact as the 1:50m
// data (a few hundred metres): a point within that distance of a border can
// be given the neighbour.
//
// Codes are Natural Earth's de facto view: Kosovo is XK, Somaliland SO,
// N. Cyprus CY, Siachen Glacier IN; overseas parts with their own ISO code
// (GF, GP, MQ, RE, YT, SJ, BQ, CX, CC) are reported with it.
//
// # Grid cells
//
// Map cells are geohashes (AppendGeohash, Geohash). A geohash is a prefix
// hierarchy: the cell at precision p-1 is the first p-1 characters of the cell
// at precision p, so zoom levels need no extra columns — a dashboard rolls
// stored cells up with substring(cell, 1, p) (or a GROUP BY on a prefix), and
// a bounding box is a set of prefixes. Current ClickHouse versions have
// geohashEncode, geohashDecode and geohashesInBox to draw and filter cells; on
// versions without them, DecodeGeohash here gives the same boxes. earshot
// stores precision 5 (cells of about 4.9 km × 4.9 km at the equator), which
// rolls up to 4 (39 km × 20 km), 3 (156 km), 2 (1,250 km × 625 km).
//
// # Metrics
//
// The package exports no Prometheus metrics: lookups are pure functions, and
// the enrich stage that calls them counts what it needs (posts with
// coordinates, countries found, and sea snaps, which Index.Lookup reports).
//
// # Later
//
// Regions, the nearest populated place and a gazetteer for free-text profile
// locations will sit beside Country in this package, built the same way from
// data generated offline and embedded.
package geo

//go:generate go run ./internal/gendata
