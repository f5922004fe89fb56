package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"earshot/sink"
	"earshot/sink/dashboard"
)

// dashboardFlags registers the dashboard's settings, with their defaults.
func dashboardFlags(fs *flag.FlagSet, c *dashboard.Config) {
	var d dashboard.Config
	d.SetDefaults()
	fs.DurationVar(&c.Window, "dashboard-window", d.Window, "how far back the dashboard looks unless the page asks for another `window`")
	fs.IntVar(&c.Precision, "dashboard-precision", d.Precision, "geohash `characters` of the dashboard map's cells (1-5)")
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
	if err := sc.Validate(); err != nil {
		return &usageError{err}
	}
	dc.SetDefaults()
	if err := dc.Validate(); err != nil {
		return &usageError{err}
	}
	store, err := sink.Open(ctx, sc)
	if err != nil {
		return fmt.Errorf("cannot open ClickHouse at %s: %w", sc.Addr, err)
	}
	defer store.Close()
	h, err := dashboard.New(store, dc)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return usageErr("--addr %s: %v", *addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	slog.Info("dashboard", "url", "http://"+ln.Addr().String()+"/", "clickhouse", sc.Addr, "database", sc.Database)
	select {
	case err := <-done:
		return fmt.Errorf("dashboard server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("dashboard server: %w", err)
	}
	return nil
}
