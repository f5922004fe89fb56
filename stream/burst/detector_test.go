package burst

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"earshot/stream/alert"
)

var t0 = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

// poisson appends events of rule at rate per minute in [from, to), sorted.
func poisson(dst []Event, r *rand.Rand, rule, country, cell string, perMin float64, from, to time.Duration) []Event {
	if perMin <= 0 {
		return dst
	}
	for at := from; ; {
		at += time.Duration(r.ExpFloat64() / perMin * float64(time.Minute))
		if at >= to {
			return dst
		}
		dst = append(dst, Event{Rule: rule, Country: country, Cell: cell, At: t0.Add(at), Original: true,
			TextLen: 40, AuthorID: strconv.Itoa(r.IntN(1 << 20)), PostID: strconv.Itoa(len(dst)), Text: "sismo!",
			Lat: 19.43, Lon: -99.13, Tier: 3})
	}
}

// feed runs events through d with a 1-second tick of feed health and a
// watermark at the newest event, returning all alerts.
func feed(t testing.TB, d *Detector, ev []Event, end time.Time) []alert.Alert {
	t.Helper()
	var out []alert.Alert
	var wm time.Time
	next := ev[0].At
	for i := range ev {
		for !next.After(ev[i].At) {
			d.Tick(next)
			next = next.Add(time.Second)
		}
		d.Observe(&ev[i])
		if ev[i].At.After(wm) {
			wm = ev[i].At
			out = append(out, d.Advance(wm)...)
		}
	}
	for ; next.Before(end); next = next.Add(time.Second) {
		d.Tick(next)
		out = append(out, d.Advance(next)...)
	}
	return append(out, d.Advance(end)...)
}

