//go:build !purego

#include "textflag.h"

// skipTexts is wordFilter.skipToGo with AVX2 and BMI2, for many texts in
// one call: each text is read 64 bytes at a time into two masks (bytes that
// are not word bytes, from two nibble lookups per 32 bytes; non-ASCII bytes,
// less the bytes of c3Letter letters), and each word is found and keyed
// from the masks with a few independent instructions, without a branch per
// byte: in Go, the byte loop's exits at every word's start and end cost
// more than the automaton's steps it saves. An emoji no term starts with
// between ASCII bytes is read like a space inside the window (emoji); at
// any other non-ASCII byte, a run of cold runes is read one rune at a time. A word with another two-byte
// letter or mark (wordFilter.lat) is keyed rune by rune (latWord), and the
// windows go on after it. It reads up to 72 bytes past a text's end
// (skipReach), so a text whose end is closer than that to its page's end is
// filtered in a copy on the stack (1.8% of texts at random places), or, if
// it is longer than FRAMECOPY bytes, gets the argument far.

// FRAMECOPY is maxCopy (skip_amd64.go checks it): the longest text filtered
// in a copy, in the frame's buffer of FRAMECOPY+72 bytes at buf-632(SP),
// below the other locals (the frame is 632 bytes: 512+72+48, within what
// a NOSPLIT function may take; with a larger frame and the stack check it
// brings, the code after the prologue moved and MatchBatch measured 2-3%
// slower).
#define FRAMECOPY 512

// wordFilter field offsets (skip_amd64.go checks them).
#define F_BITS 0
#define F_SHIFT 24
#define F_PREFIX 32
#define F_COLD 40
#define F_Q2 48
#define F_Q4 56
#define F_LAT 64
#define F_C3 72
#define F_MUL 80

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


// BYTES32 declares 32 bytes of b.
#define BYTES32(name, b) \
	DATA name+0(SB)/8, b; \
	DATA name+8(SB)/8, b; \
	DATA name+16(SB)/8, b; \
	DATA name+24(SB)/8, b; \
	GLOBL name(SB), RODATA|NOPTR, $32

BYTES32(bC3<>, $0xC3C3C3C3C3C3C3C3)
BYTES32(bBF<>, $0xBFBFBFBFBFBFBFBF)
BYTES32(b20<>, $0x2020202020202020)
BYTES32(bB7<>, $0xB7B7B7B7B7B7B7B7)
BYTES32(b9F<>, $0x9F9F9F9F9F9F9F9F)

// C3LEADS sets the low 32 bits of dst to the bytes of Y that start a
// c3Letter letter, whose second bytes are at trail (clobbers Y6, Y7, Y14,
// Y15): C3 followed by a continuation byte other than 97, B7 (× ÷) and 9F
// (ß).
#define C3LEADS(Y, trail, dst) \
	VMOVDQU trail, Y6; \
	VPCMPEQB bC3<>(SB), Y, Y7; \
	VPCMPGTB bBF<>(SB), Y6, Y14 /* not a continuation byte: signed > -65 */; \
	VPOR b20<>(SB), Y6, Y15; \
	VPCMPEQB bB7<>(SB), Y15, Y15; \
	VPOR Y15, Y14, Y14; \
	VPCMPEQB b9F<>(SB), Y6, Y15; \
	VPOR Y15, Y14, Y14; \
	VPANDN Y7, Y14, Y7; \
	VPMOVMSKB Y7, dst

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

// MASKKEY sets the 0x20 bits of the 8 bytes loaded in CX and keeps the
// first AX/8 (AX ≤ 64, or 8-byte multiples the low 8 bits of which are 64
// or more): a key's bytes, letters lower-cased.
#define MASKKEY \
	ORQ lower<>(SB), CX; \
	BZHIQ AX, CX, CX

// BIT sets CF to bit CX of the filter's table (clobbers AX).
#define BIT \
	MOVQ CX, AX; \
	SHRQ $6, AX; \
	MOVQ (R8)(AX*8), AX; \
	BTQ CX, AX

