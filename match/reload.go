package match

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ReloaderConfig configures a Reloader.
type ReloaderConfig struct {
	// Path is the rules file (keyword list or YAML, see Parse), or a
	// directory of them (see LoadPath). Required.
	Path string
	// Poll is how often Run checks the files for changes. Default 2s.
	Poll time.Duration
	// Registerer receives the reloader's metrics. Default: a private
	// registry (the metrics are then not exported).
	Registerer prometheus.Registerer
	// Logger receives one line per reload. Default: discard.
	Logger *slog.Logger
	// Check, when set, is asked about the parsed rules before an engine is
	// made active, at start and on every reload; an error rejects the rules
	// like a syntax error (the active rules stay). The pipeline checks the
	// rules' alert settings with it. It is given the enabled rules, those
	// the engine would hold (Engine.Rules: shared, do not modify them); a
	// *SyntaxError, such as Alert.Errorf returns, is reported with its
	// file:line:col.
	Check func(rules []Rule) error
}

func (c *ReloaderConfig) setDefaults() {
	if c.Poll == 0 {
		c.Poll = 2 * time.Second
	}
	if c.Registerer == nil {
		c.Registerer = prometheus.NewRegistry()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

func (c *ReloaderConfig) validate() error {
	if c.Path == "" {
		return errors.New("rules path is empty")
	}
	if c.Poll < 10*time.Millisecond {
		return fmt.Errorf("poll interval %v is below 10ms", c.Poll)
	}
	return nil
}

// rehashEvery makes Run read and hash the file every that many polls even
// when its size and modification time are unchanged, to catch edits that
// keep both (coarse file-system timestamps).
const rehashEvery = 30

// missingPolls is how many polls a rules file must stay impossible to
// check (deleted, unreadable directory) before Run counts a failed reload:
// more than an editor's save takes.
const missingPolls = 3

// maxLoggedIDs bounds the rule ids logged per category on a reload.
const maxLoggedIDs = 10

// Change describes what a reload changed, by rule id. Only enabled rules
// count: disabling a rule removes it.
type Change struct {
	Added, Removed, Changed []string // sorted
	Rules                   int      // enabled rules now active
	// Fields says what changed in each rule of Changed (Changes).
	Fields map[string][]FieldChange
}

// Empty reports whether the reload changed no rule.
func (c Change) Empty() bool { return len(c.Added)+len(c.Removed)+len(c.Changed) == 0 }

// Reloader keeps a compiled Engine in step with a rules file, or a
// directory of them (LoadPath). Engine is
// lock-free and safe to call from any goroutine; Reload and Run may run
// concurrently (reloads are serialised). A file that fails to read, parse,
// compile or pass ReloaderConfig.Check is rejected whole and the engine in
// force stays active.
//
// Metrics:
//
//	earshot_rules_reloads_total{result="ok|error|unchanged"}  reload attempts
//	earshot_rules_active                                      enabled rules in the active engine
//	earshot_rules_last_reload_success_timestamp_seconds       when the active engine was loaded
type Reloader struct {
	cfg    ReloaderConfig
	engine atomic.Pointer[Engine]

	mu   sync.Mutex // serialises reloads; guards the fields below
	hash [sha256.Size]byte
	stat sourceStamp // of the files when they were last read

	reloads     *prometheus.CounterVec
	active      prometheus.Gauge
	lastSuccess prometheus.Gauge
	warnings    prometheus.Gauge
}

// NewReloader loads and compiles the rules file and puts its rules to
// cfg.Check; an error rejects the file (there is no engine to fall back to).
func NewReloader(cfg ReloaderConfig) (*Reloader, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("invalid reloader config: %w", err)
	}
	r := &Reloader{
		cfg: cfg,
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "earshot_rules_reloads_total",
			Help: "Rules file reload attempts by result (ok, error, unchanged).",
		}, []string{"result"}),
		active: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "earshot_rules_active",
			Help: "Enabled rules in the active engine.",
		}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "earshot_rules_last_reload_success_timestamp_seconds",
			Help: "Unix time when the active rules were loaded.",
		}),
		warnings: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "earshot_rules_warnings",
			Help: "Warnings about the active rules (a query no post can match, a rule matching a common word alone, a repeated rule): earshot rules check lists them.",
		}),
	}
	for _, res := range [...]string{"ok", "error", "unchanged"} {
		r.reloads.WithLabelValues(res)
	}
	e, hash, st, err := r.load()
	if err != nil {
		return nil, err
	}
	for _, c := range []prometheus.Collector{r.reloads, r.active, r.lastSuccess, r.warnings} {
		if err := cfg.Registerer.Register(c); err != nil {
			return nil, fmt.Errorf("cannot register rules metrics: %w", err)
		}
	}
	r.engine.Store(e)
	r.hash, r.stat = hash, st
	r.reloads.WithLabelValues("ok").Inc()
	r.active.Set(float64(len(e.Rules())))
	r.lastSuccess.SetToCurrentTime()
	cfg.Logger.Info("rules loaded", "path", cfg.Path, "rules", len(e.Rules()), "terms", e.Stats().Terms)
	r.warn(e)
	return r, nil
}

