package geo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"unsafe"
)

var testIndex = sync.OnceValues(func() (*Index, error) { return Load(Config{}) })

func mustIndex(tb testing.TB) *Index {
	tb.Helper()
	ix, err := testIndex()
	if err != nil {
		tb.Fatalf("Load: %v", err)
	}
	return ix
}

type place struct {
	name     string
	lat, lon float64
	want     string
}

// cities are city centres; each is also tested 1 km off in four directions.
var cities = []place{
	{"Tokyo", 35.6895, 139.6917, "JP"},
	{"Jakarta", -6.2088, 106.8456, "ID"},
	{"Mexico City", 19.4326, -99.1332, "MX"},
	{"São Paulo", -23.5505, -46.6333, "BR"},
	{"Rio de Janeiro", -22.9068, -43.1729, "BR"},
	{"San Francisco", 37.7749, -122.4194, "US"},
	{"Lisbon", 38.7223, -9.1393, "PT"},
	{"Rome", 41.9028, 12.4964, "IT"},
	{"Istanbul", 41.0082, 28.9784, "TR"},
	{"Singapore", 1.3521, 103.8198, "SG"},
	{"Hong Kong", 22.3193, 114.1694, "HK"},
	{"Santiago", -33.4489, -70.6693, "CL"},
	{"Manila", 14.5995, 120.9842, "PH"},
	{"Los Angeles", 34.0522, -118.2437, "US"},
	{"Vancouver", 49.2827, -123.1207, "CA"},
	{"Sydney", -33.8688, 151.2093, "AU"},
	{"Lagos", 6.5244, 3.3792, "NG"},
	{"Cairo", 30.0444, 31.2357, "EG"},
	{"Mumbai", 19.0760, 72.8777, "IN"},
	{"Kathmandu", 27.7172, 85.3240, "NP"},
	{"London", 51.5074, -0.1278, "GB"},
	{"Paris", 48.8566, 2.3522, "FR"},
	{"Berlin", 52.5200, 13.4050, "DE"},
	{"Moscow", 55.7558, 37.6173, "RU"},
	{"Beijing", 39.9042, 116.4074, "CN"},
	{"Seoul", 37.5665, 126.9780, "KR"},
	{"Taipei", 25.0330, 121.5654, "TW"},
	{"Bangkok", 13.7563, 100.5018, "TH"},
	{"Nairobi", -1.2921, 36.8219, "KE"},
	{"Johannesburg", -26.2041, 28.0473, "ZA"},
	{"Buenos Aires", -34.6037, -58.3816, "AR"},
	{"Lima", -12.0464, -77.0428, "PE"},
	{"Bogotá", 4.7110, -74.0721, "CO"},
	{"New York", 40.7128, -74.0060, "US"},
	{"Toronto", 43.6532, -79.3832, "CA"},
	{"Auckland", -36.8485, 174.7633, "NZ"},
	{"Reykjavík", 64.1466, -21.9426, "IS"},
	{"Anchorage", 61.2181, -149.9003, "US"},
	{"Honolulu", 21.3069, -157.8583, "US"},
	{"Christchurch", -43.5321, 172.6362, "NZ"},
	{"Port-au-Prince", 18.5944, -72.3074, "HT"},
	{"Tehran", 35.6892, 51.3890, "IR"},
	{"Valparaíso", -33.0472, -71.6127, "CL"},
	{"Padang", -0.9471, 100.4172, "ID"},
	{"L'Aquila", 42.3498, 13.3995, "IT"},
	{"Kyiv", 50.4501, 30.5234, "UA"},
	{"Pristina", 42.6629, 21.1655, "XK"},
	{"Hargeisa", 9.5600, 44.0650, "SO"},
	{"Cayenne", 4.9224, -52.3135, "GF"},
	{"Saint-Denis, Réunion", -20.8823, 55.4504, "RE"},
	{"Longyearbyen", 78.2232, 15.6267, "SJ"},
	{"Flying Fish Cove", -10.4217, 105.6791, "CX"},
	{"Pointe-à-Pitre", 16.2411, -61.5331, "GP"},
	{"Fort-de-France", 14.6161, -61.0588, "MQ"},
	{"Mamoudzou", -12.7806, 45.2278, "YT"},
	{"Kralendijk", 12.1443, -68.2655, "BQ"},
	{"West Island, Cocos", -12.1880, 96.8290, "CC"},
	{"Kaliningrad", 54.7104, 20.4522, "RU"},
	{"Maseru", -29.3151, 27.4869, "LS"},
	{"Monaco", 43.7384, 7.4246, "MC"},
}

