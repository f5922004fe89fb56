//go:build !amd64 || purego

package match

func lockstep(tbl []uint32, raw *[256]uint16, l2 *[0x780]letter2, x, y []byte, vx, vy uint32) (int, int, uint32, uint32) {
	return lockstepGo(tbl, raw, l2, x, y, vx, vy)
}

func walk(tbl []uint32, raw *[256]uint16, x []byte, v uint32) (int, uint32) {
	return walkGo(tbl, raw, x, v)
}
