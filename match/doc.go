// Package match is earshot's keyword engine: it compiles listening rules into
// one Aho-Corasick automaton and reports which rules a post matches.
//
// Text is normalised inside the scan, without a separate pass: every rune is
// mapped to its match key (NFKD decomposition plus full Unicode case folding,
// so TERREMOTO, ｔｅｒｒｅｍｏｔｏ and terremoto are the same) and the text
// becomes a stream of folded UTF-8 bytes with a boundary symbol between
// tokens. Terms compile to the same stream, so whole-word matching, hashtags,
// @handles, phrases and substring matching for scripts written without spaces
// (Han, kana, Thai, …) all fall out of plain Aho-Corasick over that stream.
// The term syntax is documented in docs/rules.md.
//
// Rules come from keyword lists (one term per line, as lexicons are
// distributed) or YAML rules files; Parse detects which. Errors carry the
// file:line:col of the offending text (*SyntaxError).
//
// The automaton uses byte classes, complete DFA rows for the states nearest
// the root and sparse edges with fail links for deeper states, so that large
// rule sets stay small. An *Engine is immutable and safe for concurrent use;
// Match allocates nothing when dst has capacity.
//
// The package exports no Prometheus metrics: callers count matches.
package match
