package dedup

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cespare/xxhash/v2"
)

// AppendNormal appends the copy form of text to dst and returns it: words
// separated by single spaces, lower-cased (Unicode simple case folding),
// with URLs (http:// or https://), @handles and a leading "RT" (a manual
// repost) dropped. Two posts whose texts differ only in these respects have
// the same copy form. Invalid UTF-8 bytes are kept as they are.
func AppendNormal(dst, text []byte) []byte {
	base := len(dst)
	first := true
	for len(text) > 0 {
		// Skip whitespace (ASCII bytes without decoding them). This test
		// and the word loop's are written out: one helper for both measured
		// BenchmarkCopyKey 271 → 475 ns.
		if c := text[0]; c < utf8.RuneSelf {
			if asciiSpace[c] {
				text = text[1:]
				continue
			}
		} else if r, n := utf8.DecodeRune(text); unicode.IsSpace(r) {
			text = text[n:]
			continue
		}
		// One word: up to the next space.
		end, ascii := 0, true
		for end < len(text) {
			if c := text[end]; c < utf8.RuneSelf {
				if asciiSpace[c] {
					break
				}
				end++
				continue
			}
			r, n := utf8.DecodeRune(text[end:])
			if unicode.IsSpace(r) {
				break
			}
			end += n
			ascii = false
		}
		word := text[:end]
		text = text[end:]
		wasFirst := first
		first = false
		switch {
		case word[0] == '@', hasPrefixFold(word, "http://"), hasPrefixFold(word, "https://"):
			continue
		case wasFirst && len(word) == 2 && (word[0]|0x20) == 'r' && (word[1]|0x20) == 't':
			continue
		}
		if len(dst) > base {
			dst = append(dst, ' ')
		}
		if ascii { // the word at once, then its upper-case letters lowered in place
			at := len(dst)
			dst = append(dst, word...)
			for i, c := range dst[at:] {
				if 'A' <= c && c <= 'Z' {
					dst[at+i] = c + 'a' - 'A'
				}
			}
			continue
		}
		for i := 0; i < len(word); {
			c := word[i]
			if c < utf8.RuneSelf {
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				dst = append(dst, c)
				i++
				continue
			}
			r, n := utf8.DecodeRune(word[i:])
			if r == utf8.RuneError && n == 1 {
				dst = append(dst, c)
			} else {
				dst = utf8.AppendRune(dst, unicode.ToLower(r))
			}
			i += n
		}
	}
	return dst
}

var asciiSpace = [256]bool{' ': true, '\t': true, '\n': true, '\r': true, '\v': true, '\f': true}

func hasPrefixFold(b []byte, prefix string) bool {
	if len(b) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if b[i]|0x20 != prefix[i] && b[i] != prefix[i] {
			return false
		}
	}
	return true
}

// CopyKey hashes the copy form of text, using buf as scratch space (it
// returns buf for reuse). The key is 0 when nothing is left of the text
// (only links and handles): such posts are not compared.
func CopyKey(buf, text []byte) (uint64, []byte) {
	buf = AppendNormal(buf[:0], text)
	if len(buf) == 0 {
		return 0, buf
	}
	k := xxhash.Sum64(buf)
	if k == 0 {
		k = 1
	}
	return k, buf
}

// Copies remembers, per copy key, the first post seen with that text and
// how many posts carried it, for at least Span and at most 2×Span after the
// text was last seen, and at most MaxKeys texts (when full, the older
// generation is forgotten early).
type Copies struct {
	span      time.Duration
	maxKeys   int
	rotatedAt time.Time
	cur, prev map[uint64]copyEntry
	early     int
}

type copyEntry struct {
	first string
	count uint32
}

// copyEntryBytes estimates a remembered text's memory: the map slot (key,
// string header, count, control byte, load), plus a post id of ~19 bytes.
const copyEntryBytes = 64 + 19

// NewCopies returns an empty Copies remembering texts for span (≥ 1s) and
// at most maxKeys of them (≤ 0: 1,000,000).
func NewCopies(span time.Duration, maxKeys int, now time.Time) *Copies {
	if span < time.Second {
		span = time.Second
	}
	if maxKeys <= 0 {
		maxKeys = 1_000_000
	}
	return &Copies{span: span, maxKeys: maxKeys, rotatedAt: now,
		cur: map[uint64]copyEntry{}, prev: map[uint64]copyEntry{}}
}

// Observe records that post id carried the text of key and returns the first
// post seen with it ("" when id is the first) and the number of posts seen
// with it so far, this one included. A key of 0 is not recorded.
func (c *Copies) Observe(key uint64, id string, now time.Time) (copyOf string, count uint32) {
	if key == 0 {
		return "", 0
	}
	c.rotate(now)
	e, ok := c.cur[key]
	if !ok {
		e, ok = c.prev[key]
	}
	if !ok {
		c.cur[key] = copyEntry{first: strings.Clone(id), count: 1}
		return "", 1
	}
	e.count++
	c.cur[key] = e
	return e.first, e.count
}

// Len is the number of texts remembered.
func (c *Copies) Len() int { return len(c.cur) + len(c.prev) }

// Bytes estimates the memory held.
func (c *Copies) Bytes() int { return c.Len() * copyEntryBytes }

// EarlyRotations counts the rotations forced by MaxKeys.
func (c *Copies) EarlyRotations() int { return c.early }

func (c *Copies) rotate(now time.Time) {
	full := len(c.cur) >= c.maxKeys/2 // so both generations hold ≤ maxKeys
	if !full && now.Sub(c.rotatedAt) < c.span {
		return
	}
	if full {
		c.early++
	}
	if !full && now.Sub(c.rotatedAt) >= 2*c.span {
		c.prev = map[uint64]copyEntry{}
	} else {
		c.prev = c.cur
	}
	c.cur = make(map[uint64]copyEntry, len(c.prev)/2)
	c.rotatedAt = now
}
