// Package deploy holds no code: its tests keep the monitoring files in
// deploy/prometheus and deploy/grafana honest against the metrics the code
// defines, and the Dockerfile, compose file and Kubernetes manifest
// against the binary's flags (manifests_test.go). They need no services.
package deploy

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const (
	rulesFile     = "prometheus/earshot-alerts.yml"
	dashboardFile = "grafana/earshot-operations.json"
	repoRoot      = ".."
)

// targetLabels are added by Prometheus's scrape to every series.
var targetLabels = []string{"job", "instance"}

// ---------------------------------------------------------------------------
// The metrics the code defines

type metricKind int

const (
	kindPlain metricKind = iota // counter or gauge
	kindHistogram
	kindSummary
)

type metricDef struct {
	name   string
	labels []string
	kind   metricKind
	where  string // file:line
}

// metricSet maps a metric's name, as defined in the code, to its definition.
type metricSet map[string]*metricDef

var (
	nameInSource = regexp.MustCompile(`Name:\s*"(earshot_[a-zA-Z0-9_]*)"`)
	metricInText = regexp.MustCompile(`earshot_[a-z_]+`)
	constructor  = regexp.MustCompile(`^New(Counter|Gauge|Histogram|Summary)(Vec)?$`)
)

// definedMetrics scans the repository's non-test Go files (the module at
// repoRoot; nested modules, dot directories, testdata and vendor are left
// out) for client_golang constructors: prometheus.NewCounter(
// prometheus.CounterOpts{Name: "earshot_…", …}) and the Gauge, Histogram,
// Summary and …Vec forms, with the labels of a Vec read from the
// []string{…} literal that is its second argument. Every `Name: "earshot_…"`
// in the text must be one the scan understood, so that a metric defined
// another way fails here instead of being missed.
func definedMetrics(t *testing.T) metricSet {
	t.Helper()
	defs := metricSet{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != repoRoot && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			if path != repoRoot {
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir // another module
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !strings.Contains(string(src), "earshot_") {
			return nil
		}
		// A file being edited may not parse: what parses is still read, and
		// the text cross-check below catches a definition that was not.
		f, _ := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
		found := map[string]bool{}
		if f != nil {
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				def, err := readConstructor(fset, call)
				if err != nil {
					t.Errorf("%s", err)
					return true
				}
				if def == nil {
					return true
				}
				found[def.name] = true
				if prev, ok := defs[def.name]; ok {
					if !slices.Equal(prev.labels, def.labels) || prev.kind != def.kind {
						t.Errorf("%s is defined twice, differently: %s %v and %s %v",
							def.name, prev.where, prev.labels, def.where, def.labels)
					}
					return true
				}
				defs[def.name] = def
				return true
			})
		}
		for _, m := range nameInSource.FindAllStringSubmatch(string(src), -1) {
			if !found[m[1]] {
				t.Errorf("%s: %s is defined in a form this scan does not read (want prometheus.NewX(prometheus.XOpts{Name: …}, []string{…})); extend definedMetrics", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("cannot scan the repository: %v", err)
	}
	if len(defs) < 20 {
		t.Fatalf("found only %d earshot metrics in the code; is %s the repository?", len(defs), repoRoot)
	}
	return defs
}

// readConstructor returns the metric a call defines, nil when the call is
// not a client_golang constructor of an earshot_ metric.
func readConstructor(fset *token.FileSet, call *ast.CallExpr) (*metricDef, error) {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return nil, nil
	}
	m := constructor.FindStringSubmatch(sel.Sel.Name)
	if m == nil || len(call.Args) == 0 {
		return nil, nil
	}
	opts, ok := call.Args[0].(*ast.CompositeLit)
	if !ok {
		return nil, nil
	}
	name := ""
	for _, el := range opts.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Name" {
			if lit, ok := kv.Value.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				name, _ = strconv.Unquote(lit.Value)
			}
		}
	}
	if !strings.HasPrefix(name, "earshot_") {
		return nil, nil
	}
	pos := fset.Position(call.Pos())
	def := &metricDef{name: name, where: fmt.Sprintf("%s:%d", pos.Filename, pos.Line)}
	switch m[1] {
	case "Histogram":
		def.kind = kindHistogram
	case "Summary":
		def.kind = kindSummary
	}
	if m[2] == "" {
		return def, nil // no Vec: no labels
	}
	if len(call.Args) < 2 {
		return nil, fmt.Errorf("%s: %s: a Vec without a label list", def.where, name)
	}
	list, ok := call.Args[1].(*ast.CompositeLit)
	if !ok {
		return nil, fmt.Errorf("%s: %s: the labels are not a []string{…} literal; extend readConstructor", def.where, name)
	}
	for _, el := range list.Elts {
		lit, ok := el.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return nil, fmt.Errorf("%s: %s: a label that is not a string literal; extend readConstructor", def.where, name)
		}
		l, _ := strconv.Unquote(lit.Value)
		def.labels = append(def.labels, l)
	}
	return def, nil
}

