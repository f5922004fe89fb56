package dedup

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/RoaringBitmap/roaring/v2/roaring64"
)

func TestWindow(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	w := NewWindow(time.Hour, 0, t0)
	a, b := Key("1852345678901234567"), Key("1852345678901234568")
	if a == b {
		t.Fatal("distinct ids hash equal")
	}
	if w.Seen(a, t0) {
		t.Fatal("first sight reported as duplicate")
	}
	if !w.Seen(a, t0.Add(time.Minute)) {
		t.Fatal("second sight not reported")
	}
	if w.Seen(b, t0.Add(59*time.Minute)) {
		t.Fatal("b is new")
	}
	// After one rotation both are still remembered (previous generation).
	if !w.Seen(a, t0.Add(90*time.Minute)) || !w.Seen(b, t0.Add(90*time.Minute)) {
		t.Fatal("keys forgotten before the span elapsed")
	}
	// a and b were re-added at 90m; nothing at all seen for > 2 spans forgets them.
	if w.Seen(a, t0.Add(5*time.Hour)) {
		t.Fatal("key remembered after 2 spans of silence")
	}
	if w.Len() != 1 {
		t.Fatalf("Len = %d, want 1", w.Len())
	}
	w.Add(b, t0.Add(5*time.Hour))
	if !w.Seen(b, t0.Add(5*time.Hour)) {
		t.Fatal("Add did not remember")
	}
	if w.Bytes() <= 0 {
		t.Fatal("Bytes = 0 with keys remembered")
	}
}

func TestWindowMaxKeys(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	const max = 1000
	w := NewWindow(time.Hour, max, t0)
	for i := range 5 * max {
		if w.Seen(Key(strconv.Itoa(i)), t0) {
			t.Fatalf("key %d reported as a duplicate", i)
		}
		if w.Len() > max {
			t.Fatalf("after %d keys Len = %d > max %d", i+1, w.Len(), max)
		}
	}
	if w.EarlyRotations() < 4 {
		t.Fatalf("EarlyRotations = %d, want ≥ 4", w.EarlyRotations())
	}
	// The most recent keys (the current generation) are still remembered.
	if !w.Seen(Key(strconv.Itoa(5*max-1)), t0) {
		t.Fatal("the last key was forgotten")
	}
}

// TestTableDifferential compares the table with a map over random keys,
// including keys that share a shard and keys whose fingerprint is 0.
func TestTableDifferential(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tb := newTable(4)
	// The table's identity of a key: its shard and fingerprint.
	id := func(k uint64) uint64 { return k>>60<<32 | uint64(fingerprint(k)) }
	ref := map[uint64]bool{}
	var last uint64
	for i := range 200_000 {
		k := r.Uint64()
		switch i % 10 {
		case 0:
			k &^= 0xFFFFFFFF // fingerprint 0
		case 1:
			k = k>>60<<60 | uint64(i) // crowd few shards
		}
		if i%3 == 0 && len(ref) > 0 {
			k = last // re-add a present key
		}
		if got, want := tb.add(k), !ref[id(k)]; got != want {
			t.Fatalf("add(%#x) = %v, want %v", k, got, want)
		}
		ref[id(k)] = true
		last = k
		if !tb.has(k) {
			t.Fatalf("has(%#x) after add = false", k)
		}
	}
	if tb.n != len(ref) {
		t.Fatalf("n = %d, want %d", tb.n, len(ref))
	}
	for k := range ref {
		if !tb.has(k>>32<<60 | k&0xFFFFFFFF) {
			t.Fatalf("lost %#x", k)
		}
	}
}

