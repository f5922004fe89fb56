package stream

import (
	"errors"
	"strconv"
	"time"
	"unsafe"

	"github.com/segmentio/kafka-go"

	"earshot/enrich"
	"earshot/match"
	"earshot/sink"
	"earshot/stream/adapt"
	"earshot/stream/burst"
	"earshot/stream/dedup"
	"earshot/stream/post"
)

// Dead-letter headers: why a message was rejected and where it came from.
const (
	HeaderReason          = "earshot-reason"
	HeaderDetail          = "earshot-detail"
	HeaderSourceTopic     = "earshot-source-topic"
	HeaderSourcePartition = "earshot-source-partition"
	HeaderSourceOffset    = "earshot-source-offset"
)

// Enricher derives location (and later author) features for a mention.
type Enricher interface {
	Enrich(p *post.Post, f *enrich.Features)
}

// decoder turns a message into a post: *post.Decoder for canonical posts,
// *adapt.Adapter for other formats.
type decoder interface {
	Decode(data []byte, p *post.Post) error
}

// processor turns the messages of one partition into mention rows and dead
// letters. It belongs to that partition's owner goroutine.
type processor struct {
	topic     string
	partition int
	engine    func() *match.Engine
	enricher  Enricher
	dec       decoder
	seen      *dedup.Window
	copies    *dedup.Copies
	m         *metrics
	now       func() time.Time
	// detect: feed the burst detector (events, ticks, latest).
	detect      bool
	routePrefix string
	latest      time.Time // newest created_at seen (≤ wall clock + maxAhead)

	p    post.Post
	doc  match.Doc
	hits []int32
	feat enrich.Features
	norm []byte // scratch for the copy key
}

// handle processes one message, appending to c.
func (pr *processor) handle(msg *kafka.Message, c *chunk) {
	c.n.consumed++
	p := &pr.p
	if err := pr.dec.Decode(msg.Value, p); err != nil {
		var de *post.DecodeError
		if adapt.IsSkip(err) {
			c.n.skipped++ // a valid message that is no post (e.g. a deletion notice)
			return
		}
		if !errors.As(err, &de) {
			de = &post.DecodeError{Reason: post.ReasonInvalidJSON, Detail: err.Error()}
		}
		pr.m.deadLetters.WithLabelValues(string(de.Reason)).Inc()
		c.dead = append(c.dead, deadLetter(msg, de))
		return
	}
	c.n.decoded++
	if pr.detect {
		pr.observeTime(c, p.CreatedAt)
	}

	eng := pr.engine()
	pr.doc = DocOf(p)
	pr.hits = eng.Match(pr.hits[:0], &pr.doc)
	if len(pr.hits) == 0 {
		return
	}
	c.n.matched++
	if pr.seen.Seen(dedup.Key(p.ID), pr.now()) {
		c.n.duplicates++
		return
	}
	// Copies: the same normalised text from another post (reposts are kept
	// apart by is_repost and are not compared).
	var copyKey uint64
	var copyOf string
	var copyCount uint32
	if p.IsRepost() {
		c.n.reposts++
	} else {
		copyKey, pr.norm = dedup.CopyKey(pr.norm, pr.doc.Text)
		copyOf, copyCount = pr.copies.Observe(copyKey, p.ID, pr.now())
		if copyOf != "" {
			c.n.copies++
		}
	}
	pr.enricher.Enrich(p, &pr.feat)
	rules := eng.Rules()
	f := &pr.feat
	for _, h := range pr.hits {
		c.rows = append(c.rows, mentionRow(rules[h].ID, p, f))
		row := &c.rows[len(c.rows)-1]
		row.Topic, row.Partition, row.Offset = pr.topic, int32(pr.partition), msg.Offset
		row.CopyKey, row.CopyOf, row.CopyCount = copyKey, copyOf, copyCount
		if route := rules[h].Route; route != "" {
			if rm, err := routeMessage(pr.routePrefix, route, &c.rows[len(c.rows)-1]); err == nil {
				c.routed = append(c.routed, rm)
			}
		}
		if pr.detect {
			c.events = append(c.events, mentionEvent(&c.rows[len(c.rows)-1], pr.doc.HasLink))
		}
	}
	c.n.mentions += int64(len(pr.hits))
}

// DocOf is what the rules see of a post. Its Text is a read-only view of
// p.Text (no copy), valid as long as p is.
func DocOf(p *post.Post) match.Doc {
	return match.Doc{
		Text: unsafe.Slice(unsafe.StringData(p.Text), len(p.Text)), Lang: p.Lang,
		Country: p.Place.CountryCode, Source: p.Source,
		Followers: p.Author.Followers, Verified: p.Author.Verified,
		IsRepost: p.IsRepost(), IsReply: p.IsReply(), HasGeo: p.HasGeo,
		HasLink: textHasLink(p.Text),
	}
}

// mentionRow is the stored row of post p matched by rule, enriched with f;
// the caller sets the Kafka coordinates and the copy fields.
func mentionRow(rule string, p *post.Post, f *enrich.Features) sink.Mention {
	return sink.Mention{
		RuleID: rule, PostID: p.ID, CreatedAt: p.CreatedAt,
		AuthorID: p.Author.ID, AuthorHandle: p.Author.Handle, AuthorFollowers: p.Author.Followers,
		Lang: f.Lang, Source: p.Source,
		IsRepost: p.IsRepost(), IsReply: p.IsReply(), IsQuote: p.QuoteOf != "", RepostOf: p.RepostOf,
		HasGeo: f.Cell != "", Lat: f.Lat, Lon: f.Lon, GeoTier: uint8(f.Tier),
		Country: f.Country, Cell: f.Cell, Text: p.Text,
		Region: f.Region, Place: f.Place, GeoLevel: uint8(f.Level),
		Influence: f.Influence, Segment: f.Segment.String(), Bot: f.Bot,
		LangDetected: f.LangSource == enrich.LangDetected,
	}
}

// DetectorEvent is the burst detector's event for post p matched by rule:
// the mapping the pipeline and its warm-up replay use (mentionEvent), for
// tools that replay posts outside the pipeline.
func DetectorEvent(rule string, p *post.Post, f *enrich.Features) burst.Event {
	m := mentionRow(rule, p, f)
	return mentionEvent(&m, textHasLink(p.Text))
}

// observeTime records a consumed post's creation time for the detector: a
// tick (run-length coded per second) and the partition's latest event time.
func (pr *processor) observeTime(c *chunk, at time.Time) {
	sec := at.Truncate(time.Second)
	if n := len(c.ticks); n > 0 && c.ticks[n-1].at.Equal(sec) {
		c.ticks[n-1].n++
	} else {
		c.ticks = append(c.ticks, tick{at: sec, n: 1})
	}
	if at.After(pr.latest) && at.Sub(pr.now()) <= maxAhead {
		pr.latest = at
	}
}

func deadLetter(msg *kafka.Message, de *post.DecodeError) kafka.Message {
	return kafka.Message{
		Key:   msg.Key,
		Value: msg.Value,
		Headers: append(msg.Headers[:len(msg.Headers):len(msg.Headers)],
			kafka.Header{Key: HeaderReason, Value: []byte(de.Reason)},
			kafka.Header{Key: HeaderDetail, Value: []byte(de.Detail)},
			kafka.Header{Key: HeaderSourceTopic, Value: []byte(msg.Topic)},
			kafka.Header{Key: HeaderSourcePartition, Value: strconv.AppendInt(nil, int64(msg.Partition), 10)},
			kafka.Header{Key: HeaderSourceOffset, Value: strconv.AppendInt(nil, msg.Offset, 10)},
		),
	}
}
