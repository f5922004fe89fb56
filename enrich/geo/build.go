package geo

// Building the index: every polygon is clipped (Sutherland–Hodgman, against
// one axis-parallel line at a time) down to the 1° cells its bounding box
// covers, by recursive halving so that each vertex is visited O(log n)
// times. A cell is then classified per polygon: if the clipped polygon has no
// edge strictly inside the cell, the cell is entirely inside or entirely
// outside it (decided by testing the cell's centre); otherwise the cell is
// split into quadrants while it holds more than leafEdges edges.
//
// Clipping a concave polygon to a rectangle can add zero-area edges along the
// rectangle's sides; they cancel in the even-odd test for points inside the
// rectangle, which is all a leaf is asked about.

import "math"

type rect struct{ x0, y0, x1, y1 float64 }

// bpiece is a polygon clipped to a cell during the build.
type bpiece struct {
	country uint16
	rings   [][]pt
}

type builder struct {
	ix    *Index
	cells [][]bpiece
}

func build(d *dataset, cfg Config) *Index {
	ix := &Index{snapKM: max(cfg.SeaSnapKM, 0)}
	ix.codes = append([]string{""}, d.codes...)
	b := &builder{ix: ix, cells: make([][]bpiece, gridW*gridH)}
	for _, p := range d.polys {
		rings := make([][]pt, 0, p.ringHi-p.ringLo)
		minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for i := p.ringLo; i < p.ringHi; i++ {
			r := d.ring(i)
			rings = append(rings, r)
			for _, q := range r {
				minX, maxX = min(minX, q.x), max(maxX, q.x)
				minY, maxY = min(minY, q.y), max(maxY, q.y)
			}
		}
		cx0, cy0 := min(int(minX), gridW-1), min(int(minY), gridH-1)
		cx1, cy1 := min(int(maxX)+1, gridW), min(int(maxY)+1, gridH)
		b.split(p.country, rings, cx0, cy0, cx1, cy1)
	}
	ix.nodes = make([]node, 1, 1<<17) // node 0: the shared empty leaf
	ix.grid = make([]uint32, gridW*gridH)
	for cell, ps := range b.cells {
		if len(ps) == 0 {
			continue
		}
		idx := uint32(len(ix.nodes))
		ix.nodes = append(ix.nodes, node{})
		ix.grid[cell] = idx
		x0, y0 := float64(cell%gridW), float64(cell/gridW)
		b.node(idx, rect{x0, y0, x0 + 1, y0 + 1}, ps, 0)
		b.cells[cell] = nil
	}
	buildSnap(ix, d)
	return ix
}

// split clips rings down to the 1° cells of [cx0,cx1)×[cy0,cy1), which
// the rings already lie in.
func (b *builder) split(country uint16, rings [][]pt, cx0, cy0, cx1, cy1 int) {
	if cx1-cx0 <= 1 && cy1-cy0 <= 1 {
		cell := cy0*gridW + cx0
		b.cells[cell] = append(b.cells[cell], bpiece{country, rings})
		return
	}
	if cx1-cx0 >= cy1-cy0 {
		m := (cx0 + cx1) / 2
		if lo := clipRings(rings, 0, float64(m), false); lo != nil {
			b.split(country, lo, cx0, cy0, m, cy1)
		}
		if hi := clipRings(rings, 0, float64(m), true); hi != nil {
			b.split(country, hi, m, cy0, cx1, cy1)
		}
		return
	}
	m := (cy0 + cy1) / 2
	if lo := clipRings(rings, 1, float64(m), false); lo != nil {
		b.split(country, lo, cx0, cy0, cx1, m)
	}
	if hi := clipRings(rings, 1, float64(m), true); hi != nil {
		b.split(country, hi, cx0, m, cx1, cy1)
	}
}

