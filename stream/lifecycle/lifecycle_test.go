package lifecycle

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// testCfg: hourly bins, quiet after 4 hours, recent spans of 2 hours.
var testCfg = Config{Bin: time.Hour, Floor: 2, Quiet: 4 * time.Hour, Recent: 2 * time.Hour}

func hour(i int) time.Time { return t0.Add(time.Duration(i) * time.Hour) }

// phases writes a report's phases one letter each: n(one) r(ising) p(eak)
// d(ecaying) z (dormant).
func phases(ps []Phase) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteByte("nrpdz"[p])
	}
	return b.String()
}

func TestAnalyze(t *testing.T) {
	type ep struct {
		origin      Origin
		start, end  int // bins
		ongoing     bool
		peak        int
		peakN, sumN uint64
	}
	for _, tc := range []struct {
		name     string
		counts   []uint64
		earlier  bool
		phase    Phase
		since    int
		phases   string
		episodes []ep
	}{
		{name: "nothing", counts: []uint64{0, 0, 0}, phase: None, phases: "nnn"},
		{name: "nothing, mentions before", counts: []uint64{0, 0, 0}, earlier: true, phase: Dormant, phases: "zzz"},
		{name: "stray mentions only", counts: []uint64{0, 1, 0, 1}, phase: Dormant, since: 1, phases: "nzzz"},
		{
			name: "a new topic rising", counts: []uint64{0, 0, 0, 0, 0, 2, 4, 8, 16},
			phase: Rising, since: 5, phases: "nnnnnrrrr",
			episodes: []ep{{New, 5, 9, true, 8, 16, 30}},
		},
		{
			name: "a plateau is a peak", counts: []uint64{10, 10, 10, 10, 10, 10},
			phase: Peak, since: 3, phases: "rrrppp",
			episodes: []ep{{New, 0, 6, true, 0, 10, 60}},
		},
		{
			name: "decay after the peak", counts: []uint64{2, 10, 20, 40, 20, 10, 5, 2, 2},
			phase: Decaying, since: 6, phases: "rrrrrpddd",
			episodes: []ep{{New, 0, 9, true, 3, 40, 111}},
		},
		{
			name: "a gap shorter than quiet stays one episode", counts: []uint64{5, 5, 0, 0, 0, 5},
			phase: Rising, since: 5, phases: "rrpddr",
			episodes: []ep{{New, 0, 6, true, 0, 5, 15}},
		},
		{
			name: "dormant after quiet", counts: []uint64{5, 5, 5, 0, 0, 0, 0, 0},
			phase: Dormant, since: 6, phases: "rrrpddzz",
			episodes: []ep{{New, 0, 3, false, 0, 5, 15}},
		},
		{
			name: "revived after quiet", counts: []uint64{5, 5, 5, 0, 0, 0, 0, 0, 3, 6},
			phase: Rising, since: 8, phases: "rrrpddzzrr",
			episodes: []ep{{New, 0, 3, false, 0, 5, 15}, {Revived, 8, 10, true, 9, 6, 9}},
		},
		{
			name: "stray mentions do not end a quiet stretch", counts: []uint64{5, 5, 0, 1, 0, 0, 1, 0, 4},
			phase: Rising, since: 8, phases: "rrpddzzzr",
			episodes: []ep{{New, 0, 2, false, 0, 5, 10}, {Revived, 8, 9, true, 8, 4, 4}},
		},
		{
			// Mentions before the series: the Recent before the first
			// bins is not known, so they are not rising.
			name: "continuing from before the series", counts: []uint64{5, 5, 5, 5, 20, 20},
			earlier: true, phase: Rising, since: 4, phases: "pppprr",
			episodes: []ep{{Continuing, 0, 6, true, 4, 20, 60}},
		},
		{
			name: "quiet series start with mentions before: revived", counts: []uint64{0, 0, 0, 0, 0, 3, 3},
			earlier: true, phase: Rising, since: 5, phases: "zzzzzrr",
			episodes: []ep{{Revived, 5, 7, true, 5, 3, 6}},
		},
		{
			name: "stray mention then quiet: revived", counts: []uint64{1, 0, 0, 0, 0, 3},
			phase: Rising, since: 5, phases: "zzzzzr",
			episodes: []ep{{Revived, 5, 6, true, 5, 3, 3}},
		},
		{
			name: "too short a quiet start with mentions before: continuing", counts: []uint64{0, 0, 3, 3},
			earlier: true, phase: Rising, since: 3, phases: "zzpr",
			episodes: []ep{{Continuing, 2, 4, true, 2, 3, 6}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := NewAnalyzer(testCfg)
			if err != nil {
				t.Fatal(err)
			}
			r, err := a.Analyze(Series{Start: t0, Mentions: tc.counts, Earlier: tc.earlier})
			if err != nil {
				t.Fatal(err)
			}
			if got := phases(r.Phases); got != tc.phases {
				t.Errorf("phases %s, want %s", got, tc.phases)
			}
			n := len(tc.counts)
			if last2, before2 := sum(tc.counts[max(n-2, 0):]), sum(tc.counts[max(n-4, 0):max(n-2, 0)]); r.Recent != last2 || r.Before != before2 {
				t.Errorf("recent %d before %d, want %d and %d", r.Recent, r.Before, last2, before2)
			}
			if r.Phase != tc.phase || !r.Since.Equal(hour(tc.since)) {
				t.Errorf("phase %v since %v, want %v since %v", r.Phase, r.Since, tc.phase, hour(tc.since))
			}
			if len(r.Episodes) != len(tc.episodes) {
				t.Fatalf("episodes %+v, want %+v", r.Episodes, tc.episodes)
			}
			for k, w := range tc.episodes {
				want := Episode{Origin: w.origin, Start: hour(w.start), End: hour(w.end), Ongoing: w.ongoing,
					Peak: hour(w.peak), PeakMentions: w.peakN, Mentions: w.sumN}
				if r.Episodes[k] != want {
					t.Errorf("episode %d: %+v, want %+v", k, r.Episodes[k], want)
				}
			}
			cur, ok := r.Current()
			if n := len(tc.episodes); ok != (n > 0 && tc.episodes[n-1].ongoing) || ok && cur != r.Episodes[n-1] {
				t.Errorf("Current() = %+v, %v", cur, ok)
			}
		})
	}
}

