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
	l := lanes{post: [2]int{0, 1}, last: [2]int{1, 2}, v: [2]uint32{0, 4}}
	stepLanes(st, [][]byte{x, x}, &l)
	if want := (lanes{at: [2]int{1, 1}, post: [2]int{0, 1}, last: [2]int{1, 2}, v: [2]uint32{4, 8}}); l != want {
		t.Fatalf("stepLanes: %+v; want %+v", l, want)
	}
	// Lanes out of their texts' range do not step.
	for _, bad := range []lanes{
		{post: [2]int{1, 1}, last: [2]int{1, 2}},
		{post: [2]int{0, 1}, last: [2]int{1, 3}},
		{at: [2]int{5, 0}, post: [2]int{0, 1}, last: [2]int{1, 2}},
	} {
		l := bad
		stepLanes(st, [][]byte{x, x}, &l)
		if l != bad {
			t.Fatalf("stepLanes(%+v) stepped to %+v", bad, l)
		}
	}
}