// warn logs the active rules' warnings (Lint), the first maxLogged one
// line each, and sets their gauge.
func (r *Reloader) warn(e *Engine) {
	ws := e.Lint()
	r.warnings.Set(float64(len(ws)))
	for i, w := range ws {
		if i == maxLogged {
			r.cfg.Logger.Warn("more rule warnings", "path", r.cfg.Path, "more", len(ws)-i, "see", "earshot rules check")
			break
		}
		r.cfg.Logger.Warn("rule warning", "rule", w.Rule, "at", w.Pos.String(), "warning", w.Msg, "hint", w.Hint)
	}
}

// maxLogged is how many rule warnings a load logs.
const maxLogged = 10

// Engine returns the active engine. It is cheap (one atomic load): call it
// per batch or per post rather than holding an engine across reloads.
func (r *Reloader) Engine() *Engine { return r.engine.Load() }

// load reads and compiles the rules. The stamp is taken before reading, so
// a write racing with the read is seen again by the next poll.
func (r *Reloader) load() (*Engine, [sha256.Size]byte, sourceStamp, error) {
	var hash [sha256.Size]byte
	st, err := stampSource(r.cfg.Path)
	if err != nil {
		return nil, hash, st, err
	}
	files, err := readSource(r.cfg.Path)
	if err != nil {
		return nil, hash, st, err
	}
	e, err := r.compile(files)
	return e, sourceHash(files), st, err
}