func TestCountryCities(t *testing.T) {
	ix := mustIndex(t)
	const d = 0.009 // about 1 km
	for _, c := range cities {
		if got := ix.Country(c.lat, c.lon); got != c.want {
			t.Errorf("%s (%v,%v) = %q, want %q", c.name, c.lat, c.lon, got, c.want)
		}
		if c.want == "MC" {
			continue // smaller than the offsets
		}
		for _, o := range [][2]float64{{d, 0}, {-d, 0}, {0, d}, {0, -d}} {
			lat, lon := c.lat+o[0], c.lon+o[1]
			if got := ix.Country(lat, lon); got != c.want {
				t.Errorf("%s offset (%v,%v) = %q, want %q", c.name, lat, lon, got, c.want)
			}
		}
	}
}

func TestCountryCases(t *testing.T) {
	ix := mustIndex(t)
	nan, inf := math.NaN(), math.Inf(1)
	for _, c := range []place{
		// Borders.
		{"El Paso", 31.8500, -106.4000, "US"},
		{"Ciudad Juárez", 31.6904, -106.4245, "MX"},
		{"San Diego", 32.7157, -117.1611, "US"},
		{"Tijuana", 32.5149, -117.0382, "MX"},
		{"Strasbourg", 48.5734, 7.7521, "FR"},
		{"Kehl", 48.5650, 7.8300, "DE"},
		{"Detroit", 42.3314, -83.0458, "US"},
		{"Windsor", 42.3000, -83.0200, "CA"},
		{"Gaza", 31.5017, 34.4668, "PS"},
		{"Tel Aviv", 32.0853, 34.7818, "IL"},
		// Antimeridian.
		{"Suva", -18.1416, 178.4419, "FJ"},
		{"Taveuni west of 180", -16.85, 179.99, "FJ"},
		{"Taveuni east of 180", -16.85, -179.99, "FJ"},
		{"Anadyr", 64.7337, 177.4968, "RU"},
		{"Lavrentiya", 65.5800, -171.0000, "RU"},
		{"Uelen", 66.1600, -169.8100, "RU"},
		{"Wrangel Island west", 71.25, 179.5, "RU"},
		{"Wrangel Island east", 71.25, -179.5, "RU"},
		{"Attu", 52.90, 172.90, "US"},
		{"Apia", -13.8333, -171.7667, "WS"},
		{"Pago Pago", -14.2756, -170.7020, "AS"},
		{"Nuku'alofa", -21.1394, -175.2046, "TO"},
		{"Tarawa", 1.4518, 172.9717, "KI"},
		// Poles.
		{"North Pole", 90, 0, ""},
		{"North Pole other meridian", 90, 123, ""},
		{"South Pole", -90, 0, "AQ"},
		{"South Pole at 180", -90, 180, "AQ"},
		{"South Pole at -180", -90, -180, "AQ"},
		{"near South Pole", -89.5, 45, "AQ"},
		{"McMurdo", -77.8419, 166.6863, "AQ"},
		// Open ocean.
		{"mid Atlantic", 0, -30, ""},
		{"north Atlantic", 30, -40, ""},
		{"south Pacific", -40, -120, ""},
		{"north Pacific", 45, -150, ""},
		{"Arabian Sea", 15, 65, ""},
		{"Indian Ocean", -30, 80, ""},
		{"antimeridian equator", 0, 180, ""},
		{"antimeridian equator west", 0, -180, ""},
		// Sea close to the coast: snapped.
		{"Copacabana beach", -22.9711, -43.1822, "BR"},
		{"Tokyo Bay", 35.55, 139.85, "JP"},
		{"off Valencia 10 km", 39.47, -0.22, "ES"},
		// Invalid.
		{"null island", 0, 0, ""},
		{"NaN lat", nan, 10, ""},
		{"NaN lon", 10, nan, ""},
		{"Inf", inf, 0, ""},
		{"lat > 90", 91, 0, ""},
		{"lon > 180", 0, 181, ""},
		{"lon < -180", 10, -180.0001, ""},
	} {
		if got := ix.Country(c.lat, c.lon); got != c.want {
			t.Errorf("%s (%v,%v) = %q, want %q", c.name, c.lat, c.lon, got, c.want)
		}
	}
}

