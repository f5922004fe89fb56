package post

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	asmutf8 "github.com/segmentio/asm/utf8"

	"earshot/bench/firehose"
	"earshot/enrich/geo"
)

const full = `{"id":"1852345678901234567","created_at":"2026-11-22T10:00:00.123Z",
 "text":"Sismo fuerte en CDMX ahora mismo #temblor","lang":"es","source":"x",
 "author":{"id":"99","handle":"ana","followers":1200,"following":300,"posts":5400,
   "created_at":"2014-03-01T00:00:00Z","verified":true,"location":"Ciudad de México","bio":"hola"},
 "geo":{"lat":19.43,"lon":-99.13},"place":{"name":"Mexico City","country_code":"mx"},
 "repost_of":"1852345678901230000","reply_to":null,"quote_of":null}`

func TestDecodeFull(t *testing.T) {
	var p Post
	if err := NewDecoder(Limits{}).Decode([]byte(full), &p); err != nil {
		t.Fatal(err)
	}
	want := Post{
		ID: "1852345678901234567", CreatedAt: time.Date(2026, 11, 22, 10, 0, 0, 123e6, time.UTC),
		Text: "Sismo fuerte en CDMX ahora mismo #temblor", Lang: "es", Source: "x",
		Author: Author{ID: "99", Handle: "ana", Followers: 1200, Following: 300, Posts: 5400,
			CreatedAt: time.Date(2014, 3, 1, 0, 0, 0, 0, time.UTC), Verified: true,
			Location: "Ciudad de México", Bio: "hola"},
		HasGeo: true, Geo: Point{19.43, -99.13},
		Place:    Place{Name: "Mexico City", CountryCode: "MX"},
		RepostOf: "1852345678901230000",
	}
	if len(p.Warnings) != 0 {
		t.Fatalf("unexpected warnings %q", p.Warnings)
	}
	p.Warnings = nil
	if !postEqual(p, want) {
		t.Fatalf("got  %+v\nwant %+v", p, want)
	}
	if !p.IsRepost() || p.IsReply() {
		t.Fatal("repost/reply flags wrong")
	}
}

func postEqual(a, b Post) bool {
	return a.ID == b.ID && a.CreatedAt.Equal(b.CreatedAt) && a.Text == b.Text && a.Lang == b.Lang &&
		a.Source == b.Source && a.Author.ID == b.Author.ID && a.Author.Handle == b.Author.Handle &&
		a.Author.Followers == b.Author.Followers && a.Author.Following == b.Author.Following &&
		a.Author.Posts == b.Author.Posts && a.Author.CreatedAt.Equal(b.Author.CreatedAt) &&
		a.Author.Verified == b.Author.Verified && a.Author.Location == b.Author.Location &&
		a.Author.Bio == b.Author.Bio && a.HasGeo == b.HasGeo && a.Geo == b.Geo && a.Place == b.Place &&
		a.RepostOf == b.RepostOf && a.ReplyTo == b.ReplyTo && a.QuoteOf == b.QuoteOf
}

func TestDecodeRejects(t *testing.T) {
	d := NewDecoder(Limits{MaxMessageBytes: 4096, MaxTextBytes: 100})
	f := func(msg string, want Reason) {
		t.Helper()
		var p Post
		err := d.Decode([]byte(msg), &p)
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Fatalf("%q: got %v, want a DecodeError %s", msg, err, want)
		}
		if de.Reason != want {
			t.Fatalf("%q: reason %s (%s), want %s", msg, de.Reason, de.Detail, want)
		}
	}
	const ok = `"created_at":"2026-11-22T10:00:00Z","text":"hi"`
	f(``, ReasonEmpty)
	f(`{"id":"1",`+ok+`,"bio":"`+strings.Repeat("x", 5000)+`"}`, ReasonTooLarge)
	f("{\"id\":\"1\",\"created_at\":\"2026-11-22T10:00:00Z\",\"text\":\"\xff\xfe\"}", ReasonInvalidUTF8)
	f(`{"id":"1",`, ReasonInvalidJSON)
	f(`{"id":"1"} trailing`, ReasonInvalidJSON)
	f(`[1,2]`, ReasonNotObject)
	f(`"just a string"`, ReasonNotObject)
	f(`{`+ok+`}`, ReasonMissingID)
	f(`{"id":null,`+ok+`}`, ReasonMissingID)
	f(`{"id":"",`+ok+`}`, ReasonMissingID)
	f(`{"id":{"a":1},`+ok+`}`, ReasonBadID)
	f(`{"id":-5,`+ok+`}`, ReasonBadID)
	f(`{"id":1.5,`+ok+`}`, ReasonBadID)
	f(`{"id":"a\u0000b",`+ok+`}`, ReasonBadID)
	f(`{"id":"`+strings.Repeat("9", 200)+`",`+ok+`}`, ReasonBadID)
	f(`{"id":"1","text":"hi"}`, ReasonMissingTime)
	f(`{"id":"1","created_at":"yesterday","text":"hi"}`, ReasonBadTime)
	f(`{"id":"1","created_at":"1970-01-01T00:00:00Z","text":"hi"}`, ReasonBadTime)
	f(`{"id":"1","created_at":true,"text":"hi"}`, ReasonBadTime)
	f(`{"id":"1","created_at":"2026-11-22T10:00:00Z"}`, ReasonMissingText)
	f(`{"id":"1","created_at":"2026-11-22T10:00:00Z","text":42}`, ReasonBadText)
	f(`{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"`+strings.Repeat("a", 101)+`"}`, ReasonBadText)
}

