// Command earshot runs the earshot pipeline and its tools.
//
//	earshot run       consume posts from Kafka, write mentions to ClickHouse
//	earshot gen       produce a realistic synthetic firehose (Kafka or JSONL)
//	earshot demo      generator + pipeline on local Kafka and ClickHouse, live
//	earshot migrate   apply the ClickHouse schema
//	earshot rules     check a rules file, or test it against posts
//	earshot backfill  store the mentions rules just added would have had
//	earshot dashboard serve the web dashboard (map, timeline, rules, alerts) from ClickHouse
//	earshot bench     measure throughput, CPU per post and latency end to end
//
// Every flag can also be set through the environment: --kafka-brokers is
// EARSHOT_KAFKA_BROKERS, and so on; a flag on the command line wins. Run
// "earshot COMMAND -h" for a command's flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string) error
}

var commands = []command{
	{"run", "consume posts from Kafka, match, dedup, enrich, write mentions to ClickHouse", cmdRun},
	{"gen", "produce a realistic synthetic firehose to Kafka or JSONL, with ground truth", cmdGen},
	{"demo", "run generator and pipeline on local Kafka and ClickHouse with live progress", cmdDemo},
	{"migrate", "apply the ClickHouse schema (idempotent)", cmdMigrate},
	{"status", "how far behind the stream the stored mentions are, per partition (from Kafka and ClickHouse)", cmdStatus},
	{"dead-letters", "summarise the dead-letter topic by reason, print it as JSON, or replay it", cmdDeadLetters},
	{"backfill", "store the mentions that rules just added would have had, from posts the pipeline read before", cmdBackfill},
	{"prune", "drop the months of stored mentions, aggregates and alerts older than --keep", cmdPrune},
	{"rules", "check rules (rules check), test them on posts (rules test), measure them on labelled posts (rules eval), compare two versions (rules diff)", cmdRules},
	{"sample", "write a random sample of a topic's posts, with an empty label each, to label for rules eval", cmdSample},
	{"enrich", "print posts as stored: geo fields and tier, author features, language (JSONL)", cmdEnrich},
	{"lifecycle", "where each rule stands: rising, at its peak, decaying or dormant, since when, and what revived it", cmdLifecycle},
	{"detect", "replay posts through matching and the burst detector, print alerts", cmdDetect},
	{"dashboard", "serve the web dashboard (map, timeline, rules, alerts) from ClickHouse", cmdDashboard},
	{"bench", "measure posts/s, CPU per post and latency end to end on a Kafka and a ClickHouse", cmdBench},
}

func usage() {
	fmt.Fprintf(os.Stderr, "earshot finds the posts that mention what you listen for in a Kafka firehose\nand writes mentions and per-minute aggregates to ClickHouse.\n\nUsage: earshot COMMAND [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(os.Stderr, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(os.Stderr, "\nEvery flag may be given as an environment variable: --kafka-brokers → EARSHOT_KAFKA_BROKERS.\n")
}

func main() {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel()})))
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage()
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	name := os.Args[1]
	for _, c := range commands {
		if c.name != name {
			continue
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := c.run(ctx, os.Args[2:])
		stop()
		switch {
		case err == nil:
			return
		case errors.Is(err, flag.ErrHelp):
			return
		case errors.As(err, new(*usageError)):
			fmt.Fprintf(os.Stderr, "earshot %s: %v\n", name, err)
			os.Exit(2)
		default:
			fmt.Fprintf(os.Stderr, "earshot %s: %v\n", name, err)
			os.Exit(1)
		}
	}
	fmt.Fprintf(os.Stderr, "earshot: unknown command %q\n\n", name)
	usage()
	os.Exit(2)
}

func logLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(os.Getenv("EARSHOT_LOG_LEVEL"))); err != nil {
		return slog.LevelInfo
	}
	return l
}
