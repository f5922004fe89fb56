package sink

import (
	"context"
	"fmt"
	"slices"
	"time"

	"earshot/stream/lifecycle"
)

// The queries of a topic's life cycle (earshot/stream/lifecycle): a rule's
// mentions in bins over days or weeks, whether it had any before, and the
// mentions that began an episode.

// Series returns, for each rule with mentions in [start, start+n·bin), its
// mentions in n consecutive bins of bin from start (minutes: start is
// truncated to its minute, bin must be a whole number of minutes); of the
// rules named, or of every rule when none is. It reads the minute
// aggregates (mentions_rule_minute_country), by their key.
func (c *Client) Series(ctx context.Context, start time.Time, bin time.Duration, n int, rules ...string) (map[string][]uint64, error) {
	if bin < time.Minute || bin%time.Minute != 0 || n <= 0 {
		return nil, fmt.Errorf("series: bin %v and %d bins: want whole minutes and at least one bin", bin, n)
	}
	start = start.Truncate(time.Minute)
	end := start.Add(time.Duration(n) * bin)
	out := make(map[string][]uint64)
	where, args := ruleFilter(rules)
	args = append([]any{sinceArg(start), uint32(bin / time.Second)}, append(args, sinceArg(start), sinceArg(end))...)
	err := c.query(ctx, "series", func(scan func(...any) error) error {
		var rule string
		var b, m uint64
		if err := scan(&rule, &b, &m); err != nil {
			return err
		}
		s := out[rule]
		if s == nil {
			s = make([]uint64, n)
			out[rule] = s
		}
		if b < uint64(n) {
			s[b] = m
		}
		return nil
	}, `SELECT rule_id, toUInt64(intDiv(toUInt32(minute) - ?, ?)) AS b, countMerge(mentions)
FROM {db}.mentions_rule_minute_country
WHERE `+where+` AND minute >= toDateTime(?) AND minute < toDateTime(?)
GROUP BY rule_id, b`, args...)
	return out, err
}

// FirstMentions returns the minute of each rule's first stored mention;
// of the rules named, or of every rule when none is. It reads a row or so
// per rule (rule_first_minute, which retention does not prune: the first
// mention ever stored).
func (c *Client) FirstMentions(ctx context.Context, rules ...string) (map[string]time.Time, error) {
	out := make(map[string]time.Time)
	where, args := ruleFilter(rules)
	err := c.query(ctx, "first mentions", func(scan func(...any) error) error {
		var rule string
		var at time.Time
		if err := scan(&rule, &at); err != nil {
			return err
		}
		out[rule] = at.UTC()
		return nil
	}, `SELECT rule_id, minMerge(first) FROM {db}.rule_first_minute WHERE `+where+` GROUP BY rule_id`, args...)
	return out, err
}

// ruleFilter returns the WHERE condition on rule_id of the rules named, or
// of every rule (not the batch markers) when none is, and its argument.
func ruleFilter(rules []string) (string, []any) {
	if len(rules) == 0 {
		return `rule_id != ''`, nil
	}
	return `rule_id IN (SELECT arrayJoin(?))`, []any{rules}
}

// Spark is one of the mentions that began an episode, with its author's
// audience: a repost by a large account that revived a quiet topic.
type Spark struct {
	PostID    string    `json:"post_id"`
	At        time.Time `json:"at"`
	Author    string    `json:"author"`    // handle
	Followers int64     `json:"followers"` // -1 when unknown
	Segment   string    `json:"segment"`   // the author's segment (enrich.Segment)
	IsRepost  bool      `json:"is_repost"`
	RepostOf  string    `json:"repost_of,omitempty"`
	Text      string    `json:"text"`
}

// Sparks returns a rule's mentions in [from, to) with the largest
// audiences, one per author (their first), most followers first (then the
// earliest, then the id); limit <= 0 means all. It reads the raw mentions
// by their key.
func (c *Client) Sparks(ctx context.Context, rule string, from, to time.Time, limit int) ([]Spark, error) {
	var out []Spark
	err := c.query(ctx, "sparks", func(scan func(...any) error) error {
		var s Spark
		var repost uint8
		if err := scan(&s.PostID, &s.At, &s.Author, &s.Followers, &s.Segment, &repost, &s.RepostOf, &s.Text); err != nil {
			return err
		}
		s.At, s.IsRepost = s.At.UTC(), repost != 0
		out = append(out, s)
		return nil
	}, `SELECT post_id, created_at, author_handle, author_followers, author_segment, is_repost, repost_of, text
FROM {db}.mentions
WHERE rule_id = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?)
ORDER BY author_followers DESC, created_at, post_id
LIMIT 1 BY author_id`+limitClause(limit), rule, sinceArg(from), sinceArg(to))
	return out, err
}

