package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"earshot/sink"
	"earshot/stream/lifecycle"
)

// topicLife is one rule in `earshot lifecycle`.
type topicLife struct {
	Rule string   `json:"rule"`
	Name string   `json:"name,omitempty"` // from the rules table
	Tags []string `json:"tags,omitempty"`
	lifecycle.Report
	// Sparks and Spread are those of the current or last episode (one
	// rule asked for): the mentions with the largest audiences in its
	// first --spark, and the posts most reposted in it.
	Sparks []sink.Spark    `json:"sparks,omitempty"`
	Spread []sink.Reposted `json:"spread,omitempty"`
	// Model is the rule's own model, when its revival settings have one
	// (`alert: {revival: {quiet: 14d, floor: 5}}`) and the flags did not
	// set --quiet or --floor.
	Model *ownModel `json:"model,omitempty"`
}

// ownModel is the quiet and floor a rule is judged with.
type ownModel struct {
	Quiet string `json:"quiet"`
	Floor uint64 `json:"floor"`
}

// cmdLifecycle prints where rules stand in their life cycle: rising, at
// their peak, decaying or dormant, since when, and their episodes of
// activity, new or revived after a quiet stretch; for one rule, what began
// its last episode.
func cmdLifecycle(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("lifecycle", flag.ContinueOnError)
	var sc sink.Config
	clickhouseFlags(fs, &sc)
	window, quiet := days(30*24*time.Hour), days(72*time.Hour)
	fs.Var(&window, "window", "how far back to look: whole days (30d) or a duration; a multiple of --bin")
	var lc lifecycle.Config
	fs.DurationVar(&lc.Bin, "bin", time.Hour, "the width of the bins the mentions are counted in (whole minutes)")
	fs.Uint64Var(&lc.Floor, "floor", 2, "the fewest `mentions` of an active bin: fewer is quiet")
	fs.Var(&quiet, "quiet", "how long a topic stays quiet before its episode ends and it is dormant (72h, 3d)")
	fs.DurationVar(&lc.Recent, "recent", 6*time.Hour, "the span compared with the span before it and with the episode's busiest")
	fs.Float64Var(&lc.Rise, "rise", 1.5, "the `factor` by which the last --recent must exceed the one before for a rising topic")
	fs.Float64Var(&lc.PeakShare, "peak-share", 0.5, "the `share` of the episode's busiest --recent a topic at its peak holds")
	spark := fs.Duration("spark", 2*time.Hour, "one rule: the span from its episode's start whose largest audiences are shown")
	limit := fs.Int("limit", 50, "rules listed, most active phases first (0: all)")
	tag := fs.String("tag", "", "list only the rules in force that carry this `tag`")
	atFlag := fs.String("at", "", "where the rules stood at this `time` (2026-11-20T14:00Z, or 2026-11-20 14:00 in UTC) instead of now")
	asJSON := fs.Bool("json", false, "print one JSON array")
	if err := parse(fs, reorder(fs, args)); err != nil {
		return err
	}
	if *tag != "" && fs.NArg() > 0 {
		return usageErr("--tag %q and rule ids: give one or the other", *tag)
	}
	lc.Quiet = time.Duration(quiet)
	a, err := lifecycle.NewAnalyzer(lc)
	if err != nil {
		return usageErr("%v (flags --bin, --floor, --quiet, --recent, --rise, --peak-share)", err)
	}
	w := time.Duration(window)
	if lc.Bin%time.Minute != 0 || w < lc.Bin || w%lc.Bin != 0 || w/lc.Bin > 100_000 {
		return usageErr("--window %v and --bin %v: want bins of whole minutes and a window of 1 to 100,000 bins", w, lc.Bin)
	}
	if *spark <= 0 {
		return usageErr("--spark %v: want more than 0", *spark)
	}
	now := time.Now().UTC()
	if *atFlag != "" {
		at, err := parseAt(*atFlag)
		if err != nil || at.After(now) {
			return usageErr("--at %q: want a time before now, such as 2026-11-20T14:00Z or 2026-11-20 14:00 (UTC)", *atFlag)
		}
		now = at
	}
	store, err := openStore(ctx, sc)
	if err != nil {
		return err
	}
	defer store.Close()
	ids := fs.Args()
	stored, err := store.Rules(ctx, ids...) // their names and tags; all when none is named
	if err != nil {
		return fmt.Errorf("%w (has earshot run used the database %s?)", err, sc.Database)
	}
	if len(ids) == 0 { // the rules in force, or every rule with mentions when none is stored
		for _, r := range stored {
			if r.Active && (*tag == "" || slices.Contains(r.Tags, *tag)) {
				ids = append(ids, r.ID)
			}
		}
		if *tag != "" && len(ids) == 0 {
			return fmt.Errorf("no rule in force carries the tag %q (earshot status lists the rules in force)", *tag)
		}
	}
	// A rule with revival settings of its own is judged with them, as its
	// revival alerts are, unless --quiet or --floor says otherwise.
	models := lifecycle.NewModels(a)
	own := map[string]*lifecycle.Analyzer{}
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "quiet" || f.Name == "floor" })
	if !explicit {
		alerts := make(map[string]string, len(stored))
		for _, r := range stored {
			alerts[r.ID] = r.Alert
		}
		own = models.Own(alerts)
	}
	reps := map[string]lifecycle.Report{}
	first := map[string]time.Time{}
	groups := []lifecycle.Group{{A: a}} // every rule with mentions, when none is named
	if len(ids) > 0 {
		groups = models.Split(own, ids)
	}
	for _, g := range groups {
		part, err := store.LifecyclesKnown(ctx, g.A, now, int(w/lc.Bin), first, g.Rules...)
		if err != nil {
			return fmt.Errorf("%w (has earshot run used the database %s?)", err, sc.Database)
		}
		maps.Copy(reps, part)
	}
	named := make(map[string]sink.Rule, len(stored))
	for _, r := range stored {
		named[r.ID] = r
	}
	lives := make([]topicLife, 0, len(reps))
	for id, r := range reps {
		l := topicLife{Rule: id, Name: named[id].Name, Tags: named[id].Tags, Report: r}
		if x := own[id]; x != nil {
			l.Model = &ownModel{Quiet: fmtSpan(x.Config().Quiet), Floor: x.Config().Floor}
		}
		lives = append(lives, l)
	}
	slices.SortFunc(lives, func(x, y topicLife) int {
		return cmp.Or(cmp.Compare(phaseOrder(x.Phase), phaseOrder(y.Phase)), cmp.Compare(y.Recent, x.Recent), strings.Compare(x.Rule, y.Rule))
	})
	if *limit > 0 && len(lives) > *limit {
		lives = lives[:*limit]
	}
	one := len(fs.Args()) == 1
	if one && len(lives) == 1 {
		if l := &lives[0]; len(l.Episodes) > 0 {
			e, _ := l.Last()
			if l.Sparks, err = store.Sparks(ctx, l.Rule, e.Start, e.Start.Add(*spark), 5); err == nil {
				to := e.End
				if e.Ongoing {
					to = time.Time{}
				}
				l.Spread, err = store.RepostedBetween(ctx, l.Rule, e.Start, to, 5)
			}
			if err != nil {
				return err
			}
		}
	}
	if *asJSON {
		return writeJSON(os.Stdout, lives)
	}
	cfg := a.Config()
	fmt.Printf("Life cycle over the last %s to %s UTC, in bins of %s (the last one partial): a bin of %d mentions or more is active; %s quiet ends an episode (unseen if the pipeline read nothing in a tenth of it); the last %s is compared with the %s before.\n",
		fmtSpan(w), now.Format("2006-01-02 15:04"), fmtSpan(cfg.Bin), cfg.Floor, fmtSpan(cfg.Quiet), fmtSpan(cfg.Recent), fmtSpan(cfg.Recent))
	if len(lives) == 0 {
		fmt.Println("No rule in force and no mention in the window.")
		return nil
	}
	if slices.ContainsFunc(lives, func(l topicLife) bool { return l.Model != nil }) {
		fmt.Println("A rule marked {quiet …, floor …} is judged with its own revival settings, as its revival alerts are (--quiet or --floor: every rule with the flags').")
	}
	if one {
		printLife(lives[0], cfg, *spark)
		return nil
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "RULE\tPHASE\tSINCE\tLAST %s\tBEFORE\tEPISODE\n", strings.ToUpper(fmtSpan(cfg.Recent)))
	for _, l := range lives {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", ruleLabel(l), l.Phase, l.Since.Format("2006-01-02 15:04"),
			thousands(l.Recent), thousands(l.Before), episodeLine(l.Report))
	}
	return tw.Flush()
}

