package main

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"earshot/bench/e2e"
	"earshot/sink"
)

func TestDaysFlag(t *testing.T) {
	for in, want := range map[string]time.Duration{"90d": 90 * 24 * time.Hour, "2160h": 90 * 24 * time.Hour, "36h": 36 * time.Hour} {
		var d days
		if err := d.Set(in); err != nil || time.Duration(d) != want {
			t.Errorf("%s: %v, %v", in, time.Duration(d), err)
		}
	}
	for _, bad := range []string{"d", "-3d", "1.5d", "90 days", "99999999d"} {
		var d days
		if err := d.Set(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if d := days(90 * 24 * time.Hour); d.String() != "90d" {
		t.Errorf("String %q", d.String())
	}
}

// TestPruneCommand stores mentions of January 2025 and of today, then runs
// `earshot prune`: the dry run lists January's months and drops nothing,
// the real run drops them, and a third finds nothing to drop.
func TestPruneCommand(t *testing.T) {
	_, chAddr := e2e.Services(t)
	db := fmt.Sprintf("earshot_prune_%d", time.Now().UnixNano())
	c, err := sink.Open(t.Context(), sink.Config{Addr: chAddr, Database: db})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.DropDatabase(context.Background()); c.Close() })
	if _, err := c.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	var rows []sink.Mention
	for i, at := range []time.Time{time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC), time.Now().UTC()} {
		for j := range 5 {
			rows = append(rows, sink.Mention{RuleID: "quake", PostID: fmt.Sprint(i*10 + j), CreatedAt: at, Text: "sismo",
				Topic: "posts", Offset: int64(i*10 + j)})
		}
	}
	if err := c.Insert(t.Context(), rows); err != nil {
		t.Fatal(err)
	}
	count := func() uint64 {
		n, err := c.RawCount(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	args := []string{"prune", "--clickhouse-addr", chAddr, "--clickhouse-database", db}
	out, errOut, status := earshot(t, "", append(args, "--dry-run")...)
	if status != 0 || !strings.Contains(out, "would drop mentions 202501: 5 rows") || strings.Contains(out, "dropped") || count() != 10 {
		t.Fatalf("dry run: status %d, %d mentions left\n%s%s", status, count(), out, errOut)
	}
	out, errOut, status = earshot(t, "", append(args, "--keep", "30d")...)
	if status != 0 || !strings.Contains(out, "dropped mentions 202501: 5 rows") ||
		!strings.Contains(out, "dropped mentions_rule_minute_country 202501") || count() != 5 {
		t.Fatalf("prune: status %d, %d mentions left\n%s%s", status, count(), out, errOut)
	}
	out, _, status = earshot(t, "", args...)
	if status != 0 || !strings.Contains(out, "nothing to drop") {
		t.Fatalf("second prune: status %d\n%s", status, out)
	}
	_, errOut, status = earshot(t, "", append(args, "--keep", "3d")...)
	if status != 2 || !strings.Contains(errOut, "keep at least 7d") {
		t.Fatalf("--keep 3d: status %d\n%s", status, errOut)
	}
	_, errOut, status = earshot(t, "", append(args, "--every", "10s")...)
	if status != 2 || !strings.Contains(errOut, "once a minute at most") {
		t.Fatalf("--every 10s: status %d\n%s", status, errOut)
	}

	// --every: a round at once, then one per period until SIGTERM.
	cmd := exec.Command(earshotBin(t), append(args, "--every", "1m")...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "nothing to drop") {
		t.Fatalf("--every 1m: first round %q, %v", line, err)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("--every 1m after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("--every 1m did not stop on SIGTERM")
	}
}