// HASH hashes the key in CX (a word's bytes, masked, plus its extra) and
// sets CF to its first bit: the product's top bits (clobbers AX, CX; the
// product stays in prod for SECOND).
#define HASH \
	IMULQ R15, CX; \
	MOVQ CX, prod-40(SP); \
	SHRXQ R9, CX, CX; \
	BIT

// SECOND sets CF to the last key's second bit, the product's next bits
// (clobbers AX, CX): tested only when the first is set.
#define SECOND \
	MOVQ $64, AX; \
	SUBQ R9, AX; \
	MOVQ prod-40(SP), CX; \
	SHLXQ AX, CX, CX; \
	SHRXQ R9, CX, CX; \
	BIT

// WORDBYTE sets CF when the ASCII byte c is a word byte, [0-9A-Za-z_]
// (clobbers t and u).
#define WORDBYTE(c, t, u) \
	MOVQ $0x03FF000000000000, t /* the word bytes among 0x00-0x3F: digits */; \
	MOVQ $0x07FFFFFE87FFFFFE, u /* among 0x40-0x7F: letters, '_' */; \
	CMPL c, $64; \
	CMOVQCC u, t; \
	BTQ c, t

// INTEXT goes to fail unless byte n of the rune at BX is before the
// text's end DI (clobbers AX).
#define INTEXT(n, fail) \
	LEAQ n(BX), AX; \
	CMPQ AX, DI; \
	JAE fail

// CONTBITS loads byte off of the rune at BX into reg as its continuation
// bits, or goes to fail when it is not a continuation byte.
#define CONTBITS(off, reg, fail) \
	MOVBLZX off(BX), reg; \
	XORL $0x80, reg; \
	CMPL reg, $0x40; \
	JAE fail

// COLDBIT goes to fail unless bit CX of word DX of the filter's table at
// offset field is set (clobbers AX).
#define COLDBIT(field, fail) \
	MOVQ f+0(FP), AX; \
	MOVQ field(AX), AX; \
	MOVQ (AX)(DX*8), AX; \
	BTQ CX, AX; \
	JCC fail

// COLD sets CX to the length of the cold rune (wordFilter.cold, q2, q4)
// at BX, before the text's end DI, or goes to fail when there is none (it
// clobbers AX and DX). two, four and ok are its labels, one set per use.
#define COLD(fail, two, four, ok) \
	MOVBLZX (BX), CX; \
	CMPL CX, $0xE0; \
	JB two; \
	CMPL CX, $0xF0; \
	JAE four; \
	INTEXT(2, fail); \
	MOVL (BX), CX; \
	MOVL CX, DX; \
	ANDL $0xC0C0F0, DX; \
	CMPL DX, $0x8080E0 /* a three-byte rune */; \
	JNE fail; \
	MOVL CX, DX; \
	ANDL $0x0F, DX; \
	SHLL $6, DX; \
	MOVL CX, AX; \
	SHRL $8, AX; \
	ANDL $0x3F, AX; \
	ORL AX, DX /* (b0&0x0F)<<6 | b1&0x3F */; \
	SHRL $16, CX /* bit b2&0x3F */; \
	COLDBIT(F_COLD, fail); \
	MOVL $3, CX; \
	JMP ok; \
two: \
	CMPL CX, $0xC2; \
	JB fail; \
	INTEXT(1, fail); \
	CONTBITS(1, DX, fail); \
	ANDL $0x1F, CX; \
	SHLL $6, CX; \
	ORL DX, CX; \
	SUBL $0x80, CX /* rune - 0x80 */; \
	MOVL CX, DX; \
	SHRL $6, DX; \
	COLDBIT(F_Q2, fail); \
	MOVL $2, CX; \
	JMP ok; \
four: \
	CMPL CX, $0xF0; \
	JNE fail; \
	INTEXT(3, fail); \
	CMPB 1(BX), $0x9F; \
	JNE fail; \
	CONTBITS(2, DX, fail) /* U+1F000..U+1FFFF: word b2&0x3F, bit b3&0x3F */; \
	CONTBITS(3, CX, fail); \
	COLDBIT(F_Q4, fail); \
	MOVL $4, CX; \
