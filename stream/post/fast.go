package post

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/bits"
	"time"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/valyala/fastjson"
	"github.com/valyala/fastjson/fastfloat"

	"earshot/enrich/geo"
)

// decodeFast decodes the canonical post in data into p in one pass over
// its bytes, without building a tree. Decoding is about half of what the
// pipeline spends per post, and with fastjson most of that went to the
// tree and to walking it (a parse, then a lookup, a type switch and an
// unescape per field: 2.6 µs for a full post of 484 bytes). Written by hand
// because it must be faster than the general parsers; it is kept small by
// taking only the common case: well-formed JSON whose fields have the types
// of the canonical post and values the decoder accepts without a warning.
// At anything else (a syntax error, a repeated field, an escaped key, a
// count sent as a string, a value to warn about, a reject) it returns false,
// and Decode decodes the message with fastjson, which classifies rejects
// and writes warnings. FuzzDecodeFast holds it to fastjson's result on
// every message it takes.
//
// With deferAuthor, it reads of the author only Followers and Verified, and
// keeps the object's bytes for CompleteAuthor.
func (d *Decoder) decodeFast(data []byte, p *Post, deferAuthor bool) bool {
	s := scanner{b: data, buf: d.buf[:0], kept: kept{b: d.kept[:0]}}
	if deferAuthor {
		s.kept.src = data // DecodeDeferred: strings may point into data
	}
	defer func() { d.buf, d.kept = s.buf, s.kept.b }()
	seen, ok := s.object(func(k []byte) (uint32, bool) {
		switch string(k) {
		case "id":
			return 1 << 0, s.id(&p.ID, d.limits.MaxIDBytes, true)
		case "created_at":
			return 1 << 1, s.time(&p.CreatedAt, &d.day)
		case "text":
			t, ok := s.str()
			if !ok || len(t) > d.limits.MaxTextBytes {
				return 0, false
			}
			return 1 << 2, s.keep(&p.Text, t)
		case "lang":
			return 1 << 3, s.optString(&p.Lang, 35)
		case "source":
			return 1 << 4, s.optString(&p.Source, 32)
		case "repost_of":
			return 1 << 5, s.id(&p.RepostOf, d.limits.MaxIDBytes, false)
		case "reply_to":
			return 1 << 6, s.id(&p.ReplyTo, d.limits.MaxIDBytes, false)
		case "quote_of":
			return 1 << 7, s.id(&p.QuoteOf, d.limits.MaxIDBytes, false)
		case "author":
			if deferAuthor {
				return 1 << 8, s.authorBrief(p, d.limits.MaxIDBytes)
			}
			return 1 << 8, s.author(&p.Author, d.limits.MaxIDBytes)
		case "geo":
			return 1 << 9, s.geo(p)
		case "place":
			return 1 << 10, s.place(&p.Place)
		}
		return 0, s.skip(1)
	})
	s.ws()
	if !ok || s.i != len(s.b) { // or a tail after the object
		return false
	}
	// id and text are required; created_at too unless the time is optional
	// (null leaves it zero, and a valid time is not).
	const required = 1<<0 | 1<<2
	if seen&required != required || (p.CreatedAt.IsZero() && !d.limits.OptionalTime) {
		return false
	}
	s.kept.set()
	return true
}

// scanner reads JSON from b at i; buf holds unescaped strings. Its
// structure (objects, strings, skipped values) is read by functions that
// take and return the index, which stays in a register (skipping a whole
// post: 561 ns, against 664 through the struct, where each token's update
// of i waits on the last one's store).
type scanner struct {
	b    []byte
	i    int
	buf  []byte
	kept kept
}

// kept collects the strings a post keeps, to make them with one
// allocation once the post is decoded (a post's strings were 7 of its 7
// allocations; the garbage collector was a sixth of the pipeline's CPU).
// With src (DecodeDeferred, whose data must stay unchanged while the post
// is in use), a string read from src as it is, without an escape, points
// into src instead: a post without escapes costs no allocation at all.
type kept struct {
	b   []byte // the strings' bytes, one after the other
	src []byte // the message, when strings may point into it
	n   int
	str [13]struct { // at most the 9 strings of a post and the 4 of its author
		dst *string
		end int // in b; or, in src, -1 - its start
		n   int // its length in src
	}
}

