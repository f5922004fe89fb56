package firehose

import (
	"strconv"
	"strings"
	"time"
)

// wrongType is a deliberate defect in an optional field, which a tolerant
// decoder must accept. None of them touches id, created_at, text, author.id
// or repost_of, so none changes whether or how a post is counted; the cases
// that touch geo or place change the truth country exactly as documented.
type wrongType uint8

const (
	wtNone wrongType = iota
	// wtFollowersString: author.followers is a string ("1200").
	// Truth: unaffected.
	wtFollowersString
	// wtGeoNull: "geo": null. Truth: no geo (the post had none, or its
	// coordinates are replaced by null).
	wtGeoNull
	// wtGeoZero: "geo": {"lat": 0, "lon": 0}, invalid coordinates.
	// Truth: no geo.
	wtGeoZero
	// wtPlaceArray: "place": []. Truth: no place.
	wtPlaceArray
	// wtCountryLower: place.country_code in lower case ("mx"). It is a
	// valid code once upper-cased. Truth: the post has this place.
	wtCountryLower
	// wtCountryInvalid: place.country_code is a number (52) or three
	// letters ("MEX"). Truth: the place is located by its name.
	wtCountryInvalid
	// wtVerifiedString: author.verified is the string "false"/"true".
	// Truth: unaffected.
	wtVerifiedString
	// wtLangNull: "lang": null. Truth: unaffected.
	wtLangNull
	// wtPostsNull: author.posts and author.following are null.
	// Truth: unaffected.
	wtPostsNull
	// wtAuthorCreatedNumber: author.created_at is Unix seconds (a number).
	// Truth: unaffected.
	wtAuthorCreatedNumber
	numWrongTypes
)

// geoValid reports whether the post carries valid GPS coordinates.
func (p *post) geoValid() bool {
	return p.hasGeo && p.wrong != wtGeoNull && p.wrong != wtGeoZero
}

// truthCountry is the country the truth attributes a post to: valid GPS
// coordinates → the country of the city they were drawn around; else a valid
// place.country_code (two ASCII letters, upper-cased); else "".
func (p *post) truthCountry(a *author) string {
	if p.geoValid() {
		return cities[p.geoCity].Country
	}
	// A place with an unusable country code is still located by its name.
	if p.hasPlace && p.wrong != wtPlaceArray {
		return cities[p.placeCity].Country
	}
	return a.locCountry
}

