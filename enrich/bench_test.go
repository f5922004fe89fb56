package enrich

import (
	"fmt"
	"testing"

	"earshot/enrich/geo"
	"earshot/stream/post"
)

// BenchmarkEnrich: geo + author + language per post, for posts with GPS
// and for posts whose profile string is already cached; lang given.
func BenchmarkEnrich(b *testing.B) {
	e := mustEnricher(b)
	a := post.Author{ID: "1", Handle: "ana", Followers: 1200, Following: 300, Posts: 5400, Location: "Jakarta, Indonesia"}
	cases := map[string]post.Post{
		"gps":            {HasGeo: true, Geo: post.Point{Lat: -6.2, Lon: 106.8}, Lang: "id", Author: a},
		"profile-cached": {Lang: "id", Author: a},
		"place-country":  {Lang: "ja", Place: post.Place{CountryCode: "JP"}, Author: a},
	}
	for name, p := range cases {
		b.Run(name, func(b *testing.B) {
			var f Features
			e.Enrich(&p, &f) // warm the cache
			b.ReportAllocs()
			for b.Loop() {
				e.Enrich(&p, &f)
			}
		})
	}
}

// BenchmarkGeocodeUncached is the gazetteer's cost for a string it has not
// seen (the cache is off).
func BenchmarkGeocodeUncached(b *testing.B) {
	g, err := geo.LoadGazetteer(geo.GazetteerConfig{CacheEntries: -1})
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range []string{"Jakarta, Indonesia", "NYC", "São Paulo - SP", "東京都渋谷区", "living in london", "in your heart"} {
		b.Run(fmt.Sprintf("%q", s), func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			b.ReportAllocs()
			for b.Loop() {
				g.Geocode(s)
			}
		})
	}
}

// BenchmarkDetectLanguage is detection for a post without a lang field.
func BenchmarkDetectLanguage(b *testing.B) {
	d := newDetector(LanguageConfig{MaxBytes: 200, MinConfidence: 0.2})
	p := post.Post{Text: "ho appena finito il mare ed è stato caotico! che voglia di il caffè questo weekend #musica https://bit.ly/w4NIQrfsUu"}
	b.SetBytes(int64(len(p.Text)))
	b.ReportAllocs()
	for b.Loop() {
		d.language(&p)
	}
}

func BenchmarkLoadGazetteer(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := geo.LoadGazetteer(geo.GazetteerConfig{}); err != nil {
			b.Fatal(err)
		}
	}
}
