package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"earshot/sink"
	"earshot/stream"
	"earshot/stream/adapt"
)

// usageError is a configuration mistake: the command exits with status 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error { return &usageError{fmt.Errorf(format, args...)} }

// envName maps a flag to its environment variable: kafka-brokers →
// EARSHOT_KAFKA_BROKERS.
func envName(flagName string) string {
	return "EARSHOT_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parse parses args, then fills every flag not given on the command line
// from its environment variable.
func parse(fs *flag.FlagSet, args []string) error {
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage of earshot %s (each flag also reads EARSHOT_<FLAG>):\n", fs.Name())
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return &usageError{err}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil {
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = usageErr("%s=%q: %v", envName(f.Name), v, e)
			}
		}
	})
	return err
}

// listFlag is a comma-separated list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error {
	*l = nil
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// kafkaFlags are the flags every Kafka-facing command shares.
type kafkaFlags struct {
	brokers listFlag
	topic   string

	tls                                bool
	tlsCA                              string
	saslMechanism, saslUser, saslPassw string
}

func (k *kafkaFlags) register(fs *flag.FlagSet, defaultTopic string) {
	k.brokers = listFlag{"127.0.0.1:9092"}
	fs.Var(&k.brokers, "kafka-brokers", "Kafka bootstrap `addresses`, comma-separated")
	fs.StringVar(&k.topic, "topic", defaultTopic, "input `topic` of canonical posts (keyed by post id)")
	k.registerSecurity(fs)
}

// registerSecurity registers the TLS and SASL flags alone.
func (k *kafkaFlags) registerSecurity(fs *flag.FlagSet) {
	fs.BoolVar(&k.tls, "kafka-tls", false, "connect to the brokers over TLS, verified against the system's roots (or --kafka-tls-ca)")
	fs.StringVar(&k.tlsCA, "kafka-tls-ca", "", "PEM `file` of the certificates the brokers' are verified against (implies --kafka-tls)")
	fs.StringVar(&k.saslMechanism, "kafka-sasl", "", "SASL `mechanism` to authenticate with: plain, scram-sha-256 or scram-sha-512 (default none)")
	fs.StringVar(&k.saslUser, "kafka-sasl-user", "", "SASL `user`")
	fs.StringVar(&k.saslPassw, "kafka-sasl-password", "", "SASL `password` (better from EARSHOT_KAFKA_SASL_PASSWORD than on the command line)")
}

// childArgs are the TLS and SASL flags as given, for an earshot process
// this one starts; the password is not among them (childEnv).
func (k *kafkaFlags) childArgs() []string {
	var args []string
	if k.tls {
		args = append(args, "--kafka-tls")
	}
	if k.tlsCA != "" {
		args = append(args, "--kafka-tls-ca", k.tlsCA)
	}
	if k.saslMechanism != "" {
		args = append(args, "--kafka-sasl", k.saslMechanism, "--kafka-sasl-user", k.saslUser)
	}
	return args
}

// security builds the TLS and SASL settings the flags ask for; a mistake
// is a usage error naming the flag.
func (k *kafkaFlags) security() (stream.Security, error) {
	var sec stream.Security
	if k.tls || k.tlsCA != "" {
		sec.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
		if k.tlsCA != "" {
			pool, err := certPool(k.tlsCA)
			if err != nil {
				return sec, usageErr("--kafka-tls-ca: %v", err)
			}
			sec.TLS.RootCAs = pool
		}
	}
	if k.saslMechanism == "" {
		if k.saslUser != "" || k.saslPassw != "" {
			return sec, usageErr("--kafka-sasl-user and --kafka-sasl-password need --kafka-sasl (plain, scram-sha-256 or scram-sha-512)")
		}
		return sec, nil
	}
	if k.saslUser == "" || k.saslPassw == "" {
		return sec, usageErr("--kafka-sasl %s needs --kafka-sasl-user and --kafka-sasl-password (or EARSHOT_KAFKA_SASL_PASSWORD)", k.saslMechanism)
	}
	switch strings.ToLower(k.saslMechanism) {
	case "plain":
		sec.SASL = plain.Mechanism{Username: k.saslUser, Password: k.saslPassw}
	case "scram-sha-256", "scram-sha-512":
		algo := scram.SHA256
		if strings.HasSuffix(strings.ToLower(k.saslMechanism), "512") {
			algo = scram.SHA512
		}
		m, err := scram.Mechanism(algo, k.saslUser, k.saslPassw)
		if err != nil {
			return sec, usageErr("--kafka-sasl %s: %v", k.saslMechanism, err)
		}
		sec.SASL = m
	default:
		return sec, usageErr("--kafka-sasl %q: want plain, scram-sha-256 or scram-sha-512", k.saslMechanism)
	}
	if sec.TLS == nil {
		slog.Warn("SASL without TLS: the brokers' traffic, and with plain the password, cross the network in the clear; add --kafka-tls")
	}
	return sec, nil
}