ok:

// Registers: SI the window, DI the text's end, R10 q (the end of the last
// word skipped before the window), R12 the window's non-word bytes, R13 its
// word starts left, R14 its first non-ASCII byte (64: none; the bytes of
// c3Letter letters count as ASCII word bytes when the filter's c3 is set),
// BX where the next window starts (or, with a non-ASCII byte, where to
// stop), R11 the prefix lengths, R8 bits, R9 shift, R15 the multiplier.

// WORDPROD sets CX to the product of the key of the window's next word
// (the lowest bit of R13) and the multiplier (clobbers AX; DX is the word's
// length, below 64): its first 8 bytes, 0x20 set on each, masked to its
// length, plus its extra, both from the table before the filter's bits
// (newKeyTable).
#define WORDPROD \
	TZCNTQ R13, AX /* s */; \
	SHRXQ AX, R12, DX; \
	TZCNTQ DX, DX /* its length */; \
	MOVQ (SI)(AX*1), CX; \
	ORQ lower<>(SB), CX; \
	ANDQ -1024(R8)(DX*8), CX; \
	ADDQ -512(R8)(DX*8), CX; \
	IMULQ R15, CX

// WORDKEY keys the window's next word and goes to maybe when its first bit
// is set (clobbers AX, CX; DX is the word's length).
#define WORDKEY(maybe) \
	WORDPROD; \
	SHRXQ R9, CX, CX; \
	BIT; \
	JCS maybe /* some term may start with it */

// LASTEND sets R10 to the end of the window's last word before offset p
// of the window, if there is one (clobbers AX, CX).
#define LASTEND(p) \
	MOVQ R12, AX; \
	NOTQ AX; \
	BZHIQ p, AX, AX; \
	BSRQ AX, CX; \
	JZ 2(PC); \
	LEAQ 1(SI)(CX*1), R10

// PREFETCHTEXT asks for the first 192 bytes of the text k texts after this
// one, if there is one, to be brought into the cache (clobbers AX): its
// header is in the Doc that the hardware prefetcher brings, but its bytes
// are wherever it was allocated. Texts in separate allocations in random
// order: MatchBatch 373-375 -> 657-669 MB/s at 1k terms (texts one after
// another: ±0).
#define PREFETCHTEXT(k, none) \
	CMPQ n+16(FP), $k; \
	JBE none; \
	MOVQ stride+24(FP), AX; \
	IMUL3Q $k, AX, AX; \
	ADDQ texts+8(FP), AX; \
	MOVQ 0(AX), AX; \
	PREFETCHT0 (AX); \
	PREFETCHT0 64(AX); \
	PREFETCHT0 128(AX); \
none:

// func skipTexts(f *wordFilter, texts unsafe.Pointer, n, stride int, to *int32, far int)
//
// The n texts are []byte headers stride bytes apart from texts; the
// arguments texts, n and to advance as they are done (the registers hold
// one text's state). A text is one or more windows, from its start
// (text), and its result is stored at stop (skippedAll at skipAll, far at
// farLong; a text near its page's end is copied at far).
TEXT ·skipTexts(SB), NOSPLIT, $632-48
	MOVQ f+0(FP), AX
	MOVQ F_BITS(AX), R8
	MOVQ F_SHIFT(AX), R9
	MOVQ F_PREFIX(AX), R11
	MOVQ F_MUL(AX), R15
	MOVL $0x0F0F0F0F, AX
	MOVD AX, X0
	VPBROADCASTD X0, Y0
	VMOVDQU nibHi<>(SB), Y1
	VMOVDQU nibLo<>(SB), Y2
	VPXOR Y3, Y3, Y3
	PREFETCHTEXT(1, pf1)
	PREFETCHTEXT(2, pf2)
	PREFETCHTEXT(3, pf3)

