package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"earshot/enrich"
	"earshot/match"
	"earshot/sink"
	"earshot/stream"
	"earshot/stream/alert"
	"earshot/stream/burst"
)

func cmdRun(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var kf kafkaFlags
	kf.register(fs, "posts")
	var sc sink.Config
	clickhouseFlags(fs, &sc)
	var pc stream.Config
	pipelineFlags(fs, &pc)
	fs.DurationVar(&pc.SessionTimeout, "session-timeout", 10*time.Second,
		"consumer-group session timeout: how soon the group notices a dead process (≥ 6s)")
	fs.IntVar(&pc.DedupMaxKeys, "dedup-max-keys", 0,
		"post ids remembered per partition; when full the oldest half of the window is forgotten early (0: 20,000,000)")
	fs.IntVar(&pc.CopyMaxKeys, "copy-max-keys", 0,
		"texts remembered per partition for copy detection, ~83 bytes each; when full the oldest half is forgotten early (0: 1,000,000)")
	fs.DurationVar(&pc.BackfillPoll, "backfill-poll", 5*time.Second,
		"how often each partition reads the posts `earshot backfill` stored into its dedup window, so that one delivered again is not counted twice")
	rulesPath := fs.String("rules", "", "rules `file`: a keyword list (one term per line) or a YAML rules file, or a directory of them (*.yaml, *.yml, *.txt; required)")
	rulesPoll := fs.Duration("rules-poll", 2*time.Second, "how often the rules are checked for changes (SIGHUP and POST /admin/rules/reload reload at once)")
	httpAddr := fs.String("http-addr", "127.0.0.1:9464", "`address` serving /metrics, /healthz, /readyz and /debug/pprof/ (empty: off)")
	migrate := fs.Bool("migrate", true, "apply the ClickHouse schema at start")
	var af alertFlags
	af.register(fs)
	fs.DurationVar(&pc.RevivalEvery, "revival-every", time.Minute,
		"how often to look for rules back after a quiet stretch, raising a revival alert for each (0: never)")
	revivalQuiet := days(72 * time.Hour)
	fs.Var(&revivalQuiet, "revival-quiet", "how long a rule must have gone without an hour of --revival-floor mentions for its return to raise a revival alert (72h, 3d)")
	fs.Uint64Var(&pc.Revival.Floor, "revival-floor", 2, "the fewest `mentions` of an hour that count as activity, for revival alerts")
	detectOnly := fs.Bool("detect-only", false,
		"detect bursts and deliver alerts on every partition, writing no mentions; run one such process in a group of its own (default group: GROUP-detect) and the others with --detect=false")
	if err := parse(fs, args); err != nil {
		return err
	}
	pc.Revival.Quiet = time.Duration(revivalQuiet)
	if pc.RevivalEvery == 0 {
		pc.RevivalEvery = -1 // never
	}
	if *detectOnly {
		if !af.detect {
			return usageErr("--detect-only needs --detect")
		}
		pc.DetectOnly = true
		groupSet := false
		fs.Visit(func(f *flag.Flag) { groupSet = groupSet || f.Name == "group" })
		if !groupSet {
			pc.Group += "-detect"
		}
	}
	if *rulesPath == "" {
		return usageErr("--rules is required: a keyword list or YAML rules file (see docs/rules.md)")
	}
	pc.Brokers, pc.Topic = kf.brokers, kf.topic
	sec, err := kf.security()
	if err != nil {
		return err
	}
	pc.Security = sec
	pc.SetDefaults()
	if err := pc.Validate(); err != nil {
		return &usageError{err}
	}

	reg := newRegistry()
	rules, err := startRules(*rulesPath, *rulesPoll, reg)
	if err != nil {
		return err
	}
	defer rules.stop()

	if err := af.validate(); err != nil {
		return err
	}
	p, err := startPipeline(ctx, pipelineSetup{cfg: pc, sink: sc, reg: reg, migrate: *migrate,
		engine: rules.r.Engine, alerts: af, ruleTable: true})
	if err != nil {
		return err
	}
	defer p.close()
	stopHTTP, err := serveHTTP(*httpAddr, reg, p.pipeline.Ready, map[string]http.Handler{
		"/admin/rules/reload": rules.reloadHandler(),
	})
	if err != nil {
		return err
	}
	defer stopHTTP()
	slog.Info("earshot running", "topic", pc.Topic, "group", pc.Group, "brokers", pc.Brokers,
		"kafka_tls", tlsMode(pc.Security.TLS), "kafka_sasl", cmp.Or(kf.saslMechanism, "none"),
		"clickhouse", sc.Addr, "clickhouse_tls", tlsMode(sc.TLS), "database", sc.Database, "http", *httpAddr,
		"detect", af.detect, "detect_only", pc.DetectOnly, "alerts_topic", p.alertsTopic, "webhooks", len(af.webhooks))
	err = p.pipeline.Run(ctx)
	slog.Info("earshot stopped", "consumed", p.pipeline.Stats().Consumed.Load(),
		"inserted", p.pipeline.Stats().Inserted.Load())
	return err
}

