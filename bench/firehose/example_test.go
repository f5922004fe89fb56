package firehose_test

import (
	"fmt"
	"io"
	"time"

	"earshot/bench/firehose"
)

// A seeded stream with an earthquake burst five seconds in: produce the
// messages (here: count them), then write the ground truth.
func Example() {
	g, err := firehose.New(firehose.Config{
		Seed:   1,
		Rules:  firehose.Rules(10000),
		Bursts: []firehose.Burst{firehose.DefaultBurst(5 * time.Second)},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 20000 {
		m := g.Next() // m.Key, m.Value: Kafka key and value, valid until the next call
		_ = m
	}
	t := g.Truth()
	fmt.Println(t.Messages, t.Posts+t.Duplicates == t.Messages, t.ByRule["sismo"].Mentions > 0)
	if err := t.WriteJSON(io.Discard); err != nil {
		fmt.Println(err)
	}
	// Output: 20000 true true
}
