package geo

import "fmt"

// CellPrecision is the geohash precision earshot stores per mention: cells
// of about 4.9 km × 4.9 km at the equator (narrower towards the poles).
const CellPrecision = 5

// MaxGeohashPrecision is the longest geohash AppendGeohash writes (60 bits,
// cells of a few centimetres).
const MaxGeohashPrecision = 12

const geohashAlphabet = "0123456789bcdefghjkmnpqrstuvwxyz"

// AppendGeohash appends the geohash of lat, lon at precision characters to
// dst and returns the extended slice. precision is clamped to
// [1, MaxGeohashPrecision]. Coordinates that are not finite or are out of
// range leave dst unchanged. It does not allocate when dst has room.
func AppendGeohash(dst []byte, lat, lon float64, precision int) []byte {
	if !(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) {
		return dst
	}
	precision = min(max(precision, 1), MaxGeohashPrecision)
	latLo, latHi := -90.0, 90.0
	lonLo, lonHi := -180.0, 180.0
	even := true // bits alternate lon, lat, starting with lon
	for range precision {
		ch := 0
		for range 5 {
			ch <<= 1
			if even {
				if mid := (lonLo + lonHi) / 2; lon >= mid {
					ch |= 1
					lonLo = mid
				} else {
					lonHi = mid
				}
			} else {
				if mid := (latLo + latHi) / 2; lat >= mid {
					ch |= 1
					latLo = mid
				} else {
					latHi = mid
				}
			}
			even = !even
		}
		dst = append(dst, geohashAlphabet[ch])
	}
	return dst
}

// Geohash returns the geohash of lat, lon at precision characters, or ""
// for invalid coordinates (see AppendGeohash).
func Geohash(lat, lon float64, precision int) string {
	var buf [MaxGeohashPrecision]byte
	return string(AppendGeohash(buf[:0], lat, lon, precision))
}

// Box is a geohash cell in degrees.
type Box struct {
	MinLat, MinLon, MaxLat, MaxLon float64
}

// Center returns the middle of the cell.
func (b Box) Center() (lat, lon float64) {
	return (b.MinLat + b.MaxLat) / 2, (b.MinLon + b.MaxLon) / 2
}

// DecodeGeohash returns the cell a geohash of 1 to MaxGeohashPrecision
// characters stands for. Upper-case letters are accepted.
func DecodeGeohash(hash string) (Box, error) {
	if len(hash) == 0 || len(hash) > MaxGeohashPrecision {
		return Box{}, fmt.Errorf("cannot decode geohash %q: want 1 to %d characters", hash, MaxGeohashPrecision)
	}
	b := Box{-90, -180, 90, 180}
	even := true
	for i := 0; i < len(hash); i++ {
		c := hash[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		v := geohashValue(c)
		if v < 0 {
			return Box{}, fmt.Errorf("cannot decode geohash %q: invalid character %q at %d", hash, hash[i], i)
		}
		for bit := 4; bit >= 0; bit-- {
			one := v>>bit&1 == 1
			if even {
				mid := (b.MinLon + b.MaxLon) / 2
				if one {
					b.MinLon = mid
				} else {
					b.MaxLon = mid
				}
			} else {
				mid := (b.MinLat + b.MaxLat) / 2
				if one {
					b.MinLat = mid
				} else {
					b.MaxLat = mid
				}
			}
			even = !even
		}
	}
	return b, nil
}

func geohashValue(c byte) int {
	for i := 0; i < len(geohashAlphabet); i++ {
		if geohashAlphabet[i] == c {
			return i
		}
	}
	return -1
}
