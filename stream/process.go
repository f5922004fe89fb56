package stream

import (
	"bytes"
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
	// HeaderOriginalUnread is set, with the error, on a dead letter whose
	// key and headers could not be read again from the source partition
	// (the fetcher keeps values only): its value and source are still
	// there.
	HeaderOriginalUnread = "earshot-original-unread"
)

// Enricher derives location (and later author) features for a mention.
type Enricher interface {
	Enrich(p *post.Post, f *enrich.Features)
}

// decoder turns a message into a post: *post.Decoder for canonical posts,
// *adapt.Adapter for other formats.
type decoder interface {
	// DecodeDeferred may leave the author's fields other than Followers
	// and Verified to p.CompleteAuthor (Lazy.Features calls it): most
	// posts match nothing, and their authors are not needed. p's strings
	// may point into data, a message value kafka-go allocated for that
	// message alone; a matched post is made to own them (Post.Own) before
	// its rows, which outlive the message's batch, take them.
	DecodeDeferred(data []byte, p *post.Post) error
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
	// aheadOK is a wall clock reading plus maxAhead: an event time up to it
	// is not ahead, whatever the clock says now (it only moves on), so
	// observeTime reads the clock only for a time past it.
	aheadOK time.Time

	// The pending batch: posts decoded by add and not yet matched. Slot k
	// holds a post, its Doc (a view of the post's text) and its message's
	// offset; slots 0..n-1 are pending, in message order. flush empties it.
	n       int
	posts   [batchPosts]post.Post
	docs    [batchPosts]match.Doc
	offsets [batchPosts]int64
	batch   match.Batch
	// lazy[k] is post k's enrichment: for the rules' country: and lang:
	// filters, and for its mention rows.
	lazy [batchPosts]Lazy

	norm []byte // scratch for the copy key

	// prior is set by a backfill (nil in the pipeline): it adds to seen and
	// copies the posts stored before each matched post, and tells the
	// mentions stored already, which are not made again.
	prior *prior
}

// batchPosts is how many decoded posts the processor matches at once with
// Engine.MatchBatch, which streams them through the automaton's lanes
// without the per-post fixed costs of Match. Measured on the peers corpus,
// time per post against Match: 0.92 in batches of 16, 0.84 in batches of
// 64, 0.81 in batches of 256 (0.96-0.97 of 64's). The batch takes about
// 170 KB per partition owner: posts 96 KB, their Docs 26 KB, their
// enrichment (Lazy) 45 KB.
const batchPosts = 256

// add decodes one message into the pending batch. A message that is no post
// (skipped) or cannot be decoded (dead letter) is dealt with at once; a post
// waits in the batch for flush, which add calls when the batch is full.
// Whatever add appends to c belongs to c: the caller must flush into c
// before it hands c over, so that c's rows cover every post up to c.last.
func (pr *processor) add(msg *kafka.Message, c *chunk) {
	c.n.consumed++
	p := &pr.posts[pr.n]
	if err := pr.dec.DecodeDeferred(msg.Value, p); err != nil {
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
		c.deadAt = append(c.deadAt, msg.Offset)
		return
	}
	c.n.decoded++
	if pr.detect {
		pr.observeTime(c, p.CreatedAt)
	}
	// The decoders copy every string they set (post.Post owns its strings),
	// so the slot stays valid while the next messages are decoded; the
	// deferred author is read from msg.Value, which is this message's own.
	pr.lazy[pr.n].Reset(pr.enricher, p)
	pr.docs[pr.n] = DocOf(p, &pr.lazy[pr.n])
	pr.offsets[pr.n] = msg.Offset
	pr.n++
	if pr.n == len(pr.posts) {
		pr.flush(c)
	}
}

// flush matches the pending posts with one engine (taken once: a reload
// takes effect at the next batch) and appends their mentions, in message
// order, to c; then the batch is empty.
func (pr *processor) flush(c *chunk) {
	if pr.n == 0 {
		return
	}
	eng := pr.engine()
	eng.MatchBatch(&pr.batch, pr.docs[:pr.n])
	rules := eng.Rules()
	for k := range pr.n {
		pr.mentions(c, rules, k)
	}
	pr.n = 0
}

// mentions appends the rows (and routed messages and detector events) of
// pending post k, whose matched rules are in pr.batch, to c.
func (pr *processor) mentions(c *chunk, rules []match.Rule, k int) {
	hits := pr.batch.Rules(k)
	if len(hits) == 0 {
		return
	}
	p, doc := &pr.posts[k], &pr.docs[k]
	c.n.matched++
	if pr.prior != nil {
		pr.prior.feed(pr.offsets[k], pr.seen, pr.copies, pr.now())
	}
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
		copyKey, pr.norm = dedup.CopyKey(pr.norm, doc.Text)
		copyOf, copyCount = pr.copies.Observe(copyKey, p.ID, pr.now())
		if copyOf != "" {
			c.n.copies++
		}
	}
	f := pr.lazy[k].Features()
	p.Own() // its rows live until they are inserted; its message need not
	n := len(c.rows)
	for _, h := range hits {
		if pr.prior != nil && pr.prior.isStored(rules[h].ID, p.ID) {
			c.n.stored++
			continue
		}
		c.rows = append(c.rows, mentionRow(rules[h].ID, p, f))
		row := &c.rows[len(c.rows)-1]
		row.Topic, row.Partition, row.Offset = pr.topic, int32(pr.partition), pr.offsets[k]
		row.CopyKey, row.CopyOf, row.CopyCount = copyKey, copyOf, copyCount
		if rules[h].Route != "" {
			if rm, err := routeMessage(pr.routePrefix, &rules[h], row); err == nil {
				c.routed = append(c.routed, rm)
			}
		}
		if pr.detect {
			c.events = append(c.events, mentionEvent(row, doc.HasLink))
		}
	}
	if pr.prior != nil && len(c.rows) > n {
		pr.prior.note(pr.offsets[k], p.ID, len(c.rows)-n)
	}
	c.n.mentions += int64(len(c.rows) - n)
}

