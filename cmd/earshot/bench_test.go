package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBench runs `earshot bench` as a user with only the binary would, on
// the real Kafka and ClickHouse, without deploy/local's pid files: a small
// throughput phase, the report written where asked, the services' CPU
// reported as not measured.
func TestBench(t *testing.T) {
	kafkaAddr, chAddr := os.Getenv("EARSHOT_KAFKA"), os.Getenv("EARSHOT_CLICKHOUSE")
	if kafkaAddr == "" || chAddr == "" {
		t.Skip("EARSHOT_KAFKA and EARSHOT_CLICKHOUSE not set: skipping the end-to-end bench")
	}
	out := t.TempDir()
	stdout, stderr, status := earshot(t, "", "bench", "--kafka-brokers", kafkaAddr, "--clickhouse-addr", chAddr,
		"--posts", "40000", "--runs", "1", "--rules", "500", "--latency-duration", "0", "--out", out)
	if status != 0 {
		t.Fatalf("earshot bench: status %d\n%s\n%s", status, stdout, stderr)
	}
	name := filepath.Join(out, "e2e-"+time.Now().UTC().Format("2006-01-02"))
	b, err := os.ReadFile(name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		LocalServices bool `json:"local_services"`
		Throughput    struct {
			Posts            int     `json:"posts"`
			PostsPerSecond   float64 `json:"posts_per_second"`
			CPUMicrosPerPost float64 `json:"earshot_cpu_us_per_post"`
		} `json:"throughput"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.LocalServices || r.Throughput.Posts <= 0 || !(r.Throughput.PostsPerSecond > 0) || !(r.Throughput.CPUMicrosPerPost > 0) {
		t.Errorf("report %+v", r)
	}
	md, err := os.ReadFile(name + ".md")
	if err != nil || !strings.Contains(string(md), "their CPU not measured") || !strings.Contains(stdout, "posts/s") {
		t.Errorf("markdown report: %v\n%s", err, md)
	}
}

// TestBenchFlags: settings out of range stop the bench before it writes
// anything, saying what to fix.
func TestBenchFlags(t *testing.T) {
	for _, c := range []struct{ args, want string }{
		{"--posts 0", "--posts, --runs, --rules and --clickhouse-engine-posts must be positive"},
		{"--runs 0", "must be positive"},
		{"--rules -5", "must be positive"},
		{"--latency-at 0.5,2", `"2" is not a fraction in (0, 1]`},
		{"--latency-rates 150000,0", `"0" is not a rate of at least 1 post/s`},
		{"--clickhouse-engine", "needs the run directory of deploy/local's pid files"},
	} {
		_, stderr, status := earshot(t, "", append([]string{"bench"}, strings.Fields(c.args)...)...)
		if status != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("bench %s: status %d, stderr %q (want 2 and %q)", c.args, status, stderr, c.want)
		}
	}
}
