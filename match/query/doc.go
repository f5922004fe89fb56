// Package query is earshot's rule language: it parses a rule's query — terms
// combined with AND, OR, NOT, proximity (NEAR/n, ONEAR/n) and field filters
// such as lang:es, author:handle or author.followers:>=1000 — and compiles it into a
// Program: the flat list of distinct terms the keyword automaton has to find,
// and an evaluator that decides, from which terms occurred (and where) and
// from the post's fields, whether the rule matches.
//
// The syntax and its precedence are documented in docs/rules.md. In short:
//
//	quake OR sismo OR "terremoto fuerte"      any of the terms
//	quake tsunami                             both (adjacent operands are ANDed)
//	(sismo OR temblor) -simulacro lang:es     NOT shorthand, field filter
//	"flood victims" NEAR/3 (rescue OR help)   within 3 words, any order
//	alert ONEAR/2 earthquak*                  alert first, at most 2 words between
//	"red light" -author:XboxSupport           not by that author
//	sismo author.bio:"de guardia"             the author's bio holds the words
//	raw:US region:US-TX city:"Houston"        US as written, posted from Houston, Texas
//
// Precedence, tightest first: parentheses, NEAR/ONEAR, NOT (and -), AND
// (and && and juxtaposition), OR (and ||).
//
// Term text is not interpreted here: a Program's Terms are handed verbatim to
// the engine, which folds case and width and checks the term syntax. A query
// must need at least one of its terms to match: pure negations and queries
// made only of field filters are rejected, because the engine evaluates a
// rule only when one of its terms occurred.
//
// A Program is immutable and safe for concurrent use; Eval allocates nothing.
// For tooling, Trace evaluates every part of a query for a post (why it
// matched or not), Satisfiable says whether any post can match it at all,
// MatchesAlone whether one term alone can, and Key gives a form that is the
// same for queries that differ only in the order of their operands.
// A term written raw:Term is matched only as written (Raw): the engine
// checks that on the occurrences it finds.
// The package exports no Prometheus metrics.
package query
