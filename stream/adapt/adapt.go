// Package adapt maps the post formats of real firehoses onto earshot's
// canonical post: the classic Twitter v1.1 status JSON (the format of most
// public research datasets), Mastodon statuses, and Bluesky Jetstream
// events. Each adapter extracts the fields into a canonical document and
// runs it through the canonical decoder, so validation, limits, warnings and
// dead-letter reasons are the same for every format.
//
// Messages that are valid but are not posts — Twitter deletion and limit
// notices, Jetstream identity/account events and non-post commits — come
// back as a *post.DecodeError with Reason post.ReasonSkipped (IsSkip): the
// caller commits past them without a dead letter. A message in no known
// format is post.ReasonUnsupported.
//
// An Adapter is not safe for concurrent use (it reuses parsers); give each
// goroutine its own. The package exports no metrics: the caller counts
// outcomes by Reason.
package adapt

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"earshot/stream/post"
)

// Format names an input format.
type Format string

// Formats.
const (
	FormatAuto      Format = "auto" // Detect per message
	FormatCanonical Format = "canonical"
	FormatTwitterV1 Format = "twitter-v1"
	FormatMastodon  Format = "mastodon"
	FormatJetstream Format = "jetstream"
	FormatUnknown   Format = ""
)

// ParseFormat validates a format name.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatAuto, FormatCanonical, FormatTwitterV1, FormatMastodon, FormatJetstream:
		return f, nil
	}
	return FormatUnknown, fmt.Errorf("unknown format %q: want auto, canonical, twitter-v1, mastodon or jetstream", s)
}

// Detect guesses the format of one message from its top-level keys:
// Jetstream events have "did" and "kind"; Twitter statuses "id_str" or
// "user" (and notices "delete", "limit", …); Mastodon statuses "account"
// and "content"; canonical posts "id", "created_at" and "text". It returns
// FormatUnknown for anything else, including invalid JSON.
func Detect(data []byte) Format {
	var p fastjson.Parser
	v, err := p.ParseBytes(data)
	if err != nil || v.Type() != fastjson.TypeObject {
		return FormatUnknown
	}
	return detect(v)
}

func detect(v *fastjson.Value) Format {
	has := func(k string) bool { return v.Get(k) != nil }
	switch {
	case has("did") && has("kind"):
		return FormatJetstream
	case has("id_str") || has("user") || has("delete") || has("limit") || has("scrub_geo") || has("status_withheld"):
		return FormatTwitterV1
	case has("account") && has("content"):
		return FormatMastodon
	case has("id") && has("created_at") && has("text"):
		return FormatCanonical
	}
	return FormatUnknown
}

// Adapter decodes messages of one format (or of any, with FormatAuto).
type Adapter struct {
	format Format
	canon  *post.Decoder
	p      fastjson.Parser
	buf    []byte
}

// New returns an Adapter for format with the canonical decoder's limits.
func New(format Format, limits post.Limits) (*Adapter, error) {
	if _, err := ParseFormat(string(format)); err != nil {
		return nil, err
	}
	return &Adapter{format: format, canon: post.NewDecoder(limits)}, nil
}

// IsSkip reports whether err says the message is not a post and needs no
// dead letter.
func IsSkip(err error) bool {
	var de *post.DecodeError
	return errors.As(err, &de) && de.Reason == post.ReasonSkipped
}

func reject(r post.Reason, format string, args ...any) error {
	d := fmt.Sprintf(format, args...)
	if len(d) > 200 {
		d = d[:200] + "…"
	}
	return &post.DecodeError{Reason: r, Detail: d}
}

// Decode maps data onto p. Errors are *post.DecodeError.
func (a *Adapter) Decode(data []byte, p *post.Post) error {
	return a.decode(data, p, false)
}

// DecodeDeferred is Decode with post.Decoder.DecodeDeferred for a canonical
// post (the others are decoded whole, and copied, from the adapter's own
// buffer): data must not change while p is in use, since p's strings may
// point into it.
func (a *Adapter) DecodeDeferred(data []byte, p *post.Post) error {
	return a.decode(data, p, true)
}

