package stream

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/cespare/xxhash/v2"

	"earshot/match"
	"earshot/sink"
	"earshot/stream/alert"
	"earshot/stream/lifecycle"
)

// Revival alerts: a topic that comes back after a quiet stretch.
//
// The burst detector decides on minutes and needs a dozen first-hand posts
// a minute (or a rule's own floor): a complaint, a recall or a product
// name that returns after days of silence with a few mentions an hour
// never triggers it. So the detection also looks, every
// Config.RevivalEvery, at the life cycle of the rules in force
// (earshot/stream/lifecycle, over hourly bins of the stored mentions) and
// raises an alert of kind "revival" for each rule whose current episode is
// revived — it follows Config.Revival's Quiet (72h) or more of quiet
// hours, and the topic had mentions before — and began within its Recent
// (6h). The alert's onset is the episode's first hour, its quiet_since
// the end of the rule's last active hour before; its examples are the
// mentions with the largest audiences in the episode's first two hours,
// one per author, with the author and their followers (what revived it). Its id is a function of the rule and that hour: a restart or a
// second process raises the same id, and an id the alerts table holds is
// not raised again. A rule with `alert: off` or `alert: {revival: off}`
// raises none.
//
// A quiet the pipeline did not see is no quiet: a pipeline stopped for
// four days, or a feed that delivered nothing, would make every rule
// "revive" at once. The life cycles know when the pipeline read posts (its
// progress markers, sink.Client.FeedHours): an episode after a quiet read
// in fewer than lifecycle.MinRead of its hours is continuing and Unseen,
// and raises no alert (it is logged once, with the others of the same
// look).

// RevivalSource answers the life-cycle queries (*sink.Client).
type RevivalSource interface {
	LifecyclesKnown(ctx context.Context, a *lifecycle.Analyzer, now time.Time, n int, first map[string]time.Time, rules ...string) (map[string]lifecycle.Report, error)
	Sparks(ctx context.Context, rule string, from, to time.Time, limit int) ([]sink.Spark, error)
	LastActive(ctx context.Context, rule string, before time.Time, floor uint64) (time.Time, bool, error)
}

// revivalTimeout bounds one look's queries.
const revivalTimeout = 30 * time.Second

// revivalSparks is how much of an episode's start its examples come from.
const revivalSparks = 2 * time.Hour

// revivalRule is a rule in force whose revival alerts are on, with its
// own quiet and floor (`alert: {revival: {quiet: 14d, floor: 5}}`; 0: the
// pipeline's).
type revivalRule struct {
	id    string
	quiet time.Duration
	floor int
}

// revivals looks for revived topics; its run is owned by detection.run.
type revivals struct {
	src    RevivalSource
	a      *lifecycle.Analyzer // the pipeline's model (Config.Revival)
	every  time.Duration
	rules  func() []revivalRule // the rules in force whose revival alerts are on
	raised RaisedAlerts         // nil: the alerts table is not asked
	now    func() time.Time
	log    *slog.Logger
	m      *metrics

	first  map[string]time.Time // the rules' first mentions, once known
	seen   map[string]time.Time // ids raised by this process -> the episode's start
	failed bool                 // the last look failed (logged once per run of failures)
	models *lifecycle.Models    // a's, and those of rules with settings of their own
}

// unseenLogged is how many of a look's rules with an unseen quiet its log
// line names.
const unseenLogged = 5