// TestAnalyzeRead: a quiet the pipeline did not read whole is not seen,
// and the episode after it is continuing, not revived.
func TestAnalyzeRead(t *testing.T) {
	counts := []uint64{5, 5, 5, 0, 0, 0, 0, 0, 3, 6} // quiet bins 3-7 (Quiet is 4)
	for _, tc := range []struct {
		name    string
		read    string // '1' for a bin read; "" for nil
		earlier bool
		counts  []uint64
		origin  Origin
		unseen  bool
	}{
		{"read throughout", "1111111111", false, counts, Revived, false},
		{"no read at all", "", false, counts, Revived, false},
		{"stopped for the quiet", "1110000011", false, counts, Continuing, true},
		{"one bin of the four before it unread", "1111110111", false, counts, Continuing, true},
		{"the bin after the quiet's start unread: not one of the four before", "1110111111", false, counts, Revived, false},
		{"quiet series start, read", "1111111", true, []uint64{0, 0, 0, 0, 0, 3, 3}, Revived, false},
		{"quiet series start, not read", "1101111", true, []uint64{0, 0, 0, 0, 0, 3, 3}, Continuing, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var read []bool
			if tc.read != "" {
				for _, c := range tc.read {
					read = append(read, c == '1')
				}
			}
			a, _ := NewAnalyzer(testCfg)
			r, err := a.Analyze(Series{Start: t0, Mentions: tc.counts, Earlier: tc.earlier, Read: read})
			if err != nil {
				t.Fatal(err)
			}
			e, ok := r.Current()
			if !ok || e.Origin != tc.origin || e.Unseen != tc.unseen {
				t.Errorf("current episode %+v (%v), want %v, unseen %v", e, ok, tc.origin, tc.unseen)
			}
		})
	}
}

func sum(s []uint64) (n uint64) {
	for _, v := range s {
		n += v
	}
	return n
}

func TestDefaults(t *testing.T) {
	a, err := NewAnalyzer(Config{})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Bin: time.Hour, Floor: 2, Quiet: 72 * time.Hour, Recent: 6 * time.Hour, Rise: 1.5, PeakShare: 0.5}
	if a.Config() != want {
		t.Fatalf("defaults %+v, want %+v", a.Config(), want)
	}
	// Two weeks: a burst a week ago, quiet since, one stray mention.
	counts := make([]uint64, 14*24)
	for i := 7 * 24; i < 7*24+10; i++ {
		counts[i] = 50
	}
	counts[10*24] = 1
	r, err := a.Analyze(Series{Start: t0, Mentions: counts})
	if err != nil {
		t.Fatal(err)
	}
	if r.Phase != Dormant || !r.Since.Equal(hour(7*24+9+72)) || len(r.Episodes) != 1 || r.Episodes[0].Origin != New {
		t.Fatalf("%v since %v, episodes %+v", r.Phase, r.Since, r.Episodes)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Bin: time.Millisecond}, "bin 1ms"},
		{Config{Quiet: 90 * time.Minute}, "quiet 1h30m0s: want a multiple of the bin 1h0m0s"},
		{Config{Bin: time.Hour, Recent: 30 * time.Minute}, "recent 30m0s"},
		{Config{Rise: 1}, "rise 1: want above 1"},
		{Config{PeakShare: 1.5}, "peak share 1.5"},
		{Config{PeakShare: -1}, "peak share -1"},
	} {
		err := tc.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
		if _, err := NewAnalyzer(tc.cfg); err == nil {
			t.Errorf("%+v: NewAnalyzer accepted it", tc.cfg)
		}
	}
	a, _ := NewAnalyzer(Config{})
	if _, err := a.Analyze(Series{Start: t0}); err != ErrEmpty {
		t.Errorf("empty series: %v", err)
	}
}

