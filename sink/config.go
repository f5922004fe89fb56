package sink

import (
	"crypto/tls"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Config configures a Client. The zero value plus SetDefaults is a client for
// a local server with the default user.
type Config struct {
	// Addr is the ClickHouse native-protocol address, host:port.
	// Default "127.0.0.1:9000".
	Addr string
	// Database holds earshot's tables; Open creates it when missing.
	// Default "earshot". Letters, digits and '_' only.
	Database string
	// User and Password authenticate the connection. Default user "default",
	// empty password.
	User     string
	Password string
	// TLS, when not nil, encrypts the connection with it (ClickHouse's
	// secure native port, tcp_port_secure, 9440 by convention). Default
	// nil: plaintext.
	TLS *tls.Config
	// DialTimeout bounds connecting to the server. Default 5s.
	DialTimeout time.Duration
	// WriteTimeout bounds one Insert or one query, from the moment it starts
	// until the server acknowledges it, unless the caller's context ends
	// sooner. Default 30s.
	WriteTimeout time.Duration
	// Compress sends INSERT blocks LZ4-compressed. Default false: on the
	// same machine compression costs more CPU than it saves.
	Compress bool
	// Registerer receives the client's metrics. Default nil: metrics are
	// kept in a private registry and not exported.
	Registerer prometheus.Registerer
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// SetDefaults fills unset fields with their documented defaults.
func (c *Config) SetDefaults() {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:9000"
	}
	if c.Database == "" {
		c.Database = "earshot"
	}
	if c.User == "" {
		c.User = "default"
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = 5 * time.Second
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 30 * time.Second
	}
}

// Validate reports the first invalid field.
func (c *Config) Validate() error {
	if c.Addr == "" {
		return errors.New("sink: Addr is empty")
	}
	if !identRE.MatchString(c.Database) {
		return fmt.Errorf("sink: Database %q must be letters, digits and '_' only", c.Database)
	}
	if c.DialTimeout < 0 {
		return fmt.Errorf("sink: DialTimeout %v is negative", c.DialTimeout)
	}
	if c.WriteTimeout < 0 {
		return fmt.Errorf("sink: WriteTimeout %v is negative", c.WriteTimeout)
	}
	return nil
}
