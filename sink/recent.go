package sink

import (
	"context"
	"time"
)

// NewestMention returns the newest created_at (to the second) of the
// matched mentions stored from the topic by an INSERT before
// ingestedBefore (the client's clock, to the second) whose created_at is not
// after createdBy (a bound that keeps a bogus future timestamp from deciding
// it); zero when there is none.
func (c *Client) NewestMention(ctx context.Context, topic string, createdBy, ingestedBefore time.Time) (time.Time, error) {
	var newest time.Time
	var n uint64
	err := c.query(ctx, "newest mention", func(scan func(...any) error) error {
		return scan(&newest, &n)
	}, `SELECT max(created_at), count() FROM {db}.mentions
WHERE kafka_topic = ? AND rule_id != '' AND created_at <= toDateTime(?) AND ingested_at < toDateTime(?)`,
		topic, sinceArg(createdBy), sinceArg(ingestedBefore))
	if err != nil || n == 0 {
		return time.Time{}, err
	}
	return newest.UTC(), nil
}

// RecentMentions calls fn with every matched mention (a non-empty rule_id) stored
// from the topic by an INSERT before ingestedBefore (the client's clock, to
// the second) with created_at at or after since (to the second), ordered
// by created_at (then post id and rule), while the result streams in. Only
// the columns the burst detector needs are filled: RuleID, PostID,
// CreatedAt (with its milliseconds), AuthorID, IsRepost, IsReply, IsQuote,
// HasGeo, Lat, Lon, GeoTier, Country, Cell, Text, Partition and Offset. fn
// must not keep m; an error from fn stops the query and is returned.
func (c *Client) RecentMentions(ctx context.Context, topic string, since, ingestedBefore time.Time, fn func(m *Mention) error) error {
	var m Mention
	var ms uint16
	var repost, reply, quote, geo uint8
	return c.query(ctx, "recent mentions", func(scan func(...any) error) error {
		if err := scan(&m.RuleID, &m.PostID, &m.CreatedAt, &ms, &m.AuthorID, &repost, &reply, &quote,
			&geo, &m.Lat, &m.Lon, &m.GeoTier, &m.Country, &m.Cell, &m.Text, &m.Partition, &m.Offset); err != nil {
			return err
		}
		m.CreatedAt = m.CreatedAt.UTC().Add(time.Duration(ms) * time.Millisecond)
		m.IsRepost, m.IsReply, m.IsQuote, m.HasGeo = repost != 0, reply != 0, quote != 0, geo != 0
		m.Topic = topic
		return fn(&m)
	}, `SELECT rule_id, post_id, created_at, created_ms, author_id, is_repost, is_reply, is_quote,
    has_geo, lat, lon, geo_tier, country, cell, text, kafka_partition, kafka_offset
FROM {db}.mentions
WHERE kafka_topic = ? AND rule_id != '' AND created_at >= toDateTime(?) AND ingested_at < toDateTime(?)
ORDER BY created_at, created_ms, post_id, rule_id`, topic, sinceArg(since), sinceArg(ingestedBefore))
}
