package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"earshot/enrich"
	"earshot/stream/adapt"
	"earshot/stream/post"
)

// cmdEnrich prints each input post as the pipeline would store it: the post's
// identity, geo fields with their tier, author features and language, as JSONL.
func cmdEnrich(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("enrich", flag.ContinueOnError)
	input := fs.String("input", "-", "posts `file`, one message per line (- for standard input)")
	format := fs.String("format", "auto", "input `format`: auto, canonical, twitter-v1, mastodon or jetstream")
	if err := parse(fs, args); err != nil {
		return err
	}
	f, err := adapt.ParseFormat(*format)
	if err != nil {
		return usageErr("--format: %v", err)
	}
	var in io.Reader = os.Stdin
	if *input != "-" {
		fh, err := os.Open(*input)
		if err != nil {
			return fmt.Errorf("cannot open input: %w", err)
		}
		defer fh.Close()
		in = fh
	}
	a, err := adapt.New(f, post.Limits{})
	if err != nil {
		return err
	}
	e, err := enrich.New(enrich.Config{})
	if err != nil {
		return err
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var p post.Post
	var ft enrich.Features
	for n := 1; sc.Scan(); n++ {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if len(sc.Bytes()) == 0 {
			continue
		}
		if err := a.Decode(sc.Bytes(), &p); err != nil {
			rec := map[string]any{"line": n, "skipped": adapt.IsSkip(err), "error": err.Error()}
			if err := enc.Encode(rec); err != nil {
				return err
			}
			continue
		}
		e.Enrich(&p, &ft)
		rec := map[string]any{
			"id": p.ID, "created_at": p.CreatedAt, "source": p.Source, "author_id": p.Author.ID,
			"repost_of": p.RepostOf, "reply_to": p.ReplyTo, "quote_of": p.QuoteOf,
			"country": ft.Country, "region": ft.Region, "place": ft.Place, "cell": ft.Cell,
			"tier": ft.Tier.String(), "level": ft.Level.String(), "lat": ft.Lat, "lon": ft.Lon,
			"influence": ft.Influence, "segment": ft.Segment.String(), "bot": ft.Bot,
			"lang": ft.Lang, "lang_source": ft.LangSource.String(),
		}
		if err := enc.Encode(rec); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("cannot read input: %w", err)
	}
	return nil
}