func (a *Adapter) decode(data []byte, p *post.Post, deferAuthor bool) error {
	canon := a.canon.Decode
	if deferAuthor {
		canon = a.canon.DecodeDeferred
	}
	if a.format == FormatCanonical {
		return canon(data, p)
	}
	p.Reset()
	if len(data) == 0 {
		return reject(post.ReasonEmpty, "empty message")
	}
	v, err := a.p.ParseBytes(data)
	if err != nil {
		return a.canon.Decode(data, p) // the canonical decoder classifies the failure
	}
	if v.Type() != fastjson.TypeObject {
		return reject(post.ReasonNotObject, "message is a JSON %s, want an object", v.Type())
	}
	f := a.format
	if f == FormatAuto {
		f = detect(v)
	}
	var c *canonical
	switch f {
	case FormatCanonical:
		return canon(data, p)
	case FormatTwitterV1:
		c, err = fromTwitter(v)
	case FormatMastodon:
		c, err = fromMastodon(v)
	case FormatJetstream:
		c, err = fromJetstream(v)
	default:
		return reject(post.ReasonUnsupported, "message is in no known format")
	}
	if err != nil {
		return err
	}
	a.buf, err = appendJSON(a.buf[:0], c)
	if err != nil {
		return reject(post.ReasonInvalidJSON, "%v", err)
	}
	return a.canon.Decode(a.buf, p)
}

// canonical is the canonical post document (docs/posts.md). Fields the
// source lacks are left out, so the canonical decoder sees them missing.
type canonical struct {
	ID        any       `json:"id,omitempty"`
	CreatedAt any       `json:"created_at,omitempty"`
	Text      any       `json:"text,omitempty"`
	Lang      string    `json:"lang,omitempty"`
	Source    string    `json:"source,omitempty"`
	Author    *author   `json:"author,omitempty"`
	Geo       *geoPoint `json:"geo,omitempty"`
	Place     *place    `json:"place,omitempty"`
	RepostOf  string    `json:"repost_of,omitempty"`
	ReplyTo   string    `json:"reply_to,omitempty"`
	QuoteOf   string    `json:"quote_of,omitempty"`
}

type author struct {
	ID        string `json:"id,omitempty"`
	Handle    string `json:"handle,omitempty"`
	Followers any    `json:"followers,omitempty"`
	Following any    `json:"following,omitempty"`
	Posts     any    `json:"posts,omitempty"`
	CreatedAt string `json:"created_at,omitempty"`
	Verified  bool   `json:"verified,omitempty"`
	Location  string `json:"location,omitempty"`
	Bio       string `json:"bio,omitempty"`
}

type geoPoint struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

type place struct {
	Name        string      `json:"name,omitempty"`
	CountryCode string      `json:"country_code,omitempty"`
	BBox        *[4]float64 `json:"bbox,omitempty"`
}

func appendJSON(dst []byte, c *canonical) ([]byte, error) {
	b, err := json.Marshal(c)
	return append(dst, b...), err
}

// str returns the string at keys, or "" when missing or not a string.
func str(v *fastjson.Value, keys ...string) string {
	f := v.Get(keys...)
	if f == nil || f.Type() != fastjson.TypeString {
		return ""
	}
	return string(f.GetStringBytes())
}

// raw returns the JSON value at keys for the canonical decoder to judge
// (nil when missing), keeping wrong types visible as warnings.
func raw(v *fastjson.Value, keys ...string) any {
	f := v.Get(keys...)
	if f == nil || f.Type() == fastjson.TypeNull {
		return nil
	}
	return json.RawMessage(f.MarshalTo(nil))
}

// idOf reads an id given as a string or an integer.
func idOf(v *fastjson.Value, keys ...string) string {
	f := v.Get(keys...)
	if f == nil {
		return ""
	}
	switch f.Type() {
	case fastjson.TypeString:
		return string(f.GetStringBytes())
	case fastjson.TypeNumber:
		return string(f.MarshalTo(nil))
	}
	return ""
}

