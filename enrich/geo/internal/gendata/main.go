// Command gendata builds enrich/geo/data/countries.bin and
// enrich/geo/data/ATTRIBUTION.md from Natural Earth country shapes.
//
// Run it from anywhere inside the repository:
//
//	go run ./enrich/geo/internal/gendata
//
// It installs the pinned npm packages world-atlas (Natural Earth 1:50m admin-0
// countries as TopoJSON) and i18n-iso-countries (ISO 3166-1 numeric → alpha-2)
// into <repo>/.cache/npm when they are missing, so npm is needed only here:
// earshot itself uses the committed data file.
//
// The output format is documented on encode below; enrich/geo/data.go reads it.
package main

import (
	"bytes"
	"earshot/enrich/geo/internal/npmpkg"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"sort"
)

// Pinned sources. Change a version here, rerun, and commit the new data file.
const (
	worldAtlasVersion = "2.0.2"  // Natural Earth 4.1.0
	isoCountryVersion = "7.14.0" // i18n-iso-countries
	naturalEarthVer   = "4.1.0"
	topoFile          = "countries-50m.json"
)

func main() {
	var (
		root   = flag.String("root", "", "repository root (default: the directory holding go.mod, searched upwards)")
		outDir = flag.String("out", "", "output directory (default: <root>/enrich/geo/data)")
	)
	flag.Parse()
	if err := run(*root, *outDir); err != nil {
		log.Fatal(err)
	}
}

func run(root, outDir string) error {
	if root == "" {
		var err error
		if root, err = npmpkg.FindRoot(); err != nil {
			return err
		}
	}
	if outDir == "" {
		outDir = filepath.Join(root, "enrich", "geo", "data")
	}
	npmDir := filepath.Join(root, ".cache", "npm")
	if err := npmpkg.Ensure(npmDir, map[string]string{"world-atlas": worldAtlasVersion, "i18n-iso-countries": isoCountryVersion}); err != nil {
		return err
	}
	mods := filepath.Join(npmDir, "node_modules")
	topoJSON, err := os.ReadFile(filepath.Join(mods, "world-atlas", topoFile))
	if err != nil {
		return fmt.Errorf("cannot read topology: %w", err)
	}
	codesJSON, err := os.ReadFile(filepath.Join(mods, "i18n-iso-countries", "codes.json"))
	if err != nil {
		return fmt.Errorf("cannot read ISO codes: %w", err)
	}
	numToA2, err := parseISOCodes(codesJSON)
	if err != nil {
		return err
	}
	ds, err := convert(topoJSON, numToA2)
	if err != nil {
		return err
	}
	bin := ds.encode()
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return fmt.Errorf("cannot create output directory: %w", err)
	}
	if err := os.WriteFile(filepath.Join(outDir, "countries.bin"), bin, 0o644); err != nil {
		return fmt.Errorf("cannot write data: %w", err)
	}
	if err := os.WriteFile(filepath.Join(outDir, "ATTRIBUTION.md"), []byte(attribution), 0o644); err != nil {
		return fmt.Errorf("cannot write attribution: %w", err)
	}
	npts := 0
	for _, p := range ds.polys {
		for _, r := range p.rings {
			npts += len(r)
		}
	}
	log.Printf("wrote %d bytes: %d countries, %d polygons, %d ring points", len(bin), len(ds.countries), len(ds.polys), npts)
	return nil
}

// parseISOCodes reads i18n-iso-countries' codes.json: [[alpha2, alpha3, numeric, ...], ...].
func parseISOCodes(b []byte) (map[string]string, error) {
	var rows [][]string
	if err := json.Unmarshal(b, &rows); err != nil {
		return nil, fmt.Errorf("cannot parse ISO codes: %w", err)
	}
	m := make(map[string]string, len(rows))
	for _, r := range rows {
		if len(r) < 3 || len(r[0]) != 2 || len(r[2]) != 3 {
			return nil, fmt.Errorf("cannot parse ISO codes: bad row %q", r)
		}
		m[r[2]] = r[0]
	}
	return m, nil
}

// unnamed gives a code to Natural Earth features that have no ISO 3166-1
// numeric id. The rule: the ISO code of the state that administers the area,
// except Kosovo, which gets the user-assigned XK that the EU, CLDR and the
// large social networks use.
var unnamed = map[string]string{
	"Kosovo":          "XK",
	"Somaliland":      "SO", // administered de facto by Somaliland, no ISO code: the recognised state
	"N. Cyprus":       "CY", // likewise
	"Siachen Glacier": "IN", // administered by India
	// "Indian Ocean Ter." is split per polygon by overseas below.
}

