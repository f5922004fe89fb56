//go:build !purego

package match

import "testing"

// TestStepsStayInTable gives the steps a table whose plain entry points past
// its end: they stop before the load instead of reading outside it.
func TestStepsStayInTable(t *testing.T) {
	var raw [256]uint16
	for c := range raw {
		raw[c] = 1
	}
	tbl := []uint32{4, 4, 4, 4, 8, 8, 8, 8} // state 4 -> 8, outside
	x := []byte("aaaa")
	var l2 [0x780]letter2
	st := &stepTables{tbl: tbl, raw: &raw, l2: &l2}
	k, v := walk(st, x, 0)
	if k != 2 || v != 8 {
		t.Fatalf("walk = %d, %d; want 2, 8 (stopped before row 8)", k, v)
	}
	i, j, vx, vy := lockstep(st, x, x, 0, 4)
	if i != 1 || j != 1 || vx != 4 || vy != 8 {
		t.Fatalf("lockstep = %d, %d, %d, %d; want 1, 1, 4, 8", i, j, vx, vy)
	}
}
