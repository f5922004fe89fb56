package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"

	"earshot/stream"
)

// cmdSample writes a uniform random sample of the posts of a topic over a
// time range, one JSON object per line with an empty label field added,
// for a person to label: the sample `earshot rules eval` measures rules on
// (its recall needs posts the rules do not match, so the sample is drawn
// from the input topic, not from the stored mentions). It reads only the
// sampled messages, by offset, with no consumer group: the pipeline's
// offsets are not touched, and a sample of a day of a firehose costs a few
// fetches per sampled post.
func cmdSample(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("sample", flag.ContinueOnError)
	var kf kafkaFlags
	kf.register(fs, "posts")
	n := fs.Int("n", 200, "how many `posts` to sample")
	since := fs.Duration("since", 24*time.Hour, "sample the posts written this long ago or later, up to now (0: all Kafka keeps)")
	label := fs.String("label", "label", "the `field` added to each post, empty, for its label")
	seed := fs.Uint64("seed", 1, "random `seed`: the same seed over the same messages gives the same sample")
	outPath := fs.String("out", "-", "write the sample to this `file` (- for standard output)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *n < 1 {
		return usageErr("--n: want 1 or more posts, not %d", *n)
	}
	if *since < 0 {
		return usageErr("--since: want a duration such as 24h, or 0 for all Kafka keeps")
	}
	if *label == "" {
		return usageErr("--label: want the name of the field to add")
	}
	sec, err := kf.security()
	if err != nil {
		return err
	}
	from := time.Time{}
	if *since > 0 {
		from = time.Now().Add(-*since)
	}
	parts, err := topicOffsets(ctx, kf.brokers, sec, kf.topic, from)
	if err != nil {
		return err
	}
	var ranges []offsetRange
	for _, po := range parts {
		if start := startOffset(po, from); start < po.LastOffset {
			ranges = append(ranges, offsetRange{po.Partition, start, po.LastOffset})
		}
	}
	picks, total := sampleOffsets(rand.New(rand.NewPCG(*seed, 0x5eed)), ranges, *n)
	if total == 0 {
		return fmt.Errorf("no messages in %s %s", kf.topic, sinceText(from))
	}

	var w io.Writer = os.Stdout
	if *outPath != "-" {
		f, err := os.Create(*outPath)
		if err != nil {
			return fmt.Errorf("cannot create %s: %w", *outPath, err)
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriter(w)
	key, _ := json.Marshal(*label)
	var wrote, skipped int
	for _, r := range ranges {
		offs := picks[r.partition]
		if len(offs) == 0 {
			continue
		}
		err := readOffsets(ctx, kf.brokers, sec, kf.topic, r, offs, func(m kafka.Message) error {
			line, ok := labelled(m.Value, *label, key)
			if !ok {
				skipped++
				return nil
			}
			wrote++
			_, err := bw.Write(line)
			return err
		})
		if err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("cannot write the sample: %w", err)
	}
	if *outPath != "-" {
		if err := w.(*os.File).Close(); err != nil {
			return fmt.Errorf("cannot write %s: %w", *outPath, err)
		}
	}
	msg := fmt.Sprintf("sampled %s of the %s messages of %s %s", thousands(uint64(wrote)), thousands(uint64(total)), kf.topic, sinceText(from))
	if skipped > 0 {
		msg += fmt.Sprintf(" (%d sampled messages were not JSON objects: left out)", skipped)
	}
	hint := "earshot rules eval RULES --input " + cmp.Or(strings.TrimPrefix(*outPath, "-"), "FILE")
	if *label != "label" {
		hint += " --label " + *label
	}
	fmt.Fprintf(os.Stderr, "%s.\nFill in each post's %q (on-topic or off-topic, say), then: %s --relevant on-topic\n", msg, *label, hint)
	return nil
}

// sinceText says over which time a topic was read.
func sinceText(from time.Time) string {
	if from.IsZero() {
		return "(all Kafka keeps)"
	}
	return "written since " + from.UTC().Format("2006-01-02 15:04:05 UTC")
}

// offsetRange is a partition's offsets [start, end).
type offsetRange struct {
	partition  int
	start, end int64
}

// sampleOffsets draws n distinct offsets uniformly from the ranges (all of
// them when they hold n or fewer), by partition, ascending; and the number
// of offsets the ranges hold.
func sampleOffsets(rng *rand.Rand, ranges []offsetRange, n int) (map[int][]int64, int64) {
	var total int64
	for _, r := range ranges {
		total += r.end - r.start
	}
	picks := make(map[int][]int64)
	if total == 0 {
		return picks, 0
	}
	chosen := make(map[int64]bool)
	if int64(n) >= total {
		for i := range total {
			chosen[i] = true
		}
	}
	for int64(len(chosen)) < min(int64(n), total) {
		chosen[rng.Int64N(total)] = true
	}
	for i := range chosen {
		for _, r := range ranges {
			if i < r.end-r.start {
				picks[r.partition] = append(picks[r.partition], r.start+i)
				break
			}
			i -= r.end - r.start
		}
	}
	for _, offs := range picks {
		slices.Sort(offs)
	}
	return picks, total
}

// readOffsets calls fn with the message at each of offs (ascending, within
// r), or, when retention or compaction removed it, the next one in r not
// already given.
func readOffsets(ctx context.Context, brokers []string, sec stream.Security, topic string, r offsetRange, offs []int64, fn func(kafka.Message) error) error {
	var conn *kafka.Conn
	var err error
	for _, b := range brokers {
		if conn, err = sec.Dialer().DialLeader(ctx, "tcp", b, topic, r.partition); err == nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("cannot reach the leader of %s/%d: %w", topic, r.partition, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	next := int64(-1) // the first offset not given yet
	for k := 0; k < len(offs); {
		at := max(offs[k], next)
		if at >= r.end {
			return nil
		}
		if _, err := conn.Seek(at, kafka.SeekAbsolute); err != nil {
			return fmt.Errorf("cannot read %s/%d at offset %d: %w", topic, r.partition, at, err)
		}
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		batch := conn.ReadBatchWith(kafka.ReadBatchConfig{MinBytes: 1, MaxBytes: 1 << 20, MaxWait: time.Second})
		k0 := k
		for k < len(offs) {
			m, err := batch.ReadMessage()
			if err != nil {
				break
			}
			if m.Offset < at || m.Offset >= r.end {
				continue
			}
			if offs[k] > m.Offset {
				continue // between two sampled offsets
			}
			for k < len(offs) && offs[k] <= m.Offset {
				k++
			}
			next = m.Offset + 1
			if err := fn(m); err != nil {
				batch.Close()
				return err
			}
		}
		if err := batch.Close(); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("cannot read %s/%d from offset %d: %w", topic, r.partition, at, err)
		}
		if k == k0 {
			return fmt.Errorf("cannot read %s/%d: nothing from offset %d", topic, r.partition, at)
		}
	}
	return nil
}

// labelled returns the JSON object value with the field label set to ""
// first (key is label as a JSON string), and a newline: as it is when it
// has that field already; false when value is not a JSON object.
func labelled(value []byte, label string, key []byte) ([]byte, bool) {
	v := bytes.TrimSpace(value)
	var obj map[string]json.RawMessage
	if len(v) < 2 || v[0] != '{' || json.Unmarshal(v, &obj) != nil {
		return nil, false
	}
	if _, ok := obj[label]; ok {
		return append(slices.Clip(v), '\n'), true
	}
	out := make([]byte, 0, len(v)+len(key)+5)
	out = append(append(append(out, '{'), key...), `:""`...)
	if rest := bytes.TrimSpace(v[1:]); rest[0] != '}' {
		out = append(out, ',')
	}
	out = append(out, v[1:]...)
	return append(out, '\n'), true
}
