package geo

import (
	"fmt"
	"math"
)

// Outlines returns the boundaries of the embedded Natural Earth countries
// for drawing a map: every ring (outer boundaries and holes) as a closed
// polyline of longitude, latitude pairs, its points rounded to multiples of
// step degrees and consecutive equal points merged; rings that shrink to
// fewer than three points are left out. A step of 0.25 keeps the shape of
// every country a map of the world can show, in about a tenth of the 1:50m
// points. step must be positive.
func Outlines(step float64) ([][]float32, error) {
	if !(step > 0) || math.IsInf(step, 0) {
		return nil, fmt.Errorf("outline step %v: want a positive number of degrees", step)
	}
	d, err := parseData(countriesBin)
	if err != nil {
		return nil, fmt.Errorf("cannot read country outlines: %w", err)
	}
	var out [][]float32
	for i := range len(d.rings) - 1 {
		ring := d.ring(uint32(i))
		var line []float32
		for _, p := range ring {
			lon := float32(math.Round((p.x-180)/step) * step)
			lat := float32(math.Round((p.y-90)/step) * step)
			if n := len(line); n >= 2 && line[n-2] == lon && line[n-1] == lat {
				continue
			}
			line = append(line, lon, lat)
		}
		if n := len(line); n >= 4 && line[0] == line[n-2] && line[1] == line[n-1] {
			line = line[:n-2] // the ring came back to its start: closing is the drawer's
		}
		if len(line) >= 6 {
			out = append(out, line)
		}
	}
	return out, nil
}
