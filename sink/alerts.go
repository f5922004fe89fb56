package sink

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"earshot/stream/alert"
)

// alertsColumns is the INSERT column list of alerts, in the order
// InsertAlerts appends them.
const alertsColumns = `id, event_id, kind, seq, rule_id, scope, country, cell, detected_at, onset,
    unit, sta, lta, ratio, sta_count, lta_count, location_cell, lat, lon, tier, location_posts,
    location_country, example_ids, examples`

// InsertAlerts writes alerts to the alerts table as one INSERT. The table is
// a ReplacingMergeTree ordered by id: an alert raised again by a replay
// (same id) collapses with the first at merge time, and Alerts reads with
// FINAL so it is never listed twice.
func (c *Client) InsertAlerts(ctx context.Context, alerts []alert.Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	ctx, release := c.sendContext(ctx)
	defer release()
	batch, err := c.conn.PrepareBatch(ctx, c.sql(`INSERT INTO {db}.alerts (`+alertsColumns+`)`))
	if err != nil {
		return fmt.Errorf("cannot prepare INSERT of %d alerts: %w", len(alerts), err)
	}
	defer batch.Abort() //nolint:errcheck // after Send it is a no-op
	for i := range alerts {
		a := &alerts[i]
		var loc alert.Location
		if a.Location != nil {
			loc = *a.Location
		}
		ids := make([]string, 0, len(a.Examples))
		exs := make([]string, 0, len(a.Examples))
		for j := range a.Examples {
			b, err := json.Marshal(&a.Examples[j])
			if err != nil {
				return fmt.Errorf("cannot encode an example of alert %s: %w", a.ID, err)
			}
			ids = append(ids, a.Examples[j].ID)
			exs = append(exs, string(b))
		}
		if err := batch.Append(a.ID, a.EventID, a.Kind, uint16(min(max(a.Seq, 0), 65535)), a.Rule, a.Scope,
			a.Country, a.Cell, clampTime(a.DetectedAt), clampTime(a.Onset), a.Unit, a.STA, a.LTA, a.Ratio,
			a.STACount, a.LTACount, loc.Cell, loc.Lat, loc.Lon, loc.Tier, uint32(max(loc.Posts, 0)),
			loc.Country, ids, exs); err != nil {
			return fmt.Errorf("cannot append alert %s: %w", a.ID, err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("cannot INSERT %d alerts: %w", len(alerts), err)
	}
	return nil
}

// clampTime keeps t inside DateTime's range (1970 … 2106).
func clampTime(t time.Time) time.Time {
	if t.Before(time.Unix(0, 0)) {
		return time.Unix(0, 0).UTC()
	}
	if t.Unix() > 1<<32-1 {
		return time.Unix(1<<32-1, 0).UTC()
	}
	return t.UTC()
}

// Alerts returns the alerts detected since the given time, newest first
// (ties by id), each once however often it was inserted; limit <= 0 means
// all. Location is set when the alert had one; examples are decoded from
// their stored JSON.
func (c *Client) Alerts(ctx context.Context, since time.Time, limit int) ([]alert.Alert, error) {
	var out []alert.Alert
	err := c.query(ctx, "alerts", func(scan func(...any) error) error {
		var a alert.Alert
		var seq uint16
		var loc alert.Location
		var posts uint32
		var exs []string
		if err := scan(&a.ID, &a.EventID, &a.Kind, &seq, &a.Rule, &a.Scope, &a.Country, &a.Cell,
			&a.DetectedAt, &a.Onset, &a.Unit, &a.STA, &a.LTA, &a.Ratio, &a.STACount, &a.LTACount,
			&loc.Cell, &loc.Lat, &loc.Lon, &loc.Tier, &posts, &loc.Country, &exs); err != nil {
			return err
		}
		a.Seq = int(seq)
		if posts > 0 || loc.Cell != "" {
			loc.Posts = int(posts)
			a.Location = &loc
		}
		for _, e := range exs {
			var ex alert.Example
			if json.Unmarshal([]byte(e), &ex) == nil {
				a.Examples = append(a.Examples, ex)
			}
		}
		out = append(out, a)
		return nil
	}, `SELECT id, event_id, kind, seq, rule_id, scope, country, cell, detected_at, onset,
    unit, sta, lta, ratio, sta_count, lta_count, location_cell, lat, lon, tier, location_posts,
    location_country, examples
FROM {db}.alerts FINAL
WHERE detected_at >= toDateTime(?)
ORDER BY detected_at DESC, id`+limitClause(limit), sinceArg(since))
	return out, err
}

// AlertIDs returns the ids of the alerts stored with a detection time at
// or after since (the detector's warm-up leaves out the alerts an earlier
// run raised).
func (c *Client) AlertIDs(ctx context.Context, since time.Time) (map[string]bool, error) {
	ids := map[string]bool{}
	err := c.query(ctx, "alert ids", func(scan func(...any) error) error {
		var id string
		if err := scan(&id); err != nil {
			return err
		}
		ids[id] = true
		return nil
	}, `SELECT DISTINCT id FROM {db}.alerts WHERE detected_at >= toDateTime(?)`, sinceArg(since))
	return ids, err
}

// AuthorCount is one author's activity on a rule.
type AuthorCount struct {
	AuthorID  string  `json:"id"`
	Handle    string  `json:"handle"`
	Mentions  uint64  `json:"mentions"`
	Influence float32 `json:"influence"` // highest author influence seen (0..1)
	Followers int64   `json:"followers"` // highest follower count seen (-1: unknown)
}

// TopAuthors returns the authors of a rule's mentions since the given hour,
// most influential first (then most mentions, then id), from
// authors_rule_hour; limit <= 0 means all.
func (c *Client) TopAuthors(ctx context.Context, rule string, since time.Time, limit int) ([]AuthorCount, error) {
	var out []AuthorCount
	err := c.query(ctx, "top authors", func(scan func(...any) error) error {
		var r AuthorCount
		if err := scan(&r.AuthorID, &r.Handle, &r.Mentions, &r.Influence, &r.Followers); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	}, `SELECT author_id, anyLastMerge(handle) AS h, countMerge(mentions) AS m,
    maxMerge(influence) AS infl, maxMerge(followers) AS f
FROM {db}.authors_rule_hour
WHERE rule_id = ? AND hour >= toStartOfHour(toDateTime(?))
GROUP BY author_id
ORDER BY infl DESC, m DESC, author_id`+limitClause(limit), rule, sinceArg(since))
	return out, err
}

// Reach is how many people a rule's mentions could have reached: the
// followers of its distinct authors.
type Reach struct {
	Authors   uint64 `json:"authors"`   // distinct authors
	Known     uint64 `json:"known"`     // of them, those whose followers are known
	Followers uint64 `json:"followers"` // the sum of their followers (each author once, at their most)
	// Zombies are the authors the enrichment classed as zombie accounts
	// (bot-like, or follow many and are followed by few), whose followers
	// a brand discounts; RealFollowers leaves them out.
	Zombies       uint64 `json:"zombies"`
	RealFollowers uint64 `json:"real_followers"`
}

// RuleReach returns the potential reach of a rule's mentions since the
// given time: each distinct author counts once, with the most followers a
// mention of theirs showed, and once more without the zombie accounts. It
// reads the rule's rows of mentions in the window by the table's key.
// Reposts of one another by two authors are not told apart: it is the
// audience the authors have, not the people who saw the posts.
func (c *Client) RuleReach(ctx context.Context, rule string, since time.Time) (Reach, error) {
	var r Reach
	err := c.query(ctx, "rule reach", func(scan func(...any) error) error {
		return scan(&r.Authors, &r.Known, &r.Followers, &r.Zombies, &r.RealFollowers)
	}, `SELECT count(), countIf(f >= 0), toUInt64(sumIf(f, f > 0)), countIf(z = 1), toUInt64(sumIf(f, f > 0 AND z = 0))
FROM (
    SELECT author_id, max(author_followers) AS f, max(author_segment = 'zombie') AS z
    FROM {db}.mentions
    WHERE rule_id = ? AND created_at >= toDateTime(?) AND author_id != ''
    GROUP BY author_id
)`, rule, sinceArg(since))
	return r, err
}

// Reposted is a post whose reposts matched a rule: what is spreading.
type Reposted struct {
	PostID  string    `json:"post_id"` // the reposted post (repost_of)
	Reposts uint64    `json:"reposts"` // its reposts among the rule's mentions
	Authors uint64    `json:"authors"` // distinct authors of those reposts
	First   time.Time `json:"first"`   // the first of them
	Last    time.Time `json:"last"`    // and the last
	Text    string    `json:"text"`    // the text of one of them
}

// TopReposted returns the posts most reposted among a rule's mentions since
// the given time, most reposts first (then id); limit <= 0 means all. It
// reads the raw mentions table, by its key (rule_id, created_at).
func (c *Client) TopReposted(ctx context.Context, rule string, since time.Time, limit int) ([]Reposted, error) {
	return c.RepostedBetween(ctx, rule, since, time.Time{}, limit)
}

// RepostedBetween is TopReposted over the mentions of [from, to), or since
// from when to is zero: what spread in one episode of a topic.
func (c *Client) RepostedBetween(ctx context.Context, rule string, from, to time.Time, limit int) ([]Reposted, error) {
	until := uint32(math.MaxUint32)
	if !to.IsZero() {
		until = sinceArg(to)
	}
	var out []Reposted
	err := c.query(ctx, "top reposted", func(scan func(...any) error) error {
		var r Reposted
		if err := scan(&r.PostID, &r.Reposts, &r.Authors, &r.First, &r.Last, &r.Text); err != nil {
			return err
		}
		r.First, r.Last = r.First.UTC(), r.Last.UTC()
		out = append(out, r)
		return nil
	}, `SELECT repost_of, count() AS n, uniqExact(author_id), min(created_at), max(created_at), any(text)
FROM {db}.mentions
WHERE rule_id = ? AND created_at >= toDateTime(?) AND created_at < toDateTime(?) AND is_repost != 0 AND repost_of != ''
GROUP BY repost_of
ORDER BY n DESC, repost_of`+limitClause(limit), rule, sinceArg(from), until)
	return out, err
}
