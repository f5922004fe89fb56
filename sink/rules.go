package sink

import (
	"context"
	"fmt"
	"time"
)

// Rule is a listening rule as the rules table keeps it: what dashboards
// join on rule_id to name, group (tags, level) and route the aggregates.
type Rule struct {
	ID    string   `json:"id"`
	Name  string   `json:"name,omitempty"`
	Query string   `json:"query"`
	Tags  []string `json:"tags"`
	Level string   `json:"level,omitempty"`
	Route string   `json:"route,omitempty"`
	// Diacritics is "sensitive" or "insensitive" (the rule's YAML
	// diacritics:).
	Diacritics string `json:"diacritics"`
	// Alert is the rule's own alert settings as written ("off",
	// "{floor: 2, …}"); "" for the detector's defaults.
	Alert string `json:"alert,omitempty"`
	// Active is false for a rule no longer in force (removed or
	// disabled since it was).
	Active bool `json:"active"`
	// LoadedAt is when the pipeline loaded this version of the rule.
	LoadedAt time.Time `json:"loaded_at"`
}

// rulesColumns is the INSERT column list of rules, in the order
// StoreRules appends them.
const rulesColumns = `rule_id, name, query, tags, level, route, diacritics, alert, active, loaded_at, version`

// StoreRules records rules as loaded at at, in one INSERT: a row per rule
// and version (at, in nanoseconds). The rules table keeps every version
// (ordered by rule id and version; storing the same version again, a
// retry, collapses with it): Rules reads the latest of each rule,
// RuleHistory all of one. Store the rules that changed.
func (c *Client) StoreRules(ctx context.Context, rules []Rule, at time.Time) error {
	if len(rules) == 0 {
		return nil
	}
	ctx, release := c.sendContext(ctx)
	defer release()
	batch, err := c.conn.PrepareBatch(ctx, c.sql(`INSERT INTO {db}.rules (`+rulesColumns+`)`))
	if err != nil {
		return fmt.Errorf("cannot prepare INSERT of %d rules: %w", len(rules), err)
	}
	defer batch.Abort() //nolint:errcheck // after Send it is a no-op
	version := uint64(max(at.UnixNano(), 0))
	for i := range rules {
		r := &rules[i]
		tags := r.Tags
		if tags == nil {
			tags = []string{}
		}
		active := uint8(0)
		if r.Active {
			active = 1
		}
		diacritics := r.Diacritics
		if diacritics == "" {
			diacritics = "sensitive"
		}
		if err := batch.Append(r.ID, r.Name, r.Query, tags, r.Level, r.Route, diacritics, r.Alert, active,
			clampTime(at), version); err != nil {
			return fmt.Errorf("cannot append rule %q: %w", r.ID, err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("cannot INSERT %d rules: %w", len(rules), err)
	}
	return nil
}

// latestRules is the latest version of each rule in the rules table.
const latestRules = `(SELECT * FROM {db}.rules ORDER BY rule_id, version DESC LIMIT 1 BY rule_id)`

// ruleColumns are the SELECT list scanRules reads.
const ruleColumns = `rule_id, name, query, tags, level, route, diacritics, alert, active, loaded_at`

// scanRules runs q, which selects ruleColumns, and returns its rows.
func (c *Client) scanRules(ctx context.Context, what, q string, args ...any) ([]Rule, error) {
	var out []Rule
	err := c.query(ctx, what, func(scan func(...any) error) error {
		var r Rule
		var active uint8
		if err := scan(&r.ID, &r.Name, &r.Query, &r.Tags, &r.Level, &r.Route, &r.Diacritics, &r.Alert, &active, &r.LoadedAt); err != nil {
			return err
		}
		r.Active = active != 0
		out = append(out, r)
		return nil
	}, q, args...)
	return out, err
}

// Rules returns the latest stored version of every rule, in force or not,
// by id; of the rules ids names when there are any (a dashboard's page of
// rules, not all 100,000).
func (c *Client) Rules(ctx context.Context, ids ...string) ([]Rule, error) {
	if len(ids) == 0 {
		return c.scanRules(ctx, "rules", `SELECT `+ruleColumns+` FROM `+latestRules+` ORDER BY rule_id`)
	}
	return c.scanRules(ctx, "rules", `SELECT `+ruleColumns+`
FROM (SELECT * FROM {db}.rules WHERE rule_id IN (SELECT arrayJoin(?)) ORDER BY rule_id, version DESC LIMIT 1 BY rule_id)
ORDER BY rule_id`, ids)
}

// RuleHistory returns every stored version of one rule, oldest first:
// what its query, tags and alert settings were, and from when.
func (c *Client) RuleHistory(ctx context.Context, id string) ([]Rule, error) {
	return c.scanRules(ctx, "rule history", `SELECT `+ruleColumns+`
FROM {db}.rules
WHERE rule_id = ?
ORDER BY version
LIMIT 1 BY version`, id)
}

// TagCount is the activity of the rules in force that carry one tag.
type TagCount struct {
	Tag                                   string
	Mentions, Originals, Reposts, Authors uint64
}

// TagCounts returns the activity per tag since the given minute, most
// mentioned first (limit <= 0: all): the mentions of the rules in force
// carrying the tag, by their tags as the rules table holds them now. A
// post that two rules of a tag match counts twice in Mentions, once in
// Authors.
func (c *Client) TagCounts(ctx context.Context, since time.Time, limit int) ([]TagCount, error) {
	var out []TagCount
	err := c.query(ctx, "mentions by tag", func(scan func(...any) error) error {
		var r TagCount
		if err := scan(&r.Tag, &r.Mentions, &r.Originals, &r.Reposts, &r.Authors); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	}, `SELECT tag, `+mergeCounts+`
FROM (
    SELECT tags, mentions, originals, reposts, authors
    FROM {db}.mentions_rule_minute_country
    ANY INNER JOIN (SELECT rule_id, tags FROM `+latestRules+` WHERE active = 1) USING rule_id
    WHERE rule_id != '' AND minute >= toDateTime(?)
)
ARRAY JOIN tags AS tag
GROUP BY tag
ORDER BY m DESC, tag`+limitClause(limit), sinceArg(since))
	return out, err
}
