package firehose

import (
	"testing"
)

// BenchmarkNext measures generation speed. Besides ns/op it reports
// posts/s and, where the OS tells, cpu-ns/op (process CPU time per post),
// which stays meaningful on a busy machine.
func BenchmarkNext(b *testing.B) {
	for _, tc := range []struct {
		name   string
		rules  int
		bursts []Burst
	}{
		{"rules=1k", 1000, nil},
		{"rules=1k/burst", 1000, []Burst{DefaultBurst(0)}},
		{"rules=100k/burst", 100000, []Burst{DefaultBurst(0)}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			g, err := New(Config{Seed: 1, Rules: Rules(tc.rules), Bursts: tc.bursts})
			if err != nil {
				b.Fatal(err)
			}
			var n int64
			for range 1000 {
				n += int64(len(g.Next().Value))
			}
			b.SetBytes(n / 1000)
			b.ReportAllocs()
			cpu0 := cpuTime()
			b.ResetTimer()
			for b.Loop() {
				g.Next()
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "posts/s")
			if cpu := cpuTime() - cpu0; cpu > 0 {
				b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}
