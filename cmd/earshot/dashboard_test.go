package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"earshot/sink"
)

// TestDashboardFlags: settings out of range stop the command before it
// reaches ClickHouse, saying what to fix; an unreachable ClickHouse is
// named.
func TestDashboardFlags(t *testing.T) {
	for _, c := range []struct {
		args, want string
		status     int
	}{
		{"--dashboard-precision 9", "precision 9: want 1 to 5", 2},
		{"--dashboard-window 10s", "window 10s: want 1m to", 2},
		{"--addr", "flag needs an argument: -addr", 2},
		{"--clickhouse-addr nohost", "cannot open ClickHouse at nohost", 1},
	} {
		_, stderr, status := earshot(t, "", append([]string{"dashboard"}, strings.Fields(c.args)...)...)
		if status != c.status || !strings.Contains(stderr, c.want) {
			t.Errorf("dashboard %s: status %d, stderr %q (want %d and %q)", c.args, status, stderr, c.status, c.want)
		}
	}
}

// TestDashboardServes runs `earshot dashboard` against the real ClickHouse
// on a migrated database with one stored mention: the page and its data are
// served, and SIGTERM stops it with status 0.
func TestDashboardServes(t *testing.T) {
	addr := os.Getenv("EARSHOT_CLICKHOUSE")
	if addr == "" {
		t.Skip("EARSHOT_CLICKHOUSE not set (e.g. 127.0.0.1:9000): skipping ClickHouse integration test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db := fmt.Sprintf("earshot_test_dash_%d", time.Now().UnixNano())
	store, err := sink.Open(ctx, sink.Config{Addr: addr, Database: db})
	if err != nil {
		t.Fatalf("ClickHouse at %s: %v", addr, err)
	}
	defer func() {
		store.DropDatabase(context.Background())
		store.Close()
	}()
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := store.Insert(ctx, []sink.Mention{{RuleID: "sismo", PostID: "1", CreatedAt: now.Add(-time.Minute),
		AuthorID: "a", Country: "MX", Cell: "9g3w8", HasGeo: true, Text: "sismo", Topic: "posts"}}); err != nil {
		t.Fatal(err)
	}

	cmd := exec.CommandContext(ctx, earshotBin(t), "dashboard", "--addr", "127.0.0.1:0",
		"--clickhouse-addr", addr, "--clickhouse-database", db)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The log line gives the address it listens on.
	lines := bufio.NewScanner(stderr)
	var url string
	for url == "" && lines.Scan() {
		if m := regexp.MustCompile(`url=(http://\S+/)`).FindStringSubmatch(lines.Text()); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		cmd.Process.Kill()
		t.Fatalf("no url in the dashboard's log: %v", cmd.Wait())
	}
	go io.Copy(io.Discard, stderr)

	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), `id="map"`) {
		t.Errorf("page: %d, %d bytes", resp.StatusCode, len(page))
	}
	resp, err = http.Get(url + "api/summary?precision=5")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Rule  string
		Rules []struct {
			Key      string
			Mentions uint64
		}
		Cells []struct{ Key string }
	}
	err = json.NewDecoder(resp.Body).Decode(&s)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || s.Rule != "sismo" || len(s.Rules) != 1 || s.Rules[0].Mentions != 1 ||
		len(s.Cells) != 1 || s.Cells[0].Key != "9g3w8" {
		t.Errorf("summary: %d %v %+v", resp.StatusCode, err, s)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("after SIGTERM: %v", err)
	}
}
