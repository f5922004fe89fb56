package enrich

import (
	"testing"

	"earshot/stream/post"
)

func TestEnrichLocationPrecedence(t *testing.T) {
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	f := func(p post.Post, want Features) {
		t.Helper()
		var got Features
		e.Enrich(&p, &got)
		if got != want {
			t.Fatalf("post %+v\n got  %+v\n want %+v", p, got, want)
		}
	}
	cdmx := post.Point{Lat: 19.4326, Lon: -99.1332}
	f(post.Post{HasGeo: true, Geo: cdmx, Place: post.Place{CountryCode: "US"}},
		Features{Country: "MX", Cell: "9g3w8", Tier: TierGPS, Lat: cdmx.Lat, Lon: cdmx.Lon})
	// A fix in the open sea keeps its cell; the country falls back to the place.
	sea := post.Point{Lat: 0.5, Lon: -140}
	f(post.Post{HasGeo: true, Geo: sea, Place: post.Place{CountryCode: "FR"}},
		Features{Country: "FR", Cell: "8bh6y", Tier: TierGPS, Lat: sea.Lat, Lon: sea.Lon})
	f(post.Post{Place: post.Place{CountryCode: "JP"}}, Features{Country: "JP", Tier: TierPlace})
	f(post.Post{}, Features{})
}

func BenchmarkEnrichGPS(b *testing.B) {
	e, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	p := post.Post{HasGeo: true, Geo: post.Point{Lat: -6.2, Lon: 106.8}}
	var f Features
	b.ReportAllocs()
	for b.Loop() {
		e.Enrich(&p, &f)
	}
}