// Lifecycles places each rule in its life cycle over n bins of the
// analyzer's width, the last of which holds now and is partial (bins are
// aligned to their width: hourly bins start on the hour); of the rules
// named, or of every rule with a mention in those bins when none is. A
// rule named without a mention there gets a report too (dormant, or none
// if it never had one). It runs Series and FirstMentions, and FeedHours
// when some rule revives.
func (c *Client) Lifecycles(ctx context.Context, a *lifecycle.Analyzer, now time.Time, n int, rules ...string) (map[string]lifecycle.Report, error) {
	return c.LifecyclesKnown(ctx, a, now, n, map[string]time.Time{}, rules...)
}

// LifecyclesKnown is Lifecycles with the first mentions known so far:
// first is asked only for the rules it lacks, and given those found (a
// rule's first mention does not change: a query fewer).
func (c *Client) LifecyclesKnown(ctx context.Context, a *lifecycle.Analyzer, now time.Time, n int, first map[string]time.Time, rules ...string) (map[string]lifecycle.Report, error) {
	bin := a.Config().Bin
	end := now.Truncate(bin)
	if end.Before(now) {
		end = end.Add(bin)
	}
	start := end.Add(-time.Duration(n) * bin)
	series, err := c.Series(ctx, start, bin, n, rules...)
	if err != nil {
		return nil, err
	}
	if len(rules) == 0 {
		for r := range series {
			rules = append(rules, r)
		}
	}
	var unknown []string
	for _, r := range rules {
		if _, ok := first[r]; !ok {
			unknown = append(unknown, r)
		}
	}
	if len(unknown) > 0 {
		found, err := c.FirstMentions(ctx, unknown...)
		if err != nil {
			return nil, err
		}
		for r, t := range found {
			first[r] = t
		}
	}
	out := make(map[string]lifecycle.Report, len(rules))
	analyze := func(r string, read []bool) error {
		s := series[r]
		if s == nil {
			s = make([]uint64, n)
		}
		f, ok := first[r]
		rep, err := a.Analyze(lifecycle.Series{Start: start, Mentions: s, Earlier: ok && f.Before(start), Read: read})
		if err != nil {
			return err
		}
		if k := len(rep.Episodes) - 1; k >= 0 && rep.Episodes[k].End.After(now) {
			rep.Episodes[k].End = now // its last active bin is the current one
		}
		out[r] = rep
		return nil
	}
	// Each rule as if the pipeline had read every hour, then the rules
	// with a revived episode again with the hours it did read, so that a
	// quiet it did not see is no revival (lifecycle.Series.Read).
	var again []string
	for _, r := range rules {
		if err := analyze(r, nil); err != nil {
			return nil, err
		}
		if revived(out[r]) {
			again = append(again, r)
		}
	}
	if len(again) == 0 {
		return out, nil
	}
	hours, err := c.FeedHours(ctx, start, end)
	if err != nil {
		return nil, err
	}
	read := make([]bool, n)
	for h := range hours { // the bins each hour overlaps
		for k := max(int(h.Sub(start)/bin), 0); k < n && start.Add(time.Duration(k)*bin).Before(h.Add(time.Hour)); k++ {
			read[k] = true
		}
	}
	for _, r := range again {
		if err := analyze(r, read); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// revived reports whether a report has a revived episode.
func revived(r lifecycle.Report) bool {
	return slices.ContainsFunc(r.Episodes, func(e lifecycle.Episode) bool { return e.Origin == lifecycle.Revived })
}

// FeedHours returns the hours of [from, to) in which the pipeline stored
// something: every batch it writes holds a progress marker per partition
// it read (a row with no rule, dated like the batch's first post), so an
// hour without one is an hour the pipeline read nothing — it was stopped,
// or the feed was. It reads the markers' rows of the minute aggregates.
func (c *Client) FeedHours(ctx context.Context, from, to time.Time) (map[time.Time]bool, error) {
	out := make(map[time.Time]bool)
	err := c.query(ctx, "feed hours", func(scan func(...any) error) error {
		var h time.Time
		if err := scan(&h); err != nil {
			return err
		}
		out[h.UTC()] = true
		return nil
	}, `SELECT DISTINCT toStartOfHour(minute)
FROM {db}.mentions_rule_minute_country
WHERE rule_id = '' AND minute >= toDateTime(?) AND minute < toDateTime(?)`, sinceArg(from), sinceArg(to))
	return out, err
}

// LastActive returns the end of a rule's last hour before before that held
// floor mentions or more (an active hour of the life cycle), and false when
// there is none: how long a revived topic had been quiet. It reads the
// rule's minute aggregates before before: few rows for a quiet rule.
func (c *Client) LastActive(ctx context.Context, rule string, before time.Time, floor uint64) (time.Time, bool, error) {
	var end time.Time
	found := false
	err := c.query(ctx, "last active hour", func(scan func(...any) error) error {
		var h time.Time
		var n uint64
		if err := scan(&h, &n); err != nil {
			return err
		}
		end, found = h.UTC().Add(time.Hour), true
		return nil
	}, `SELECT toStartOfHour(minute) AS h, countMerge(mentions) AS n
FROM {db}.mentions_rule_minute_country
WHERE rule_id = ? AND minute < toDateTime(?)
GROUP BY h
HAVING n >= ?
ORDER BY h DESC
LIMIT 1`, rule, sinceArg(before), floor)
	return end, found, err
}