// OptionalTime lets a post without created_at through, for tools that only
// match texts; a created_at that is there must still be valid.
func TestDecodeOptionalTime(t *testing.T) {
	d := NewDecoder(Limits{OptionalTime: true})
	var p Post
	if err := d.Decode([]byte(`{"id":"7","text":"sismo","lang":"es"}`), &p); err != nil {
		t.Fatal(err)
	}
	if p.ID != "7" || p.Text != "sismo" || p.Lang != "es" || !p.CreatedAt.IsZero() {
		t.Fatalf("decoded %+v", p)
	}
	if err := d.Decode([]byte(`{"id":"8","created_at":"2026-11-22T10:00:00Z","text":"x"}`), &p); err != nil || p.CreatedAt.Year() != 2026 {
		t.Fatalf("with a time: %v %v", err, p.CreatedAt)
	}
	var de *DecodeError
	for msg, want := range map[string]Reason{
		`{"id":"1","created_at":"yesterday","text":"hi"}`: ReasonBadTime,
		`{"id":"1"}`:   ReasonMissingText,
		`{"text":"x"}`: ReasonMissingID,
	} {
		if err := d.Decode([]byte(msg), &p); !errors.As(err, &de) || de.Reason != want {
			t.Fatalf("%s: %v, want %s", msg, err, want)
		}
	}
}

// Optional fields of the wrong type are ignored with a warning, never fatal.
func TestDecodeTolerant(t *testing.T) {
	d := NewDecoder(Limits{})
	f := func(extra string, check func(p *Post) bool) {
		t.Helper()
		var p Post
		msg := `{"id":12345678901234567890,"created_at":1763805600000,"text":"hola"` + extra + `}`
		if err := d.Decode([]byte(msg), &p); err != nil {
			t.Fatalf("%s: %v", extra, err)
		}
		if p.ID != "12345678901234567890" {
			t.Fatalf("numeric id lost digits: %q", p.ID)
		}
		if !check(&p) {
			t.Fatalf("%s: unexpected %+v", extra, p)
		}
	}
	f(``, func(p *Post) bool { return len(p.Warnings) == 0 && p.Author.Followers == -1 && !p.HasGeo })
	f(`,"author":{"followers":"1200","following":"x","verified":"yes"}`, func(p *Post) bool {
		return p.Author.Followers == 1200 && p.Author.Following == -1 && !p.Author.Verified && len(p.Warnings) == 2
	})
	f(`,"author":"ana"`, func(p *Post) bool { return len(p.Warnings) == 1 })
	f(`,"geo":null,"place":[]`, func(p *Post) bool { return !p.HasGeo && len(p.Warnings) == 1 })
	f(`,"geo":{"lat":"19.4","lon":-99.1}`, func(p *Post) bool { return p.HasGeo && p.Geo.Lat == 19.4 })
	f(`,"geo":{"lat":0,"lon":0}`, func(p *Post) bool { return !p.HasGeo && len(p.Warnings) == 1 })
	f(`,"geo":{"lat":91,"lon":0}`, func(p *Post) bool { return !p.HasGeo })
	f(`,"geo":{"lat":10}`, func(p *Post) bool { return !p.HasGeo })
	f(`,"place":{"country_code":"Mexico"}`, func(p *Post) bool { return p.Place.CountryCode == "" && len(p.Warnings) == 1 })
	f(`,"lang":5,"source":["x"]`, func(p *Post) bool { return p.Lang == "" && p.Source == "" && len(p.Warnings) == 2 })
	f(`,"repost_of":777`, func(p *Post) bool { return p.RepostOf == "777" && p.IsRepost() })
	f(`,"reply_to":{"id":1}`, func(p *Post) bool { return p.ReplyTo == "" && len(p.Warnings) == 1 })
	f(`,"created_at":"2030-01-01T00:00:00Z"`, func(p *Post) bool { return p.CreatedAt.Year() == 2025 }) // first key wins
	f(`,"text":"x"`, func(p *Post) bool { return p.Text == "hola" })
}

