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

import "time"

// Post is one decoded post. Strings are copies owned by the Post; Reset keeps
// the capacity of slices for reuse.
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
}

// IsRepost reports whether the post is a repost of another post.
func (p *Post) IsRepost() bool { return p.RepostOf != "" }

// IsReply reports whether the post replies to another post.
func (p *Post) IsReply() bool { return p.ReplyTo != "" }

// Reset clears p for reuse, keeping allocated capacity.
func (p *Post) Reset() {
	w := p.Warnings[:0]
	*p = Post{Warnings: w}
	p.Author.Followers, p.Author.Following, p.Author.Posts = -1, -1, -1
}
