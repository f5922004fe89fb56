package main

import (
	"errors"
	"flag"
	"strings"
	"testing"
)

func TestEnvName(t *testing.T) {
	if got := envName("kafka-brokers"); got != "EARSHOT_KAFKA_BROKERS" {
		t.Fatalf("envName = %q", got)
	}
}

func TestParseEnvAndFlags(t *testing.T) {
	newFS := func() (*flag.FlagSet, *kafkaFlags, *int) {
		fs := flag.NewFlagSet("run", flag.ContinueOnError)
		var kf kafkaFlags
		kf.register(fs, "posts")
		n := fs.Int("batch-rows", 10, "")
		return fs, &kf, n
	}
	t.Setenv("EARSHOT_KAFKA_BROKERS", "a:1, b:2")
	t.Setenv("EARSHOT_BATCH_ROWS", "77")
	fs, kf, n := newFS()
	if err := parse(fs, []string{"--topic", "x"}); err != nil {
		t.Fatal(err)
	}
	if len(kf.brokers) != 2 || kf.brokers[1] != "b:2" || kf.topic != "x" || *n != 77 {
		t.Fatalf("brokers %v topic %q rows %d", kf.brokers, kf.topic, *n)
	}
	// The command line wins over the environment.
	fs, _, n = newFS()
	if err := parse(fs, []string{"--batch-rows", "5"}); err != nil || *n != 5 {
		t.Fatalf("flag did not win: %d, %v", *n, err)
	}
	// A bad environment value is a usage error naming the variable.
	t.Setenv("EARSHOT_BATCH_ROWS", "many")
	fs, _, _ = newFS()
	err := parse(fs, nil)
	var ue *usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "EARSHOT_BATCH_ROWS") {
		t.Fatalf("got %v, want a usage error naming EARSHOT_BATCH_ROWS", err)
	}
	fs, _, _ = newFS()
	if err := parse(fs, []string{"--no-such-flag"}); !errors.As(err, &ue) {
		t.Fatalf("unknown flag: got %v, want a usage error", err)
	}
}

func TestReorder(t *testing.T) {
	got := reorder([]string{"rules.txt", "--json", "--text", "hola sismo"})
	want := []string{"--json", "--text", "hola sismo", "rules.txt"}
	if len(got) != len(want) {
		t.Fatalf("%q", got)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%q, want %q", got, want)
		}
	}
}
