package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"earshot/bench/firehose"
)

// postSource makes the posts gen sends: the realistic generator, or a
// replay of a file of posts (gen --replay).
type postSource interface {
	Next() firehose.Message
}

// replaySource emits the posts of a file over and over, each time as a new post:
// its id gets the round's number ("1852…-2" in the second round), its
// created_at is the source's event clock (--start, then one post every
// 1/--rate s), and every other field is kept as it is, in its order. The
// same text comes back with another id in every round, as a repost storm
// would bring it: the pipeline's copy detection sees them as copies, not as
// duplicates. It is for benchmarks with an operator's own traffic (`earshot
// bench --posts-file`).
type replaySource struct {
	posts []replayPost
	start time.Time
	rate  float64
	n     int64
	buf   []byte
}

// replayPost is one post of the file: its id and the rest of its fields,
// as raw JSON, in their order.
type replayPost struct {
	id   string
	rest []byte // `,"text":…,"author":…` without id and created_at
}

// newReplay reads canonical posts, one JSON object per line. A line that
// is not an object with an id and a text is an error with its line number:
// the file is the benchmark's whole workload.
func newReplay(ctx context.Context, path string, start time.Time, rate float64) (*replaySource, error) {
	r := &replaySource{start: start, rate: rate}
	err := eachLine(ctx, path, func(line int, data []byte) error {
		p, err := parseReplayPost(data)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
		r.posts = append(r.posts, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(r.posts) == 0 {
		return nil, fmt.Errorf("%s: no post to replay", path)
	}
	return r, nil
}

// parseReplayPost splits a canonical post into its id and its other fields.
func parseReplayPost(data []byte) (replayPost, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return replayPost{}, fmt.Errorf("not a JSON object")
	}
	var p replayPost
	hasText := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return replayPost{}, fmt.Errorf("not a JSON object: %v", err)
		}
		key := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return replayPost{}, fmt.Errorf("field %q: %v", key, err)
		}
		switch key {
		case "id": // a string, or a number kept as written (ids outgrow float64)
			if len(v) > 0 && v[0] == '"' {
				json.Unmarshal(v, &p.id) //nolint:errcheck // a decoded string
			} else if len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9') {
				p.id = string(v)
			}
			continue
		case "created_at":
			continue // the replay's clock gives it
		case "text":
			var s string
			hasText = json.Unmarshal(v, &s) == nil
		}
		k, _ := json.Marshal(key)
		p.rest = append(append(append(append(p.rest, ','), k...), ':'), v...)
	}
	if _, err := dec.Token(); err != nil {
		return replayPost{}, fmt.Errorf("not a JSON object: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return replayPost{}, fmt.Errorf("text after the JSON object")
	}
	switch {
	case p.id == "":
		return replayPost{}, fmt.Errorf("no id")
	case !hasText:
		return replayPost{}, fmt.Errorf("no text")
	}
	return p, nil
}

// Next returns the next post: the file's next one, as a new post.
func (r *replaySource) Next() firehose.Message {
	p := &r.posts[r.n%int64(len(r.posts))]
	round := r.n/int64(len(r.posts)) + 1
	at := r.start.Add(time.Duration(float64(r.n) / r.rate * float64(time.Second))).UTC().Truncate(time.Millisecond)
	r.n++
	id := p.id + "-" + strconv.FormatInt(round, 10)
	idJSON, _ := json.Marshal(id)
	r.buf = append(r.buf[:0], `{"id":`...)
	r.buf = append(r.buf, idJSON...)
	r.buf = append(r.buf, `,"created_at":"`...)
	r.buf = at.AppendFormat(r.buf, "2006-01-02T15:04:05.000Z")
	r.buf = append(r.buf, '"')
	r.buf = append(r.buf, p.rest...)
	r.buf = append(r.buf, '}')
	return firehose.Message{Key: []byte(id), Value: r.buf, CreatedAt: at}
}
