package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/segmentio/kafka-go"

	"earshot/bench/e2e"
)

// TestRunSmall runs the whole harness as bench/e2e/run.sh does, on the real
// Kafka and ClickHouse that make test starts, with few posts: every phase
// reports, the report files are written, and the run's topics and database
// are gone afterwards.
func TestRunSmall(t *testing.T) {
	brokers, ch := e2e.Services(t)
	o := Options{Brokers: brokers, ClickHouse: ch, Posts: 20_000, Runs: 2, Rules: 1_000, Seed: 3,
		LatencyFor: 4 * time.Second, LatencyRates: []float64{5_000}, Out: t.TempDir(), RunDir: "../../../.local/run",
		Engine: true, EnginePosts: 1_000}
	r, md := runHarness(t, o, 3*time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	th := r.Throughput
	if th.Posts <= 0 || th.Posts > o.Posts || !(th.PostsPerSecond > 0) || !(th.CPUMicrosPerPost > 0) || th.PeakRSSBytes <= 0 {
		t.Errorf("throughput %+v", th)
	}
	if th.MatchedPosts <= 0 || th.MentionRows < th.MatchedPosts/2 {
		t.Errorf("matched %d posts, %d mention rows stored", th.MatchedPosts, th.MentionRows)
	}
	// Two runs of the same posts: the same matches and rows in each, and
	// the medians are the lower of the two.
	if len(r.Runs) != 2 || r.Runs[0].MatchedPosts != r.Runs[1].MatchedPosts || r.Runs[0].MentionRows != r.Runs[1].MentionRows {
		t.Errorf("throughput runs %+v", r.Runs)
	} else if th.CPUMicrosPerPost != min(r.Runs[0].CPUMicrosPerPost, r.Runs[1].CPUMicrosPerPost) ||
		r.PostsPerSecond != min(r.Runs[0].PostsPerSecond, r.Runs[1].PostsPerSecond) {
		t.Errorf("medians %.2f µs, %.0f posts/s of runs %+v", th.CPUMicrosPerPost, r.PostsPerSecond, r.Runs)
	}
	if len(r.Latency) != 1 || r.Latency[0].Posts <= 0 || r.Latency[0].Measured <= 0 || !(r.Latency[0].P99Ms > 0) {
		t.Errorf("latency %+v", r.Latency)
	} else if l := r.Latency[0]; l.TargetPerSecond != 5_000 || l.Fraction != 5_000/r.PostsPerSecond {
		t.Errorf("latency asked at %.0f posts/s (%.3f of %.0f), want 5000", l.TargetPerSecond, l.Fraction, r.PostsPerSecond)
	}
	if e := r.Engine; e == nil || e.Posts < o.EnginePosts || !(e.PostsPerCPUSecond > 0) || e.MatchedPosts <= 0 {
		t.Errorf("ClickHouse's Kafka engine %+v", e)
	}
	if len(r.Targets) != 5 {
		t.Errorf("%d target rows", len(r.Targets))
	}
	if !strings.Contains(md, "posts/s") {
		t.Errorf("markdown report:\n%s", md)
	}

	// The run's topics are deleted (Kafka may list them for a moment).
	stamp, err := time.Parse(time.RFC3339, r.Date)
	if err != nil {
		t.Fatal(err)
	}
	prefix := "earshot-e2e-" + stamp.Format("20060102-150405")
	c := &kafka.Client{Addr: kafka.TCP(brokers)}
	var left []string
	for try := 0; try < 20; try++ {
		meta, err := c.Metadata(ctx, &kafka.MetadataRequest{})
		if err != nil {
			t.Fatal(err)
		}
		left = left[:0]
		for _, tp := range meta.Topics {
			if strings.HasPrefix(tp.Name, prefix) {
				left = append(left, tp.Name)
			}
		}
		if len(left) == 0 {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if len(left) > 0 {
		t.Errorf("topics left after the run: %v", left)
	}
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{ch}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var dbs uint64
	dbPrefix := "earshot_e2e_" + stamp.Format("20060102_150405")
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.databases WHERE name LIKE ?", "earshot_e2e%"+stamp.Format("20060102_150405")+"%").Scan(&dbs); err != nil {
		t.Fatal(err)
	}
	if dbs != 0 {
		t.Errorf("the run's databases (%s, earshot_e2e_ch_…) are left after it", dbPrefix)
	}
}

// TestRunRulesFile benches the pipeline with an operator's rules file
// instead of the generator's rules: the posts are the generator's, the
// report names the file and how many of the posts its rules matched.
func TestRunRulesFile(t *testing.T) {
	brokers, ch := e2e.Services(t)
	rules := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(rules, []byte("rules:\n  - id: quake\n    query: sismo OR earthquake OR terremoto OR 地震\n"+
		"  - id: quake-es\n    query: (sismo OR temblor) -simulacro lang:es\n  - id: nothing\n    query: raw:Zyzzyva\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := Options{Brokers: brokers, ClickHouse: ch, Posts: 40_000, Runs: 1, Rules: 1_000, Seed: 3,
		RulesFile: rules, Out: t.TempDir()}
	r, md := runHarness(t, o, 2*time.Minute)
	if r.RulesFile != rules || r.Rules != 3 || r.Planted != 1_000 {
		t.Errorf("rules file %q, %d rules, %d planted", r.RulesFile, r.Rules, r.Planted)
	}
	// The generator's posts speak of earthquakes among many topics: the
	// file's rules match some of them, far fewer than its own 1,000 rules.
	if th := r.Throughput; th.MatchedPosts <= 0 || th.MatchedPosts >= int64(o.Posts)/2 || th.MentionRows < th.MatchedPosts {
		t.Errorf("matched %d posts, %d mention rows", th.MatchedPosts, th.MentionRows)
	}
	if !strings.Contains(md, "the pipeline ran the 3 rules of `"+rules+"` instead") {
		t.Errorf("markdown report:\n%s", md)
	}
	// A rules file that does not compile stops the bench before it writes.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("rules:\n  - id: a\n    query: ear*thquake\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o.RulesFile, o.Earshot = bad, "earshot"
	if err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "bad.yaml:3:") {
		t.Errorf("a bad rules file: %v", err)
	}
}

// TestRunPostsFile benches the pipeline on an operator's own posts, replayed
// round after round with new ids, and its own rules, through both the
// throughput and the latency phase.
func TestRunPostsFile(t *testing.T) {
	brokers, ch := e2e.Services(t)
	dir := t.TempDir()
	posts, rules := filepath.Join(dir, "posts.jsonl"), filepath.Join(dir, "rules.yaml")
	var b strings.Builder
	for i, text := range []string{"sismo fuerte en CDMX", "nothing here", "earthquake!! #sismo", "lunch time", "red light flashing on my xbox",
		"the weather is nice", "ok", "terremoto en Lima", "what a game", "good morning"} {
		fmt.Fprintf(&b, `{"id":"p%d","created_at":"2020-01-01T00:00:00Z","text":%q,"author":{"id":"a%d","handle":"u%d","followers":%d}}`+"\n", i, text, i, i, 100*i)
	}
	if err := os.WriteFile(posts, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rules, []byte("rules:\n  - id: quake\n    query: sismo OR earthquake OR terremoto\n  - id: xbox\n    query: '\"red light\" NEAR/3 xbox'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := Options{Brokers: brokers, ClickHouse: ch, Posts: 40_000, Runs: 1, Rules: 100, Seed: 3,
		RulesFile: rules, PostsFile: posts, LatencyFor: 3 * time.Second, LatencyRates: []float64{2_000}, Out: t.TempDir()}
	r, md := runHarness(t, o, 2*time.Minute)
	// 4 of the 10 posts match, in every round: 16,000 of the 40,000.
	if th := r.Throughput; r.PostsFile != posts || r.Rules != 2 || th.MatchedPosts != 16_000 || th.MentionRows != 16_000 {
		t.Errorf("posts file %q, %d rules: %d posts matched, %d mention rows; want 16000", r.PostsFile, r.Rules, th.MatchedPosts, th.MentionRows)
	}
	if len(r.Latency) != 1 || r.Latency[0].Measured <= 0 {
		t.Errorf("latency %+v", r.Latency)
	}
	if !strings.Contains(md, "the posts of `"+posts+"` replayed") || !strings.Contains(md, "40.0% of the posts matched") {
		t.Errorf("markdown report:\n%s", md)
	}
}

// runHarness builds earshot, runs the harness with o (its Earshot set to
// that binary) and returns the report as JSON and the markdown file.
func runHarness(t *testing.T, o Options, timeout time.Duration) (Report, string) {
	t.Helper()
	o.Earshot = filepath.Join(t.TempDir(), "earshot")
	if out, err := exec.Command("go", "build", "-o", o.Earshot, "../../../cmd/earshot").CombinedOutput(); err != nil {
		t.Fatalf("building earshot: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := Run(ctx, o); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(o.Out, "e2e-"+time.Now().UTC().Format("2006-01-02"))
	b, err := os.ReadFile(name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(name + ".md")
	if err != nil {
		t.Fatal(err)
	}
	return r, string(md)
}
