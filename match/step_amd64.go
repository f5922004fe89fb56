//go:build !purego

package match

import "unsafe"

// The assembly reads stepTables, lanes and letter2 at fixed offsets: these fail to
// compile when the layout moves.
var (
	_ [unsafe.Offsetof(stepTables{}.raw) - 24]byte
	_ [24 - unsafe.Offsetof(stepTables{}.raw)]byte
	_ [unsafe.Offsetof(stepTables{}.ign3) - 64]byte
	_ [64 - unsafe.Offsetof(stepTables{}.ign3)]byte
	_ [unsafe.Offsetof(stepTables{}.rootB) - 72]byte
	_ [72 - unsafe.Offsetof(stepTables{}.rootB)]byte
	_ [unsafe.Offsetof(lanes{}.post) - 16]byte
	_ [16 - unsafe.Offsetof(lanes{}.post)]byte
	_ [unsafe.Offsetof(lanes{}.last) - 32]byte
	_ [32 - unsafe.Offsetof(lanes{}.last)]byte
	_ [unsafe.Offsetof(lanes{}.v) - 48]byte
	_ [48 - unsafe.Offsetof(lanes{}.v)]byte
	_ [unsafe.Offsetof(stepTables{}.nDense) - 76]byte
	_ [76 - unsafe.Offsetof(stepTables{}.nDense)]byte
	_ [unsafe.Offsetof(stepTables{}.stride) - 80]byte
	_ [80 - unsafe.Offsetof(stepTables{}.stride)]byte
	_ [unsafe.Offsetof(lanes{}.n) - 56]byte
	_ [56 - unsafe.Offsetof(lanes{}.n)]byte
	_ [unsafe.Offsetof(lanes{}.hits) - 72]byte
	_ [72 - unsafe.Offsetof(lanes{}.hits)]byte
	_ [unsafe.Sizeof(laneHit{}) - 16]byte
	_ [16 - unsafe.Sizeof(laneHit{})]byte
	_ [laneHits - 8]byte
	_ [8 - laneHits]byte
	_ [unsafe.Sizeof(letter2{}) - 8]byte
	_ [8 - unsafe.Sizeof(letter2{})]byte
	_ [unsafe.Offsetof(letter2{}.cls) - 2]byte
	_ [2 - unsafe.Offsetof(letter2{}.cls)]byte
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
