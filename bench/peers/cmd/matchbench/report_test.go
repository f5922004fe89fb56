package main

import (
	"strings"
	"testing"

	"earshot/bench/peers"
)

func TestMedian(t *testing.T) {
	f := func(v []float64, want float64) {
		t.Helper()
		if got := median(v); got != want {
			t.Errorf("median(%v) = %v, want %v", v, got, want)
		}
	}
	f(nil, 0)
	f([]float64{3}, 3)
	f([]float64{5, 1, 3}, 3)
	f([]float64{4, 1, 3, 2}, 2.5)
}

func TestRatios(t *testing.T) {
	batch, post := peers.EarshotBatchName, peers.EarshotName
	r := &Report{Results: []Result{
		{Impl: batch, Lang: "go", Patterns: 1000, MBps: 450},
		{Impl: post, Lang: "go", Patterns: 1000, MBps: 300},
		{Impl: "a", Lang: "go", Patterns: 1000, MBps: 100},
		{Impl: "b", Lang: "go", Patterns: 1000, MBps: 150},
		{Impl: "c", Lang: "go", Patterns: 1000, Skipped: "skipped: too big"},
		{Impl: rustName, Lang: "rust", Patterns: 1000, MBps: 600},
		{Impl: post, Lang: "go", Patterns: 10000, MBps: 200},
	}}
	r.ratios([]int{1000, 10000})
	want := []Ratio{
		{Patterns: 1000, Earshot: batch, FastestGoPeer: "b", VsFastestGoPeer: 3, VsRust: 0.75, EarshotMBps: 450, FastestGoPeerMBs: 150, RustMBps: 600},
		{Patterns: 1000, Earshot: post, FastestGoPeer: "b", VsFastestGoPeer: 2, VsRust: 0.5, EarshotMBps: 300, FastestGoPeerMBs: 150, RustMBps: 600},
		{Patterns: 10000, Earshot: post, EarshotMBps: 200},
	}
	if len(r.Ratios) != len(want) {
		t.Fatalf("got %d ratios %+v, want %d", len(r.Ratios), r.Ratios, len(want))
	}
	for i := range want {
		if r.Ratios[i] != want[i] {
			t.Errorf("ratio %d = %+v, want %+v", i, r.Ratios[i], want[i])
		}
	}
	md := string(r.Markdown([]int{1000, 10000}))
	for _, s := range []string{
		"| 1k | " + batch + " | b | 3.00× | 0.75× |",
		"| 1k | " + post + " | b | 2.00× | 0.50× |",
		"| 10k | " + post + " | none | – | – |",
		"c, 1k patterns: skipped: too big",
	} {
		if !strings.Contains(md, s) {
			t.Errorf("markdown lacks %q:\n%s", s, md)
		}
	}
}
