package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGenReplay: gen --replay sends a file's posts over and over, each
// round with new ids and the source's clock, every other field as it was;
// with --pregenerate too (the latency phase of a benchmark).
func TestGenReplay(t *testing.T) {
	dir := t.TempDir()
	posts := filepath.Join(dir, "posts.jsonl")
	if err := os.WriteFile(posts, []byte(`{"label":"on-topic","id":"a1","created_at":"2020-01-01T00:00:00Z","text":"sismo fuerte","author":{"id":"9","created_at":"2014-03-01T00:00:00Z"}}
{"id":77,"text":"quake \"big\" one","lang":"en","repost_of":"a1"}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.jsonl")
	if _, errOut, status := earshot(t, "", "gen", "--replay", posts, "--output", out, "--count", "5", "--throttle=false",
		"--start", "2026-11-24T10:00:00Z", "--rate", "4"); status != 0 {
		t.Fatalf("gen --replay: status %d\n%s", status, errOut)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"a1-1","created_at":"2026-11-24T10:00:00.000Z","label":"on-topic","text":"sismo fuerte","author":{"id":"9","created_at":"2014-03-01T00:00:00Z"}}
{"id":"77-1","created_at":"2026-11-24T10:00:00.250Z","text":"quake \"big\" one","lang":"en","repost_of":"a1"}
{"id":"a1-2","created_at":"2026-11-24T10:00:00.500Z","label":"on-topic","text":"sismo fuerte","author":{"id":"9","created_at":"2014-03-01T00:00:00Z"}}
{"id":"77-2","created_at":"2026-11-24T10:00:00.750Z","text":"quake \"big\" one","lang":"en","repost_of":"a1"}
{"id":"a1-3","created_at":"2026-11-24T10:00:01.000Z","label":"on-topic","text":"sismo fuerte","author":{"id":"9","created_at":"2014-03-01T00:00:00Z"}}
`
	if string(data) != want {
		t.Errorf("replayed:\n%s\nwant:\n%s", data, want)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if !json.Valid([]byte(l)) {
			t.Errorf("not JSON: %s", l)
		}
	}
	// Pregenerated: the created_at rewritten to when each post is due is
	// the post's own, not its author's.
	stdout, errOut, status := earshot(t, "", "gen", "--replay", posts, "--output", out, "--count", "4", "--rate", "1000", "--pregenerate")
	if status != 0 || stdout != "sending\n" {
		t.Fatalf("gen --replay --pregenerate: status %d, stdout %q\n%s", status, stdout, errOut)
	}
	if data, _ := os.ReadFile(out); strings.Count(string(data), `"created_at":"2014-03-01T00:00:00Z"`) != 2 || strings.Count(string(data), "\n") != 4 {
		t.Errorf("pregenerated replay:\n%s", data)
	}

	// A file the benchmark cannot replay: the line and why; flags of the
	// generator's own posts: a usage error.
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte("{\"id\":\"1\",\"text\":\"ok\"}\n{\"text\":\"no id\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, status := earshot(t, "", "gen", "--replay", bad, "--output", out, "--count", "1"); status != 1 || !strings.Contains(errOut, bad+":2: no id") {
		t.Errorf("bad file: status %d, stderr %q", status, errOut)
	}
	if _, errOut, status := earshot(t, "", "gen", "--replay", posts, "--output", out, "--count", "1", "--burst-at", "1m"); status != 2 || !strings.Contains(errOut, "--replay sends the file's posts") {
		t.Errorf("--replay --burst-at: status %d, stderr %q", status, errOut)
	}
}

func TestParseReplayPost(t *testing.T) {
	for _, c := range []struct{ line, id, rest, err string }{
		{`{"id":"1","text":"a"}`, "1", `,"text":"a"`, ""},
		{`{"id":12345678901234567890,"text":"a","created_at":"x","lang":"es"}`, "12345678901234567890", `,"text":"a","lang":"es"`, ""},
		{`{"text":"a"}`, "", "", "no id"},
		{`{"id":"1"}`, "", "", "no text"},
		{`{"id":"1","text":5}`, "", "", "no text"},
		{`[1]`, "", "", "not a JSON object"},
		{`{"id":"1","text":"a"} x`, "", "", "text after the JSON object"},
		{`{"id":"1","text":"a"`, "", "", "not a JSON object"},
	} {
		p, err := parseReplayPost([]byte(c.line))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.line, err, c.err)
			}
			continue
		}
		if err != nil || p.id != c.id || string(p.rest) != c.rest {
			t.Errorf("%s: %q %q %v", c.line, p.id, p.rest, err)
		}
	}
}