// keep makes *dst a copy of v when set is called. It is false when the
// strings are all kept already, which only a repeated key can do (and
// object takes none).
func (s *scanner) keep(dst *string, v []byte) bool {
	k := &s.kept
	if len(v) == 0 {
		*dst = ""
		return true
	}
	if k.n == len(k.str) {
		return false
	}
	if off, ok := within(k.src, v); ok {
		k.str[k.n].dst, k.str[k.n].end, k.str[k.n].n = dst, -1-off, len(v)
		k.n++
		return true
	}
	k.b = append(k.b, v...)
	k.str[k.n].dst, k.str[k.n].end = dst, len(k.b)
	k.n++
	return true
}

// within returns the offset of v in src when v's bytes are src's (v is not
// empty).
func within(src, v []byte) (int, bool) {
	if len(src) == 0 {
		return 0, false
	}
	off := uintptr(unsafe.Pointer(unsafe.SliceData(v))) - uintptr(unsafe.Pointer(unsafe.SliceData(src)))
	if off >= uintptr(len(src)) || uintptr(len(v)) > uintptr(len(src))-off {
		return 0, false
	}
	return int(off), true
}

// set sets the strings kept: those in src point into it, the others share
// one allocation.
func (k *kept) set() {
	if k.n == 0 {
		return
	}
	var all string
	if len(k.b) > 0 {
		all = string(k.b)
	}
	start := 0
	for _, s := range k.str[:k.n] {
		if s.end < 0 {
			*s.dst = unsafe.String(&k.src[-1-s.end], s.n)
			continue
		}
		*s.dst, start = all[start:s.end], s.end
	}
}

func (s *scanner) ws() { s.i = ws(s.b, s.i) }

// ws returns the index of the first byte at or after i that is not JSON
// whitespace.
func ws(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// eat consumes c after whitespace if it is next: an object's or array's
// opening, or its closing right after (an empty one).
func (s *scanner) eat(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// object reads an object, calling field with each member's key to read
// its value (at s.i): field returns the key's bit (0 for keys it skips)
// and whether it took the value. A repeated key with a bit, or an escaped
// key, is not taken. It returns the bits of the keys read.
func (s *scanner) object(field func(key []byte) (uint32, bool)) (seen uint32, ok bool) {
	b := s.b
	i := ws(b, s.i)
	if i >= len(b) || b[i] != '{' {
		return 0, false
	}
	if i = ws(b, i+1); i < len(b) && b[i] == '}' {
		s.i = i + 1
		return 0, true
	}
	for {
		k, end, ok := member(b, i)
		if !ok {
			return 0, false
		}
		s.i = end
		bit, ok := field(k)
		if !ok || seen&bit != 0 {
			return 0, false
		}
		seen |= bit
		if i, ok = after(b, s.i, '}'); !ok {
			return 0, false
		}
		if i < 0 {
			s.i = -i
			return seen, true
		}
	}
}

// member reads a member's key at i (a string without escapes) and its ':',
// returning the key and the index of its value.
func member(b []byte, i int) (key []byte, value int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false
	}
	end := -1
	if k := i + 1; k+16 <= len(b) { // a key of up to 15 bytes, without a call to strEnd
		m, n := quoteOrBackslash(binary.LittleEndian.Uint64(b[k:])), 0
		if m == 0 {
			m, n = quoteOrBackslash(binary.LittleEndian.Uint64(b[k+8:])), 8
		}
		if m != 0 {
			if end = k + n + bits.TrailingZeros64(m)>>3; b[end] != '"' {
				return nil, 0, false // an escape
			}
			end++
		}
	}
	if end < 0 {
		var esc bool
		if end, esc = strEnd(b, i+1); end < 0 || esc {
			return nil, 0, false
		}
	}
	j := ws(b, end)
	if j >= len(b) || b[j] != ':' {
		return nil, 0, false
	}
	return b[i+1 : end-1], ws(b, j+1), true
}

// after reads what follows a member or an element at i: a ',' (it
// returns the index of the next one) or the closing c (it returns minus
// the index after it).
func after(b []byte, i int, c byte) (int, bool) {
	i = ws(b, i)
	switch {
	case i >= len(b):
		return 0, false
	case b[i] == ',':
		return ws(b, i+1), true
	case b[i] == c:
		return -(i + 1), true
	}
	return 0, false
}

// peek returns the next value's first byte (0 at the end).
func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// null consumes a null if one is next.
func (s *scanner) null() bool { return s.word("null") }

// raw reads a string's bytes as they are between its quotes, escapes and
// all, and whether it has an escape.
func (s *scanner) raw() (raw []byte, esc, ok bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false, false
	}
	end, esc := strEnd(s.b, s.i+1)
	if end < 0 {
		return nil, false, false
	}
	raw, s.i = s.b[s.i+1:end-1], end
	return raw, esc, true
}

