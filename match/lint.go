package match

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"earshot/match/query"
)

// Warning is something about a rule that compiles but is probably not what
// its author meant (Lint).
type Warning struct {
	Pos  Pos    // the rule's query, or the term the warning is about
	Rule string // the rule's id
	Msg  string
	Hint string // what to do about it; may be empty
}

func (w Warning) String() string {
	s := fmt.Sprintf("%s: warning: rule %q %s", w.Pos, w.Rule, w.Msg)
	if w.Hint != "" {
		s += " (hint: " + w.Hint + ")"
	}
	return s
}

// Lint returns warnings about the rules in force, in the order of Rules:
//
//   - a query no post can match (quake -quake, lang:es lang:pt,
//     author.followers:>100 author.followers:<50): query.Program.Satisfiable;
//   - a term among the commonest words of the languages listened to (the,
//     de, que, rt, …), or a short prefix of one (th*), that matches the rule
//     on its own: the rule would match a large share of all posts;
//   - a rule that repeats an earlier one: the same query (operands in any
//     order), diacritics setting, route, tags, level and alert settings.
//
// A query too large to judge is not judged. Lint is for `earshot rules
// check` and the log of a reload; it allocates.
func (e *Engine) Lint() []Warning {
	var out []Warning
	seen := map[string]int{} // canonical query, diacritics and route -> rule
	for r := range e.rules {
		rule := &e.rules[r]
		prog := e.progs[r]
		if prog == nil {
			if w, ok := commonTerm(e.ruleTerm[r]); ok {
				out = append(out, Warning{Pos: rule.Pos, Rule: rule.ID, Msg: fmt.Sprintf("matches every post with %q, one of the commonest words", w),
					Hint: "a keyword list's line is a rule of its own: remove it, or write a YAML rule that needs another term with it"})
			}
		} else {
			if sat, ok := prog.Satisfiable(); ok && !sat {
				out = append(out, Warning{Pos: rule.Pos, Rule: rule.ID, Msg: "can never match: no post can satisfy " + prog.Written(),
					Hint: "look for a term both required and negated, or filters that exclude each other, such as lang:es with lang:pt"})
			}
			for i, t := range prog.Terms {
				w, common := commonTerm(t)
				if !common || !prog.Positive(i) || prog.Raw(i) {
					continue
				}
				if alone, ok := prog.MatchesAlone(i); ok && alone {
					out = append(out, Warning{Pos: termPos(rule, prog, i), Rule: rule.ID,
						Msg:  fmt.Sprintf("matches every post with %q, one of the commonest words, whatever else it holds", w),
						Hint: "require another term with it (AND), or quote it in a phrase"})
				}
			}
		}
		// A rule that repeats another in all it does: the same posts (query,
		// diacritics), routed, tagged, levelled and alerted on alike.
		key := rule.Query
		if prog != nil {
			key = prog.Key()
		}
		alert := ""
		if rule.Alert != nil {
			alert = rule.Alert.String()
		}
		tags := slices.Sorted(slices.Values(rule.Tags))
		key = fmt.Sprintf("%s\x00%v\x00%s\x00%s\x00%q\x00%s", key, rule.IgnoreDiacritics, rule.Route, rule.Level, tags, alert)
		if first, ok := seen[key]; ok {
			out = append(out, Warning{Pos: rule.Pos, Rule: rule.ID, Msg: fmt.Sprintf("repeats rule %q (%s): the same query, route, tags, level and alert settings", e.rules[first].ID, e.rules[first].Pos),
				Hint: "remove one"})
		} else {
			seen[key] = r
		}
	}
	return out
}

// commonTerm reports whether a term (as the engine reads it) matches one of
// commonWords by itself: the word in any case, or a prefix of three letters
// or fewer that starts one. It returns the word.
func commonTerm(t string) (string, bool) {
	prefix := strings.HasSuffix(t, "*")
	w := strings.ToLower(strings.TrimSuffix(t, "*"))
	if strings.ContainsAny(w, ` "#@`) || w == "" {
		return "", false // a phrase or a tag: not the bare word
	}
	for _, c := range commonWords {
		if c == w || prefix && utf8.RuneCountInString(w) <= 3 && strings.HasPrefix(c, w) {
			return c, true
		}
	}
	return "", false
}

// termPos returns where Terms[i] is written in rule's query.
func termPos(rule *Rule, prog *query.Program, i int) Pos {
	p := rule.Pos
	if p.Col > 0 && !quotedKeyword(rule) {
		if off := prog.TermCol(i) - 1; off <= len(rule.Query) {
			p.Col += utf8.RuneCountInString(rule.Query[:off])
		}
	}
	return p
}
