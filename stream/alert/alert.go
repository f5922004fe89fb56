// Package alert defines earshot's alert record — what the burst detector
// raises when a rule's first-hand mentions suddenly rise in a region, and
// what the detection raises when a topic comes back after a quiet
// stretch — and delivers alerts to a Kafka topic and to HTTP webhooks.
//
// # Record and encoding
//
// An Alert is encoded as one JSON object (Alert.AppendJSON / json.Marshal
// give the same fields):
//
//	{
//	  "id": "9f2c4e1a7b3d5e60",        16 hex digits, stable across replays
//	  "event_id": "9f2c4e1a7b3d5e60",  id of the trigger alert of this event
//	  "kind": "trigger",               "trigger" | "followup" | "revival"
//	  "seq": 0,                        0 for the trigger, n for the nth follow-up
//	  "rule": "sismo",
//	  "scope": "country",              "rule" | "country" | "cell"
//	  "country": "MX",                 set for scope country (and cell when known)
//	  "cell": "9g3w",                  geohash, set for scope cell
//	  "detected_at": "2026-…Z",        event time at which the detector decided
//	  "onset": "2026-…Z",              estimated start of the rise (event time)
//	  "unit": "posts",                 "posts" | "authors": what was counted
//	  "sta": 180.5, "lta": 2.1,        short- and long-term averages per minute
//	  "ratio": 11.0,                   sta / (m·lta + b)
//	  "sta_count": 181,                first-hand posts (or authors) in the STA window
//	  "lta_count": 63,                 … in the LTA window
//	  "location": {"cell": "9g3w", "lat": 19.43, "lon": -99.13, "tier": 3,
//	               "posts": 40, "country": "MX"},
//	  "examples": [{"id": "…", "at": "…", "text": "…", "lat": 19.4, "lon": -99.1, "tier": 3}]
//	}
//
// A revival (a rule quiet for days that comes back; earshot/stream's
// revival alerts, earshot/stream/lifecycle) has scope "rule", unit
// "mentions", its onset the first hour of the new episode, sta_count and
// lta_count the mentions of the last six hours and of the six before (sta
// and lta per minute), ratio 0, no location, "quiet_since" the end of the
// rule's last active hour before it, and as examples the mentions with the
// largest audiences in the episode's first two hours, with "author"
// (handle) and "followers".
//
// The id is a function of rule, scope, region, the trigger's bin and the
// follow-up number, so replaying the same posts gives the same ids: Kafka
// consumers and a ClickHouse table (ReplacingMergeTree ordered by id)
// deduplicate on it.
//
// # Delivery
//
// A Dispatcher fans alerts out to targets (a Kafka topic through a kafka-go
// Writer; webhooks: HTTP POST of the JSON body with an
// X-Earshot-Signature: sha256=<hex HMAC-SHA256 of the body> header,
// per-attempt timeout, retries with exponential backoff and jitter). Each
// target has its own bounded queue and one owner goroutine, started by
// NewDispatcher and awaited by Close: a slow webhook never blocks the
// detector or the other targets; when a queue is full the alert is dropped
// for that target, counted and logged, as is an alert a target is given up
// on after its attempts (DispatcherConfig.Log). A trigger for a rule × region within
// Cooldown (or the rule's own, Dispatcher.SetCooldowns) of the last
// delivered trigger of that rule × region is suppressed (its follow-ups
// too).
//
// Metrics, registered on DispatcherConfig.Registerer:
//
//	earshot_alerts_total{kind}                     alerts handed to Send
//	earshot_alerts_suppressed_total                alerts dropped by cooldown
//	earshot_alert_deliveries_total{target}         alerts delivered
//	earshot_alert_delivery_failures_total{target}  alerts given up after retries
//	earshot_alert_retries_total{target}            retried attempts
//	earshot_alert_dropped_total{target}            alerts dropped on a full queue
package alert

import (
	"encoding/json"
	"time"
)

// Kinds of alert.
const (
	KindTrigger  = "trigger"
	KindFollowUp = "followup"
	KindRevival  = "revival" // a topic back after a quiet stretch (no cooldown: days apart by definition)
)

// Scopes: what region a detector key covers.
const (
	ScopeRule    = "rule"    // the rule everywhere
	ScopeCountry = "country" // the rule in one country
	ScopeCell    = "cell"    // the rule in one geohash cell (city scale)
)

// Alert is one detection (or a follow-up of one). See the package doc for
// the JSON encoding.
type Alert struct {
	ID      string `json:"id"`
	EventID string `json:"event_id"`
	Kind    string `json:"kind"`
	Seq     int    `json:"seq"`

	Rule string `json:"rule"`
	// RuleName, Tags, Level and Route are the rule's, as in force when the
	// alert is delivered (the pipeline fills them in; the alerts table
	// keeps the rule id alone, and the rules table the rest): a webhook or
	// a consumer of the alerts topic can dispatch on them.
	RuleName string   `json:"rule_name,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	Level    string   `json:"level,omitempty"`
	Route    string   `json:"route,omitempty"`
	Scope    string   `json:"scope"`
	Country  string   `json:"country,omitempty"`
	Cell     string   `json:"cell,omitempty"`

	DetectedAt time.Time `json:"detected_at"`
	Onset      time.Time `json:"onset"`

	Unit     string  `json:"unit"`
	STA      float64 `json:"sta"`
	LTA      float64 `json:"lta"`
	Ratio    float64 `json:"ratio"`
	STACount int64   `json:"sta_count"`
	LTACount int64   `json:"lta_count"`

	Location *Location `json:"location,omitempty"`
	Examples []Example `json:"examples,omitempty"`

	// QuietSince is set in a revival: the end of the rule's last active
	// hour before it (nil: none stored, the quiet began before the rule's
	// first stored mention). Like the rule's fields above, the alerts
	// table does not keep it.
	QuietSince *time.Time `json:"quiet_since,omitempty"`
}

// Location is the estimated place of an event: the geohash cell with the
// most geolocated first-hand posts in the STA window, and the centroid of
// that cell's posts of the best location tier present there.
type Location struct {
	Cell    string  `json:"cell,omitempty"`
	Lat     float64 `json:"lat"`
	Lon     float64 `json:"lon"`
	Tier    uint8   `json:"tier"`  // 3 gps, 2 place, 1 profile (as enrich.Tier)
	Posts   int     `json:"posts"` // posts of that tier in the cell averaged
	Country string  `json:"country,omitempty"`
}

// Example is one post quoted in an alert.
type Example struct {
	ID   string    `json:"id"`
	At   time.Time `json:"at"`
	Text string    `json:"text"`
	Lat  float64   `json:"lat,omitempty"`
	Lon  float64   `json:"lon,omitempty"`
	Tier uint8     `json:"tier,omitempty"`
	// Author (handle) and Followers (-1: unknown) are set in revivals.
	Author    string `json:"author,omitempty"`
	Followers int64  `json:"followers,omitempty"`
}

// Region is the alert's region as one string: "" for scope rule, the
// country code, or "cell:<geohash>". Cooldowns and Kafka keys use it.
func (a *Alert) Region() string {
	switch a.Scope {
	case ScopeCountry:
		return a.Country
	case ScopeCell:
		return "cell:" + a.Cell
	}
	return ""
}

// AppendJSON appends the JSON encoding of a to dst.
func (a *Alert) AppendJSON(dst []byte) ([]byte, error) {
	b, err := json.Marshal(a)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}
