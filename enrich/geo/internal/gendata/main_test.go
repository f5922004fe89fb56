package main

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestParseISOCodes(t *testing.T) {
	m, err := parseISOCodes([]byte(`[["BR","BRA","076","ISO 3166-2:BR"],["XK","XKX","983"],["AQ","ATA","010"]]`))
	if err != nil {
		t.Fatal(err)
	}
	for num, want := range map[string]string{"076": "BR", "010": "AQ", "983": "XK"} {
		if m[num] != want {
			t.Errorf("%s -> %q, want %q", num, m[num], want)
		}
	}
	for _, bad := range []string{`{}`, `[["BRA","BRA","076"]]`, `[["BR","BRA","76"]]`, `[["BR"]]`} {
		if _, err := parseISOCodes([]byte(bad)); err == nil {
			t.Errorf("parseISOCodes(%s) accepted", bad)
		}
	}
}

func TestRecode(t *testing.T) {
	for _, c := range []struct {
		code     string
		lon, lat float64
		want     string
	}{
		{"FR", -53, 4, "GF"},
		{"FR", 2.35, 48.86, ""},
		{"FR", 55.5, -21.1, "RE"},
		{"NO", 16, 78, "SJ"},
		{"NO", -8.5, 71, "SJ"},
		{"NO", 25.8, 71, ""}, // Magerøya, by Nordkapp: mainland Norway
		{"NL", -68.3, 12.2, "BQ"},
		{"NL", 4.9, 52.4, ""},
		{"", 105.6, -10.5, "CX"},
		{"", 96.85, -12.15, "CC"},
		{"AU", 105.6, -10.5, ""},
	} {
		got, _, ok := recode(c.code, c.lon, c.lat)
		if ok != (c.want != "") || got != c.want {
			t.Errorf("recode(%q, %v, %v) = %q, %v; want %q", c.code, c.lon, c.lat, got, ok, c.want)
		}
	}
}

func TestFixAntimeridian(t *testing.T) {
	const M = 1000 // xMax
	type ring = [][2]int32
	for _, c := range []struct {
		name string
		in   ring
		want ring
		err  bool
	}{
		{"no antimeridian", ring{{10, 10}, {20, 10}, {20, 20}}, ring{{10, 10}, {20, 10}, {20, 20}}, false},
		{"west side stays", ring{{0, 10}, {5, 10}, {5, 20}, {0, 20}}, ring{{5, 10}, {5, 20}, {0, 20}, {0, 10}}, false},
		{"east side moves", ring{{0, 10}, {990, 20}, {990, 10}, {0, 5}}, ring{{990, 20}, {990, 10}, {M, 5}, {M, 10}}, false},
		{"crossing east to west", ring{{990, 10}, {0, 12}, {5, 14}, {0, 16}, {995, 18}},
			ring{{990, 10}, {M, 12}, {M, 0}, {0, 0}, {0, 12}, {5, 14}, {0, 16}, {0, 0}, {M, 0}, {M, 16}, {995, 18}}, false},
		{"all on the antimeridian", ring{{0, 1}, {0, 2}, {0, 3}}, nil, true},
		{"edge spans the world", ring{{10, 10}, {990, 10}, {990, 20}}, nil, true},
	} {
		got, err := fixAntimeridian(c.in, M)
		if (err != nil) != c.err {
			t.Errorf("%s: err = %v", c.name, err)
			continue
		}
		if !c.err && !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %v\nwant %v", c.name, got, c.want)
		}
	}
}

// A 3×3 world: x and y from 0 to 99999 steps.
const tinyTopo = `{"type":"Topology",
 "transform":{"scale":[0.0036000360003600037,0.0018000180001800019],"translate":[-180,-90]},
 "objects":{"countries":{"type":"GeometryCollection","geometries":[
  {"type":"Polygon","arcs":[[0]],"id":"076","properties":{"name":"Brazil"}},
  {"type":"MultiPolygon","arcs":[[[1]],[[-3]]],"properties":{"name":"Kosovo"}},
  {"type":"Polygon","arcs":[[2]],"id":"999","properties":{"name":"Nowhere"}}
 ]}},
 "arcs":[[[100,100],[10,0],[0,10],[-10,0],[0,-10]],
         [[200,200],[10,0],[0,10],[-10,0],[0,-10]],
         [[300,300],[0,10],[10,0],[0,-10],[-10,0]]]}`

func TestConvert(t *testing.T) {
	codes := map[string]string{"076": "BR"}
	if _, err := convert([]byte(tinyTopo), codes); err == nil || !strings.Contains(err.Error(), "999") {
		t.Fatalf("unknown numeric id: err = %v", err)
	}
	codes["999"] = "ZZ"
	ds, err := convert([]byte(tinyTopo), codes)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range ds.countries {
		got = append(got, c.code)
	}
	if want := []string{"BR", "XK", "ZZ"}; !reflect.DeepEqual(got, want) {
		t.Errorf("countries %v, want %v", got, want)
	}
	if len(ds.polys) != 4 {
		t.Fatalf("%d polygons, want 4", len(ds.polys))
	}
	// Arc 2 reversed, as Kosovo's second polygon uses it.
	if r, want := ds.polys[2].rings[0], [][2]int32{{300, 300}, {310, 300}, {310, 310}, {300, 310}}; !reflect.DeepEqual(r, want) {
		t.Errorf("reversed ring %v, want %v", r, want)
	}
	if b := ds.encode(); !bytes.HasPrefix(b, []byte("EGEO\x01")) {
		t.Errorf("encode header %q", b[:5])
	}
}