// overseas splits multi-part countries whose parts have their own ISO 3166-1
// codes, as posts' place data does (a post from Réunion says RE, not FR).
// A polygon whose bounding-box centre lies in box is recoded.
var overseas = []struct {
	from, to, name         string
	minLon, minLat, maxLon float64
	maxLat                 float64
}{
	{"FR", "GF", "French Guiana", -55, 2, -51, 6.5},
	{"FR", "GP", "Guadeloupe", -62, 15.8, -60.9, 16.6},
	{"FR", "MQ", "Martinique", -61.3, 14.3, -60.7, 15},
	{"FR", "RE", "Réunion", 55, -21.5, 56, -20.8},
	{"FR", "YT", "Mayotte", 44.9, -13.1, 45.4, -12.5},
	{"NO", "SJ", "Svalbard and Jan Mayen", 10, 74, 35, 81},         // Svalbard
	{"NO", "SJ", "Svalbard and Jan Mayen", -9.5, 70.5, -7.5, 71.5}, // Jan Mayen
	{"NL", "BQ", "Bonaire, Sint Eustatius and Saba", -69, 11.9, -62.8, 17.8},
	{"", "CX", "Christmas Island", 105, -11, 106, -10},
	{"", "CC", "Cocos (Keeling) Islands", 96, -12.5, 97.5, -11.5},
}

type dataset struct {
	scale, translate [2]float64
	countries        []country
	polys            []poly
}

type country struct {
	code string // "" or two upper-case letters
	name string
}

type poly struct {
	country int
	rings   [][][2]int32 // quantized x,y; first ring outer, the rest holes; not closed
}

type topology struct {
	Type      string
	Transform *struct {
		Scale     [2]float64
		Translate [2]float64
	}
	Arcs    [][][2]int64
	Objects struct {
		Countries struct {
			Geometries []struct {
				Type       string
				ID         string
				Arcs       json.RawMessage
				Properties struct{ Name string }
			}
		}
	}
}

func convert(b []byte, numToA2 map[string]string) (*dataset, error) {
	var t topology
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("cannot parse topology: %w", err)
	}
	if t.Type != "Topology" || t.Transform == nil {
		return nil, errors.New("cannot use topology: not a quantized TopoJSON Topology")
	}
	// Decode delta-encoded arcs into absolute quantized positions.
	arcs := make([][][2]int32, len(t.Arcs))
	for i, a := range t.Arcs {
		var x, y int64
		out := make([][2]int32, len(a))
		for j, p := range a {
			x += p[0]
			y += p[1]
			out[j] = [2]int32{int32(x), int32(y)}
		}
		arcs[i] = out
	}
	// world-atlas writes longitude +180 as -180 (quantized x = 0); the
	// quantized +180 is the last step of the grid.
	xMax := int32(math.Round(360 / t.Transform.Scale[0]))
	if t.Transform.Translate[0] != -180 || math.Abs(float64(xMax)*t.Transform.Scale[0]-360) > 1e-9 {
		return nil, fmt.Errorf("cannot use topology: x transform %v, %v does not span -180..180", t.Transform.Scale[0], t.Transform.Translate[0])
	}
	ring := func(refs []int) ([][2]int32, error) {
		var r [][2]int32
		for k, ref := range refs {
			idx := ref
			rev := ref < 0
			if rev {
				idx = ^ref
			}
			if idx < 0 || idx >= len(arcs) {
				return nil, fmt.Errorf("arc %d out of range", ref)
			}
			a := arcs[idx]
			for j := range a {
				p := a[j]
				if rev {
					p = a[len(a)-1-j]
				}
				if k > 0 && j == 0 {
					continue // shared with the previous arc's last point
				}
				r = append(r, p)
			}
		}
		if len(r) > 1 && r[0] == r[len(r)-1] {
			r = r[:len(r)-1]
		}
		if len(r) < 3 {
			return nil, errors.New("ring with fewer than 3 points")
		}
		return fixAntimeridian(r, xMax)
	}
	ds := &dataset{scale: t.Transform.Scale, translate: t.Transform.Translate}
	cidx := map[string]int{}
	countryIndex := func(code, name string) int {
		key := code
		if code == "" {
			key = "?" + name
		}
		if i, ok := cidx[key]; ok {
			return i
		}
		cidx[key] = len(ds.countries)
		ds.countries = append(ds.countries, country{code: code, name: name})
		return len(ds.countries) - 1
	}
	for _, g := range t.Objects.Countries.Geometries {
		var polys [][][]int
		switch g.Type {
		case "Polygon":
			var p [][]int
			if err := json.Unmarshal(g.Arcs, &p); err != nil {
				return nil, fmt.Errorf("cannot parse %s: %w", g.Properties.Name, err)
			}
			polys = [][][]int{p}
		case "MultiPolygon":
			if err := json.Unmarshal(g.Arcs, &polys); err != nil {
				return nil, fmt.Errorf("cannot parse %s: %w", g.Properties.Name, err)
			}
		default:
			continue
		}
		code, name := "", g.Properties.Name
		if g.ID != "" {
			code = numToA2[g.ID]
			if code == "" {
				return nil, fmt.Errorf("no alpha-2 code for ISO numeric %q (%s)", g.ID, name)
			}
		} else {
			code = unnamed[name]
		}
		for _, pr := range polys {
			var p poly
			for _, refs := range pr {
				r, err := ring(refs)
				if err != nil {
					return nil, fmt.Errorf("cannot build %s: %w", name, err)
				}
				p.rings = append(p.rings, r)
			}
			if len(p.rings) == 0 {
				continue
			}
			pcode, pname := code, name
			lon, lat := ds.bboxCentre(p.rings[0])
			if c, n, ok := recode(code, lon, lat); ok {
				pcode, pname = c, n
			}
			p.country = countryIndex(pcode, pname)
			ds.polys = append(ds.polys, p)
		}
	}
	// Stable country order by code (unnamed last) keeps diffs of the data file small.
	order := make([]int, len(ds.countries))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		ca, cb := ds.countries[order[a]], ds.countries[order[b]]
		if (ca.code == "") != (cb.code == "") {
			return ca.code != ""
		}
		if ca.code != cb.code {
			return ca.code < cb.code
		}
		return ca.name < cb.name
	})
	remap := make([]int, len(order))
	sorted := make([]country, len(order))
	for newIdx, old := range order {
		remap[old] = newIdx
		sorted[newIdx] = ds.countries[old]
	}
	ds.countries = sorted
	for i := range ds.polys {
		ds.polys[i].country = remap[ds.polys[i].country]
	}
	return ds, nil
}

