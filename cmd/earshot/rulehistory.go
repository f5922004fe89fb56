package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"earshot/match"
	"earshot/sink"
)

// rulesHistory prints the versions of a rule the pipeline stored in the
// rules table: when it came into force, what changed and when, and when
// it left.
func rulesHistory(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("rules history", flag.ContinueOnError)
	var sc sink.Config
	clickhouseFlags(fs, &sc)
	asJSON := fs.Bool("json", false, "print the versions as one JSON array")
	if err := parse(fs, reorder(fs, args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("usage: earshot rules history ID [--json] [--clickhouse-addr …]")
	}
	id := fs.Arg(0)
	store, err := openStore(ctx, sc)
	if err != nil {
		return err
	}
	defer store.Close()
	versions, err := store.RuleHistory(ctx, id)
	if err != nil {
		return fmt.Errorf("%w (has earshot run used the database %s?)", err, sc.Database)
	}
	if *asJSON {
		if versions == nil {
			versions = []sink.Rule{}
		}
		return writeJSON(os.Stdout, versions)
	}
	if len(versions) == 0 {
		return fmt.Errorf("rule %q has no stored version in %s (the pipeline stores its rules at start and on every reload)", id, sc.Database)
	}
	for i, v := range versions {
		at := v.LoadedAt.UTC().Format("2006-01-02 15:04:05")
		switch {
		case i == 0 || !versions[i-1].Active && v.Active:
			fmt.Printf("%s  in force   %s\n", at, strings.Join(versionFields(v), "; "))
		case !v.Active:
			fmt.Printf("%s  no longer in force\n", at)
		default:
			var ch []string
			for _, fc := range versionChanges(versions[i-1], v) {
				ch = append(ch, fc.String())
			}
			if len(ch) == 0 {
				ch = []string{"stored again, unchanged"} // another process of the group
			}
			fmt.Printf("%s  changed    %s\n", at, strings.Join(ch, "; "))
		}
	}
	return nil
}

// versionFields writes a version's settings as rules diff does, those set.
func versionFields(v sink.Rule) []string {
	var out []string
	for _, fc := range (match.Settings{Diacritics: "sensitive"}).Changes(settingsOf(v)) {
		out = append(out, fc.Field+" "+fc.New)
	}
	return out
}

// versionChanges lists the settings that differ between two versions of
// a rule.
func versionChanges(a, b sink.Rule) []match.FieldChange { return settingsOf(a).Changes(settingsOf(b)) }
