package geo

import (
	"math"
	"testing"
)

// TestOutlines: the outlines cover the world's land (every country's
// rings), lie on the step's grid inside the coordinate ranges, and shrink
// with a coarser step.
func TestOutlines(t *testing.T) {
	fine, err := Outlines(0.05)
	if err != nil {
		t.Fatal(err)
	}
	coarse, err := Outlines(0.25)
	if err != nil {
		t.Fatal(err)
	}
	points := func(ls [][]float32) (n int) {
		for _, l := range ls {
			n += len(l) / 2
		}
		return n
	}
	if nf, nc := points(fine), points(coarse); nc == 0 || nc >= nf {
		t.Fatalf("points: %d at 0.05°, %d at 0.25°: want fewer, but some, at the coarser step", nf, nc)
	}
	var minLon, maxLon, minLat, maxLat float32 = 180, -180, 90, -90
	for _, l := range coarse {
		if len(l)%2 != 0 || len(l) < 6 {
			t.Fatalf("a polyline of %d values", len(l))
		}
		for i := 0; i < len(l); i += 2 {
			lon, lat := l[i], l[i+1]
			if lon < -180 || lon > 180 || lat < -90 || lat > 90 {
				t.Fatalf("point %v,%v out of range", lon, lat)
			}
			if r := float64(lon) / 0.25; math.Abs(r-math.Round(r)) > 1e-3 {
				t.Fatalf("longitude %v is not on the 0.25° grid", lon)
			}
			if i > 0 && lon == l[i-2] && lat == l[i-1] {
				t.Fatal("consecutive equal points")
			}
			minLon, maxLon = min(minLon, lon), max(maxLon, lon)
			minLat, maxLat = min(minLat, lat), max(maxLat, lat)
		}
	}
	// From Alaska and Fiji's antimeridian to Chile's south and Greenland's north.
	if minLon > -179 || maxLon < 179 || minLat > -55 || maxLat < 83 {
		t.Errorf("outlines span lon %v..%v, lat %v..%v: not the world", minLon, maxLon, minLat, maxLat)
	}
	// Mexico City (19.43, -99.13) is inside some ring (even-odd over all rings).
	inside := false
	for _, l := range coarse {
		n := len(l) / 2
		for i, j := 0, n-1; i < n; j, i = i, i+1 {
			xi, yi, xj, yj := float64(l[2*i]), float64(l[2*i+1]), float64(l[2*j]), float64(l[2*j+1])
			if (yi > 19.43) != (yj > 19.43) && -99.13 < (xj-xi)*(19.43-yi)/(yj-yi)+xi {
				inside = !inside
			}
		}
	}
	if !inside {
		t.Error("Mexico City is outside the outlines")
	}
	for _, bad := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if _, err := Outlines(bad); err == nil {
			t.Errorf("Outlines(%v): no error", bad)
		}
	}
}
