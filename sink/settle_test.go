package sink

import (
	"slices"
	"strings"
	"testing"
)

// views must list every materialized view the migrations create, in the
// order ClickHouse writes them (by name, bytewise), each with its table and
// a query that reads mentions once.
func TestViewsInWriteOrder(t *testing.T) {
	var created []string
	for _, m := range migrations {
		for _, s := range m.statements {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(s), "CREATE MATERIALIZED VIEW IF NOT EXISTS {db}."); ok {
				name, _, _ := strings.Cut(rest, "\n")
				created = append(created, name)
			}
		}
	}
	slices.Sort(created)
	created = slices.Compact(created) // a view made again by a later migration
	var listed []string
	for _, v := range views {
		listed = append(listed, v.name)
		if v.table == "" || strings.Count(v.query, mentionsSource) != 1 || !strings.HasPrefix(v.query, "SELECT") {
			t.Errorf("view %s: table %q, query %q", v.name, v.table, v.query)
		}
		if v.present == nil || v.keep == nil {
			t.Errorf("view %s: no way to ask whether its table holds a batch", v.name)
		}
	}
	if !slices.Equal(listed, created) {
		t.Errorf("views %q, want the migrations' views in name order %q", listed, created)
	}
}

func TestSpansAndBatchFilter(t *testing.T) {
	rows := []Mention{
		{Topic: "posts", Partition: 1, Offset: 7}, {Topic: "posts", Partition: 0, Offset: 3},
		{Topic: "posts", Partition: 1, Offset: 5}, {Topic: "other", Partition: 1, Offset: 9},
		{Topic: "posts", Partition: 1, Offset: 12},
	}
	want := []Span{{"posts", 1, 5, 12}, {"posts", 0, 3, 3}, {"other", 1, 9, 9}}
	if got := Spans(rows); !slices.Equal(got, want) {
		t.Errorf("Spans = %v, want %v", got, want)
	}
	filter, args := batchFilter(rows)
	if strings.Count(filter, "BETWEEN") != 3 || strings.Count(filter, "?") != len(args) || len(args) != 12 {
		t.Errorf("batchFilter = %q with %d args", filter, len(args))
	}
}