// node fills nodes[idx] for cell r holding the clipped polygons ps.
func (b *builder) node(idx uint32, r rect, ps []bpiece, depth int) {
	var mixed []bpiece
	nEdges := 0
	for _, p := range ps {
		n := innerEdges(p.rings, r)
		if n == 0 {
			if pointInRings(p.rings, (r.x0+r.x1)/2, (r.y0+r.y1)/2) {
				b.ix.nodes[idx].full = p.country + 1
				return
			}
			continue
		}
		mixed = append(mixed, p)
		nEdges += n
	}
	if len(mixed) == 0 {
		return
	}
	if nEdges <= leafEdges || depth >= maxDepth {
		b.emit(idx, r, mixed)
		return
	}
	child := uint32(len(b.ix.nodes))
	b.ix.nodes = append(b.ix.nodes, node{}, node{}, node{}, node{})
	b.ix.nodes[idx].child = child
	mx, my := (r.x0+r.x1)/2, (r.y0+r.y1)/2
	for q := range uint32(4) {
		cr := rect{r.x0, r.y0, mx, my}
		if q&1 != 0 {
			cr.x0, cr.x1 = mx, r.x1
		}
		if q&2 != 0 {
			cr.y0, cr.y1 = my, r.y1
		}
		var cps []bpiece
		for _, p := range mixed {
			rings := clipRings(p.rings, 0, mx, q&1 != 0)
			if rings != nil {
				rings = clipRings(rings, 1, my, q&2 != 0)
			}
			if rings != nil {
				cps = append(cps, bpiece{p.country, rings})
			}
		}
		b.node(child+q, cr, cps, depth+1)
	}
}

// emit makes nodes[idx] a leaf testing the pieces ps. Horizontal edges and
// edges on the cell's west side can never be crossed by a ray towards +x
// from a point in the cell, so they are left out.
func (b *builder) emit(idx uint32, r rect, ps []bpiece) {
	ix := b.ix
	lo := uint32(len(ix.pieces))
	for _, p := range ps {
		elo := uint32(len(ix.edges))
		for _, ring := range p.rings {
			a := ring[len(ring)-1]
			for _, c := range ring {
				e0, e1 := a, c
				a = c
				if e0.y == e1.y || (e0.x == e1.x && e0.x == r.x0) {
					continue
				}
				if e0.y > e1.y {
					e0, e1 = e1, e0
				}
				ix.edges = append(ix.edges, edge{y0: e0.y, y1: e1.y, x0: e0.x, k: (e1.x - e0.x) / (e1.y - e0.y)})
			}
		}
		if ehi := uint32(len(ix.edges)); ehi > elo {
			ix.pieces = append(ix.pieces, piece{country: p.country, lo: elo, hi: ehi})
		}
	}
	ix.nodes[idx].lo, ix.nodes[idx].hi = lo, uint32(len(ix.pieces))
}

// innerEdges counts the edges of rings that do not lie on a side of r.
func innerEdges(rings [][]pt, r rect) int {
	n := 0
	for _, ring := range rings {
		a := ring[len(ring)-1]
		for _, c := range ring {
			onSide := (a.x == c.x && (a.x == r.x0 || a.x == r.x1)) || (a.y == c.y && (a.y == r.y0 || a.y == r.y1))
			if !onSide {
				n++
			}
			a = c
		}
	}
	return n
}

// pointInRings is the even-odd test over whole rings (half-open in y, the
// same convention as inside).
func pointInRings(rings [][]pt, x, y float64) bool {
	in := false
	for _, ring := range rings {
		a := ring[len(ring)-1]
		for _, c := range ring {
			if (a.y > y) != (c.y > y) && a.x+(y-a.y)*(c.x-a.x)/(c.y-a.y) > x {
				in = !in
			}
			a = c
		}
	}
	return in
}

// clipRings clips every ring to the half-plane coordinate(axis) >= c (high)
// or <= c (!high) and returns nil when nothing is left.
func clipRings(rings [][]pt, axis int, c float64, high bool) [][]pt {
	var out [][]pt
	for _, r := range rings {
		if cr := clipRing(r, axis, c, high); cr != nil {
			out = append(out, cr)
		}
	}
	return out
}

