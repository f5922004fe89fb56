package post

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	asmutf8 "github.com/segmentio/asm/utf8"
	"github.com/valyala/fastjson"

	"earshot/enrich/geo"
)

// Reason is a short, stable code naming why a message was rejected. It is
// the value of the dead-letter header "earshot-reason" and the label of the
// dead-letter counter, so the set is closed and documented in docs/posts.md.
type Reason string

// Reasons a message is rejected.
const (
	ReasonTooLarge    Reason = "too_large"
	ReasonEmpty       Reason = "empty"
	ReasonInvalidUTF8 Reason = "invalid_utf8"
	ReasonInvalidJSON Reason = "invalid_json"
	ReasonNotObject   Reason = "not_object"
	ReasonMissingID   Reason = "missing_id"
	ReasonBadID       Reason = "bad_id"
	ReasonMissingTime Reason = "missing_created_at"
	ReasonBadTime     Reason = "bad_created_at"
	ReasonMissingText Reason = "missing_text"
	ReasonBadText     Reason = "bad_text"
	// ReasonSkipped marks a message that is valid but is not a post (a
	// deletion notice, a non-post event): the caller commits past it
	// without a dead letter. Only input adapters return it.
	ReasonSkipped Reason = "skipped"
	// ReasonUnsupported marks a message in no format the adapter knows.
	ReasonUnsupported Reason = "unsupported_format"
)

// Reasons lists every Reason, for pre-registering metric labels.
var Reasons = []Reason{ReasonTooLarge, ReasonEmpty, ReasonInvalidUTF8, ReasonInvalidJSON,
	ReasonNotObject, ReasonMissingID, ReasonBadID, ReasonMissingTime, ReasonBadTime,
	ReasonMissingText, ReasonBadText, ReasonSkipped, ReasonUnsupported}

// DecodeError is returned for a message that cannot become a Post.
type DecodeError struct {
	Reason Reason
	Detail string // human-readable, bounded in length
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("cannot decode post: %s: %s", e.Reason, e.Detail)
}

func reject(r Reason, format string, args ...any) error {
	d := fmt.Sprintf(format, args...)
	if len(d) > 200 {
		d = d[:200] + "…"
	}
	return &DecodeError{Reason: r, Detail: d}
}

// Limits bound what the decoder accepts. The zero value means the defaults.
type Limits struct {
	// MaxMessageBytes is the largest message accepted. Default 256 KiB: a
	// post with a long text and a full author object is under 16 KiB.
	MaxMessageBytes int
	// MaxTextBytes is the longest text accepted. Default 32 KiB (the longest
	// posts of mainstream networks are a few thousand characters).
	MaxTextBytes int
	// MaxIDBytes is the longest post id accepted. Default 128.
	MaxIDBytes int
	// OptionalTime accepts a post without created_at (its CreatedAt is the
	// zero time). For tools that only match texts, such as `earshot rules
	// test`; the pipeline requires the time, since its aggregates are per
	// minute. A created_at that is present must still be valid.
	OptionalTime bool
}

func (l *Limits) setDefaults() {
	if l.MaxMessageBytes <= 0 {
		l.MaxMessageBytes = 256 << 10
	}
	if l.MaxTextBytes <= 0 {
		l.MaxTextBytes = 32 << 10
	}
	if l.MaxIDBytes <= 0 {
		l.MaxIDBytes = 128
	}
}

