package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"earshot/match"
)

// liveRules keeps the rules engine in step with its file: the file is
// polled, SIGHUP reloads at once, and POST /admin/rules/reload reloads and
// answers with what changed. A file that does not compile is rejected and
// the rules in force stay active.
type liveRules struct {
	r    *match.Reloader
	stop func()
}

// startRules loads path (an error rejects the start) and starts the watcher
// goroutines, which stop waits for.
func startRules(path string, poll time.Duration, reg prometheus.Registerer) (*liveRules, error) {
	r, err := match.NewReloader(match.ReloaderConfig{Path: path, Poll: poll, Registerer: reg, Logger: slog.Default(), Check: checkRules})
	if err != nil {
		return nil, fmt.Errorf("rules rejected:\n%w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		r.Run(ctx)
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				slog.Info("SIGHUP: reloading rules", "file", path)
				r.Reload() // the reloader logs the outcome
			}
		}
	}()
	return &liveRules{r: r, stop: func() {
		signal.Stop(hup)
		cancel()
		wg.Wait()
	}}, nil
}

// reloadHandler serves POST /admin/rules/reload.
func (l *liveRules) reloadHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "use POST", http.StatusMethodNotAllowed)
			return
		}
		ch, err := l.r.Reload()
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			w.WriteHeader(http.StatusUnprocessableEntity)
			json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": err.Error(),
				"rules_active": len(l.r.Engine().Rules())})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"ok": true, "rules": ch.Rules,
			"added": ch.Added, "removed": ch.Removed, "changed": ch.Changed, "changes": ch.Fields})
	})
}
