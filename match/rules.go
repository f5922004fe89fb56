package match

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"earshot/match/query"

	"gopkg.in/yaml.v3"
)

// maxErrors bounds the errors reported for one rules file.
const maxErrors = 20

// Rule is one listening rule.
type Rule struct {
	ID      string // unique; for a keyword-list line: the line's text (trimmed)
	Name    string
	Query   string // in the rule language (docs/rules.md, earshot/match/query)
	Tags    []string
	Route   string // routing target, e.g. "support-team"; "" = none
	Level   string // "primary" | "secondary" | ""
	Enabled bool
	// IgnoreDiacritics makes the query's terms diacritic-insensitive
	// (YAML `diacritics: insensitive`): terms and text are compared without
	// their combining marks, so sismo matches sísmo and sísmo matches sismo.
	IgnoreDiacritics bool
	Pos              Pos // where the query text starts (for errors); Col 0 = unknown
	IDPos            Pos // where the id is: its value in YAML, the line of a keyword list
	// Alert holds the rule's own burst-alert settings (YAML `alert:`,
	// docs/rules.md); nil: the detector's defaults.
	Alert *Alert
}

// Alert is a rule's burst-alert settings as written in its rules file
// (YAML `alert:`). A zero field is unset: the burst detector's default
// applies (stream/burst.Params documents them). match only parses them;
// the pipeline checks them against the detector's defaults through
// ReloaderConfig.Check and reports a problem at Pos with Alert.Errorf.
type Alert struct {
	// Off (`alert: off`) keeps the rule out of burst detection: it is
	// matched, stored and routed, never alerted on.
	Off bool
	// Threshold: trigger when STA/(Factor·LTA + Floor) ≥ Threshold.
	// Factor and Floor (posts, or authors, per minute) are positive when
	// set.
	Threshold, Factor, Floor float64
	// Rearm is the ratio below which a triggered rule re-arms.
	Rearm float64
	// ShortWindow and LongWindow are the STA and LTA windows.
	ShortWindow, LongWindow time.Duration
	// Authors (`count: authors`) counts distinct authors instead of posts.
	Authors bool
	// Reposts, Replies, Links (`include: [reposts, replies, links]`) count
	// those posts too; they are left out by default.
	Reposts, Replies, Links bool
	// MaxText is the longest text, in characters, counted as first-hand
	// (`max_text`; -1: no limit, from `max_text: none`).
	MaxText int
	// Cooldown is how long after an alert of the rule for a region another
	// trigger of it is not delivered (-1: never suppressed, from
	// `cooldown: none`).
	Cooldown time.Duration
	// NoRevival (`revival: off`) raises no revival alert for the rule (a
	// return after a quiet stretch, earshot/stream's revival alerts) while
	// its bursts still alert.
	NoRevival bool
	// RevivalQuiet and RevivalFloor (`revival: {quiet: 14d, floor: 5}`)
	// are the rule's own revival settings: how long a quiet must last
	// before a return is a revival (whole hours, MinRevivalQuiet to
	// MaxRevivalQuiet),
	// and how many mentions make an hour active (1 or more); 0 leaves the
	// pipeline's (earshot run's --revival-quiet and --revival-floor).
	RevivalQuiet time.Duration
	RevivalFloor int

	// Pos is where the settings are: the value of the rule's `alert` key.
	Pos  Pos
	line string // the source line at Pos, for the caret
}

// Errorf returns a *SyntaxError at the rule's alert settings: for
// problems found outside this package (the detector's checks).
func (a *Alert) Errorf(hint, format string, args ...any) *SyntaxError {
	return &SyntaxError{Pos: a.Pos, Msg: fmt.Sprintf(format, args...), Hint: hint, Line: a.line}
}

// Pos is a position in a rules file; Line and Col are 1-based, Col counts
// characters. Zero values mean unknown.
type Pos struct {
	File      string
	Line, Col int
}

func (p Pos) String() string {
	f := p.File
	if f == "" {
		f = "<rules>"
	}
	return fmt.Sprintf("%s:%d:%d", f, p.Line, p.Col)
}