// bruteCountry is the obviously correct answer: even-odd over every ring of
// every polygon, then the nearest segment by linear scan.
func bruteCountry(d *dataset, snapKM, lat, lon float64) string {
	if !ValidPoint(lat, lon) {
		return ""
	}
	x, y := lon+180, lat+90
	for _, p := range d.polys {
		var rings [][]pt
		for i := p.ringLo; i < p.ringHi; i++ {
			rings = append(rings, d.ring(i))
		}
		if pointInRings(rings, x, y) {
			return d.codes[p.country]
		}
	}
	if snapKM <= 0 {
		return ""
	}
	cosLat := math.Cos(lat * math.Pi / 180)
	best, code := snapKM*snapKM, ""
	for _, p := range d.polys {
		for i := p.ringLo; i < p.ringHi; i++ {
			ring := d.ring(i)
			a := ring[len(ring)-1]
			for _, c := range ring {
				if !onAntimeridian(a, c) {
					ax := wrapLon(float64(float32(a.x)) - x)
					bx := ax + float64(float32(c.x)) - float64(float32(a.x))
					ax, bx = ax*cosLat*kmPerDeg, bx*cosLat*kmPerDeg
					ay, by := (float64(float32(a.y))-y)*kmPerDeg, (float64(float32(c.y))-y)*kmPerDeg
					if dd := dist2Origin(ax, ay, bx, by); dd < best {
						best, code = dd, d.codes[p.country]
					}
				}
				a = c
			}
		}
	}
	return code
}

func TestCountryMatchesBruteForce(t *testing.T) {
	ix := mustIndex(t)
	d, err := parseData(countriesBin)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 11))
	n := 700
	if testing.Short() {
		n = 100
	}
	// Uniform points, and points near vertices (where the edges are).
	var pts [][2]float64
	for range n {
		pts = append(pts, [2]float64{r.Float64()*180 - 90, r.Float64()*360 - 180})
		q := d.pts[r.IntN(len(d.pts))]
		pts = append(pts, [2]float64{q.y - 90 + (r.Float64()-0.5)*0.02, q.x - 180 + (r.Float64()-0.5)*0.02})
		// 5–40 km off a vertex: exercises the sea snap.
		dist, ang := (5+35*r.Float64())/kmPerDeg, r.Float64()*2*math.Pi
		pts = append(pts, [2]float64{q.y - 90 + dist*math.Sin(ang), q.x - 180 + dist*math.Cos(ang)})
	}
	mismatch := 0
	for _, p := range pts {
		lat, lon := min(max(p[0], -90), 90), p[1]
		if lon > 180 || lon < -180 {
			continue
		}
		got, want := ix.Country(lat, lon), bruteCountry(d, DefaultSeaSnapKM, lat, lon)
		if got != want {
			mismatch++
			if mismatch <= 10 {
				t.Errorf("Country(%v, %v) = %q, brute force says %q", lat, lon, got, want)
			}
		}
	}
	if mismatch > 0 {
		t.Errorf("%d of %d points differ", mismatch, len(pts))
	}
}