// series resolves a name as it appears in a query to its definition and the
// labels its series carry (the target labels included); ok is false when no
// such series is exported.
func (s metricSet) series(name string) (def *metricDef, labels []string, ok bool) {
	with := func(d *metricDef, extra ...string) (*metricDef, []string, bool) {
		ls := append(append(slices.Clone(d.labels), targetLabels...), extra...)
		return d, ls, true
	}
	if d, found := s[name]; found {
		switch d.kind {
		case kindHistogram:
			return nil, nil, false // only _bucket, _sum and _count are exported
		case kindSummary:
			return with(d, "quantile")
		}
		return with(d)
	}
	for _, suf := range []string{"_bucket", "_sum", "_count"} {
		base, cut := strings.CutSuffix(name, suf)
		if !cut {
			continue
		}
		d, found := s[base]
		if !found || d.kind == kindPlain || (d.kind == kindSummary && suf == "_bucket") {
			continue
		}
		if suf == "_bucket" {
			return with(d, "le")
		}
		return with(d)
	}
	return nil, nil, false
}

// ---------------------------------------------------------------------------
// A small PromQL lexer: enough to check names, labels and balance

type tokKind int

const (
	tIdent tokKind = iota
	tString
	tNumber
	tVar
	tPunct
)

type tok struct {
	kind tokKind
	s    string
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c == ':' || c >= '0' && c <= '9' }

// lex splits a PromQL expression (Grafana variables such as $__rate_interval
// and ${datasource} allowed) into tokens.
func lex(expr string) ([]tok, error) {
	var toks []tok
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#':
			for i < len(expr) && expr[i] != '\n' {
				i++
			}
		case isIdentStart(c):
			j := i + 1
			for j < len(expr) && isIdentChar(expr[j]) {
				j++
			}
			toks = append(toks, tok{tIdent, expr[i:j]})
			i = j
		case c >= '0' && c <= '9' || c == '.':
			j := i + 1
			for j < len(expr) && (expr[j] == '.' || expr[j] >= '0' && expr[j] <= '9' || expr[j] >= 'a' && expr[j] <= 'z' || expr[j] >= 'A' && expr[j] <= 'Z') {
				j++
			}
			toks = append(toks, tok{tNumber, expr[i:j]})
			i = j
		case c == '$':
			j := i + 1
			if j < len(expr) && expr[j] == '{' {
				k := strings.IndexByte(expr[j:], '}')
				if k < 0 {
					return nil, fmt.Errorf("unterminated ${ at %d", i)
				}
				j += k + 1
			} else {
				for j < len(expr) && isIdentChar(expr[j]) {
					j++
				}
			}
			toks = append(toks, tok{tVar, expr[i:j]})
			i = j
		case c == '"' || c == '\'' || c == '`':
			j := i + 1
			for ; j < len(expr) && expr[j] != c; j++ {
				if expr[j] == '\\' && c != '`' {
					j++
				}
			}
			if j >= len(expr) {
				return nil, fmt.Errorf("unterminated string at %d", i)
			}
			toks = append(toks, tok{tString, expr[i : j+1]})
			i = j + 1
		default:
			toks = append(toks, tok{tPunct, string(c)})
			i++
		}
	}
	return toks, nil
}

