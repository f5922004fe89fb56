package match

import (
	"slices"
	"unsafe"
)

// Batch is MatchBatch's working memory and its result: the rules that
// matched each document of the last call. A Batch serves one goroutine at a
// time; reused, it makes MatchBatch allocation-free once its buffers have
// grown to the batches it sees.
type Batch struct {
	rules []int32 // the matched rules of every document, one after another
	ends  []int32 // ends[k]: where document k's rules end in rules

	texts      [][]byte // the parts of the documents' texts to scan
	doc, from  []int32  // texts[k] is docs[doc[k]].Text[from[k]:]
	to         []int32  // where the automaton starts in each document (skipTo)
	hits, hitB []hit    // the scans' hits, and the second lane's
	tags, tagB []int32  // the document of each hit
	one        []hit    // one document's hits of both automata
}

// Len returns the number of documents of the last MatchBatch.
func (b *Batch) Len() int { return len(b.ends) }

// Rules returns the indexes (into Rules) of the rules that match document k
// of the last MatchBatch, ascending and unique: what Match returns for it.
// The slice is valid until the next MatchBatch with b.
func (b *Batch) Rules(k int) []int32 {
	start := int32(0)
	if k > 0 {
		start = b.ends[k-1]
	}
	return b.rules[start:b.ends[k]:b.ends[k]]
}

// MatchBatch matches each of docs as Match does and keeps the results in b,
// replacing the previous ones. It is Match for a stream: what skipTo leaves
// of the documents' texts goes through the automaton's two lanes one after
// another (scanTexts), without the fixed costs of a scan per text.
// Measured on the benchmark machine with the peers corpus in batches of 64,
// against Match one post at a time (both before the word filter): 0.81-0.85
// of the time over all posts, about 0.75 for ASCII posts and posts in Latin
// scripts, 1.0-1.1 for Japanese and Chinese posts; batches of 256 take
// 0.96-0.97 of the time of batches of 64, batches of 16 1.1.
func (e *Engine) MatchBatch(b *Batch, docs []Doc) {
	b.hits, b.tags = e.scanDocs(b, b.hits[:0], b.tags[:0], docs)
	nMain := len(b.hits)
	if e.fold != nil {
		b.hits, b.tags = e.fold.scanDocs(b, b.hits, b.tags, docs)
		for i := nMain; i < len(b.hits); i++ {
			b.hits[i].term += e.nMain
		}
	}

	// Document by document with a hit; those between match nothing.
	b.rules = b.rules[:0]
	b.ends = slices.Grow(b.ends[:0], len(docs))[:len(docs)]
	i, j, k := 0, nMain, 0 // the next hit of each automaton (both in document order), the next document
	for {
		d := len(docs) // the next document with a hit
		if i < nMain {
			d = int(b.tags[i])
		}
		if j < len(b.hits) {
			d = min(d, int(b.tags[j]))
		}
		for ; k < d; k++ {
			b.ends[k] = int32(len(b.rules))
		}
		if d == len(docs) {
			return
		}
		i0, j0 := i, j
		for i < nMain && b.tags[i] == int32(d) {
			i++
		}
		for j < len(b.hits) && b.tags[j] == int32(d) {
			j++
		}
		hits := b.hits[i0:i]
		if j > j0 {
			b.one = append(append(b.one[:0], hits...), b.hits[j0:j]...)
			hits = b.one
		}
		b.rules = e.rulesOf(b.rules, hits, &docs[d])
		b.ends[d] = int32(len(b.rules))
		k = d + 1
	}
}

