package main

import (
	"context"
	"flag"
	"log/slog"

	"earshot/sink"
	"earshot/sink/dashboard"
)

// dashboardFlags registers the dashboard's settings, with their defaults.
func dashboardFlags(fs *flag.FlagSet, c *dashboard.Config) {
	var d dashboard.Config
	d.SetDefaults()
	fs.DurationVar(&c.Window, "dashboard-window", d.Window, "how far back the dashboard looks unless the page asks for another `window`")
	fs.IntVar(&c.Precision, "dashboard-precision", d.Precision, "geohash `characters` of the dashboard map's cells (1-5)")
	c.LifecycleWindow = d.LifecycleWindow
	fs.Var((*days)(&c.LifecycleWindow), "dashboard-lifecycle-window",
		"how far back the rules' life cycles look, in hours, whatever the page's window: 4d to 90d")
}

// cmdDashboard serves the web dashboard (sink/dashboard) from ClickHouse
// until stopped; it reads only.
func cmdDashboard(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("dashboard", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "`address` to serve the dashboard on")
	var sc sink.Config
	clickhouseFlags(fs, &sc)
	var dc dashboard.Config
	dashboardFlags(fs, &dc)
	if err := parse(fs, args); err != nil {
		return err
	}
	dc.SetDefaults()
	if err := dc.Validate(); err != nil {
		return &usageError{err}
	}
	store, err := openStore(ctx, sc)
	if err != nil {
		return err
	}
	defer store.Close()
	h, err := dashboard.New(store, dc)
	if err != nil {
		return err
	}
	listening, stop, err := listenAndServe("--addr", *addr, h)
	if err != nil {
		return err
	}
	defer stop()
	slog.Info("dashboard", "url", "http://"+listening+"/", "clickhouse", sc.Addr, "database", sc.Database)
	<-ctx.Done()
	return nil
}
