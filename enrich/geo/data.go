package geo

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// countriesBin is written by internal/gendata; the format is documented on
// its encode method and read by parseData.
//
//go:embed data/countries.bin
var countriesBin []byte

// dataset is the decoded data file. Coordinates are shifted to x = lon+180
// in [0, 360] and y = lat+90 in [0, 180] so grid cells start at 0.
type dataset struct {
	codes []string // per country: "" or two upper-case letters
	names []string
	polys []polygon
	rings []uint32 // ring i is pts[rings[i]:rings[i+1]], not closed
	pts   []pt
}

type polygon struct {
	country        uint16
	ringLo, ringHi uint32 // first ring is the outer one, the rest are holes
}

type pt struct{ x, y float64 }

func (d *dataset) ring(i uint32) []pt { return d.pts[d.rings[i]:d.rings[i+1]] }

var errTruncated = errors.New("truncated")

type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errTruncated
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errTruncated
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errTruncated
		return nil
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}

// count reads a count of items that take at least minBytes each, so a corrupt
// count cannot make us allocate more than the input could describe.
func (r *reader) count(minBytes int) int {
	v := r.uvarint()
	if r.err == nil && v > uint64(len(r.b)/minBytes) {
		r.err = fmt.Errorf("count %d exceeds the remaining %d bytes", v, len(r.b))
		return 0
	}
	return int(v)
}

func parseData(b []byte) (*dataset, error) {
	const hdr = 5 + 4*8
	if len(b) < hdr || string(b[:4]) != "EGEO" {
		return nil, errors.New("cannot parse country data: bad magic")
	}
	if b[4] != 1 {
		return nil, fmt.Errorf("cannot parse country data: unsupported version %d", b[4])
	}
	var f [4]float64
	for i := range f {
		f[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[5+8*i:]))
		if math.IsNaN(f[i]) || math.IsInf(f[i], 0) {
			return nil, errors.New("cannot parse country data: bad transform")
		}
	}
	sx, sy, tx, ty := f[0], f[1], f[2]+180, f[3]+90
	r := &reader{b: b[hdr:]}
	d := &dataset{}
	nc := r.count(3)
	if nc > math.MaxUint16 {
		return nil, fmt.Errorf("cannot parse country data: %d countries", nc)
	}
	for range nc {
		code := r.bytes(2)
		name := r.bytes(r.uvarint())
		if r.err != nil {
			break
		}
		c := ""
		if code[0] != 0 || code[1] != 0 {
			if code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' {
				return nil, fmt.Errorf("cannot parse country data: bad code %q", code)
			}
			c = string(code)
		}
		d.codes = append(d.codes, c)
		d.names = append(d.names, string(name))
	}
	np := r.count(2)
	for range np {
		ci := r.uvarint()
		nr := r.count(1)
		if r.err != nil {
			break
		}
		if ci >= uint64(len(d.codes)) {
			return nil, fmt.Errorf("cannot parse country data: country %d out of range", ci)
		}
		p := polygon{country: uint16(ci), ringLo: uint32(len(d.rings))}
		for range nr {
			n := r.count(2)
			if r.err != nil {
				break
			}
			if n < 3 {
				return nil, fmt.Errorf("cannot parse country data: ring of %d points", n)
			}
			d.rings = append(d.rings, uint32(len(d.pts)))
			var qx, qy int64
			for range n {
				qx += r.varint()
				qy += r.varint()
				x, y := float64(qx)*sx+tx, float64(qy)*sy+ty
				if !(x >= 0 && x <= 360 && y >= 0 && y <= 180) {
					if r.err != nil {
						break
					}
					// Clamp rounding just outside the world (the quantized
					// grid's last step can land on 180.00000000000003).
					if x < -1e-6 || x > 360+1e-6 || y < -1e-6 || y > 180+1e-6 {
						return nil, fmt.Errorf("cannot parse country data: point %v,%v outside the world", x-180, y-90)
					}
					x, y = min(max(x, 0), 360), min(max(y, 0), 180)
				}
				d.pts = append(d.pts, pt{x, y})
			}
		}
		if r.err != nil {
			break
		}
		p.ringHi = uint32(len(d.rings))
		d.polys = append(d.polys, p)
	}
	if r.err != nil {
		return nil, fmt.Errorf("cannot parse country data: %w", r.err)
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("cannot parse country data: %d trailing bytes", len(r.b))
	}
	d.rings = append(d.rings, uint32(len(d.pts)))
	return d, nil
}