// compile parses and compiles the rules and puts the engine's rules to
// the configured Check.
func (r *Reloader) compile(files []ruleFile) (*Engine, error) {
	e, err := compileSource(files)
	if err != nil {
		return nil, err
	}
	if r.cfg.Check != nil {
		if err := r.cfg.Check(e.Rules()); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func compileSource(files []ruleFile) (*Engine, error) {
	rules, err := parseSource(files)
	if err != nil {
		return nil, err
	}
	return Compile(rules)
}

// Reload re-reads and recompiles the rules file and swaps the engine when
// the file's content changed. On error the active engine stays and the error
// (file:line:col for rule errors) is returned and logged. A file with the
// same content as the active one is not recompiled.
func (r *Reloader) Reload() (Change, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reloadLocked()
}

func (r *Reloader) reloadLocked() (Change, error) {
	log := r.cfg.Logger
	old := r.engine.Load()
	st, err := stampSource(r.cfg.Path)
	var files []ruleFile
	if err == nil {
		files, err = readSource(r.cfg.Path)
	}
	if err != nil {
		r.reloads.WithLabelValues("error").Inc()
		log.Error("rules reload failed; keeping the active rules", "path", r.cfg.Path, "err", err.Error())
		return Change{Rules: len(old.Rules())}, err
	}
	r.stat = st
	hash := sourceHash(files)
	if hash == r.hash {
		r.reloads.WithLabelValues("unchanged").Inc()
		return Change{Rules: len(old.Rules())}, nil
	}
	start := time.Now()
	e, err := r.compile(files)
	if err != nil {
		r.reloads.WithLabelValues("error").Inc()
		log.Error("rules reload failed; keeping the active rules", "path", r.cfg.Path, "err", err.Error())
		return Change{Rules: len(old.Rules())}, err
	}
	ch := Diff(old.Rules(), e.Rules())
	r.engine.Store(e)
	r.hash = hash
	r.reloads.WithLabelValues("ok").Inc()
	r.active.Set(float64(ch.Rules))
	r.lastSuccess.SetToCurrentTime()
	log.Info("rules reloaded", "path", r.cfg.Path, "rules", ch.Rules,
		"added", len(ch.Added), "removed", len(ch.Removed), "changed", len(ch.Changed),
		"added_ids", firstIDs(ch.Added), "removed_ids", firstIDs(ch.Removed), "changed_ids", firstIDs(ch.Changed),
		"changes", firstChanges(ch),
		"compile", time.Since(start).Round(time.Millisecond))
	r.warn(e)
	return ch, nil
}

// Run polls the rules every Poll until ctx ends, reloading when a file's
// name, size or modification time changes, or one is added or removed
// (and, every 30 polls, when their content does).
// Errors are logged and counted; the active engine stays. A file that
// cannot be checked is logged once and counted once it has been so for
// missingPolls polls, then every rehashEvery polls. Run returns when
// ctx is done; it starts no goroutines.
func (r *Reloader) Run(ctx context.Context) {
	t := time.NewTicker(r.cfg.Poll)
	defer t.Stop()
	var lastErr string
	failing := 0 // polls since the file could last be checked
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st, err := stampSource(r.cfg.Path)
		if err != nil {
			// A missing file is often a moment in an editor's save; say so
			// once, not on every poll, and count it as a failed reload
			// once it has lasted missingPolls polls, and every rehashEvery
			// polls after that, so that a file gone for good is seen
			// (earshot_rules_reloads_total{result="error"}).
			if err.Error() != lastErr {
				r.cfg.Logger.Warn("cannot check rules file; keeping the active rules", "path", r.cfg.Path, "err", err.Error())
				lastErr, failing = err.Error(), 0
			}
			if failing++; failing%rehashEvery == missingPolls {
				r.reloads.WithLabelValues("error").Inc()
			}
			continue
		}
		lastErr = ""
		r.mu.Lock()
		if st != r.stat || n%rehashEvery == 0 {
			r.reloadLocked() //nolint:errcheck // logged and counted
		}
		r.mu.Unlock()
	}
}

// Diff compares two rule sets by id, as a reload does: added, removed, and
// changed in anything but their place in the file. Give it the engines'
// Rules() to compare what is in force (disabled rules are not).
func Diff(old, cur []Rule) Change {
	prev := make(map[string]*Rule, len(old))
	for i := range old {
		prev[old[i].ID] = &old[i]
	}
	ch := Change{Rules: len(cur)}
	for i := range cur {
		r := &cur[i]
		p, ok := prev[r.ID]
		switch {
		case !ok:
			ch.Added = append(ch.Added, r.ID)
		case !sameRule(p, r):
			ch.Changed = append(ch.Changed, r.ID)
			if ch.Fields == nil {
				ch.Fields = map[string][]FieldChange{}
			}
			ch.Fields[r.ID] = Changes(p, r)
		}
		delete(prev, r.ID)
	}
	for id := range prev {
		ch.Removed = append(ch.Removed, id)
	}
	slices.Sort(ch.Added)
	slices.Sort(ch.Removed)
	slices.Sort(ch.Changed)
	return ch
}

// sameRule compares everything but the positions in the file (the
// rule's and its alert settings').
func sameRule(a, b *Rule) bool {
	x, y := *a, *b
	x.Pos, y.Pos, x.IDPos, y.IDPos = Pos{}, Pos{}, Pos{}, Pos{}
	x.Alert, y.Alert = alertSettings(x.Alert), alertSettings(y.Alert)
	return reflect.DeepEqual(x, y)
}

// alertSettings returns a copy of a without its place in the file.
func alertSettings(a *Alert) *Alert {
	if a == nil {
		return nil
	}
	c := *a
	c.Pos, c.line = Pos{}, ""
	return &c
}

// firstChanges formats what changed in up to maxLoggedIDs changed rules
// for a log line: "xbox: alert {floor: 2} → off; tags [] → [support]; …".
func firstChanges(ch Change) string {
	var b strings.Builder
	for i, id := range ch.Changed {
		if i == maxLoggedIDs {
			fmt.Fprintf(&b, " … (%d more)", len(ch.Changed)-i)
			break
		}
		if i > 0 {
			b.WriteString(" | ")
		}
		b.WriteString(id)
		for j, fc := range ch.Fields[id] {
			if j == 0 {
				b.WriteString(": ")
			} else {
				b.WriteString("; ")
			}
			b.WriteString(fc.String())
		}
	}
	return b.String()
}

// firstIDs formats up to maxLoggedIDs ids for a log line.
func firstIDs(ids []string) string {
	var b bytes.Buffer
	for i, id := range ids {
		if i == maxLoggedIDs {
			fmt.Fprintf(&b, " …+%d more", len(ids)-maxLoggedIDs)
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%q", id)
	}
	return b.String()
}

// FieldChange is one setting of a rule that differs between two versions
// of it, each side written as a rules file writes it.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// String writes the change as "field old → new", an empty side as (none).
func (c FieldChange) String() string {
	none := func(s string) string {
		if s == "" {
			return "(none)"
		}
		return s
	}
	return c.Field + " " + none(c.Old) + " → " + none(c.New)
}

// Settings are a rule's settings as a rules file writes them: what rules
// diff and a reload's log line compare, and what the pipeline's rules
// table stores. Diacritics is "sensitive" or "insensitive"; Alert is the
// rule's own alert settings (Alert.String), "" for the detector's
// defaults.
type Settings struct {
	Name, Query, Diacritics string
	Tags                    []string
	Route, Level, Alert     string
}

// Settings returns the rule's settings as written.
func (r *Rule) Settings() Settings {
	s := Settings{Name: r.Name, Query: r.Query, Diacritics: "sensitive", Tags: r.Tags, Route: r.Route, Level: r.Level}
	if r.IgnoreDiacritics {
		s.Diacritics = "insensitive"
	}
	if r.Alert != nil {
		s.Alert = r.Alert.String()
	}
	return s
}

// Changes lists what differs from s to cur, in the order a YAML rule
// lists its keys: name, query, diacritics, tags, route, level, alert.
func (s Settings) Changes(cur Settings) []FieldChange {
	var out []FieldChange
	add := func(field, o, n string) {
		if o != n {
			out = append(out, FieldChange{field, o, n})
		}
	}
	add("name", s.Name, cur.Name)
	add("query", s.Query, cur.Query)
	add("diacritics", s.Diacritics, cur.Diacritics)
	if !slices.Equal(s.Tags, cur.Tags) {
		tags := func(t []string) string { return "[" + strings.Join(t, ", ") + "]" }
		out = append(out, FieldChange{"tags", tags(s.Tags), tags(cur.Tags)})
	}
	add("route", s.Route, cur.Route)
	add("level", s.Level, cur.Level)
	add("alert", cmp.Or(s.Alert, "default"), cmp.Or(cur.Alert, "default"))
	return out
}

// Changes lists what differs between two versions of a rule (their
// Settings); positions in the file are not settings.
func Changes(old, cur *Rule) []FieldChange {
	return old.Settings().Changes(cur.Settings())
}
