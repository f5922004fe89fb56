//go:build !purego

package match

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// The assembly reads wordFilter at fixed offsets (see step_amd64.go).
const (
	_ = -unsafe.Offsetof(wordFilter{}.bits) // 0
	_ = -(unsafe.Offsetof(wordFilter{}.mask) ^ 24)
	_ = -(unsafe.Offsetof(wordFilter{}.prefix) ^ 32)
	_ = -(unsafe.Offsetof(wordFilter{}.cold) ^ 40)
	_ = -(unsafe.Offsetof(wordFilter{}.q2) ^ 48)
	_ = -(unsafe.Offsetof(wordFilter{}.q4) ^ 56)
	_ = -(unsafe.Offsetof(wordFilter{}.lat) ^ 64)
	_ = -(unsafe.Offsetof(wordFilter{}.c3) ^ 72)
	_ = -(uintptr(keyPrefix) ^ 256)
	_ = -(uintptr(keyShift) ^ 40)
	_ = -(uintptr(keyMul) ^ 0x9E3779B97F4A7C15)
)

// skipWords is wordFilter.skipToGo in assembly (skip_amd64.s says why).
//
//go:noescape
func skipWords(f *wordFilter, text []byte) int

// canSkip reports whether this CPU runs skipWords (AVX2, BMI1, BMI2:
// x86-64-v3).
var canSkip = cpu.X86.HasAVX2 && cpu.X86.HasBMI1 && cpu.X86.HasBMI2

// skipWordsAt runs skipWords where it may read past the text's end: when
// that stays on the page of the text's last byte. ok is false elsewhere.
func skipWordsAt(f *wordFilter, text []byte) (int, bool) {
	end := uintptr(unsafe.Pointer(unsafe.SliceData(text))) + uintptr(len(text))
	if off := end & 4095; off == 0 || off > 4096-skipReach {
		return 0, false
	}
	return skipWords(f, text), true
}
