//go:build !purego

#include "textflag.h"

// skipWords is wordFilter.skipToGo with AVX2 and BMI2: the text is read 64
// bytes at a time into two masks (bytes that are not word bytes, from two
// nibble lookups per 32 bytes; non-ASCII bytes), and each word is found and
// keyed from the masks with a few independent instructions, without a
// branch per byte: in Go, the byte loop's exits at every word's start and
// end cost more than the automaton's steps it saves. It reads up to 72
// bytes past the text's end: skipTo calls it only when those are on the
// text's last page.

// wordFilter field offsets (skip_amd64.go checks them).
#define F_BITS 0
#define F_MASK 24
#define F_PREFIX 32

// LUT32 declares a 32-byte table of the 16 bytes lo, hi twice: one for each
// 128-bit lane of VPSHUFB.
#define LUT32(name, lo, hi) \
	DATA name+0(SB)/8, lo; \
	DATA name+8(SB)/8, hi; \
	DATA name+16(SB)/8, lo; \
	DATA name+24(SB)/8, hi; \
	GLOBL name(SB), RODATA|NOPTR, $32

// Word bytes [0-9A-Za-z_] by nibbles: a byte is one when the bits of its
// high nibble's entry and of its low nibble's entry meet.
LUT32(nibHi<>, $0x0802040201000000, $0)
LUT32(nibLo<>, $0x0F0F0F0F0F0F0F0D, $0x06020202020E0F0F)

DATA lower<>+0(SB)/8, $0x2020202020202020
GLOBL lower<>(SB), RODATA|NOPTR, $8

DATA bits64<>+0(SB)/8, $64
GLOBL bits64<>(SB), RODATA|NOPTR, $8

// NONWORD sets the low 32 bits of dst to the bytes of Y that are not word
// bytes (clobbers Y6, Y7).
#define NONWORD(Y, dst) \
	VPSRLW $4, Y, Y6; \
	VPAND Y0, Y6, Y6; \
	VPSHUFB Y6, Y1, Y6; \
	VPAND Y0, Y, Y7; \
	VPSHUFB Y7, Y2, Y7; \
	VPAND Y6, Y7, Y6; \
	VPCMPEQB Y3, Y6, Y6; \
	VPMOVMSKB Y6, dst

// HASH turns the key in CX (a word's bytes, masked) plus its extra into
// its bit index in CX and sets CF to the bit (clobbers AX).
#define HASH \
	IMULQ R15, CX; \
	SHRQ $40, CX; \
	ANDQ R9, CX; \
	MOVQ CX, AX; \
	SHRQ $6, AX; \
	MOVQ (R8)(AX*8), AX; \
	BTQ CX, AX

// Registers: SI the window, DI the text's end, R10 q (the end of the last
// word skipped before the window), R12 the window's non-word bytes, R13 its
// word starts left, R14 its first non-ASCII byte (64: none), BX where the
// next window starts (or, with a non-ASCII byte, where to stop), R11 the
// prefix lengths, R8 bits, R9 mask, R15 keyMul.

// LASTEND sets R10 to the end of the window's last word before offset p
// of the window, if there is one (clobbers AX, CX).
#define LASTEND(p) \
	MOVQ R12, AX; \
	NOTQ AX; \
	BZHIQ p, AX, AX; \
	BSRQ AX, CX; \
	JZ 2(PC); \
	LEAQ 1(SI)(CX*1), R10

// func skipWords(f *wordFilter, text []byte) int
TEXT ·skipWords(SB), NOSPLIT, $24-40
	MOVQ f+0(FP), AX
	MOVQ F_BITS(AX), R8
	MOVQ F_MASK(AX), R9
	MOVQ F_PREFIX(AX), R11
	MOVQ text_base+8(FP), SI
	MOVQ text_len+16(FP), DI
	ADDQ SI, DI
	MOVQ SI, R10
	MOVQ $0x9E3779B97F4A7C15, R15
	MOVL $0x0F0F0F0F, AX
	MOVD AX, X0
	VPBROADCASTD X0, Y0
	VMOVDQU nibHi<>(SB), Y1
	VMOVDQU nibLo<>(SB), Y2
	VPXOR Y3, Y3, Y3