// writeJSON writes the canonical post JSON into g.out.
func (g *Generator) writeJSON(p *post, ms int64) {
	a := &g.authors[p.author]
	b := g.out[:0]
	b = append(b, `{"id":"`...)
	b = append(b, g.key...)
	b = append(b, `","created_at":"`...)
	b = g.appendTimestamp(b, ms)
	b = append(b, `","text":`...)
	b = appendJSONString(b, g.text)
	switch {
	case p.wrong == wtLangNull:
		b = append(b, `,"lang":null`...)
	case !p.omitLang:
		b = append(b, `,"lang":"`...)
		b = append(b, langCodes[p.lang]...)
		b = append(b, '"')
	}
	b = append(b, `,"source":"`...)
	b = append(b, p.source...)
	b = append(b, `","author":`...)
	switch p.wrong {
	case wtFollowersString, wtPostsNull, wtAuthorCreatedNumber, wtVerifiedString:
		b = appendAuthor(b, a, p.wrong)
	default:
		b = append(b, a.json...)
	}

	switch {
	case p.wrong == wtGeoNull:
		b = append(b, `,"geo":null`...)
	case p.wrong == wtGeoZero:
		b = append(b, `,"geo":{"lat":0,"lon":0}`...)
	case p.hasGeo:
		b = append(b, `,"geo":{"lat":`...)
		b = strconv.AppendFloat(b, p.lat, 'f', -1, 64)
		b = append(b, `,"lon":`...)
		b = strconv.AppendFloat(b, p.lon, 'f', -1, 64)
		b = append(b, '}')
	}
	switch {
	case p.wrong == wtPlaceArray:
		b = append(b, `,"place":[]`...)
	case p.hasPlace:
		c := &cities[p.placeCity]
		b = append(b, `,"place":{"name":`...)
		b = appendJSONString(b, c.Name)
		b = append(b, `,"country_code":`...)
		switch p.wrong {
		case wtCountryLower:
			b = append(b, '"')
			b = append(b, strings.ToLower(c.Country)...)
			b = append(b, '"')
		case wtCountryInvalid:
			if g.r.IntN(2) == 0 {
				b = append(b, "52"...)
			} else {
				b = append(b, '"')
				b = append(b, c.Country...)
				b = append(b, `X"`...)
			}
		default:
			b = append(b, '"')
			b = append(b, c.Country...)
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	// The x source writes absent references as null, the others omit them.
	explicitNull := p.source == "x"
	b = appendRef(b, `,"repost_of":`, p.kind == 'r', p.ref, explicitNull)
	b = appendRef(b, `,"reply_to":`, p.kind == 'p', p.ref, explicitNull)
	b = appendRef(b, `,"quote_of":`, p.kind == 'q', p.ref, explicitNull)
	b = append(b, '}')
	g.out = b
}

// appendAuthor writes the author object, with the wrong-typed field of w.
func appendAuthor(b []byte, a *author, w wrongType) []byte {
	b = append(b, `{"id":"`...)
	b = append(b, a.id...)
	b = append(b, `","handle":"`...)
	b = append(b, a.handle...)
	b = append(b, `","followers":`...)
	if w == wtFollowersString {
		b = append(b, '"')
		b = strconv.AppendInt(b, a.followers, 10)
		b = append(b, '"')
	} else {
		b = strconv.AppendInt(b, a.followers, 10)
	}
	if w == wtPostsNull {
		b = append(b, `,"following":null,"posts":null`...)
	} else {
		b = append(b, `,"following":`...)
		b = strconv.AppendInt(b, a.following, 10)
		b = append(b, `,"posts":`...)
		b = strconv.AppendInt(b, a.posts, 10)
	}
	b = append(b, `,"created_at":`...)
	if w == wtAuthorCreatedNumber {
		t, _ := time.Parse(time.RFC3339, a.createdAt)
		b = strconv.AppendInt(b, t.Unix(), 10)
	} else {
		b = append(b, '"')
		b = append(b, a.createdAt...)
		b = append(b, '"')
	}
	b = append(b, `,"verified":`...)
	if w == wtVerifiedString {
		b = append(b, '"')
		b = strconv.AppendBool(b, a.verified)
		b = append(b, '"')
	} else {
		b = strconv.AppendBool(b, a.verified)
	}
	if a.location != "" {
		b = append(b, `,"location":`...)
		b = appendJSONString(b, a.location)
	}
	if a.bio != "" {
		b = append(b, `,"bio":`...)
		b = appendJSONString(b, a.bio)
	}
	b = append(b, '}')
	return b
}

func appendRef(b []byte, name string, set bool, id []byte, explicitNull bool) []byte {
	switch {
	case set:
		b = append(b, name...)
		b = append(b, '"')
		b = append(b, id...)
		b = append(b, '"')
	case explicitNull:
		b = append(b, name...)
		b = append(b, "null"...)
	}
	return b
}

// appendTimestamp writes ms as RFC3339 UTC with milliseconds
// ("2026-11-22T10:00:00.000Z"), caching the per-second prefix.
func (g *Generator) appendTimestamp(b []byte, ms int64) []byte {
	sec := ms / 1000
	if g.tsCache == nil || sec != g.tsCacheSec {
		g.tsCacheSec = sec
		g.tsCache = time.Unix(sec, 0).UTC().AppendFormat(g.tsCache[:0], "2006-01-02T15:04:05")
	}
	b = append(b, g.tsCache...)
	m := ms % 1000
	return append(b, '.', byte('0'+m/100), byte('0'+m/10%10), byte('0'+m%10), 'Z')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string literal (UTF-8 kept as is).
func appendJSONString[S ~string | ~[]byte](b []byte, s S) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