var closing = map[string]string{"(": ")", "{": "}", "[": "]"}

// balance checks (), {} and [] outside strings, and returns for each
// opening token the index of its closing one.
func balance(toks []tok) (map[int]int, error) {
	match := map[int]int{}
	var stack []int
	for i, tk := range toks {
		if tk.kind != tPunct {
			continue
		}
		switch tk.s {
		case "(", "{", "[":
			stack = append(stack, i)
		case ")", "}", "]":
			if len(stack) == 0 {
				return nil, fmt.Errorf("unbalanced %q", tk.s)
			}
			open := stack[len(stack)-1]
			if closing[toks[open].s] != tk.s {
				return nil, fmt.Errorf("%q closed by %q", toks[open].s, tk.s)
			}
			stack = stack[:len(stack)-1]
			match[open] = i
		}
	}
	if len(stack) > 0 {
		return nil, fmt.Errorf("unclosed %q", toks[stack[len(stack)-1]].s)
	}
	return match, nil
}

var aggregations = map[string]bool{
	"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true, "stdvar": true,
	"count": true, "count_values": true, "bottomk": true, "topk": true, "quantile": true,
	"limitk": true, "limit_ratio": true,
}

// checkExpr checks one expression: balanced, every earshot_ metric defined
// (recorded names, with a colon, must be in recorded), every label in a
// matcher on an earshot metric, in by/without and in
// on/ignoring/group_left/group_right one that the metrics involved carry.
// It returns the earshot metrics used and the labels their series can carry.
func checkExpr(expr string, defs metricSet, recorded map[string]bool) (used []string, labels []string, errs []error) {
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if strings.TrimSpace(expr) == "" {
		fail("empty expr")
		return
	}
	toks, err := lex(expr)
	if err != nil {
		fail("%v", err)
		return
	}
	match, err := balance(toks)
	if err != nil {
		fail("%v", err)
		return
	}
	// labelsAt[i] is the label set of the earshot metric at token i.
	labelsAt := map[int][]string{}
	var all []string
	for i, tk := range toks {
		if tk.kind != tIdent {
			continue
		}
		if strings.Contains(tk.s, ":") {
			if !recorded[tk.s] {
				fail("%s is no recording rule of %s", tk.s, rulesFile)
			}
			continue
		}
		if !strings.HasPrefix(tk.s, "earshot_") {
			continue
		}
		if !metricInText.MatchString(tk.s) || metricInText.FindString(tk.s) != tk.s {
			fail("%s is not a metric name earshot uses", tk.s)
			continue
		}
		_, ls, ok := defs.series(tk.s)
		if !ok {
			fail("metric %s is not defined in the code", tk.s)
			continue
		}
		used = append(used, tk.s)
		labelsAt[i] = ls
		all = append(all, ls...)
		// Matchers: earshot_x{label="v", …}
		if i+1 < len(toks) && toks[i+1].s == "{" && toks[i+1].kind == tPunct {
			for j := i + 2; j < match[i+1]; j++ {
				if toks[j].kind == tIdent && !slices.Contains(ls, toks[j].s) && toks[j].s != "__name__" {
					fail("label %q in a matcher of %s: its labels are %v", toks[j].s, tk.s, ls)
				}
			}
		}
	}
	// metricsIn returns the label sets of the earshot metrics in toks[from:to].
	metricsIn := func(from, to int) (sets [][]string, names []string) {
		for j := from; j < to; j++ {
			if ls, ok := labelsAt[j]; ok {
				sets = append(sets, ls)
				names = append(names, toks[j].s)
			}
		}
		return
	}
	for i, tk := range toks {
		if tk.kind != tIdent || i+1 >= len(toks) || toks[i+1].s != "(" || toks[i+1].kind != tPunct {
			continue
		}
		var list []string
		for j := i + 2; j < match[i+1]; j++ {
			if toks[j].kind == tIdent {
				list = append(list, toks[j].s)
			}
		}
		switch tk.s {
		case "by", "without":
			// Either agg by (…) (body) or agg (body) by (…).
			var from, to int
			switch {
			case i > 0 && toks[i-1].kind == tIdent && aggregations[toks[i-1].s]:
				after := match[i+1] + 1
				if after >= len(toks) || toks[after].s != "(" {
					fail("%s (…) is not followed by the aggregated expression", tk.s)
					continue
				}
				from, to = after, match[after]
			case i > 0 && toks[i-1].s == ")":
				open := -1
				for o, c := range match {
					if c == i-1 {
						open = o
					}
				}
				if open < 1 || toks[open-1].kind != tIdent || !aggregations[toks[open-1].s] {
					fail("%s (…) follows no aggregation", tk.s)
					continue
				}
				from, to = open, i-1
			default:
				fail("%s (…) follows no aggregation", tk.s)
				continue
			}
			sets, names := metricsIn(from, to)
			for _, l := range list {
				for k, ls := range sets {
					if !slices.Contains(ls, l) {
						fail("label %q in %s (…) over %s: its labels are %v", l, tk.s, names[k], ls)
					}
				}
			}
		case "on", "ignoring", "group_left", "group_right":
			for _, l := range list {
				if len(all) > 0 && !slices.Contains(all, l) {
					fail("label %q in %s (…): no metric of the expression has it (%v)", l, tk.s, dedupe(all))
				}
			}
		}
	}
	return used, dedupe(all), errs
}