// Accepted range of created_at: posts claiming a time outside it are
// rejected as bad_created_at rather than polluting per-minute aggregates.
var (
	minTime = time.Date(2006, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Decoder decodes canonical posts. It reuses its parser's memory between
// calls and is not safe for concurrent use: give each goroutine its own.
type Decoder struct {
	limits Limits
	p      fastjson.Parser
	buf    []byte // decodeFast's unescaped strings
	kept   []byte // decodeFast's kept strings, before they are set
	day    day    // decodeFast's date of the last created_at
}

// NewDecoder returns a Decoder with the given limits (zero fields take the
// defaults).
func NewDecoder(l Limits) *Decoder {
	l.setDefaults()
	return &Decoder{limits: l}
}

// Decode parses data into p (which it resets first). It returns a
// *DecodeError when the message must go to the dead-letter topic; otherwise
// p is valid, and p.Warnings lists the optional fields that were ignored.
func (d *Decoder) Decode(data []byte, p *Post) error {
	return d.decode(data, p, false)
}

// DecodeDeferred is Decode, except that it may leave the author's fields
// other than Followers and Verified (the ones rules test) unset until
// p.CompleteAuthor, which reads them from data, and that p's strings may
// point into data: data must not change while p, or any string taken from
// it, is in use (a Kafka message's value, which nothing writes again). For
// a pipeline that needs the whole author only of the posts that match (a
// few per cent): the author is about 40% of a post's decoding; and a post
// without escapes is decoded without an allocation. Rejects are the same
// as Decode's; warnings about the author's fields come with CompleteAuthor.
func (d *Decoder) DecodeDeferred(data []byte, p *Post) error {
	return d.decode(data, p, true)
}

func (d *Decoder) decode(data []byte, p *Post, deferAuthor bool) error {
	p.Reset()
	switch {
	case len(data) == 0:
		return reject(ReasonEmpty, "empty message")
	case len(data) > d.limits.MaxMessageBytes:
		return reject(ReasonTooLarge, "message is %d bytes, limit %d", len(data), d.limits.MaxMessageBytes)
	case !asmutf8.Valid(data): // AVX2: 2.2× unicode/utf8 on the generator's posts
		return reject(ReasonInvalidUTF8, "message is not valid UTF-8")
	}
	if d.decodeFast(data, p, deferAuthor) {
		return nil
	}
	p.Reset()
	return d.decodeTree(data, p)
}

// decodeTree decodes data with fastjson: every message decodeFast does not
// take, with the reason of a reject and the warnings.
func (d *Decoder) decodeTree(data []byte, p *Post) error {
	v, err := d.p.ParseBytes(data)
	if err != nil {
		return reject(ReasonInvalidJSON, "%v", err)
	}
	if v.Type() != fastjson.TypeObject {
		return reject(ReasonNotObject, "message is a JSON %s, want an object", v.Type())
	}

	var f topFields
	f.collect(v)
	id, err := idField(f.id, d.limits.MaxIDBytes)
	if err != nil {
		if err == errMissing {
			return reject(ReasonMissingID, "field id is required")
		}
		return reject(ReasonBadID, "id: %v", err)
	}
	p.ID = id

	if tv := f.createdAt; !isMissing(tv) {
		t, err := timeValue(tv)
		if err != nil {
			return reject(ReasonBadTime, "created_at: %v", err)
		}
		p.CreatedAt = t
	} else if !d.limits.OptionalTime {
		return reject(ReasonMissingTime, "field created_at is required")
	}

	xv := f.text
	if isMissing(xv) {
		return reject(ReasonMissingText, "field text is required")
	}
	if xv.Type() != fastjson.TypeString {
		return reject(ReasonBadText, "text is a JSON %s, want a string", xv.Type())
	}
	text, _ := xv.StringBytes()
	if len(text) > d.limits.MaxTextBytes {
		return reject(ReasonBadText, "text is %d bytes, limit %d", len(text), d.limits.MaxTextBytes)
	}
	if !utf8.Valid(text) { // escapes such as \ud800 survive the message-level check
		return reject(ReasonBadText, "text holds an invalid escape sequence")
	}
	p.Text = string(text)

	p.Lang = optString(p, f.lang, "lang", 35)
	p.Source = optString(p, f.source, "source", 32)
	p.RepostOf = optID(p, f.repostOf, "repost_of", d.limits.MaxIDBytes)
	p.ReplyTo = optID(p, f.replyTo, "reply_to", d.limits.MaxIDBytes)
	p.QuoteOf = optID(p, f.quoteOf, "quote_of", d.limits.MaxIDBytes)

	if av := f.author; !isMissing(av) {
		if av.Type() != fastjson.TypeObject {
			p.warn("author: want an object, got %s", av.Type())
		} else {
			decodeAuthor(p, av, d.limits.MaxIDBytes)
		}
	}
	if gv := f.geo; !isMissing(gv) {
		decodeGeo(p, gv)
	}
	if pv := f.place; !isMissing(pv) {
		if pv.Type() != fastjson.TypeObject {
			p.warn("place: want an object, got %s", pv.Type())
		} else {
			p.Place.Name = optString(p, pv.Get("name"), "name", 200)
			if cc := optString(p, pv.Get("country_code"), "country_code", 8); cc != "" {
				if c, ok := countryCode(cc); ok {
					p.Place.CountryCode = c
				} else {
					p.warn("place.country_code: %q is not an ISO 3166-1 alpha-2 code", cc)
				}
			}
			if bv := pv.Get("bbox"); !isMissing(bv) {
				decodeBBox(p, bv)
			}
		}
	}
	return nil
}

// decodeBBox reads "bbox": [minLon, minLat, maxLon, maxLat] (the GeoJSON
// order).
func decodeBBox(p *Post, bv *fastjson.Value) {
	a, err := bv.Array()
	if err != nil || len(a) != 4 {
		p.warn("place.bbox: want [minLon, minLat, maxLon, maxLat]")
		return
	}
	var f [4]float64
	for i, v := range a {
		n, ok := number(v)
		if !ok {
			p.warn("place.bbox: want [minLon, minLat, maxLon, maxLat]")
			return
		}
		f[i] = n
	}
	b := BBox{MinLon: f[0], MinLat: f[1], MaxLon: f[2], MaxLat: f[3]}
	if !ValidBBox(b) {
		p.warn("place.bbox: %v is not a valid bounding box", f)
		return
	}
	p.Place.HasBBox, p.Place.BBox = true, b
}

// topFields are the values of the canonical post's fields, found in one
// pass over its keys: fastjson's Object.Get scans the keys on every call,
// twice for a key that is absent, and a dozen calls per post took a fifth
// of the decoder's time. The first of repeated keys counts, as with Get.
type topFields struct {
	id, createdAt, text, lang, source, repostOf, replyTo, quoteOf, author, geo, place *fastjson.Value
}

func (f *topFields) collect(v *fastjson.Value) {
	visitFirst(v, func(k []byte) **fastjson.Value {
		switch string(k) {
		case "id":
			return &f.id
		case "created_at":
			return &f.createdAt
		case "text":
			return &f.text
		case "lang":
			return &f.lang
		case "source":
			return &f.source
		case "repost_of":
			return &f.repostOf
		case "reply_to":
			return &f.replyTo
		case "quote_of":
			return &f.quoteOf
		case "author":
			return &f.author
		case "geo":
			return &f.geo
		case "place":
			return &f.place
		}
		return nil
	})
}

// authorFields are the author object's values, found like topFields.
type authorFields struct {
	id, handle, followers, following, posts, createdAt, verified, location, bio *fastjson.Value
}

func (f *authorFields) collect(v *fastjson.Value) {
	visitFirst(v, func(k []byte) **fastjson.Value {
		switch string(k) {
		case "id":
			return &f.id
		case "handle":
			return &f.handle
		case "followers":
			return &f.followers
		case "following":
			return &f.following
		case "posts":
			return &f.posts
		case "created_at":
			return &f.createdAt
		case "verified":
			return &f.verified
		case "location":
			return &f.location
		case "bio":
			return &f.bio
		}
		return nil
	})
}

// visitFirst sets *field(key) to the value of each key of object v that
// field knows, the first of repeated keys.
func visitFirst(v *fastjson.Value, field func(key []byte) **fastjson.Value) {
	o, _ := v.Object()
	o.Visit(func(k []byte, v *fastjson.Value) {
		if dst := field(k); dst != nil && *dst == nil {
			*dst = v
		}
	})
}

func decodeAuthor(p *Post, av *fastjson.Value, maxID int) {
	a := &p.Author
	var f authorFields
	f.collect(av)
	a.ID = optID(p, f.id, "id", maxID)
	a.Handle = optString(p, f.handle, "handle", 100)
	a.Followers = optCount(p, f.followers, "followers")
	a.Following = optCount(p, f.following, "following")
	a.Posts = optCount(p, f.posts, "posts")
	if tv := f.createdAt; !isMissing(tv) {
		if t, err := timeValue(tv); err == nil {
			a.CreatedAt = t
		} else {
			p.warn("author.created_at: %v", err)
		}
	}
	if bv := f.verified; !isMissing(bv) {
		switch bv.Type() {
		case fastjson.TypeTrue:
			a.Verified = true
		case fastjson.TypeFalse:
		default:
			p.warn("author.verified: want a boolean, got %s", bv.Type())
		}
	}
	a.Location = optString(p, f.location, "location", 300)
	a.Bio = optString(p, f.bio, "bio", 1000)
}

func decodeGeo(p *Post, gv *fastjson.Value) {
	if gv.Type() != fastjson.TypeObject {
		p.warn("geo: want an object, got %s", gv.Type())
		return
	}
	lat, okLat := number(gv.Get("lat"))
	lon, okLon := number(gv.Get("lon"))
	if !okLat || !okLon {
		p.warn("geo: lat and lon must both be numbers")
		return
	}
	if !geo.ValidPoint(lat, lon) { // finite, in range, not (0, 0)
		p.warn("geo: (%g, %g) is not a valid coordinate", lat, lon)
		return
	}
	p.HasGeo, p.Geo = true, Point{Lat: lat, Lon: lon}
}

var errMissing = fmt.Errorf("missing")

func isMissing(v *fastjson.Value) bool { return v == nil || v.Type() == fastjson.TypeNull }

// idField accepts a non-empty string or a non-negative integer literal (some
// sources send numeric ids); the integer keeps its exact digits.
func idField(v *fastjson.Value, maxLen int) (string, error) {
	if isMissing(v) {
		return "", errMissing
	}
	var raw []byte
	switch v.Type() {
	case fastjson.TypeString:
		raw, _ = v.StringBytes()
	case fastjson.TypeNumber:
		raw = v.MarshalTo(nil)
		for _, c := range raw {
			if c < '0' || c > '9' {
				return "", fmt.Errorf("number %s is not a non-negative integer", raw)
			}
		}
	default:
		return "", fmt.Errorf("want a string, got %s", v.Type())
	}
	if err := checkID(raw, maxLen); err != nil {
		return "", err
	}
	if !utf8.Valid(raw) { // an escape such as \ud800
		return "", fmt.Errorf("not valid UTF-8")
	}
	return string(raw), nil
}

// checkID is the rule for an id's bytes: not empty (errMissing), at most
// maxLen bytes, no control characters. (They must be valid UTF-8 too,
// which decodeFast's strings are.)
func checkID(raw []byte, maxLen int) error {
	if len(raw) == 0 {
		return errMissing
	}
	if len(raw) > maxLen {
		return fmt.Errorf("%d bytes, limit %d", len(raw), maxLen)
	}
	for _, c := range raw {
		if c < 0x20 || c == 0x7f {
			return fmt.Errorf("holds a control character")
		}
	}
	return nil
}

// optID reads the optional id f, the value of key.
func optID(p *Post, f *fastjson.Value, key string, maxLen int) string {
	id, err := idField(f, maxLen)
	if err != nil && err != errMissing {
		p.warn("%s: %v", key, err)
	}
	return id
}

func optString(p *Post, f *fastjson.Value, key string, maxLen int) string {
	if isMissing(f) {
		return ""
	}
	if f.Type() != fastjson.TypeString {
		p.warn("%s: want a string, got %s", key, f.Type())
		return ""
	}
	b, _ := f.StringBytes()
	if !utf8.Valid(b) {
		p.warn("%s: invalid escape sequence", key)
		return ""
	}
	if len(b) > maxLen {
		b = truncateUTF8(b, maxLen)
	}
	return string(b)
}

// optCount reads a non-negative count; real feeds sometimes send numbers as
// strings ("1200"), which are accepted. Unknown or invalid counts are -1.
func optCount(p *Post, f *fastjson.Value, key string) int64 {
	if isMissing(f) {
		return -1
	}
	n, ok := number(f)
	if !ok || !isCount(n) {
		p.warn("%s: want a non-negative integer, got %s", key, truncateUTF8(f.MarshalTo(nil), 40))
		return -1
	}
	return int64(n)
}

// isCount reports whether n is a count: a non-negative integer up to 1e12.
func isCount(n float64) bool { return n >= 0 && n <= 1e12 && n == math.Trunc(n) }

// number reads a JSON number or a string holding one.
func number(v *fastjson.Value) (float64, bool) {
	if v == nil {
		return 0, false
	}
	switch v.Type() {
	case fastjson.TypeNumber:
		f, err := v.Float64()
		return f, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		f, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
		return f, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
	}
	return 0, false
}

// timeValue accepts RFC 3339 strings (with or without fractional seconds)
// and Unix epoch milliseconds as a number.
func timeValue(v *fastjson.Value) (time.Time, error) {
	var t time.Time
	switch v.Type() {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return timeString(b)
	case fastjson.TypeNumber:
		ms, err := v.Int64()
		if err != nil {
			return time.Time{}, fmt.Errorf("want epoch milliseconds, got %s", v.MarshalTo(nil))
		}
		t = time.UnixMilli(ms)
	default:
		return time.Time{}, fmt.Errorf("want a string, got %s", v.Type())
	}
	return inRange(t)
}

// timeString parses an RFC 3339 time, with or without fractional seconds.
func timeString(b []byte) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time", truncateUTF8(b, 40))
	}
	return inRange(t)
}

