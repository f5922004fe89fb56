//go:build !purego

package match

import "unsafe"

// The assembly reads stepTables, lanes, laneHit and letter2 at fixed
// offsets (and records laneHits hits per lane). Each constant below is
// -(got ^ want), a uintptr: zero when the layout is the assembly's, a
// compile error (a negative uintptr) when it moves.
const (
	_ = -(unsafe.Offsetof(stepTables{}.raw) ^ 24)
	_ = -(unsafe.Offsetof(stepTables{}.ign3) ^ 64)
	_ = -(unsafe.Offsetof(stepTables{}.rootB) ^ 72)
	_ = -(unsafe.Offsetof(stepTables{}.nDense) ^ 76)
	_ = -(unsafe.Offsetof(stepTables{}.stride) ^ 80)
	_ = -(unsafe.Offsetof(lanes{}.post) ^ 16)
	_ = -(unsafe.Offsetof(lanes{}.last) ^ 32)
	_ = -(unsafe.Offsetof(lanes{}.v) ^ 48)
	_ = -(unsafe.Offsetof(lanes{}.n) ^ 56)
	_ = -(unsafe.Offsetof(lanes{}.hits) ^ 72)
	_ = -(unsafe.Sizeof(laneHit{}) ^ 16)
	_ = -(uintptr(laneHits) ^ 8)
	_ = -(unsafe.Sizeof(letter2{}) ^ 8)
	_ = -(unsafe.Offsetof(letter2{}.cls) ^ 2)
)

// lockstep is lockstepGo in assembly (step_amd64.s says why).
//
//go:noescape
func lockstep(t *stepTables, x, y []byte, vx, vy uint32) (int, int, uint32, uint32)

// stepLanes is stepLanesGo in assembly (step_amd64.s says why).
//
//go:noescape
func stepLanes(t *stepTables, texts [][]byte, l *lanes)

// walk is walkGo in assembly.
//
//go:noescape
func walk(t *stepTables, x []byte, v uint32) (int, uint32)