// strEnd returns the index after the closing quote of the string whose
// bytes start at i (up to the first quote that is not escaped; -1 if
// there is none), and whether it has an escape. Eight bytes at a time
// while they hold neither a quote nor a backslash: bytes.IndexByte's setup
// costs more than the short keys and values of a post (it was a third of
// the decoder's time).
func strEnd(b []byte, i int) (end int, esc bool) {
	for {
		for ; i+8 <= len(b); i += 8 {
			if m := quoteOrBackslash(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3 // the first is exact
				goto found
			}
		}
		for i < len(b) && b[i] != '"' && b[i] != '\\' {
			i++
		}
		if i >= len(b) {
			return -1, false
		}
	found:
		if b[i] == '"' {
			return i + 1, esc
		}
		esc = true
		i += 2 // the backslash and the byte it escapes
	}
}

// quoteOrBackslash returns the high bits of the bytes of x that are '"'
// or '\\' (the classic test for a zero byte, on x xor each): the lowest is
// exact, the ones above it may be false.
func quoteOrBackslash(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := x ^ ones*'"'
	bs := x ^ ones*'\\'
	return ((q-ones)&^q | (bs-ones)&^bs) & highs
}

// str reads a string value, unescaped. Escapes are taken when they are
// JSON's own and a \u escape is a whole rune (a lone surrogate is not
// taken): there fastjson's unescaping agrees and gives valid UTF-8. The
// bytes are valid until the next call.
func (s *scanner) str() ([]byte, bool) {
	raw, esc, ok := s.raw()
	if !ok {
		return nil, false
	}
	if !esc {
		return raw, true // within the valid UTF-8 message, between ASCII quotes
	}
	n := bytes.IndexByte(raw, '\\')
	b := append(s.buf[:0], raw[:n]...)
	for r := raw[n:]; len(r) > 0; {
		if r[0] != '\\' {
			n := bytes.IndexByte(r, '\\')
			if n < 0 {
				n = len(r)
			}
			b, r = append(b, r[:n]...), r[n:]
			continue
		}
		if len(r) < 2 {
			return nil, false
		}
		c := r[1]
		r = r[2:]
		switch c {
		case '"', '\\', '/':
			b = append(b, c)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			x, ok := hex4(r)
			if !ok {
				return nil, false
			}
			r = r[4:]
			if utf16.IsSurrogate(x) {
				if len(r) < 6 || r[0] != '\\' || r[1] != 'u' {
					return nil, false
				}
				y, ok := hex4(r[2:])
				if x >= 0xDC00 || !ok || y < 0xDC00 || y > 0xDFFF {
					return nil, false
				}
				x, r = utf16.DecodeRune(x, y), r[6:]
			}
			b = utf8.AppendRune(b, x)
		default:
			return nil, false
		}
	}
	s.buf = b
	return b, true
}

// hex4 reads four hex digits.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var x rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		x = x<<4 | rune(c)
	}
	return x, true
}

// number reads a number in JSON's grammar, returning its text.
func (s *scanner) number() ([]byte, bool) {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i)
	default:
		return nil, false
	}
	if i < len(b) && b[i] == '.' {
		if j := digits(b, i+1); j > i+1 {
			i = j
		} else {
			return nil, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if j := digits(b, i); j > i {
			i = j
		} else {
			return nil, false
		}
	}
	n := b[s.i:i]
	s.i = i
	return n, true
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// float reads a finite number, parsed as fastjson parses it. A number of
// up to 15 digits without an exponent (every count and coordinate of a
// post) is parsed as it is read, with fastfloat.Parse's arithmetic: its
// digits as an integer, over the power of ten of its fraction's.
func (s *scanner) float() (float64, bool) {
	b, i := s.b, s.i
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	var d uint64
	j := i
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		d = d*10 + uint64(b[i]-'0')
	}
	n, frac := i-j, 0
	if i < len(b) && b[i] == '.' {
		k := i + 1
		for i = k; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			d = d*10 + uint64(b[i]-'0')
		}
		frac = i - k
	}
	if n > 0 && n+frac <= 15 && (b[j] != '0' || n == 1) && (frac > 0 || i == j+n) &&
		(i == len(b) || b[i] != 'e' && b[i] != 'E') {
		f := float64(d)
		if frac > 0 {
			f /= pow10[frac]
		}
		if neg {
			f = -f
		}
		s.i = i
		return f, true
	}
	return s.parseFloat()
}