// Doc is what a rule is evaluated against. Text is required; the other
// fields feed the field filters of the rule language (lang:, country:,
// source:, author.followers:, author.verified:, is:repost, is:reply,
// has:geo, has:link). An empty string is unknown, and so is a negative
// Followers: a filter on an unknown field does not hold.
type Doc struct {
	Text                                         []byte
	Lang, Country, Source                        string
	Followers                                    int64
	Verified, IsRepost, IsReply, HasGeo, HasLink bool
	IsQuote                                      bool
	// Author is the author's handle, Bio their profile description
	// (author: and author.bio: filters).
	Author, Bio string
	// LangOf and CountryOf, when Lang or Country is empty, are asked for it
	// the first time a rule's lang: or country: filter is evaluated for
	// the document (at most once per match, and only if some rule testing
	// the field has its terms in the text): for a value that costs
	// something to find, such as a language detected from the text or a
	// country from the post's coordinates or its author's profile. Nil:
	// unknown.
	LangOf, CountryOf func() string
	// AuthorOf, when Author and Bio are empty, is asked for both the same
	// way by the first author: or author.bio: filter: for an author
	// decoded only when needed.
	AuthorOf func() (handle, bio string)
	// PlaceOf is asked for the post's region and city by the first
	// region: or city: filter evaluated (found by enrichment, as for
	// CountryOf). Nil: both unknown.
	PlaceOf func() (region, city string)
}

// SyntaxError is a problem in a rules file or a rule's query.
type SyntaxError struct {
	Pos  Pos
	Msg  string
	Hint string // what to do about it; may be empty
	Line string // the source line, for the caret display; may be empty

	caret int // column of the caret in Line when it differs from Pos.Col
}