func dedupe(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// checkText checks the earshot_ metric names cited in prose (annotations,
// panel descriptions).
func checkText(text string, defs metricSet) []error {
	var errs []error
	for _, name := range metricInText.FindAllString(text, -1) {
		if _, _, ok := defs.series(name); !ok {
			if _, ok := defs[name]; !ok { // a histogram's own name is fine in prose
				errs = append(errs, fmt.Errorf("cites %s, which the code does not define", name))
			}
		}
	}
	return errs
}

// ---------------------------------------------------------------------------
// The rule file

type ruleFile struct {
	Groups []struct {
		Name     string `yaml:"name"`
		Interval string `yaml:"interval"`
		Rules    []rule `yaml:"rules"`
	} `yaml:"groups"`
}

type rule struct {
	Alert         string            `yaml:"alert"`
	Record        string            `yaml:"record"`
	Expr          string            `yaml:"expr"`
	For           string            `yaml:"for"`
	KeepFiringFor string            `yaml:"keep_firing_for"`
	Labels        map[string]string `yaml:"labels"`
	Annotations   map[string]string `yaml:"annotations"`
}

var (
	promDuration = regexp.MustCompile(`^([0-9]+(ms|s|m|h|d|w|y))+$`)
	metricName   = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	templLabel   = regexp.MustCompile(`\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)`)
)

// recorded returns the names of the recording rules.
func (rf ruleFile) recorded() map[string]bool {
	names := map[string]bool{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				names[r.Record] = true
			}
		}
	}
	return names
}

func loadRules(t *testing.T) ruleFile {
	t.Helper()
	f, err := os.Open(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true) // a misspelt key (annotation:, label:) is an error
	var rf ruleFile
	if err := dec.Decode(&rf); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	return rf
}

