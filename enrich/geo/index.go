package geo

import (
	"fmt"
	"math"
)

// Config configures an Index.
type Config struct {
	// SeaSnapKM is how far, in kilometres, a point that lies in no country
	// polygon may be from the nearest country boundary and still be given
	// that country. It absorbs the coarseness of the 1:50m coastlines
	// (beaches, harbours, small islands). Default 25; at most 200; a negative
	// value turns snapping off.
	SeaSnapKM float64
}

// DefaultSeaSnapKM is Config.SeaSnapKM's default.
const DefaultSeaSnapKM = 25

func (c *Config) setDefaults() {
	if c.SeaSnapKM == 0 {
		c.SeaSnapKM = DefaultSeaSnapKM
	}
}

func (c *Config) validate() error {
	if math.IsNaN(c.SeaSnapKM) || c.SeaSnapKM > 200 {
		return fmt.Errorf("SeaSnapKM %v is out of range: want at most 200 km, or negative to turn snapping off", c.SeaSnapKM)
	}
	return nil
}

// Tuning of the spatial index, chosen with BenchmarkCountry and the load-time
// test: a leaf with more edges than leafEdges is split into quadrants, down
// to cells of 1/2^maxDepth degrees.
const (
	leafEdges = 24
	maxDepth  = 6
	snapRes   = 4 // the snap grid has 1/snapRes° cells
	gridW     = 360
	gridH     = 180
	kmPerDeg  = 6371.0088 * math.Pi / 180 // mean Earth radius
)

// Index answers which country a coordinate is in. It is immutable after Load
// and safe for concurrent use.
type Index struct {
	codes []string // codes[0] = "", codes[i+1] = code of country i

	grid   []uint32 // gridW*gridH root node per 1° cell; row-major from (-180,-90)
	nodes  []node
	pieces []piece
	edges  []edge

	// The nearest-boundary search uses a grid of snapRes×snapRes sub-cells
	// per 1° cell. snapBlock[cell] is 0 for a 1° cell without boundaries,
	// else b: the segments of its sub-cell k (row-major) are
	// snapSegs[snapOff[(b-1)*(snapRes²+1)+k] : …+k+1].
	snapKM    float64
	snapBlock []uint32
	snapOff   []uint32
	snapSegs  []uint32 // indexes into segs
	segs      []seg
}

// node is a quadtree node over a square cell. Its children, when it has
// them, are nodes[child:child+4] in the order SW, SE, NW, NE.
type node struct {
	child  uint32 // 0 = leaf (node 0 is the shared empty leaf, never a child)
	lo, hi uint32 // leaf: pieces[lo:hi]
	full   uint16 // leaf: country+1 when the whole cell is inside it
}

// piece is one polygon clipped to a leaf: a point is inside it when a ray
// from the point towards +x crosses an odd number of its edges.
type piece struct {
	country uint16
	lo, hi  uint32 // edges[lo:hi]
}

// edge is a non-horizontal polygon edge with y0 < y1; at height y it is at
// x0 + (y-y0)*k.
type edge struct{ y0, y1, x0, k float64 }

// seg is an unclipped boundary segment, for the nearest-country search.
type seg struct {
	ax, ay, bx, by float32
	country        uint16
}

// Load builds an Index from the embedded Natural Earth data. It takes about
// 0.1 s of CPU and the Index keeps about 10 MiB; build one and share it.
func Load(cfg Config) (*Index, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("cannot load geo index: %w", err)
	}
	d, err := parseData(countriesBin)
	if err != nil {
		return nil, fmt.Errorf("cannot load geo index: %w", err)
	}
	return build(d, cfg), nil
}

// ValidPoint reports whether lat, lon is a usable WGS84 coordinate: finite,
// latitude in [-90, 90], longitude in [-180, 180], and not (0, 0) — "null
// island", the value broken GPS fixes and defaulted fields produce.
func ValidPoint(lat, lon float64) bool {
	// The comparisons are false for NaN; ±Inf fail the range checks.
	return lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180 && (lat != 0 || lon != 0)
}

// Country returns the ISO 3166-1 alpha-2 code (upper case) of the country at
// lat, lon, or "" for invalid coordinates (see ValidPoint) and for points in
// the sea farther than Config.SeaSnapKM from any country. It does not
// allocate.
func (ix *Index) Country(lat, lon float64) string {
	code, _ := ix.Lookup(lat, lon)
	return code
}

// Lookup is Country that also reports whether the point was in no polygon
// and was given the country with the nearest boundary (a lower-quality
// answer, worth counting and keeping apart from exact hits).
func (ix *Index) Lookup(lat, lon float64) (code string, snapped bool) {
	if !ValidPoint(lat, lon) {
		return "", false
	}
	x, y := lon+180, lat+90
	if c := ix.locate(x, y); c != 0 {
		return ix.codes[c], false
	}
	if ix.snapKM > 0 {
		if c := ix.nearest(x, y); c != 0 {
			return ix.codes[c], true
		}
	}
	return "", false
}