text:
	CMPQ n+16(FP), $0
	JEQ done
	PREFETCHTEXT(4, pf4) // as many ahead as it asks for at the start
	MOVQ texts+8(FP), AX
	MOVQ 0(AX), SI
	MOVQ 8(AX), DI
	MOVQ SI, base-32(SP)
	MOVQ SI, R10
	ADDQ SI, DI
	MOVQ DI, AX
	ANDQ $4095, AX
	JZ far // the text ends at a page's end
	CMPQ AX, $(4096-72)
	JA far // skipReach bytes past it may be on the next page
	CMPQ SI, DI
	JEQ skipAll // nothing to skip

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
	TESTQ R14, R14
	JNZ c3Letters

c3Done:
	MOVQ R12, R13
	SHLQ $1, R13
	ORQ $1, R13
	ANDNQ R13, R12, R13 // word starts
	MOVQ R14, nonascii-48(SP)
	TZCNTQ R14, R14
	CMPQ R14, $64
	JNE bounded

ascii: // no non-ASCII byte left in the window
	MOVQ $64, BX
	BTQ $63, R12
	JCS words
	BSRQ R13, BX // the last word runs past the window: the next starts with it
	BTRQ BX, R13
	TESTQ BX, BX
	JNZ words
	JMP stop // a word of 64 bytes or more (maxSkipWord): scanned

bounded: // only the words before the first non-ASCII byte, and not one it ends unless it is cold
	LEAQ (SI)(R14*1), BX
	CMPB (BX), $0xF0
	JAE emoji // a four-byte rune: it may be read like a space
	BZHIQ R14, R13, R13
	COLD(notCold, bTwo, bFour, bOK)
	MOVQ R14, BX
	JMP words

notCold:
	MOVQ R14, BX
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
	TESTQ R11, R11
	JNZ wordP

word:
	WORDKEY(maybe)
	BLSRQ R13, R13
	JNZ word
	JMP windowEnd

wordP: // the same, with the word's prefixes when it is not found
	WORDKEY(maybe)
	JMP prefixes

nextP:
	BLSRQ R13, R13
	JNZ wordP

windowEnd:
	LASTEND(BX)
	CMPQ R14, $64
	JNE nonASCII
	ADDQ BX, SI
	CMPQ SI, DI
	JB window
	JMP skipAll

nonASCII: // a run of cold runes is skipped when ASCII or the text's end follows
	CMPQ BX, R14
	JNE latWord // the word before it goes on
	LEAQ (SI)(R14*1), BX
	MOVQ BX, R12
	MOVQ f+0(FP), R13
	MOVQ F_COLD(R13), R13

coldRun: // three-byte runes (Han, kana) with one load and one table lookup
	LEAQ 3(BX), AX
	CMPQ AX, DI
	JA coldOne
	MOVL (BX), CX
	MOVL CX, DX
	ANDL $0xC0C0F0, DX
	CMPL DX, $0x8080E0
	JNE coldOne
	MOVL CX, DX
	ANDL $0x0F, DX
	SHLL $6, DX
	MOVL CX, AX
	SHRL $8, AX
	ANDL $0x3F, AX
	ORL AX, DX // (b0&0x0F)<<6 | b1&0x3F
	SHRL $16, CX // bit b2&0x3F: BTQ takes it modulo 64
	MOVQ (R13)(DX*8), AX
	BTQ CX, AX
	JCC coldEnd
	ADDQ $3, BX
	CMPQ BX, DI
	JB coldRun
	JMP coldEnd

coldOne: // any cold rune
	COLD(coldEnd, rTwo, rFour, rOK)
	ADDQ CX, BX
	CMPQ BX, DI
	JB coldRun

coldEnd:
	CMPQ BX, R12
	JEQ latStart // not a cold rune: a letter may start a word

