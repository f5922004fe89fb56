package main

import (
	"testing"
	"time"

	"earshot/bench/peers"
)

// TestPassAccounting checks that a pass in batches counts posts, bytes and
// matches exactly as a pass of one post per call over the same posts.
func TestPassAccounting(t *testing.T) {
	c, err := peers.BuildCorpus(peers.CorpusConfig{Bytes: 32 << 10, CrisisLexGlob: "-"})
	if err != nil {
		t.Fatal(err)
	}
	posts := c.Posts
	if len(posts)%peers.EarshotBatch == 0 {
		posts = posts[:len(posts)-1]
	}
	pats, err := peers.NewPatterns(10000)
	if err != nil {
		t.Fatal(err)
	}
	var batchImpl peers.Impl
	for _, im := range peers.Impls(peers.ImplsConfig{}) {
		if im.Name == peers.EarshotBatchName {
			batchImpl = im
		}
	}
	m, err := batchImpl.Build(pats)
	if err != nil {
		t.Fatal(err)
	}
	one := pass(m, 1, posts, time.Hour)
	batch := pass(m, postsPerCall(batchImpl), posts, time.Hour)
	if one.posts != len(posts) || one.bytes != (&peers.Corpus{Posts: posts}).Bytes() || one.matches == 0 {
		t.Fatalf("per-post pass: %d posts, %d bytes, %d matches; want %d posts, all bytes, some matches", one.posts, one.bytes, one.matches, len(posts))
	}
	if batch.posts != one.posts || batch.bytes != one.bytes || batch.matches != one.matches || batch.matchedPosts != one.matchedPosts {
		t.Errorf("batch pass counted %d posts, %d bytes, %d matches (%d posts); per post: %d, %d, %d (%d)",
			batch.posts, batch.bytes, batch.matches, batch.matchedPosts, one.posts, one.bytes, one.matches, one.matchedPosts)
	}
}
