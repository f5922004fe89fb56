package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"earshot/enrich"
	"earshot/match"
	"earshot/stream"
	"earshot/stream/alert"
	"earshot/stream/burst"
	"earshot/stream/dedup"
	"earshot/stream/post"
)

// cmdDetect replays canonical posts through matching, exact-id dedup,
// enrichment and the burst detector, and prints the alerts.
func cmdDetect(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("detect", flag.ContinueOnError)
	rulesPath := fs.String("rules", "", "rules `file` (keyword list or YAML), or a directory of them")
	input := fs.String("input", "-", "canonical posts, one JSON object per line (`file`, or - for stdin)")
	asJSON := fs.Bool("json", false, "print one alert per line as JSON")
	sortPosts := fs.Bool("sort", true, "read all posts and replay them sorted by created_at; false streams them in file order (late posts then follow the allowed lateness)")
	var scopes listFlag = []string{alert.ScopeRule, alert.ScopeCountry, alert.ScopeCell}
	fs.Var(&scopes, "scopes", "key `scopes` to track: rule, country, cell (comma-separated)")
	authors := fs.Bool("authors", false, "count distinct authors instead of posts")
	threshold := fs.Float64("threshold", 1, "trigger when STA/(2·LTA+12) ≥ `ratio` (lower is more sensitive)")
	lateness := fs.Duration("lateness", 10*time.Second, "allowed lateness of out-of-order posts")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *rulesPath == "" || fs.NArg() != 0 {
		return usageErr("usage: earshot detect --rules FILE [--input posts.jsonl|-] [--json]")
	}
	eng, err := loadEngine(*rulesPath)
	if err != nil {
		return fmt.Errorf("%s rejected:\n%w", *rulesPath, err)
	}
	enr, err := enrich.New(enrich.Config{})
	if err != nil {
		return err
	}
	det, err := burst.New(burst.Config{Scopes: scopes, AllowedLateness: *lateness,
		Default: burst.Params{Threshold: *threshold, Authors: *authors}})
	if err != nil {
		return usageErr("%v", err)
	}
	// The rules' own alert settings (docs/rules.md), as earshot run takes
	// them; the flags set the defaults they refine.
	params, _ := stream.AlertSettings(eng.Rules())
	if err := det.SetRules(params); err != nil {
		return usageErr("%s: alert settings: %v (with --threshold %v)", *rulesPath, err, *threshold)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	pr := &alertPrinter{w: out, json: *asJSON}
	rp := &replay{eng: eng, enr: enr, det: det, seen: dedup.NewWindow(dedupSpan, dedupMaxIDs, time.Time{}), print: pr.print}

	dec := post.NewDecoder(post.Limits{})
	var posts []post.Post
	var p post.Post
	var first, last time.Time // the posts' event-time span
	bad := 0
	err = eachLine(ctx, *input, func(line int, data []byte) error {
		if err := dec.Decode(data, &p); err != nil {
			bad++
			fmt.Fprintf(os.Stderr, "%s:%d: %v\n", *input, line, err)
			return nil
		}
		if first.IsZero() || p.CreatedAt.Before(first) {
			first = p.CreatedAt
		}
		if p.CreatedAt.After(last) {
			last = p.CreatedAt
		}
		if *sortPosts {
			posts = append(posts, p)
			p = post.Post{}
			return nil
		}
		return rp.post(&p)
	})
	if err != nil {
		return err
	}
	slices.SortStableFunc(posts, func(a, b post.Post) int { return a.CreatedAt.Compare(b.CreatedAt) })
	for i := range posts {
		if err := rp.post(&posts[i]); err != nil {
			return err
		}
	}
	if err := rp.flush(); err != nil {
		return err
	}
	if !*asJSON {
		pr.table()
	}
	fmt.Fprintf(os.Stderr, "detect: %d posts, %d rejected, %d duplicates, %d matched, %d alerts\n",
		rp.posts, bad, rp.dups, rp.matched, pr.n)
	if span := last.Sub(first); pr.n == 0 && span < det.WarmUp() {
		fmt.Fprintf(os.Stderr, "detect: no alert can come before %v of event time (the detector starts cold: its STA+LTA); these posts span %v\n",
			det.WarmUp(), span.Round(time.Second))
	}
	return nil
}

// replay feeds posts to the detector in arrival order with a watermark at
// the newest created_at seen (a post more than 5 minutes ahead of it does
// not move it: a bogus timestamp must not decide every open bin).
type replay struct {
	eng   *match.Engine
	enr   *enrich.Enricher
	det   *burst.Detector
	seen  *dedup.Window // post ids, in event time
	wm    time.Time
	hits  []int32
	lazy  stream.Lazy // the current post's enrichment
	print func(*alert.Alert) error

	posts, dups, matched int
}

// Exact-id dedup as the pipeline does it, on the posts' event time: an id is
// remembered for at least dedupSpan, and at most dedupMaxIDs are kept.
const (
	dedupSpan   = 24 * time.Hour
	dedupMaxIDs = 2 << 20
)

func (r *replay) post(p *post.Post) error {
	r.posts++
	if r.seen.Seen(dedup.Key(p.ID), p.CreatedAt) {
		r.dups++
		return nil
	}
	r.det.Tick(p.CreatedAt)
	r.lazy.Reset(r.enr, p)
	doc := stream.DocOf(p, &r.lazy)
	r.hits = r.eng.Match(r.hits[:0], &doc)
	if len(r.hits) > 0 {
		r.matched++
		f := r.lazy.Features()
		rules := r.eng.Rules()
		for _, h := range r.hits {
			e := stream.DetectorEvent(rules[h].ID, p, f)
			r.det.Observe(&e)
		}
	}
	if p.CreatedAt.After(r.wm) && (r.wm.IsZero() || p.CreatedAt.Sub(r.wm) <= 5*time.Minute) {
		r.wm = p.CreatedAt
		return r.emit(r.det.Advance(r.wm))
	}
	return nil
}

func (r *replay) emit(as []alert.Alert) error {
	for i := range as {
		if err := r.print(&as[i]); err != nil {
			return err
		}
	}
	return nil
}

// flush decides the bins still open at the end of the input.
func (r *replay) flush() error {
	if r.wm.IsZero() {
		return nil
	}
	return r.emit(r.det.Advance(r.wm.Add(time.Hour)))
}

type alertPrinter struct {
	w    *bufio.Writer
	json bool
	n    int
	rows []alert.Alert
}

func (p *alertPrinter) print(a *alert.Alert) error {
	p.n++
	if !p.json {
		p.rows = append(p.rows, *a)
		return nil
	}
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	p.w.Write(b)
	return p.w.WriteByte('\n')
}

func (p *alertPrinter) table() {
	tw := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DETECTED\tKIND\tRULE\tREGION\tONSET\tSTA/min\tLTA/min\tRATIO\tLOCATION\tEXAMPLE")
	for _, a := range p.rows {
		region := a.Scope
		if r := a.Region(); r != "" {
			region = r
		}
		loc := "-"
		if a.Location != nil {
			loc = fmt.Sprintf("%.3f,%.3f (%s tier %d, %d posts)", a.Location.Lat, a.Location.Lon, a.Location.Cell, a.Location.Tier, a.Location.Posts)
		}
		ex := ""
		if len(a.Examples) > 0 {
			ex = a.Examples[0].Text
			if utf8.RuneCountInString(ex) > 60 {
				ex = string([]rune(ex)[:60]) + "…"
			}
		}
		kind := a.Kind
		if a.Kind == alert.KindFollowUp {
			kind = fmt.Sprintf("followup#%d", a.Seq)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.1f\t%.1f\t%.2f\t%s\t%s\n",
			a.DetectedAt.Format(time.RFC3339), kind, a.Rule, region, a.Onset.Format("15:04:05"),
			a.STA, a.LTA, a.Ratio, loc, strings.ReplaceAll(ex, "\n", " "))
	}
	tw.Flush()
}