func clickhouseFlags(fs *flag.FlagSet, c *sink.Config) {
	fs.StringVar(&c.Addr, "clickhouse-addr", "127.0.0.1:9000", "ClickHouse native protocol `host:port`")
	fs.StringVar(&c.Database, "clickhouse-database", "earshot", "ClickHouse `database` (created if missing)")
	clickhouseAuthFlags(fs, c)
}

// clickhouseAuthFlags registers the user, password and TLS flags into c;
// childArgs returns them as given (the password aside), for an earshot
// process this one starts.
func clickhouseAuthFlags(fs *flag.FlagSet, c *sink.Config) (childArgs func() []string) {
	var tlsOn bool
	var caPath string
	childArgs = func() []string {
		args := []string{"--clickhouse-user", c.User}
		if caPath != "" {
			args = append(args, "--clickhouse-tls-ca", caPath)
		} else if tlsOn {
			args = append(args, "--clickhouse-tls")
		}
		return args
	}
	fs.StringVar(&c.User, "clickhouse-user", "default", "ClickHouse `user`")
	fs.StringVar(&c.Password, "clickhouse-password", "", "ClickHouse `password` (better from EARSHOT_CLICKHOUSE_PASSWORD than on the command line)")
	fs.BoolFunc("clickhouse-tls", "connect over TLS (the server's secure native port, usually 9440), verified against the system's roots (or --clickhouse-tls-ca)",
		func(v string) error {
			on, err := strconv.ParseBool(v)
			switch {
			case err != nil:
				return err
			case !on:
				c.TLS, caPath = nil, ""
			case c.TLS == nil:
				c.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
			}
			tlsOn = on
			return nil
		})
	fs.Func("clickhouse-tls-ca", "PEM `file` of the certificates the server's is verified against (implies --clickhouse-tls)", func(path string) error {
		pool, err := certPool(path)
		if err != nil {
			return err
		}
		c.TLS, caPath = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}, path
		return nil
	})
	return childArgs
}

// certPool reads a PEM file of CA certificates.
func certPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}

// pipelineFlags registers the tunables of stream.Config, with its defaults.
func pipelineFlags(fs *flag.FlagSet, c *stream.Config) {
	var d stream.Config
	d.SetDefaults()
	fs.StringVar(&c.Group, "group", d.Group, "Kafka consumer `group`")
	fs.StringVar(&c.DeadLetterTopic, "dead-letter-topic", "", "dead-letter `topic` (default: TOPIC.dlq)")
	fs.Func("format", "input `format`: canonical, twitter-v1, mastodon, jetstream, or auto (detected per message) (default canonical)",
		func(s string) error {
			f, err := adapt.ParseFormat(s)
			c.Format = f
			return err
		})
	fs.IntVar(&c.BatchRows, "batch-rows", d.BatchRows, "flush a ClickHouse batch at this many `rows`")
	fs.DurationVar(&c.BatchInterval, "batch-interval", d.BatchInterval, "flush a non-empty batch at least this often")
	fs.IntVar(&c.QueueChunks, "queue-chunks", d.QueueChunks, "chunks buffered between partitions and the writer before fetching pauses")
	fs.DurationVar(&c.DedupWindow, "dedup-window", d.DedupWindow, "how long a post id is remembered to drop duplicates")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", d.ShutdownTimeout, "bound on the final flush when stopping")
}