func newDetector(t testing.TB, cfg Config) *Detector {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func triggers(as []alert.Alert, scope string) []alert.Alert {
	var out []alert.Alert
	for _, a := range as {
		if a.Kind == alert.KindTrigger && (scope == "" || a.Scope == scope) {
			out = append(out, a)
		}
	}
	return out
}

// TestStep checks the trigger rule on a background rate stepping up at
// 40 minutes: whether it triggers, and how soon.
func TestStep(t *testing.T) {
	f := func(bg, burst float64, want bool, maxDelay time.Duration) {
		t.Helper()
		r := rand.New(rand.NewPCG(1, 2))
		ev := poisson(nil, r, "sismo", "", "", bg, 0, 60*time.Minute)
		ev = poisson(ev, r, "sismo", "", "", burst, 40*time.Minute, 45*time.Minute)
		slicesSortByTime(ev)
		d := newDetector(t, Config{Scopes: []string{"rule"}})
		got := triggers(feed(t, d, ev, t0.Add(61*time.Minute)), "")
		if !want {
			if len(got) > 0 {
				t.Errorf("bg %v burst %v: triggered %+v, want none", bg, burst, got[0])
			}
			return
		}
		if len(got) != 1 {
			t.Fatalf("bg %v burst %v: %d triggers, want 1", bg, burst, len(got))
		}
		delay := got[0].DetectedAt.Sub(t0.Add(40 * time.Minute))
		if delay < 0 || delay > maxDelay {
			t.Errorf("bg %v burst %v: delay %v, want ≤ %v", bg, burst, delay, maxDelay)
		}
		if got[0].STA < 2*got[0].LTA+12 {
			t.Errorf("trigger below threshold: %+v", got[0])
		}
	}
	f(1, 0, false, 0)
	f(1, 6, false, 0)              // 7/min < 2·1+12
	f(1, 60, true, 30*time.Second) // 12 posts arrive in ~12s
	f(10, 10, false, 0)            // doubling 10→20/min < 2·10+12
	f(10, 100, true, 40*time.Second)
	f(100, 400, true, 40*time.Second)
	f(100, 80, false, 0) // 180/min < 2·100+12
}

// TestFalseAlarmsSyntheticWeek runs a week of Poisson background per rule
// at rates from 0.5 to 300 posts per minute: the default trigger must stay
// quiet (the generator replay covers realistic traffic at low rates).
func TestFalseAlarmsSyntheticWeek(t *testing.T) {
	if testing.Short() {
		t.Skip("a week of events")
	}
	r := rand.New(rand.NewPCG(3, 4))
	var ev []Event
	for i, rate := range []float64{0.5, 3, 12, 50, 120} {
		ev = poisson(ev, r, "r"+strconv.Itoa(i), "", "", rate, 0, 7*24*time.Hour)
	}
	slicesSortByTime(ev)
	d := newDetector(t, Config{Scopes: []string{"rule"}})
	got := triggers(feed(t, d, ev, t0.Add(7*24*time.Hour)), "")
	t.Logf("%d events over a week, %d false alarms", len(ev), len(got))
	if len(got) > 1 {
		t.Errorf("%d false alarms in a week: want ≤ 1; first %+v", len(got), got[0])
	}
}

func slicesSortByTime(ev []Event) {
	sortSlice(ev, func(a, b *Event) bool { return a.At.Before(b.At) })
}

// TestRearmAndFollowUps: one trigger for a 10-minute burst that grows,
// follow-ups as it doubles, re-arm after it ends, a second trigger for a
// second burst.
func TestRearmAndFollowUps(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	ev := poisson(nil, r, "sismo", "", "9g3w", 1, 0, 120*time.Minute)
	ev = poisson(ev, r, "sismo", "", "9g3w", 30, 40*time.Minute, 42*time.Minute)
	ev = poisson(ev, r, "sismo", "", "9g3w", 400, 42*time.Minute, 50*time.Minute)
	ev = poisson(ev, r, "sismo", "", "9g3w", 60, 90*time.Minute, 95*time.Minute)
	slicesSortByTime(ev)
	d := newDetector(t, Config{Scopes: []string{"rule"}})
	all := feed(t, d, ev, t0.Add(121*time.Minute))
	trig := triggers(all, "")
	if len(trig) != 2 {
		t.Fatalf("%d triggers, want 2: %+v", len(trig), trig)
	}
	var fups []alert.Alert
	for _, a := range all {
		if a.Kind == alert.KindFollowUp && a.EventID == trig[0].ID {
			fups = append(fups, a)
		}
	}
	if len(fups) < 2 || len(fups) > 5 {
		t.Fatalf("%d follow-ups, want 2–5", len(fups))
	}
	for i, f := range fups {
		if f.EventID != trig[0].ID || f.Seq != i+1 || f.ID == trig[0].ID || f.STA < 50 {
			t.Errorf("follow-up %d: %+v", i, f)
		}
	}
	if trig[1].DetectedAt.Before(t0.Add(90*time.Minute)) || trig[1].ID == trig[0].ID {
		t.Errorf("second trigger %+v", trig[1])
	}
	if len(trig[0].Examples) == 0 || len(trig[0].Examples) > 5 || trig[0].Location == nil {
		t.Errorf("trigger lacks examples or location: %+v", trig[0])
	}
}

// TestLateness: shuffling events by up to the allowed lateness changes
// nothing; events later than that are counted as late and never decide a
// bin already decided.
func TestLateness(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	ev := poisson(nil, r, "sismo", "MX", "9g3w", 2, 0, 60*time.Minute)
	ev = poisson(ev, r, "sismo", "MX", "9g3w", 80, 40*time.Minute, 45*time.Minute)
	slicesSortByTime(ev)
	base := feed(t, newDetector(t, Config{}), ev, t0.Add(61*time.Minute))

	shuffled := append([]Event(nil), ev...)
	for i := range shuffled { // arrival order: event time + up to 8s delay
		shuffled[i].At = shuffled[i].At.Add(time.Duration(r.Int64N(int64(8 * time.Second))))
	}
	idx := make([]int, len(ev))
	for i := range idx {
		idx[i] = i
	}
	sortSlice(idx, func(a, b *int) bool { return shuffled[*a].At.Before(shuffled[*b].At) })
	// Deliver in arrival order, each with its true event time.
	d := newDetector(t, Config{})
	var got []alert.Alert
	for _, i := range idx {
		d.Tick(ev[i].At)
		d.Observe(&ev[i])
		got = append(got, d.Advance(shuffled[i].At)...)
	}
	got = append(got, d.Advance(t0.Add(61*time.Minute))...)
	if len(triggers(base, "")) == 0 || !sameAlerts(base, got) {
		t.Fatalf("out-of-order within lateness changed alerts:\nsorted   %v\nshuffled %v", ids(base), ids(got))
	}

	// Hold back the whole burst by 2 minutes: it lands in decided bins.
	d = newDetector(t, Config{Scopes: []string{"rule"}})
	var late []alert.Alert
	held := []Event{}
	for i := range ev {
		if ev[i].At.Before(t0.Add(40*time.Minute)) || ev[i].At.After(t0.Add(45*time.Minute)) {
			d.Tick(ev[i].At)
			d.Observe(&ev[i])
			late = append(late, d.Advance(ev[i].At)...)
			if len(held) > 0 && ev[i].At.After(t0.Add(47*time.Minute)) {
				for j := range held {
					d.Observe(&held[j])
				}
				held = nil
			}
			continue
		}
		held = append(held, ev[i])
	}
	if n := len(triggers(late, "")); n != 0 {
		t.Errorf("a burst arriving 2 minutes late triggered %d times; late bins must not be decided again", n)
	}
}

func ids(as []alert.Alert) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.ID+"@"+a.DetectedAt.Format("15:04:05"))
	}
	return out
}