// Error prints `file:line:col: msg`, the source line with a caret under the
// column, and the hint.
func (e *SyntaxError) Error() string {
	var b strings.Builder
	b.WriteString(e.Pos.String())
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Line != "" {
		b.WriteString("\n\t")
		b.WriteString(e.Line)
		b.WriteString("\n\t")
		col, at := 1, e.Pos.Col
		if e.caret > 0 {
			at = e.caret
		}
		for _, r := range e.Line {
			if col >= at {
				break
			}
			if r == '\t' {
				b.WriteByte('\t')
			} else {
				b.WriteByte(' ')
			}
			col++
		}
		b.WriteByte('^')
	}
	if e.Hint != "" {
		b.WriteString("\nhint: ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Parse parses a rules file: a YAML rules file when file ends in .yaml or
// .yml or the data starts with a `rules:` key, a keyword list otherwise.
// Every query is checked; a file with any error is rejected whole and all
// errors (up to 20) are returned joined, each a *SyntaxError.
func Parse(file string, data []byte) ([]Rule, error) {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if isYAML(file, data) {
		return parseYAML(file, data)
	}
	return parseKeywords(file, data)
}

func isYAML(file string, data []byte) bool {
	switch strings.ToLower(filepath.Ext(file)) {
	case ".yaml", ".yml":
		return true
	}
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		t := bytes.TrimSpace(line)
		if len(t) == 0 || isCommentLine(string(t)) || string(t) == "---" {
			continue
		}
		return bytes.HasPrefix(line, []byte("rules:"))
	}
	return false
}

// isCommentLine reports whether a trimmed keyword-list line is a comment:
// a lone '#' or '#' followed by whitespace. "#word" is a hashtag term.
func isCommentLine(t string) bool {
	return t == "#" || strings.HasPrefix(t, "# ") || strings.HasPrefix(t, "#\t")
}

// parseKeywords parses a keyword list: one term per line, blank lines and
// comments skipped, duplicate lines folded into one rule.
func parseKeywords(file string, data []byte) ([]Rule, error) {
	rt := runes()
	var rules []Rule
	var errs []error
	seen := map[string]bool{}
	for n := 1; len(data) > 0; n++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		s := strings.TrimRight(string(line), "\r")
		t := strings.TrimSpace(s)
		if t == "" || isCommentLine(t) || seen[t] {
			continue
		}
		seen[t] = true
		col := utf8.RuneCountInString(s[:len(s)-len(strings.TrimLeft(s, " \t"))]) + 1
		// The line is one term: quote it where the rule language would
		// read it otherwise (flood victims is a phrase, not an AND).
		r := Rule{ID: t, Query: query.Literal(t), Enabled: true, Pos: Pos{File: file, Line: n, Col: col}}
		r.IDPos = r.Pos
		if _, _, terr := parseQuery(rt, r.Query, false, nil); terr != nil {
			if len(errs) < maxErrors {
				se := querySyntaxError(&r, terr)
				se.Line, se.caret = s, 0
				errs = append(errs, se)
			}
			continue
		}
		rules = append(rules, r)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return rules, nil
}

// yamlRules collects the errors of one YAML file.
type yamlRules struct {
	file  string
	lines []string
	errs  []error
}

func (y *yamlRules) errorf(n *yaml.Node, hint, format string, args ...any) {
	if len(y.errs) >= maxErrors {
		return
	}
	se := &SyntaxError{Pos: Pos{File: y.file}, Msg: fmt.Sprintf(format, args...), Hint: hint}
	if n != nil {
		se.Pos.Line, se.Pos.Col = n.Line, n.Column
		if n.Line >= 1 && n.Line <= len(y.lines) {
			se.Line = strings.TrimRight(y.lines[n.Line-1], "\r")
		}
	}
	y.errs = append(y.errs, se)
}

// hashtagComment reports, as an error, a comment right after a query (on
// its line, or on the next lines of a query written over several) that
// starts like a hashtag: in YAML, " #" starts a comment, so the query
// `quake #temblor` unquoted is the query quake, and the tag is dropped
// without a word. A comment is "# " followed by a space: `#temblor` is a
// hashtag that belongs to the query.
func (y *yamlRules) hashtagComment(k, v *yaml.Node) bool {
	for _, c := range []struct {
		text string
		line int // where to look for it first
	}{{v.LineComment, v.Line}, {k.LineComment, k.Line}, {k.FootComment, k.Line}} {
		tag, _, _ := strings.Cut(c.text, "\n")
		tag = strings.TrimSpace(tag)
		if len(tag) < 2 || tag[0] != '#' {
			continue
		}
		if r, _ := utf8.DecodeRuneInString(tag[1:]); r == '#' || r == '!' || unicode.IsSpace(r) {
			continue // a comment: "# note", "##", "#!"
		}
		word := tag
		if i := strings.IndexFunc(tag, unicode.IsSpace); i > 0 {
			word = tag[:i]
		}
		n := &yaml.Node{Line: c.line, Column: 1}
		for l := c.line; l >= 1 && l <= len(y.lines) && l < c.line+8; l++ {
			if i := strings.Index(y.lines[l-1], word); i >= 0 {
				n.Line, n.Column = l, utf8.RuneCountInString(y.lines[l-1][:i])+1
				break
			}
		}
		y.errorf(n, fmt.Sprintf("put the query in quotes, query: '… %s', or write a space after # for a comment", word),
			"YAML reads %q as a comment: it would be cut from the query", word)
		return true
	}
	return false
}

func parseYAML(file string, data []byte) ([]Rule, error) {
	y := &yamlRules{file: file, lines: strings.Split(string(data), "\n")}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := 0
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
			msg = strings.TrimSpace(msg[strings.IndexByte(msg, ':')+1:])
		}
		se := &SyntaxError{Pos: Pos{File: file, Line: line, Col: 1}, Msg: "invalid YAML: " + msg,
			Hint: "check indentation and quoting"}
		if line >= 1 && line <= len(y.lines) {
			se.Line = strings.TrimRight(y.lines[line-1], "\r")
		}
		return nil, se
	}
	if len(doc.Content) == 0 {
		return nil, nil // an empty file holds no rules
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		y.errorf(root, "start the file with `rules:` followed by a list of rules", "expected a mapping with a `rules` key")
		return nil, errors.Join(y.errs...)
	}
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value != "rules" {
			y.errorf(k, "the only top-level key is `rules`", "unknown key %q", k.Value)
			continue
		}
		list = v
	}
	var rules []Rule
	if list != nil && !(list.Kind == yaml.ScalarNode && list.Tag == "!!null") {
		if list.Kind != yaml.SequenceNode {
			y.errorf(list, "write each rule as a list item starting with `- id: …`", "`rules` must be a list")
		} else {
			rules = y.rules(list)
		}
	}
	if len(y.errs) > 0 {
		return nil, errors.Join(y.errs...)
	}
	return rules, nil
}

