package geo

import (
	"math"
	"math/rand/v2"
	"testing"
)

// nearestBrute scans every place with Nearest's metric.
func nearestBrute(g *Gazetteer, lat, lon float64) (float64, bool) {
	cosLat := math.Cos(lat * math.Pi / 180)
	maxD := g.cfg.NearestMaxKM
	bestD, found := maxD*maxD, false
	for i := range g.places {
		p := &g.places[i]
		ky := (float64(p.lat) - lat) * kmPerDeg
		kx := wrapLon(float64(p.lon)-lon) * kmPerDeg * cosLat
		if d := kx*kx + ky*ky; d < bestD {
			bestD, found = d, true
		}
	}
	return math.Sqrt(bestD), found
}

func TestNearestMatchesBruteForce(t *testing.T) {
	g, err := LoadGazetteer(GazetteerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	check := func(lat, lon float64) {
		t.Helper()
		_, d, ok := g.Nearest(lat, lon)
		bd, bok := nearestBrute(g, lat, lon)
		if ok != bok || (ok && math.Abs(d-bd) > 1e-9) {
			t.Fatalf("Nearest(%v, %v) = %v km (%v); brute force %v km (%v)", lat, lon, d, ok, bd, bok)
		}
	}
	// Near real places (offsets up to ~0.5°), anywhere, near cell edges,
	// the antimeridian and the poles.
	for i := 0; i < 3000; i++ {
		p := &g.places[r.IntN(len(g.places))]
		check(float64(p.lat)+r.Float64()-0.5, float64(p.lon)+r.Float64()-0.5)
	}
	for i := 0; i < 1000; i++ {
		check(r.Float64()*170-85, r.Float64()*360-180)
	}
	for _, c := range [][2]float64{{19.0001, -99.9999}, {-6.9999, 106.0001}, {-17.7, 179.99}, {-17.7, -179.99},
		{65.0, -168.9}, {89.9, 10}, {-89.9, 10}, {0.5, 0.5}, {35.68, 139.76}} {
		check(c[0], c[1])
	}
}