// fixAntimeridian makes a ring planar in longitude/latitude. world-atlas
// writes longitude +180 as -180 (x = 0): a run of consecutive points at x = 0
// belongs at x = xMax when the points on both sides of the run are near +180.
// When one side is near +180 and the other near -180, the ring crosses the
// antimeridian there; the crossing becomes a detour along the antimeridian
// down to the south edge of the map and back up the other side. For an even
// number of crossings the detours cancel in pairs below the lower crossing
// (even-odd rule), leaving the piece of antimeridian between them as the
// boundary; for an odd number (a ring around the South Pole: Antarctica)
// they close the ring around the pole. Afterwards the only edges longer than
// half the world are the detours' horizontals along y = 0.
func fixAntimeridian(r [][2]int32, xMax int32) ([][2]int32, error) {
	n := len(r)
	start := -1 // a point not at x = 0, to start the walk from
	for i, p := range r {
		if p[0] != 0 {
			start = i
			break
		}
	}
	if start < 0 {
		return nil, errors.New("ring lies on the antimeridian")
	}
	east := func(p [2]int32) bool { return p[0] > xMax/2 }
	var out [][2]int32
	for k := 0; k < n; {
		i := (start + k) % n
		if r[i][0] != 0 {
			out = append(out, r[i])
			k++
			continue
		}
		j := k
		for j < n && r[(start+j)%n][0] == 0 {
			j++
		}
		prev := r[(start+k-1+n)%n]
		next := r[(start+j)%n]
		yLast := r[(start+j-1)%n][1]
		pe, ne := east(prev), east(next)
		for m := k; m < j; m++ {
			p := r[(start+m)%n]
			if pe {
				p[0] = xMax
			}
			out = append(out, p)
		}
		switch {
		case pe && !ne:
			out = append(out, [2]int32{xMax, 0}, [2]int32{0, 0}, [2]int32{0, yLast})
		case !pe && ne:
			out = append(out, [2]int32{0, 0}, [2]int32{xMax, 0}, [2]int32{xMax, yLast})
		}
		k = j
	}
	for i := range out {
		a, b := out[i], out[(i+1)%len(out)]
		if d := a[0] - b[0]; d > xMax/2 || -d > xMax/2 {
			if a[1] == 0 && b[1] == 0 && (a[0] == 0 || a[0] == xMax) && (b[0] == 0 || b[0] == xMax) {
				continue
			}
			return nil, fmt.Errorf("edge from x %d to %d spans the world", a[0], b[0])
		}
	}
	return out, nil
}

func (ds *dataset) bboxCentre(r [][2]int32) (lon, lat float64) {
	minX, minY, maxX, maxY := int32(math.MaxInt32), int32(math.MaxInt32), int32(math.MinInt32), int32(math.MinInt32)
	for _, p := range r {
		minX, maxX = min(minX, p[0]), max(maxX, p[0])
		minY, maxY = min(minY, p[1]), max(maxY, p[1])
	}
	cx := float64(minX+maxX) / 2
	cy := float64(minY+maxY) / 2
	return cx*ds.scale[0] + ds.translate[0], cy*ds.scale[1] + ds.translate[1]
}

