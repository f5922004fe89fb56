//go:build !purego

#include "textflag.h"

// The lanes' steps, hand-written because the Go compiler puts an addition on
// the loop's dependency chain. In Go, next = tbl[v+cls] adds the state v and
// the byte's column, then loads: 1 + 4 cycles per byte on the benchmark
// machine (2-vCPU AMD EPYC). Here the column's address, tbl+cls*4, is formed
// from the byte alone, off the chain, and the load indexes it with v
// directly (base + index*4): the chain is the load alone. Measured on a long
// flag-free text, two lanes: 2.19 ns per step in Go, 1.77 here. Every table
// index is bounds-checked (off the chain too); an index out of range returns
// early, so the caller's checked Go code reports it. step.go has the
// reference, lockstepGo and walkGo, with the contract; TestStepsEqualPortable
// holds the two together.

// stepTables field offsets (step_amd64.go checks them).
#define T_TBL 0
#define T_LEN 8
#define T_RAW 24
#define T_L2 32
#define T_Q2 40
#define T_Q3 48
#define T_Q4 56
#define T_IGN3 64
#define T_ROOTB 72
#define T_NDENSE 76
#define T_STRIDE 80

// TABLES loads the table (R8), its length (DX) and the raw columns (R9).
#define TABLES \
	MOVQ t+0(FP), R13; \
	MOVQ T_TBL(R13), R8; \
	MOVQ T_LEN(R13), DX; \
	MOVQ T_RAW(R13), R9

// LETTERSTEP steps DX over the class at off(R13), the letter's table
// entry (v + class needs no speed here), or fails the unit.
#define LETTERSTEP(off) \
	MOVWLZX off(R13), R11; \
	ADDQ DX, R11; \
	MOVQ t+0(FP), DX; \
	CMPQ R11, T_LEN(DX); \
	JAE unitfail; \
	MOVL (R8)(R11*4), DX; \
	TESTL $1, DX; \
	JNZ unitfail

// CONT loads the byte at off(SI) into reg as its continuation bits
// (0..0x3F), or fails the unit when it is not a continuation byte.
#define CONT(off, reg) \
	MOVBLZX off(SI), reg; \
	XORL $0x80, reg; \
	CMPL reg, $0x40; \
	JAE unitfail

// LEAD starts decoding the rune whose lead byte is in R11 and which has n
// continuation bytes, all before the end CX (or fails the unit): R11 gets
// the lead's payload bits (mask) shifted left by 6, R13 the first
// continuation's bits, for the caller to combine.
#define LEAD(n, mask) \
	LEAQ n(SI), R13; \
	CMPQ R13, CX; \
	JAE unitfail; \
	CONT(1, R13); \
	ANDL mask, R11; \
	SHLL $6, R11

// BIT sets CF to bit DX of word R11 of the bit table in field f (it
// clobbers R13).
#define BIT(f) \
	MOVQ t+0(FP), R13; \
	MOVQ f(R13), R13; \
	MOVQ (R13)(R11*8), R13; \
	BTQ DX, R13

// TOROOTB sets the lane's state AX to rootB (it clobbers R13).
#define TOROOTB \
	MOVQ t+0(FP), R13; \
	MOVL T_ROOTB(R13), AX

// IDLE fails the unit unless the lane's state AX is the root or rootB.
#define IDLE(ok) \
	TESTL AX, AX; \
	JZ ok; \
	MOVQ t+0(FP), R13; \
	CMPL AX, T_ROOTB(R13); \
	JNE unitfail

// lanes field offsets (step_amd64.go checks them).
#define L_AT 0
#define L_POST 16
#define L_LAST 32
#define L_V 48
#define L_N 56
#define L_HITS 72 // lane 0's; lane 1's at L_HITS+128 (laneHits of 16 bytes)

// TEXTAT(idx) points R11 at texts[idx] (clobbers idx).
#define TEXTAT(idx) \
	LEAQ (idx)(idx*2), R11; \
	SHLQ $3, R11; \
	ADDQ texts_base+8(FP), R11

