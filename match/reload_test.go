package match

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

type reloadFixture struct {
	t    *testing.T
	path string
	reg  *prometheus.Registry
	log  *syncBuffer
	r    *Reloader
}

// syncBuffer is a log sink safe for the Run goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newReloadFixture(t *testing.T, name, content string, poll time.Duration) *reloadFixture {
	t.Helper()
	f := &reloadFixture{t: t, path: filepath.Join(t.TempDir(), name), reg: prometheus.NewRegistry(), log: &syncBuffer{}}
	f.write(content)
	r, err := NewReloader(ReloaderConfig{Path: f.path, Poll: poll, Registerer: f.reg,
		Logger: slog.New(slog.NewTextHandler(f.log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	f.r = r
	return f
}

func (f *reloadFixture) write(content string) {
	f.t.Helper()
	if err := os.WriteFile(f.path, []byte(content), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *reloadFixture) metric(result string) float64 {
	return testutil.ToFloat64(f.r.reloads.WithLabelValues(result))
}

func matches(e *Engine, text string) []string {
	var ids []string
	for _, i := range e.Match(nil, &Doc{Text: []byte(text)}) {
		ids = append(ids, e.Rules()[i].ID)
	}
	return ids
}

const reloadYAML = `rules:
  - id: quake
    query: earthquake
  - id: sismo
    query: sismo
  - id: flood
    query: flood
`

func TestReloaderChange(t *testing.T) {
	f := newReloadFixture(t, "rules.yaml", reloadYAML, time.Second)
	e0 := f.r.Engine()
	if got := matches(e0, "Sismo y earthquake"); strings.Join(got, ",") != "quake,sismo" {
		t.Fatalf("matches = %v", got)
	}
	f.write(`rules:
  - id: quake
    query: quake
  - id: sismo
    query: sismo
  - id: fire
    query: fire
`)
	ch, err := f.r.Reload()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ch.Added, ",") != "fire" || strings.Join(ch.Removed, ",") != "flood" ||
		strings.Join(ch.Changed, ",") != "quake" || ch.Rules != 3 || ch.Empty() {
		t.Fatalf("change = %+v", ch)
	}
	if want := map[string][]FieldChange{"quake": {{"query", "earthquake", "quake"}}}; !reflect.DeepEqual(ch.Fields, want) {
		t.Errorf("fields changed %+v, want %+v", ch.Fields, want)
	}
	if log := f.log.String(); !strings.Contains(log, `changes="quake: query earthquake → quake"`) {
		t.Errorf("reload log line without the changes:\n%s", log)
	}
	if f.r.Engine() == e0 {
		t.Fatal("engine not swapped")
	}
	if got := matches(f.r.Engine(), "quake! fire, earthquake"); strings.Join(got, ",") != "quake,fire" {
		t.Fatalf("matches after reload = %v", got)
	}
	if f.metric("ok") != 2 || testutil.ToFloat64(f.r.active) != 3 || testutil.ToFloat64(f.r.lastSuccess) < float64(time.Now().Unix()-60) {
		t.Fatalf("metrics: ok %v active %v", f.metric("ok"), testutil.ToFloat64(f.r.active))
	}
	log := f.log.String()
	if !strings.Contains(log, "rules reloaded") || !strings.Contains(log, `added_ids="\"fire\""`) {
		t.Fatalf("log = %s", log)
	}
}

func TestReloaderBadFileKeepsEngine(t *testing.T) {
	f := newReloadFixture(t, "rules.yaml", reloadYAML, time.Second)
	e0 := f.r.Engine()
	f.write("rules:\n  - id: quake\n    query: ear*thquake\n")
	ch, err := f.r.Reload()
	if err == nil {
		t.Fatal("bad file accepted")
	}
	if !strings.Contains(err.Error(), "rules.yaml:3:15: wildcard") {
		t.Fatalf("err = %v", err)
	}
	if f.r.Engine() != e0 || ch.Rules != 3 || !ch.Empty() {
		t.Fatalf("engine replaced or change %+v", ch)
	}
	if f.metric("error") != 1 || testutil.ToFloat64(f.r.active) != 3 {
		t.Fatal("error not counted")
	}
	if log := f.log.String(); !strings.Contains(log, "rules.yaml:3:15") {
		t.Fatalf("log lacks the position: %s", log)
	}
	// A missing file is an error too; the engine stays.
	if err := os.Remove(f.path); err != nil {
		t.Fatal(err)
	}
	if _, err := f.r.Reload(); err == nil || f.r.Engine() != e0 {
		t.Fatalf("missing file: %v", err)
	}
	// Restoring the active content is "unchanged".
	f.write(reloadYAML)
	if ch, err := f.r.Reload(); err != nil || !ch.Empty() || f.r.Engine() != e0 || f.metric("unchanged") != 1 {
		t.Fatalf("restore: %+v %v", ch, err)
	}
}

func TestReloaderUnchanged(t *testing.T) {
	f := newReloadFixture(t, "lexicon.txt", "earthquake\nflood victims\n", time.Second)
	e0 := f.r.Engine()
	if q := e0.Rules()[1].Query; q != `"flood victims"` { // a keyword line is one term
		t.Fatalf("query of a keyword line with spaces = %q", q)
	}
	for range 2 {
		ch, err := f.r.Reload()
		if err != nil || !ch.Empty() || ch.Rules != 2 {
			t.Fatalf("change %+v %v", ch, err)
		}
	}
	if f.r.Engine() != e0 || f.metric("unchanged") != 2 || f.metric("ok") != 1 {
		t.Fatal("unchanged file swapped the engine")
	}
	// Same rules, different text (a comment): reloaded, nothing changed.
	f.write("# lexicon\nearthquake\nflood victims\n")
	ch, err := f.r.Reload()
	if err != nil || !ch.Empty() || f.r.Engine() == e0 {
		t.Fatalf("comment edit: %+v %v", ch, err)
	}
}

func TestNewReloaderErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("rules:\n  - id: a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []ReloaderConfig{
		{},
		{Path: filepath.Join(dir, "missing.txt")},
		{Path: bad},
		{Path: bad, Poll: time.Microsecond},
	} {
		if _, err := NewReloader(cfg); err == nil {
			t.Errorf("NewReloader(%+v) succeeded", cfg)
		}
	}
	// Two reloaders cannot share a registry.
	good := filepath.Join(dir, "good.txt")
	if err := os.WriteFile(good, []byte("quake\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if _, err := NewReloader(ReloaderConfig{Path: good, Registerer: reg}); err != nil {
		t.Fatal(err)
	}
	if _, err := NewReloader(ReloaderConfig{Path: good, Registerer: reg}); err == nil {
		t.Fatal("second registration succeeded")
	}
}

func TestReloaderRun(t *testing.T) {
	f := newReloadFixture(t, "lexicon.txt", "earthquake\n", 10*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.r.Run(ctx)
	}()
	defer func() {
		cancel()
		<-done
	}()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; log:\n%s", what, f.log.String())
			}
		}
	}
	e0 := f.r.Engine()
	f.write("earthquake\ntsunami\n")
	waitFor("reload", func() bool { return f.r.Engine() != e0 })
	if got := matches(f.r.Engine(), "tsunami"); len(got) != 1 {
		t.Fatalf("matches = %v", got)
	}
	e1 := f.r.Engine()
	f.write("earthquake\ntsunami\near*th\n")
	waitFor("error", func() bool { return f.metric("error") >= 1 })
	if f.r.Engine() != e1 {
		t.Fatal("bad file replaced the engine")
	}
	if err := os.Remove(f.path); err != nil {
		t.Fatal(err)
	}
	waitFor("stat warning", func() bool { return strings.Contains(f.log.String(), "cannot check rules file") })
	// A file gone for good is a failed reload (counted), said once (logged).
	errs := f.metric("error")
	waitFor("the missing file counted", func() bool { return f.metric("error") > errs })
	if n := strings.Count(f.log.String(), "cannot check rules file"); n != 1 {
		t.Errorf("missing file logged %d times, want once", n)
	}
	if f.r.Engine() != e1 {
		t.Fatal("a missing file replaced the engine")
	}
}

// TestReloaderWarnings: the warnings about the rules loaded are logged and
// counted, at start and on every reload.
func TestReloaderWarnings(t *testing.T) {
	f := newReloadFixture(t, "rules.yaml", reloadYAML+"  - id: never\n    query: sismo -sismo\n", time.Second)
	if n := testutil.ToFloat64(f.r.warnings); n != 1 {
		t.Fatalf("warnings gauge %v, want 1", n)
	}
	if log := f.log.String(); !strings.Contains(log, `level=WARN msg="rule warning" rule=never at=`+f.path+`:9:12 warning="can never match`) {
		t.Fatalf("log lacks the warning:\n%s", log)
	}
	f.write(reloadYAML)
	if _, err := f.r.Reload(); err != nil {
		t.Fatal(err)
	}
	if n := testutil.ToFloat64(f.r.warnings); n != 0 {
		t.Fatalf("after the fix: warnings gauge %v, want 0", n)
	}
}