func (y *yamlRules) rules(list *yaml.Node) []Rule {
	rt := runes()
	ids := map[string]Pos{}
	var rules []Rule
	for _, item := range list.Content {
		if item.Kind != yaml.MappingNode {
			y.errorf(item, "write each rule as `- id: …` with its keys below", "a rule must be a mapping")
			continue
		}
		r := Rule{Enabled: true, Pos: Pos{File: y.file, Line: item.Line, Col: item.Column}}
		var idNode, queryNode *yaml.Node
		queryCut := false // a hashtag read as a comment (reported)
		ok := true
		for i := 0; i+1 < len(item.Content); i += 2 {
			k, v := item.Content[i], item.Content[i+1]
			str := func(dst *string) {
				if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
					y.errorf(v, "", "%s must be a string", k.Value)
					ok = false
					return
				}
				*dst = v.Value
			}
			switch k.Value {
			case "id":
				str(&r.ID)
				idNode = v
			case "name":
				str(&r.Name)
			case "query":
				if y.hashtagComment(k, v) {
					ok, queryCut = false, true
					break
				}
				str(&r.Query)
				queryNode = v
			case "diacritics":
				var d string
				str(&d)
				switch d {
				case "sensitive":
				case "insensitive":
					r.IgnoreDiacritics = true
				default:
					if ok {
						y.errorf(v, "write insensitive (sismo matches sísmo) or sensitive (the default)", "unknown diacritics %q", d)
						ok = false
					}
				}
			case "route":
				str(&r.Route)
			case "level":
				str(&r.Level)
				if r.Level != "" && r.Level != "primary" && r.Level != "secondary" {
					y.errorf(v, "use primary, secondary, or leave it out", "unknown level %q", r.Level)
					ok = false
				}
			case "enabled":
				if v.Kind != yaml.ScalarNode || v.Decode(&r.Enabled) != nil {
					y.errorf(v, "write true or false", "enabled must be a boolean")
					ok = false
				}
			case "tags":
				if v.Kind != yaml.SequenceNode {
					y.errorf(v, "write tags as a list, e.g. [disaster, es]", "tags must be a list of strings")
					ok = false
					break
				}
				for _, tn := range v.Content {
					if tn.Kind != yaml.ScalarNode {
						y.errorf(tn, "", "a tag must be a string")
						ok = false
						continue
					}
					r.Tags = append(r.Tags, tn.Value)
				}
			case "alert":
				a, aok := y.alert(v)
				r.Alert = a
				ok = ok && aok
			default:
				y.errorf(k, "known keys: id, name, query, diacritics, tags, route, level, enabled, alert", "unknown key %q", k.Value)
				ok = false
			}
		}
		if idNode == nil || strings.TrimSpace(r.ID) == "" {
			n := item
			if idNode != nil {
				n = idNode
			}
			y.errorf(n, "give every rule a unique id", "rule has no id")
			ok = false
		} else if prev, dup := ids[r.ID]; dup {
			y.errorf(idNode, "ids must be unique", "duplicate id %q (first defined at %s)", r.ID, prev)
			ok = false
		} else {
			r.IDPos = Pos{File: y.file, Line: idNode.Line, Col: idNode.Column}
			ids[r.ID] = r.IDPos
		}
		switch {
		case queryCut:
		case queryNode == nil:
			y.errorf(item, "add a `query:` with the term to match", "rule %q has no query", r.ID)
			ok = false
		case queryNode.Kind == yaml.ScalarNode:
			if _, _, terr := parseQuery(rt, r.Query, r.IgnoreDiacritics, nil); terr != nil {
				if len(y.errs) < maxErrors {
					y.errs = append(y.errs, y.queryError(queryNode, r.Query, terr))
				}
				ok = false
			}
		}
		if ok {
			r.Pos, _ = y.queryPos(queryNode, r.Query)
			rules = append(rules, r)
		}
	}
	return rules
}

// alertHint shows the two forms of a rule's `alert:`.
const alertHint = "write `alert: off` never to alert on the rule, or settings such as `alert: {floor: 2, cooldown: 30m}`"

// alertKeys lists the settings of `alert:`, for the unknown-key hint.
const alertKeys = "threshold, factor, floor, rearm, short_window, long_window, count, include, max_text, cooldown, revival"

// maxAlertWindow bounds short_window and long_window.
const maxAlertWindow = 24 * time.Hour

// MinRevivalQuiet and MaxRevivalQuiet bound a rule's revival quiet: hours
// of quiet are counted in hourly bins, and every look for revivals reads
// that much history of the rules that ask.
const (
	MinRevivalQuiet = 2 * time.Hour
	MaxRevivalQuiet = 30 * 24 * time.Hour
)