// ENDLANE takes a lane at the end of its text: the end's transition (the
// raw space column) when it is flagged stops the lanes (the caller ends the
// text); otherwise the lane goes on to its next text in rootB, or, having
// none, stops the lanes.
#define ENDLANE(pos, end, state, post, last) \
	MOVWLZX 64(R9), R11; \
	ADDQ state, R11; \
	CMPQ R11, DX; \
	JAE done; \
	TESTL $1, (R8)(R11*4); \
	JNZ done; \
	MOVQ l+32(FP), R13; \
	MOVQ post(R13), R12; \
	INCQ R12; \
	MOVQ R12, post(R13); \
	CMPQ R12, last(R13); \
	JAE done; \
	TEXTAT(R12); \
	MOVQ 0(R11), pos; \
	MOVQ 8(R11), end; \
	ADDQ pos, end; \
	MOVQ t+0(FP), R13; \
	MOVL T_ROOTB(R13), state; \
	JMP next

// LOADLANE starts a lane at texts[post] + at, or returns when post or at
// is out of range (the lanes stay as they are).
#define LOADLANE(pos, end, at, post, last) \
	MOVQ post(R13), R12; \
	CMPQ R12, last(R13); \
	JAE bad; \
	MOVQ texts_len+16(FP), R11; \
	CMPQ last(R13), R11; \
	JA bad; \
	TEXTAT(R12); \
	MOVQ 0(R11), pos; \
	MOVQ 8(R11), end; \
	CMPQ at(R13), end; \
	JA bad; \
	ADDQ pos, end; \
	ADDQ at(R13), pos

// STOREAT stores a lane's position in its text (in the last one when it
// has none left).
#define STOREAT(pos, at, post, last) \
	MOVQ last(R13), R12; \
	DECQ R12; \
	MOVQ post(R13), R11; \
	CMPQ R11, R12; \
	CMOVQHI R12, R11; \
	TEXTAT(R11); \
	SUBQ 0(R11), pos; \
	MOVQ pos, at(R13)

// SPACEHIT goes to done unless the flagged entry of the lane at pos is a
// term's end at a space into a dense state, and the lane has room to record
// it (stepTables.spaceHit). It clobbers R13 and DX.
#define SPACEHIT(pos, entry, n) \
	CMPL entry, $4; \
	JB done; \
	TESTL $2, entry; \
	JZ done; \
	MOVL entry, R13; \
	SHRL $2, R13; \
	MOVQ t+0(FP), DX; \
	CMPL R13, T_NDENSE(DX); \
	JAE done; \
	MOVBLZX (pos), R13; \
	MOVWLZX (R9)(R13*2), R13; \
	MOVWLZX 64(R9), DX; \
	CMPL R13, DX; \
	JNE done; \
	MOVQ l+32(FP), R13; \
	CMPQ n(R13), $8; \
	JAE done

// RECORD records the lane's hit (pos, its text, the entry) and turns the
// entry into the dense state it leads to. It clobbers R13 and DX.
#define RECORD(pos, entry, post, n, hits) \
	MOVQ l+32(FP), R13; \
	MOVQ n(R13), DX; \
	INCQ n(R13); \
	SHLQ $4, DX; \
	ADDQ R13, DX; \
	MOVQ pos, hits(DX); \
	MOVQ post(R13), R13; \
	MOVL R13, hits+8(DX); \
	MOVL entry, hits+12(DX); \
	SHRL $2, entry; \
	MOVQ t+0(FP), R13; \
	IMULL T_STRIDE(R13), entry

// STEPS is the lanes' loop: one ASCII byte of each per step (the label
// loop), or, at a non-ASCII byte in either lane, the units (nonascii); a
// flagged transition in either lane goes to flagged. The code of the two
// lanes' steps (lockstep for one text, stepLanes for a batch) defines next,
// where the loop tests the lanes' ends, and done.
#define STEPS(flagged) \
loop: \
	MOVBLZX (SI), R11; \
	MOVBLZX (DI), R12; \
	MOVL R11, R13; \
	ORL R12, R13; \
	TESTL $0x80, R13 /* a non-ASCII byte in either lane */; \
	JNZ nonascii; \
	MOVWLZX (R9)(R11*2), R11; \
	MOVWLZX (R9)(R12*2), R12; \
	LEAQ (R11)(AX*1), R13; \
	CMPQ R13, DX; \
	JAE done; \
	LEAQ (R12)(BX*1), R13; \
	CMPQ R13, DX; \
	JAE done; \
	LEAQ (R8)(R11*4), R11 /* column addresses, off the chain */; \
	LEAQ (R8)(R12*4), R12; \
	MOVL (R11)(AX*4), R11 /* the two chains: one load each */; \
	MOVL (R12)(BX*4), R12; \
	MOVL R11, R13; \
	ORL R12, R13; \
	TESTL $1, R13 /* flagSlow in either lane */; \
	JNZ flagged; \
	MOVL R11, AX; \
	MOVL R12, BX; \
	INCQ SI; \
	INCQ DI

