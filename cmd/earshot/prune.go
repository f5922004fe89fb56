package main

import (
	"context"
	"flag"
	"fmt"
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
// no TTL; run it daily, as deploy/kubernetes's CronJob does).
func cmdPrune(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("prune", flag.ContinueOnError)
	var sc sink.Config
	clickhouseFlags(fs, &sc)
	keep := days(90 * 24 * time.Hour)
	fs.Var(&keep, "keep", "history to keep: the months that ended longer ago are dropped, whole (`duration`: 90d, 2160h; at least 7d)")
	dry := fs.Bool("dry-run", false, "print the months that would be dropped, drop nothing")
	if err := parse(fs, args); err != nil {
		return err
	}
	if time.Duration(keep) < minKeep {
		return usageErr("--keep %s: keep at least 7d (the dedup window and recovery read the last day of mention_offsets and dedup_keys)", keep.String())
	}
	store, err := openStore(ctx, sc)
	if err != nil {
		return err
	}
	defer store.Close()
	cutoff := time.Now().UTC().Add(-time.Duration(keep))
	dropped, err := store.Prune(ctx, cutoff, *dry)
	verb := "dropped"
	if *dry {
		verb = "would drop"
	}
	for _, p := range dropped {
		fmt.Printf("%s %s %s: %d rows, %s\n", verb, p.Table, p.Month, p.Rows, sizeOf(p.Bytes))
	}
	if err != nil {
		return err
	}
	if len(dropped) == 0 {
		fmt.Printf("nothing to drop: no month of %s ended before %s UTC\n", sc.Database, cutoff.Format(time.DateTime))
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
