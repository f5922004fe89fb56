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
// distributed) or YAML rules files; Parse detects which. LoadPath reads one
// file or a directory of them (one per team, or a Kubernetes ConfigMap's
// keys) as one rule set, ids unique across files. A rule's query is in
// the rule language of earshot/match/query (AND, OR, NOT, phrases, NEAR/n,
// ONEAR/n, prefixes, field filters). Errors carry the file:line:col of the
// offending text (*SyntaxError).
//
// Compile builds one automaton over the distinct terms of all rules (a
// second one over the accent-stripped terms of diacritic-insensitive rules)
// and an index from each term to the rules using it. Match scans a post once,
// MatchBatch a batch of posts as one stream through the lanes (the
// pipeline's way: without the per-post fixed costs of a scan), both from the
// first word or letter some term may start with (on x86-64-v3 the ASCII
// words before it are keyed in a hash set of the terms' first words, and
// Han and kana letters, punctuation and emoji no term starts with are read
// on: skip.go), and then: a rule whose query is one term or an OR of terms
// matches as soon as one occurs; any other rule is evaluated only when one of its triggers
// occurs (query.Program.Triggers: for a AND b one of them, never a negated
// term), with the post's fields and, for NEAR/ONEAR, the positions of its
// terms.
//
// The automaton uses byte classes, complete DFA rows for the states nearest
// the root and sparse edges with fail links for deeper states, so that large
// rule sets stay small. A text of 48 bytes or more is scanned in two lanes
// stepped in lockstep, whose chains of table loads overlap; non-ASCII runes
// that start no term are skipped without stepping their keys
// (docs/matcher-performance.md). On amd64 the lanes' steps (ASCII bytes,
// two-byte letters, punctuation and emoji no term starts with) are in
// assembly (step_amd64.s: the Go compiler puts an addition on the chain of
// loads); the build tag purego selects the portable Go steps (step.go),
// which every other platform runs. An *Engine is immutable and safe for
// concurrent use; Match allocates nothing when dst has capacity, MatchBatch
// nothing once its Batch has grown (rules that need evaluation take their
// working memory from a sync.Pool).
//
// For tooling that explains rules to a person, Explain reports the term
// occurrences that made each rule match, and Why every part of the queries
// of the rules that matched or have a term in the post, and whether each
// holds (`earshot rules test --why`). Both allocate. Lint warns about rules
// that compile but are probably mistakes: a query no post can match, a
// common word that matches a rule on its own, a repeated rule.
//
// Match itself exports no Prometheus metrics: callers count matches. The
// Reloader, which keeps an Engine in step with a rules file or directory,
// exports:
//
//	earshot_rules_reloads_total{result="ok|error|unchanged"}  reload attempts
//	earshot_rules_active                                      enabled rules in the active engine
//	earshot_rules_last_reload_success_timestamp_seconds       when the active engine was loaded
//	earshot_rules_warnings                                    warnings about the active rules (Lint)
package match