// run looks at once and then every r.every, handing each look's alerts to
// out, until ctx ends.
func (r *revivals) run(ctx context.Context, out chan<- []alert.Alert) {
	t := time.NewTicker(r.every)
	defer t.Stop()
	for {
		if as := r.look(ctx); len(as) > 0 {
			select {
			case out <- as:
				for _, a := range as {
					r.seen[a.ID] = a.Onset
				}
			case <-ctx.Done():
				return
			}
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

// look returns the revival alerts of the rules in force not raised yet.
func (r *revivals) look(ctx context.Context) []alert.Alert {
	rules := r.rules()
	if len(rules) == 0 {
		return nil
	}
	now := r.now().UTC()
	cfg := r.a.Config()
	for id, start := range r.seen {
		if now.Sub(start) > cfg.Recent+cfg.Bin {
			delete(r.seen, id) // no longer raised: it began too long ago
		}
	}
	qctx, cancel := context.WithTimeout(ctx, revivalTimeout)
	defer cancel()
	as, unseen, err := r.revived(qctx, now, rules)
	if n := len(unseen); n > 0 {
		// One line per look, not one per rule: a pipeline that starts on a
		// topic's history finds thousands of them at once.
		r.log.Info("revivals not raised: the pipeline read nothing in part of the quiet before them",
			"rules", n, "first", unseen[:min(n, unseenLogged)])
	}
	if err == nil && len(as) > 0 && r.raised != nil {
		var held map[string]bool
		if held, err = r.raised.AlertIDs(qctx, now.Add(-cfg.Recent-cfg.Bin)); err == nil {
			as = slices.DeleteFunc(as, func(a alert.Alert) bool {
				if held[a.ID] {
					r.seen[a.ID] = a.Onset // raised before this process: not looked at again
				}
				return held[a.ID]
			})
		}
	}
	if err != nil {
		r.m.revivalLooks.WithLabelValues("error").Inc()
		if !r.failed && ctx.Err() == nil {
			r.log.Warn("cannot look for revived topics; retrying", "every", r.every, "err", err)
		}
		r.failed = true
		return nil
	}
	if r.failed {
		r.log.Info("looking for revived topics again")
	}
	r.failed = false
	r.m.revivalLooks.WithLabelValues("ok").Inc()
	return as
}

// revived builds the alerts of the rules whose current episode is a
// revival begun within Recent, but those this process raised: the rules
// with the pipeline's model first, then those with settings of their own,
// a set of queries per distinct model (lifecycle.Models). It also returns
// the rules whose revival is not raised because the pipeline did not see
// the quiet before it (marked seen: once each).
func (r *revivals) revived(ctx context.Context, now time.Time, rules []revivalRule) (out []alert.Alert, unseen []string, err error) {
	if r.models == nil {
		r.models = lifecycle.NewModels(r.a)
	}
	own := make(map[string]*lifecycle.Analyzer)
	ids := make([]string, 0, len(rules))
	for _, rr := range rules {
		ids = append(ids, rr.id)
		// Settings that make no valid model with the pipeline's bins (a
		// quiet that is not whole bins) leave the rule with the pipeline's
		// model, as Models.Own does for the life-cycle views: one rule's
		// settings must not stop every rule's revival alerts.
		if a, err := r.models.For(rr.quiet, uint64(rr.floor)); err == nil && a != r.a {
			own[rr.id] = a
		}
	}
	slices.Sort(ids)
	for _, g := range r.models.Split(own, ids) {
		c := g.A.Config()
		// The pipeline's model asks for every rule with mentions in the
		// window, not ids by name: a rule without any cannot revive, and
		// 100,000 rules in force would make a query of megabytes every
		// minute. A model of rules' own asks for its rules by name.
		var named []string
		if g.A != r.a {
			named = g.Rules
		}
		n := int((c.Quiet+c.Recent)/c.Bin) + 1 // a revival begun within Recent has Quiet before it
		reps, err := r.src.LifecyclesKnown(ctx, g.A, now, n, r.first, named...)
		if err != nil {
			return nil, unseen, err
		}
		if out, unseen, err = r.raise(ctx, now, c, reps, g.Rules, out, unseen); err != nil {
			return nil, unseen, err
		}
	}
	return out, unseen, nil
}

// raise appends to out the alerts of the rules ids, analysed with model
// cfg into reps, and to unseen those whose quiet the pipeline did not see.
func (r *revivals) raise(ctx context.Context, now time.Time, cfg lifecycle.Config, reps map[string]lifecycle.Report, ids []string,
	out []alert.Alert, unseen []string) ([]alert.Alert, []string, error) {
	for _, id := range ids {
		rep := reps[id]
		e, ok := rep.Current()
		if !ok || e.Origin != lifecycle.Revived && !e.Unseen || now.Sub(e.Start) > cfg.Recent {
			continue
		}
		a := revivalAlert(id, &rep, e, cfg, now)
		if _, ok := r.seen[a.ID]; ok {
			continue
		}
		if e.Unseen {
			r.seen[a.ID] = e.Start // not raised, and not looked at again
			unseen = append(unseen, id)
			continue
		}
		sparks, err := r.src.Sparks(ctx, id, e.Start, e.Start.Add(revivalSparks), 3)
		if err != nil {
			return nil, unseen, err
		}
		for _, s := range sparks {
			a.Examples = append(a.Examples, alert.Example{ID: s.PostID, At: s.At, Text: s.Text,
				Author: s.Author, Followers: s.Followers})
		}
		since, ok, err := r.src.LastActive(ctx, id, e.Start, cfg.Floor)
		if err != nil {
			return nil, unseen, err
		}
		if ok {
			a.QuietSince = &since
		}
		out = append(out, a)
	}
	return out, unseen, nil
}

// revivalAlert is the alert of a rule's revived episode e: its onset the
// episode's start, its counts the mentions of the last Recent (sta) and of
// the Recent before (lta), per minute and in all.
func revivalAlert(rule string, rep *lifecycle.Report, e lifecycle.Episode, cfg lifecycle.Config, now time.Time) alert.Alert {
	id := fmt.Sprintf("%016x", xxhash.Sum64String("revival\x00"+rule+"\x00"+e.Start.UTC().Format(time.RFC3339)))
	mins := cfg.Recent.Minutes()
	return alert.Alert{ID: id, EventID: id, Kind: alert.KindRevival, Rule: rule, Scope: alert.ScopeRule,
		DetectedAt: now, Onset: e.Start, Unit: "mentions",
		STA: float64(rep.Recent) / mins, LTA: float64(rep.Before) / mins,
		STACount: int64(rep.Recent), LTACount: int64(rep.Before)}
}

// revivalRules returns the engine's rules whose revival alerts are on
// (not `alert: off`, not `alert: {revival: off}`), with their own revival
// settings.
func revivalRules(engine func() *match.Engine) func() []revivalRule {
	return func() []revivalRule {
		e := engine()
		if e == nil {
			return nil
		}
		var rules []revivalRule
		for _, r := range e.Rules() {
			switch a := r.Alert; {
			case a == nil:
				rules = append(rules, revivalRule{id: r.ID})
			case !a.Off && !a.NoRevival:
				rules = append(rules, revivalRule{id: r.ID, quiet: a.RevivalQuiet, floor: a.RevivalFloor})
			}
		}
		return rules
	}
}
