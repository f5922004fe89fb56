package firehose

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"time"
)

// Truth is the exact ground truth of everything emitted so far, built from
// what the generator planted (and verified against the text).
//
// A mention is a (unique post, rule) pair where the post's text matches the
// rule; duplicates add nothing. Originals are posts that are not reposts:
// replies and quotes count as originals. The country of a mention is the
// country of the city its valid GPS coordinates were drawn around, else its
// valid place.country_code (upper-cased), else the country of the city its
// author's profile location names, else "" (no location, or a junk one
// such as "in your heart"). This is the precedence of earshot's quality
// tiers: GPS > place > profile > none.
type Truth struct {
	Messages, Posts, Duplicates, Mentions int64
	ByRule                                map[string]*Counts      // key: rule
	ByRuleMinute                          map[RuleMinute]*Counts  // minute = created_at truncated to the minute, UTC
	ByRuleCountry                         map[RuleCountry]*Counts // see above
}

// Counts are the mentions of one cell.
type Counts struct {
	Mentions, Originals, Reposts int64
	Authors                      map[string]struct{} // distinct author ids
}

// RuleMinute keys Truth.ByRuleMinute. Minute is a UTC time (as returned by
// time.Time.UTC or time.Date(…, time.UTC)) truncated to the minute.
type RuleMinute struct {
	Rule   string
	Minute time.Time
}

// RuleCountry keys Truth.ByRuleCountry.
type RuleCountry struct{ Rule, Country string }

func newTruth() Truth {
	return Truth{
		ByRule:        map[string]*Counts{},
		ByRuleMinute:  map[RuleMinute]*Counts{},
		ByRuleCountry: map[RuleCountry]*Counts{},
	}
}

// add counts a mention in cell c (registered as cell id) by author a.
func (g *Generator) add(c *Counts, id int32, repost bool, a int32) {
	c.Mentions++
	if repost {
		c.Reposts++
	} else {
		c.Originals++
	}
	g.authorSet.add(uint64(id)<<32 | uint64(a))
}

// newCell registers a new truth cell.
func (g *Generator) newCell() (*Counts, int32) {
	c := &Counts{}
	g.cellByID = append(g.cellByID, c)
	return c, int32(len(g.cellByID) - 1)
}

// syncAuthors fills the Authors sets of the public truth with the
// (cell, author) pairs recorded since the last call. Recording a mention only
// inserts an integer pair into pairSet, which keeps Next fast.
func (g *Generator) syncAuthors() {
	log := g.authorSet.log
	for _, k := range log[g.authorsSynced:] {
		c := g.cellByID[k>>32]
		if c.Authors == nil {
			c.Authors = make(map[string]struct{}, 4)
		}
		c.Authors[g.authors[uint32(k)].id] = struct{}{}
	}
	g.authorsSynced = len(log)
}

// pairSet is an insert-only set of uint64 keys (open addressing, linear
// probing) that also logs keys in insertion order.
type pairSet struct {
	table []uint64 // key+1; 0 is empty
	shift uint
	log   []uint64
}

func (s *pairSet) add(k uint64) {
	if len(s.log)*2 >= len(s.table) {
		s.grow()
	}
	mask := uint64(len(s.table) - 1)
	for i := (k + 1) * 0x9e3779b97f4a7c15 >> s.shift; ; i = (i + 1) & mask {
		switch s.table[i] {
		case k + 1:
			return
		case 0:
			s.table[i] = k + 1
			s.log = append(s.log, k)
			return
		}
	}
}

func (s *pairSet) grow() {
	n := max(len(s.table)*2, 1024)
	s.table = make([]uint64, n)
	s.shift = uint(64 - bits.TrailingZeros(uint(n)))
	mask := uint64(n - 1)
	for _, k := range s.log {
		for i := (k + 1) * 0x9e3779b97f4a7c15 >> s.shift; ; i = (i + 1) & mask {
			if s.table[i] == 0 {
				s.table[i] = k + 1
				break
			}
		}
	}
}

// record adds a unique post's mentions to the truth.
func (g *Generator) record(p *post, created time.Time) {
	if len(p.hits) == 0 {
		return
	}
	t := &g.truth
	repost := p.kind == 'r'
	author := p.author
	minute := created.Truncate(time.Minute)
	country := p.truthCountry(&g.authors[p.author])
	for _, i := range p.hits {
		rule := g.rules[i].rule
		cell := &g.cells[i]
		t.Mentions++
		if cell.rule == nil {
			cell.rule, cell.ruleID = g.newCell()
			t.ByRule[rule] = cell.rule
		}
		g.add(cell.rule, cell.ruleID, repost, author)
		if cell.minuteCounts == nil || !cell.minute.Equal(minute) {
			km := RuleMinute{rule, minute}
			id, ok := g.minuteIDs[km]
			if !ok {
				var c *Counts
				c, id = g.newCell()
				t.ByRuleMinute[km] = c
				g.minuteIDs[km] = id
			}
			cell.minute, cell.minuteCounts, cell.minuteID = minute, g.cellByID[id], id
		}
		g.add(cell.minuteCounts, cell.minuteID, repost, author)
		if cell.countryCounts == nil || cell.country != country {
			kc := RuleCountry{rule, country}
			id, ok := g.countryIDs[kc]
			if !ok {
				var c *Counts
				c, id = g.newCell()
				t.ByRuleCountry[kc] = c
				g.countryIDs[kc] = id
			}
			cell.country, cell.countryCounts, cell.countryID = country, g.cellByID[id], id
		}
		g.add(cell.countryCounts, cell.countryID, repost, author)
	}
}