coldNext: // after a run, or ASCII punctuation after one
	CMPQ BX, DI
	JAE skipAll
	MOVBLZX (BX), AX
	TESTL $0x80, AX
	JNZ coldMore
	WORDBYTE(AX, CX, DX)
	JCS coldWindow
	INCQ BX // a space or punctuation: read on, as a window would
	MOVQ BX, R12 // a run may start after it
	JMP coldNext

coldMore:
	CMPQ BX, R12
	JNE stop // other non-ASCII right after the run: from q, before it
	JMP coldRun

coldWindow: // a word: the windows go on from it
	MOVQ BX, SI // q stays: punctuation before the run may be pending
	JMP window

skipAll: // nothing left to scan
	MOVQ $-2, R10 // skippedAll
	JMP store

maybe: // the word's first bit is set: its second decides
	WORDPROD
	MOVQ CX, prod-40(SP)
	SECOND
	JCS found
	TESTQ R11, R11
	JNZ prefixes // as wordP goes on
	BLSRQ R13, R13 // as word goes on
	JNZ word
	JMP windowEnd

found:
	TZCNTQ R13, BX
	LASTEND(BX)

stop:
	SUBQ base-32(SP), R10

store: // R10: the text's result
	MOVQ to+32(FP), AX
	MOVL R10, (AX)
	ADDQ $4, to+32(FP)
	MOVQ stride+24(FP), AX
	ADDQ AX, texts+8(FP)
	DECQ n+16(FP)
	JMP text

far: // the text ends within skipReach bytes of its page's end: filter a copy
	MOVQ DI, CX
	SUBQ SI, CX
	CMPQ CX, $FRAMECOPY
	JA farLong
	LEAQ buf-632(SP), DI
	MOVQ DI, R10
	REP; MOVSB // CX bytes from SI to DI: DI ends at the copy's end
	MOVQ R10, SI
	MOVQ SI, base-32(SP)
	CMPQ SI, DI
	JEQ skipAll
	JMP window

farLong:
	MOVQ far+40(FP), R10
	JMP store

done:
	VZEROUPPER
	RET

c3Letters: // the bytes of c3Letter letters are word bytes, and ASCII here
	MOVQ f+0(FP), AX
	CMPQ F_C3(AX), $0
	JEQ c3Done
	C3LEADS(Y4, 1(SI), R13)
	C3LEADS(Y5, 33(SI), AX)
	SHLQ $32, AX
	ORQ AX, R13
	MOVQ DI, CX
	SUBQ SI, CX
	DECQ CX
	CMPQ CX, $64
	JAE 2(PC)
	BZHIQ CX, R13, R13 // a letter's second byte past the end: not a letter
	LEAQ (R13)(R13*1), AX
	ORQ R13, AX
	ANDNQ R12, AX, R12
	ANDNQ R14, AX, R14
	JMP c3Done

// latWord keys the word at offset BX of the window, which runs into a
// non-ASCII rune, or (latStart) the one that starts with the rune at BX.
// Registers: R12 the word's start, CX its key's first 8 bytes, DX its key's
// length, R13 the lat table; SI and R14 are free until the next window
// starts at the word's end.
latWord:
	ADDQ SI, BX

latStart:
	MOVQ BX, R12
	XORL CX, CX
	XORL DX, DX
	MOVQ f+0(FP), R13
	MOVQ F_LAT(R13), R13

latNext:
	CMPQ BX, DI
	JAE latDone
	MOVBLZX (BX), AX
	TESTL $0x80, AX
	JNZ latRune
	WORDBYTE(AX, R14, SI)
	JCC latDone
	ORL $0x20, AX
	MOVL $1, R14
	INCQ BX
	JMP latAppend

latRune:
	CMPL AX, $0xC2
	JB latOther
	CMPL AX, $0xE0
	JAE latOther
	LEAQ 1(BX), R14
	CMPQ R14, DI
	JAE latOther
	MOVBLZX 1(BX), R14
	XORL $0x80, R14
	CMPL R14, $0x40
	JAE latOther
	ANDL $0x1F, AX
	SHLL $6, AX
	ORL R14, AX
	SUBL $0x80, AX // rune - 0x80
	MOVQ (R13)(AX*8), AX
	TESTQ AX, AX
	JZ latOther
	CMPQ BX, R12
	JNE 3(PC)
	TESTL $0x80, AX
	JNZ stop // a mark does not start a word
	MOVL AX, R14
	ANDL $0x0F, R14
	SHRQ $8, AX
	ADDQ $2, BX

