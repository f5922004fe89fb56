package geo

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"
)

// benchPoints returns n random points for which keep(locate result) holds.
func benchPoints(ix *Index, n int, keep func(country uint16) bool) [][2]float64 {
	r := rand.New(rand.NewPCG(1, 2))
	var pts [][2]float64
	for len(pts) < n {
		// Uniform on the sphere, so that land points are spread like land.
		lat := math.Asin(2*r.Float64()-1) * 180 / math.Pi
		lon := r.Float64()*360 - 180
		if keep(ix.locate(lon+180, lat+90)) {
			pts = append(pts, [2]float64{lat, lon})
		}
	}
	return pts
}

func benchSets(b *testing.B) (*Index, []struct {
	name string
	pts  [][2]float64
}) {
	ix := mustIndex(b)
	var cityPts [][2]float64
	for _, c := range cities {
		cityPts = append(cityPts, [2]float64{c.lat, c.lon})
	}
	return ix, []struct {
		name string
		pts  [][2]float64
	}{
		{"land", benchPoints(ix, 4096, func(c uint16) bool { return c != 0 })},
		{"cities", cityPts},
		{"sea", benchPoints(ix, 4096, func(c uint16) bool { return c == 0 })},
	}
}

// BenchmarkCountry measures lookups over random land points (uniform on
// the sphere), city centres (mostly coastal, where cells hold many edges),
// and sea points (which run the nearest-boundary search).
func BenchmarkCountry(b *testing.B) {
	ix, sets := benchSets(b)
	for _, s := range sets {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(16) // one coordinate pair
			i := 0
			for b.Loop() {
				p := s.pts[i%len(s.pts)]
				_ = ix.Country(p[0], p[1])
				i++
			}
		})
	}
}

// BenchmarkCountryLatency reports the median and 99th percentile of single
// lookups (each timed with time.Now, which adds a few tens of ns).
func BenchmarkCountryLatency(b *testing.B) {
	ix, sets := benchSets(b)
	for _, s := range sets {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			lat := make([]time.Duration, 0, 1<<16)
			i := 0
			for b.Loop() {
				p := s.pts[i%len(s.pts)]
				t0 := time.Now()
				_ = ix.Country(p[0], p[1])
				if len(lat) < cap(lat) {
					lat = append(lat, time.Since(t0))
				}
				i++
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
		})
	}
}

func BenchmarkAppendGeohash(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(16)
	buf := make([]byte, 0, 16)
	i := 0
	for b.Loop() {
		c := cities[i%len(cities)]
		buf = AppendGeohash(buf[:0], c.lat, c.lon, CellPrecision)
		i++
	}
}

// BenchmarkLoad measures Load and reports the heap the Index keeps.
func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(countriesBin)))
	for b.Loop() {
		if _, err := Load(Config{}); err != nil {
			b.Fatal(err)
		}
	}
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	keep, _ := Load(Config{})
	runtime.GC()
	runtime.ReadMemStats(&m1)
	b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/(1<<20), "heap-MiB")
	runtime.KeepAlive(keep)
}
