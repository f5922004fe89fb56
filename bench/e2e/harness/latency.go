package harness

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Latency is one run of the latency phase: for each post that produced a
// mention, the time from its created_at (the moment the generator was due
// to send it) to the first poll of ClickHouse that returned it. That is
// the latency from production only while the generator keeps to its
// schedule (KeptUp); once it falls behind, its lag is counted too.
type Latency struct {
	Fraction        float64 `json:"fraction_of_max"`
	TargetPerSecond float64 `json:"target_posts_per_second"`
	SentPerSecond   float64 `json:"sent_posts_per_second"`
	Seconds         float64 `json:"seconds"`
	Posts           int     `json:"posts_sent"`
	Measured        int     `json:"posts_measured"`
	P50Ms           float64 `json:"p50_ms"`
	P90Ms           float64 `json:"p90_ms"`
	P99Ms           float64 `json:"p99_ms"`
	MaxMs           float64 `json:"max_ms"`
	PollMs          float64 `json:"poll_interval_ms"`
	KeptUp          bool    `json:"generator_kept_up"`
	EarshotCPU      float64 `json:"earshot_cpu_seconds"`
	GeneratorCPU    float64 `json:"generator_cpu_seconds"`
	MachineBusy     float64 `json:"machine_busy_fraction"`
}

// keptUp is the share of its target rate a generator must reach for its
// schedule to stand for the time it sent each post.
const keptUp = 0.99

const pollEvery = 100 * time.Millisecond

