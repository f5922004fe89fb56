package harness

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// Throughput is the throughput phase's result.
type Throughput struct {
	Posts             int     `json:"posts"`
	Seconds           float64 `json:"seconds"`
	PostsPerSecond    float64 `json:"posts_per_second"`
	CPUSeconds        float64 `json:"earshot_cpu_seconds"`
	CPUMicrosPerPost  float64 `json:"earshot_cpu_us_per_post"`
	KafkaCPUSeconds   float64 `json:"kafka_cpu_seconds"`
	ClickHouseCPUSecs float64 `json:"clickhouse_cpu_seconds"`
	MachineBusy       float64 `json:"machine_busy_fraction"`
	PeakRSSBytes      int64   `json:"earshot_peak_rss_bytes"`
	MatchedPosts      int64   `json:"matched_posts"`
	MentionRows       int64   `json:"mention_rows"`
	StartupSeconds    float64 `json:"startup_seconds"`
}

// stall is how long the throughput phase waits for the pipeline's
// committed offsets to move before it gives up.
const stall = 2 * time.Minute

// throughput runs the pipeline over the posts already in its topic and
// measures it from its first fetched message until its committed offsets
// cover all of them.
func throughput(ctx context.Context, o Options, svc services, args []string, posts int) (Throughput, error) {
	var t Throughput
	start := time.Now()
	c, err := o.startChild(ctx, args...)
	if err != nil {
		return t, err
	}
	defer c.stop() //nolint:errcheck // stopped below; this is for early returns
	pid := c.cmd.Process.Pid
	var first cpuSample
	deadline := time.Now().Add(10 * time.Minute)
	var committed int64 // the last committed offsets seen, and when they moved
	moved := time.Now()
	for {
		if time.Now().After(deadline) {
			return t, fmt.Errorf("the pipeline did not commit %d posts in 10 minutes", posts)
		}
		if time.Since(moved) > stall {
			return t, fmt.Errorf("the pipeline committed no offset for %v (%d of %d posts committed): see its log above", stall, committed, posts)
		}
		if err := wait(ctx, 20*time.Millisecond); err != nil {
			return t, err
		}
		if err := c.exited(); err != nil {
			return t, err
		}
		m, err := scrape(ctx, &o)
		if err != nil {
			if time.Since(start) > time.Minute {
				return t, err
			}
			continue // not serving yet
		}
		if first.at.IsZero() {
			if m.consumed == 0 {
				continue
			}
			if first, err = sample(pid, svc); err != nil {
				return t, err
			}
			t.StartupSeconds = first.at.Sub(start).Seconds()
			if o.CPUProfile != "" {
				prof := profileCPU(ctx, &o, 5*time.Second)
				defer func() {
					if err := <-prof; err != nil {
						fmt.Fprintln(os.Stderr, "bench: cpu profile:", err)
					}
				}()
			}
			t.Posts = posts - int(m.consumed) // the first fetch's are not timed
			continue
		}
		if m.committed != committed {
			committed, moved = m.committed, time.Now()
		}
		if m.committed < int64(posts) {
			continue
		}
		last, err := sample(pid, svc)
		if err != nil {
			return t, err
		}
		if t.Posts < posts/10 {
			return t, fmt.Errorf("the pipeline had read %d of the %d posts before the timed window started: too few posts to time, ask for more", posts-t.Posts, posts)
		}
		t.Seconds = last.at.Sub(first.at).Seconds()
		t.PostsPerSecond = float64(t.Posts) / t.Seconds
		t.CPUSeconds = (last.self - first.self).Seconds()
		t.CPUMicrosPerPost = t.CPUSeconds / float64(t.Posts) * 1e6
		t.KafkaCPUSeconds = (last.kafka - first.kafka).Seconds()
		t.ClickHouseCPUSecs = (last.clickhouse - first.clickhouse).Seconds()
		t.MachineBusy = float64(last.machineBusy-first.machineBusy) / float64(last.machineTotal-first.machineTotal)
		t.MatchedPosts = int64(m.matched)
		if t.PeakRSSBytes, err = peakRSS(pid); err != nil {
			return t, err
		}
		return t, c.stop()
	}
}

// profileCPU fetches a CPU profile of the pipeline over d into path; the
// channel gets its error when done.
func profileCPU(ctx context.Context, o *Options, d time.Duration) <-chan error {
	path := o.CPUProfile
	done := make(chan error, 1)
	go func() {
		url := o.adminURL(fmt.Sprintf("/debug/pprof/profile?seconds=%d", int(d/time.Second)))
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			done <- err
			return
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- err
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("%s: %s", url, resp.Status)
		}
		if err == nil {
			err = os.WriteFile(path, b, 0o644)
		}
		done <- err
	}()
	return done
}

// pipelineMetrics are the counters the harness follows.
type pipelineMetrics struct {
	consumed, matched float64
	committed         int64 // next offsets to read, summed over partitions
	partitions        int
}

func scrape(ctx context.Context, o *Options) (pipelineMetrics, error) {
	url := o.adminURL("/metrics")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return pipelineMetrics{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return pipelineMetrics{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return pipelineMetrics{}, fmt.Errorf("%s: %s", url, resp.Status)
	}
	return parseMetrics(resp.Body)
}

// parseMetrics reads the counters from Prometheus's text format.
func parseMetrics(r io.Reader) (pipelineMetrics, error) {
	var m pipelineMetrics
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, _ := strings.Cut(line, " ")
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = name[:i]
		}
		var dst *float64
		switch name {
		case "earshot_consumed_messages_total":
			dst = &m.consumed
		case "earshot_matched_posts_total":
			dst = &m.matched
		case "earshot_committed_offset":
		default:
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		if err != nil {
			return m, fmt.Errorf("metric line %q: %w", line, err)
		}
		if dst != nil {
			*dst = v
		} else {
			m.committed += int64(v)
			m.partitions++
		}
	}
	return m, sc.Err()
}