func sameAlerts(a, b []alert.Alert) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || !a[i].DetectedAt.Equal(b[i].DetectedAt) {
			return false
		}
	}
	return true
}

// TestOutage: a 10-minute feed gap suppresses triggers until it leaves the
// STA+LTA window.
func TestOutage(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	ev := poisson(nil, r, "sismo", "", "", 3, 0, 40*time.Minute)
	ev = poisson(ev, r, "sismo", "", "", 3, 50*time.Minute, 150*time.Minute)
	ev = poisson(ev, r, "sismo", "", "", 100, 55*time.Minute, 58*time.Minute)   // inside: suppressed
	ev = poisson(ev, r, "sismo", "", "", 100, 100*time.Minute, 103*time.Minute) // gap left the window
	slicesSortByTime(ev)
	d := newDetector(t, Config{Scopes: []string{"rule"}})
	var got []alert.Alert
	for i := range ev { // no Tick: feed health from events, so the gap is an outage
		d.Observe(&ev[i])
		got = append(got, d.Advance(ev[i].At)...)
	}
	trig := triggers(got, "")
	if len(trig) != 1 || trig[0].DetectedAt.Before(t0.Add(100*time.Minute)) {
		t.Fatalf("triggers %v: want one, after minute 100", ids(trig))
	}
}

// TestAuthors: one account posting 100 times a minute triggers in post
// mode, not in author mode.
func TestAuthors(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	ev := poisson(nil, r, "sismo", "", "", 1, 0, 60*time.Minute)
	spam := poisson(nil, r, "sismo", "", "", 100, 40*time.Minute, 45*time.Minute)
	for i := range spam {
		spam[i].AuthorID = "spammer"
	}
	ev = append(ev, spam...)
	slicesSortByTime(ev)
	for _, c := range []struct {
		authors bool
		want    int
	}{{false, 1}, {true, 0}} {
		d := newDetector(t, Config{Scopes: []string{"rule"}, Default: Params{Authors: c.authors}})
		if n := len(triggers(feed(t, d, ev, t0.Add(61*time.Minute)), "")); n != c.want {
			t.Errorf("authors=%v: %d triggers, want %d", c.authors, n, c.want)
		}
	}
}

// TestSnapshotRestore: stopping at any point, snapshotting and restoring
// into a new detector gives the same alerts as an uninterrupted run.
func TestSnapshotRestore(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	ev := poisson(nil, r, "sismo", "MX", "9g3wx", 2, 0, 60*time.Minute)
	ev = poisson(ev, r, "sismo", "MX", "9g3wx", 90, 40*time.Minute, 44*time.Minute)
	ev = poisson(ev, r, "quake", "CL", "66jc", 1, 0, 60*time.Minute)
	slicesSortByTime(ev)
	for _, authors := range []bool{false, true} {
		cfg := Config{Default: Params{Authors: authors}}
		base := feed(t, newDetector(t, cfg), ev, t0.Add(61*time.Minute))
		if len(triggers(base, "")) == 0 {
			t.Fatal("no trigger in the base run")
		}
		for _, cut := range []int{len(ev) / 3, len(ev) * 41 / 60 * 1} {
			d := newDetector(t, cfg)
			first := feed(t, d, ev[:cut], ev[cut-1].At)
			snap, err := d.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			d2 := newDetector(t, cfg)
			if err := d2.Restore(snap); err != nil {
				t.Fatal(err)
			}
			rest := feed(t, d2, ev[cut:], t0.Add(61*time.Minute))
			if got := append(first, rest...); !sameAlerts(base, got) {
				t.Errorf("authors=%v cut %d: restored run differs:\nbase %v\ngot  %v", authors, cut, ids(base), ids(got))
			}
		}
	}
}

