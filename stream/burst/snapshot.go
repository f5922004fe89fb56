package burst

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
)

// snapshotVersion is bumped when the snapshot layout changes.
const snapshotVersion = 1

type snapshot struct {
	Version   int           `json:"version"`
	Bin       time.Duration `json:"bin"`
	Clock     int64         `json:"clock"`
	FirstBin  int64         `json:"first_bin"`
	OutageEnd int64         `json:"outage_end"`
	Ticked    bool          `json:"ticked"`
	FeedFrom  int64         `json:"feed_from"` // bin of Feed[0]
	Feed      []uint32      `json:"feed"`
	Keys      []snapKey     `json:"keys"`
}

type snapKey struct {
	Rule       string       `json:"rule"`
	Scope      scope        `json:"scope"`
	Region     string       `json:"region,omitempty"`
	From       int64        `json:"from"` // bin of Counts[0]
	Counts     []uint32     `json:"counts"`
	LastBin    int64        `json:"last_bin"`
	Country    string       `json:"country,omitempty"`
	Triggered  bool         `json:"triggered,omitempty"`
	TrigBin    int64        `json:"trig_bin,omitempty"`
	EventID    string       `json:"event_id,omitempty"`
	Seq        int          `json:"seq,omitempty"`
	NextFollow float64      `json:"next_follow,omitempty"`
	Authors    []snapAuthor `json:"authors,omitempty"`
	Examples   []sample     `json:"examples,omitempty"`
	Geo        []geoSample  `json:"geo,omitempty"`
}

type snapAuthor struct {
	Bin    int64  `json:"bin"`
	Bitmap []byte `json:"bitmap"`
}

// Snapshot encodes the detector's state as JSON for a checkpoint. Take it
// between calls, after the Observe calls of every message up to the offsets
// stored with it (see the package doc).
func (d *Detector) Snapshot() ([]byte, error) {
	sn := snapshot{
		Version: snapshotVersion, Bin: d.cfg.Bin, Clock: d.clock, FirstBin: d.firstBin,
		OutageEnd: d.outageEnd, Ticked: d.ticked,
	}
	if !d.started {
		return json.Marshal(sn)
	}
	sn.FeedFrom = d.feedHead - int64(len(d.feed)) + 1
	for b := sn.FeedFrom; b <= d.feedHead; b++ {
		sn.Feed = append(sn.Feed, d.feed[mod(b, len(d.feed))])
	}
	for _, s := range d.keys {
		k := snapKey{
			Rule: s.id.rule, Scope: s.id.scope, Region: s.id.region,
			From: s.head - int64(len(s.counts)) + 1, LastBin: s.lastBin, Country: s.country,
			Triggered: s.triggered, TrigBin: s.trigBin, EventID: s.eventID, Seq: s.seq, NextFollow: s.nextFollow,
		}
		for b := k.From; b <= s.head; b++ {
			k.Counts = append(k.Counts, s.counts[mod(b, len(s.counts))])
		}
		for _, ab := range s.authors {
			if ab.bm == nil || ab.bm.IsEmpty() {
				continue
			}
			bm, err := ab.bm.ToBytes()
			if err != nil {
				return nil, fmt.Errorf("cannot encode author bitmap: %w", err)
			}
			k.Authors = append(k.Authors, snapAuthor{Bin: ab.bin, Bitmap: bm})
		}
		k.Examples = ringItems(s.ex, s.exN)
		k.Geo = ringItems(s.geo, s.geoN)
		sn.Keys = append(sn.Keys, k)
	}
	return json.Marshal(sn)
}

func ringItems[T any](ring []T, n int) []T {
	if len(ring) == 0 {
		return nil
	}
	var out []T
	for i := max(0, n-len(ring)); i < n; i++ {
		out = append(out, ring[i%len(ring)])
	}
	return out
}

// Restore replaces the state of d, a Detector fresh from New, with a
// snapshot. The configuration may differ from the one that took the
// snapshot except for Bin; windows are re-sized and keys beyond MaxKeys or
// outside the new scopes are dropped.
func (d *Detector) Restore(data []byte) error {
	if d.started || len(d.keys) > 0 {
		return errors.New("cannot restore into a detector that has seen events")
	}
	var sn snapshot
	if err := json.Unmarshal(data, &sn); err != nil {
		return fmt.Errorf("cannot decode burst snapshot: %w", err)
	}
	if sn.Version != snapshotVersion {
		return fmt.Errorf("cannot restore burst snapshot version %d (want %d)", sn.Version, snapshotVersion)
	}
	if sn.Bin == 0 && sn.Clock == 0 && len(sn.Keys) == 0 {
		return nil // taken before any event
	}
	if sn.Bin != d.cfg.Bin {
		return fmt.Errorf("cannot restore burst snapshot with bin %v into a detector with bin %v", sn.Bin, d.cfg.Bin)
	}
	d.start(sn.FirstBin)
	d.clock, d.outageEnd, d.ticked = sn.Clock, sn.OutageEnd, sn.Ticked
	d.feedHead = d.clock + d.fb
	for i, v := range sn.Feed {
		if b := sn.FeedFrom + int64(i); b <= d.feedHead && b > d.feedHead-int64(len(d.feed)) {
			d.feed[mod(b, len(d.feed))] = v
		}
	}
	for i := range sn.Keys {
		k := &sn.Keys[i]
		if int(k.Scope) >= len(scopeNames) || !d.scopes[k.Scope] || len(d.keys) >= d.cfg.MaxKeys {
			continue
		}
		r := d.ruleFor(k.Rule)
		s := d.newSeries(keyID{k.Rule, k.Scope, k.Region}, r)
		for j, v := range k.Counts {
			if b := k.From + int64(j); b <= s.head && b > s.head-int64(len(s.counts)) {
				s.counts[mod(b, len(s.counts))] = v
				s.total += int64(v)
			}
		}
		s.lastBin, s.country = k.LastBin, k.Country
		s.triggered, s.trigBin, s.eventID, s.seq, s.nextFollow = k.Triggered, k.TrigBin, k.EventID, k.Seq, k.NextFollow
		if r.p.Authors {
			for _, a := range k.Authors {
				bm := roaring.New()
				if _, err := bm.FromBuffer(a.Bitmap); err != nil {
					return fmt.Errorf("cannot decode author bitmap of %q: %w", k.Rule, err)
				}
				s.authors[mod(a.Bin, len(s.authors))] = authorBin{bin: a.Bin, bm: bm.Clone()}
			}
		}
		for _, e := range k.Examples {
			if d.cfg.Examples > 0 {
				s.ex = push(s.ex, s.exN, 2*d.cfg.Examples, e)
				s.exN++
			}
		}
		for _, g := range k.Geo {
			if d.cfg.GeoSamples > 0 {
				s.geo = push(s.geo, s.geoN, d.cfg.GeoSamples, g)
				s.geoN++
			}
		}
		d.keys[s.id] = s
		if s.triggered || s.lastBin > d.clock-r.sta {
			d.active[s] = struct{}{}
		}
	}
	d.m.keys.Set(float64(len(d.keys)))
	return nil
}
