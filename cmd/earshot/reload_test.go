package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestRulesReloadEndpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.txt")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("sismo\ntemblor\n")
	l, err := startRules(path, time.Hour, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	defer l.stop()
	post := func() (int, map[string]any) {
		t.Helper()
		rec := httptest.NewRecorder()
		l.reloadHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/admin/rules/reload", nil))
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%d %s: %v", rec.Code, rec.Body, err)
		}
		return rec.Code, body
	}

	write("sismo\ntemblor\nterremoto\n")
	if code, body := post(); code != http.StatusOK || body["rules"] != 3.0 {
		t.Fatalf("reload: %d %v", code, body)
	}
	write("sismo\n\"unclosed\n")
	code, body := post()
	if code != http.StatusUnprocessableEntity || body["rules_active"] != 3.0 || body["error"] == "" {
		t.Fatalf("bad file: %d %v", code, body)
	}
	if n := len(l.r.Engine().Rules()); n != 3 {
		t.Fatalf("bad file replaced the active rules: %d rules", n)
	}
	rec := httptest.NewRecorder()
	l.reloadHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/admin/rules/reload", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %d", rec.Code)
	}
}

// TestRulesReloadSIGHUP changes the rules and sends the process SIGHUP:
// with the poll far off, only the signal can load the new rules. The rules
// are a directory, and the change a file added to it.
func TestRulesReloadSIGHUP(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rules.txt"), []byte("sismo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := startRules(dir, time.Hour, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	defer l.stop()
	if err := os.WriteFile(filepath.Join(dir, "team.txt"), []byte("temblor\nterremoto\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); len(l.r.Engine().Rules()) != 3; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("SIGHUP did not reload: %d rules active, want 3", len(l.r.Engine().Rules()))
		}
	}
}