// TestMaxKeys: the key cap holds under many distinct cells.
func TestMaxKeys(t *testing.T) {
	d := newDetector(t, Config{MaxKeys: 1000})
	for i := range 20000 {
		cell := strconv.FormatInt(int64(1000000+i), 32)[:4] + "x"
		e := Event{Rule: "r" + strconv.Itoa(i%7), Country: "MX", Cell: cell, At: t0.Add(time.Duration(i) * 10 * time.Millisecond), Original: true, TextLen: 10}
		d.Observe(&e)
		d.Advance(e.At)
		if d.Keys() > 1000 {
			t.Fatalf("%d keys tracked, cap 1000", d.Keys())
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{
		{Bin: time.Nanosecond},
		{Default: Params{STA: 7 * time.Second}},
		{Default: Params{Rearm: 2}},
		{Scopes: []string{"planet"}},
		{Rules: map[string]Params{"x": {LTA: -time.Minute}}},
		{MaxKeys: 3},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("config %+v accepted", c)
		}
	}
	over := map[string]Params{"sismo": {B: 3}}
	d := newDetector(t, Config{Rules: over})
	if d.ruleFor("sismo").p.B != 3 || d.ruleFor("sismo").p.M != 2 || d.ruleFor("other").p.B != 12 {
		t.Error("per-rule override not applied or not inherited")
	}
	if over["sismo"].M != 0 {
		t.Error("New modified the caller's overrides")
	}
}

func FuzzRestore(f *testing.F) {
	d := newDetector(f, Config{Default: Params{Authors: true}})
	r := rand.New(rand.NewPCG(1, 1))
	feed(f, d, poisson(nil, r, "sismo", "MX", "9g3w", 30, 0, 3*time.Minute), t0.Add(4*time.Minute))
	snap, _ := d.Snapshot()
	f.Add(snap)
	f.Add([]byte(`{"version":1,"bin":5000000000,"clock":5,"keys":[{"rule":"x","scope":9}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := New(Config{Default: Params{Authors: true}})
		if err != nil {
			t.Fatal(err)
		}
		if d.Restore(data) != nil {
			return
		}
		e := Event{Rule: "sismo", Country: "MX", Cell: "9g3wx", At: t0.Add(5 * time.Minute), Original: true}
		d.Observe(&e)
		d.Advance(e.At.Add(time.Minute))
		if _, err := d.Snapshot(); err != nil {
			t.Fatal(err)
		}
	})
}

func BenchmarkObserve(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	var ev []Event
	for i := range 50 {
		ev = poisson(ev, r, "r"+strconv.Itoa(i), "MX", "9g3w"+strconv.Itoa(i%5), 60, 0, 60*time.Minute)
	}
	slicesSortByTime(ev)
	b.ReportAllocs()
	b.SetBytes(1)
	b.ResetTimer()
	var d *Detector
	for i := 0; i < b.N; i++ {
		j := i % len(ev)
		if j == 0 {
			d, _ = New(Config{})
		}
		d.Observe(&ev[j])
		d.Advance(ev[j].At)
	}
}

// TestEcho: during a rule's worldwide burst (an earthquake in Mexico, 1,000
// first-hand posts a minute), the chatter it raises elsewhere (20 a minute
// in Brazil, 2% of the rule's count) does not trigger Brazil's country and
// cell keys, while a concurrent event in Chile holding 9% of the count does;
// with EchoShare off, Brazil triggers as an epicentre.
func TestEcho(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var ev []Event
	for _, c := range []struct {
		country, cell   string
		background, top float64
	}{{"MX", "9g3w", 2, 1000}, {"BR", "6gyf", 0.5, 20}, {"CL", "66jc", 0.5, 100}} {
		ev = poisson(ev, r, "sismo", c.country, c.cell, c.background, 0, 40*time.Minute)
		ev = poisson(ev, r, "sismo", c.country, c.cell, c.top, 40*time.Minute, 50*time.Minute)
	}
	slicesSortByTime(ev)
	regions := func(echo float64) map[string]bool {
		d := newDetector(t, Config{Default: Params{EchoShare: echo}})
		got := map[string]bool{}
		for _, a := range triggers(feed(t, d, ev, t0.Add(60*time.Minute)), "") {
			got[a.Scope+" "+a.Region()] = true
		}
		return got
	}
	got := regions(0) // the default
	for _, k := range []string{"rule ", "country MX", "cell cell:9g3w", "country CL", "cell cell:66jc"} {
		if !got[k] {
			t.Errorf("no %s trigger; got %v", k, got)
		}
	}
	for _, k := range []string{"country BR", "cell cell:6gyf"} {
		if got[k] {
			t.Errorf("the echo triggered %s; got %v", k, got)
		}
	}
	if off := regions(-1); !off["country BR"] {
		t.Errorf("with EchoShare off Brazil did not trigger: the test does not hold the echo; got %v", off)
	}
}

// TestObserveKeepsCopies: what the series keep of an event (its country in
// their keys, its id and text in their samples) does not point into the
// event's strings, which may be views of a whole post.
func TestObserveKeepsCopies(t *testing.T) {
	d, err := New(Config{Scopes: []string{"rule", "country", "cell"}})
	if err != nil {
		t.Fatal(err)
	}
	block := `{"id":"123","text":"sismo fuerte en CDMX","country":"MX"}` + strings.Repeat(" ", 4096)
	inBlock := func(s string) bool {
		if s == "" {
			return false
		}
		p, lo := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(block)))
		return p >= lo && p < lo+uintptr(len(block))
	}
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	d.Tick(at)
	e := Event{Rule: "quake", At: at, Original: true, TextLen: 20, Country: block[50:52], Cell: "9g3w8",
		PostID: block[7:10], Text: block[20:40]}
	if !inBlock(e.Country) || !inBlock(e.PostID) || !inBlock(e.Text) {
		t.Fatal("the test's event does not point into its block")
	}
	d.Observe(&e)
	if len(d.keys) != 3 {
		t.Fatalf("%d series, want 3 (rule, country, cell)", len(d.keys))
	}
	for id, s := range d.keys {
		if inBlock(id.region) || inBlock(s.country) {
			t.Errorf("series %v keeps the event's country %q", id, s.country)
		}
		for _, x := range s.ex {
			if inBlock(x.ID) || inBlock(x.Text) {
				t.Errorf("series %v keeps the event's id or text: %+v", id, x)
			}
		}
		if s.ex[0].ID != "123" || s.ex[0].Text != "sismo fuerte en CDMX" {
			t.Errorf("series %v sample %+v", id, s.ex[0])
		}
	}
}

// TestRingsGrow: a key's example ring grows as posts come and then keeps
// the most recent, oldest first, as a ring made whole at once did.
func TestRingsGrow(t *testing.T) {
	for _, posts := range []int{0, 1, 3, 10, 11, 25} {
		s := &series{r: &rule{sta: 1}}
		for i := range posts {
			s.ex = push(s.ex, s.exN, 10, sample{Bin: 5, ID: strconv.Itoa(i)})
			s.exN++
		}
		if want := min(posts, 10); len(s.ex) != want {
			t.Errorf("%d posts: ring of %d, want %d", posts, len(s.ex), want)
		}
		var got, want []string
		for _, e := range s.examples(5, 100) {
			got = append(got, e.ID)
		}
		for i := max(0, posts-10); i < posts; i++ {
			want = append(want, strconv.Itoa(i))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%d posts: examples %v, want %v", posts, got, want)
		}
	}
}

// TestSum: a ring's sum over any span of bins, negative ones and spans
// longer than the ring included, is the sum of each bin's count.
func TestSum(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		s := &series{counts: make([]uint32, 1+r.IntN(40))}
		for i := range s.counts {
			s.counts[i] = uint32(r.IntN(100))
		}
		from := int64(r.IntN(400) - 200)
		to := from + int64(r.IntN(90)) - 5
		var want int64
		for i := from + 1; i <= to; i++ {
			want += int64(s.counts[mod(i, len(s.counts))])
		}
		if got := s.sum(from, to); got != want {
			t.Fatalf("ring of %d, bins (%d, %d]: sum %d, want %d", len(s.counts), from, to, got, want)
		}
	}
}