// pow10 are fastfloat's powers of ten for a number's fraction.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// parseFloat reads any finite number, parsed as fastjson parses it.
func (s *scanner) parseFloat() (float64, bool) {
	n, ok := s.number()
	if !ok {
		return 0, false
	}
	// The string is only read during the call.
	f, err := fastfloat.Parse(unsafe.String(unsafe.SliceData(n), len(n)))
	return f, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
}

// id reads an id as idField does: a non-empty string or an integer
// literal's digits, without control characters, at most maxLen bytes; null
// when not required.
func (s *scanner) id(dst *string, maxLen int, required bool) bool {
	var raw []byte
	switch c := s.peek(); {
	case c == '"':
		var ok bool
		if raw, ok = s.str(); !ok {
			return false
		}
	case c >= '0' && c <= '9':
		var ok bool
		if raw, ok = s.number(); !ok || len(bytes.Trim(raw, "0123456789")) > 0 {
			return false
		}
	default:
		return !required && s.null()
	}
	switch err := checkID(raw, maxLen); {
	case err == errMissing:
		return !required // optional ids: empty is absent
	case err != nil:
		return false
	}
	return s.keep(dst, raw)
}

// time reads an RFC 3339 time as timeValue does (a string; the epoch
// milliseconds that Decode takes too are left to it). c, when not nil, is
// the day of the last time it read, which spares parsing a time of that
// day.
func (s *scanner) time(dst *time.Time, c *day) bool {
	if s.null() {
		return true // absent: Decode requires it unless the time is optional
	}
	b, ok := s.str()
	if !ok {
		return false
	}
	if t, ok := c.time(b); ok {
		*dst = t
		return true
	}
	t, err := timeString(b)
	if err != nil {
		return false
	}
	c.learn(b, t)
	*dst = t
	return true
}

// day is the date of the last post time decodeFast parsed. Posts come
// about in the order of their times, so most are of the day of the one
// before: their time is the day's start and the time of day, without
// time.Parse and the calendar arithmetic of time.Date (together 9% of
// DecodeDeferred). A time of another day, or in another form, costs a
// comparison more and becomes the day.
type day struct {
	date  [len("2006-01-02T")]byte
	start int64 // Unix seconds
	ok    bool
}

// time returns the time b when it is of the day, in UTC
// ("2006-01-02T15:04:05[.9…]Z") as time.Parse reads it.
func (c *day) time(b []byte) (time.Time, bool) {
	if c == nil || !c.ok || len(b) < len(c.date) || string(b[:len(c.date)]) != string(c.date[:]) {
		return time.Time{}, false
	}
	sec, nsec, ok := timeOfDay(b[len(c.date):])
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(c.start+sec, nsec).UTC(), true
}

// learn makes t, parsed from b, the day's when b is in the form time takes.
// The day is then valid (time.Parse took the date) and within minTime and
// maxTime (t is, and both are at midnight).
func (c *day) learn(b []byte, t time.Time) {
	if c == nil || len(b) < len(c.date) {
		return
	}
	if sec, _, ok := timeOfDay(b[len(c.date):]); ok {
		copy(c.date[:], b)
		c.start, c.ok = t.Unix()-sec, true
	}
}

// timeOfDay reads "15:04:05[.9…]Z" as time.Parse reads it in RFC 3339:
// seconds into the day and nanoseconds (digits after the ninth are
// ignored).
func timeOfDay(b []byte) (sec, nsec int64, ok bool) {
	if len(b) < len("15:04:05Z") || b[2] != ':' || b[5] != ':' {
		return 0, 0, false
	}
	h, m, s := num2(b[0], b[1]), num2(b[3], b[4]), num2(b[6], b[7])
	if h > 23 || m > 59 || s > 59 {
		return 0, 0, false
	}
	b = b[8:]
	if len(b) > 2 && b[0] == '.' {
		n := 1
		for ; n < len(b) && b[n] >= '0' && b[n] <= '9'; n++ {
			if n <= 9 {
				nsec = nsec*10 + int64(b[n]-'0')
			}
		}
		if n == 1 {
			return 0, 0, false
		}
		for k := min(n, 10); k < 10; k++ {
			nsec *= 10
		}
		b = b[n:]
	}
	if len(b) != 1 || b[0] != 'Z' {
		return 0, 0, false
	}
	return int64(h)*3600 + int64(m)*60 + int64(s), nsec, true
}