// ruleLabel writes a rule's id, with its name and tags when it has them.
func ruleLabel(l topicLife) string {
	s := l.Rule
	if l.Name != "" {
		s += " (" + l.Name + ")"
	}
	if len(l.Tags) > 0 {
		s += " [" + strings.Join(l.Tags, ", ") + "]"
	}
	if l.Model != nil {
		s += fmt.Sprintf(" {quiet %s, floor %d}", l.Model.Quiet, l.Model.Floor)
	}
	return s
}

// parseAt reads --at: RFC 3339, or a date and a time of day in UTC.
func parseAt(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04Z07:00", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read %q as a time", v)
}

// phaseOrder lists the phases an operator looks at first first.
func phaseOrder(p lifecycle.Phase) int {
	return slices.Index([]lifecycle.Phase{lifecycle.Rising, lifecycle.Peak, lifecycle.Decaying, lifecycle.Dormant, lifecycle.None}, p)
}

// episodeLine sums up a report's last episode in a line.
func episodeLine(r lifecycle.Report) string {
	e, ok := r.Last()
	if !ok {
		return "none in the window"
	}
	s := fmt.Sprintf("%s %s, busiest bin %s (%s)", origin(e), e.Start.Format("2006-01-02 15:04"),
		e.Peak.Format("01-02 15:04"), thousands(e.PeakMentions))
	if !e.Ongoing {
		s += ", ended " + e.End.Format("2006-01-02 15:04")
	}
	return s
}