// pipelineSetup is what startPipeline needs; run and demo share it.
type pipelineSetup struct {
	cfg     stream.Config
	sink    sink.Config
	reg     prometheus.Registerer
	migrate bool
	engine  func() *match.Engine
	alerts  alertFlags
	// ruleTable keeps the rules table in step with the rules in force.
	ruleTable bool
}

type running struct {
	pipeline    *stream.Pipeline
	store       *sink.Client
	dispatcher  *alert.Dispatcher // nil: detection off
	closers     []func() error
	alertsTopic string
}

// close drains the alert queues (bounded), then closes the alert targets
// and ClickHouse. Call it after the pipeline stopped.
func (r *running) close() {
	if r.dispatcher != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		if err := r.dispatcher.Close(ctx); err != nil {
			slog.Warn("alerts not all delivered", "err", err)
		}
		cancel()
	}
	for _, c := range r.closers {
		c()
	}
	r.store.Close()
}

// alertFlags configure burst detection, alert delivery and routing.
type alertFlags struct {
	detect      bool
	topic       string
	webhooks    urlList
	secret      string
	cooldown    time.Duration
	routePrefix string
}

// urlList is a repeatable flag whose values may also be comma-separated.
type urlList []string

func (l *urlList) String() string { return strings.Join(*l, ",") }
func (l *urlList) Set(s string) error {
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

func (a *alertFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&a.detect, "detect", true, "run the burst detector on the matched stream and deliver its alerts")
	fs.StringVar(&a.topic, "alerts-topic", "", "Kafka `topic` receiving alerts as JSON (default: TOPIC.alerts)")
	fs.Var(&a.webhooks, "webhook-url", "POST alerts to this `URL` (repeatable or comma-separated)")
	fs.StringVar(&a.secret, "webhook-secret", "", "sign webhook bodies: X-Earshot-Signature: sha256=HMAC(`secret`, body)")
	fs.DurationVar(&a.cooldown, "alert-cooldown", 10*time.Minute, "suppress a trigger for a rule × region this soon after the last one delivered (negative: never)")
	fs.StringVar(&a.routePrefix, "route-topic-prefix", "earshot.route.", "mentions of a rule with `route: R` go to topic PREFIX+R")
}

func (a *alertFlags) validate() error {
	for _, u := range a.webhooks {
		if _, err := alert.NewWebhook(alert.WebhookConfig{URL: u}); err != nil {
			return usageErr("--webhook-url: %v", err)
		}
	}
	if len(a.webhooks) > 0 && !a.detect {
		return usageErr("--webhook-url needs --detect")
	}
	return nil
}

// startAlerts builds the detector and the dispatcher (alerts topic and
// webhooks) and fills deps; it returns the alerts topic.
func startAlerts(s *pipelineSetup, r *running, deps *stream.Deps) error {
	a := &s.alerts
	if !a.detect {
		return nil
	}
	det, err := burst.New(burst.Config{Registerer: s.reg})
	if err != nil {
		return err
	}
	r.alertsTopic = a.topic
	if r.alertsTopic == "" {
		r.alertsTopic = s.cfg.Topic + ".alerts"
	}
	kt, err := alert.NewKafka(alert.KafkaConfig{Brokers: s.cfg.Brokers, Transport: s.cfg.Security.Transport(), Topic: r.alertsTopic})
	if err != nil {
		return err
	}
	r.closers = append(r.closers, kt.Close)
	targets := []alert.Target{kt}
	for i, u := range a.webhooks {
		wh, err := alert.NewWebhook(alert.WebhookConfig{URL: u, Secret: a.secret, Name: fmt.Sprintf("webhook%d", i)})
		if err != nil {
			return usageErr("--webhook-url: %v", err)
		}
		targets = append(targets, wh)
	}
	d, err := alert.NewDispatcher(alert.DispatcherConfig{Cooldown: a.cooldown, Registerer: s.reg}, targets...)
	if err != nil {
		return err
	}
	r.dispatcher = d
	deps.Detector, deps.AlertStore, deps.AlertSender = det, r.store, d
	return nil
}