// num2 is the number of two decimal digits (over 99 when they are not).
func num2(a, b byte) int {
	a, b = a-'0', b-'0'
	if a > 9 || b > 9 {
		return 100
	}
	return int(a)*10 + int(b)
}

// optString reads an optional string as optString does, truncated to
// maxLen bytes.
func (s *scanner) optString(dst *string, maxLen int) bool {
	if s.null() {
		return true
	}
	b, ok := s.str()
	if !ok {
		return false
	}
	return s.keep(dst, truncateUTF8(b, maxLen))
}

// count reads an optional count as optCount does: a non-negative integer
// up to 1e12 (-1 when null). Counts sent as strings are left to Decode.
func (s *scanner) count(dst *int64) bool {
	if s.null() {
		*dst = -1
		return true
	}
	n, ok := s.float()
	if !ok || !isCount(n) {
		return false
	}
	*dst = int64(n)
	return true
}

func (s *scanner) author(a *Author, maxID int) bool {
	if s.null() {
		return true
	}
	_, ok := s.object(func(k []byte) (uint32, bool) {
		switch string(k) {
		case "id":
			return 1 << 0, s.id(&a.ID, maxID, false)
		case "handle":
			return 1 << 1, s.optString(&a.Handle, 100)
		case "followers":
			return 1 << 2, s.count(&a.Followers)
		case "following":
			return 1 << 3, s.count(&a.Following)
		case "posts":
			return 1 << 4, s.count(&a.Posts)
		case "created_at":
			return 1 << 5, s.time(&a.CreatedAt, nil)
		case "verified":
			return 1 << 6, s.verified(&a.Verified)
		case "location":
			return 1 << 7, s.optString(&a.Location, 300)
		case "bio":
			return 1 << 8, s.optString(&a.Bio, 1000)
		}
		return 0, s.skip(1)
	})
	return ok
}

// authorBrief reads of the author object only followers and verified
// (as author does) and keeps its bytes in p for CompleteAuthor.
func (s *scanner) authorBrief(p *Post, maxID int) bool {
	start := s.i
	if s.null() {
		return true
	}
	a := &p.Author
	_, ok := s.object(func(k []byte) (uint32, bool) {
		switch string(k) {
		case "followers":
			return 1 << 0, s.count(&a.Followers)
		case "verified":
			return 1 << 1, s.verified(&a.Verified)
		}
		return 0, s.skip(1)
	})
	if ok {
		p.author = deferred{raw: s.b[start:s.i], maxID: maxID}
	}
	return ok
}

// verified reads a boolean or null (false).
func (s *scanner) verified(dst *bool) bool {
	switch {
	case s.word("true"):
		*dst = true
		return true
	case s.word("false"):
		return true
	}
	return s.null()
}

// geo reads {"lat": …, "lon": …} when both are numbers of a valid point.
func (s *scanner) geo(p *Post) bool {
	if s.null() {
		return true
	}
	var lat, lon float64
	seen, ok := s.object(func(k []byte) (uint32, bool) {
		var ok bool
		switch string(k) {
		case "lat":
			lat, ok = s.float()
			return 1 << 0, ok
		case "lon":
			lon, ok = s.float()
			return 1 << 1, ok
		}
		return 0, s.skip(1)
	})
	if !ok || seen != 3 || !geo.ValidPoint(lat, lon) {
		return false
	}
	p.HasGeo, p.Geo = true, Point{Lat: lat, Lon: lon}
	return true
}

func (s *scanner) place(pl *Place) bool {
	if s.null() {
		return true
	}
	_, ok := s.object(func(k []byte) (uint32, bool) {
		switch string(k) {
		case "name":
			return 1 << 0, s.optString(&pl.Name, 200)
		case "country_code":
			return 1 << 1, s.countryCode(&pl.CountryCode)
		case "bbox":
			return 1 << 2, s.bbox(pl)
		}
		return 0, s.skip(1)
	})
	return ok
}

