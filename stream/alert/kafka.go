package alert

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// MessageWriter is what the Kafka target needs of a *kafka.Writer.
type MessageWriter interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}

// KafkaConfig configures the Kafka alerts topic target.
type KafkaConfig struct {
	Brokers []string // bootstrap addresses (required)
	// Transport carries TLS and SASL (stream.Security.Transport); nil is
	// kafka-go's default: plaintext, no authentication.
	Transport kafka.RoundTripper
	Topic     string // default "earshot-alerts"
	// WriteTimeout bounds one write including the writer's own retries
	// (default 10s).
	WriteTimeout time.Duration
}

// Kafka writes each alert as one message to the alerts topic: key =
// rule + "\x00" + region (so one region's alerts stay in order on one
// partition), value = the alert JSON, header earshot-alert-id = the id.
type Kafka struct {
	w       MessageWriter
	closer  func() error
	timeout time.Duration
	name    string
}

// NewKafka returns a target writing through a kafka-go Writer tuned for
// small, latency-sensitive messages (batch timeout 10ms, acks from all
// in-sync replicas). Close it after the Dispatcher.
func NewKafka(cfg KafkaConfig) (*Kafka, error) {
	if len(cfg.Brokers) == 0 {
		return nil, errors.New("invalid alerts topic config: no brokers")
	}
	if cfg.Topic == "" {
		cfg.Topic = "earshot-alerts"
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	w := &kafka.Writer{
		Addr:                   kafka.TCP(cfg.Brokers...),
		Transport:              cfg.Transport,
		Topic:                  cfg.Topic,
		Balancer:               &kafka.Hash{},
		BatchTimeout:           10 * time.Millisecond,
		RequiredAcks:           kafka.RequireAll,
		AllowAutoTopicCreation: true,
	}
	return &Kafka{w: w, closer: w.Close, timeout: cfg.WriteTimeout, name: "kafka:" + cfg.Topic}, nil
}

// NewKafkaWriter returns a target writing through w (a *kafka.Writer or a
// test double); name labels metrics.
func NewKafkaWriter(w MessageWriter, name string) *Kafka {
	return &Kafka{w: w, closer: func() error { return nil }, timeout: 10 * time.Second, name: name}
}

// Name implements Target.
func (k *Kafka) Name() string { return k.name }

// Deliver implements Target.
func (k *Kafka) Deliver(ctx context.Context, a *Alert, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, k.timeout)
	defer cancel()
	err := k.w.WriteMessages(ctx, kafka.Message{
		Key:     []byte(a.Rule + "\x00" + a.Region()),
		Value:   body,
		Headers: []kafka.Header{{Key: "earshot-alert-id", Value: []byte(a.ID)}},
	})
	if err != nil {
		return fmt.Errorf("cannot write alert %s to %s: %w", a.ID, k.name, err)
	}
	return nil
}

// Close closes the writer.
func (k *Kafka) Close() error { return k.closer() }
