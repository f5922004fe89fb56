// Package e2e holds the end-to-end checks that earshot's integration tests
// and benchmark runs share: comparing what ClickHouse stored with the
// generator's ground truth.
package e2e

import (
	"context"
	"testing"

	"earshot/bench/firehose"
	"earshot/sink"
)

// CompareTruth requires both per-minute aggregate tables to equal the
// ground truth exactly, group by group, reporting up to ten differences per
// table.
func CompareTruth(t testing.TB, ctx context.Context, store *sink.Client, truth *firehose.Truth) {
	t.Helper()
	byMinute, err := store.RuleMinuteCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[sink.RuleMinuteKey]sink.Counts{}
	for k, c := range truth.ByRuleMinute {
		want[sink.RuleMinuteKey{Rule: k.Rule, Minute: k.Minute}] = Counts(c)
	}
	Diff(t, "per rule × minute", byMinute, want)

	byCountry, err := store.RuleCountryCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantC := map[sink.RuleCountryKey]sink.Counts{}
	for k, c := range truth.ByRuleCountry {
		wantC[sink.RuleCountryKey{Rule: k.Rule, Country: k.Country}] = Counts(c)
	}
	Diff(t, "per rule × country", byCountry, wantC)
}

// Counts converts the generator's counts to the sink's.
func Counts(c *firehose.Counts) sink.Counts {
	return sink.Counts{Mentions: uint64(c.Mentions), Originals: uint64(c.Originals),
		Reposts: uint64(c.Reposts), Authors: uint64(len(c.Authors))}
}

// Diff reports every group whose counts differ between got and want.
func Diff[K comparable](t testing.TB, what string, got, want map[K]sink.Counts) {
	t.Helper()
	bad := 0
	for k, w := range want {
		if g := got[k]; g != w {
			if bad < 10 {
				t.Errorf("%s %+v: got %+v, want %+v", what, k, g, w)
			}
			bad++
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			if bad < 10 {
				t.Errorf("%s %+v: unexpected %+v", what, k, g)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d groups differ from the ground truth", what, bad, len(want))
	}
}