// ruleCells caches a rule's current truth cells (posts arrive in created_at
// order, so the minute cell changes rarely).
type ruleCells struct {
	rule          *Counts
	ruleID        int32
	minute        time.Time
	minuteCounts  *Counts
	minuteID      int32
	country       string
	countryCounts *Counts
	countryID     int32
}

type jsonCounts struct {
	Rule      string  `json:"rule"`
	Minute    string  `json:"minute,omitempty"`
	Country   *string `json:"country,omitempty"`
	Mentions  int64   `json:"mentions"`
	Originals int64   `json:"originals"`
	Reposts   int64   `json:"reposts"`
	Authors   int     `json:"authors"`
}

type jsonTruth struct {
	Messages      int64        `json:"messages"`
	Posts         int64        `json:"posts"`
	Duplicates    int64        `json:"duplicates"`
	Mentions      int64        `json:"mentions"`
	ByRule        []jsonCounts `json:"by_rule"`
	ByRuleMinute  []jsonCounts `json:"by_rule_minute"`
	ByRuleCountry []jsonCounts `json:"by_rule_country"`
}

func (c *Counts) json(rule string) jsonCounts {
	return jsonCounts{Rule: rule, Mentions: c.Mentions, Originals: c.Originals, Reposts: c.Reposts, Authors: len(c.Authors)}
}

// WriteJSON writes the truth as indented JSON with stable order: totals,
// then by_rule sorted by rule, by_rule_minute by rule then minute
// (RFC3339 UTC), by_rule_country by rule then country ("" for none). Distinct
// authors are written as counts.
func (t *Truth) WriteJSON(w io.Writer) error {
	out := jsonTruth{
		Messages: t.Messages, Posts: t.Posts, Duplicates: t.Duplicates, Mentions: t.Mentions,
		ByRule:        make([]jsonCounts, 0, len(t.ByRule)),
		ByRuleMinute:  make([]jsonCounts, 0, len(t.ByRuleMinute)),
		ByRuleCountry: make([]jsonCounts, 0, len(t.ByRuleCountry)),
	}
	for r, c := range t.ByRule {
		out.ByRule = append(out.ByRule, c.json(r))
	}
	slices.SortFunc(out.ByRule, func(a, b jsonCounts) int { return cmp.Compare(a.Rule, b.Rule) })

	mk := make([]RuleMinute, 0, len(t.ByRuleMinute))
	for k := range t.ByRuleMinute {
		mk = append(mk, k)
	}
	slices.SortFunc(mk, func(a, b RuleMinute) int {
		return cmp.Or(cmp.Compare(a.Rule, b.Rule), a.Minute.Compare(b.Minute))
	})
	for _, k := range mk {
		j := t.ByRuleMinute[k].json(k.Rule)
		j.Minute = k.Minute.UTC().Format(time.RFC3339)
		out.ByRuleMinute = append(out.ByRuleMinute, j)
	}

	ck := make([]RuleCountry, 0, len(t.ByRuleCountry))
	for k := range t.ByRuleCountry {
		ck = append(ck, k)
	}
	slices.SortFunc(ck, func(a, b RuleCountry) int {
		return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Country, b.Country))
	})
	for _, k := range ck {
		j := t.ByRuleCountry[k].json(k.Rule)
		j.Country = &k.Country
		out.ByRuleCountry = append(out.ByRuleCountry, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&out); err != nil {
		return fmt.Errorf("cannot write firehose truth: %w", err)
	}
	return nil
}

// WriteJSONL writes the next n messages of g to w, one JSON value per line
// (duplicates included, as a consumer would see them).
func WriteJSONL(w io.Writer, g *Generator, n int) error {
	var buf []byte
	for i := 0; i < n; i++ {
		m := g.Next()
		buf = append(buf, m.Value...)
		buf = append(buf, '\n')
		if len(buf) >= 1<<16 || i == n-1 {
			if _, err := w.Write(buf); err != nil {
				return fmt.Errorf("cannot write firehose JSONL: %w", err)
			}
			buf = buf[:0]
		}
	}
	return nil
}
