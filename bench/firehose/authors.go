package firehose

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// author is one account of the pool.
type author struct {
	id        string
	handle    string
	followers int64
	following int64
	posts     int64
	createdAt string // RFC3339, seconds
	verified  bool
	location  string // "" when the profile has none
	// locCountry is the country the profile location names: the home
	// city's country for a city variant, "" for junk or no location.
	locCountry string
	bio        string
	lang       lang
	city       int32  // home city (index into cities)
	json       string // the author object as written in posts
}

// Shares of special accounts.
const (
	verifiedShare = 0.005
	zombieShare   = 0.01
	bioShare      = 0.4
	junkLocShare  = 0.3 // of profile locations
)

// newAuthors builds the pool: heavy-tailed followers (lognormal, median
// ~150: most below 500, a few above 100k; verified accounts much larger),
// some zombie-like accounts (following thousands, almost no followers and
// posts), a home city in a country speaking the author's language and a
// profile location for a fraction of them.
func newAuthors(r *rand.Rand, n int, start time.Time, locFraction float64, banks *[numLangs]bank, citiesByLang *[numLangs][]int32) []author {
	out := make([]author, n)
	oldest := time.Date(2008, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	newest := start.Add(-24 * time.Hour).Unix()
	var buf []byte
	for i := range out {
		a := &out[i]
		a.lang = pickLang(r)
		a.id = strconv.FormatUint(uint64(i)*104729+1000003, 10)
		cs := citiesByLang[a.lang]
		a.city = cs[r.IntN(len(cs))]
		b := &banks[a.lang]
		zombie := r.Float64() < zombieShare
		a.verified = !zombie && r.Float64() < verifiedShare

		buf = buf[:0]
		handleNames := b.handleNames
		buf = append(buf, handleNames[r.IntN(len(handleNames))]...)
		switch k := r.IntN(4); {
		case zombie:
			buf = strconv.AppendInt(buf, 10000000+r.Int64N(89999999), 10)
		case k == 0:
			buf = append(buf, '_')
			buf = append(buf, b.surnames[r.IntN(len(b.surnames))]...)
		case k == 1:
			buf = strconv.AppendInt(buf, int64(r.IntN(1000)), 10)
		case k == 2:
			buf = append(buf, '_')
			buf = append(buf, b.surnames[r.IntN(len(b.surnames))]...)
			buf = strconv.AppendInt(buf, int64(r.IntN(100)), 10)
		default:
			buf = append(buf, "_x"...)
			buf = strconv.AppendInt(buf, int64(r.IntN(10000)), 10)
		}
		a.handle = string(buf)

		switch {
		case zombie:
			a.followers = int64(r.IntN(20))
			a.following = 2000 + int64(r.IntN(5500))
			a.posts = int64(r.IntN(10))
		case a.verified:
			a.followers = lognormal(r, 20000, 1.6)
			a.following = lognormal(r, 400, 1.0)
			a.posts = lognormal(r, 8000, 1.0)
		default:
			a.followers = lognormal(r, 150, 1.8)
			a.following = min(lognormal(r, 180, 1.0), 7500)
			a.posts = lognormal(r, 1500, 1.5)
		}
		ts := oldest + r.Int64N(max(newest-oldest, 1))
		a.createdAt = time.Unix(ts, 0).UTC().Format(time.RFC3339)

		if r.Float64() < locFraction {
			if r.Float64() < junkLocShare {
				a.location = junkLocations[r.IntN(len(junkLocations))]
			} else {
				v := cities[a.city].Variants
				a.location = v[r.IntN(len(v))]
				a.locCountry = cities[a.city].Country
			}
		}
		if len(b.bios) > 0 && r.Float64() < bioShare {
			a.bio = b.bios[r.IntN(len(b.bios))]
		}
		buf = appendAuthor(buf[:0], a, wtNone)
		a.json = string(buf)
	}
	return out
}

// lognormal draws a count with the given median and log-space sigma.
func lognormal(r *rand.Rand, median, sigma float64) int64 {
	v := median * math.Exp(sigma*r.NormFloat64())
	if v > 5e8 {
		v = 5e8
	}
	return int64(v)
}

func pickLang(r *rand.Rand) lang {
	x := r.IntN(1000)
	for l := lang(0); l < numLangs; l++ {
		if x < langShare[l] {
			return l
		}
		x -= langShare[l]
	}
	return langEN
}