// parseSpan parses a duration written as Go writes one (36h, 90m) or in
// whole days (14d).
func parseSpan(s string) (time.Duration, bool) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		return time.Duration(n) * 24 * time.Hour, err == nil && n >= 0 && n <= 1<<20
	}
	d, err := time.ParseDuration(s)
	return d, err == nil
}

// alert parses a rule's `alert:` value v: off or false (Off), on, true or
// default (nil: the detector's defaults), or a mapping of settings (nil
// when they are all defaults), possibly through a YAML alias (`alert: *quiet`).
// Every error is reported; ok is false if there was any.
func (y *yamlRules) alert(v *yaml.Node) (a *Alert, ok bool) {
	at := func(a *Alert) *Alert {
		a.Pos = Pos{File: y.file, Line: v.Line, Col: v.Column}
		if v.Line >= 1 && v.Line <= len(y.lines) {
			a.line = strings.TrimRight(y.lines[v.Line-1], "\r")
		}
		return a
	}
	m := deref(v)
	switch m.Kind {
	case yaml.ScalarNode:
		switch tag := m.ShortTag(); {
		case tag == "!!bool":
			var on bool
			if m.Decode(&on) == nil {
				if on {
					return nil, true
				}
				return at(&Alert{Off: true}), true
			}
		case tag == "!!str" && (m.Value == "on" || m.Value == "default"):
			return nil, true
		case tag == "!!str" && m.Value == "off":
			return at(&Alert{Off: true}), true
		case tag == "!!null":
			y.errorf(m, alertHint, "alert has no value")
			return nil, false
		}
		y.errorf(m, alertHint, "unknown alert %q", m.Value)
		return nil, false
	case yaml.MappingNode:
	default:
		y.errorf(m, alertHint, "alert must be off, on or a mapping of settings, not a %s", kindName(m))
		return nil, false
	}
	a, ok = &Alert{}, true
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, n := m.Content[i], deref(m.Content[i+1])
		// bad reports a value of the wrong kind or range: want says what
		// the setting must be, hint how to write it.
		bad := func(want, hint string) {
			y.errorf(n, hint, "%s must be %s, not %s", k.Value, want, valueText(n))
			ok = false
		}
		// number parses a finite number above 0 (0 would read as unset).
		number := func(dst *float64, hint string) {
			var f float64
			if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") ||
				n.Decode(&f) != nil || math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 {
				bad("a number above 0", hint)
				return
			}
			*dst = f
		}
		// duration parses a Go duration (or a plain 0) of at least 0.
		duration := func() (time.Duration, bool) {
			if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!str" && n.ShortTag() != "!!int") {
				return 0, false
			}
			d, err := time.ParseDuration(n.Value)
			return d, err == nil && d >= 0
		}
		window := func(dst *time.Duration) {
			d, dok := duration()
			if !dok || d <= 0 || d > maxAlertWindow {
				bad("a duration above 0 and at most 24h", "write a duration such as 1m or 90s, at most 24h")
				return
			}
			*dst = d
		}
		if k.Kind != yaml.ScalarNode {
			y.errorf(k, "known settings: "+alertKeys, "an alert setting's name must be a string")
			ok = false
			continue
		}
		if seen[k.Value] {
			y.errorf(k, "write each setting once", "duplicate alert setting %q", k.Value)
			ok = false
			continue
		}
		seen[k.Value] = true
		switch k.Value {
		case "threshold":
			number(&a.Threshold, "write a number such as 1.5 (default 1; lower is more sensitive)")
		case "factor":
			number(&a.Factor, "write a number such as 3 (default 2)")
		case "floor":
			number(&a.Floor, "write posts (or authors) per minute such as 2 (default 12; lower is more sensitive)")
		case "rearm":
			number(&a.Rearm, "write a number below the threshold such as 0.5 (default 0.25)")
		case "short_window":
			window(&a.ShortWindow)
		case "long_window":
			window(&a.LongWindow)
		case "count":
			switch {
			case n.Kind == yaml.ScalarNode && n.Value == "posts":
				a.Authors = false
			case n.Kind == yaml.ScalarNode && n.Value == "authors":
				a.Authors = true
			default:
				bad("posts or authors", "write posts (the default) or authors (distinct authors)")
			}
		case "include":
			if n.Kind != yaml.SequenceNode {
				bad("a list", "write a list of reposts, replies and links, e.g. [reposts, replies], or [] for none")
				break
			}
			for _, it := range n.Content {
				it = deref(it)
				switch {
				case it.Kind == yaml.ScalarNode && it.Value == "reposts":
					a.Reposts = true
				case it.Kind == yaml.ScalarNode && it.Value == "replies":
					a.Replies = true
				case it.Kind == yaml.ScalarNode && it.Value == "links":
					a.Links = true
				default:
					what := "a " + kindName(it)
					if it.Kind == yaml.ScalarNode {
						what = strconv.Quote(it.Value)
					}
					y.errorf(it, "write reposts, replies or links", "include lists reposts, replies or links, not %s", what)
					ok = false
				}
			}
		case "max_text":
			var chars int
			switch {
			case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && n.Value == "none":
				a.MaxText = -1
			case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" && n.Decode(&chars) == nil && chars > 0:
				a.MaxText = chars
			default:
				bad("a whole number above 0 or none", "write a number of characters such as 280 (default 140), or none for no limit")
			}
		case "cooldown":
			if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && n.Value == "none" {
				a.Cooldown = -1
				break
			}
			d, dok := duration()
			if !dok {
				bad("a duration of at least 0 or none", "write a duration such as 30m, or none (or 0) never to suppress a repeated alert")
				break
			}
			if d == 0 {
				d = -1 // 0 is unset: the --alert-cooldown flag's
			}
			a.Cooldown = d
		case "revival":
			var on bool
			switch {
			case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" && n.Decode(&on) == nil:
				a.NoRevival = !on
			case n.Kind == yaml.ScalarNode && (n.Value == "on" || n.Value == "off"):
				a.NoRevival = n.Value == "off"
			case n.Kind == yaml.MappingNode:
				ok = y.revivalSettings(n, a) && ok
			default:
				bad("on, off or settings", revivalHint)
			}
		default:
			y.errorf(k, "known settings: "+alertKeys, "unknown alert setting %q", k.Value)
			ok = false
		}
	}
	if !ok || *a == (Alert{}) {
		return nil, ok // settings that are all the defaults are none
	}
	return at(a), true
}

