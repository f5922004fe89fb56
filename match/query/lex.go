package query

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of the language.
const (
	// MaxQueryBytes bounds the length of one query.
	MaxQueryBytes = 64 << 10
	// MaxNearDistance bounds n in NEAR/n and ONEAR/n.
	MaxNearDistance = 100
	// maxDepth bounds the nesting of parentheses and NOT.
	maxDepth = 64
)

// Error is a syntax error in a query. Col is the 1-based byte column in the
// query text (len(src)+1 for "at the end"); callers that show character
// columns convert with utf8.RuneCountInString(src[:Col-1])+1.
type Error struct {
	Col  int
	Msg  string
	Hint string // what to do about it; may be empty
}

func (e *Error) Error() string {
	if e.Hint == "" {
		return fmt.Sprintf("col %d: %s", e.Col, e.Msg)
	}
	return fmt.Sprintf("col %d: %s (hint: %s)", e.Col, e.Msg, e.Hint)
}

type tokKind uint8

const (
	tEOF tokKind = iota
	tTerm
	tField
	tLParen
	tRParen
	tAnd
	tOr
	tNot
	tNear
)

// token is one lexical token; off is its byte offset in the source.
type token struct {
	kind tokKind
	off  int
	text string // tTerm: the engine term; tAnd/tOr/tNot/tNear: the operator as written
	qtxt string // tTerm: the term as written in the query language
	dist int    // tNear
	ord  bool   // tNear: ONEAR
	raw  bool   // tTerm: raw:term, matched only as written (case, accents, width)
	flt  filter // tField
}

func isDelim(r rune) bool { return r == '(' || r == ')' || r == '"' || unicode.IsSpace(r) }

