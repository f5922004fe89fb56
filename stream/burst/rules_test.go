package burst

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"earshot/stream/alert"
)

// quietTopic is a brand-support rule's traffic: 0.5 first-hand posts a
// minute for an hour and 6 a minute from 40 to 43 minutes. The default
// floor (12 a minute) keeps it quiet: 6.5/(2·0.5 + 12) = 0.5; a floor of 2
// triggers: 6.5/(2·0.5 + 2) ≈ 2.2. The rule "other" gets the same traffic.
func quietTopic() []Event {
	r := rand.New(rand.NewPCG(7, 8))
	ev := poisson(nil, r, "brand", "", "", 0.5, 0, 60*time.Minute)
	ev = poisson(ev, r, "brand", "", "", 6, 40*time.Minute, 43*time.Minute)
	n := len(ev)
	for i := range n {
		o := ev[i]
		o.Rule = "other"
		ev = append(ev, o)
	}
	slicesSortByTime(ev)
	return ev
}

// steady feeds d the events and a post a second (matched or not) from
// from to end, advancing every second as the pipeline's watermark does:
// a quiet topic's events are minutes apart, and ticks too far ahead of
// the last decision would be dropped as a feed outage.
func steady(d *Detector, ev []Event, from, end time.Time) []alert.Alert {
	var out []alert.Alert
	i := 0
	for at := from; !at.After(end); at = at.Add(time.Second) {
		for ; i < len(ev) && !ev[i].At.After(at); i++ {
			d.Observe(&ev[i])
		}
		d.Tick(at)
		out = append(out, d.Advance(at)...)
	}
	return out
}

func before(ev []Event, at time.Time) (head, tail []Event) {
	for i := range ev {
		if !ev[i].At.Before(at) {
			return ev[:i], ev[i:]
		}
	}
	return ev, nil
}

func rulesOf(as []alert.Alert) map[string]int {
	n := map[string]int{}
	for _, a := range triggers(as, "") {
		n[a.Rule]++
	}
	return n
}

// TestRuleParams: a rule's own parameters (Config.Rules) decide its keys
// alone; Off keeps a rule out.
func TestRuleParams(t *testing.T) {
	for _, c := range []struct {
		name  string
		rules map[string]Params
		want  map[string]int
		off   float64
	}{
		{"defaults", nil, map[string]int{}, 0},
		{"floor 2", map[string]Params{"brand": {B: 2}}, map[string]int{"brand": 1}, 0},
		{"threshold 0.4", map[string]Params{"brand": {Threshold: 0.4, Rearm: 0.1}}, map[string]int{"brand": 1}, 0},
		{"floor 2 but off", map[string]Params{"brand": {B: 2, Off: true}}, map[string]int{}, -1},
	} {
		t.Run(c.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			d := newDetector(t, Config{Scopes: []string{"rule"}, Rules: c.rules, Registerer: reg})
			ev := quietTopic()
			got := rulesOf(steady(d, ev, t0, t0.Add(61*time.Minute)))
			if len(got) != len(c.want) || got["brand"] != c.want["brand"] {
				t.Errorf("triggers per rule %v, want %v", got, c.want)
			}
			off := testutil.ToFloat64(d.m.off)
			if c.off < 0 && off != float64(len(ev)/2) || c.off == 0 && off != 0 {
				t.Errorf("events counted as off: %v (of %d per rule)", off, len(ev)/2)
			}
		})
	}
}

