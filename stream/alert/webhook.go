package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// SignatureHeader carries "sha256=" + the hex HMAC-SHA256 of the request
// body keyed with WebhookConfig.Secret. Receivers recompute it over the raw
// body and compare in constant time (hmac.Equal).
const SignatureHeader = "X-Earshot-Signature"

// WebhookConfig configures one webhook target.
type WebhookConfig struct {
	// URL receives a POST of the alert JSON (required, http or https).
	URL string
	// Secret keys the body's HMAC signature; empty sends no signature.
	Secret string
	// Name labels metrics (default "webhook:" + host).
	Name string
	// Timeout bounds each attempt (default 5s).
	Timeout time.Duration
	// MaxAttempts bounds the attempts per alert (default 5).
	MaxAttempts int
	// Backoff is the wait before the first retry (default 500ms); it
	// doubles per retry up to MaxBackoff (default 30s), with ±20% jitter.
	// Responses 429 and 5xx and network errors are retried; other
	// non-2xx responses are not. A Retry-After of up to MaxBackoff seconds
	// is honoured.
	Backoff, MaxBackoff time.Duration
	// Client sends the requests (default: a client without timeout of its
	// own; Timeout applies per attempt).
	Client *http.Client
}

// Webhook delivers alerts by HTTP POST. It is safe for concurrent use.
type Webhook struct {
	cfg     WebhookConfig
	retries prometheus.Counter
}

// NewWebhook validates cfg and returns the target.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid webhook URL %q: want http(s)://host/path", cfg.URL)
	}
	if cfg.Name == "" {
		cfg.Name = "webhook:" + u.Host
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	if cfg.Timeout < 0 || cfg.MaxAttempts < 1 || cfg.Backoff < 0 || cfg.MaxBackoff < cfg.Backoff {
		return nil, fmt.Errorf("invalid webhook %s: timeout %v, attempts %d, backoff %v..%v", cfg.Name, cfg.Timeout, cfg.MaxAttempts, cfg.Backoff, cfg.MaxBackoff)
	}
	return &Webhook{cfg: cfg, retries: prometheus.NewCounter(prometheus.CounterOpts{Name: "unused"})}, nil
}

// Name implements Target.
func (w *Webhook) Name() string { return w.cfg.Name }

func (w *Webhook) setRetries(c prometheus.Counter) { w.retries = c }

// Sign returns the SignatureHeader value for body.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Deliver implements Target: POST with retries until a 2xx, a permanent
// failure, MaxAttempts, or ctx is done.
func (w *Webhook) Deliver(ctx context.Context, a *Alert, body []byte) error {
	backoff := w.cfg.Backoff
	var err error
	for attempt := 1; ; attempt++ {
		var retryAfter time.Duration
		var retry bool
		retryAfter, retry, err = w.attempt(ctx, a, body)
		if err == nil {
			return nil
		}
		if !retry || attempt >= w.cfg.MaxAttempts || ctx.Err() != nil {
			return fmt.Errorf("cannot deliver alert %s to %s after %d attempts: %w", a.ID, w.cfg.Name, attempt, err)
		}
		wait := time.Duration(float64(backoff) * (0.8 + 0.4*rand.Float64()))
		if retryAfter > 0 {
			wait = max(wait, min(retryAfter, w.cfg.MaxBackoff))
		}
		backoff = min(2*backoff, w.cfg.MaxBackoff)
		w.retries.Inc()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("cannot deliver alert %s to %s: %w (last error: %v)", a.ID, w.cfg.Name, ctx.Err(), err)
		case <-t.C:
		}
	}
}

var errStatus = errors.New("webhook answered")

func (w *Webhook) attempt(ctx context.Context, a *Alert, body []byte) (retryAfter time.Duration, retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return 0, false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "earshot-alert/1")
	req.Header.Set("X-Earshot-Alert-Id", a.ID)
	if w.cfg.Secret != "" {
		req.Header.Set(SignatureHeader, Sign(w.cfg.Secret, body))
	}
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		return 0, true, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return 0, false, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		if s, e := strconv.Atoi(resp.Header.Get("Retry-After")); e == nil && s > 0 {
			retryAfter = time.Duration(s) * time.Second
		}
		return retryAfter, true, fmt.Errorf("%w %s", errStatus, resp.Status)
	}
	return 0, false, fmt.Errorf("%w %s (not retried)", errStatus, resp.Status)
}