latAppend: // AX: R14 key bytes of the rune before BX
	CMPQ DX, $8
	JAE 4(PC)
	LEAQ (DX*8), SI
	SHLXQ SI, AX, AX
	ORQ AX, CX
	ADDQ R14, DX
	MOVQ BX, AX
	SUBQ R12, AX
	CMPQ AX, $64
	JAE stop // a word of maxSkipWord bytes or more: scanned
	JMP latNext

latOther: // a cold rune ends the word; any other stops the filter
	MOVQ CX, SI
	MOVQ DX, R14
	COLD(stop, lTwo, lFour, lOK)
	MOVQ SI, CX
	MOVQ R14, DX

latDone:
	CMPQ BX, R12
	JEQ stop // no word (the windows and lat disagree): never loop
	MOVQ CX, SI
	IMUL3Q $0x7F4A7C15, DX, AX
	ADDQ AX, CX
	HASH
	JCC latMiss
	SECOND
	JCS stop // some term may start with it: from q, before it

latMiss:
	MOVQ R11, R13

latPrefix: // its prefixes of the lengths in R11
	TZCNTQ R13, AX
	JCS latSkip
	BLSRQ R13, R13
	INCQ AX
	CMPQ AX, DX
	JA latSkip
	MOVQ AX, R14
	SHLQ $3, AX
	BZHIQ AX, SI, CX
	LEAQ 256(R14), AX
	IMUL3Q $0x7F4A7C15, AX, AX
	ADDQ AX, CX
	HASH
	JCC latPrefix
	SECOND
	JCC latPrefix
	JMP stop

latSkip: // the next window starts at the word's end
	MOVQ BX, R10
	MOVQ BX, SI
	CMPQ SI, DI
	JB window
	JMP skipAll

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
	MASKKEY
	MOVQ p-24(SP), AX
	ADDQ $256, AX
	IMUL3Q $0x7F4A7C15, AX, AX
	ADDQ AX, CX
	HASH
	JCC prefix
	SECOND
	JCC prefix
	MOVQ pre-16(SP), R11
	JMP found

prefixesDone:
	MOVQ nxt-8(SP), BX
	MOVQ pre-16(SP), R11
	JMP nextP

// emoji: the window's first non-ASCII byte, at R14 (BX), starts a
// four-byte rune. A cold one (an emoji no term starts with) that ends
// inside the window, with no other non-ASCII byte right after it, is read
// like a space (its bytes are not word bytes already): the window goes on
// over it, without a run of its own. Otherwise the window stops at it as
// at any other non-ASCII byte (bounded). Out of line: the loops above keep
// their places (the Han and kana loop measured 10% slower when this code
// sat before it).
emoji:
	COLD(emojiHot, eTwo, eFour, eOK)
	LEAQ (R14)(CX*1), AX
	CMPQ AX, $64
	JA emojiRun // it ends past the window
	JEQ emojiSpace
	MOVQ nonascii-48(SP), DX
	BTQ AX, DX
	JCS emojiRun // another non-ASCII rune right after it

emojiSpace:
	MOVQ $-1, DX
	BZHIQ CX, DX, DX
	SHLXQ R14, DX, DX // the rune's bytes
	MOVQ nonascii-48(SP), AX
	ANDNQ AX, DX, AX
	MOVQ AX, nonascii-48(SP)
	TZCNTQ AX, R14
	CMPQ R14, $64
	JNE bounded
	JMP ascii

emojiRun: // a cold run from it, after the words before it
	BZHIQ R14, R13, R13
	MOVQ R14, BX
	JMP words

emojiHot:
	BZHIQ R14, R13, R13
	JMP notCold
