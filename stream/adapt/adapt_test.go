package adapt

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"earshot/stream/post"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// describe renders the outcome of one message for the golden files.
func describe(p *post.Post, err error) string {
	if err != nil {
		var de *post.DecodeError
		if errors.As(err, &de) {
			return fmt.Sprintf("error %s: %s", de.Reason, de.Detail)
		}
		return "error " + err.Error()
	}
	b, _ := json.Marshal(p)
	return string(b)
}

// TestGolden decodes every testdata/FORMAT.jsonl line with the adapter for
// FORMAT and compares with testdata/FORMAT.golden (go test -update rewrites).
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.jsonl")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, fn := range files {
		format := Format(strings.TrimSuffix(filepath.Base(fn), ".jsonl"))
		t.Run(string(format), func(t *testing.T) {
			a, err := New(format, post.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(fn)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var out bytes.Buffer
			sc := bufio.NewScanner(f)
			var p post.Post
			for n := 1; sc.Scan(); n++ {
				err := a.Decode(sc.Bytes(), &p)
				fmt.Fprintf(&out, "%d %s: %s\n", n, Detect(sc.Bytes()), describe(&p, err))
			}
			golden := strings.TrimSuffix(fn, ".jsonl") + ".golden"
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("%s differs from the adapter's output:\n%s", golden, out.String())
			}
		})
	}
}

func TestOutcomes(t *testing.T) {
	a, _ := New(FormatAuto, post.Limits{})
	f := func(msg string, wantReason post.Reason, check func(p *post.Post) bool) {
		t.Helper()
		var p post.Post
		err := a.Decode([]byte(msg), &p)
		var de *post.DecodeError
		switch {
		case wantReason == "" && err != nil:
			t.Fatalf("%s: %v", msg, err)
		case wantReason != "" && (!errors.As(err, &de) || de.Reason != wantReason):
			t.Fatalf("%s: got %v, want reason %s", msg, err, wantReason)
		case wantReason == post.ReasonSkipped && !IsSkip(err):
			t.Fatalf("%s: IsSkip false", msg)
		case check != nil && !check(&p):
			t.Fatalf("%s: got %+v", msg, p)
		}
	}
	f(`{"delete":{"status":{"id_str":"1"}}}`, post.ReasonSkipped, nil)
	f(`{"did":"d","kind":"account"}`, post.ReasonSkipped, nil)
	f(`{"hello":1}`, post.ReasonUnsupported, nil)
	f(`nope`, post.ReasonInvalidJSON, nil)
	f(``, post.ReasonEmpty, nil)
	f(`{"id_str":"5","created_at":"Mon Apr 15 19:50:12 +0000 2013","text":"x","coordinates":{"coordinates":[-71.1,42.3]}}`, "",
		func(p *post.Post) bool { return p.HasGeo && p.Geo.Lat == 42.3 && p.Geo.Lon == -71.1 && p.Source == "x" })
	f(`{"id_str":"5","created_at":"Mon Apr 15 19:50:12 +0000 2013","text":"x","coordinates":{"coordinates":[0,0]}}`, "",
		func(p *post.Post) bool { return !p.HasGeo && len(p.Warnings) == 1 })
	f(`{"id":"7","created_at":"2026-11-22T10:00:00Z","content":"<p>a &lt;b&gt;<br/>c</p>","account":{"id":"1"}}`, "",
		func(p *post.Post) bool { return p.Text == "a <b>\nc" && p.Source == "mastodon" })
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"auto", "canonical", "twitter-v1", "mastodon", "jetstream"} {
		if f, err := ParseFormat(s); err != nil || string(f) != s {
			t.Errorf("ParseFormat(%q) = %q, %v", s, f, err)
		}
	}
	if _, err := ParseFormat("rss"); err == nil {
		t.Error("ParseFormat(rss) succeeded")
	}
}

func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.jsonl")
	for _, fn := range files {
		b, _ := os.ReadFile(fn)
		for _, l := range bytes.Split(b, []byte("\n")) {
			f.Add(l)
		}
	}
	a, _ := New(FormatAuto, post.Limits{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var p post.Post
		err := a.Decode(data, &p)
		if err != nil {
			var de *post.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error is not a *post.DecodeError: %v", err)
			}
			return
		}
		if p.ID == "" || p.Text == "" && p.CreatedAt.IsZero() {
			t.Fatalf("accepted post without id or time: %+v", p)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	for _, fn := range []string{"twitter-v1", "mastodon", "jetstream"} {
		data, _ := os.ReadFile("testdata/" + fn + ".jsonl")
		msg := bytes.SplitN(data, []byte("\n"), 2)[0]
		b.Run(fn, func(b *testing.B) {
			a, _ := New(FormatAuto, post.Limits{})
			var p post.Post
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				if err := a.Decode(msg, &p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
