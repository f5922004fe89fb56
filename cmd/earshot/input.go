package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"earshot/enrich"
	"earshot/stream/post"
)

// eachLine calls fn with every non-blank line of input (a file, or - for
// standard input), numbered from 1. fn must not keep data.
func eachLine(ctx context.Context, input string, fn func(line int, data []byte) error) error {
	var r io.Reader = os.Stdin
	if input != "-" {
		f, err := os.Open(input)
		if err != nil {
			return fmt.Errorf("cannot open input: %w", err)
		}
		defer f.Close()
		r = f
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 4<<20)
	for line := 1; sc.Scan(); line++ {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		if err := fn(line, sc.Bytes()); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("cannot read %s: %w", input, err)
	}
	return nil
}

// lazyFeatures enriches one post at most once, when asked: for the rules'
// country: and lang: filters (stream.DocOf) and what follows a match. Set
// done to false for each new post.
type lazyFeatures struct {
	enr  *enrich.Enricher
	p    *post.Post
	f    enrich.Features
	done bool
}

func (l *lazyFeatures) get() *enrich.Features {
	if !l.done {
		l.enr.Enrich(l.p, &l.f)
		l.done = true
	}
	return &l.f
}

// resolvers returns the country and language functions for stream.DocOf.
func (l *lazyFeatures) resolvers() (country, lang func() string) {
	return func() string { return l.get().Country }, func() string { return l.get().Lang }
}