// startPipeline opens ClickHouse (applying the schema if asked), creates the
// input and dead-letter topics when missing, and builds the pipeline.
func startPipeline(ctx context.Context, s pipelineSetup) (*running, error) {
	s.sink.Registerer = s.reg
	store, err := openStore(ctx, s.sink)
	if err != nil {
		return nil, err
	}
	if s.migrate {
		applied, err := store.Migrate(ctx)
		if err != nil {
			store.Close()
			return nil, fmt.Errorf("cannot apply the ClickHouse schema: %w", err)
		}
		for _, a := range applied {
			slog.Info("schema migration applied", "migration", a)
		}
	}
	if s.alerts.routePrefix != "" {
		s.cfg.RouteTopicPrefix = s.alerts.routePrefix
	}
	r := &running{store: store}
	deps := stream.Deps{Engine: s.engine, Store: store, Registerer: s.reg}
	if err := startAlerts(&s, r, &deps); err != nil {
		store.Close()
		return nil, err
	}
	topics := []string{s.cfg.Topic, s.cfg.DeadLetterTopic}
	if r.alertsTopic != "" {
		topics = append(topics, r.alertsTopic)
	}
	// Route topics of the rules loaded now; routes added by a reload are
	// created on first write (broker auto-creation).
	routes := map[string]bool{}
	for _, rule := range s.engine().Rules() {
		if rule.Route != "" && !routes[rule.Route] {
			routes[rule.Route] = true
			topics = append(topics, s.cfg.RouteTopicPrefix+rule.Route)
		}
	}
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = stream.EnsureTopics(tctx, s.cfg.Brokers, s.cfg.Security, defaultPartitions, 1, topics...)
	cancel()
	if err != nil {
		r.close()
		return nil, fmt.Errorf("%w (is Kafka running? deploy/local/up starts one)", err)
	}
	en, err := enrich.New(enrich.Config{})
	if err != nil {
		r.close()
		return nil, err
	}
	deps.Enricher = en
	pl, err := stream.New(s.cfg, deps)
	if err != nil {
		r.close()
		return nil, &usageError{err}
	}
	r.pipeline = pl
	if s.ruleTable {
		stop := publishRules(store, s.engine, ruleTablePoll)
		r.closers = append(r.closers, func() error { stop(); return nil })
	}
	return r, nil
}

// newRegistry returns a registry with the Go runtime and process metrics.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// serveHTTP serves /metrics, /healthz, /readyz and Go's profiles
// (/debug/pprof/) on addr until the returned stop function is called
// (which waits for the server goroutine).
func serveHTTP(addr string, g prometheus.Gatherer, ready func() bool, extra map[string]http.Handler) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	mux := http.NewServeMux()
	for path, h := range extra {
		mux.Handle(path, h)
	}
	mux.Handle("/metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready() {
			http.Error(w, "not ready: no partitions assigned yet", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	_, stop, err = listenAndServe("--http-addr", addr, mux)
	return stop, err
}

// listenAndServe serves h on addr (the flag's value) in a goroutine until
// the returned stop function is called (which waits for it), and returns
// the address it listens on.
func listenAndServe(flagName, addr string, h http.Handler) (listening string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, usageErr("%s %s: %v", flagName, addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("http server failed", "err", err)
		}
	}()
	return ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-done
	}, nil
}

// openStore validates sc and opens ClickHouse with it.
func openStore(ctx context.Context, sc sink.Config) (*sink.Client, error) {
	if err := sc.Validate(); err != nil {
		return nil, &usageError{err}
	}
	store, err := sink.Open(ctx, sc)
	if err != nil {
		return nil, fmt.Errorf("cannot open ClickHouse at %s (%s): %w", sc.Addr, storeHint(sc, err), err)
	}
	return store, nil
}

// tlsMode names how a connection is secured, for the start-up log line.
func tlsMode(c *tls.Config) string {
	switch {
	case c == nil:
		return "off"
	case len(c.Certificates) > 0:
		return "mutual"
	}
	return "on"
}

// storeHint guesses what to fix when ClickHouse cannot be opened.
func storeHint(sc sink.Config, err error) string {
	var rh tls.RecordHeaderError
	switch {
	case errors.As(err, &rh):
		return "--clickhouse-tls to a port that is not TLS? the secure native port is usually 9440"
	case sc.TLS == nil && (errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF)):
		return "a TLS port without --clickhouse-tls?"
	case sc.TLS != nil && len(sc.TLS.Certificates) > 0 && (errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF)):
		// The server's alert may come after the client's first write.
		return "the server closed the connection: does it trust the client certificate of --clickhouse-tls-cert?"
	case sc.TLS != nil && stream.CertificateRefused(err):
		return "the server refused the client certificate: it wants the one named by --clickhouse-tls-cert and --clickhouse-tls-key"
	case sc.TLS != nil && strings.Contains(err.Error(), "x509:"):
		return "the server's certificate is not trusted: --clickhouse-tls-ca names the CA to trust"
	}
	return "is it running? deploy/local/up starts one"
}

func cmdMigrate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	var sc sink.Config
	clickhouseFlags(fs, &sc)
	if err := parse(fs, args); err != nil {
		return err
	}
	store, err := openStore(ctx, sc)
	if err != nil {
		return err
	}
	defer store.Close()
	applied, err := store.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Printf("schema of %s is up to date\n", sc.Database)
	}
	for _, a := range applied {
		fmt.Printf("applied %s\n", a)
	}
	return nil
}