// DocOf is what the rules see of a post. Its Text is a read-only view of
// p.Text (no copy), valid as long as p is.
//
// Its country, for country: filters, is the one enrichment stores with the
// mention: from the GPS coordinates, else the place, else the author's
// profile location. A place's country code without coordinates is that
// country at once; any other post's country is asked of l (the post's
// enrichment) only if a rule that tests country: has its terms in the
// text. Its language is the source's tag when it has a usable one (so
// lang:pt-BR can hold), else the language enrichment detects in the text,
// asked for the same way. With l nil, those fields are unknown. Its
// author's handle and bio (author: and author.bio: filters) are the post's;
// when the decoder deferred the author, the first such filter completes it
// through l.
func DocOf(p *post.Post, l *Lazy) match.Doc {
	d := match.Doc{
		Text:      unsafe.Slice(unsafe.StringData(p.Text), len(p.Text)),
		Source:    p.Source,
		Followers: p.Author.Followers, Verified: p.Author.Verified,
		IsRepost: p.IsRepost(), IsReply: p.IsReply(), IsQuote: p.QuoteOf != "", HasGeo: p.HasGeo,
		HasLink: textHasLink(p.Text),
		Author:  p.Author.Handle, Bio: p.Author.Bio,
	}
	if l != nil {
		d.AuthorOf = l.author // the author may be deferred (Post.CompleteAuthor)
		d.PlaceOf = l.place
	}
	if !p.HasGeo && p.Place.CountryCode != "" {
		d.Country = p.Place.CountryCode
	} else if l != nil {
		d.CountryOf = l.country
	}
	if enrich.SourceLang(p.Lang) != "" {
		d.Lang = p.Lang
	} else if l != nil {
		d.LangOf = l.lang
	}
	return d
}

// Lazy is a post's enrichment, done at most once and only when asked: by
// the rules' country:, region:, city: and lang: filters (the Doc of DocOf)
// or by what follows a match (Features). Reset it for each post.
type Lazy struct {
	enricher      Enricher
	p             *post.Post
	f             enrich.Features
	done          bool
	country, lang func() string // made once: nothing is allocated per post
	author        func() (handle, bio string)
	place         func() (region, city string)
}

// Reset makes l the enrichment of p by en, not done yet.
func (l *Lazy) Reset(en Enricher, p *post.Post) {
	l.enricher, l.p, l.done = en, p, false
	if l.country == nil {
		l.country = func() string { return l.Features().Country }
		l.lang = func() string { return l.Features().Lang }
		l.author = func() (string, string) {
			l.p.CompleteAuthor()
			return l.p.Author.Handle, l.p.Author.Bio
		}
		l.place = func() (string, string) {
			f := l.Features()
			return f.Region, f.Place
		}
	}
}

// Features returns the post's enrichment, enriching it the first time
// (and completing its author, which the processor's decoder defers).
func (l *Lazy) Features() *enrich.Features {
	if !l.done {
		l.p.CompleteAuthor()
		l.enricher.Enrich(l.p, &l.f)
		l.done = true
	}
	return &l.f
}

// mentionRow is the stored row of post p matched by rule, enriched with f;
// the caller sets the Kafka coordinates and the copy fields.
func mentionRow(rule string, p *post.Post, f *enrich.Features) sink.Mention {
	return sink.Mention{
		RuleID: rule, PostID: p.ID, CreatedAt: p.CreatedAt,
		AuthorID: p.Author.ID, AuthorHandle: p.Author.Handle, AuthorFollowers: p.Author.Followers,
		Lang: f.Lang, Source: p.Source,
		IsRepost: p.IsRepost(), IsReply: p.IsReply(), IsQuote: p.QuoteOf != "", RepostOf: p.RepostOf,
		HasGeo: p.HasGeo, Lat: f.Lat, Lon: f.Lon, GeoTier: uint8(f.Tier),
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
	if !at.After(pr.latest) {
		return
	}
	if at.After(pr.aheadOK) {
		pr.aheadOK = pr.now().Add(maxAhead)
		if at.After(pr.aheadOK) {
			return
		}
	}
	pr.latest = at
}

func deadLetter(msg *kafka.Message, de *post.DecodeError) kafka.Message {
	return kafka.Message{
		Key:   msg.Key,
		Value: bytes.Clone(msg.Value), // not the fetched run's slab, which it would keep whole
		Headers: append(msg.Headers[:len(msg.Headers):len(msg.Headers)],
			kafka.Header{Key: HeaderReason, Value: []byte(de.Reason)},
			kafka.Header{Key: HeaderDetail, Value: []byte(de.Detail)},
			kafka.Header{Key: HeaderSourceTopic, Value: []byte(msg.Topic)},
			kafka.Header{Key: HeaderSourcePartition, Value: strconv.AppendInt(nil, int64(msg.Partition), 10)},
			kafka.Header{Key: HeaderSourceOffset, Value: strconv.AppendInt(nil, msg.Offset, 10)},
		),
	}
}
