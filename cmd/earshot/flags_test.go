package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"earshot/sink"
)

func TestEnvName(t *testing.T) {
	if got := envName("kafka-brokers"); got != "EARSHOT_KAFKA_BROKERS" {
		t.Fatalf("envName = %q", got)
	}
}

func TestParseEnvAndFlags(t *testing.T) {
	newFS := func() (*flag.FlagSet, *kafkaFlags, *int) {
		fs := flag.NewFlagSet("run", flag.ContinueOnError)
		var kf kafkaFlags
		kf.register(fs, "posts")
		n := fs.Int("batch-rows", 10, "")
		return fs, &kf, n
	}
	t.Setenv("EARSHOT_KAFKA_BROKERS", "a:1, b:2")
	t.Setenv("EARSHOT_BATCH_ROWS", "77")
	fs, kf, n := newFS()
	if err := parse(fs, []string{"--topic", "x"}); err != nil {
		t.Fatal(err)
	}
	if len(kf.brokers) != 2 || kf.brokers[1] != "b:2" || kf.topic != "x" || *n != 77 {
		t.Fatalf("brokers %v topic %q rows %d", kf.brokers, kf.topic, *n)
	}
	// The command line wins over the environment.
	fs, _, n = newFS()
	if err := parse(fs, []string{"--batch-rows", "5"}); err != nil || *n != 5 {
		t.Fatalf("flag did not win: %d, %v", *n, err)
	}
	// A bad environment value is a usage error naming the variable.
	t.Setenv("EARSHOT_BATCH_ROWS", "many")
	fs, _, _ = newFS()
	err := parse(fs, nil)
	var ue *usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "EARSHOT_BATCH_ROWS") {
		t.Fatalf("got %v, want a usage error naming EARSHOT_BATCH_ROWS", err)
	}
	fs, _, _ = newFS()
	if err := parse(fs, []string{"--no-such-flag"}); !errors.As(err, &ue) {
		t.Fatalf("unknown flag: got %v, want a usage error", err)
	}
}

func TestReorder(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.Bool("json", false, "")
	fs.Bool("why", false, "")
	fs.String("text", "", "")
	got := reorder(fs, []string{"rules.txt", "--json", "--text", "hola sismo", "-why", "--input", "-"})
	want := []string{"--json", "--text", "hola sismo", "-why", "--input", "-", "rules.txt"}
	if len(got) != len(want) {
		t.Fatalf("%q", got)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%q, want %q", got, want)
		}
	}
}

// TestTLSFlags checks the TLS flags of Kafka and ClickHouse: a client
// certificate and its key in any order, from flags or the environment, are
// in the configuration and in the flags handed to child processes; one
// without the other is a usage error at parse time.
func TestTLSFlags(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "earshot"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath := filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)

	clickhouse := func(args ...string) (*sink.Config, []string, error) {
		fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
		var sc sink.Config
		child := clickhouseAuthFlags(fs, &sc)
		err := parse(fs, args)
		return &sc, child(), err
	}
	sc, child, err := clickhouse("--clickhouse-tls-key", keyPath, "--clickhouse-tls-cert", certPath, "--clickhouse-tls-ca", certPath)
	if err != nil || sc.TLS == nil || len(sc.TLS.Certificates) != 1 || sc.TLS.RootCAs == nil {
		t.Fatalf("clickhouse: %v, TLS %+v", err, sc.TLS)
	}
	if got := strings.Join(child, " "); got != "--clickhouse-user default --clickhouse-tls-ca "+certPath+
		" --clickhouse-tls-cert "+certPath+" --clickhouse-tls-key "+keyPath {
		t.Errorf("child args %q", got)
	}
	if sc, _, err := clickhouse(); err != nil || sc.TLS != nil {
		t.Errorf("no TLS flag: %v, TLS %+v", err, sc.TLS)
	}
	if sc, child, err := clickhouse("--clickhouse-tls"); err != nil || sc.TLS == nil || sc.TLS.RootCAs != nil ||
		!slices.Contains(child, "--clickhouse-tls") {
		t.Errorf("--clickhouse-tls: %v, TLS %+v, child %q", err, sc.TLS, child)
	}
	var ue *usageError
	if _, _, err := clickhouse("--clickhouse-tls-cert", certPath); !errors.As(err, &ue) ||
		!strings.Contains(err.Error(), "--clickhouse-tls-cert and --clickhouse-tls-key go together") {
		t.Errorf("cert alone: %v", err)
	}

	t.Setenv("EARSHOT_KAFKA_TLS_KEY", keyPath)
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	var kf kafkaFlags
	kf.register(fs, "posts")
	if err := parse(fs, []string{"--kafka-tls-cert", certPath}); err != nil {
		t.Fatal(err)
	}
	sec, err := kf.security()
	if err != nil || sec.TLS == nil || len(sec.TLS.Certificates) != 1 || sec.TLS.RootCAs != nil {
		t.Fatalf("kafka: %v, TLS %+v", err, sec.TLS)
	}
	if got := strings.Join(kf.childArgs(), " "); got != "--kafka-tls-cert "+certPath+" --kafka-tls-key "+keyPath {
		t.Errorf("kafka child args %q", got)
	}
	fs = flag.NewFlagSet("gen", flag.ContinueOnError)
	kf = kafkaFlags{}
	kf.register(fs, "posts")
	if err := parse(fs, []string{"--kafka-tls-cert", keyPath}); !errors.As(err, &ue) || !strings.Contains(err.Error(), "--kafka-tls-cert") {
		t.Errorf("switched files: %v", err)
	}
}
