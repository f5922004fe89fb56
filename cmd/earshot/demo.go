package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/segmentio/kafka-go"

	"earshot/bench/firehose"
	"earshot/match"
	"earshot/sink"
	"earshot/sink/dashboard"
	"earshot/stream"
	"earshot/stream/alert"
)

func cmdDemo(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	var kf kafkaFlags
	kf.register(fs, "earshot-demo-posts")
	var sc sink.Config
	clickhouseFlags(fs, &sc)
	var o genOptions
	o.register(fs)
	httpAddr := fs.String("http-addr", "127.0.0.1:9464", "`address` serving the dashboard (/), /metrics, /healthz, /readyz and /debug/pprof/")
	var dc dashboard.Config
	dashboardFlags(fs, &dc)
	fs.Lookup("rate").DefValue, o.rate = "300", 300
	fs.Lookup("burst-at").DefValue, o.burstAt = "20s", 20*time.Second
	fs.Lookup("malformed-fraction").DefValue, o.malformed = "0.0005", 0.0005
	history := fs.Duration("history", 32*time.Minute, "start the firehose's event time this far in the past and send that history unthrottled first, "+
		"so the burst detector (31 minutes of warm-up) can raise the burst's alert live (0: start now, no alert within 31 minutes)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *history < 0 {
		return usageErr("--history must be ≥ 0")
	}
	wallStart := time.Now().UTC()
	o.throttle, o.count = true, 0
	o.start = wallStart.Add(-*history).Format(time.RFC3339Nano)
	o.burstAt += *history // the burst starts burst-at after now, in event time
	g, err := o.generator()
	if err != nil {
		return &usageError{err}
	}
	rules, err := match.Parse("demo-rules", []byte(strings.Join(o.rules, "\n")))
	if err != nil {
		return err
	}
	for i := range rules { // for the dashboard's tags and the rules table
		rules[i].Tags = firehose.RuleTags(rules[i].ID)
	}
	eng, err := match.Compile(rules)
	if err != nil {
		return err
	}

	reg := newRegistry()
	sec, err := kf.security()
	if err != nil {
		return err
	}
	pc := stream.Config{Brokers: kf.brokers, Security: sec, Topic: kf.topic, Group: "earshot-demo"}
	pc.SetDefaults()
	p, err := startPipeline(ctx, pipelineSetup{cfg: pc, sink: sc, reg: reg, migrate: true,
		engine: func() *match.Engine { return eng },
		alerts: alertFlags{detect: true, cooldown: 10 * time.Minute, routePrefix: "earshot.route."}, ruleTable: true})
	if err != nil {
		return err
	}
	defer p.close()
	dash, err := dashboard.New(p.store, dc)
	if err != nil {
		return &usageError{err}
	}
	stopHTTP, err := serveHTTP(*httpAddr, reg, p.pipeline.Ready, map[string]http.Handler{"/": dash})
	if err != nil {
		return err
	}
	defer stopHTTP()

	demoStart := wallStart.Add(-*history).Truncate(time.Minute)
	fmt.Printf("earshot demo: %d keyword rules, firehose at %.0f posts/s into %q, burst at +%s.\nDashboard: http://%s/ (metrics on /metrics)\n",
		len(o.rules), o.rate, kf.topic, o.burstAt-*history, *httpAddr)
	if *history > 0 {
		fmt.Printf("Catching up: %s of history (event time) is sent unthrottled first, so the burst detector is warm when the burst comes.\n", *history)
	}
	fmt.Printf("Alerts: ClickHouse table alerts, Kafka topic %q.\n", p.alertsTopic)
	fmt.Printf("ClickHouse %s database %s. Stop with Ctrl-C%s.\n\n", sc.Addr, sc.Database, durationNote(o.duration))

	// The generator and the pipeline each run in a goroutine owned here.
	genCtx, stopGen := context.WithCancel(ctx)
	defer stopGen()
	pipeCtx, stopPipe := context.WithCancel(context.Background())
	defer stopPipe()
	var wg sync.WaitGroup
	var sent atomic.Int64
	var genErr, pipeErr error
	w := newProducer(kf.brokers, kf.topic, sec)
	defer w.Close()
	wg.Add(2)
	go func() {
		defer wg.Done()
		genErr = runCatchUp(genCtx, g, o.malformed, o.seed, func(b []kafka.Message) error { return w.WriteMessages(genCtx, b...) }, &sent)
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
	shown := map[string]bool{}
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
			if st.Alerts.Load() > int64(len(shown)) {
				printNewAlerts(ctx, p.store, demoStart, shown)
			}
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
	if err := printSummary(qctx, p.store, demoStart, st); err != nil {
		return err
	}
	if err := printAlerts(qctx, p.store, demoStart); err != nil {
		return err
	}
	fmt.Printf("\nMore on what was stored: earshot dashboard (map, timelines, life cycles), earshot lifecycle (where each rule stands over days), earshot rules history ID, earshot status.\n")
	fmt.Printf("To tune the rules: earshot sample --topic %s --n 300 --out sample.jsonl, label each post, then earshot rules eval RULES --input sample.jsonl.\n", kf.topic)
	return nil
}

// runCatchUp sends the generator's posts as fast as possible while their
// event time lies in the past, then in real time (each post when its
// created_at comes), until ctx ends.
func runCatchUp(ctx context.Context, g *firehose.Generator, malformedFrac float64, seed int64, emit func([]kafka.Message) error, sent *atomic.Int64) error {
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	batch := make([]kafka.Message, 0, 1000)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := emit(batch); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("cannot send posts: %w", err)
		}
		sent.Add(int64(len(batch)))
		batch = batch[:0]
		return nil
	}
	var next firehose.Message
	have := false
	for ctx.Err() == nil {
		if !have {
			m := g.Next()
			next = firehose.Message{Key: append([]byte(nil), m.Key...), Value: append([]byte(nil), m.Value...), CreatedAt: m.CreatedAt}
			have = true
		}
		if wait := time.Until(next.CreatedAt); wait > 0 {
			if err := flush(); err != nil {
				return err
			}
			select {
			case <-ctx.Done():
			case <-time.After(min(wait, 50*time.Millisecond)):
			}
			continue
		}
		batch = append(batch, kafka.Message{Key: next.Key, Value: next.Value})
		have = false
		if malformedFrac > 0 && rng.Float64() < malformedFrac {
			v := malformed[rng.IntN(len(malformed))]
			batch = append(batch, kafka.Message{Key: fmt.Appendf(nil, "malformed-%d", sent.Load()+int64(len(batch))), Value: []byte(v)})
		}
		if len(batch) >= 1000 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// printNewAlerts prints the triggers stored since the given time that are
// not in shown yet, and records every alert id read.
func printNewAlerts(ctx context.Context, store *sink.Client, since time.Time, shown map[string]bool) {
	qctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	as, err := store.Alerts(qctx, since, 200)
	if err != nil {
		return
	}
	for i := len(as) - 1; i >= 0; i-- {
		a := &as[i]
		if shown[a.ID] {
			continue
		}
		shown[a.ID] = true
		if a.Kind != alert.KindTrigger || a.Scope == alert.ScopeCell {
			continue // city-scale triggers are listed in the summary
		}
		fmt.Printf("%s  ALERT %s %s: %.0f first-hand posts/min vs %.1f usual (ratio %.1f)%s\n",
			time.Now().Format("15:04:05"), a.Rule, alertRegion(a), a.STA, a.LTA, a.Ratio, alertPlace(a))
	}
}

func alertRegion(a *alert.Alert) string {
	switch a.Scope {
	case alert.ScopeCountry:
		return "in " + a.Country
	case alert.ScopeCell:
		return "in cell " + a.Cell
	}
	return "everywhere"
}

func alertPlace(a *alert.Alert) string {
	if a.Location == nil {
		return ""
	}
	return fmt.Sprintf(" near %.2f,%.2f", a.Location.Lat, a.Location.Lon)
}

// printAlerts lists the triggers stored since the given time (from
// ClickHouse), oldest first.
func printAlerts(ctx context.Context, store *sink.Client, since time.Time) error {
	as, err := store.Alerts(ctx, since, 0)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	n := 0
	for _, a := range as {
		if a.Kind == alert.KindTrigger {
			n++
		}
	}
	fmt.Printf("\nAlerts raised (from ClickHouse): %d triggers, %d alerts with follow-ups; city-scale triggers listed when ratio ≥ 2:\n", n, len(as))
	fmt.Fprintln(tw, "detected (event time)\trule\tregion\tsta/min\tlta/min\tratio\tlocation\t")
	for i := len(as) - 1; i >= 0; i-- {
		a := &as[i]
		if a.Kind != alert.KindTrigger || (a.Scope == alert.ScopeCell && a.Ratio < 2) {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f\t%.1f\t%.1f\t%s\t\n", a.DetectedAt.UTC().Format("15:04:05"), a.Rule,
			alertRegion(a), a.STA, a.LTA, a.Ratio, strings.TrimPrefix(alertPlace(a), " near "))
	}
	return tw.Flush()
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
