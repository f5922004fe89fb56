package stream

import (
	"context"
	"errors"
	"fmt"

	"github.com/segmentio/kafka-go"
)

// EnsureTopics creates the topics that do not exist yet, each with the given
// partitions and replication factor; existing topics are left as they are.
func EnsureTopics(ctx context.Context, brokers []string, partitions, replication int, topics ...string) error {
	if len(brokers) == 0 {
		return errors.New("no kafka brokers given")
	}
	c := &kafka.Client{Addr: kafka.TCP(brokers...)}
	req := &kafka.CreateTopicsRequest{}
	for _, t := range topics {
		req.Topics = append(req.Topics, kafka.TopicConfig{Topic: t, NumPartitions: partitions, ReplicationFactor: replication})
	}
	resp, err := c.CreateTopics(ctx, req)
	if err != nil {
		return fmt.Errorf("cannot create topics on %v: %w", brokers, err)
	}
	for t, err := range resp.Errors {
		if err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
			return fmt.Errorf("cannot create topic %q: %w", t, err)
		}
	}
	return nil
}
