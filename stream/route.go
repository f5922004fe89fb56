package stream

import (
	"encoding/json"
	"time"

	"github.com/segmentio/kafka-go"

	"earshot/match"
	"earshot/sink"
)

// Route headers on every routed mention message.
const (
	HeaderRoute = "earshot-route"
	HeaderRule  = "earshot-rule"
)

// RoutedMention is the JSON value of a message on a route topic: one
// matched, deduplicated post × routed rule, enriched. docs/alerts.md
// documents the fields.
type RoutedMention struct {
	Route string `json:"route"`
	Rule  string `json:"rule"`
	// RuleName, Tags and Level are the rule's, as in force when the
	// mention was matched: a receiver can sort the messages of one route
	// by them.
	RuleName  string    `json:"rule_name,omitempty"`
	Tags      []string  `json:"tags,omitempty"`
	Level     string    `json:"level,omitempty"`
	PostID    string    `json:"post_id"`
	CreatedAt time.Time `json:"created_at"`
	Text      string    `json:"text"`
	Lang      string    `json:"lang,omitempty"`
	Source    string    `json:"source,omitempty"`
	Author    struct {
		ID        string  `json:"id,omitempty"`
		Handle    string  `json:"handle,omitempty"`
		Followers int64   `json:"followers"`
		Influence float32 `json:"influence"`
		Segment   string  `json:"segment,omitempty"`
		Bot       float32 `json:"bot"`
	} `json:"author"`
	IsRepost bool   `json:"is_repost"`
	IsReply  bool   `json:"is_reply"`
	IsQuote  bool   `json:"is_quote"`
	RepostOf string `json:"repost_of,omitempty"`
	CopyOf   string `json:"copy_of,omitempty"`
	Geo      struct {
		Country string  `json:"country,omitempty"`
		Region  string  `json:"region,omitempty"`
		Place   string  `json:"place,omitempty"`
		Cell    string  `json:"cell,omitempty"`
		Lat     float64 `json:"lat,omitempty"`
		Lon     float64 `json:"lon,omitempty"`
		Tier    uint8   `json:"tier"`
	} `json:"geo"`
	Kafka struct {
		Topic     string `json:"topic"`
		Partition int32  `json:"partition"`
		Offset    int64  `json:"offset"`
	} `json:"kafka"`
}

// routeMessage builds the route-topic message for mention m of rule,
// which has a route: keyed by author id (post id when the author is
// unknown) so one author's mentions stay in order on one partition.
func routeMessage(prefix string, rule *match.Rule, m *sink.Mention) (kafka.Message, error) {
	var r RoutedMention
	route := rule.Route
	r.Route, r.Rule, r.PostID, r.CreatedAt, r.Text = route, m.RuleID, m.PostID, m.CreatedAt.UTC(), m.Text
	r.RuleName, r.Tags, r.Level = rule.Name, rule.Tags, rule.Level
	r.Lang, r.Source = m.Lang, m.Source
	r.Author.ID, r.Author.Handle, r.Author.Followers = m.AuthorID, m.AuthorHandle, m.AuthorFollowers
	r.Author.Influence, r.Author.Segment, r.Author.Bot = m.Influence, m.Segment, m.Bot
	r.IsRepost, r.IsReply, r.IsQuote, r.RepostOf, r.CopyOf = m.IsRepost, m.IsReply, m.IsQuote, m.RepostOf, m.CopyOf
	r.Geo.Country, r.Geo.Region, r.Geo.Place, r.Geo.Cell = m.Country, m.Region, m.Place, m.Cell
	r.Geo.Lat, r.Geo.Lon, r.Geo.Tier = m.Lat, m.Lon, m.GeoTier
	r.Kafka.Topic, r.Kafka.Partition, r.Kafka.Offset = m.Topic, m.Partition, m.Offset
	b, err := json.Marshal(&r)
	if err != nil {
		return kafka.Message{}, err
	}
	key := m.AuthorID
	if key == "" {
		key = m.PostID
	}
	return kafka.Message{
		Topic: prefix + route, Key: []byte(key), Value: b,
		Headers: []kafka.Header{{Key: HeaderRoute, Value: []byte(route)}, {Key: HeaderRule, Value: []byte(m.RuleID)}},
	}, nil
}