// twitterTime converts "Wed Oct 10 20:19:24 +0000 2018" to RFC 3339; other
// strings pass through for the canonical decoder to judge.
func twitterTime(s string) string {
	if t, err := time.Parse(time.RubyDate, s); err == nil {
		return t.UTC().Format(time.RFC3339Nano)
	}
	return s
}

func fromTwitter(v *fastjson.Value) (*canonical, error) {
	for _, k := range []string{"delete", "limit", "scrub_geo", "status_withheld", "user_withheld", "disconnect", "warning"} {
		if v.Get(k) != nil {
			return nil, reject(post.ReasonSkipped, "twitter %s notice", k)
		}
	}
	c := &canonical{Source: "x", Lang: str(v, "lang")}
	c.ID = raw(v, "id_str")
	if c.ID == nil {
		c.ID = raw(v, "id")
	}
	if ts := str(v, "created_at"); ts != "" {
		c.CreatedAt = twitterTime(ts)
	} else {
		c.CreatedAt = raw(v, "created_at")
	}
	c.Text = tweetText(v)
	if rs := v.Get("retweeted_status"); rs != nil && rs.Type() == fastjson.TypeObject {
		c.RepostOf = idOf(rs, "id_str")
		if full := tweetText(rs); full != nil {
			if s, ok := full.(string); ok {
				c.Text = "RT @" + str(rs, "user", "screen_name") + ": " + s
			}
		}
	}
	c.ReplyTo = idOf(v, "in_reply_to_status_id_str")
	c.QuoteOf = idOf(v, "quoted_status_id_str")
	if u := v.Get("user"); u != nil && u.Type() == fastjson.TypeObject {
		a := &author{ID: idOf(u, "id_str"), Handle: str(u, "screen_name"),
			Followers: raw(u, "followers_count"), Following: raw(u, "friends_count"), Posts: raw(u, "statuses_count"),
			Verified: u.GetBool("verified"), Location: str(u, "location"), Bio: str(u, "description")}
		if a.ID == "" {
			a.ID = idOf(u, "id")
		}
		if ts := str(u, "created_at"); ts != "" {
			a.CreatedAt = twitterTime(ts)
		}
		c.Author = a
	}
	// coordinates is GeoJSON [lon, lat]; the deprecated geo is [lat, lon].
	if pt := v.GetArray("coordinates", "coordinates"); len(pt) == 2 {
		c.Geo = &geoPoint{Lon: pt[0].GetFloat64(), Lat: pt[1].GetFloat64()}
	} else if pt := v.GetArray("geo", "coordinates"); len(pt) == 2 {
		c.Geo = &geoPoint{Lat: pt[0].GetFloat64(), Lon: pt[1].GetFloat64()}
	}
	if pl := v.Get("place"); pl != nil && pl.Type() == fastjson.TypeObject {
		c.Place = &place{Name: str(pl, "full_name"), CountryCode: str(pl, "country_code")}
		if c.Place.Name == "" {
			c.Place.Name = str(pl, "name")
		}
		if ring := pl.GetArray("bounding_box", "coordinates", "0"); len(ring) >= 4 {
			b := [4]float64{180, 90, -180, -90}
			for _, q := range ring {
				xy := q.GetArray()
				if len(xy) != 2 {
					continue
				}
				x, y := xy[0].GetFloat64(), xy[1].GetFloat64()
				b[0], b[1], b[2], b[3] = min(b[0], x), min(b[1], y), max(b[2], x), max(b[3], y)
			}
			if b[0] <= b[2] && b[1] <= b[3] {
				c.Place.BBox = &b
			}
		}
	}
	return c, nil
}