// UNITS: a lane at a non-ASCII byte steps one unit (see lockstepGo). The unit code
// works on the first lane's registers (SI, CX, AX, byte in R11); for the
// second lane they are swapped with DI, R10, BX, and R12 holds 0x100 until
// they are swapped back. The unit code uses R11, R13 and DX, so DX (the
// table's length) is reloaded before the loop goes on.
#define UNITS \
nonascii: \
	TESTL $0x80, R11; \
	JNZ unit; \
second: \
	TESTL $0x80, R12; \
	JZ back; \
	XCHGQ SI, DI; \
	XCHGQ CX, R10; \
	XCHGL AX, BX; \
	MOVL R12, R11; \
	MOVL $0x100, R12; \
	JMP unit; \
unitok: \
	CMPL R12, $0x100; \
	JNE second; \
	XCHGQ SI, DI; \
	XCHGQ CX, R10; \
	XCHGL AX, BX; \
back: \
	MOVQ t+0(FP), R13; \
	MOVQ T_LEN(R13), DX; \
	JMP next; \
unitfail: \
	CMPL R12, $0x100; \
	JNE done; \
	XCHGQ SI, DI; \
	XCHGQ CX, R10; \
	XCHGL AX, BX; \
	JMP done; \
unit: \
	LEAL -0xC2(R11), R13 /* lead byte of U+0080..U+07FF? */; \
	CMPL R13, $0x1E; \
	JAE unit34; \
	LEAD(1, $0x1F); \
	ORL R13, R11; \
	SUBL $0x80, R11 /* rune - 0x80 */; \
	MOVQ t+0(FP), R13; \
	MOVQ T_L2(R13), R13; \
	LEAQ (R13)(R11*8), R13 /* &l2[rune-0x80]: n at 0, classes at 2, 4, 6 */; \
	CMPB (R13), $0; \
	JEQ quiet2; \
	MOVL AX, DX; \
	LETTERSTEP(2); \
	CMPB (R13), $2; \
	JB letterok; \
	LETTERSTEP(4); \
	CMPB (R13), $3; \
	JB letterok; \
	LETTERSTEP(6); \
letterok: \
	MOVL DX, AX; \
	ADDQ $2, SI; \
	JMP unitok; \
 /* Punctuation, emoji and ignorables are taken in the root or rootB only. */; \
quiet2: /* R11: rune - 0x80 */ \
	IDLE(quiet2ok); \
quiet2ok: \
	MOVL R11, R13; \
	SHRL $6, R13; \
	MOVQ t+0(FP), DX; \
	MOVQ T_Q2(DX), DX; \
	MOVQ (DX)(R13*8), DX; \
	BTQ R11, DX /* bit (rune-0x80)&63 */; \
	JCC unitfail; \
	TOROOTB; \
	ADDQ $2, SI; \
	JMP unitok; \
unit34: \
	IDLE(unit34ok); \
unit34ok: \
	MOVL R11, R13; \
	ANDL $0xF0, R13; \
	CMPL R13, $0xE0; \
	JNE unit4; \
	LEAD(2, $0x0F); \
	ORL R13, R11 /* block: (b0&0x0F)<<6 | b1&0x3F */; \
	CONT(2, DX); \
	BIT(T_IGN3); \
	JCS ignorable; \
	BIT(T_Q3); \
	JCC unitfail; \
	TOROOTB; \
ignorable: \
	ADDQ $3, SI; \
	JMP unitok; \
unit4: /* U+1F000..U+1FFFF: F0 9F b2 b3 */ \
	CMPL R11, $0xF0; \
	JNE unitfail; \
	LEAQ 3(SI), R13; \
	CMPQ R13, CX; \
	JAE unitfail; \
	CMPB 1(SI), $0x9F; \
	JNE unitfail; \
	CONT(2, R11); \
	CONT(3, DX); \
	BIT(T_Q4); \
	JCC unitfail; \
	TOROOTB; \
	ADDQ $4, SI; \
	JMP unitok