// fastjson keeps a lone surrogate escape verbatim, which is valid UTF-8.
func TestDecodeLoneSurrogate(t *testing.T) {
	var p Post
	msg := `{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"bad \ud800 surrogate"}`
	if err := NewDecoder(Limits{}).Decode([]byte(msg), &p); err != nil || p.Text != `bad \ud800 surrogate` {
		t.Fatalf("got %q, %v", p.Text, err)
	}
}

func TestDecodeReuse(t *testing.T) {
	d := NewDecoder(Limits{})
	var p Post
	if err := d.Decode([]byte(full), &p); err != nil {
		t.Fatal(err)
	}
	if err := d.Decode([]byte(`{"id":"2","created_at":"2026-11-22T10:00:00Z","text":"x"}`), &p); err != nil {
		t.Fatal(err)
	}
	if p.Author.Handle != "" || p.HasGeo || p.RepostOf != "" || p.Place.CountryCode != "" {
		t.Fatalf("fields leaked from the previous post: %+v", p)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(full))
	f.Add([]byte(`{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"x","geo":{"lat":"nan","lon":1}}`))
	f.Add([]byte(`{"id":1e400,"created_at":-1,"text":""}`))
	d := NewDecoder(Limits{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Post
		err := d.Decode(data, &p)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || de.Reason == "" {
				t.Fatalf("error without a reason: %v", err)
			}
			return
		}
		if p.ID == "" || p.CreatedAt.IsZero() {
			t.Fatalf("accepted a post without id or time: %+v", p)
		}
		if p.HasGeo && !geo.ValidPoint(p.Geo.Lat, p.Geo.Lon) {
			t.Fatalf("invalid point accepted: %+v", p.Geo)
		}
	})
}

// BenchmarkDecode decodes a full post whole (Decode), and with its
// author left for later (DecodeDeferred, as the pipeline decodes the posts
// it may not store); firehose decodes, deferred, the varied posts of the
// synthetic firehose the end-to-end benchmark runs on (ns/op per post).
func BenchmarkDecode(b *testing.B) {
	d := NewDecoder(Limits{})
	msg := []byte(full)
	for _, c := range []struct {
		name   string
		decode func([]byte, *Post) error
	}{{"whole", d.Decode}, {"deferred", d.DecodeDeferred}} {
		b.Run(c.name, func(b *testing.B) {
			var p Post
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				if err := c.decode(msg, &p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("firehose", func(b *testing.B) {
		g, err := firehose.New(firehose.Config{Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		msgs := make([][]byte, 4096)
		size := 0
		for i := range msgs {
			msgs[i] = bytes.Clone(g.Next().Value)
			size += len(msgs[i])
		}
		var p Post
		b.SetBytes(int64(size / len(msgs)))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := d.DecodeDeferred(msgs[i%len(msgs)], &p); err != nil {
				b.Fatalf("%v: %s", err, msgs[i%len(msgs)])
			}
			i++
		}
	})
}

// utf8Edges are the bytes around UTF-8's rules: continuation bytes, the
// overlong leads C0 C1 E0 F0, the surrogates' ED A0-BF, F4's limit at 8F,
// and bytes that never occur (F5-FF).
var utf8Edges = []byte{0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
	0xE0, 0xE1, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF}

// TestMessageUTF8 holds the message-level check (segmentio/asm's AVX2
// validator) to unicode/utf8 on texts of every length up to 100 made of
// UTF-8's edge bytes and of valid runes, at every alignment.
func TestMessageUTF8(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	runes := []string{"a", "é", "ß", "€", "地", "😀", "\u0301", "\U0010FFFF", "\uFFFD"}
	buf := make([]byte, 0, 160)
	for n := range 200_000 {
		buf = buf[:r.IntN(32)] // alignment
		for len(buf) < cap(buf)-8 && r.IntN(40) > 0 {
			if r.IntN(4) == 0 {
				buf = append(buf, utf8Edges[r.IntN(len(utf8Edges))])
			} else {
				buf = append(buf, runes[r.IntN(len(runes))]...)
			}
		}
		b := buf[min(r.IntN(32), len(buf)):]
		if got, want := asmutf8.Valid(b), utf8.Valid(b); got != want {
			t.Fatalf("case %d: % x: asm %v, unicode/utf8 %v", n, b, got, want)
		}
	}
}

func FuzzMessageUTF8(f *testing.F) {
	for _, s := range []string{"", "a", "é", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "地震だ", strings.Repeat("😀", 20) + "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := asmutf8.Valid(b), utf8.Valid(b); got != want {
			t.Fatalf("% x: asm %v, unicode/utf8 %v", b, got, want)
		}
	})
}
