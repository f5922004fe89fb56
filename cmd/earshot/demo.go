package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/segmentio/kafka-go"

	"earshot/match"
	"earshot/sink"
	"earshot/stream"
)

func cmdDemo(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	var kf kafkaFlags
	kf.register(fs, "earshot-demo-posts")
	var sc sink.Config
	clickhouseFlags(fs, &sc)
	var o genOptions
	o.register(fs)
	httpAddr := fs.String("http-addr", "127.0.0.1:9464", "`address` serving /metrics, /healthz and /readyz")
	fs.Lookup("rate").DefValue, o.rate = "2000", 2000
	fs.Lookup("burst-at").DefValue, o.burstAt = "20s", 20*time.Second
	fs.Lookup("malformed-fraction").DefValue, o.malformed = "0.0005", 0.0005
	if err := parse(fs, args); err != nil {
		return err
	}
	o.throttle, o.count, o.start = true, 0, ""
	g, err := o.generator()
	if err != nil {
		return &usageError{err}
	}
	rules, err := match.Parse("demo-rules", []byte(strings.Join(o.rules, "\n")))
	if err != nil {
		return err
	}
	eng, err := match.Compile(rules)
	if err != nil {
		return err
	}

	reg := newRegistry()
	pc := stream.Config{Brokers: kf.brokers, Topic: kf.topic, Group: "earshot-demo"}
	pc.SetDefaults()
	p, err := startPipeline(ctx, pipelineSetup{cfg: pc, sink: sc, reg: reg, migrate: true,
		engine: func() *match.Engine { return eng }})
	if err != nil {
		return err
	}
	defer p.close()
	stopHTTP, err := serveHTTP(*httpAddr, reg, p.pipeline.Ready, nil)
	if err != nil {
		return err
	}
	defer stopHTTP()

	demoStart := time.Now().UTC().Truncate(time.Minute)
	fmt.Printf("earshot demo: %d keyword rules, firehose at %.0f posts/s into %q, burst at +%s; metrics on http://%s/metrics\n",
		len(o.rules), o.rate, kf.topic, o.burstAt, *httpAddr)
	fmt.Printf("ClickHouse %s database %s. Stop with Ctrl-C%s.\n\n", sc.Addr, sc.Database, durationNote(o.duration))

	// The generator and the pipeline each run in a goroutine owned here.
	genCtx, stopGen := context.WithCancel(ctx)
	defer stopGen()
	pipeCtx, stopPipe := context.WithCancel(context.Background())
	defer stopPipe()
	var wg sync.WaitGroup
	var sent atomic.Int64
	var genErr, pipeErr error
	w := newProducer(kf.brokers, kf.topic)
	defer w.Close()
	wg.Add(2)
	go func() {
		defer wg.Done()
		genErr = o.run(genCtx, g, func(b []kafka.Message) error { return w.WriteMessages(genCtx, b...) }, &sent)
	}()
	go func() {
		defer wg.Done()
		pipeErr = p.pipeline.Run(pipeCtx)
	}()

	var deadline <-chan time.Time
	if o.duration > 0 {
		deadline = time.After(o.duration)
	}
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	st := p.pipeline.Stats()
	var last progress
	lastAt := time.Now()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-deadline:
			break loop
		case <-tick.C:
			now := time.Now()
			cur := snapshot(ctx, &sent, st, p.store)
			cur.print(last, now.Sub(lastAt))
			last, lastAt = cur, now
		}
	}
	stopGen()
	fmt.Println("\nstopping the firehose; letting the pipeline catch up …")
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if st.Lag() == 0 && st.Inserted.Load() == st.Mentions.Load() && st.Consumed.Load() >= sent.Load() {
			break
		}
	}
	stopPipe()
	wg.Wait()
	if genErr != nil {
		fmt.Fprintf(os.Stderr, "generator: %v\n", genErr)
	}
	if pipeErr != nil {
		fmt.Fprintf(os.Stderr, "pipeline: %v\n", pipeErr)
	}
	qctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return printSummary(qctx, p.store, demoStart, st)
}

func durationNote(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return fmt.Sprintf(" (or wait %s)", d)
}

type progress struct {
	sent, consumed, mentions, dead, dups, inserted, lag int64
	rows                                                uint64
}

func snapshot(ctx context.Context, sent *atomic.Int64, st *stream.Stats, store *sink.Client) progress {
	p := progress{sent: sent.Load(), consumed: st.Consumed.Load(), mentions: st.Mentions.Load(),
		dead: st.DeadLetters.Load(), dups: st.Duplicates.Load(), inserted: st.Inserted.Load(), lag: st.Lag()}
	qctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	p.rows, _ = store.RawCount(qctx)
	return p
}

func (p progress) print(prev progress, dt time.Duration) {
	rate := func(a, b int64) float64 { return float64(a-b) / dt.Seconds() }
	fmt.Printf("%s  in %6.0f posts/s  mentions %5.0f/s  duplicates %d  dead letters %d  lag %d  ClickHouse rows %d\n",
		time.Now().Format("15:04:05"), rate(p.consumed, prev.consumed), rate(p.mentions, prev.mentions),
		p.dups, p.dead, p.lag, p.rows)
}

func printSummary(ctx context.Context, store *sink.Client, since time.Time, st *stream.Stats) error {
	fmt.Printf("\nconsumed %d messages, %d mentions written, %d duplicates dropped, %d dead letters\n",
		st.Consumed.Load(), st.Inserted.Load(), st.Duplicates.Load(), st.DeadLetters.Load())
	top, err := store.TopRules(ctx, since, 10)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Printf("\nTop rules since %s (from ClickHouse):\n", since.Format("15:04 MST"))
	fmt.Fprintln(tw, "rule\tmentions\toriginals\treposts\tauthors\t")
	for _, r := range top {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\n", r.Rule, r.Mentions, r.Originals, r.Reposts, r.Authors)
	}
	tw.Flush()
	countries, err := store.ByCountry(ctx, since, 10)
	if err != nil {
		return err
	}
	fmt.Printf("\nMentions per country (GPS, else place; \"-\" unknown):\n")
	fmt.Fprintln(tw, "country\tmentions\toriginals\treposts\tauthors\t")
	for _, c := range countries {
		cc := c.Country
		if strings.TrimRight(cc, "\x00") == "" {
			cc = "-"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\n", cc, c.Mentions, c.Originals, c.Reposts, c.Authors)
	}
	tw.Flush()
	minutes, err := store.PerMinute(ctx, since, 30)
	if err != nil {
		return err
	}
	fmt.Printf("\nMentions per minute (UTC):\n")
	fmt.Fprintln(tw, "minute\tmentions\toriginals\treposts\tauthors\t")
	for _, m := range minutes {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\n", m.Minute.UTC().Format("15:04"), m.Mentions, m.Originals, m.Reposts, m.Authors)
	}
	return tw.Flush()
}