func clipRing(ring []pt, axis int, c float64, high bool) []pt {
	in := func(p pt) bool {
		v := p.x
		if axis == 1 {
			v = p.y
		}
		if high {
			return v >= c
		}
		return v <= c
	}
	nIn := 0
	for _, p := range ring {
		if in(p) {
			nIn++
		}
	}
	switch nIn {
	case 0:
		return nil
	case len(ring):
		return ring
	}
	cross := func(s, e pt) pt {
		if axis == 0 {
			return pt{c, s.y + (c-s.x)*(e.y-s.y)/(e.x-s.x)}
		}
		return pt{s.x + (c-s.y)*(e.x-s.x)/(e.y-s.y), c}
	}
	out := make([]pt, 0, nIn+4)
	add := func(p pt) {
		if len(out) == 0 || out[len(out)-1] != p {
			out = append(out, p)
		}
	}
	s := ring[len(ring)-1]
	sIn := in(s)
	for _, e := range ring {
		eIn := in(e)
		if eIn {
			if !sIn {
				add(cross(s, e))
			}
			add(e)
		} else if sIn {
			add(cross(s, e))
		}
		s, sIn = e, eIn
	}
	for len(out) > 1 && out[0] == out[len(out)-1] {
		out = out[:len(out)-1]
	}
	if len(out) < 3 {
		return nil
	}
	return out
}

// onAntimeridian reports whether a-c runs along the antimeridian (or, at the
// South Pole, from one side of it to the other): a cut through a country,
// not a coast or border, so not something to snap to.
func onAntimeridian(a, c pt) bool {
	return (a.x == 0 || a.x == 360) && (c.x == 0 || c.x == 360)
}

// buildSnap indexes every boundary segment under each snap sub-cell its
// bounding box touches, except the cuts along the antimeridian.
func buildSnap(ix *Index, d *dataset) {
	const fw, fh = gridW * snapRes, gridH * snapRes
	ix.snapBlock = make([]uint32, gridW*gridH)
	if ix.snapKM == 0 {
		return
	}
	cellsOf := func(a, c pt) (int, int, int, int) {
		x0, x1 := min(int(min(a.x, c.x)*snapRes), fw-1), min(int(max(a.x, c.x)*snapRes), fw-1)
		y0, y1 := min(int(min(a.y, c.y)*snapRes), fh-1), min(int(max(a.y, c.y)*snapRes), fh-1)
		return x0, y0, x1, y1
	}
	// each calls f for every (segment, sub-cell) pair.
	each := func(f func(si uint32, fx, fy int)) {
		si := uint32(0)
		for _, p := range d.polys {
			for i := p.ringLo; i < p.ringHi; i++ {
				ring := d.ring(i)
				a := ring[len(ring)-1]
				for _, c := range ring {
					if onAntimeridian(a, c) {
						a = c
						continue
					}
					x0, y0, x1, y1 := cellsOf(a, c)
					for y := y0; y <= y1; y++ {
						for x := x0; x <= x1; x++ {
							f(si, x, y)
						}
					}
					si++
					a = c
				}
			}
		}
	}
	// Count per sub-cell and give a block to every 1° cell with segments.
	counts := make([]uint32, fw*fh)
	each(func(_ uint32, fx, fy int) { counts[fy*fw+fx]++ })
	const per = snapRes*snapRes + 1
	var total uint32
	for cell := range ix.snapBlock {
		cx, cy := cell%gridW, cell/gridW
		var n uint32
		for k := range snapRes * snapRes {
			n += counts[(cy*snapRes+k/snapRes)*fw+cx*snapRes+k%snapRes]
		}
		if n == 0 {
			continue
		}
		ix.snapBlock[cell] = uint32(len(ix.snapOff)/per) + 1
		for k := range snapRes * snapRes {
			ix.snapOff = append(ix.snapOff, total)
			total += counts[(cy*snapRes+k/snapRes)*fw+cx*snapRes+k%snapRes]
		}
		ix.snapOff = append(ix.snapOff, total)
	}
	ix.snapSegs = make([]uint32, total)
	fill := make([]uint32, len(ix.snapOff))
	copy(fill, ix.snapOff)
	each(func(si uint32, fx, fy int) {
		b := ix.snapBlock[(fy/snapRes)*gridW+fx/snapRes]
		o := (b-1)*per + uint32((fy%snapRes)*snapRes+fx%snapRes)
		ix.snapSegs[fill[o]] = si
		fill[o]++
	})
	// Segments, in the order each numbers them.
	for _, p := range d.polys {
		for i := p.ringLo; i < p.ringHi; i++ {
			ring := d.ring(i)
			a := ring[len(ring)-1]
			for _, c := range ring {
				if !onAntimeridian(a, c) {
					ix.segs = append(ix.segs, seg{float32(a.x), float32(a.y), float32(c.x), float32(c.y), p.country})
				}
				a = c
			}
		}
	}
}
