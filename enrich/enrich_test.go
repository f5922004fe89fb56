package enrich

import (
	"testing"
	"time"
	"unsafe"

	"earshot/enrich/geo"
	"earshot/stream/post"
)

// loc keeps the location fields of f, for tests about location only.
func loc(f Features) Features {
	return Features{Country: f.Country, Region: f.Region, Place: f.Place, Cell: f.Cell, Tier: f.Tier, Level: f.Level, Lat: f.Lat, Lon: f.Lon}
}

func TestEnrichLocationPrecedence(t *testing.T) {
	e := mustEnricher(t)
	f := func(p post.Post, want Features) {
		t.Helper()
		var got Features
		e.Enrich(&p, &got)
		if got = loc(got); got != want {
			t.Fatalf("post %+v\n got  %+v\n want %+v", p, got, want)
		}
	}
	cdmx := post.Point{Lat: 19.4326, Lon: -99.1332}
	f(post.Post{HasGeo: true, Geo: cdmx, Place: post.Place{CountryCode: "US"}, Author: post.Author{Location: "Paris"}},
		Features{Country: "MX", Region: "MX-09", Place: "Mexico City", Cell: "9g3w8", Tier: TierGPS, Level: geo.LevelPoint, Lat: cdmx.Lat, Lon: cdmx.Lon})
	// A fix in the open sea keeps its cell; the country falls back to the place.
	sea := post.Point{Lat: 0.5, Lon: -140}
	f(post.Post{HasGeo: true, Geo: sea, Place: post.Place{CountryCode: "FR"}},
		Features{Country: "FR", Cell: "8bh6y", Tier: TierGPS, Level: geo.LevelPoint, Lat: sea.Lat, Lon: sea.Lon})
	f(post.Post{Place: post.Place{CountryCode: "JP"}}, Features{Country: "JP", Tier: TierPlace, Level: geo.LevelCountry})
	// A place name is looked up in its country.
	f(post.Post{Place: post.Place{Name: "Paris", CountryCode: "US"}},
		Features{Country: "US", Region: "US-TX", Place: "Paris", Cell: "9vup3", Tier: TierPlace, Level: geo.LevelCity, Lat: 33.6609, Lon: -95.5555})
	// A city-sized bounding box gives its centre; the place beats the profile.
	box := post.BBox{MinLon: -99.2, MinLat: 19.35, MaxLon: -99.05, MaxLat: 19.5}
	f(post.Post{Place: post.Place{Name: "Mexico City", CountryCode: "MX", HasBBox: true, BBox: box}, Author: post.Author{Location: "Tokyo"}},
		Features{Country: "MX", Region: "MX-09", Place: "Mexico City", Cell: "9g3w8", Tier: TierPlace, Level: geo.LevelCity, Lat: 19.425, Lon: -99.125})
	// A state-sized box falls back to the name.
	tx := post.BBox{MinLon: -106.6, MinLat: 25.8, MaxLon: -93.5, MaxLat: 36.5}
	f(post.Post{Place: post.Place{Name: "Texas", CountryCode: "US", HasBBox: true, BBox: tx}},
		Features{Country: "US", Region: "US-TX", Tier: TierPlace, Level: geo.LevelRegion})
	f(post.Post{Author: post.Author{Location: "Jakarta, Indonesia"}},
		Features{Country: "ID", Region: "ID-04", Place: "Jakarta", Cell: "qqgux", Tier: TierProfile, Level: geo.LevelCity, Lat: -6.2146, Lon: 106.8451})
	f(post.Post{Author: post.Author{Location: "ÜT: 19.43,-99.13"}},
		Features{Country: "MX", Region: "MX-09", Place: "Mexico City", Cell: "9g3w8", Tier: TierProfile, Level: geo.LevelPoint, Lat: 19.43, Lon: -99.13})
	f(post.Post{Author: post.Author{Location: "Indonesia"}}, Features{Country: "ID", Tier: TierProfile, Level: geo.LevelCountry})
	f(post.Post{Author: post.Author{Location: "in your heart"}}, Features{})
	f(post.Post{}, Features{})
}