// origin writes how an episode began, and that the quiet before it was
// not seen when the pipeline read nothing in part of it.
func origin(e lifecycle.Episode) string {
	if e.Unseen {
		return e.Origin.String() + " (quiet unseen)"
	}
	return e.Origin.String()
}

// printLife prints one rule's life cycle: its phase, its episodes, and what
// began and spread in the last.
func printLife(l topicLife, cfg lifecycle.Config, spark time.Duration) {
	fmt.Printf("\n%s: %s since %s UTC; %s mentions in the last %s, %s in the %s before.\n", ruleLabel(l), l.Phase,
		l.Since.Format("2006-01-02 15:04"), thousands(l.Recent), fmtSpan(cfg.Recent), thousands(l.Before), fmtSpan(cfg.Recent))
	if len(l.Episodes) == 0 {
		fmt.Println("No episode in the window: no bin reached the floor.")
		return
	}
	fmt.Println("\nEpisodes:")
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	for _, e := range l.Episodes {
		end := e.End.Format("2006-01-02 15:04")
		if e.Ongoing {
			end = "ongoing"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s mentions\tbusiest bin %s (%s)\n", origin(e), e.Start.Format("2006-01-02 15:04"), end,
			thousands(e.Mentions), e.Peak.Format("2006-01-02 15:04"), thousands(e.PeakMentions))
	}
	tw.Flush()
	e, _ := l.Last()
	if len(l.Sparks) > 0 {
		fmt.Printf("\nHow it began: the largest audiences in its first %s:\n", fmtSpan(spark))
		for _, s := range l.Sparks {
			fmt.Printf("  %s  %s\n", s.At.Format("2006-01-02 15:04:05"), sparkLine(s))
		}
	}
	if len(l.Spread) > 0 {
		fmt.Printf("\nMost reposted since %s:\n", e.Start.Format("2006-01-02 15:04"))
		for _, r := range l.Spread {
			fmt.Printf("  %s  %s reposts by %s authors, %s to %s: %s\n", r.PostID, thousands(r.Reposts), thousands(r.Authors),
				r.First.Format("01-02 15:04"), r.Last.Format("01-02 15:04"), quoteText(r.Text, 80))
		}
	}
}

// sparkLine writes a mention that began an episode: who, their audience,
// and what they posted.
func sparkLine(s sink.Spark) string {
	who := "@" + s.Author
	if s.Author == "" {
		who = "an unknown author"
	}
	audience := "followers unknown"
	if s.Followers >= 0 {
		audience = thousands(uint64(s.Followers)) + " followers"
	}
	if s.Segment != "" {
		audience += ", " + s.Segment
	}
	what := "posted"
	if s.IsRepost {
		what = "reposted " + s.RepostOf
	}
	return fmt.Sprintf("%s (%s) %s: %s", who, audience, what, quoteText(s.Text, 80))
}

// quoteText quotes a post's text on one line, cut to max runes.
func quoteText(s string, max int) string { return strconv.Quote(oneLine(s, max)) }

// oneLine is a post's text on one line, cut to max runes.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		s = string(r[:max-1]) + "…"
	}
	return s
}

// fmtSpan writes a duration in days or hours when it is whole ones.
func fmtSpan(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	case d >= time.Hour && d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	case d >= time.Minute && d%time.Minute == 0:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	}
	return d.String()
}

// thousands writes n with commas between groups of three digits.
func thousands(n uint64) string {
	s := strconv.FormatUint(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
