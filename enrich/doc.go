// Package enrich adds to each mention what a dashboard needs beyond the post
// itself: where it was posted from, who wrote it, and in what language.
// New builds an Enricher (about 0.8 s of CPU, ~60 MiB of heap for the
// embedded country shapes and gazetteer); Enrich fills a flat Features value
// per post and is safe for concurrent use.
//
// # Location
//
// Quality tiers, best first; a better tier is never overwritten, a lower
// one only fills a country the better one left empty:
//
//   - TierGPS: valid coordinates on the post. Country by point-in-polygon
//     (enrich/geo), Region and Place from the nearest populated place within
//     30 km, Cell the geohash.
//   - TierPlace: the source's place object. A bounding box whose diagonal is
//     at most Config.PlaceBoxMaxKM (50 km) gives its centre; else the place
//     name is geocoded within the place's country; else the country code.
//   - TierProfile: the author's free-text location, geocoded by the
//     gazetteer (geo.Gazetteer.Geocode, cached per string).
//
// Level says how precise the location is (point, city, region, country).
// Cell is a geohash at CellPrecision 5; zoom levels roll up by prefix: world
// 2, country 4, city 5 (6 for street-level drill-downs, not stored). Region
// is "CC-A1" with the GeoNames admin1 code (US states are their USPS codes,
// elsewhere GeoNames' codes, not ISO 3166-2); for coordinates it is the
// nearest place's region, so near a border it can be the neighbour's.
//
// Profile-location accuracy on the labelled sets in testdata/ (precision
// counts every string given a location, junk included; recall is over the
// strings that name a place; "place" means the right populated place, or
// the right country for labels that name only a country or region):
//
//	locations.tsv          749 strings (development set; the curated tables were tuned on it)
//	                       place precision 0.997 recall 0.997, country 0.997 / 0.997
//	locations_holdout.tsv  140 strings written afterwards, never tuned against
//	                       place precision 0.984 recall 0.984, country 0.992 / 0.992
//
// # Author
//
// Influence (0..1), BotLikelihood (0..1) and the Segment (zombie, inactive,
// joiner, critic, collector, creator, spectator) are computed from what one
// post shows; formulas and thresholds are documented on Influence,
// BotLikelihood and Segment and configured by AuthorConfig.
//
// # Language
//
// The post's lang field when it holds a language ("en-US" → "en"; "und" is
// none); otherwise, unless LanguageConfig.Disable, detection with
// github.com/abadojack/whatlanggo restricted to 16 languages, on the text
// without URLs, @handles and #tags, capped at 200 bytes. Chosen over
// github.com/pemistahl/lingua-go on 20,000 synthetic firehose posts in 7
// languages (same machine, same run, the generator of the time): whatlanggo
// 0.82 accuracy, 140 µs/post,
// +2 MiB RSS; lingua low-accuracy mode 0.87, 314 µs/post, +29 MiB RSS;
// lingua high-accuracy 0.89, 1,139 µs/post, +425 MiB RSS. Detection is the
// expensive part of enrichment: it runs only for posts without lang (X,
// Mastodon and Bluesky posts mostly carry one). For a text in the Latin
// script (9 of the 16 languages), whatlanggo's answer (language and
// confidence, from its own trigram profiles) is computed by latinScorer with
// one table lookup per trigram of the text instead of whatlanggo's 2,700
// string-map lookups: BenchmarkDetectLanguage 100 → 5.5 µs per post, 282 →
// 6 allocations; since, its trigrams ranked by a counting sort, the
// profiles in an open-addressing table and the text cut without
// strings.Fields, 2.9 µs and 1 allocation. TestLatinEqualsWhatlanggo and FuzzLatinEqualsWhatlanggo
// hold the two equal. TestDetectAccuracy checks the answers on 18k
// generated posts whose lang field it removes: 0.93 right, 0.025 wrong.
//
// # Metrics
//
// The package exports no Prometheus metrics; the enrich stage counts tiers
// and levels from Features.
package enrich
