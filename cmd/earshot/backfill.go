package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/segmentio/kafka-go"

	"earshot/enrich"
	"earshot/match"
	"earshot/sink"
	"earshot/stream"
	"earshot/stream/adapt"
)

// cmdBackfill stores, for rules just added to a running pipeline, the
// mentions of the posts it read before it took them up (stream.Backfill).
func cmdBackfill(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("backfill", flag.ContinueOnError)
	var kf kafkaFlags
	kf.register(fs, "posts")
	var sc sink.Config
	clickhouseFlags(fs, &sc)
	rulesPath := fs.String("rules", "", "rules `file` or directory holding the rules to backfill, as the pipeline runs them (required)")
	var ids listFlag
	fs.Var(&ids, "rule", "the `ids` of the rules to backfill, comma-separated (required)")
	since := fs.Duration("since", 0, "backfill the posts Kafka received this long ago or later (required; e.g. 2h)")
	var cfg stream.BackfillConfig
	fs.Func("format", "input `format`, as the pipeline's --format (default canonical)", func(s string) error {
		f, err := adapt.ParseFormat(s)
		cfg.Format = f
		return err
	})
	fs.DurationVar(&cfg.DedupWindow, "dedup-window", 24*time.Hour, "the pipeline's --dedup-window")
	fs.IntVar(&cfg.DedupMaxKeys, "dedup-max-keys", 0, "the pipeline's --dedup-max-keys (0: 20,000,000)")
	fs.IntVar(&cfg.CopyMaxKeys, "copy-max-keys", 0, "the pipeline's --copy-max-keys (0: 1,000,000)")
	fs.IntVar(&cfg.BatchRows, "batch-rows", 5000, "rows per INSERT")
	fs.DurationVar(&cfg.Settle, "settle", 10*time.Second,
		"after this long, read the stored offsets again and backfill up to them too: the pipeline may store posts it read before it took up the rules after the backfill began")
	fs.IntVar(&cfg.Parallel, "parallel", 2, "partitions backfilled at once")
	fs.BoolVar(&cfg.DryRun, "dry-run", false, "count the mentions the backfill would store; store nothing")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *rulesPath == "":
		return usageErr("--rules is required: the rules file or directory the pipeline runs")
	case len(ids) == 0:
		return usageErr("--rule is required: the ids of the rules to backfill, comma-separated")
	case *since <= 0:
		return usageErr("--since is required: how far back to backfill, e.g. --since 2h")
	}
	eng, err := backfillEngine(*rulesPath, ids)
	if err != nil {
		return err
	}
	sec, err := kf.security()
	if err != nil {
		return err
	}
	cfg.Topic = kf.topic
	from := time.Now().Add(-*since)
	offs, err := topicOffsets(ctx, kf.brokers, sec, kf.topic, from)
	if err != nil {
		return err
	}
	var starts []stream.PartitionOffset
	for _, po := range offs {
		starts = append(starts, stream.PartitionOffset{Partition: po.Partition, Offset: startOffset(po, from)})
	}
	store, err := openStore(ctx, sc)
	if err != nil {
		return err
	}
	defer store.Close()
	en, err := enrich.New(enrich.Config{})
	if err != nil {
		return err
	}
	read := func(ctx context.Context, partition int, start, end int64, fn func(*kafka.Message) error) error {
		return readPartition(ctx, kf.brokers, sec, kf.topic, partition, start, end, func(m kafka.Message) error { return fn(&m) })
	}
	res, err := stream.Backfill(ctx, cfg, stream.BackfillDeps{Engine: eng, Store: store, Enricher: en, Read: read}, starts)
	switch {
	case err != nil && res == nil: // before any partition: the stored offsets could not be read
		return fmt.Errorf("%w (does the pipeline store into the database %s?)", err, sc.Database)
	case err != nil && slices.ContainsFunc(res, func(p stream.BackfillPartition) bool { return p.Mentions > 0 }):
		return fmt.Errorf("%w (the mentions stored stay; run the same backfill again to go on)", err)
	case err != nil:
		return err
	}
	rep := backfillReport{Topic: kf.topic, Database: sc.Database, Rules: ids, Since: from.UTC(), DryRun: cfg.DryRun, Partitions: res}
	for _, p := range res {
		rep.Mentions += p.Mentions
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.print()
	return nil
}

// backfillEngine compiles the rules of path whose ids are ids, which must
// all be there and enabled.
func backfillEngine(path string, ids []string) (*match.Engine, error) {
	all, err := match.LoadPath(path)
	if err != nil {
		return nil, fmt.Errorf("%s rejected:\n%w", path, err)
	}
	var rules []match.Rule
	for _, id := range ids {
		k := slices.IndexFunc(all, func(r match.Rule) bool { return r.ID == id })
		switch {
		case k < 0:
			return nil, usageErr("rule %q is not in %s", id, path)
		case !all[k].Enabled:
			return nil, usageErr("rule %q is disabled in %s: the pipeline does not run it", id, path)
		}
		rules = append(rules, all[k])
	}
	return match.Compile(rules)
}

// backfillReport is the result of `earshot backfill`, as --json prints it.
type backfillReport struct {
	Topic      string                     `json:"topic"`
	Database   string                     `json:"database"`
	Rules      []string                   `json:"rules"`
	Since      time.Time                  `json:"since"`
	DryRun     bool                       `json:"dry_run"`
	Mentions   int64                      `json:"mentions"`
	Partitions []stream.BackfillPartition `json:"partitions"`
}

func (r *backfillReport) print() {
	verb := "stored"
	if r.DryRun {
		verb = "would store (dry run)"
	}
	fmt.Printf("backfill of %s from %s, posts since %s, into database %s\n",
		strings.Join(r.Rules, ", "), r.Topic, r.Since.Format(time.RFC3339), r.Database)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "partition\tfrom\tto\tread\tmatched\tduplicates\talready stored\tmentions\t")
	for _, p := range r.Partitions {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", p.Partition, p.Start, p.End, p.Read, p.Matched, p.Duplicates, p.Stored, p.Mentions)
	}
	tw.Flush()
	fmt.Printf("%s %d mentions\n", verb, r.Mentions)
}
