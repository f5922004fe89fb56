//go:build !purego

package match

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// The assembly reads wordFilter at fixed offsets (see step_amd64.go).
const (
	_ = -unsafe.Offsetof(wordFilter{}.bits) // 0
	_ = -(unsafe.Offsetof(wordFilter{}.shift) ^ 24)
	_ = -(unsafe.Offsetof(wordFilter{}.prefix) ^ 32)
	_ = -(unsafe.Offsetof(wordFilter{}.cold) ^ 40)
	_ = -(unsafe.Offsetof(wordFilter{}.q2) ^ 48)
	_ = -(unsafe.Offsetof(wordFilter{}.q4) ^ 56)
	_ = -(unsafe.Offsetof(wordFilter{}.lat) ^ 64)
	_ = -(unsafe.Offsetof(wordFilter{}.c3) ^ 72)
	_ = -(unsafe.Offsetof(wordFilter{}.mul) ^ 80)
	_ = -unsafe.Offsetof(Doc{}.Text) // 0: a Doc starts with its text's header
	_ = -(uintptr(keyPrefix) ^ 256)
	_ = -(uintptr(keyExtra) ^ 0x7F4A7C15)
	_ = -(uintptr(keyLens) ^ 64)    // the masks at bits-1024, the extras at bits-512
	_ = -(uintptr(-skippedAll) ^ 2) // skipAll stores -2
	_ = -(uintptr(maxCopy) ^ 512)   // FRAMECOPY
	_ = -(uintptr(skipReach) ^ 72)  // the frame: 632 = FRAMECOPY+skipReach+48
)

// skipTexts is wordFilter.skipToGo in assembly (skip_amd64.s says why), for
// n texts: the []byte headers at texts, stride bytes apart. It sets *to,
// and the int32s after it, to each text's result (skippedAll for its
// length). A text whose end is within skipReach bytes of its page's end
// (the assembly reads that far past it) is filtered in a copy in the
// frame, or, longer than maxCopy, gets far.
//
//go:noescape
func skipTexts(f *wordFilter, texts unsafe.Pointer, n, stride int, to *int32, far int)

// canSkip reports whether this CPU runs skipTexts (AVX2, BMI1, BMI2:
// x86-64-v3).
var canSkip = cpu.X86.HasAVX2 && cpu.X86.HasBMI1 && cpu.X86.HasBMI2

// skipWordsAt runs skipTexts on text. ok is false for a text longer than
// maxCopy that ends within skipReach bytes of its page's end.
func skipWordsAt(f *wordFilter, text []byte) (int, bool) {
	var s int32
	skipTexts(f, unsafe.Pointer(&text), 1, int(unsafe.Sizeof(text)), &s, farText)
	switch s {
	case farText:
		return 0, false
	case skippedAll:
		return len(text), true
	}
	return int(s), true
}

// skipDocs sets to[k] to skipTo(docs[k].Text) for every document, in one
// call (a call per text cost about 17 ns, as much as a short post's words),
// or to skippedAll when that is the text's length: the caller need not
// read the document's header to know; or to 0 (scan it whole) for a text
// longer than maxCopy that ends within skipReach bytes of its page's end.
func skipDocs(f *wordFilter, docs []Doc, to []int32) {
	if len(docs) > 0 {
		skipTexts(f, unsafe.Pointer(&docs[0]), len(docs), int(unsafe.Sizeof(docs[0])), &to[:len(docs)][0], 0)
	}
}
