//go:build !amd64 || purego

package match

// canSkip is false: without the assembly the word filter costs more than
// the automaton's steps it saves (the byte loop's branches at every word),
// so the automaton reads every byte.
const canSkip = false

func skipWordsAt(f *wordFilter, text []byte) (int, bool) { return 0, false }

func skipDocs(f *wordFilter, docs []Doc, to []int32) { clear(to[:len(docs)]) }