func latency(ctx context.Context, o Options, svc services, ch driver.Conn, args []string, topic, db string, rate float64) (*Latency, error) {
	l := &Latency{TargetPerSecond: rate, PollMs: float64(pollEvery / time.Millisecond)}
	p, err := o.startChild(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer p.stop() //nolint:errcheck // stopped below; this is for early returns
	if err := waitReady(ctx, &o, p); err != nil {
		return nil, err
	}
	// The generator makes its posts first and says "sending" when it
	// starts to send them: the clock and its CPU start then.
	gc := o.command(ctx, append([]string{"gen", "--kafka-brokers", o.Brokers, "--topic", topic,
		"--rate", fmt.Sprintf("%.0f", rate), "--duration", o.LatencyFor.String(), "--seed", fmt.Sprint(o.Seed),
		"--rules-count", fmt.Sprint(o.Rules), "--pregenerate"}, o.postsArgs()...)...)
	sending := &lineWatch{line: "sending", seen: make(chan struct{})}
	gc.Stdout = sending
	g, err := start(gc)
	if err != nil {
		return nil, err
	}
	defer g.stop() //nolint:errcheck // ends by itself; this is for early returns
	select {
	case <-sending.seen:
	case <-g.done:
		return nil, fmt.Errorf("generator: exited before sending: %v", g.err)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	before, err := sample(p.cmd.Process.Pid, svc)
	if err != nil {
		return nil, err
	}
	genBefore, err := processCPU(g.cmd.Process.Pid)
	if err != nil {
		return nil, err
	}
	var genCPU time.Duration

	seen := map[int32]int64{} // the highest offset seen per partition
	var lat []float64
	genDone, idleSince := false, time.Time{}
	for {
		if err := wait(ctx, pollEvery); err != nil {
			return nil, err
		}
		if err := p.exited(); err != nil {
			return nil, err
		}
		if !genDone {
			if c, err := processCPU(g.cmd.Process.Pid); err == nil {
				genCPU = c - genBefore // the last reading before it exits
			}
			select {
			case <-g.done:
				if g.err != nil {
					return nil, fmt.Errorf("generator: %w", g.err)
				}
				genDone = true
			default:
			}
		}
		at := time.Now()
		n, err := pollMentions(ctx, ch, db, topic, seen, at, &lat)
		if err != nil {
			return nil, err
		}
		if !genDone {
			continue
		}
		m, err := scrape(ctx, &o)
		if err != nil {
			return nil, err
		}
		l.Posts = int(m.consumed)
		if n == 0 && m.committed >= int64(m.consumed) {
			if idleSince.IsZero() {
				idleSince = at
			} else if at.Sub(idleSince) > 2*time.Second {
				break // everything sent is committed and shown
			}
		} else {
			idleSince = time.Time{}
		}
	}
	after, err := sample(p.cmd.Process.Pid, svc)
	if err != nil {
		return nil, err
	}
	if err := p.stop(); err != nil {
		return nil, err
	}
	l.EarshotCPU = (after.self - before.self).Seconds()
	l.GeneratorCPU = genCPU.Seconds()
	l.MachineBusy = float64(after.machineBusy-before.machineBusy) / float64(after.machineTotal-before.machineTotal)
	if len(lat) == 0 {
		return nil, fmt.Errorf("no mention of the %d posts sent to %s appeared in ClickHouse (with a rules file the generator's posts do not speak of, --latency-duration 0 leaves the latency phase out)", l.Posts, topic)
	}
	// The generator hands over only the posts due before its --duration
	// ends: its rate is over that time, not until it has exited (its last
	// call and its producer's close come after).
	l.Seconds = o.LatencyFor.Seconds()
	l.SentPerSecond = float64(l.Posts) / l.Seconds
	l.KeptUp = l.SentPerSecond >= keptUp*l.TargetPerSecond
	l.Measured = len(lat)
	slices.Sort(lat)
	l.P50Ms, l.P90Ms, l.P99Ms, l.MaxMs = quantile(lat, 0.5), quantile(lat, 0.9), quantile(lat, 0.99), lat[len(lat)-1]
	return l, nil
}

// lineWatch is a child's stdout: it closes seen once a line equal to line
// was written.
type lineWatch struct {
	line string
	seen chan struct{}
	buf  []byte
	done bool
}

func (w *lineWatch) Write(b []byte) (int, error) {
	if w.done {
		return len(b), nil
	}
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		if string(w.buf[:i]) == w.line {
			w.done, w.buf = true, nil
			close(w.seen)
			return len(b), nil
		}
		w.buf = w.buf[i+1:]
	}
}

// quantile returns the q-quantile of sorted xs (nearest rank).
func quantile(xs []float64, q float64) float64 {
	i := int(q*float64(len(xs))+0.5) - 1
	return xs[max(0, min(i, len(xs)-1))]
}

// waitReady waits until the pipeline owns its partitions.
func waitReady(ctx context.Context, o *Options, p *child) error {
	for start := time.Now(); time.Since(start) < time.Minute; {
		if err := p.exited(); err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.adminURL("/readyz"), nil)
		if err != nil {
			return err
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if err := wait(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("the pipeline was not ready after a minute")
}

// pollMentions appends the latency, as of at, of each post whose mentions
// appeared since the last poll (offsets above seen), and returns how many.
func pollMentions(ctx context.Context, ch driver.Conn, db, topic string, seen map[int32]int64, at time.Time, lat *[]float64) (int, error) {
	cond := "1"
	if len(seen) > 0 {
		var b strings.Builder
		b.WriteString("multiIf(")
		for p, off := range seen {
			fmt.Fprintf(&b, "kafka_partition = %d, kafka_offset > %d, ", p, off)
		}
		b.WriteString("1)")
		cond = b.String()
	}
	q := fmt.Sprintf(`SELECT kafka_partition, kafka_offset, any(toUInt64(toUnixTimestamp(created_at)) * 1000 + created_ms)
		FROM %s.mentions WHERE kafka_topic = '%s' AND rule_id != '' AND %s
		GROUP BY kafka_partition, kafka_offset`, db, topic, cond)
	rows, err := ch.Query(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("polling mentions: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var p int32
		var off int64
		var created uint64
		if err := rows.Scan(&p, &off, &created); err != nil {
			return n, err
		}
		seen[p] = max(seen[p], off)
		*lat = append(*lat, float64(at.UnixMilli()-int64(created)))
		n++
	}
	return n, rows.Err()
}

// mentionsStored fills in the mention rows the throughput phase stored.
func mentionsStored(ctx context.Context, ch driver.Conn, db, topic string, t *Throughput) error {
	var n uint64
	row := ch.QueryRow(ctx, fmt.Sprintf("SELECT count() FROM %s.mentions WHERE kafka_topic = '%s' AND rule_id != ''", db, topic))
	if err := row.Scan(&n); err != nil {
		return fmt.Errorf("counting mentions: %w", err)
	}
	t.MentionRows = int64(n)
	return nil
}
