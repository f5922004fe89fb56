package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go/sasl/scram"

	"earshot/bench/e2e"
	"earshot/stream"
)

// TestSecureConnections runs earshot against a Kafka broker whose
// listeners want TLS and SASL, TLS alone, SASL alone, or TLS with the
// client's certificate (deploy/local/up kafka with
// EARSHOT_KAFKA_SASL_SSL_PORT, _SSL_PORT, _SASL_PLAINTEXT_PORT, _MTLS_PORT:
// a self-signed certificate, user earshot, a client certificate) and a
// ClickHouse server on its TLS port, which wants the client's certificate
// too (EARSHOT_CLICKHOUSE_TLS_PORT, EARSHOT_CLICKHOUSE_TLS_CLIENT_CERT),
// both of the test's own. Two `earshot run` processes in one group, one
// authenticated with SCRAM-SHA-512 over TLS and one by its certificate,
// read the stream, write dead letters and alerts, and store over mutual
// TLS exactly the ground truth; `earshot gen` produces over each listener,
// with PLAIN and SCRAM, with and without --pregenerate; a small `earshot
// bench` runs through both; and wrong settings fail at start, saying what
// failed.
func TestSecureConnections(t *testing.T) {
	e2e.Services(t) // the integration tests' switch
	kf := startService(t, "kafka", "EARSHOT_KAFKA_PORT", "EARSHOT_KAFKA_CONTROLLER_PORT", "EARSHOT_KAFKA_SASL_SSL_PORT",
		"EARSHOT_KAFKA_SSL_PORT", "EARSHOT_KAFKA_SASL_PLAINTEXT_PORT", "EARSHOT_KAFKA_MTLS_PORT")
	secure := "127.0.0.1:" + envValue(kf.env, "EARSHOT_KAFKA_SASL_SSL_PORT")
	tlsOnly := "127.0.0.1:" + envValue(kf.env, "EARSHOT_KAFKA_SSL_PORT")
	saslOnly := "127.0.0.1:" + envValue(kf.env, "EARSHOT_KAFKA_SASL_PLAINTEXT_PORT")
	mutual := "127.0.0.1:" + envValue(kf.env, "EARSHOT_KAFKA_MTLS_PORT")
	ca := filepath.Join(envValue(kf.env, "EARSHOT_LOCAL_DIR"), "kafka", "tls", "ca.pem")
	// Each service trusts its own client certificate alone.
	cert := func(svc *service, flag string) []string {
		dir := filepath.Join(envValue(svc.env, "EARSHOT_LOCAL_DIR"), "tls")
		return []string{"--" + flag + "-tls-cert", filepath.Join(dir, "client.pem"), "--" + flag + "-tls-key", filepath.Join(dir, "client.key")}
	}
	t.Setenv("EARSHOT_CLICKHOUSE_TLS_CLIENT_CERT", "required")
	ch := startService(t, "clickhouse", "EARSHOT_CLICKHOUSE_TCP_PORT", "EARSHOT_CLICKHOUSE_HTTP_PORT", "EARSHOT_CLICKHOUSE_TLS_PORT")
	chSecure := "127.0.0.1:" + envValue(ch.env, "EARSHOT_CLICKHOUSE_TLS_PORT")
	chCA := filepath.Join(envValue(ch.env, "EARSHOT_LOCAL_DIR"), "clickhouse", "tls", "ca.pem")
	chMutual := append([]string{"--clickhouse-addr", chSecure, "--clickhouse-tls-ca", chCA}, cert(ch, "clickhouse")...)
	const password = "earshot-local" // deploy/local's default
	flags := func(mechanism string) []string {
		return []string{"--kafka-brokers", secure, "--kafka-tls-ca", ca, "--kafka-sasl", mechanism,
			"--kafka-sasl-user", "earshot", "--kafka-sasl-password", password}
	}

	t.Run("gen", func(t *testing.T) {
		sasl := []string{"--kafka-sasl", "scram-sha-512", "--kafka-sasl-user", "earshot", "--kafka-sasl-password", password}
		for _, c := range []struct {
			name string
			args []string
		}{
			{"sasl-ssl-plain", append(flags("plain"), "--throttle=false")},
			{"sasl-ssl-scram-sha-256", append(flags("scram-sha-256"), "--pregenerate", "--rate", "20000")},
			{"ssl", []string{"--kafka-brokers", tlsOnly, "--kafka-tls-ca", ca, "--throttle=false"}},
			{"sasl-plaintext", append([]string{"--kafka-brokers", saslOnly, "--pregenerate", "--rate", "20000"}, sasl...)},
			{"mtls", append([]string{"--kafka-brokers", mutual, "--kafka-tls-ca", ca, "--pregenerate", "--rate", "20000"}, cert(kf, "kafka")...)},
		} {
			topic := "sec-gen-" + c.name
			args := append([]string{"gen", "--topic", topic, "--count", "3000", "--rules-count", "20"}, c.args...)
			if stdout, errOut, status := earshot(t, "", args...); status != 0 || !strings.Contains(errOut, "generator done") {
				t.Fatalf("gen over %s: status %d\n%s%s", c.name, status, stdout, errOut)
			}
			highs := highWatermarks(t, t.Context(), kf.addr, topic, defaultPartitions)
			var n int64
			for _, h := range highs {
				n += h
			}
			if n != 3000 {
				t.Errorf("gen over %s: %d messages in %s, want 3000", c.name, n, topic)
			}
		}
	})

	t.Run("mistakes", func(t *testing.T) {
		base := []string{"gen", "--topic", "sasl-mistakes", "--count", "10", "--throttle=false"}
		for _, c := range []struct {
			args []string
			want string
		}{
			{append(flags("scram-sha-512")[:8], "--kafka-sasl-password", "wrong"), "SASL Authentication Failed"},
			{[]string{"--kafka-brokers", secure}, "do --kafka-tls and --kafka-sasl match its listener"},
			{[]string{"--kafka-brokers", secure, "--kafka-tls-ca", ca}, "do --kafka-tls and --kafka-sasl match its listener"},
			{[]string{"--kafka-brokers", secure, "--kafka-tls", "--kafka-sasl", "plain", "--kafka-sasl-user", "earshot", "--kafka-sasl-password", password},
				"certificate signed by unknown authority"},
			{[]string{"--kafka-brokers", kf.addr, "--kafka-tls-ca", ca}, "do --kafka-tls and --kafka-sasl match its listener"},
			{[]string{"--kafka-brokers", saslOnly, "--kafka-tls-ca", ca, "--kafka-sasl", "plain", "--kafka-sasl-user", "earshot", "--kafka-sasl-password", password},
				"do --kafka-tls and --kafka-sasl match its listener"},
			{[]string{"--kafka-brokers", tlsOnly}, "do --kafka-tls and --kafka-sasl match its listener"},
			{[]string{"--kafka-brokers", secure, "--kafka-sasl", "gssapi", "--kafka-sasl-user", "u", "--kafka-sasl-password", "p"}, `--kafka-sasl "gssapi": want plain, scram-sha-256 or scram-sha-512`},
			{[]string{"--kafka-brokers", secure, "--kafka-sasl", "plain", "--kafka-sasl-user", "earshot"}, "needs --kafka-sasl-user and --kafka-sasl-password"},
			{[]string{"--kafka-brokers", secure, "--kafka-sasl-user", "earshot"}, "need --kafka-sasl"},
			{[]string{"--kafka-brokers", secure, "--kafka-tls-ca", filepath.Join(t.TempDir(), "none.pem")}, "--kafka-tls-ca: open"},
			{[]string{"--kafka-brokers", secure, "--kafka-tls-ca", writeFile(t, "bad.pem", "not a certificate")}, "holds no PEM certificate"},
			{[]string{"--kafka-brokers", mutual, "--kafka-tls-ca", ca}, "refused the client certificate"},
			{append([]string{"--kafka-brokers", mutual, "--kafka-tls-ca", ca}, cert(ch, "kafka")...), "client certificate"},
			{append([]string{"--kafka-brokers", mutual}, cert(kf, "kafka")[:2]...), "--kafka-tls-cert and --kafka-tls-key go together"},
			{[]string{"--kafka-brokers", mutual, "--kafka-tls-cert", cert(kf, "kafka")[3], "--kafka-tls-key", cert(kf, "kafka")[1]}, "PEM inputs may have been switched"},
		} {
			start := time.Now()
			_, errOut, status := earshot(t, "", append(slices.Clone(base), c.args...)...)
			if status == 0 || !strings.Contains(errOut, c.want) {
				t.Errorf("gen %s: status %d, want an error with %q:\n%s", strings.Join(c.args, " "), status, c.want, errOut)
			}
			if took := time.Since(start); took > 20*time.Second {
				t.Errorf("gen %s: failed after %s, want at once", strings.Join(c.args, " "), took)
			}
		}
	})

	t.Run("clickhouse mistakes", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			want string
		}{
			{chMutual, ""},
			{[]string{"--clickhouse-addr", chSecure, "--clickhouse-tls-ca", chCA}, "the server refused the client certificate"},
			// The server's alert, or its closing the connection, depending on timing.
			{append(chMutual[:4:4], cert(kf, "clickhouse")...), "client certificate"},
			{append(chMutual[:4:4], cert(ch, "clickhouse")[2:]...), "--clickhouse-tls-cert and --clickhouse-tls-key go together"},
			{[]string{"--clickhouse-addr", chSecure}, "a TLS port without --clickhouse-tls?"},
			{[]string{"--clickhouse-addr", chSecure, "--clickhouse-tls"}, "the server's certificate is not trusted"},
			{[]string{"--clickhouse-addr", ch.addr, "--clickhouse-tls-ca", chCA}, "--clickhouse-tls to a port that is not TLS?"},
			{[]string{"--clickhouse-addr", chSecure, "--clickhouse-tls-ca", ca}, "the server's certificate is not trusted"},
			{[]string{"--clickhouse-addr", chSecure, "--clickhouse-tls-ca", writeFile(t, "bad.pem", "no")}, "holds no PEM certificate"},
		} {
			_, errOut, status := earshot(t, "", append([]string{"migrate", "--clickhouse-database", "tls_mistakes"}, c.args...)...)
			if c.want == "" && status != 0 || c.want != "" && (status == 0 || !strings.Contains(errOut, c.want)) {
				t.Errorf("migrate %s: status %d, want %q:\n%s", strings.Join(c.args, " "), status, c.want, errOut)
			}
		}
	})

	t.Run("bench", func(t *testing.T) {
		out := t.TempDir()
		args := append([]string{"bench", "--posts", "20000", "--runs", "1", "--rules", "200",
			"--latency-rates", "2000", "--latency-duration", "3s", "--out", out,
		}, append(chMutual, flags("scram-sha-512")...)...)
		stdout, errOut, status := earshot(t, "", args...)
		if status != 0 {
			t.Fatalf("bench: status %d\n%s\n%s", status, stdout, errOut)
		}
		b, err := os.ReadFile(filepath.Join(out, "e2e-"+time.Now().UTC().Format("2006-01-02")+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var r struct {
			Throughput struct {
				Posts int `json:"posts"`
			} `json:"throughput"`
			Latency []struct {
				Measured int  `json:"posts_measured"`
				KeptUp   bool `json:"generator_kept_up"`
			} `json:"latency"`
		}
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		if r.Throughput.Posts < 10_000 || len(r.Latency) != 1 || r.Latency[0].Measured == 0 {
			t.Errorf("bench over TLS and SASL: %+v\n%s", r, b)
		}
		if strings.Contains(strings.Join(os.Environ(), " "), password) {
			t.Fatal("the test's environment holds the password: the children's would not tell")
		}
	})

	t.Run("run", func(t *testing.T) {
		r := newFaultRun(t, kf.addr, ch.addr) // topics and checks on the plaintext ports
		m, err := scram.Mechanism(scram.SHA512, "earshot", password)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pem, err := os.ReadFile(ca)
		if err != nil || !pool.AppendCertsFromPEM(pem) {
			t.Fatalf("%s: %v", ca, err)
		}
		r.produceAddr, r.produceSec = secure, stream.Security{TLS: &tls.Config{RootCAs: pool}, SASL: m}
		r.stepEvery = 40 * time.Millisecond
		for i, a := range r.procs.args {
			switch a {
			case "--kafka-brokers":
				r.procs.args[i+1] = secure
			case "--clickhouse-addr":
				r.procs.args[i+1] = chSecure
			}
		}
		base := append(slices.Clone(r.procs.args), chMutual[2:]...)
		r.procs.args = append(slices.Clone(base), flags("scram-sha-512")[2:]...)
		r.procs.start()
		// The second process reads the same group through the listener
		// that authenticates it by its certificate.
		r.procs.args = append(base, "--kafka-tls-ca", ca)
		r.procs.args = append(r.procs.args, cert(kf, "kafka")...)
		r.procs.args[slices.Index(r.procs.args, "--kafka-brokers")+1] = mutual
		r.procs.start()
		r.finish(r.produce(), "none")
		// Every malformed message, in the dead-letter topic the processes
		// wrote over TLS.
		var dead int64
		for _, h := range highWatermarks(t, t.Context(), kf.addr, r.topic+".dlq", r.partitions) {
			dead += h
		}
		var want int64
		for _, m := range r.msgs {
			if strings.HasPrefix(string(m.Key), "bad-") {
				want++
			}
		}
		if dead < want || want == 0 {
			t.Errorf("%d dead letters, want %d or more (at least once)", dead, want)
		}
	})
}

// envValue returns the value of name in env (KEY=value entries).
func envValue(env []string, name string) string {
	for _, e := range slices.Backward(env) {
		if v, ok := strings.CutPrefix(e, name+"="); ok {
			return v
		}
	}
	return ""
}