// locate returns country+1 of the polygon containing x, y, or 0.
func (ix *Index) locate(x, y float64) uint16 {
	cx, cy := int(x), int(y)
	if cx >= gridW {
		cx = gridW - 1
	}
	if cy >= gridH {
		cy = gridH - 1
	}
	n := &ix.nodes[ix.grid[cy*gridW+cx]]
	x0, y0, size := float64(cx), float64(cy), 1.0
	for n.child != 0 {
		size /= 2
		i := uint32(0)
		if x >= x0+size {
			i |= 1
			x0 += size
		}
		if y >= y0+size {
			i |= 2
			y0 += size
		}
		n = &ix.nodes[n.child+i]
	}
	if n.full != 0 {
		return n.full
	}
	for _, p := range ix.pieces[n.lo:n.hi] {
		if inside(ix.edges[p.lo:p.hi], x, y) {
			return p.country + 1
		}
	}
	return 0
}

func inside(es []edge, x, y float64) bool {
	in := false
	for i := range es {
		e := &es[i]
		if y >= e.y0 && y < e.y1 && e.x0+(y-e.y0)*e.k > x {
			in = !in
		}
	}
	return in
}

// nearest returns country+1 of the boundary segment nearest to x, y within
// snapKM, or 0. Distances are on an equirectangular projection centred on
// the point, longitude differences taken across the antimeridian.
func (ix *Index) nearest(x, y float64) uint16 {
	const fw, fh = gridW * snapRes, gridH * snapRes
	cosLat := math.Cos((y - 90) * math.Pi / 180)
	dy := ix.snapKM / kmPerDeg
	dx := 180.0
	if cosLat*180 > dy {
		dx = dy / cosLat
	}
	r0, r1 := int(math.Floor((y-dy)*snapRes)), int(math.Floor((y+dy)*snapRes))
	r0, r1 = max(r0, 0), min(r1, fh-1)
	c0, c1 := int(math.Floor((x-dx)*snapRes)), int(math.Floor((x+dx)*snapRes))
	if c1-c0 >= fw {
		c0, c1 = 0, fw-1
	}
	best := ix.snapKM * ix.snapKM
	bestD := ix.snapKM
	var bestC uint16
	kx, ky := cosLat*kmPerDeg, kmPerDeg
	for r := r0; r <= r1; r++ {
		// Distance in y from the point to this row of sub-cells.
		ry0, ry1 := float64(r)/snapRes, float64(r+1)/snapRes
		gy := max(ry0-y, y-ry1, 0) * ky
		if gy*gy > best {
			continue
		}
		for c := c0; c <= c1; c++ {
			fc := c % fw
			if fc < 0 {
				fc += fw
			}
			b := ix.snapBlock[(r/snapRes)*gridW+fc/snapRes]
			if b == 0 {
				c += snapRes - 1 - fc%snapRes // skip the rest of this empty 1° cell
				continue
			}
			cx0 := float64(c) / snapRes // unwrapped, so comparable with x
			gx := max(cx0-x, x-(cx0+1.0/snapRes), 0) * kx
			if gx*gx+gy*gy > best {
				continue
			}
			o := (b-1)*(snapRes*snapRes+1) + uint32((r%snapRes)*snapRes+fc%snapRes)
			for _, si := range ix.snapSegs[ix.snapOff[o]:ix.snapOff[o+1]] {
				s := &ix.segs[si]
				ay, by := (float64(s.ay)-y)*ky, (float64(s.by)-y)*ky
				if (ay > bestD && by > bestD) || (ay < -bestD && by < -bestD) {
					continue
				}
				// Wrap a, and b with it: a segment never crosses the antimeridian.
				ax := wrapLon(float64(s.ax) - x)
				bx := ax + float64(s.bx) - float64(s.ax)
				ax, bx = ax*kx, bx*kx
				if d := dist2Origin(ax, ay, bx, by); d <= best {
					best, bestC = d, s.country+1
					bestD = math.Sqrt(d)
				}
			}
		}
	}
	return bestC
}

func wrapLon(d float64) float64 {
	if d > 180 {
		return d - 360
	}
	if d < -180 {
		return d + 360
	}
	return d
}

// dist2Origin is the squared distance from (0,0) to segment a-b.
func dist2Origin(ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = -(ax*dx + ay*dy) / l2
		t = min(max(t, 0), 1)
	}
	px, py := ax+t*dx, ay+t*dy
	return px*px + py*py
}
