package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"

	"github.com/segmentio/kafka-go"
)

// EnsureTopics creates the topics that do not exist yet, each with the given
// partitions and replication factor; existing topics are left as they are.
func EnsureTopics(ctx context.Context, brokers []string, sec Security, partitions, replication int, topics ...string) error {
	if len(brokers) == 0 {
		return errors.New("no kafka brokers given")
	}
	c := &kafka.Client{Addr: kafka.TCP(brokers...), Transport: sec.Transport()}
	req := &kafka.CreateTopicsRequest{}
	for _, t := range topics {
		req.Topics = append(req.Topics, kafka.TopicConfig{Topic: t, NumPartitions: partitions, ReplicationFactor: replication})
	}
	resp, err := c.CreateTopics(ctx, req)
	if err != nil {
		// kafka-go's transport reports a failed TLS handshake or SASL
		// exchange as "broker not available"; a dial says what failed.
		if derr := dialAny(ctx, brokers, sec); derr != nil {
			return fmt.Errorf("cannot connect to Kafka at %v: %w", brokers, derr)
		}
		return fmt.Errorf("cannot create topics on %v: %w", brokers, err)
	}
	for t, err := range resp.Errors {
		if err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
			return fmt.Errorf("cannot create topic %q: %w", t, err)
		}
	}
	return nil
}

// dialAny connects to the first of brokers that answers a metadata
// request, with sec, and returns why none did.
func dialAny(ctx context.Context, brokers []string, sec Security) error {
	var errs []error
	for _, b := range brokers {
		conn, err := sec.Dialer().DialContext(ctx, "tcp", b)
		if err == nil {
			_, err = conn.Brokers()
			conn.Close()
			if err == nil {
				return nil
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
			// A listener closes a connection that speaks another protocol
			// than its own, or skips the SASL exchange it wants.
			hint := "do --kafka-tls and --kafka-sasl match its listener (PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL)?"
			if sec.TLS != nil && len(sec.TLS.Certificates) > 0 {
				// A refused client certificate, when the alert comes after the first write.
				hint = "does it trust the client certificate of --kafka-tls-cert, and " + hint[3:]
			}
			err = fmt.Errorf("%s closed the connection (%w): %s", b, err, hint)
		} else if CertificateRefused(err) {
			err = fmt.Errorf("%s refused the client certificate (%w): a listener with ssl.client.auth wants the one named by --kafka-tls-cert and --kafka-tls-key", b, err)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