func TestSeaSnap(t *testing.T) {
	byKM := map[float64]*Index{}
	// Points in the sea, in no polygon, at a known distance from the coast.
	for _, c := range []struct {
		name     string
		snapKM   float64
		lat, lon float64
		want     string
	}{
		{"Valencia 10 km out, default", 0, 39.47, -0.22, "ES"},
		{"Valencia 10 km out, 5 km", 5, 39.47, -0.22, ""},
		{"Valencia 10 km out, off", -1, 39.47, -0.22, ""},
		{"Valencia 10 km out, 200 km", 200, 39.47, -0.22, "ES"},
		{"Bay of Biscay 100 km out, default", 0, 44.5, -3.5, ""},
		{"Bay of Biscay 120 km off Spain, 200 km", 200, 44.5, -3.5, "ES"},
		{"Gulf of Anadyr east of 180", 0, 65.5, -179.0, "RU"},
		{"off Provideniya", 0, 64.2, -173.0, "RU"},
		{"Taveuni sea east of 180", 0, -16.7, -179.7, "FJ"},
	} {
		ix, ok := byKM[c.snapKM]
		if !ok {
			var err error
			if ix, err = Load(Config{SeaSnapKM: c.snapKM}); err != nil {
				t.Fatal(err)
			}
			byKM[c.snapKM] = ix
		}
		if ix.locate(c.lon+180, c.lat+90) != 0 {
			t.Errorf("%s: (%v,%v) is on land; pick a point in the sea", c.name, c.lat, c.lon)
		}
		if got, snapped := ix.Lookup(c.lat, c.lon); got != c.want || snapped != (c.want != "") {
			t.Errorf("%s: Lookup(%v,%v) = %q, %v; want %q, %v", c.name, c.lat, c.lon, got, snapped, c.want, c.want != "")
		}
	}
	ix := mustIndex(t)
	if code, snapped := ix.Lookup(35.6895, 139.6917); code != "JP" || snapped {
		t.Errorf("Lookup(Tokyo) = %q, %v; want JP, false", code, snapped)
	}
}

func TestConfig(t *testing.T) {
	for _, c := range []struct {
		in, want float64
		ok       bool
	}{
		{0, 25, true},
		{10, 10, true},
		{200, 200, true},
		{-1, -1, true},
		{200.5, 0, false},
		{math.NaN(), 0, false},
		{math.Inf(1), 0, false},
	} {
		cfg := Config{SeaSnapKM: c.in}
		cfg.setDefaults()
		err := cfg.validate()
		if (err == nil) != c.ok {
			t.Errorf("SeaSnapKM %v: err = %v, want ok=%v", c.in, err, c.ok)
		}
		if c.ok && cfg.SeaSnapKM != c.want {
			t.Errorf("SeaSnapKM %v: defaulted to %v, want %v", c.in, cfg.SeaSnapKM, c.want)
		}
	}
	if _, err := Load(Config{SeaSnapKM: 500}); err == nil {
		t.Error("Load accepted SeaSnapKM 500")
	}
}

func TestValidPoint(t *testing.T) {
	for _, c := range []struct {
		lat, lon float64
		want     bool
	}{
		{0, 0, false},
		{0, 1e-9, true},
		{90, 180, true},
		{-90, -180, true},
		{90.0001, 0, false},
		{0, -180.0001, false},
		{math.NaN(), 1, false},
		{1, math.NaN(), false},
		{math.Inf(-1), 1, false},
		{1, math.Inf(1), false},
	} {
		if got := ValidPoint(c.lat, c.lon); got != c.want {
			t.Errorf("ValidPoint(%v, %v) = %v, want %v", c.lat, c.lon, got, c.want)
		}
	}
}

func TestEmbeddedData(t *testing.T) {
	d, err := parseData(countriesBin)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, c := range d.codes {
		if len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
			t.Errorf("country %d (%s): code %q", i, d.names[i], c)
		}
		seen[c] = true
	}
	for _, c := range []string{"US", "XK", "GF", "RE", "SJ", "CX", "CC", "BQ", "AQ", "HK", "MO", "TW", "PS", "EH"} {
		if !seen[c] {
			t.Errorf("no polygon for %s", c)
		}
	}
	if len(d.codes) < 240 || len(d.polys) < 1500 {
		t.Errorf("%d countries, %d polygons: data file looks incomplete", len(d.codes), len(d.polys))
	}
}

