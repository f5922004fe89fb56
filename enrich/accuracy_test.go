package enrich

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"earshot/enrich/geo"
	"earshot/stream/post"
)

var testEnricher = sync.OnceValues(func() (*Enricher, error) { return New(Config{}) })

func mustEnricher(tb testing.TB) *Enricher {
	tb.Helper()
	e, err := testEnricher()
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return e
}

type labelled struct {
	line     int
	text, cc string
	names    []string // acceptable place names; nil for country/region level
	lat, lon float64  // for "@lat,lon" labels
	point    bool
}

func readLabelled(tb testing.TB, path string, minRows int) []labelled {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []labelled
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Split(line, "\t")
		if len(fs) != 3 {
			tb.Fatalf("%s:%d: %d fields, want 3", path, n, len(fs))
		}
		l := labelled{line: n, text: fs[0], cc: fs[1]}
		switch {
		case strings.HasPrefix(fs[2], "@"):
			ll := strings.Split(fs[2][1:], ",")
			l.lat, _ = strconv.ParseFloat(ll[0], 64)
			l.lon, _ = strconv.ParseFloat(ll[1], 64)
			l.point = true
		case fs[2] != "":
			l.names = strings.Split(fs[2], "|")
		}
		out = append(out, l)
	}
	if len(out) < minRows {
		tb.Fatalf("%s has %d labelled strings, want at least %d", path, len(out), minRows)
	}
	return out
}

// judge says whether the features for l are right: strict (the place, or
// the country for country/region labels) and at country level.
func judge(l labelled, f *Features) (strict, country bool) {
	if f.Tier == TierNone {
		return false, false
	}
	if l.cc == "-" {
		return false, false
	}
	country = f.Country == l.cc
	switch {
	case l.point:
		strict = f.Level == geo.LevelPoint && math.Abs(f.Lat-l.lat) < 1e-6 && math.Abs(f.Lon-l.lon) < 1e-6 && country
	case l.names == nil:
		strict = country
	default:
		for _, n := range l.names {
			if n == f.Place || n == "" && f.Level < geo.LevelCity {
				strict = country
			}
		}
	}
	return strict, country
}

type floors struct{ prec, rec, precC, recC float64 }

// TestProfileLocationAccuracy runs the labelled sets through the profile
// tier and reports precision and recall. Precision counts every string
// given a location (junk included) as a prediction; recall is over the
// strings that name a place. locations.tsv is the development set (the
// gazetteer's curated tables were tuned on it); locations_holdout.tsv was
// written afterwards and never tuned against, so its numbers are the
// honest estimate. Floors sit a little under what each set reaches, so a
// change that loses accuracy fails here.
func TestProfileLocationAccuracy(t *testing.T) {
	t.Run("dev", func(t *testing.T) {
		accuracy(t, "testdata/locations.tsv", 500, floors{0.98, 0.98, 0.98, 0.98})
	})
	t.Run("holdout", func(t *testing.T) {
		accuracy(t, "testdata/locations_holdout.tsv", 100, floors{0.95, 0.95, 0.97, 0.97})
	})
}

func accuracy(t *testing.T, path string, minRows int, fl floors) {
	e := mustEnricher(t)
	set := readLabelled(t, path, minRows)
	var predicted, places, junk, junkHit, okStrict, okCountry int
	for _, l := range set {
		p := post.Post{Author: post.Author{Location: l.text, Followers: -1, Following: -1, Posts: -1}}
		var f Features
		e.Enrich(&p, &f)
		if f.Tier != TierNone {
			predicted++
		}
		if l.cc == "-" {
			junk++
			if f.Tier != TierNone {
				junkHit++
				t.Logf("line %d: %q names no place, got %s %s %q", l.line, l.text, f.Country, f.Level, f.Place)
			}
			continue
		}
		places++
		s, c := judge(l, &f)
		if s {
			okStrict++
		}
		if c {
			okCountry++
		}
		if !s && testing.Verbose() {
			t.Logf("line %d: %q want %s %v, got %s %s %s %q", l.line, l.text, l.cc, l.names, f.Country, f.Region, f.Level, f.Place)
		}
	}
	prec := float64(okStrict) / float64(max(predicted, 1))
	rec := float64(okStrict) / float64(places)
	precC := float64(okCountry) / float64(max(predicted, 1))
	recC := float64(okCountry) / float64(places)
	t.Logf("%d strings (%d name a place, %d junk): place precision %.3f recall %.3f; country precision %.3f recall %.3f; junk given a location %d",
		len(set), places, junk, prec, rec, precC, recC, junkHit)
	// Floors set a little under what the gazetteer reaches, so a change that
	// loses accuracy fails here.
	if prec < fl.prec || rec < fl.rec || precC < fl.precC || recC < fl.recC {
		t.Errorf("accuracy below the floor (place precision ≥ %.2f, recall ≥ %.2f; country precision ≥ %.2f, recall ≥ %.2f)",
			fl.prec, fl.rec, fl.precC, fl.recC)
	}
}