// ---------------------------------------------------------------------------
// The dashboard

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	ID          int                      `json:"id"`
	Type        string                   `json:"type"`
	Title       string                   `json:"title"`
	Description string                   `json:"description"`
	Datasource  *datasourceRef           `json:"datasource"`
	GridPos     struct{ H, W, X, Y int } `json:"gridPos"`
	Targets     []struct {
		Datasource *datasourceRef `json:"datasource"`
		Expr       string         `json:"expr"`
		RefID      string         `json:"refId"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // a row's, when collapsed
}

type dashboard struct {
	Inputs []struct {
		Name     string `json:"name"`
		Type     string `json:"type"`
		PluginID string `json:"pluginId"`
	} `json:"__inputs"`
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Query      json.RawMessage `json:"query"`
			Datasource *datasourceRef  `json:"datasource"`
		} `json:"list"`
	} `json:"templating"`
}

// variableQuery returns a query variable's PromQL, given as a string or as
// {"query": "…"}.
func variableQuery(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		Query string `json:"query"`
	}
	if json.Unmarshal(raw, &o) == nil {
		return o.Query
	}
	return ""
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	data, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return d
}

// ---------------------------------------------------------------------------
// The tests

func TestAlertRules(t *testing.T) {
	defs := definedMetrics(t)
	rf := loadRules(t)
	if len(rf.Groups) == 0 {
		t.Fatalf("%s: no groups", rulesFile)
	}
	recorded := rf.recorded()
	groups, alerts, records := map[string]bool{}, map[string]bool{}, map[string]bool{}
	nAlerts := 0
	for _, g := range rf.Groups {
		if g.Name == "" || groups[g.Name] {
			t.Errorf("group name %q empty or repeated", g.Name)
		}
		groups[g.Name] = true
		if g.Interval != "" && !promDuration.MatchString(g.Interval) {
			t.Errorf("group %s: interval %q is no Prometheus duration", g.Name, g.Interval)
		}
		if len(g.Rules) == 0 {
			t.Errorf("group %s has no rules", g.Name)
		}
		for i, r := range g.Rules {
			id := fmt.Sprintf("%s rule %d", g.Name, i)
			switch {
			case r.Alert != "" && r.Record != "":
				t.Errorf("%s: both alert and record", id)
				continue
			case r.Alert != "":
				id = "alert " + r.Alert
			case r.Record != "":
				id = "record " + r.Record
			default:
				t.Errorf("%s: neither alert nor record", id)
				continue
			}
			_, labels, errs := checkExpr(r.Expr, defs, recorded)
			for _, err := range errs {
				t.Errorf("%s: expr: %v", id, err)
			}
			if r.Record != "" {
				if !metricName.MatchString(r.Record) || !strings.Contains(r.Record, ":") || records[r.Record] {
					t.Errorf("%s: want a unique level:metric:operation name", id)
				}
				records[r.Record] = true
				if r.For != "" || len(r.Annotations) > 0 {
					t.Errorf("%s: a recording rule has no for or annotations", id)
				}
				continue
			}
			nAlerts++
			if alerts[r.Alert] {
				t.Errorf("%s: alert name repeated", id)
			}
			alerts[r.Alert] = true
			if !metricName.MatchString(r.Alert) || strings.Contains(r.Alert, ":") {
				t.Errorf("%s: not a valid alert name", id)
			}
			if !promDuration.MatchString(r.For) {
				t.Errorf("%s: for %q: want a duration such as 0m, 5m or 1h", id, r.For)
			}
			if sev := r.Labels["severity"]; sev != "critical" && sev != "warning" {
				t.Errorf("%s: labels.severity %q: want critical or warning", id, sev)
			}
			for _, key := range []string{"summary", "description"} {
				if strings.TrimSpace(r.Annotations[key]) == "" {
					t.Errorf("%s: annotations.%s is empty", id, key)
				}
			}
			for key, text := range r.Annotations {
				if strings.Count(text, "{{") != strings.Count(text, "}}") {
					t.Errorf("%s: annotations.%s: unbalanced {{ }}", id, key)
				}
				for _, err := range checkText(text, defs) {
					t.Errorf("%s: annotations.%s %v", id, key, err)
				}
				for _, m := range templLabel.FindAllStringSubmatch(text, -1) {
					if !slices.Contains(labels, m[1]) && !slices.Contains(targetLabels, m[1]) {
						t.Errorf("%s: annotations.%s uses $labels.%s, which no metric of the expr has (%v)", id, key, m[1], labels)
					}
				}
			}
		}
	}
	if nAlerts == 0 {
		t.Errorf("%s has no alerts", rulesFile)
	}
}

func TestDashboard(t *testing.T) {
	defs := definedMetrics(t)
	recorded := loadRules(t).recorded()
	d := loadDashboard(t)
	if d.SchemaVersion != 39 {
		t.Errorf("schemaVersion %d, want 39", d.SchemaVersion)
	}
	if d.UID == "" || d.Title == "" {
		t.Errorf("the dashboard needs a uid and a title")
	}
	// The datasource: a ${DS_…} input or a datasource variable.
	dsUIDs := map[string]bool{}
	for _, in := range d.Inputs {
		if in.Type == "datasource" && in.PluginID == "prometheus" {
			dsUIDs["${"+in.Name+"}"] = true
		}
	}
	for _, v := range d.Templating.List {
		if v.Type == "datasource" && variableQuery(v.Query) == "prometheus" {
			dsUIDs["${"+v.Name+"}"], dsUIDs["$"+v.Name] = true, true
		}
	}
	if len(dsUIDs) == 0 {
		t.Fatalf("no Prometheus datasource input (__inputs) or datasource variable")
	}
	checkDS := func(where string, ds *datasourceRef) {
		if ds == nil {
			t.Errorf("%s: no datasource", where)
		} else if ds.Type != "prometheus" || !dsUIDs[ds.UID] {
			t.Errorf("%s: datasource %+v: want type prometheus and uid one of %v", where, *ds, slices.Sorted(maps.Keys(dsUIDs)))
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		where := "variable " + v.Name
		checkDS(where, v.Datasource)
		_, _, errs := checkExpr(variableQuery(v.Query), defs, recorded)
		for _, err := range errs {
			t.Errorf("%s: query: %v", where, err)
		}
	}

	var all []panel
	for _, p := range d.Panels {
		all = append(all, p)
		all = append(all, p.Panels...)
	}
	if len(all) == 0 {
		t.Fatalf("no panels")
	}
	ids := map[int]string{}
	type rect struct {
		title          string
		x0, y0, x1, y1 int
	}
	var placed []rect
	nData := 0
	for _, p := range all {
		where := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		if p.ID <= 0 {
			t.Errorf("%s: no id", where)
		} else if prev, ok := ids[p.ID]; ok {
			t.Errorf("%s: id %d also used by %q", where, p.ID, prev)
		}
		ids[p.ID] = p.Title
		if strings.TrimSpace(p.Title) == "" {
			t.Errorf("%s: no title", where)
		}
		g := p.GridPos
		if g.W <= 0 || g.H <= 0 || g.X < 0 || g.Y < 0 || g.X+g.W > 24 {
			t.Errorf("%s: gridPos %+v outside the 24-column grid", where, g)
		}
		r := rect{p.Title, g.X, g.Y, g.X + g.W, g.Y + g.H}
		for _, q := range placed {
			if r.x0 < q.x1 && q.x0 < r.x1 && r.y0 < q.y1 && q.y0 < r.y1 {
				t.Errorf("%s overlaps %q", where, q.title)
			}
		}
		placed = append(placed, r)
		if p.Type == "row" {
			if len(p.Targets) > 0 {
				t.Errorf("%s: a row with targets", where)
			}
			continue
		}
		nData++
		switch p.Type {
		case "timeseries", "stat", "gauge", "bargauge", "table":
		default:
			t.Errorf("%s: panel type %q", where, p.Type)
		}
		checkDS(where, p.Datasource)
		for _, err := range checkText(p.Description, defs) {
			t.Errorf("%s: description %v", where, err)
		}
		if len(p.Targets) == 0 {
			t.Errorf("%s: no targets", where)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if tg.RefID == "" || refs[tg.RefID] {
				t.Errorf("%s: refId %q empty or repeated", where, tg.RefID)
			}
			refs[tg.RefID] = true
			if tg.Datasource != nil {
				checkDS(where+" target "+tg.RefID, tg.Datasource)
			}
			if strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("%s target %s: empty expr", where, tg.RefID)
				continue
			}
			_, _, errs := checkExpr(tg.Expr, defs, recorded)
			for _, err := range errs {
				t.Errorf("%s target %s: %v", where, tg.RefID, err)
			}
		}
	}
	if nData == 0 {
		t.Errorf("no data panels")
	}
}

// TestMetricsCoverage logs the metrics defined in the code that neither the
// rules nor the dashboard use (run with -v to see them).
func TestMetricsCoverage(t *testing.T) {
	defs := definedMetrics(t)
	rf := loadRules(t)
	d := loadDashboard(t)
	used := map[string]bool{}
	note := func(expr string) {
		toks, err := lex(expr)
		if err != nil {
			return
		}
		for _, tk := range toks {
			if tk.kind != tIdent {
				continue
			}
			for _, suf := range []string{"", "_bucket", "_sum", "_count"} {
				if base, ok := strings.CutSuffix(tk.s, suf); ok && defs[base] != nil {
					used[base] = true
				}
			}
		}
	}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			note(r.Expr)
		}
	}
	for _, p := range d.Panels {
		for _, q := range append([]panel{p}, p.Panels...) {
			for _, tg := range q.Targets {
				note(tg.Expr)
			}
		}
	}
	var unused []string
	for name := range defs {
		if !used[name] {
			unused = append(unused, name)
		}
	}
	slices.Sort(unused)
	t.Logf("%d metrics defined, %d used by the rules or the dashboard; unused: %v", len(defs), len(used), unused)
}

// TestCheckerCatchesMistakes keeps the checks above sensitive: each of
// these must be reported.
func TestCheckerCatchesMistakes(t *testing.T) {
	defs := definedMetrics(t)
	recorded := map[string]bool{"job:earshot_consumed_messages:rate5m": true}
	bad := map[string]string{
		"misspelt metric":         `rate(earshot_consumed_mesages_total[5m])`,
		"label not in matcher":    `earshot_consumer_lag{partiton="1"}`,
		"label not in by":         `sum by (partiton) (earshot_consumer_lag)`,
		"label not in by, after":  `sum(earshot_dead_letters_total) by (target)`,
		"label not in without":    `sum without (kind) (rate(earshot_retries_total[5m]))`,
		"label of another metric": `sum by (result) (rate(earshot_retries_total[5m]))`,
		"unlabelled metric":       `earshot_commit_errors_total{partition="0"}`,
		"le on a counter":         `sum by (le) (rate(earshot_batches_total[5m]))`,
		"histogram bare name":     `rate(earshot_batch_seconds[5m])`,
		"suffix of a counter":     `rate(earshot_batches_total_count[5m])`,
		"ignoring unknown label":  `rate(earshot_retries_total[5m]) > 0 and ignoring (tagret) rate(earshot_batches_total[5m]) == 0`,
		"unbalanced paren":        `sum(rate(earshot_batches_total[5m])`,
		"unbalanced brace":        `earshot_consumer_lag{partition="1"`,
		"crossed brackets":        `sum(rate(earshot_batches_total[5m)])`,
		"unknown recorded name":   `job:earshot_matched_posts:rate5m`,
		"unterminated string":     `earshot_consumer_lag{partition="1}`,
		"by without aggregation":  `rate(earshot_batches_total[5m]) by (job)`,
		"empty":                   ` `,
	}
	for name, expr := range bad {
		if _, _, errs := checkExpr(expr, defs, recorded); len(errs) == 0 {
			t.Errorf("%s: %s was not reported", name, expr)
		}
	}
	good := []string{
		`sum by (partition) (earshot_consumer_lag{job="earshot",instance=~".*"})`,
		`histogram_quantile(0.99, sum by (le) (rate(earshot_sink_insert_duration_seconds_bucket[$__rate_interval])))`,
		`sum(rate(earshot_dead_letters_total{reason="invalid_json"}[5m])) by (reason)`,
		`sum by (kind) (earshot_dedup_keys)`,
		`earshot_rules_reloads_total{result="error"}`,
		`job:earshot_consumed_messages:rate5m`,
		`max_over_time(earshot_queued_chunks[1h:1m])`,
	}
	for _, expr := range good {
		if _, _, errs := checkExpr(expr, defs, recorded); len(errs) > 0 {
			t.Errorf("%s reported: %v", expr, errs)
		}
	}
	if errs := checkText("see earshot_consumer_lagg", defs); len(errs) == 0 {
		t.Errorf("a misspelt metric in prose was not reported")
	}
}
