//go:build !amd64 || purego

package match

func lockstep(t *stepTables, x, y []byte, vx, vy uint32) (int, int, uint32, uint32) {
	return lockstepGo(t, x, y, vx, vy)
}

func stepLanes(t *stepTables, texts [][]byte, l *lanes) { stepLanesGo(t, texts, l) }

func walk(t *stepTables, x []byte, v uint32) (int, uint32) { return walkGo(t, x, v) }
