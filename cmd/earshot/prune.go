package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"earshot/sink"
)

// minKeep is the least history prune keeps: the dedup window (24h by
// default) and recovery read the last day of mention_offsets and
// dedup_keys, the burst detector the last 35 minutes of mentions.
const minKeep = 7 * 24 * time.Hour

// cmdPrune drops the months of mentions, their aggregates, offsets, dedup
// keys and alerts that ended longer ago than --keep (ClickHouse 18.16 has
// no TTL): once, from a scheduler such as deploy/kubernetes's CronJob, or
// every --every, as deploy/compose's prune service runs it.
func cmdPrune(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("prune", flag.ContinueOnError)
	var sc sink.Config
	clickhouseFlags(fs, &sc)
	keep := days(90 * 24 * time.Hour)
	fs.Var(&keep, "keep", "history to keep: the months that ended longer ago are dropped, whole (`duration`: 90d, 2160h; at least 7d)")
	dry := fs.Bool("dry-run", false, "print the months that would be dropped, drop nothing")
	every := fs.Duration("every", 0, "prune again this often until stopped (SIGINT, SIGTERM), for hosts without a scheduler; a failed round is logged and retried at the next (0: once)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if time.Duration(keep) < minKeep {
		return usageErr("--keep %s: keep at least 7d (the dedup window and recovery read the last day of mention_offsets and dedup_keys)", keep.String())
	}
	if *every < 0 || *every > 0 && *every < time.Minute {
		return usageErr("--every %s: once a minute at most (0: once)", *every)
	}
	store, err := openStore(ctx, sc)
	if err != nil {
		return err
	}
	defer store.Close()
	if *every == 0 {
		return pruneOnce(ctx, store, sc.Database, time.Duration(keep), *dry)
	}
	t := time.NewTicker(*every)
	defer t.Stop()
	for {
		if err := pruneOnce(ctx, store, sc.Database, time.Duration(keep), *dry); err != nil && ctx.Err() == nil {
			slog.Error("prune failed; retrying at the next round", "err", err, "next", *every)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// pruneOnce drops (or with dry lists) the months that ended more than keep
// ago and prints each.
func pruneOnce(ctx context.Context, store *sink.Client, database string, keep time.Duration, dry bool) error {
	cutoff := time.Now().UTC().Add(-keep)
	dropped, err := store.Prune(ctx, cutoff, dry)
	verb := "dropped"
	if dry {
		verb = "would drop"
	}
	for _, p := range dropped {
		fmt.Printf("%s %s %s: %d rows, %s\n", verb, p.Table, p.Month, p.Rows, sizeOf(p.Bytes))
	}
	if err != nil {
		return err
	}
	if len(dropped) == 0 {
		fmt.Printf("nothing to drop: no month of %s ended before %s UTC\n", database, cutoff.Format(time.DateTime))
	}
	return nil
}

// days is a duration flag that also takes whole days: 90d.
type days time.Duration

func (d *days) String() string {
	if *d%days(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(time.Duration(*d)/(24*time.Hour)), 10) + "d"
	}
	return time.Duration(*d).String()
}

func (d *days) Set(s string) error {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		v, err := strconv.ParseUint(n, 10, 16)
		if err != nil {
			return fmt.Errorf("%q: want whole days (90d) or a Go duration (2160h)", s)
		}
		*d = days(time.Duration(v) * 24 * time.Hour)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q: want whole days (90d) or a Go duration (2160h)", s)
	}
	*d = days(v)
	return nil
}

// sizeOf formats a byte count for people.
func sizeOf(b uint64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return strconv.FormatUint(b, 10) + " B"
}