// scanDocs appends the hits of each of docs' texts to dst, text after
// text, and to tags the index of its document: scanTexts over what skipTo
// leaves of each text (documents with nothing left are not scanned).
// Without a word filter the texts go whole, without the bookkeeping of
// where each starts (2.5-5% of MatchBatch at 100k terms).
func (e *Engine) scanDocs(b *Batch, dst []hit, tags []int32, docs []Doc) ([]hit, []int32) {
	b.texts, b.doc, b.from = b.texts[:0], b.doc[:0], b.from[:0]
	if e.wf == nil {
		for k := range docs {
			b.texts = append(b.texts, docs[k].Text)
		}
	} else {
		b.to = slices.Grow(b.to[:0], len(docs))[:len(docs)]
		skipDocs(e.wf, docs, b.to)
		for k, s := range b.to {
			if s == skippedAll {
				continue // nothing to scan, without reading the document
			}
			b.texts = append(b.texts, docs[k].Text[s:])
			b.doc = append(b.doc, int32(k))
			b.from = append(b.from, s)
		}
	}
	n0 := len(dst)
	dst, tags = e.scanTexts(b, dst, tags, b.texts)
	if e.wf != nil {
		for i := n0; i < len(dst); i++ {
			k := tags[i]
			dst[i].end += b.from[k]
			tags[i] = b.doc[k]
		}
	}
	clear(b.texts) // do not keep the documents' texts alive
	return dst, tags
}

// batchMin is the fewest bytes per text, on average, that scanTexts streams
// through the lanes; shorter texts are scanned one by one.
const batchMin = 8

// scanTexts appends the hits of each of texts to dst, text after text, each
// as scan finds it, and to tags the index of its text (b holds the second
// lane's hits while it scans).
//
// The texts are split in two runs of about equal bytes, one per lane, and
// each lane streams through its run: where a text ends and its end finds
// nothing, the lane goes on with the next text inside the steps, so a text
// costs no call, no split and no lane tail of its own (scan's fixed costs:
// about 45 ns per post). Whatever the steps stop at is taken as scan takes
// it: in place (punctuation, a term's end at a space where the steps could
// not take it), or by run for one unit (a term's end at a space into a
// dense state is taken in the steps, and its hit recorded: spaceHit). A
// text that stops the lanes more than laneRounds times, or at a Han or
// kana run, is finished by run alone, and a text's end by finish. When one
// lane's run is done, the other's texts left are scanned one by one.
func (e *Engine) scanTexts(b *Batch, dst []hit, tags []int32, texts [][]byte) ([]hit, []int32) {
	n, total := len(texts), 0
	for _, t := range texts {
		total += len(t)
	}
	if n < 2 || total < batchMin*n {
		return e.scanEach(dst, tags, texts, 0, n)
	}
	m, half := 1, len(texts[0])
	for m < n-1 && 2*(half+len(texts[m])) <= total {
		half += len(texts[m])
		m++
	}
	l := lanes{post: [2]int{0, m}, last: [2]int{m, n}, v: [2]uint32{e.rootB, e.rootB}}
	c := [2]cursor{{0, e.rootB, prevBoundary}, {0, e.rootB, prevBoundary}}
	var rounds [2]int
	hb, tb := b.hitB[:0], b.tagB[:0]
	for l.post[0] < l.last[0] && l.post[1] < l.last[1] {
		was := l.post
		stepLanes(&e.st, texts, &l)
		if l.n != [2]int{} { // terms' ends at a space, taken in the steps
			dst, tags = e.emitLaneHits(dst, tags, texts, &l, 0)
			hb, tb = e.emitLaneHits(hb, tb, texts, &l, 1)
		}
		for k := range 2 {
			if l.post[k] != was[k] {
				c[k], rounds[k] = cursor{0, e.rootB, prevBoundary}, 0
			}
			if i := l.at[k]; i > c[k].i && l.post[k] < l.last[k] {
				c[k] = cursor{i, l.v[k], e.prevAfter(texts[l.post[k]][i-1], l.v[k])}
			}
		}
		dst, tags = e.laneStop(dst, tags, texts, &l, 0, &c[0], &rounds[0])
		hb, tb = e.laneStop(hb, tb, texts, &l, 1, &c[1], &rounds[1])
	}
	dst, tags = e.laneRest(dst, tags, texts, &l, 0, c[0])
	hb, tb = e.laneRest(hb, tb, texts, &l, 1, c[1])
	b.hitB, b.tagB = hb, tb
	return append(dst, hb...), append(tags, tb...)
}

