package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestPostWords(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"Sismo FUERTE en #CDMX ahora", "sismo fuerte cdmx #cdmx ahora"},
		{"quake quake #quake", "quake #quake"},                      // once per post
		{"RT @usgs: 5.2 quake https://t.co/abc www.x.com", "quake"}, // handles, numbers, links, short words out
		{"can't sleep, it's shaking!!", "can sleep shaking"},
		{"地震だ 揺れた sismo", "sismo"},                        // unspaced scripts out
		{"Ελλάδα σεισμός 2x3 2024", "ελλάδα σεισμός 2x3"}, // a number is not a word, 2x3 is
		{"covid_19 rt_ok", "covid_19 rt_ok"},
	} {
		got := strings.Join(postWords(nil, c.text), " ")
		if got != c.want {
			t.Errorf("%q: %q, want %q", c.text, got, c.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	s := newSuggester()
	post := func(n int, text string, relevant bool, rules ...int32) {
		for range n {
			s.add(rules, text, relevant)
		}
	}
	// Posts no rule matched: tsunami finds 6 relevant and 1 other, its
	// hashtag 4 of the same; storm is half relevant, but today (its 5
	// relevant posts) is not; wave is in 4 posts once tsunami's are taken,
	// fewer than suggestMinPosts.
	post(4, "tsunami warning #tsunami", true)
	post(2, "tsunami now", true)
	post(1, "tsunami of emails", false)
	post(5, "storm today", true)
	post(5, "storm in a teacup", false)
	post(4, "big wave", true)
	post(4, "tsunami wave", true)
	// Posts only rule 0 matched: "movie" drops 6 that are not relevant for
	// 1 relevant; "film" drops 5 for 5 (too costly); posts two rules
	// matched count for neither.
	post(6, "earthquake movie", false, 0)
	post(1, "earthquake movie theatre collapsed", true, 0)
	post(5, "earthquake film", false, 0)
	post(5, "earthquake film crew hurt", true, 0)
	post(9, "earthquake movie", false, 0, 1)

	add := s.toAdd(10)
	var got []string
	for _, a := range add {
		got = append(got, fmt.Sprintf("%s+%d/%d", a.Term, a.Relevant, a.Other))
	}
	if strings.Join(got, " ") != "tsunami+10/1 today+5/0" || add[0].Precision != 10.0/11 {
		t.Errorf("add: %v (%+v), want tsunami (its hashtag then adds nothing), today; not storm, not wave", got, add)
	}
	if got := s.toAdd(1); len(got) != 1 {
		t.Errorf("toAdd(1): %d terms", len(got))
	}
	ex := s.toExclude([]string{"quake", "other"}, 10)
	if len(ex) == 0 || ex[0] != (termToExclude{"quake", "movie", 6, 1}) {
		t.Fatalf("exclude: %+v", ex)
	}
	if slices.ContainsFunc(ex, func(e termToExclude) bool { return e.Term == "film" || e.Term == "earthquake" || e.Rule == "other" }) {
		t.Errorf("exclude: %+v: film loses as much as it drops, earthquake is the rule's own term", ex)
	}
}

// FuzzPostWords: the words of any text are distinct, suggestable, and
// each (less a hashtag's #) is in the text, lower-cased.
func FuzzPostWords(f *testing.F) {
	for _, s := range []string{"Sismo #CDMX @x https://t.co/a", "地震 sismo", "a\xffb café", "#_ __ ##x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		words := postWords(nil, text)
		if len(slices.Compact(slices.Sorted(slices.Values(words)))) != len(words) {
			t.Fatalf("%q: %q repeats a word", text, words)
		}
		lower := strings.ToLower(text)
		for _, w := range words {
			if !suggestable(strings.TrimPrefix(w, "#")) || !strings.Contains(lower, w) {
				t.Fatalf("%q: word %q", text, w)
			}
		}
	})
}