// recode returns the overseas code for a polygon of country code centred at lon, lat.
func recode(code string, lon, lat float64) (string, string, bool) {
	for _, o := range overseas {
		if o.from == code && lon >= o.minLon && lon <= o.maxLon && lat >= o.minLat && lat <= o.maxLat {
			return o.to, o.name, true
		}
	}
	return "", "", false
}

// encode writes the format read by enrich/geo/data.go:
//
//	"EGEO" u8(version=1)
//	f64 scaleX, scaleY, translateX, translateY   (little endian)
//	uvarint nCountries, then per country: 2 bytes code ("\0\0" = none), uvarint len, name
//	uvarint nPolygons, then per polygon: uvarint country, uvarint nRings,
//	  per ring: uvarint nPoints, then nPoints × (zigzag varint dx, dy) from the previous point
//	  (the first from 0,0); rings are not closed, the first is the outer ring.
func (ds *dataset) encode() []byte {
	var buf bytes.Buffer
	buf.WriteString("EGEO")
	buf.WriteByte(1)
	var f [8]byte
	for _, v := range []float64{ds.scale[0], ds.scale[1], ds.translate[0], ds.translate[1]} {
		binary.LittleEndian.PutUint64(f[:], math.Float64bits(v))
		buf.Write(f[:])
	}
	var vb [binary.MaxVarintLen64]byte
	uv := func(v uint64) { buf.Write(vb[:binary.PutUvarint(vb[:], v)]) }
	sv := func(v int64) { buf.Write(vb[:binary.PutVarint(vb[:], v)]) }
	uv(uint64(len(ds.countries)))
	for _, c := range ds.countries {
		if c.code == "" {
			buf.Write([]byte{0, 0})
		} else {
			buf.WriteString(c.code)
		}
		uv(uint64(len(c.name)))
		buf.WriteString(c.name)
	}
	uv(uint64(len(ds.polys)))
	for _, p := range ds.polys {
		uv(uint64(p.country))
		uv(uint64(len(p.rings)))
		for _, r := range p.rings {
			uv(uint64(len(r)))
			var px, py int32
			for _, pt := range r {
				sv(int64(pt[0] - px))
				sv(int64(pt[1] - py))
				px, py = pt[0], pt[1]
			}
		}
	}
	return buf.Bytes()
}

var attribution = `# Data attribution

` + "`countries.bin`" + ` is generated by ` + "`go run ./enrich/geo/internal/gendata`" + ` from:

- **Natural Earth** ` + naturalEarthVer + `, Admin 0 – Countries, 1:50m (medium scale).
  Public domain: "No permission is needed to use Natural Earth. Crediting the authors is
  unnecessary." — https://www.naturalearthdata.com/about/terms-of-use/
  Made with Natural Earth. Free vector and raster map data @ naturalearthdata.com.
- **world-atlas** ` + worldAtlasVersion + ` (npm), file ` + "`" + topoFile + "`" + `: Natural Earth converted to TopoJSON
  (quantized to 10⁵ steps per axis). ISC licence, Copyright 2013-2019 Michael Bostock.
- **i18n-iso-countries** ` + isoCountryVersion + ` (npm), ` + "`codes.json`" + `: ISO 3166-1 numeric → alpha-2 table.
  MIT licence. Used only by the generator; no part of it is in the data file except the codes.

Boundaries are Natural Earth's de facto view and are not an endorsement of any claim.
Features without an ISO 3166-1 numeric id get: Kosovo XK (user-assigned code in common use),
Somaliland SO, N. Cyprus CY, Siachen Glacier IN, Indian Ocean Ter. split into CX and CC.
Overseas parts of France (GF, GP, MQ, RE, YT), Norway (SJ) and the Netherlands (BQ) are recoded
to their own ISO 3166-1 codes.

ISC licence of world-atlas:

    Copyright 2013-2019 Michael Bostock

    Permission to use, copy, modify, and/or distribute this software for any purpose
    with or without fee is hereby granted, provided that the above copyright notice
    and this permission notice appear in all copies.

    THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES WITH
    REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF MERCHANTABILITY AND
    FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR ANY SPECIAL, DIRECT,
    INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES WHATSOEVER RESULTING FROM LOSS
    OF USE, DATA OR PROFITS, WHETHER IN AN ACTION OF CONTRACT, NEGLIGENCE OR OTHER
    TORTIOUS ACTION, ARISING OUT OF OR IN CONNECTION WITH THE USE OR PERFORMANCE OF
    THIS SOFTWARE.
`