// emitLaneHits emits the hits lane k recorded in its steps (the terms'
// ends at a space that stepLanes takes: spaceHit), and empties its record.
// They come before whatever the lane stopped at.
func (e *Engine) emitLaneHits(dst []hit, tags []int32, texts [][]byte, l *lanes, k int) ([]hit, []int32) {
	for _, h := range l.hits[k][:l.n[k]] {
		text := texts[h.post]
		at := int(h.ptr - uintptr(unsafe.Pointer(unsafe.SliceData(text))))
		n0 := len(dst)
		dst = e.emit(dst, h.v, text, at, true)
		tags = tagHits(tags, len(dst)-n0, int(h.post))
	}
	l.n[k] = 0
	return dst, tags
}

// laneStop takes what the lanes stopped at in lane k, whose cursor is c:
// the end of its text when the end's transition is flagged (finish), a unit
// taken in place, or run over one unit (or, past laneRounds stops in the
// text, to its end). It leaves the lane in a plain state, or on its next
// text. A lane that stopped for the other's sake is left as it is.
func (e *Engine) laneStop(dst []hit, tags []int32, texts [][]byte, l *lanes, k int, c *cursor, rounds *int) ([]hit, []int32) {
	p := l.post[k]
	if p == l.last[k] {
		return dst, tags
	}
	text, n0 := texts[p], len(dst)
	if c.i < len(text) {
		var in bool
		if dst, in = e.inPlace(dst, text, c); !in {
			if !e.blocked(text, *c) {
				return dst, tags
			}
			if *rounds++; *rounds > laneRounds || unspaced(text[c.i]) {
				dst, *c = e.runFrom(dst, text, *c, len(text))
			} else {
				dst, *c = e.run(dst, text, *c, e.unitEnd(text, c.i, len(text)))
				for c.v&flagSlow != 0 && c.i < len(text) {
					dst, *c = e.run(dst, text, *c, c.i+1)
				}
			}
		}
	}
	if c.i >= len(text) {
		dst = e.finish(dst, text, *c)
		l.post[k]++
		*c, *rounds = cursor{0, e.rootB, prevBoundary}, 0
	}
	l.at[k], l.v[k] = c.i, c.v
	return dst, tagHits(tags, len(dst)-n0, p)
}

// laneRest scans what is left of lane k's texts alone: the current one
// from its cursor c, the others whole.
func (e *Engine) laneRest(dst []hit, tags []int32, texts [][]byte, l *lanes, k int, c cursor) ([]hit, []int32) {
	p := l.post[k]
	if p < l.last[k] {
		text, n0 := texts[p], len(dst)
		dst, c = e.runFrom(dst, text, c, len(text))
		dst = e.finish(dst, text, c)
		tags = tagHits(tags, len(dst)-n0, p)
		p++
	}
	return e.scanEach(dst, tags, texts, p, l.last[k])
}

// scanEach scans texts[from:to] one by one (with scanAll: the texts are
// what skipTo left).
func (e *Engine) scanEach(dst []hit, tags []int32, texts [][]byte, from, to int) ([]hit, []int32) {
	for k := from; k < to; k++ {
		n0 := len(dst)
		dst = e.scanAll(dst, texts[k])
		tags = tagHits(tags, len(dst)-n0, k)
	}
	return dst, tags
}

// unspaced reports whether b leads a rune of the blocks of Han, kana and
// Hangul (U+3000..U+DFFF), where a text that has one usually has many: the
// lanes would stop at each, so run takes the text to its end at the first.
// Measured with the peers corpus, posts with Han or kana: 1.14x the time of
// scan with the lanes' rounds alone, 1.00x so. (Taking only runs of 12
// bytes or more so, to keep the lanes over a Japanese word in an English
// post: 1.10x; on BenchmarkMatchBatch, a foreign word in three posts,
// 0.98x the time of Match against 1.06x.)
func unspaced(b byte) bool { return b >= 0xE3 && b <= 0xED }

// tagHits appends n tags of text k.
func tagHits(tags []int32, n, k int) []int32 {
	for ; n > 0; n-- {
		tags = append(tags, int32(k))
	}
	return tags
}
