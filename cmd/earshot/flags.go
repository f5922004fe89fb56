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

// parse parses args, fills every flag not given on the command line from
// its environment variable, then lets the flags that depend on others
// check them.
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
	// Flags whose meaning depends on others are checked once all are set.
	fs.VisitAll(func(f *flag.Flag) {
		if c, ok := f.Value.(interface{ check() error }); ok && err == nil {
			err = c.check()
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

	tls                                tlsFlags
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
	k.tls.register(fs, "kafka", "the brokers", "connect to the brokers over TLS, verified against the system's roots (or --kafka-tls-ca)", nil)
	fs.StringVar(&k.saslMechanism, "kafka-sasl", "", "SASL `mechanism` to authenticate with: plain, scram-sha-256 or scram-sha-512 (default none)")
	fs.StringVar(&k.saslUser, "kafka-sasl-user", "", "SASL `user`")
	fs.StringVar(&k.saslPassw, "kafka-sasl-password", "", "SASL `password` (better from EARSHOT_KAFKA_SASL_PASSWORD than on the command line)")
}

// childArgs are the TLS and SASL flags as given, for an earshot process
// this one starts; the password is not among them (childEnv).
func (k *kafkaFlags) childArgs() []string {
	args := k.tls.childArgs()
	if k.saslMechanism != "" {
		args = append(args, "--kafka-sasl", k.saslMechanism, "--kafka-sasl-user", k.saslUser)
	}
	return args
}

// security builds the TLS and SASL settings the flags ask for; a mistake
// is a usage error naming the flag.
func (k *kafkaFlags) security() (stream.Security, error) {
	sec := stream.Security{TLS: k.tls.cfg} // built and checked by parse
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

// clickhouseAuthFlags registers the user, password and TLS flags into c
// (c.TLS is set once the flags are parsed); childArgs returns them as
// given (the password aside), for an earshot process this one starts.
func clickhouseAuthFlags(fs *flag.FlagSet, c *sink.Config) (childArgs func() []string) {
	t := new(tlsFlags)
	fs.StringVar(&c.User, "clickhouse-user", "default", "ClickHouse `user`")
	fs.StringVar(&c.Password, "clickhouse-password", "", "ClickHouse `password` (better from EARSHOT_CLICKHOUSE_PASSWORD than on the command line)")
	t.register(fs, "clickhouse", "the server", "connect over TLS (the server's secure native port, usually 9440), verified against the system's roots (or --clickhouse-tls-ca)", &c.TLS)
	return func() []string { return append([]string{"--clickhouse-user", c.User}, t.childArgs()...) }
}

// tlsFlags are one kind of server's TLS flags: --P-tls, the CA to verify
// the server against (--P-tls-ca), and a client certificate with its key
// (--P-tls-cert, --P-tls-key) for servers that authenticate clients by
// certificate (mutual TLS, as Aiven's Kafka and MSK's mTLS listeners ask).
// Any of them turns TLS on.
type tlsFlags struct {
	prefix        string
	on            bool
	ca, cert, key string
	// cfg is the configuration, nil for none, once the flags are parsed
	// (parse calls check); dst, when set, receives it too.
	cfg *tls.Config
	dst **tls.Config
}

func (t *tlsFlags) register(fs *flag.FlagSet, prefix, servers, usage string, dst **tls.Config) {
	t.prefix, t.dst = prefix, dst
	fs.Var(tlsSwitch{t}, prefix+"-tls", usage)
	fs.StringVar(&t.ca, prefix+"-tls-ca", "", "PEM `file` of the CA certificates to verify "+servers+" against (implies --"+prefix+"-tls)")
	fs.StringVar(&t.cert, prefix+"-tls-cert", "", "PEM `file` of a client certificate (and its chain) for mutual TLS, with --"+prefix+"-tls-key (implies --"+prefix+"-tls)")
	fs.StringVar(&t.key, prefix+"-tls-key", "", "PEM `file` of the client certificate's private key")
}

// config builds the TLS configuration the flags ask for, nil for none; a
// mistake is a usage error naming the flag.
func (t *tlsFlags) config() (*tls.Config, error) {
	if !t.on && t.ca == "" && t.cert == "" && t.key == "" {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.ca != "" {
		pool, err := certPool(t.ca)
		if err != nil {
			return nil, usageErr("--%s-tls-ca: %v", t.prefix, err)
		}
		c.RootCAs = pool
	}
	switch {
	case t.cert == "" && t.key == "":
	case t.cert == "" || t.key == "":
		return nil, usageErr("--%[1]s-tls-cert and --%[1]s-tls-key go together: the client certificate and its private key", t.prefix)
	default:
		pair, err := tls.LoadX509KeyPair(t.cert, t.key)
		if err != nil {
			return nil, usageErr("--%s-tls-cert %s with --%s-tls-key %s: %v", t.prefix, t.cert, t.prefix, t.key, err)
		}
		c.Certificates = []tls.Certificate{pair}
	}
	return c, nil
}

// childArgs are the flags as given.
func (t *tlsFlags) childArgs() []string {
	var args []string
	if t.on {
		args = append(args, "--"+t.prefix+"-tls")
	}
	for _, f := range []struct{ name, v string }{{"ca", t.ca}, {"cert", t.cert}, {"key", t.key}} {
		if f.v != "" {
			args = append(args, "--"+t.prefix+"-tls-"+f.name, f.v)
		}
	}
	return args
}

// tlsSwitch is the --P-tls flag; it checks the group once all flags are
// parsed, so that a mistake fails at start whatever the order of flags.
type tlsSwitch struct{ t *tlsFlags }

func (s tlsSwitch) String() string {
	if s.t == nil {
		return "false"
	}
	return strconv.FormatBool(s.t.on)
}

func (s tlsSwitch) Set(v string) error {
	on, err := strconv.ParseBool(v)
	s.t.on = on
	return err
}

func (s tlsSwitch) IsBoolFlag() bool { return true }

func (s tlsSwitch) check() error {
	c, err := s.t.config()
	if err != nil {
		return err
	}
	s.t.cfg = c
	if s.t.dst != nil {
		*s.t.dst = c
	}
	return nil
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
