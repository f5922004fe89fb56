package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
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
	var p post.Post
	var ft enrich.Features
	return eachLine(ctx, *input, func(n int, data []byte) error {
		if err := a.Decode(data, &p); err != nil {
			return enc.Encode(map[string]any{"line": n, "skipped": adapt.IsSkip(err), "error": err.Error()})
		}
		e.Enrich(&p, &ft)
		return enc.Encode(map[string]any{
			"id": p.ID, "created_at": p.CreatedAt, "source": p.Source, "author_id": p.Author.ID,
			"repost_of": p.RepostOf, "reply_to": p.ReplyTo, "quote_of": p.QuoteOf,
			"country": ft.Country, "region": ft.Region, "place": ft.Place, "cell": ft.Cell,
			"tier": ft.Tier.String(), "level": ft.Level.String(), "lat": ft.Lat, "lon": ft.Lon,
			"influence": ft.Influence, "segment": ft.Segment.String(), "bot": ft.Bot,
			"lang": ft.Lang, "lang_source": ft.LangSource.String(),
		})
	})
}
