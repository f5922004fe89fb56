package stream

import (
	"errors"
	"fmt"
	"testing"
)

func TestCertificateRefused(t *testing.T) {
	for text, want := range map[string]bool{
		"remote error: tls: bad certificate":                                               true, // Kafka, none given or untrusted
		"read: remote error: tls: certificate required":                                    true, // ClickHouse, none given
		"read: remote error: tls: unknown certificate authority":                           true,
		"tls: failed to verify certificate: x509: certificate signed by unknown authority": false, // ours about the server's
		"remote error: tls: handshake failure":                                             false,
		"EOF":                                                                              false,
	} {
		if got := CertificateRefused(fmt.Errorf("dial: %w", errors.New(text))); got != want {
			t.Errorf("%q: %v, want %v", text, got, want)
		}
	}
}
