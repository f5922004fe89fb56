package stream

import (
	"crypto/tls"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
)

// Security is how earshot's Kafka clients reach the brokers: over TLS,
// authenticated with SASL, both, or neither (the zero value: plaintext,
// no authentication). Every client earshot makes of a Config (the group,
// the partition readers, the dead-letter and route writers) uses it; so do
// the alerts writer and EnsureTopics when given it.
type Security struct {
	// TLS, when not nil, encrypts every connection with it.
	TLS *tls.Config
	// SASL, when not nil, authenticates every connection with it: kafka-go's
	// plain.Mechanism or a scram.Mechanism (SCRAM-SHA-256 or -512).
	SASL sasl.Mechanism
}

// Enabled reports whether s asks for TLS or SASL.
func (s Security) Enabled() bool { return s.TLS != nil || s.SASL != nil }

// Dialer returns a dialer for connections to partition leaders and the
// group coordinator: kafka-go's default one when nothing is asked.
func (s Security) Dialer() *kafka.Dialer {
	if !s.Enabled() {
		return kafka.DefaultDialer
	}
	return &kafka.Dialer{Timeout: 10 * time.Second, DualStack: true, TLS: s.TLS, SASLMechanism: s.SASL}
}

// Transport returns a transport for writers and clients (it pools their
// connections): nil, kafka-go's default, when nothing is asked.
func (s Security) Transport() kafka.RoundTripper {
	if !s.Enabled() {
		return nil
	}
	return &kafka.Transport{TLS: s.TLS, SASL: s.SASL, DialTimeout: 10 * time.Second}
}

// Client returns a client for requests to the cluster (metadata, offsets)
// through brokers, each bounded by timeout.
func (s Security) Client(brokers []string, timeout time.Duration) *kafka.Client {
	return &kafka.Client{Addr: kafka.TCP(brokers...), Transport: s.Transport(), Timeout: timeout}
}

// CertificateRefused reports whether err carries a TLS server's alert about
// the client's certificate: the server wants one and was given none, or
// does not trust the one it was given. Go reports a received alert only as
// text ("remote error: tls: bad certificate").
func CertificateRefused(err error) bool {
	s := err.Error()
	return strings.Contains(s, "remote error: tls: ") && strings.Contains(s, "certificate")
}