// TestFalseDrops measures how often a unique key is wrongly reported as
// seen and checks it against the model n/2^(32+s): exactly with few shard
// bits (where false answers are frequent enough to count), and as an upper
// bound at the production setting.
func TestFalseDrops(t *testing.T) {
	f := func(s uint8, n, queries int, wantMax float64) {
		t.Helper()
		r := rand.New(rand.NewPCG(uint64(s), uint64(n)))
		tb := newTable(s)
		for range n {
			tb.add(r.Uint64())
		}
		false_ := 0
		for range queries {
			if tb.has(r.Uint64()) {
				false_++
			}
		}
		rate := float64(false_) / float64(queries)
		model := float64(n) / float64(uint64(1)<<(32+s))
		t.Logf("s=%d n=%d: %d false in %d lookups = %.2g (model %.2g, %.2f bytes/key)",
			s, n, false_, queries, rate, model, float64(tb.bytes())/float64(n))
		if rate > wantMax {
			t.Errorf("false-drop rate %.3g above %.3g", rate, wantMax)
		}
		if model*float64(queries) >= 30 && (rate < model/2 || rate > model*2) {
			t.Errorf("rate %.3g does not follow the model %.3g", rate, model)
		}
	}
	f(0, 1_000_000, 2_000_000, 1e-3)                     // model 2.3e-4: ~466 expected
	f(4, 1_000_000, 2_000_000, 1e-4)                     // model 1.5e-5: ~29 expected
	f(shardBits(20_000_000), 1_000_000, 1_000_000, 1e-6) // production shards
}

func TestAppendNormal(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := string(AppendNormal(nil, []byte(in))); got != want {
			t.Errorf("AppendNormal(%q) = %q, want %q", in, got, want)
		}
	}
	f("", "")
	f("Sismo FUERTE  en\tCDMX\n", "sismo fuerte en cdmx")
	f("RT @ana: Sismo fuerte https://t.co/abc", "sismo fuerte")
	f("rt   @ana:  sismo", "sismo")
	f("Art is RT", "art is rt")
	f("@ana @bob HTTPS://X.CO/1 http://y", "")
	f("ÉCOLE Straße ＡＢＣ", "école straße ａｂｃ")
	f("地震だ！ #Temblor", "地震だ！ #temblor")
	f("a\u00a0b\u3000c", "a b c")
	f("bad \xff byte", "bad \xff byte")
	k1, _ := CopyKey(nil, []byte("RT @x: Sismo fuerte https://t.co/1"))
	k2, _ := CopyKey(nil, []byte("sismo   FUERTE https://t.co/2 @y"))
	if k1 != k2 || k1 == 0 {
		t.Errorf("copy keys differ or are 0: %#x %#x", k1, k2)
	}
	if k, _ := CopyKey(nil, []byte("@only https://links")); k != 0 {
		t.Errorf("empty copy form has key %#x", k)
	}
}

func FuzzAppendNormal(f *testing.F) {
	for _, s := range []string{"RT @ana: Sismo https://t.co/x", "ÉCOLE\u3000x", "\xff\xfe", "rt", "@", "http://"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		n := AppendNormal(nil, text)
		// Idempotent, no leading/trailing/double spaces.
		if again := AppendNormal(nil, n); string(again) != string(n) && !startsWithRT(n) {
			t.Fatalf("not idempotent: %q → %q → %q", text, n, again)
		}
		if len(n) > 0 && (n[0] == ' ' || n[len(n)-1] == ' ') {
			t.Fatalf("untrimmed %q", n)
		}
	})
}

// startsWithRT: "rt x" is kept ("rt" not followed by a handle is a word) but
// normalising it again drops the leading "rt".
func startsWithRT(b []byte) bool {
	return len(b) >= 2 && b[0] == 'r' && b[1] == 't' && (len(b) == 2 || b[2] == ' ')
}

func TestCopies(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	c := NewCopies(time.Hour, 0, t0)
	k, _ := CopyKey(nil, []byte("sismo fuerte"))
	if of, n := c.Observe(k, "1", t0); of != "" || n != 1 {
		t.Fatalf("first: %q %d", of, n)
	}
	if of, n := c.Observe(k, "2", t0.Add(time.Minute)); of != "1" || n != 2 {
		t.Fatalf("second: %q %d", of, n)
	}
	if of, n := c.Observe(k, "3", t0.Add(90*time.Minute)); of != "1" || n != 3 {
		t.Fatalf("after one rotation: %q %d", of, n)
	}
	if of, n := c.Observe(k, "4", t0.Add(5*time.Hour)); of != "" || n != 1 {
		t.Fatalf("after the window: %q %d", of, n)
	}
	if of, n := c.Observe(0, "5", t0); of != "" || n != 0 {
		t.Fatalf("key 0: %q %d", of, n)
	}
	small := NewCopies(time.Hour, 10, t0)
	for i := range 100 {
		small.Observe(uint64(i+1), strconv.Itoa(i), t0)
		if small.Len() > 10 {
			t.Fatalf("Len %d > 10", small.Len())
		}
	}
	if small.EarlyRotations() == 0 {
		t.Fatal("no early rotation")
	}
}

