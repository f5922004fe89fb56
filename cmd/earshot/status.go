package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/segmentio/kafka-go"

	"earshot/sink"
)

// partitionStatus is one partition in `earshot status`.
type partitionStatus struct {
	Partition int `json:"partition"`
	// End is the partition's end offset (the next message's).
	End int64 `json:"end_offset"`
	// Stored is the next offset to store: one past the highest offset
	// ClickHouse holds, where the pipeline resumes; -1: nothing stored.
	Stored int64 `json:"stored_up_to"`
	// Lag is the messages not stored yet, from the resume point, or from
	// the partition's first message when nothing is stored.
	Lag int64 `json:"lag"`
	// Committed is the group's committed offset in Kafka (-1: none), for
	// tools that read lag there; earshot resumes from Stored.
	Committed int64 `json:"committed"`
}

// cmdStatus prints how far behind the stream the stored mentions are, from
// Kafka and ClickHouse alone, so that it answers with every earshot
// process stopped, when their metrics are gone too.
func cmdStatus(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	var kf kafkaFlags
	kf.register(fs, "posts")
	group := fs.String("group", "earshot", "the pipeline's Kafka consumer `group`")
	var sc sink.Config
	clickhouseFlags(fs, &sc)
	asJSON := fs.Bool("json", false, "print the status as one JSON object")
	maxLag := fs.Int64("max-lag", 0, "exit with status 1 when more `messages` than this are not stored yet, for scripts and probes (0: never)")
	if err := parse(fs, args); err != nil {
		return err
	}
	sec, err := kf.security()
	if err != nil {
		return err
	}
	offs, err := topicOffsets(ctx, kf.brokers, sec, kf.topic, time.Time{})
	if err != nil {
		return err
	}
	store, err := openStore(ctx, sc)
	if err != nil {
		return err
	}
	defer store.Close()
	stored, err := store.ResumeOffsets(ctx, kf.topic)
	if err != nil {
		return fmt.Errorf("%w (has earshot migrate or run used the database %s?)", err, sc.Database)
	}
	client := sec.Client(kf.brokers, 10*time.Second)
	ids := make([]int, len(offs))
	for i, po := range offs {
		ids[i] = po.Partition
	}
	committed := map[int]int64{}
	res, err := client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: *group, Topics: map[string][]int{kf.topic: ids}})
	if err == nil && res.Error == nil {
		for _, p := range res.Topics[kf.topic] {
			if p.Error == nil {
				committed[p.Partition] = p.CommittedOffset
			}
		}
	}
	var st statusReport
	st.Topic, st.Group, st.Database = kf.topic, *group, sc.Database
	for _, po := range offs {
		ps := partitionStatus{Partition: po.Partition, End: po.LastOffset, Stored: -1, Committed: -1}
		from := po.FirstOffset
		if o, ok := stored[int32(po.Partition)]; ok {
			ps.Stored = o + 1
			from = max(from, o+1)
		}
		if c, ok := committed[po.Partition]; ok {
			ps.Committed = c
		}
		ps.Lag = max(0, po.LastOffset-from)
		st.Lag += ps.Lag
		st.Partitions = append(st.Partitions, ps)
	}
	if at, ok, err := store.LastIngest(ctx, kf.topic, time.Hour); err != nil {
		return err
	} else if ok {
		st.LastStored = &at
	}
	rules, err := store.Rules(ctx)
	if err != nil {
		return err
	}
	for _, r := range rules {
		if r.Active {
			st.Rules++
		}
		if st.RulesChanged == nil || r.LoadedAt.After(*st.RulesChanged) {
			st.RulesChanged = &r.LoadedAt
		}
	}
	if err := st.print(*asJSON); err != nil {
		return err
	}
	if *maxLag > 0 && st.Lag > *maxLag {
		return fmt.Errorf("%d messages of %s not stored yet, over --max-lag %d", st.Lag, st.Topic, *maxLag)
	}
	return nil
}

// statusReport is what `earshot status` prints.
type statusReport struct {
	Topic      string            `json:"topic"`
	Group      string            `json:"group"`
	Database   string            `json:"database"`
	Partitions []partitionStatus `json:"partitions"`
	Lag        int64             `json:"lag"`
	LastStored *time.Time        `json:"last_stored,omitempty"`
	// Rules is how many rules are in force by the rules table, and
	// RulesChanged when its latest version was stored (nil: no rules
	// stored).
	Rules        int        `json:"rules"`
	RulesChanged *time.Time `json:"rules_changed,omitempty"`
}

// print writes the report to stdout as a table, or as one JSON object.
func (st *statusReport) print(asJSON bool) error {
	if asJSON {
		return json.NewEncoder(os.Stdout).Encode(st)
	}
	fmt.Printf("topic %s, group %s, ClickHouse database %s\n", st.Topic, st.Group, st.Database)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "partition\tend offset\tstored up to\tlag\tcommitted\t")
	for _, p := range st.Partitions {
		fmt.Fprintf(tw, "%d\t%d\t%s\t%d\t%s\t\n", p.Partition, p.End, offsetOrNone(p.Stored), p.Lag, offsetOrNone(p.Committed))
	}
	tw.Flush()
	fmt.Printf("lag: %d messages not stored yet\n", st.Lag)
	if st.LastStored != nil {
		fmt.Printf("last stored: %s UTC (%s ago)\n", st.LastStored.Format(time.DateTime), time.Since(*st.LastStored).Round(time.Second))
	} else {
		fmt.Println("last stored: nothing in the last hour")
	}
	if st.RulesChanged != nil {
		fmt.Printf("rules in force: %d, last changed %s UTC (earshot rules history ID for one)\n", st.Rules, st.RulesChanged.Format(time.DateTime))
	} else {
		fmt.Println("rules in force: none stored yet (earshot run stores them at start)")
	}
	return nil
}

func offsetOrNone(o int64) string {
	if o < 0 {
		return "-"
	}
	return fmt.Sprint(o)
}