// func lockstep(t *stepTables, x, y []byte, vx, vy uint32) (int, int, uint32, uint32)
//
// Registers: SI, DI the lanes' positions, CX, R10 their ends, AX, BX their
// states; R8 the table, DX its length, R9 the raw columns; R11, R12 the
// lanes' bytes; R13 scratch.
TEXT ·lockstep(SB), NOSPLIT, $0-88
	TABLES
	MOVQ x_base+8(FP), SI
	MOVQ x_len+16(FP), CX
	ADDQ SI, CX
	MOVQ y_base+32(FP), DI
	MOVQ y_len+40(FP), R10
	ADDQ DI, R10
	MOVL vx+56(FP), AX
	MOVL vy+60(FP), BX
	CMPQ SI, CX
	JAE done
	CMPQ DI, R10
	JAE done

	STEPS(done)

next:
	CMPQ SI, CX
	JAE done
	CMPQ DI, R10
	JB loop

done:
	SUBQ x_base+8(FP), SI
	MOVQ SI, ret+64(FP)
	SUBQ y_base+32(FP), DI
	MOVQ DI, ret1+72(FP)
	MOVL AX, ret2+80(FP)
	MOVL BX, ret3+84(FP)
	RET

	UNITS

// func stepLanes(t *stepTables, texts [][]byte, l *lanes)
//
// Registers: SI, DI the lanes' positions, CX, R10 the ends of their texts,
// AX, BX their states; R8 the table, DX its length, R9 the raw columns;
// R11, R12 the lanes' bytes; R13 scratch.
TEXT ·stepLanes(SB), NOSPLIT, $0-40
	TABLES
	MOVQ l+32(FP), R13
	LOADLANE(SI, CX, L_AT, L_POST, L_LAST)
	LOADLANE(DI, R10, L_AT+8, L_POST+8, L_LAST+8)
	MOVL L_V(R13), AX
	MOVL L_V+4(R13), BX
	JMP next

	STEPS(hitstep)

next:
	CMPQ SI, CX
	JAE endA
	CMPQ DI, R10
	JB loop
	ENDLANE(DI, R10, BX, L_POST+8, L_LAST+8)

// A flagged transition in either lane (R11, R12: the lanes' next
// entries): taken when each flagged one is a term's end at a space, whose
// hit is recorded for the caller (spaceHit); otherwise the lanes stop.
hitstep:
	TESTL $1, R11
	JZ hitB
	SPACEHIT(SI, R11, L_N)

hitB:
	TESTL $1, R12
	JZ hitok
	SPACEHIT(DI, R12, L_N+8)

hitok:
	TESTL $1, R11
	JZ hitokB
	RECORD(SI, R11, L_POST, L_N, L_HITS)

hitokB:
	TESTL $1, R12
	JZ hitstepped
	RECORD(DI, R12, L_POST+8, L_N+8, L_HITS+128)

hitstepped:
	MOVL R11, AX
	MOVL R12, BX
	INCQ SI
	INCQ DI
	MOVQ t+0(FP), R13
	MOVQ T_LEN(R13), DX
	JMP next

endA:
	ENDLANE(SI, CX, AX, L_POST, L_LAST)

done:
	MOVQ l+32(FP), R13
	MOVL AX, L_V(R13)
	MOVL BX, L_V+4(R13)
	STOREAT(SI, L_AT, L_POST, L_LAST)
	STOREAT(DI, L_AT+8, L_POST+8, L_LAST+8)

bad:
	RET

	UNITS

// func walk(t *stepTables, x []byte, v uint32) (int, uint32)
TEXT ·walk(SB), NOSPLIT, $0-52
	TABLES
	MOVQ x_base+8(FP), SI
	MOVQ x_len+16(FP), CX
	MOVL v+32(FP), AX
	XORQ R10, R10
	CMPQ R10, CX
	JGE wdone

wloop:
	MOVBLZX (SI)(R10*1), R11
	MOVWLZX (R9)(R11*2), R11
	LEAQ (R11)(AX*1), R13
	CMPQ R13, DX
	JAE wdone
	LEAQ (R8)(R11*4), R11
	MOVL (R11)(AX*4), R11
	TESTL $1, R11 // flagSlow; every non-ASCII byte's column is flagged
	JNZ wdone
	MOVL R11, AX
	INCQ R10
	CMPQ R10, CX
	JLT wloop

wdone:
	MOVQ R10, ret+40(FP)
	MOVL AX, ret1+48(FP)
	RET