// u64set is the exact candidate: open addressing over full 64-bit keys,
// power-of-two size, linear probing, grown ×2 at load 0.75.
type u64set struct {
	slots []uint64 // key+1 … 0 is empty (key MaxUint64 maps onto 0: fine for a benchmark)
	n     int
	shift uint
}

func (s *u64set) add(k uint64) bool {
	if 4*(s.n+1) > 3*len(s.slots) {
		old := s.slots
		size := max(2*len(old), 1024)
		s.slots, s.n = make([]uint64, size), 0
		s.shift = uint(64 - bitsLen(size-1))
		for _, v := range old {
			if v != 0 {
				s.add(v - 1)
			}
		}
	}
	mask := uint64(len(s.slots) - 1)
	for i := (k * 0x9E3779B97F4A7C15) >> s.shift; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case k + 1:
			return false
		case 0:
			s.slots[i] = k + 1
			s.n++
			return true
		}
	}
}

func bitsLen(x int) int {
	n := 0
	for ; x > 0; x >>= 1 {
		n++
	}
	return n
}

func heap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkSets builds a set of n random 64-bit post-id hashes with
// test-and-add (what Window.Seen does) and reports ns/key and bytes/key of
// each candidate structure. Run with -benchtime 1x for the 1e7 sizes.
func BenchmarkSets(b *testing.B) {
	type set interface{ add(uint64) bool }
	cands := []struct {
		name string
		new  func(n int) set
	}{
		{"map", func(int) set { return mapSet{} }},
		{"u64open", func(int) set { return &u64set{} }},
		{"fingerprint", func(n int) set { t := newTable(shardBits(n)); return &t }},
		{"roaring64", func(int) set { return r64{roaring64.New()} }},
	}
	for _, n := range []int{1e5, 1e6, 1e7} {
		keys := make([]uint64, n)
		r := rand.New(rand.NewPCG(7, uint64(n)))
		for i := range keys {
			keys[i] = Key(strconv.FormatUint(r.Uint64()>>1, 10))
		}
		for _, c := range cands {
			if c.name == "roaring64" && n > 1e5 {
				// Random 64-bit keys give one tiny container each, inserted
				// into a sorted array: measured 457 µs/key at 1e6 keys.
				continue
			}
			b.Run(fmt.Sprintf("%s/keys=%.0e", c.name, float64(n)), func(b *testing.B) {
				b.ReportAllocs()
				var bytes float64
				for b.Loop() {
					h0 := heap()
					s := c.new(n)
					for _, k := range keys {
						s.add(k)
					}
					bytes = float64(heap() - h0)
					runtime.KeepAlive(s)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/key")
				b.ReportMetric(bytes/float64(n), "bytes/key")
			})
		}
	}
}

type mapSet map[uint64]struct{}

func (m mapSet) add(k uint64) bool {
	if _, ok := m[k]; ok {
		return false
	}
	m[k] = struct{}{}
	return true
}

type r64 struct{ *roaring64.Bitmap }

func (r r64) add(k uint64) bool { return r.CheckedAdd(k) }

// BenchmarkRoaringOffsets measures roaring on dense keys: every offset of
// a partition with a few percent missing, the shape of "offsets that
// produced mentions".
func BenchmarkRoaringOffsets(b *testing.B) {
	const n = 1_000_000
	b.ReportAllocs()
	var bytes float64
	for b.Loop() {
		h0 := heap()
		bm := roaring.New()
		for o := uint32(0); o < n; o++ {
			if o%29 != 0 {
				bm.Add(o)
			}
		}
		bm.RunOptimize()
		bytes = float64(heap() - h0)
		runtime.KeepAlive(bm)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/key")
	b.ReportMetric(bytes/n, "bytes/key")
}

func BenchmarkSeen(b *testing.B) {
	t0 := time.Now()
	w := NewWindow(time.Hour, 0, t0)
	b.ReportAllocs()
	i := uint64(0)
	for b.Loop() {
		i++
		w.Seen(i*0x9E3779B97F4A7C15, t0)
	}
}

func BenchmarkCopyKey(b *testing.B) {
	text := []byte("RT @protezionecivile: Forte scossa di terremoto avvertita a Napoli https://t.co/AbCdEf #terremoto")
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		_, buf = CopyKey(buf, text)
	}
}
