package query

import (
	"fmt"
	"strings"
	"testing"
)

var benchQueries = []string{
	"quake",
	"quake OR sismo OR temblor OR #temblor OR 地震",
	"(sismo OR temblor OR #temblor) lang:es -is:repost -simulacro author.followers:>=100",
	`(quake OR sismo) NEAR/3 ("ciudad de méxico" OR cdmx) -drill`,
}

func BenchmarkParse(b *testing.B) {
	for i, q := range benchQueries {
		b.Run(fmt.Sprint(i), func(b *testing.B) {
			b.SetBytes(int64(len(q)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEval(b *testing.B) {
	text := []byte("Sismo fuerte en CDMX ahora mismo #temblor")
	fl := &Fields{Lang: "es", Country: "MX", Followers: 1200}
	for i, q := range benchQueries {
		p, err := Parse(q)
		if err != nil {
			b.Fatal(err)
		}
		present := make([]bool, len(p.Terms))
		var h Hits
		h.Reset(text)
		for j, t := range p.Terms {
			k := strings.Index(strings.ToLower(string(text)), strings.Trim(strings.ToLower(t), `"*#`))
			if k >= 0 {
				present[j] = true
				h.Add(j, k, k+len(strings.Trim(t, `"*#`)))
			}
		}
		b.Run(fmt.Sprint(i), func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				p.Eval(func(i int) bool { return present[i] }, h.Near, fl)
			}
		})
	}
}

func BenchmarkWordDistance(b *testing.B) {
	text := []byte("quake hit the centre of Ciudad de México, 大地震 reported by #usgs cdmx")
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		WordDistance(text, 5, len(text)-4)
	}
}