// lex splits src into tokens. It reports the first lexical error.
func lex(src string) ([]token, *Error) {
	var toks []token
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRuneInString(src[i:])
		switch {
		case unicode.IsSpace(r):
			i += n
		case r == '(':
			toks = append(toks, token{kind: tLParen, off: i})
			i++
		case r == ')':
			toks = append(toks, token{kind: tRParen, off: i})
			i++
		case r == '"':
			t, end, err := lexPhrase(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i = end
		case r == '-' && i+1 < len(src) && !startsDelimOrClose(src[i+1:]):
			toks = append(toks, token{kind: tNot, off: i, text: "-"})
			i++
		default:
			end := i
			for end < len(src) {
				r, n := utf8.DecodeRuneInString(src[end:])
				if isDelim(r) {
					break
				}
				end += n
			}
			if w := src[i:end]; end < len(src) && src[end] == '"' && strings.EqualFold(w, rawPrefix) { // raw:"a phrase"
				t, next, err := lexPhrase(src, end)
				if err != nil {
					return nil, err
				}
				t.off, t.qtxt, t.raw = i, w+t.qtxt, true
				toks = append(toks, t)
				i = next
				continue
			}
			if w := src[i:end]; end < len(src) && src[end] == '"' && strings.HasSuffix(w, ":") {
				if name, ok := fieldName(w + "x"); ok { // name:"a quoted value"
					t, next, err := lexQuotedField(src, name, i, end)
					if err != nil {
						return nil, err
					}
					toks = append(toks, t)
					i = next
					continue
				}
			}
			if end < len(src) && src[end] == '"' {
				return nil, &Error{Col: end + 1, Msg: "double quote inside a term",
					Hint: `quote the whole phrase: "like this", or put a space before the quote`}
			}
			t, err := lexWord(src[i:end], i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i = end
		}
	}
	return append(toks, token{kind: tEOF, off: len(src)}), nil
}

// startsDelimOrClose reports whether s starts with whitespace or ')': a '-'
// followed by them is not the NOT shorthand.
func startsDelimOrClose(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return r == ')' || unicode.IsSpace(r)
}

// lexPhrase reads a quoted phrase starting at src[i] == '"', with an
// optional '*' right after the closing quote.
func lexPhrase(src string, i int) (token, int, *Error) {
	j := strings.IndexByte(src[i+1:], '"')
	if j < 0 {
		return token{}, 0, &Error{Col: i + 1, Msg: "unterminated phrase", Hint: `close the phrase with a double quote: "like this"`}
	}
	end := i + 1 + j + 1 // just after the closing quote
	body := src[i+1 : end-1]
	if strings.TrimSpace(body) == "" {
		return token{}, 0, &Error{Col: i + 1, Msg: "empty phrase", Hint: "write the words between the quotes"}
	}
	t := token{kind: tTerm, off: i, text: src[i:end], qtxt: src[i:end]}
	if end < len(src) && src[end] == '*' {
		if strings.IndexByte(body, '*') >= 0 {
			return token{}, 0, &Error{Col: end + 1, Msg: "a phrase with a literal * cannot end in a wildcard",
				Hint: "drop the * inside the quotes or the one after them"}
		}
		end++
		t.text, t.qtxt = strings.TrimSpace(body)+"*", src[i:end]
	}
	if end < len(src) {
		if r, _ := utf8.DecodeRuneInString(src[end:]); !isDelim(r) {
			return token{}, 0, &Error{Col: end + 1, Msg: "unexpected text after the phrase",
				Hint: "put a space between the phrase and the next term"}
		}
	}
	return t, end, nil
}

// lexQuotedField reads a field filter whose value is quoted, name:"value",
// starting at src[i]; the quote is at src[q].
func lexQuotedField(src, name string, i, q int) (token, int, *Error) {
	j := strings.IndexByte(src[q+1:], '"')
	if j < 0 {
		return token{}, 0, &Error{Col: q + 1, Msg: "unterminated value", Hint: `close the value with a double quote: author.bio:"like this"`}
	}
	end := q + 1 + j + 1
	if end < len(src) {
		if r, _ := utf8.DecodeRuneInString(src[end:]); !isDelim(r) {
			return token{}, 0, &Error{Col: end + 1, Msg: "unexpected text after the value",
				Hint: "put a space between the filter and the next term"}
		}
	}
	f, err := parseFilter(name, src[q+1:end-1], i, q+1)
	if err != nil {
		return token{}, 0, err
	}
	return token{kind: tField, off: i, flt: f}, end, nil
}

// lexWord classifies a bare word: an operator, a field filter or a term.
func lexWord(w string, off int) (token, *Error) {
	switch w {
	case "AND", "&&":
		return token{kind: tAnd, off: off, text: w}, nil
	case "OR", "||":
		return token{kind: tOr, off: off, text: w}, nil
	case "NOT":
		return token{kind: tNot, off: off, text: w}, nil
	case "NEAR", "ONEAR":
		return token{}, &Error{Col: off + 1, Msg: w + " needs a distance",
			Hint: "write " + w + `/5 for at most 5 words between, or "` + strings.ToLower(w) + `" to search the word`}
	}
	for _, op := range [...]string{"NEAR/", "ONEAR/"} {
		if !strings.HasPrefix(w, op) {
			continue
		}
		num := w[len(op):]
		n, err := strconv.Atoi(num)
		if err != nil || n < 0 || n > MaxNearDistance || num[0] == '+' {
			return token{}, &Error{Col: off + len(op) + 1, Msg: fmt.Sprintf("invalid distance %q", num),
				Hint: fmt.Sprintf("write a number of words from 0 to %d, e.g. %s5", MaxNearDistance, op)}
		}
		return token{kind: tNear, off: off, text: w, dist: n, ord: op == "ONEAR/"}, nil
	}
	if len(w) >= len(rawPrefix) && strings.EqualFold(w[:len(rawPrefix)], rawPrefix) {
		t, err := lexWord(w[len(rawPrefix):], off+len(rawPrefix))
		if err == nil && (t.kind != tTerm || t.text == "") {
			err = &Error{Col: off + len(rawPrefix) + 1, Msg: "raw: needs a term after it",
				Hint: `write the term as it must be written: raw:Apple, raw:"Apple Music"`}
		}
		if err != nil {
			return token{}, err
		}
		t.off, t.qtxt, t.raw = off, w[:len(rawPrefix)]+t.qtxt, true
		return t, nil
	}
	if name, ok := fieldName(w); ok {
		f, err := parseFilter(name, w[len(name)+1:], off, off+len(name)+1)
		if err != nil {
			return token{}, err
		}
		return token{kind: tField, off: off, flt: f}, nil
	}
	if i := strings.IndexByte(w, '*'); i >= 0 && i != len(w)-1 {
		return token{}, &Error{Col: off + i + 1, Msg: "wildcard * is only allowed at the end of a term",
			Hint: "write a prefix followed by *, e.g. earthquak*"}
	}
	if w == "*" {
		return token{}, &Error{Col: off + 1, Msg: "wildcard * must follow a letter or digit",
			Hint: "write a prefix followed by *, e.g. earthquak*"}
	}
	return token{kind: tTerm, off: off, text: w, qtxt: w}, nil
}

// rawPrefix marks a term matched only as written: raw:Apple matches
// "Apple", not "apple" or "APPLE".
const rawPrefix = "raw:"

// fieldName reports whether w looks like a field filter, name:value, where
// the name is ASCII letters and dots starting with a letter.
func fieldName(w string) (string, bool) {
	i := strings.IndexByte(w, ':')
	if i <= 0 {
		return "", false
	}
	for j := 0; j < i; j++ {
		c := w[j] | 0x20
		if !(c >= 'a' && c <= 'z' || j > 0 && w[j] == '.') {
			return "", false
		}
	}
	return w[:i], true
}

// Literal returns a query that matches exactly the one engine term t, for
// keyword lists whose lines are single terms: t itself when the query
// language reads it as that term, otherwise t quoted ("flood victims",
// "https://t.co", "-5"); a multi-word term with a trailing wildcard becomes a
// phrase prefix ("flood victim"*). Terms the engine would reject anyway (a
// '"' inside, '*' in the middle) are returned unchanged so that the engine
// reports them.
func Literal(t string) string {
	toks, err := lex(t)
	if err == nil && len(toks) == 2 && toks[0].kind == tTerm && toks[0].text == t {
		return t
	}
	if len(t) >= 2 && t[0] == '"' && strings.IndexByte(t[1:], '"') == len(t)-2 {
		return t // already a phrase
	}
	if strings.IndexByte(t, '"') >= 0 {
		return t
	}
	body, star := t, ""
	if strings.HasSuffix(t, "*") {
		body, star = t[:len(t)-1], "*"
	}
	if strings.IndexByte(body, '*') >= 0 || strings.TrimSpace(body) == "" {
		return t
	}
	return `"` + body + `"` + star
}
