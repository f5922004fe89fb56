package enrich

import (
	"fmt"
	"math"

	"earshot/stream/post"
)

// Segment is the author's participation segment, after the social
// technographics ladder, judged from what one post shows: the author's
// counts, the account's age when it posted, and whether the post is an
// original, a reply/quote or a repost.
type Segment uint8

// Segments, in the order Segment tests them (the first that applies wins).
const (
	SegmentUnknown   Segment = iota // no author data at all
	SegmentZombie                   // bot-like (BotLikelihood ≥ ZombieMinBot) or the zombie follower pattern (AuthorConfig)
	SegmentInactive                 // hardly posts: lifetime posts ≤ InactiveMaxPosts or rate < InactiveMaxPostsPerDay
	SegmentJoiner                   // a new account: age ≤ JoinerMaxAgeDays
	SegmentCritic                   // comments on others: the post is a reply or a quote
	SegmentCollector                // curates others' content: the post is a repost
	SegmentCreator                  // publishes originals to an audience: followers ≥ CreatorMinFollowers and rate ≥ CreatorMinPostsPerDay
	SegmentSpectator                // an original post with a small audience or a low rate
)

var segmentNames = [...]string{"unknown", "zombie", "inactive", "joiner", "critic", "collector", "creator", "spectator"}

func (s Segment) String() string {
	if int(s) < len(segmentNames) {
		return segmentNames[s]
	}
	return "unknown"
}

// AuthorConfig holds the thresholds of author features. The zero value
// means the defaults.
type AuthorConfig struct {
	ZombieMinBot float32 // default 0.6
	// The zombie follower pattern, decided on its own whatever the bot
	// score: follows at least ZombieMinFollowing accounts, has at most
	// ZombieMaxFollowerRatio followers per account followed, and has posted
	// at most ZombieMaxPosts times. Defaults 500, 0.05, 50.
	ZombieMinFollowing     int64
	ZombieMaxFollowerRatio float64
	ZombieMaxPosts         int64
	InactiveMaxPosts       int64   // default 10 lifetime posts
	InactiveMaxPostsPerDay float64 // default 0.01 (about 4 posts a year)
	JoinerMaxAgeDays       float64 // default 30
	CreatorMinFollowers    int64   // default 100
	CreatorMinPostsPerDay  float64 // default 0.1
	// BotPostsPerDay is the posting rate at which the rate signal of
	// BotLikelihood saturates. Default 144 (one every 10 minutes, day and
	// night, for the account's whole life).
	BotPostsPerDay float64
}

func (c *AuthorConfig) setDefaults() {
	if c.ZombieMinBot == 0 {
		c.ZombieMinBot = 0.6
	}
	if c.ZombieMinFollowing == 0 {
		c.ZombieMinFollowing = 500
	}
	if c.ZombieMaxFollowerRatio == 0 {
		c.ZombieMaxFollowerRatio = 0.05
	}
	if c.ZombieMaxPosts == 0 {
		c.ZombieMaxPosts = 50
	}
	if c.InactiveMaxPosts == 0 {
		c.InactiveMaxPosts = 10
	}
	if c.InactiveMaxPostsPerDay == 0 {
		c.InactiveMaxPostsPerDay = 0.01
	}
	if c.JoinerMaxAgeDays == 0 {
		c.JoinerMaxAgeDays = 30
	}
	if c.CreatorMinFollowers == 0 {
		c.CreatorMinFollowers = 100
	}
	if c.CreatorMinPostsPerDay == 0 {
		c.CreatorMinPostsPerDay = 0.1
	}
	if c.BotPostsPerDay == 0 {
		c.BotPostsPerDay = 144
	}
}

func (c *AuthorConfig) validate() error {
	if !(c.ZombieMinBot > 0 && c.ZombieMinBot <= 1) {
		return fmt.Errorf("author: ZombieMinBot %v is out of range (0, 1]", c.ZombieMinBot)
	}
	if c.ZombieMinFollowing < 0 || c.ZombieMaxFollowerRatio < 0 || c.ZombieMaxPosts < 0 ||
		c.InactiveMaxPosts < 0 || c.InactiveMaxPostsPerDay < 0 || c.JoinerMaxAgeDays < 0 ||
		c.CreatorMinFollowers < 0 || c.CreatorMinPostsPerDay < 0 {
		return fmt.Errorf("author: thresholds must not be negative")
	}
	if !(c.BotPostsPerDay > 20) {
		return fmt.Errorf("author: BotPostsPerDay %v must be above 20", c.BotPostsPerDay)
	}
	return nil
}

// authorStats are the derived quantities the features share.
type authorStats struct {
	ageDays     float64 // account age when it posted; -1 when unknown
	postsPerDay float64 // lifetime rate; -1 when unknown
}

func stats(p *post.Post) authorStats {
	s := authorStats{ageDays: -1, postsPerDay: -1}
	a := &p.Author
	if !a.CreatedAt.IsZero() && !p.CreatedAt.IsZero() {
		s.ageDays = max(p.CreatedAt.Sub(a.CreatedAt).Hours()/24, 0)
		if a.Posts >= 0 {
			s.postsPerDay = float64(a.Posts) / max(s.ageDays, 1)
		}
	}
	return s
}

func clamp01(x float64) float64 { return min(max(x, 0), 1) }

// Influence scores an author's reach from 0 to 1:
//
//	0.55 · min(log10(followers+1) / 7, 1)                   reach (10M followers = 1)
//	0.20 · clamp((log10((followers+1)/(following+1)) + 1) / 4)  audience vs follows (ratio 0.1 → 0, 1000 → 1)
//	0.15 · verified
//	0.10 · clamp(log10(postsPerDay+1) / log10(21))          activity (20 posts a day = 1)
//
// Unknown counts contribute 0; without the account's age, activity uses
// lifetime posts instead: clamp(log10(posts+1) / 5).
func Influence(p *post.Post) float32 {
	return influence(p, stats(p))
}