func TestJSON(t *testing.T) {
	a, _ := NewAnalyzer(testCfg)
	r, _ := a.Analyze(Series{Start: t0, Mentions: []uint64{5, 5, 5, 0, 0, 0, 0, 0, 3, 6}})
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"phase":"rising"`, `"origin":"new"`, `"origin":"revived"`, `"since":"2026-11-01T08:00:00Z"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil || back.Phase != r.Phase || !back.Since.Equal(r.Since) ||
		len(back.Episodes) != 2 || back.Episodes[1] != r.Episodes[1] {
		t.Errorf("read back %+v, %v; want %+v", back, err, r)
	}
	if err := json.Unmarshal([]byte(`{"phase":"soaring"}`), &back); err == nil || !strings.Contains(err.Error(), `unknown phase "soaring"`) {
		t.Errorf("an unknown phase: %v", err)
	}
}

// FuzzAnalyze holds reports on any series to the model's definitions,
// checked from the counts alone.
func FuzzAnalyze(f *testing.F) {
	f.Add([]byte{5, 5, 5, 0, 0, 0, 0, 0, 3, 6}, false, uint8(4), uint8(2), uint64(0))
	f.Add([]byte{0, 1, 0, 1, 9}, true, uint8(1), uint8(1), uint64(0b100))
	f.Add([]byte{255, 0, 0, 2, 2, 2, 0, 0, 0, 0, 0, 0, 7}, true, uint8(3), uint8(5), uint64(0b11000000))
	f.Fuzz(func(t *testing.T, data []byte, earlier bool, quiet, recent uint8, unread uint64) {
		if len(data) == 0 {
			return
		}
		cfg := Config{Bin: time.Minute, Floor: 2, Quiet: time.Duration(quiet%12+1) * time.Minute, Recent: time.Duration(recent%6+1) * time.Minute}
		a, err := NewAnalyzer(cfg)
		if err != nil {
			t.Fatal(err)
		}
		counts := make([]uint64, len(data))
		for i, b := range data {
			counts[i] = uint64(b % 8)
		}
		var read []bool // bins not read where unread has a bit (its 64 bits repeated)
		if unread != 0 {
			read = make([]bool, len(counts))
			for i := range read {
				read[i] = unread&(1<<(i%64)) == 0
			}
		}
		r, err := a.Analyze(Series{Start: t0, Mentions: counts, Earlier: earlier, Read: read})
		if err != nil {
			t.Fatal(err)
		}
		q := int(cfg.Quiet / time.Minute)
		bin := func(tm time.Time) int { return int(tm.Sub(t0) / time.Minute) }
		if len(r.Phases) != len(counts) || r.Phase != r.Phases[len(counts)-1] {
			t.Fatalf("phases %v, phase %v", r.Phases, r.Phase)
		}
		if k := bin(r.Since); k < 0 || k >= len(counts) || k > 0 && r.Phases[k-1] == r.Phase {
			t.Fatalf("since bin %d of phases %v", k, r.Phases)
		}
		// Phases by their definitions, from the counts.
		lastAct, seen := -1, earlier
		for i, c := range counts {
			seen = seen || c > 0
			if c >= 2 {
				lastAct = i
			}
			switch p := r.Phases[i]; {
			case !seen:
				if p != None {
					t.Fatalf("bin %d: %v before any mention", i, p)
				}
			case lastAct < 0 || i-lastAct >= q:
				if p != Dormant {
					t.Fatalf("bin %d: %v, want dormant (last active %d)", i, p, lastAct)
				}
			case p == None || p == Dormant:
				t.Fatalf("bin %d: %v in an episode", i, p)
			}
		}
		// Episodes: active first and last bins, quiet stretches shorter
		// than Quiet inside, Quiet or more between, their sums and peaks.
		prevEnd := -1
		for k, e := range r.Episodes {
			s, end := bin(e.Start), bin(e.End)
			if s >= end || counts[s] < 2 || counts[end-1] < 2 {
				t.Fatalf("episode %d %+v: bins %d-%d of %v", k, e, s, end, counts)
			}
			if prevEnd >= 0 && s-prevEnd < q {
				t.Fatalf("episode %d starts %d bins after the last", k, s-prevEnd)
			}
			run, sum, peak := 0, uint64(0), uint64(0)
			for i := s; i < end; i++ {
				sum += counts[i]
				peak = max(peak, counts[i])
				if run = run + 1; counts[i] >= 2 {
					run = 0
				}
				if run >= q {
					t.Fatalf("episode %d holds %d quiet bins", k, run)
				}
			}
			if e.Origin == Revived || e.Unseen {
				n := 0
				for i := max(s-q, 0); i < s; i++ {
					if read == nil || read[i] {
						n++
					}
				}
				if seen := float64(n) >= MinRead*float64(q); seen != (e.Origin == Revived) || seen == e.Unseen {
					t.Fatalf("episode %d %+v: %d of the %d bins before it read", k, e, n, q)
				}
			}
			if e.Mentions != sum || e.PeakMentions != peak || counts[bin(e.Peak)] != peak {
				t.Fatalf("episode %d %+v: sum %d peak %d", k, e, sum, peak)
			}
			if e.Ongoing != (k == len(r.Episodes)-1 && len(counts)-end < q) {
				t.Fatalf("episode %d ongoing %v, %d bins after it", k, e.Ongoing, len(counts)-end)
			}
			prevEnd = end
		}
		if (lastAct >= 0) != (len(r.Episodes) > 0) {
			t.Fatalf("last active bin %d, episodes %+v", lastAct, r.Episodes)
		}
	})
}