func TestLanguageFromPost(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"en", "en"}, {"en-US", "en"}, {"PT_br", "pt"}, {"und", ""}, {"", ""}, {"e", ""}, {"12", ""}, {"zh-Hant", "zh"},
	} {
		if got := SourceLang(c.in); got != c.want {
			t.Errorf("SourceLang(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestAuthorFeatures(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	days := func(n int) time.Time { return now.Add(-time.Duration(n) * 24 * time.Hour) }
	type tc struct {
		name   string
		p      post.Post
		seg    Segment
		botLo  float32
		botHi  float32
		inflLo float32
		inflHi float32
	}
	author := func(followers, following, posts int64, age int, handle string) post.Author {
		return post.Author{ID: "1", Handle: handle, Followers: followers, Following: following, Posts: posts,
			CreatedAt: days(age), Location: "Lima", Bio: "hola"}
	}
	for _, c := range []tc{
		{"unknown", post.Post{Author: post.Author{Followers: -1, Following: -1, Posts: -1}}, SegmentUnknown, 0, 0, 0, 0},
		{"news outlet", post.Post{Author: func() post.Author { a := author(5_000_000, 300, 400_000, 4000, "news"); a.Verified = true; return a }()},
			SegmentCreator, 0, 0.2, 0.8, 1},
		{"regular creator", post.Post{Author: author(2000, 500, 8000, 1500, "ana")}, SegmentCreator, 0, 0.1, 0.3, 0.6},
		{"reply", post.Post{Author: author(300, 400, 3000, 1500, "bo"), ReplyTo: "9"}, SegmentCritic, 0, 0.1, 0.1, 0.5},
		{"quote", post.Post{Author: author(300, 400, 3000, 1500, "bo"), QuoteOf: "9"}, SegmentCritic, 0, 0.1, 0.1, 0.5},
		{"repost", post.Post{Author: author(300, 400, 3000, 1500, "bo"), RepostOf: "9"}, SegmentCollector, 0, 0.1, 0.1, 0.5},
		{"new account", post.Post{Author: author(5, 80, 20, 10, "newbie")}, SegmentJoiner, 0, 0.2, 0, 0.3},
		{"inactive", post.Post{Author: author(50, 200, 3, 2000, "quiet")}, SegmentInactive, 0, 0.1, 0, 0.3},
		{"lurker", post.Post{Author: author(20, 900, 400, 2000, "lurk")}, SegmentSpectator, 0, 0.1, 0, 0.3},
		// Follows thousands, followed by a handful, almost never posts: a
		// zombie follower even though nothing about it looks automated.
		{"zombie follower", post.Post{Author: author(20, 4000, 3, 1500, "follows_all")}, SegmentZombie, 0, 1, 0, 0.3},
		{"spam bot", post.Post{Author: post.Author{ID: "2", Handle: "user8837461", Followers: 3, Following: 4900,
			Posts: 90_000, CreatedAt: days(200)}}, SegmentZombie, 0.9, 1, 0, 0.4},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := c.p
			p.CreatedAt = now
			var f Features
			mustEnricher(t).Enrich(&p, &f)
			if f.Segment != c.seg || f.Bot < c.botLo || f.Bot > c.botHi || f.Influence < c.inflLo || f.Influence > c.inflHi {
				t.Errorf("got segment %s bot %.3f influence %.3f; want %s bot [%.2f,%.2f] influence [%.2f,%.2f]",
					f.Segment, f.Bot, f.Influence, c.seg, c.botLo, c.botHi, c.inflLo, c.inflHi)
			}
		})
	}
}

func BenchmarkEnrichGPS(b *testing.B) {
	e := mustEnricher(b)
	p := post.Post{HasGeo: true, Geo: post.Point{Lat: -6.2, Lon: 106.8}, Lang: "id"}
	var f Features
	b.ReportAllocs()
	for b.Loop() {
		e.Enrich(&p, &f)
	}
}

// A post's strings may point into the message it was decoded from; the
// Features taken from them must not, or every row and detector key made
// from them keeps the whole message alive.
func TestFeaturesShareNoMemoryWithThePost(t *testing.T) {
	e := mustEnricher(t)
	msg := []byte("es-MX|MX|fil|mx|US")
	str := func(i, n int) string { return unsafe.String(&msg[i], n) }
	inMsg := func(s string) bool {
		if s == "" {
			return false
		}
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		start := uintptr(unsafe.Pointer(&msg[0]))
		return p >= start && p < start+uintptr(len(msg))
	}
	for _, c := range []struct {
		name string
		p    post.Post
	}{
		{"two-letter lang, country code alone", post.Post{Text: "sismo", Lang: str(0, 5), Place: post.Place{CountryCode: str(6, 2)}}},
		{"three-letter lang, lower-case country", post.Post{Text: "lindol", Lang: str(9, 3), Place: post.Place{CountryCode: str(13, 2)}}},
		{"a small place box's country code, not its centre's", post.Post{Text: "sismo", Lang: str(0, 2), Place: post.Place{CountryCode: str(16, 2), HasBBox: true,
			BBox: post.BBox{MinLon: -99.2, MinLat: 19.3, MaxLon: -99.1, MaxLat: 19.5}}}},
	} {
		var f Features
		e.Enrich(&c.p, &f)
		if f.Lang == "" || f.Country == "" {
			t.Fatalf("%s: lang %q, country %q: the case no longer tests what it should", c.name, f.Lang, f.Country)
		}
		for _, s := range []string{f.Lang, f.Country, f.Region, f.Place, f.Cell} {
			if inMsg(s) {
				t.Errorf("%s: %q points into the message", c.name, s)
			}
		}
	}
}