// inRange returns t in UTC when it is within the years posts are taken from.
func inRange(t time.Time) (time.Time, error) {
	t = t.UTC()
	if t.Before(minTime) || !t.Before(maxTime) {
		return time.Time{}, fmt.Errorf("%s is outside %d–%d", t.Format(time.RFC3339), minTime.Year(), maxTime.Year()-1)
	}
	return t, nil
}

// countryCode upper-cases a two-letter ASCII code.
func countryCode(s string) (string, bool) {
	var b [2]byte
	if len(s) != 2 || !upperLetter(&b[0], s[0]) || !upperLetter(&b[1], s[1]) {
		return "", false
	}
	return string(b[:]), true
}

// upperLetter sets *dst to c upper-cased if c is an ASCII letter.
func upperLetter(dst *byte, c byte) bool {
	switch {
	case c >= 'A' && c <= 'Z':
	case c >= 'a' && c <= 'z':
		c -= 'a' - 'A'
	default:
		return false
	}
	*dst = c
	return true
}

func truncateUTF8(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	b = b[:n]
	for len(b) > 0 && !utf8.Valid(b) {
		b = b[:len(b)-1]
	}
	return b
}

func (p *Post) warn(format string, args ...any) {
	if len(p.Warnings) < 16 {
		p.Warnings = append(p.Warnings, fmt.Sprintf(format, args...))
	}
}
