package geo

import (
	"bytes"
	"compress/flate"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// placesBin is written by internal/gengaz; the format is documented on its
// encode function.
//
//go:embed data/places.bin
var placesBin []byte

type gazData struct {
	countries []gazCountry
	admins    []string
	places    []rawPlace
}

type gazCountry struct {
	code  string
	names []string
}

type rawPlace struct {
	country, admin int
	pop            uint64
	rank           byte
	lat, lon       float64
	name, ascii    string
	alt            []string
}

// Feature ranks, as written by the generator.
const (
	rankPlace   = 0
	rankSection = 1
	rankAdmin2  = 2
	rankAdmin1  = 3
	rankCapital = 4
)

func parseGazetteer(b []byte) (*gazData, error) {
	if len(b) < 5 || string(b[:4]) != "EGAZ" {
		return nil, errors.New("cannot parse gazetteer: bad magic")
	}
	if b[4] != 1 {
		return nil, fmt.Errorf("cannot parse gazetteer: unsupported version %d", b[4])
	}
	raw, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(b[5:])), 64<<20))
	if err != nil {
		return nil, fmt.Errorf("cannot decompress gazetteer: %w", err)
	}
	r := &reader{b: raw}
	// All strings share one backing string, so the gazetteer holds one
	// allocation for its text instead of a few hundred thousand.
	all := string(raw)
	str := func() string {
		n := r.uvarint()
		if r.err != nil {
			return ""
		}
		if n > uint64(len(r.b)) {
			r.err = errTruncated
			return ""
		}
		off := len(raw) - len(r.b)
		r.b = r.b[n:]
		return all[off : off+int(n)]
	}
	d := &gazData{}
	nc := r.count(3)
	for range nc {
		code := r.bytes(2)
		nn := r.count(1)
		if r.err != nil {
			break
		}
		c := gazCountry{code: strings.ToUpper(string(code))}
		for range nn {
			c.names = append(c.names, str())
		}
		d.countries = append(d.countries, c)
	}
	na := r.count(1)
	for range na {
		d.admins = append(d.admins, str())
	}
	np := r.count(8)
	d.places = make([]rawPlace, 0, np)
	var lat, lon int64
	for range np {
		p := rawPlace{country: int(r.uvarint()), admin: int(r.uvarint()), pop: r.uvarint()}
		if rb := r.bytes(1); rb != nil {
			p.rank = rb[0]
		}
		lat += r.varint()
		lon += r.varint()
		p.lat, p.lon = float64(lat)/1e4, float64(lon)/1e4
		p.name, p.ascii = str(), str()
		nalt := r.count(1)
		for range nalt {
			p.alt = append(p.alt, str())
		}
		if r.err != nil {
			break
		}
		if p.country >= len(d.countries) || p.admin >= len(d.admins) {
			return nil, errors.New("cannot parse gazetteer: index out of range")
		}
		if !(p.lat >= -90 && p.lat <= 90 && p.lon >= -180 && p.lon <= 180) || p.pop > math.MaxUint32 {
			return nil, fmt.Errorf("cannot parse gazetteer: bad place %q", p.name)
		}
		d.places = append(d.places, p)
	}
	if r.err != nil {
		return nil, fmt.Errorf("cannot parse gazetteer: %w", r.err)
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("cannot parse gazetteer: %d trailing bytes", len(r.b))
	}
	return d, nil
}
