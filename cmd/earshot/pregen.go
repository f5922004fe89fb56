package main

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"math/rand/v2"
	"time"

	"github.com/segmentio/kafka-go"
)

// prepared holds the posts of `earshot gen --pregenerate`, all made before
// the first is sent. Making a post costs more CPU than sending it (1M
// posts on the 2-vCPU EPYC: 3.2 s to make, 2.7 s to send with LZ4), so a
// real-time run that makes posts as it goes cannot reach the rates the
// pipeline under test handles on the same machine; one that only sends
// can. Keys and values sit in chunks; each post's created_at is rewritten
// in place when it is taken, by the time between the generator's start and
// the send's, so that it says when the post was due to be sent.
type prepared struct {
	chunks [][]byte
	msgs   []preparedMsg
	next   int // the first message not taken
	st     stamper
}

type preparedMsg struct {
	ms              int64 // created_at as made, Unix ms
	chunk           int32
	key, value, end int32 // key = chunk[key:value], value = chunk[value:end]
	stamp           int32 // created_at's timestamp in the value; -1 when it has none (malformed)
	extra           bool  // a malformed message after a post, not counted as one
}

// preparedChunk is the size of one chunk of keys and values; a post is a
// few hundred bytes.
const preparedChunk = 64 << 20

// stampLen is the length of a created_at the generator writes:
// 2006-01-02T15:04:05.000Z.
const stampLen = 24

var createdAtField = []byte(`"created_at":"`)

// prepare makes the posts of the run: --count, or --rate × --duration.
func (o *genOptions) prepare(ctx context.Context, g postSource, rng *rand.Rand) *prepared {
	total := o.count
	if total <= 0 {
		total = int64(math.Ceil(o.rate * o.duration.Seconds()))
	}
	start := time.Now()
	p := &prepared{msgs: make([]preparedMsg, 0, total+total/100), st: newStamper()}
	var batch []kafka.Message
	for n := int64(0); n < total && ctx.Err() == nil; n++ {
		batch = o.appendNext(batch[:0], g, rng, n)
		for i, m := range batch {
			p.add(m.Key, m.Value, i > 0)
		}
	}
	var size int
	for _, c := range p.chunks {
		size += len(c)
	}
	slog.Info("posts made before sending", "posts", total, "messages", len(p.msgs), "mb", size>>20,
		"seconds", time.Since(start).Seconds())
	return p
}

// add appends one message, noting where its created_at is.
func (p *prepared) add(key, value []byte, extra bool) {
	if len(p.chunks) == 0 || len(p.chunks[len(p.chunks)-1])+len(key)+len(value) > preparedChunk {
		p.chunks = append(p.chunks, make([]byte, 0, max(preparedChunk, len(key)+len(value))))
	}
	ci := len(p.chunks) - 1
	c := p.chunks[ci]
	m := preparedMsg{chunk: int32(ci), key: int32(len(c)), stamp: -1, extra: extra}
	c = append(c, key...)
	m.value = int32(len(c))
	c = append(c, value...)
	m.end = int32(len(c))
	p.chunks[ci] = c
	// The first created_at is the post's own: the author's comes after
	// it, and one inside the text would be escaped.
	if i := bytes.Index(value, createdAtField); i >= 0 {
		at := i + len(createdAtField)
		if at+stampLen < len(value) && value[at+stampLen] == '"' {
			if t, err := time.Parse(time.RFC3339Nano, string(value[at:at+stampLen])); err == nil {
				m.stamp, m.ms = int32(at), t.UnixMilli()
			}
		}
	}
	p.msgs = append(p.msgs, m)
}

// take appends the next want posts (and the malformed messages after
// them) to batch, each created_at moved by shift milliseconds, and returns
// how many posts it took: fewer than want at the end.
func (p *prepared) take(batch []kafka.Message, want int64, shift int64) ([]kafka.Message, int64) {
	var posts int64
	for p.next < len(p.msgs) {
		m := &p.msgs[p.next]
		if !m.extra {
			if posts == want {
				break
			}
			posts++
		}
		p.next++
		c := p.chunks[m.chunk]
		value := c[m.value:m.end:m.end]
		if m.stamp >= 0 {
			p.st.restamp(value[m.stamp:m.stamp+stampLen], m.ms+shift)
		}
		batch = append(batch, kafka.Message{Key: c[m.key:m.value:m.value], Value: value})
	}
	return batch, posts
}

// stamper writes created_at timestamps, formatting each second once.
type stamper struct {
	sec  int64  // the second text holds
	text []byte // "2006-01-02T15:04:05" of sec
}

func newStamper() stamper { return stamper{sec: math.MinInt64} }

// restamp writes ms as 2006-01-02T15:04:05.000Z into dst (stampLen bytes).
func (st *stamper) restamp(dst []byte, ms int64) {
	sec, frac := ms/1000, ms%1000
	if frac < 0 {
		sec, frac = sec-1, frac+1000
	}
	if sec != st.sec {
		st.sec = sec
		st.text = time.Unix(sec, 0).UTC().AppendFormat(st.text[:0], "2006-01-02T15:04:05")
	}
	copy(dst, st.text)
	dst[19], dst[20], dst[21], dst[22], dst[23] = '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10), 'Z'
}