func TestParseDataCorrupt(t *testing.T) {
	for n := 0; n < len(countriesBin); n += 1 + n/3 {
		if _, err := parseData(countriesBin[:n]); err == nil {
			t.Errorf("parseData accepted %d of %d bytes", n, len(countriesBin))
		}
	}
	bad := append([]byte(nil), countriesBin...)
	bad[4] = 9
	if _, err := parseData(bad); err == nil {
		t.Error("parseData accepted version 9")
	}
	if _, err := parseData(append(append([]byte(nil), countriesBin...), 0)); err == nil {
		t.Error("parseData accepted trailing bytes")
	}
}

func TestCountryNoAllocsConcurrent(t *testing.T) {
	ix := mustIndex(t)
	if a := testing.AllocsPerRun(100, func() {
		_ = ix.Country(-22.9711, -43.1822) // snapped
		_ = ix.Country(35.6895, 139.6917)
	}); a != 0 {
		t.Errorf("Country allocates %v times per call", a)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 2000 {
				c := cities[(i+g)%len(cities)]
				if got := ix.Country(c.lat, c.lon); got != c.want {
					t.Errorf("concurrent Country(%s) = %q", c.name, got)
					return
				}
			}
		})
	}
	wg.Wait()
}

func FuzzCountry(f *testing.F) {
	for _, c := range cities {
		f.Add(c.lat, c.lon)
	}
	f.Add(90.0, 180.0)
	f.Add(-90.0, -180.0)
	f.Add(math.NaN(), 0.0)
	f.Add(0.0, math.Inf(-1))
	ix := mustIndex(f)
	f.Fuzz(func(t *testing.T, lat, lon float64) {
		got := ix.Country(lat, lon)
		if got != "" && (len(got) != 2 || !ValidPoint(lat, lon)) {
			t.Fatalf("Country(%v, %v) = %q", lat, lon, got)
		}
	})
}

func FuzzParseData(f *testing.F) {
	f.Add(countriesBin[:200])
	f.Add([]byte("EGEO\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := parseData(b)
		if err == nil && len(d.rings) == 0 {
			t.Fatal("nil error without rings")
		}
		if err == nil {
			build(d, Config{SeaSnapKM: 25}).Country(10, 10)
		}
	})
}

// TestCacheKeepsCopies: the cache's keys do not point into the strings it
// was given (a post's strings share one block, which they would keep
// alive), whether put or promoted from the older generation.
func TestCacheKeepsCopies(t *testing.T) {
	block := "Guadalajara, Jalisco" + strings.Repeat(" ", 4096)
	s := block[:20]
	inBlock := func(k string) bool {
		p, lo := uintptr(unsafe.Pointer(unsafe.StringData(k))), uintptr(unsafe.Pointer(unsafe.StringData(block)))
		return p >= lo && p < lo+uintptr(len(block))
	}
	c := newCache(cacheShards * 2) // one entry per generation and shard
	sh := c.shard(s)
	check := func(when string, gen map[string]Match) {
		t.Helper()
		for k := range gen {
			if k == s && !inBlock(k) {
				return
			}
		}
		t.Errorf("%s: %q not cached, or its key points into the string it was given", when, s)
	}
	c.put(s, Match{Level: LevelCity})
	check("after put", sh.cur)
	for i := 0; ; i++ { // another key of the shard moves s to the older generation
		if k := fmt.Sprintf("other %d", i); c.shard(k) == sh {
			c.put(k, Match{})
			break
		}
	}
	check("in the older generation", sh.old)
	if m, ok := c.get(s); !ok || m.Level != LevelCity {
		t.Fatalf("get from the older generation: %+v, %v", m, ok)
	}
	check("after promotion", sh.cur)
}