// ParseAlert parses a rule's alert settings as Alert.String writes them and
// the rules table keeps them ("off", "{floor: 2, revival: {quiet: 14d}}");
// nil for none ("", "on", "{}").
func ParseAlert(text string) (*Alert, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	y := &yamlRules{file: "alert", lines: []string{text}}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil || len(doc.Content) == 0 {
		return nil, fmt.Errorf("alert settings %q are not YAML", text)
	}
	a, ok := y.alert(doc.Content[0])
	if !ok {
		return nil, errors.Join(y.errs...)
	}
	return a, nil
}

// revivalHint shows the forms of an alert's `revival` setting.
const revivalHint = "write off to raise no revival alert for the rule (its bursts still alert), on (the default), or settings such as {quiet: 14d, floor: 3}"

// revivalSettings reads the mapping of a rule's `revival: {quiet: 14d,
// floor: 3}` into a, and reports whether it was valid (each error
// reported).
func (y *yamlRules) revivalSettings(m *yaml.Node, a *Alert) bool {
	ok := true
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, n := m.Content[i], deref(m.Content[i+1])
		if k.Kind != yaml.ScalarNode || seen[k.Value] {
			y.errorf(k, "write quiet and floor, each once", "a revival setting must be quiet or floor, once")
			ok = false
			continue
		}
		seen[k.Value] = true
		switch k.Value {
		case "quiet":
			d, dok := time.Duration(0), false
			if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
				d, dok = parseSpan(n.Value)
			}
			if !dok || d < MinRevivalQuiet || d > MaxRevivalQuiet || d%time.Hour != 0 {
				y.errorf(n, "write whole hours or days such as 14d or 36h, from 2h to 30d (default --revival-quiet, 72h)",
					"revival quiet must be whole hours from 2h to 30d, not %s", valueText(n))
				ok = false
				break
			}
			a.RevivalQuiet = d
		case "floor":
			var f int
			if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&f) != nil || f < 1 || f > 1_000_000 {
				y.errorf(n, "write a whole number of mentions an hour, such as 5 (default --revival-floor, 2)",
					"revival floor must be a whole number of mentions from 1, not %s", valueText(n))
				ok = false
				break
			}
			a.RevivalFloor = f
		default:
			y.errorf(k, "write quiet (a duration such as 14d) or floor (mentions an hour)", "unknown revival setting %q", k.Value)
			ok = false
		}
	}
	return ok
}