// countryCode reads an optional country code as decodeTree does (a
// string of two ASCII letters, upper-cased; "" is absent).
func (s *scanner) countryCode(dst *string) bool {
	if s.null() {
		return true
	}
	b, ok := s.str()
	if !ok || len(b) == 0 {
		return ok
	}
	var cc [2]byte
	if len(b) != 2 || !upperLetter(&cc[0], b[0]) || !upperLetter(&cc[1], b[1]) {
		return false
	}
	return s.keep(dst, cc[:])
}

// bbox reads [minLon, minLat, maxLon, maxLat] of a valid box.
func (s *scanner) bbox(pl *Place) bool {
	if s.null() {
		return true
	}
	if !s.eat('[') {
		return false
	}
	var f [4]float64
	for k := range f {
		var ok bool
		if f[k], ok = s.float(); !ok {
			return false
		}
		i, ok := after(s.b, s.i, ']')
		if !ok || (i >= 0) != (k < 3) { // a ',' after the first three, the ']' after the fourth
			return false
		}
		s.i = max(i, -i)
	}
	b := BBox{MinLon: f[0], MinLat: f[1], MaxLon: f[2], MaxLat: f[3]}
	if !ValidBBox(b) {
		return false
	}
	pl.HasBBox, pl.BBox = true, b
	return true
}

// maxSkipDepth bounds the nesting of the values skipped; deeper ones are
// left to Decode.
const maxSkipDepth = 32

// skip reads over any value at depth.
func (s *scanner) skip(depth int) bool {
	j := skip(s.b, s.i, depth)
	if j < 0 {
		return false
	}
	s.i = j
	return true
}

// skip returns the index after the value at i, or -1 when there is none
// (or it nests deeper than maxSkipDepth).
func skip(b []byte, i, depth int) int {
	if depth > maxSkipDepth || i >= len(b) {
		return -1
	}
	var ok bool
	switch c := b[i]; {
	case c == '"':
		i, _ = strEnd(b, i+1)
		return i
	case c == '{' || c == '[':
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		if i = ws(b, i+1); i < len(b) && b[i] == end {
			return i + 1
		}
		for {
			if c == '{' {
				if _, i, ok = member(b, i); !ok {
					return -1
				}
			}
			if i = skip(b, i, depth+1); i < 0 {
				return -1
			}
			if i, ok = after(b, i, end); !ok {
				return -1
			}
			if i < 0 {
				return -i
			}
		}
	case c == '-' || c >= '0' && c <= '9':
		s := scanner{b: b, i: i}
		if _, ok = s.number(); ok {
			return s.i
		}
	default:
		for _, w := range [...]string{"true", "false", "null"} {
			if w[0] == c && len(b)-i >= len(w) && string(b[i:i+len(w)]) == w {
				return i + len(w)
			}
		}
	}
	return -1
}

func (s *scanner) word(w string) bool {
	if len(s.b)-s.i >= len(w) && string(s.b[s.i:s.i+len(w)]) == w {
		s.i += len(w)
		return true
	}
	return false
}

// deferred is an author object whose decoding DecodeDeferred left to
// CompleteAuthor.
type deferred struct {
	raw   []byte // the object's JSON, in the message
	maxID int
}

// CompleteAuthor sets the author's fields that DecodeDeferred left unset
// (nothing for a post it decoded whole, or for one decoded by Decode), with
// Decode's warnings about them.
func (p *Post) CompleteAuthor() {
	d := p.author
	if d.raw == nil {
		return
	}
	p.author = deferred{}
	s := scanner{b: d.raw, kept: kept{src: d.raw}}
	brief := p.Author
	p.Author = Author{Followers: -1, Following: -1, Posts: -1}
	if s.author(&p.Author, d.maxID) {
		s.kept.set()
		return
	}
	p.Author = brief
	// Something to warn about: as decodeTree reads it. The bytes were
	// read as JSON already, so fastjson parses them.
	var fp fastjson.Parser
	v, err := fp.ParseBytes(d.raw)
	if err != nil {
		p.warn("author: %v", err)
		return
	}
	p.Author = Author{Followers: -1, Following: -1, Posts: -1}
	decodeAuthor(p, v, d.maxID)
}
