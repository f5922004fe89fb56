//go:build !purego

package match

import "unsafe"

// The assembly reads letter2 as n at offset 0 and the classes at 2, 4, 6.
var (
	_ [unsafe.Sizeof(letter2{}) - 8]byte
	_ [8 - unsafe.Sizeof(letter2{})]byte
	_ [unsafe.Offsetof(letter2{}.cls) - 2]byte
	_ [2 - unsafe.Offsetof(letter2{}.cls)]byte
)

// lockstep is lockstepGo in assembly (step_amd64.s says why).
//
//go:noescape
func lockstep(tbl []uint32, raw *[256]uint16, l2 *[0x780]letter2, x, y []byte, vx, vy uint32) (int, int, uint32, uint32)

// walk is walkGo in assembly.
//
//go:noescape
func walk(tbl []uint32, raw *[256]uint16, x []byte, v uint32) (int, uint32)
