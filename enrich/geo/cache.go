package geo

import (
	"strings"
	"sync"

	"github.com/cespare/xxhash/v2"
)

// cache maps location strings to Geocode results. It is sharded by hash;
// each shard keeps two generations of at most cap/2/shards entries: a hit in
// the old generation is copied into the new one, and when the new one is
// full the old one is dropped. That approximates LRU (what is used
// survives) with a hard bound, and costs one map lookup on a hit.
type cache struct {
	shards [cacheShards]cacheShard
}

const cacheShards = 16

type cacheShard struct {
	mu       sync.Mutex
	cur, old map[string]Match
	max      int
	_        [64]byte // keep shards on separate cache lines
}

func newCache(entries int) *cache {
	c := &cache{}
	per := max(entries/cacheShards/2, 1)
	for i := range c.shards {
		c.shards[i].max = per
		c.shards[i].cur = make(map[string]Match, per)
	}
	return c
}

func (c *cache) shard(s string) *cacheShard {
	return &c.shards[xxhash.Sum64String(s)%cacheShards]
}

func (c *cache) get(s string) (Match, bool) {
	sh := c.shard(s)
	sh.mu.Lock()
	m, ok := sh.cur[s]
	if !ok && sh.old != nil {
		if m, ok = sh.old[s]; ok {
			sh.insert(strings.Clone(s), m)
		}
	}
	sh.mu.Unlock()
	return m, ok
}

// put caches m for s. It keeps a copy of s: a post's strings share one
// block (post.Post), which a key kept as given would keep alive.
func (c *cache) put(s string, m Match) {
	sh := c.shard(s)
	s = strings.Clone(s)
	sh.mu.Lock()
	sh.insert(s, m)
	sh.mu.Unlock()
}

func (sh *cacheShard) insert(s string, m Match) {
	if len(sh.cur) >= sh.max {
		sh.old, sh.cur = sh.cur, make(map[string]Match, sh.max)
	}
	sh.cur[s] = m
}
