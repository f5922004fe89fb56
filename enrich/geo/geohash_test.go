package geo

import (
	"math"
	"strings"
	"testing"
)

func TestGeohashKnown(t *testing.T) {
	for _, c := range []struct {
		lat, lon float64
		want     string
	}{
		{57.64911, 10.40744, "u4pruydqqvj"},
		{42.605, -5.603, "ezs42"},
		{-25.382708, -49.265506, "6gkzwgjzn820"},
		{0, 0, "s0000"},
		{-90, -180, "00000"},
		{90, 180, "zzzzz"},
		{19.4326, -99.1332, "9g3w8"},
	} {
		if got := Geohash(c.lat, c.lon, len(c.want)); got != c.want {
			t.Errorf("Geohash(%v, %v, %d) = %q, want %q", c.lat, c.lon, len(c.want), got, c.want)
		}
	}
}

func TestGeohashEdgeCases(t *testing.T) {
	for _, c := range []struct {
		lat, lon  float64
		precision int
		want      string
	}{
		{57.64911, 10.40744, 0, "u"},
		{57.64911, 10.40744, -3, "u"},
		{math.NaN(), 10, 5, ""},
		{10, math.Inf(1), 5, ""},
		{91, 0, 5, ""},
		{0, -181, 5, ""},
	} {
		if got := Geohash(c.lat, c.lon, c.precision); got != c.want {
			t.Errorf("Geohash(%v, %v, %d) = %q, want %q", c.lat, c.lon, c.precision, got, c.want)
		}
	}
	if got := Geohash(57.64911, 10.40744, 40); len(got) != MaxGeohashPrecision || !strings.HasPrefix(got, "u4pruydqqvj") {
		t.Errorf("precision 40 = %q, want 12 characters starting u4pruydqqvj", got)
	}
	dst := []byte("cell=")
	if got := string(AppendGeohash(dst, 57.64911, 10.40744, 5)); got != "cell=u4pru" {
		t.Errorf("AppendGeohash = %q", got)
	}
	buf := make([]byte, 0, 16)
	if a := testing.AllocsPerRun(100, func() { buf = AppendGeohash(buf[:0], 35.6895, 139.6917, CellPrecision) }); a != 0 {
		t.Errorf("AppendGeohash allocates %v times", a)
	}
}

func TestDecodeGeohash(t *testing.T) {
	b, err := DecodeGeohash("ezs42")
	if err != nil {
		t.Fatal(err)
	}
	if lat, lon := b.Center(); math.Abs(lat-42.605) > 0.03 || math.Abs(lon-(-5.603)) > 0.03 {
		t.Errorf("ezs42 centre = %v, %v", lat, lon)
	}
	if b2, err := DecodeGeohash("EZS42"); err != nil || b2 != b {
		t.Errorf("upper case: %v, %v", b2, err)
	}
	for _, bad := range []string{"", "ezs4a", "u4pruydqqvjwx", "ezs4 ", "é"} {
		if _, err := DecodeGeohash(bad); err == nil {
			t.Errorf("DecodeGeohash(%q) accepted", bad)
		}
	}
}

func TestGeohashHierarchy(t *testing.T) {
	// The property dashboards rely on: a cell at precision p-1 is the
	// prefix of the cell at p, and every cell contains its point.
	for _, c := range cities {
		full := Geohash(c.lat, c.lon, MaxGeohashPrecision)
		for p := 1; p <= MaxGeohashPrecision; p++ {
			h := Geohash(c.lat, c.lon, p)
			if !strings.HasPrefix(full, h) {
				t.Errorf("%s: precision %d %q is not a prefix of %q", c.name, p, h, full)
			}
			b, err := DecodeGeohash(h)
			if err != nil {
				t.Fatal(err)
			}
			if c.lat < b.MinLat || c.lat > b.MaxLat || c.lon < b.MinLon || c.lon > b.MaxLon {
				t.Errorf("%s: %q = %+v does not contain the point", c.name, h, b)
			}
		}
	}
}

func FuzzGeohash(f *testing.F) {
	f.Add(57.64911, 10.40744, 11)
	f.Add(-90.0, 180.0, 5)
	f.Add(math.NaN(), 0.0, 3)
	f.Fuzz(func(t *testing.T, lat, lon float64, p int) {
		h := Geohash(lat, lon, p)
		if !(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) {
			if h != "" {
				t.Fatalf("Geohash(%v, %v) = %q for invalid input", lat, lon, h)
			}
			return
		}
		b, err := DecodeGeohash(h)
		if err != nil {
			t.Fatalf("DecodeGeohash(%q): %v", h, err)
		}
		if lat < b.MinLat || lat > b.MaxLat || lon < b.MinLon || lon > b.MaxLon {
			t.Fatalf("%q = %+v does not contain %v, %v", h, b, lat, lon)
		}
	})
}
