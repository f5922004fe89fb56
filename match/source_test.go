package match

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// writeFiles writes name → content under dir (a content of "" removes it).
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if content == "" {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func ruleIDs(rules []Rule) []string {
	var ids []string
	for _, r := range rules {
		ids = append(ids, r.ID)
	}
	return ids
}

// TestLoadPathDirectory loads a directory laid out as Kubernetes mounts a
// ConfigMap (each key a symbolic link into ..data), with one team's YAML
// file and two keyword lists that share a term; hidden files and other
// extensions are not rules.
func TestLoadPathDirectory(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"..2026_11_23/brand.yaml":  "rules:\n  - id: outage\n    query: '\"is down\" OR outage'\n    route: support\n",
		"..2026_11_23/crisis.txt":  "# CrisisLex-style list\nearthquake\nflood\n",
		"..2026_11_23/crisis2.txt": "flood\ntsunami\n",
		"README.md":                "not rules\n",
		".hidden.yaml":             "rules:\n  - id: hidden\n    query: hidden\n",
	})
	if err := os.Symlink("..2026_11_23", filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"brand.yaml", "crisis.txt", "crisis2.txt"} {
		if err := os.Symlink(filepath.Join("..data", name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	rules, err := LoadPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	// In file name order; the shared keyword once, from its first file.
	if got := ruleIDs(rules); !slices.Equal(got, []string{"outage", "earthquake", "flood", "tsunami"}) {
		t.Fatalf("rules %v", got)
	}
	if p := rules[2].Pos; p.File != filepath.Join(dir, "crisis.txt") || p.Line != 3 {
		t.Errorf("flood at %s, want crisis.txt:3", p)
	}

	// A YAML id that another file defines too is an error at its place,
	// naming the first; errors of every file are reported.
	writeFiles(t, dir, map[string]string{"support.yaml": "rules:\n  - id: outage\n    query: outage\n", "zbad.txt": "ear*th\n"})
	_, err = LoadPath(dir)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "support.yaml")+":2:9: duplicate id \"outage\" (first defined at "+filepath.Join(dir, "brand.yaml")+":2:9)") ||
		!strings.Contains(err.Error(), "\t  - id: outage\n\t        ^") ||
		!strings.Contains(err.Error(), filepath.Join(dir, "zbad.txt")+":1:") {
		t.Fatalf("got %v", err)
	}

	empty := t.TempDir()
	writeFiles(t, empty, map[string]string{"notes.md": "x\n"})
	if _, err := LoadPath(empty); err == nil || !strings.Contains(err.Error(), "no rules file") {
		t.Fatalf("empty directory: %v", err)
	}
}

// TestReloaderDirectory polls a directory: an edited file, a new file and a
// removed file are each reloaded; a bad file keeps the engine in force.
func TestReloaderDirectory(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.txt": "earthquake\n"})
	r, err := NewReloader(ReloaderConfig{Path: dir, Poll: 10 * time.Millisecond, Registerer: prometheus.NewRegistry(),
		Logger: slog.New(slog.NewTextHandler(&syncBuffer{}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitIDs := func(want ...string) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			got := ruleIDs(r.Engine().Rules())
			if slices.Equal(got, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("rules %v, want %v", got, want)
			}
		}
	}
	writeFiles(t, dir, map[string]string{"b.yaml": "rules:\n  - id: fire\n    query: wildfire\n"})
	waitIDs("earthquake", "fire")
	writeFiles(t, dir, map[string]string{"a.txt": "earthquake\ntsunami\n"})
	waitIDs("earthquake", "tsunami", "fire")
	writeFiles(t, dir, map[string]string{"a.txt": ""})
	waitIDs("fire")
	e := r.Engine()
	writeFiles(t, dir, map[string]string{"c.txt": "ear*th\n"})
	for deadline := time.Now().Add(5 * time.Second); testutil.ToFloat64(r.reloads.WithLabelValues("error")) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the bad file was not rejected")
		}
	}
	if r.Engine() != e {
		t.Fatal("a bad file replaced the engine")
	}
}