window: // SI is the text's start or follows a byte that is not a word byte
	VMOVDQU (SI), Y4
	VMOVDQU 32(SI), Y5
	VPMOVMSKB Y4, R14
	VPMOVMSKB Y5, AX
	SHLQ $32, AX
	ORQ AX, R14
	NONWORD(Y4, R12)
	NONWORD(Y5, AX)
	SHLQ $32, AX
	ORQ AX, R12
	MOVQ DI, CX
	SUBQ SI, CX
	CMPQ CX, $64
	JAE full
	BZHIQ CX, R14, R14 // past the end: ASCII, not word bytes
	MOVQ $-1, AX
	SHLXQ CX, AX, AX
	ORQ AX, R12

full:
	MOVQ R12, R13
	SHLQ $1, R13
	ORQ $1, R13
	ANDNQ R13, R12, R13 // word starts
	MOVQ $64, BX
	TZCNTQ R14, R14
	CMPQ R14, $64
	JNE bounded
	BTQ $63, R12
	JCS words
	BSRQ R13, BX // the last word runs past the window: the next starts with it
	BTRQ BX, R13
	TESTQ BX, BX
	JNZ words
	JMP stop // a word of 64 bytes or more: scanned

bounded: // only the words before the first non-ASCII byte, and not one it ends
	MOVQ R14, BX
	BZHIQ R14, R13, R13
	TESTQ R14, R14
	JZ words
	LEAQ -1(R14), CX
	BTQ CX, R12
	JCS words
	BSRQ R13, BX
	BTRQ BX, R13

words:
	TESTQ R13, R13
	JZ windowEnd

word:
	TZCNTQ R13, AX // s
	SHRXQ AX, R12, DX
	TZCNTQ DX, DX // its length
	MOVQ (SI)(AX*1), CX
	LEAQ (DX*8), AX
	CMPQ AX, $64
	CMOVQHI bits64<>(SB), AX
	BZHIQ AX, CX, CX
	BZHIQ AX, lower<>(SB), AX
	ORQ AX, CX
	ADDQ DX, CX
	HASH
	JCS found // some term may start with it
	TESTQ R11, R11
	JNZ prefixes

next:
	BLSRQ R13, R13
	JNZ word

windowEnd:
	LASTEND(BX)
	CMPQ R14, $64
	JNE stop // a non-ASCII byte: the automaton starts at q
	ADDQ BX, SI
	CMPQ SI, DI
	JB window
	MOVQ DI, R10 // nothing left to scan
	JMP stop

found:
	TZCNTQ R13, BX
	LASTEND(BX)

stop:
	SUBQ text_base+8(FP), R10
	MOVQ R10, ret+32(FP)
	VZEROUPPER
	RET

prefixes: // the word's prefixes of the lengths in R11, shortest first
	MOVQ BX, nxt-8(SP)
	MOVQ R11, pre-16(SP)
	TZCNTQ R13, BX // s

prefix:
	TZCNTQ R11, AX
	JCS prefixesDone
	BLSRQ R11, R11
	INCQ AX
	CMPQ AX, DX
	JA prefixesDone // longer than the word, and so are the others
	MOVQ AX, p-24(SP)
	MOVQ (SI)(BX*1), CX
	SHLQ $3, AX
	BZHIQ AX, CX, CX
	BZHIQ AX, lower<>(SB), AX
	ORQ AX, CX
	ADDQ p-24(SP), CX
	ADDQ $256, CX
	HASH
	JCC prefix
	MOVQ pre-16(SP), R11
	JMP found

prefixesDone:
	MOVQ nxt-8(SP), BX
	MOVQ pre-16(SP), R11
	JMP next