// valueText says what a setting's value is, for an error: its text
// quoted, nothing, or its kind.
func valueText(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" && n.Value == "":
		return "nothing"
	case n.Kind == yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "a " + kindName(n)
}

// deref follows a YAML alias to its anchored node.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// kindName names a YAML node's kind in errors.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}

// queryPos returns where the text of a query node starts, and whether the
// query stands verbatim on that line from there (a one-line plain or quoted
// scalar without escapes), so that columns inside it are columns in the file.
// Otherwise (block scalars, escapes, several lines) Col is the node's.
func (y *yamlRules) queryPos(n *yaml.Node, q string) (Pos, bool) {
	p := Pos{File: y.file, Line: n.Line, Col: n.Column}
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 || n.Line < 1 || n.Line > len(y.lines) {
		return p, false
	}
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		p.Col++
	}
	line := y.lines[n.Line-1]
	off := 0
	for c := 1; c < p.Col && off < len(line); c++ {
		_, size := utf8.DecodeRuneInString(line[off:])
		off += size
	}
	return p, !strings.ContainsAny(q, "\r\n") && strings.HasPrefix(line[off:], q)
}

// queryError places an error at character column te.col of the query held
// by node n: in the file when the query stands verbatim on its line,
// otherwise at the node, with the query shown and the caret under the column.
func (y *yamlRules) queryError(n *yaml.Node, q string, te *termError) *SyntaxError {
	p, verbatim := y.queryPos(n, q)
	if verbatim {
		p.Col += te.col - 1
		return &SyntaxError{Pos: p, Msg: te.msg, Hint: te.hint, Line: strings.TrimRight(y.lines[n.Line-1], "\r")}
	}
	return &SyntaxError{Pos: p, Msg: te.msg, Hint: te.hint, Line: q, caret: te.col}
}

// String writes the settings as a YAML flow value that parses back to
// them: "off", or "{floor: 2, count: authors, cooldown: 30m}" with the
// settings that are set, in the order docs/rules.md lists them; "{}" when
// none is.
func (a *Alert) String() string {
	if a.Off {
		return "off"
	}
	var parts []string
	num := func(k string, v float64) {
		if v != 0 {
			parts = append(parts, k+": "+strconv.FormatFloat(v, 'g', -1, 64))
		}
	}
	dur := func(k string, d time.Duration) {
		switch {
		case d < 0:
			parts = append(parts, k+": none")
		case d > 0:
			s := d.String()
			if strings.HasSuffix(s, "m0s") {
				s = s[:len(s)-2]
			}
			if strings.HasSuffix(s, "h0m") {
				s = s[:len(s)-2]
			}
			parts = append(parts, k+": "+s)
		}
	}
	num("threshold", a.Threshold)
	num("factor", a.Factor)
	num("floor", a.Floor)
	num("rearm", a.Rearm)
	dur("short_window", a.ShortWindow)
	dur("long_window", a.LongWindow)
	if a.Authors {
		parts = append(parts, "count: authors")
	}
	var inc []string
	for _, x := range []struct {
		on   bool
		name string
	}{{a.Reposts, "reposts"}, {a.Replies, "replies"}, {a.Links, "links"}} {
		if x.on {
			inc = append(inc, x.name)
		}
	}
	if len(inc) > 0 {
		parts = append(parts, "include: ["+strings.Join(inc, ", ")+"]")
	}
	switch {
	case a.MaxText < 0:
		parts = append(parts, "max_text: none")
	case a.MaxText > 0:
		parts = append(parts, "max_text: "+strconv.Itoa(a.MaxText))
	}
	dur("cooldown", a.Cooldown)
	if a.NoRevival {
		parts = append(parts, "revival: off")
	} else if a.RevivalQuiet != 0 || a.RevivalFloor != 0 {
		var rv []string
		if d := a.RevivalQuiet; d%(24*time.Hour) == 0 && d != 0 {
			rv = append(rv, "quiet: "+strconv.Itoa(int(d/(24*time.Hour)))+"d")
		} else if d != 0 {
			rv = append(rv, "quiet: "+strconv.Itoa(int(d/time.Hour))+"h")
		}
		if a.RevivalFloor != 0 {
			rv = append(rv, "floor: "+strconv.Itoa(a.RevivalFloor))
		}
		parts = append(parts, "revival: {"+strings.Join(rv, ", ")+"}")
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