func influence(p *post.Post, s authorStats) float32 {
	a := &p.Author
	fo, fg := max(float64(a.Followers), 0), max(float64(a.Following), 0)
	reach := 0.0
	if a.Followers >= 0 {
		reach = min(math.Log10(fo+1)/7, 1)
	}
	ratio := 0.0
	if a.Followers >= 0 && a.Following >= 0 {
		ratio = clamp01((math.Log10((fo+1)/(fg+1)) + 1) / 4)
	}
	ver := 0.0
	if a.Verified {
		ver = 1
	}
	act := 0.0
	switch {
	case s.postsPerDay >= 0:
		act = clamp01(math.Log10(s.postsPerDay+1) / math.Log10(21))
	case a.Posts >= 0:
		act = clamp01(math.Log10(float64(a.Posts)+1) / 5)
	}
	return float32(0.55*reach + 0.20*ratio + 0.15*ver + 0.10*act)
}

// BotLikelihood estimates from 0 to 1 how likely the author is automated
// or a zombie (fake, follower-farm) account. Independent signals s, each
// 0..1 with a weight w, combine as 1 − Π(1 − w·s):
//
//	w 0.75  rate: lifetime posts per day, log scale from 20/day (0) to BotPostsPerDay (1)
//	w 0.45  follow farming: following ≥ 1000 and followers/following from 0.2 (0) down to 0.02 (1)
//	w 0.40  young and prolific: account ≤ 30 days old with ≥ 500 posts
//	w 0.30  no audience: 0 followers with ≥ 100 posts
//	w 0.25  generated handle: 5 or more digits at the end of the handle
//	w 0.15  empty profile: neither bio nor location
//
// A verified account's score is multiplied by 0.2. Without author data it
// is 0.
func BotLikelihood(p *post.Post, cfg AuthorConfig) float32 {
	cfg.setDefaults()
	return botLikelihood(p, stats(p), &cfg)
}

func botLikelihood(p *post.Post, s authorStats, cfg *AuthorConfig) float32 {
	a := &p.Author
	if a.ID == "" && a.Handle == "" && a.Followers < 0 && a.Following < 0 && a.Posts < 0 {
		return 0
	}
	keep := 1.0
	sig := func(w, x float64) { keep *= 1 - w*clamp01(x) }
	if s.postsPerDay > 0 {
		sig(0.75, math.Log10(s.postsPerDay/20)/math.Log10(cfg.BotPostsPerDay/20))
	}
	if a.Following >= 1000 && a.Followers >= 0 {
		r := float64(a.Followers) / float64(a.Following)
		sig(0.45, math.Log10(0.2/max(r, 1e-6))) // 0.2 → 0, 0.02 → 1
	}
	if s.ageDays >= 0 && s.ageDays <= 30 && a.Posts >= 500 {
		sig(0.40, 1)
	}
	if a.Followers == 0 && a.Posts >= 100 {
		sig(0.30, 1)
	}
	if trailingDigits(a.Handle) >= 5 {
		sig(0.25, 1)
	}
	if a.Bio == "" && a.Location == "" {
		sig(0.15, 1)
	}
	b := 1 - keep
	if a.Verified {
		b *= 0.2
	}
	return float32(b)
}

func trailingDigits(h string) int {
	n := 0
	for i := len(h) - 1; i >= 0 && h[i] >= '0' && h[i] <= '9'; i-- {
		n++
	}
	return n
}

// SegmentOf places the author of p in a Segment (see the Segment constants
// for the rules, tested in order).
func SegmentOf(p *post.Post, cfg AuthorConfig) Segment {
	cfg.setDefaults()
	s := stats(p)
	return segment(p, s, botLikelihood(p, s, &cfg), &cfg)
}

func segment(p *post.Post, s authorStats, bot float32, cfg *AuthorConfig) Segment {
	a := &p.Author
	if a.ID == "" && a.Handle == "" && a.Followers < 0 && a.Following < 0 && a.Posts < 0 && a.CreatedAt.IsZero() {
		return SegmentUnknown
	}
	switch {
	case bot >= cfg.ZombieMinBot:
		return SegmentZombie
	case a.Following >= cfg.ZombieMinFollowing && a.Followers >= 0 && a.Posts >= 0 &&
		float64(a.Followers) <= cfg.ZombieMaxFollowerRatio*float64(a.Following) && a.Posts <= cfg.ZombieMaxPosts:
		return SegmentZombie
	case a.Posts >= 0 && a.Posts <= cfg.InactiveMaxPosts,
		s.postsPerDay >= 0 && s.postsPerDay < cfg.InactiveMaxPostsPerDay:
		return SegmentInactive
	case s.ageDays >= 0 && s.ageDays <= cfg.JoinerMaxAgeDays:
		return SegmentJoiner
	case p.ReplyTo != "" || p.QuoteOf != "":
		return SegmentCritic
	case p.RepostOf != "":
		return SegmentCollector
	case a.Followers >= cfg.CreatorMinFollowers && (s.postsPerDay < 0 || s.postsPerDay >= cfg.CreatorMinPostsPerDay):
		return SegmentCreator
	}
	return SegmentSpectator
}

func (e *Enricher) author(p *post.Post, f *Features) {
	s := stats(p)
	f.Influence = influence(p, s)
	f.Bot = botLikelihood(p, s, &e.cfg.Author)
	f.Segment = segment(p, s, f.Bot, &e.cfg.Author)
}
