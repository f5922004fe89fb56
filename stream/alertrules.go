package stream

import (
	"errors"
	"time"

	"earshot/match"
	"earshot/stream/burst"
)

// AlertParams maps a rule's alert settings (a rules file's `alert:`,
// match.Alert) onto the burst detector's parameters. Unset settings are
// zero, which the detector takes from its defaults.
func AlertParams(a *match.Alert) burst.Params {
	return burst.Params{
		STA: a.ShortWindow, LTA: a.LongWindow, M: a.Factor, B: a.Floor,
		Threshold: a.Threshold, Rearm: a.Rearm, MaxTextLen: a.MaxText,
		CountReposts: a.Reposts, CountReplies: a.Replies, CountLinks: a.Links,
		Authors: a.Authors, Off: a.Off,
	}
}

// AlertSettings returns, for the rules with alert settings, the detector's
// parameters and the cooldowns of those that set one.
func AlertSettings(rules []match.Rule) (map[string]burst.Params, map[string]time.Duration) {
	params := map[string]burst.Params{}
	cooldowns := map[string]time.Duration{}
	for i := range rules {
		a := rules[i].Alert
		if a == nil {
			continue
		}
		params[rules[i].ID] = AlertParams(a)
		if a.Cooldown != 0 {
			cooldowns[rules[i].ID] = a.Cooldown
		}
	}
	return params, cooldowns
}

// CheckAlerts returns a check of rules' alert settings against a burst
// detector configured as cfg (the zero Config: earshot run's), for
// match.ReloaderConfig.Check: a rules file with a setting the detector
// would refuse is rejected whole, at start or on reload, each problem a
// *match.SyntaxError at the rule's `alert:`.
func CheckAlerts(cfg burst.Config) func([]match.Rule) error {
	return func(rules []match.Rule) error {
		var errs []error
		for i := range rules {
			a := rules[i].Alert
			if a == nil {
				continue
			}
			if err := cfg.CheckRule(AlertParams(a)); err != nil {
				errs = append(errs, a.Errorf("each setting and its default: docs/rules.md, \"Alert settings per rule\"",
					"alert settings of rule %q: %v", rules[i].ID, err))
			}
		}
		return errors.Join(errs...)
	}
}

// RuleCooldowns is an AlertSender whose cooldown can differ per rule
// (*alert.Dispatcher): the detection sets the rules' own on every rules
// change.
type RuleCooldowns interface {
	SetCooldowns(rules map[string]time.Duration)
}

// takeRules gives the detector, and the sender's cooldowns, the alert
// settings of the active rules when the engine changed since the last
// look (a reload): a pointer compare per call otherwise.
func (d *detection) takeRules() {
	if d.engine == nil {
		return
	}
	e := d.engine()
	if e == nil || e == d.rulesOf {
		return
	}
	params, cooldowns := AlertSettings(e.Rules())
	if err := d.det.SetRules(params); err != nil {
		// The rules were checked against the default detector
		// (CheckAlerts); a detector configured otherwise may refuse them.
		d.log.Error("burst detector keeps its alert settings: the rules' are invalid for it", "err", err)
	} else if d.rulesOf != nil {
		d.log.Info("burst detector took the reloaded rules' alert settings", "rules_with_settings", len(params),
			"longest_window", d.det.MaxWindow())
	}
	if rc, ok := d.sender.(RuleCooldowns); ok {
		rc.SetCooldowns(cooldowns)
	}
	rules := e.Rules()
	d.rules = make(map[string]*match.Rule, len(rules))
	for i := range rules {
		d.rules[rules[i].ID] = &rules[i]
	}
	d.rulesOf = e
}

// warmupSpan is how much event time the warm-up replays: WarmupSpan, or
// more by as much as a rule's windows are longer than the default's
// (WarmUp: the default STA+LTA).
func (d *detection) warmupSpan() time.Duration {
	return max(WarmupSpan, d.det.MaxWindow()+WarmupSpan-d.det.WarmUp())
}
