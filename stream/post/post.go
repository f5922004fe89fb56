// Package post defines earshot's canonical post — the one shape every input
// format is mapped onto — and its decoder.
//
// The canonical post is JSON, one per Kafka message, keyed by post id
// (docs/posts.md). Only id, created_at and text are required; every other
// field may be missing, null or of the wrong type in a real feed. The decoder
// takes what it safely can from such a message and reports anything it had to
// ignore in Post.Warnings; a message it cannot accept at all is rejected with
// a *DecodeError whose Reason names the problem for the dead-letter topic.
package post

import (
	"math"
	"strings"
	"time"
)

// Post is one decoded post. Decode makes its strings its own, with one
// allocation (the author's that CompleteAuthor sets, with another), so a
// string kept keeps the bytes of the post's other strings alive too.
// DecodeDeferred lets them point into the message instead, so a string kept
// keeps the whole message alive; Own gives them one allocation of their
// own then. Clone a string kept long after its post (stream/dedup keeps ids
// with strings.Clone). Reset keeps the capacity of slices for reuse.
type Post struct {
	ID        string
	CreatedAt time.Time
	Text      string
	Lang      string // BCP-47-ish code as the source gives it ("en", "es"); "" when absent
	Source    string // "x", "mastodon", "bluesky", … ; "" when absent

	Author Author

	HasGeo bool // Geo is set only when the post carries valid GPS coordinates
	Geo    Point

	Place Place

	RepostOf string // id of the reposted post; "" for an original
	ReplyTo  string // id of the post replied to; ""
	QuoteOf  string // id of the quoted post; ""

	// Warnings lists optional fields the decoder had to ignore (wrong type,
	// out of range); the post itself is valid.
	Warnings []string

	author deferred // set by DecodeDeferred until CompleteAuthor
}

// Author is the account behind a post. Counts are -1 when unknown.
type Author struct {
	ID        string
	Handle    string
	Followers int64
	Following int64
	Posts     int64
	CreatedAt time.Time // zero when unknown
	Verified  bool
	Location  string // free-text profile location
	Bio       string
}

// Point is a WGS84 coordinate in degrees.
type Point struct {
	Lat, Lon float64
}

// Place is a named place attached to the post by its source.
type Place struct {
	Name        string
	CountryCode string // ISO 3166-1 alpha-2, upper case; "" when absent or invalid
	HasBBox     bool   // BBox is set only when the source gave a valid bounding box
	BBox        BBox
}

// BBox is a bounding box in WGS84 degrees. MinLon > MaxLon means the box
// crosses the antimeridian.
type BBox struct {
	MinLon, MinLat, MaxLon, MaxLat float64
}

// DiagonalKM returns the length of the box's diagonal in kilometres
// (equirectangular at the box's mean latitude: exact enough to tell a
// city from a state).
func (b BBox) DiagonalKM() float64 {
	const kmPerDeg = 6371.0088 * math.Pi / 180
	dLon := b.MaxLon - b.MinLon
	if dLon < 0 {
		dLon += 360
	}
	dx := dLon * math.Cos((b.MinLat+b.MaxLat)/2*math.Pi/180)
	dy := b.MaxLat - b.MinLat
	return math.Hypot(dx, dy) * kmPerDeg
}

// Center returns the centre of the box.
func (b BBox) Center() Point {
	lon := (b.MinLon + b.MaxLon) / 2
	if b.MinLon > b.MaxLon {
		lon += 180
		if lon > 180 {
			lon -= 360
		}
	}
	return Point{Lat: (b.MinLat + b.MaxLat) / 2, Lon: lon}
}

// ValidBBox reports whether b is a usable box: finite, in range, with
// MinLat <= MaxLat.
func ValidBBox(b BBox) bool {
	in := func(lat, lon float64) bool { return lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180 }
	return in(b.MinLat, b.MinLon) && in(b.MaxLat, b.MaxLon) && b.MinLat <= b.MaxLat
}

// IsRepost reports whether the post is a repost of another post.
func (p *Post) IsRepost() bool { return p.RepostOf != "" }

// IsReply reports whether the post replies to another post.
func (p *Post) IsReply() bool { return p.ReplyTo != "" }

// Reset clears p for reuse, keeping allocated capacity.
// Own makes p's strings its own, in one allocation: for a post kept
// beyond the message DecodeDeferred read it from (its author completed
// first: CompleteAuthor reads the message).
func (p *Post) Own() {
	strs := [...]*string{&p.ID, &p.Text, &p.Lang, &p.Source, &p.Author.ID, &p.Author.Handle,
		&p.Author.Location, &p.Author.Bio, &p.Place.Name, &p.Place.CountryCode, &p.RepostOf, &p.ReplyTo, &p.QuoteOf}
	n := 0
	for _, s := range strs {
		n += len(*s)
	}
	var b strings.Builder
	b.Grow(n)
	for _, s := range strs {
		b.WriteString(*s)
	}
	all := b.String()
	for _, s := range strs {
		*s, all = all[:len(*s)], all[len(*s):]
	}
}

func (p *Post) Reset() {
	w := p.Warnings[:0]
	*p = Post{Warnings: w}
	p.Author.Followers, p.Author.Following, p.Author.Posts = -1, -1, -1
}
