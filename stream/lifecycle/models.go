package lifecycle

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"earshot/match"
)

// Own returns c with a rule's own quiet and floor, each where it is set
// (not 0): the model a rule with its own revival settings is judged with.
func (c Config) Own(quiet time.Duration, floor uint64) Config {
	if quiet != 0 {
		c.Quiet = quiet
	}
	if floor != 0 {
		c.Floor = floor
	}
	return c
}

// Models keeps an analyzer per model: a base one, and one made on first
// use for each model of rules' own. It is safe for concurrent use.
type Models struct {
	base *Analyzer
	mu   sync.Mutex
	made map[Config]*Analyzer
}

// NewModels returns the models around base.
func NewModels(base *Analyzer) *Models {
	return &Models{base: base, made: make(map[Config]*Analyzer)}
}

// Base returns the base analyzer.
func (m *Models) Base() *Analyzer { return m.base }

// For returns the analyzer of the base model with a rule's own quiet and
// floor (Config.Own): the base analyzer when they change nothing.
func (m *Models) For(quiet time.Duration, floor uint64) (*Analyzer, error) {
	c := m.base.Config().Own(quiet, floor)
	if c == m.base.Config() {
		return m.base, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if a := m.made[c]; a != nil {
		return a, nil
	}
	a, err := NewAnalyzer(c)
	if err != nil {
		return nil, err
	}
	m.made[c] = a
	return a, nil
}

// Own returns the analyzers of the rules with revival settings of their
// own (`alert: {revival: {quiet: 14d, floor: 5}}`) among alerts: rule id
// -> its alert settings as the rules table keeps them (match.Alert's
// String). A rule without such settings, or whose settings do not parse or
// make no valid model, is judged with the base model: it is left out.
func (m *Models) Own(alerts map[string]string) map[string]*Analyzer {
	own := make(map[string]*Analyzer)
	for id, text := range alerts {
		a, err := match.ParseAlert(text)
		if err != nil || a == nil || a.RevivalQuiet == 0 && a.RevivalFloor == 0 {
			continue
		}
		if x, err := m.For(a.RevivalQuiet, uint64(a.RevivalFloor)); err == nil && x != m.base {
			own[id] = x
		}
	}
	return own
}

// Group is rules analysed with one analyzer.
type Group struct {
	A     *Analyzer
	Rules []string
}

// Split groups rules by their analyzer: own's, or the base one for a rule
// without one. The base group comes first (when it has rules), then the
// others by quiet and floor; each group's rules in the order given.
func (m *Models) Split(own map[string]*Analyzer, rules []string) []Group {
	var groups []Group
	for _, r := range rules {
		a := own[r]
		if a == nil {
			a = m.base
		}
		k := slices.IndexFunc(groups, func(g Group) bool { return g.A == a })
		if k < 0 {
			groups, k = append(groups, Group{A: a}), len(groups)
		}
		groups[k].Rules = append(groups[k].Rules, r)
	}
	slices.SortStableFunc(groups, func(x, y Group) int {
		return cmp.Or(cmpBase(x.A == m.base, y.A == m.base), cmp.Compare(x.A.cfg.Quiet, y.A.cfg.Quiet), cmp.Compare(x.A.cfg.Floor, y.A.cfg.Floor))
	})
	return groups
}

// cmpBase orders the base first.
func cmpBase(x, y bool) int {
	switch {
	case x == y:
		return 0
	case x:
		return -1
	}
	return 1
}