// TestSetRules: parameters changed while a key counts apply from the next
// decision on, with the key's counts kept (the spike before the change
// triggers under a lower floor right after it).
func TestSetRules(t *testing.T) {
	ev := quietTopic()
	at := t0.Add(43 * time.Minute)
	head, tail := before(ev, at)

	t.Run("lower floor keeps the counts", func(t *testing.T) {
		d := newDetector(t, Config{Scopes: []string{"rule"}})
		if got := rulesOf(steady(d, head, t0, at)); len(got) != 0 {
			t.Fatalf("triggered before the change: %v", got)
		}
		if err := d.SetRules(map[string]Params{"brand": {B: 2}}); err != nil {
			t.Fatal(err)
		}
		as := triggers(steady(d, tail, at.Add(time.Second), t0.Add(61*time.Minute)), "")
		if len(as) != 1 || as[0].Rule != "brand" {
			t.Fatalf("triggers %+v, want one of brand", as)
		}
		// The spike ended at 43m: only its counts, kept through the
		// change, can trigger, in the first bins decided after it.
		if late := as[0].DetectedAt.Sub(at); late > 10*time.Second {
			t.Errorf("triggered %v after the change, want at once", late)
		}
	})

	t.Run("longer window keeps its bins", func(t *testing.T) {
		d := newDetector(t, Config{Scopes: []string{"rule"}})
		steady(d, head, t0, at)
		if err := d.SetRules(map[string]Params{"brand": {B: 1, STA: 3 * time.Minute}}); err != nil {
			t.Fatal(err)
		}
		as := triggers(steady(d, tail, at.Add(time.Second), t0.Add(61*time.Minute)), "")
		if len(as) != 1 {
			t.Fatalf("triggers %+v, want one", as)
		}
		// The first decision after the change: its 3-minute window holds
		// the spike's three minutes, counted before the change.
		var spike int64
		for _, e := range head {
			if e.Rule == "brand" && e.At.After(as[0].DetectedAt.Add(-3*time.Minute)) {
				spike++
			}
		}
		if as[0].STACount < spike-2 || as[0].STACount > spike || spike < 12 {
			t.Errorf("STA count %d, want the %d posts of the 3 minutes before", as[0].STACount, spike)
		}
	})

	t.Run("off drops the keys", func(t *testing.T) {
		d := newDetector(t, Config{Scopes: []string{"rule"}})
		steady(d, head, t0, at)
		keys := d.Keys()
		if err := d.SetRules(map[string]Params{"brand": {B: 2, Off: true}}); err != nil {
			t.Fatal(err)
		}
		if d.Keys() != keys-1 {
			t.Errorf("%d keys after brand went off, want %d", d.Keys(), keys-1)
		}
		if got := rulesOf(steady(d, tail, at.Add(time.Second), t0.Add(61*time.Minute))); len(got) != 0 {
			t.Errorf("triggers %v after brand went off", got)
		}
	})

	t.Run("authors mode starts over", func(t *testing.T) {
		d := newDetector(t, Config{Scopes: []string{"rule"}})
		steady(d, head, t0, at)
		keys := d.Keys()
		if err := d.SetRules(map[string]Params{"brand": {B: 2, Authors: true}}); err != nil {
			t.Fatal(err)
		}
		if d.Keys() != keys-1 {
			t.Errorf("%d keys after brand counted authors, want %d", d.Keys(), keys-1)
		}
		// Its counts of posts are gone: nothing triggers at once, as the
		// kept counts do under a lower floor (above).
		if got := rulesOf(steady(d, tail, at.Add(time.Second), at.Add(20*time.Second))); len(got) != 0 {
			t.Errorf("triggers %v, want none (counts of posts dropped)", got)
		}
	})

	t.Run("invalid changes nothing", func(t *testing.T) {
		d := newDetector(t, Config{Scopes: []string{"rule"}, Rules: map[string]Params{"brand": {B: 2}}})
		err := d.SetRules(map[string]Params{"brand": {B: 1}, "other": {Threshold: 0.2}})
		if err == nil || !strings.Contains(err.Error(), `rule "other": rearm 0.25 must be at least 0 and below the threshold 0.2`) {
			t.Fatalf("err %v", err)
		}
		if got := rulesOf(steady(d, ev, t0, t0.Add(61*time.Minute))); got["brand"] != 1 || len(got) != 1 {
			t.Errorf("triggers %v, want brand's (floor 2 still)", got)
		}
	})
}

// TestCheckRule holds the check of one rule's parameters to New's.
func TestCheckRule(t *testing.T) {
	cfg := Config{Default: Params{Threshold: 0.5}}
	for _, c := range []struct {
		p    Params
		want string
	}{
		{Params{B: 2}, ""},
		{Params{Rearm: 0.5}, "rearm 0.5 must be at least 0 and below the threshold 0.5"},
		{Params{STA: 7 * time.Second}, "short_window (STA) window 7s is not a positive multiple of the bin 5s"},
		{Params{LTA: 25 * time.Hour}, "long_window (LTA) window 25h0m0s is longer than 24h"},
	} {
		err := cfg.CheckRule(c.p)
		if (err == nil) != (c.want == "") || err != nil && err.Error() != c.want {
			t.Errorf("%+v: %v, want %q", c.p, err, c.want)
		}
		cc := cfg
		cc.Rules = map[string]Params{"r": c.p}
		_, nerr := New(cc)
		if (nerr == nil) != (err == nil) {
			t.Errorf("%+v: New says %v, CheckRule %v", c.p, nerr, err)
		}
	}
}

// BenchmarkSetRules: a reload's cost in the detector's goroutine, with
// 10,000 rules of their own settings and 50,000 keys (the cap) tracked,
// when the rules' floors change and when their windows do (every key's
// rings made anew).
func BenchmarkSetRules(b *testing.B) {
	rules := map[string]Params{}
	for i := range 10000 {
		rules[strconv.Itoa(i)] = Params{B: float64(1 + i%5)}
	}
	for _, c := range []struct {
		name   string
		change func(p Params) Params
	}{
		{"floor", func(p Params) Params { p.B++; return p }},
		{"windows", func(p Params) Params { p.STA = 2 * time.Minute; return p }},
	} {
		b.Run(c.name, func(b *testing.B) {
			d := newDetector(b, Config{Rules: rules})
			for i := range 50000 {
				e := Event{Rule: strconv.Itoa(i % 10000), Country: strconv.Itoa(i / 10000), At: t0, Original: true, TextLen: 10}
				d.Observe(&e)
			}
			if d.Keys() < 40000 {
				b.Fatalf("%d keys", d.Keys())
			}
			other := map[string]Params{}
			for id, p := range rules {
				other[id] = c.change(p)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				rs := rules
				if i%2 == 0 {
					rs = other
				}
				if err := d.SetRules(rs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