// BenchmarkAnalyze: a year of hourly bins with an episode every two weeks.
func BenchmarkAnalyze(b *testing.B) {
	a, _ := NewAnalyzer(Config{})
	counts := make([]uint64, 365*24)
	for i := range counts {
		if i%(14*24) < 30 {
			counts[i] = uint64(10 + i%7)
		}
	}
	b.SetBytes(int64(len(counts)) * 8)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Analyze(Series{Start: t0, Mentions: counts}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestModels(t *testing.T) {
	base, err := NewAnalyzer(Config{})
	if err != nil {
		t.Fatal(err)
	}
	m := NewModels(base)
	if a, err := m.For(0, 0); a != base || err != nil {
		t.Errorf("no settings of its own: %v, %v", a, err)
	}
	if a, err := m.For(72*time.Hour, 2); a != base || err != nil {
		t.Errorf("the base's own settings: %v, %v", a, err)
	}
	slow, err := m.For(14*24*time.Hour, 0)
	if err != nil || slow.Config().Quiet != 14*24*time.Hour || slow.Config().Floor != 2 || slow.Config().Recent != base.Config().Recent {
		t.Fatalf("quiet 14d: %+v, %v", slow.Config(), err)
	}
	if again, _ := m.For(14*24*time.Hour, 0); again != slow {
		t.Error("the model made again")
	}
	picky, _ := m.For(0, 5)
	if _, err := m.For(90*time.Minute, 0); err == nil {
		t.Error("a quiet of 90m in hourly bins accepted")
	}
	groups := m.Split(map[string]*Analyzer{"s": slow, "p": picky, "s2": slow}, []string{"s", "a", "p", "b", "s2"})
	var got []string
	for _, g := range groups {
		got = append(got, fmt.Sprintf("%v/%d:%v", g.A.Config().Quiet, g.A.Config().Floor, g.Rules))
	}
	if want := "[72h0m0s/2:[a b] 72h0m0s/5:[p] 336h0m0s/2:[s s2]]"; fmt.Sprint(got) != want {
		t.Errorf("groups %v, want %s", got, want)
	}
	if groups := m.Split(map[string]*Analyzer{"s": slow}, []string{"s"}); len(groups) != 1 || groups[0].A != slow {
		t.Errorf("only rules of their own: %+v", groups)
	}
	// From the rules table's alert settings.
	own := m.Own(map[string]string{"s": "{revival: {quiet: 14d}}", "p": "{floor: 3, revival: {floor: 5}}", "off": "off",
		"plain": "{floor: 2}", "same": "{revival: {quiet: 72h}}", "bad": "{revival: {quiet: 1h}}", "none": ""})
	if len(own) != 2 || own["s"] != slow || own["p"] != picky {
		t.Errorf("own models: %v", own)
	}
}