// tweetText prefers extended_tweet.full_text, then full_text, then text.
func tweetText(v *fastjson.Value) any {
	if s := str(v, "extended_tweet", "full_text"); s != "" {
		return html.UnescapeString(s)
	}
	if s := str(v, "full_text"); s != "" {
		return html.UnescapeString(s)
	}
	if s := str(v, "text"); s != "" {
		return html.UnescapeString(s) // v1.1 escapes &, < and > in text
	}
	return raw(v, "text")
}

func fromMastodon(v *fastjson.Value) (*canonical, error) {
	c := &canonical{Source: "mastodon", ID: raw(v, "id"), CreatedAt: raw(v, "created_at"), Lang: str(v, "language")}
	st := v
	if rb := v.Get("reblog"); rb != nil && rb.Type() == fastjson.TypeObject {
		c.RepostOf = idOf(rb, "id")
		st = rb
	}
	if v.Get("content") == nil && st == v {
		return nil, reject(post.ReasonMissingText, "mastodon status without content")
	}
	text := htmlText(str(st, "content"))
	if cw := str(st, "spoiler_text"); cw != "" {
		text = cw + "\n" + text
	}
	c.Text = text
	if c.Lang == "" {
		c.Lang = str(st, "language")
	}
	c.ReplyTo = idOf(v, "in_reply_to_id")
	c.QuoteOf = idOf(v, "quote", "quoted_status", "id")
	if ac := v.Get("account"); ac != nil && ac.Type() == fastjson.TypeObject {
		c.Author = &author{ID: idOf(ac, "id"), Handle: str(ac, "acct"),
			Followers: raw(ac, "followers_count"), Following: raw(ac, "following_count"), Posts: raw(ac, "statuses_count"),
			CreatedAt: str(ac, "created_at"), Bio: htmlText(str(ac, "note"))}
	}
	return c, nil
}

// htmlText turns a Mastodon status's HTML into plain text: tags dropped,
// <br> and paragraph ends as newlines, entities decoded.
func htmlText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return s
	}
	var b strings.Builder
	for len(s) > 0 {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			b.WriteString(html.UnescapeString(s))
			break
		}
		b.WriteString(html.UnescapeString(s[:i]))
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			break // an unterminated tag: drop the rest
		}
		tag := strings.ToLower(s[i+1 : i+j])
		if strings.HasPrefix(tag, "br") || tag == "/p" {
			b.WriteByte('\n')
		}
		s = s[i+j+1:]
	}
	return strings.TrimSpace(b.String())
}

func fromJetstream(v *fastjson.Value) (*canonical, error) {
	if k := str(v, "kind"); k != "commit" {
		return nil, reject(post.ReasonSkipped, "jetstream %s event", k)
	}
	cm := v.Get("commit")
	if cm == nil || cm.Type() != fastjson.TypeObject {
		return nil, reject(post.ReasonSkipped, "jetstream commit without a body")
	}
	if op, coll := str(cm, "operation"), str(cm, "collection"); op != "create" || coll != "app.bsky.feed.post" {
		return nil, reject(post.ReasonSkipped, "jetstream %s of %s", op, coll)
	}
	did, rkey := str(v, "did"), str(cm, "rkey")
	rec := cm.Get("record")
	if rec == nil || rec.Type() != fastjson.TypeObject {
		return nil, reject(post.ReasonMissingText, "jetstream post without a record")
	}
	c := &canonical{Source: "bluesky", CreatedAt: raw(rec, "createdAt"), Text: raw(rec, "text")}
	if did != "" && rkey != "" {
		c.ID = "at://" + did + "/app.bsky.feed.post/" + rkey
	}
	if langs := rec.GetArray("langs"); len(langs) > 0 {
		c.Lang = string(langs[0].GetStringBytes())
	}
	c.ReplyTo = str(rec, "reply", "parent", "uri")
	switch str(rec, "embed", "$type") {
	case "app.bsky.embed.record":
		c.QuoteOf = str(rec, "embed", "record", "uri")
	case "app.bsky.embed.recordWithMedia":
		c.QuoteOf = str(rec, "embed", "record", "record", "uri")
	}
	if did != "" {
		c.Author = &author{ID: did}
	}
	return c, nil
}
