package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

func TestSampleOffsets(t *testing.T) {
	ranges := []offsetRange{{0, 10, 110}, {2, 0, 0}, {3, 5, 905}}
	rng := func(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }
	picks, total := sampleOffsets(rng(1), ranges, 50)
	if total != 1000 {
		t.Fatalf("total %d, want 1000", total)
	}
	n := 0
	for p, offs := range picks {
		var r offsetRange
		for _, x := range ranges {
			if x.partition == p {
				r = x
			}
		}
		if !slices.IsSorted(offs) || len(slices.Compact(slices.Clone(offs))) != len(offs) {
			t.Errorf("partition %d: %v not ascending and distinct", p, offs)
		}
		for _, o := range offs {
			if o < r.start || o >= r.end {
				t.Errorf("partition %d: offset %d outside [%d, %d)", p, o, r.start, r.end)
			}
		}
		n += len(offs)
	}
	if n != 50 || len(picks[2]) != 0 {
		t.Errorf("%d offsets (%d of the empty partition), want 50", n, len(picks[2]))
	}
	if again, _ := sampleOffsets(rng(1), ranges, 50); !reflect.DeepEqual(again, picks) {
		t.Error("the same seed drew another sample")
	}
	if other, _ := sampleOffsets(rng(2), ranges, 50); reflect.DeepEqual(other, picks) {
		t.Error("another seed drew the same sample")
	}
	// Uniform over the offsets: the partition of 900 gets about 9 in 10.
	big, _ := sampleOffsets(rng(3), ranges, 500)
	if k := len(big[3]); k < 420 || k > 480 {
		t.Errorf("%d of 500 from the partition that holds 90%% of the offsets", k)
	}
	all, _ := sampleOffsets(rng(1), ranges, 5000)
	if len(all[0]) != 100 || len(all[3]) != 900 || all[0][0] != 10 || all[3][899] != 904 {
		t.Errorf("n over the total: want every offset, got %d and %d", len(all[0]), len(all[3]))
	}
}

func TestLabelled(t *testing.T) {
	key := []byte(`"label"`)
	for _, c := range []struct{ in, want string }{
		{`{"id":"1","text":"x"}`, `{"label":"","id":"1","text":"x"}`},
		{` {}` + "\n", `{"label":""}`},
		{`{ }`, `{"label":"" }`},
		{`{"label":"on-topic","id":"2"}`, `{"label":"on-topic","id":"2"}`}, // labelled already
		{`{"a":{"label":1}}`, `{"label":"","a":{"label":1}}`},              // not at the top
	} {
		got, ok := labelled([]byte(c.in), "label", key)
		if !ok || string(got) != c.want+"\n" {
			t.Errorf("%q: %q %v, want %q", c.in, got, ok, c.want)
		}
	}
	for _, in := range []string{`[1]`, `not json`, `{"a":`, ``, `"{}"`} {
		if _, ok := labelled([]byte(in), "label", key); ok {
			t.Errorf("%q: taken as a JSON object", in)
		}
	}
}

// TestSampleCommand draws samples of a topic on a real broker, as an
// operator does before labelling them for rules eval: uniform, the same for
// a seed, every message when asked for more than the topic holds, messages
// that are not JSON objects left out and counted, and then the labelled
// sample measured.
func TestSampleCommand(t *testing.T) {
	kafkaAddr, _, id, _ := pipelineFixture(t, "sample")
	topic := "sample-" + id
	dropTopicsAtEnd(t, []string{kafkaAddr}, topic)
	var msgs []kafka.Message
	ids := map[string]bool{}
	for i := range 60 {
		v := fmt.Sprintf(`{"id":"%d","created_at":"%s","text":"post %d %s"}`, i, time.Now().UTC().Format(time.RFC3339), i, []string{"sismo fuerte", "buenos días"}[i%2])
		switch {
		case i%20 == 7:
			v = "not json " + strconv.Itoa(i)
		case i == 8:
			v = `{"id":"8","text":"sismo ya","label":"on-topic"}`
			ids["8"] = true
		default:
			ids[strconv.Itoa(i)] = true
		}
		msgs = append(msgs, kafka.Message{Key: []byte(strconv.Itoa(i)), Value: []byte(v)})
	}
	w := &kafka.Writer{Addr: kafka.TCP(kafkaAddr), Topic: topic, Balancer: &kafka.RoundRobin{}, BatchTimeout: 5 * time.Millisecond, RequiredAcks: kafka.RequireAll}
	if err := w.WriteMessages(t.Context(), msgs...); err != nil {
		t.Fatal(err)
	}
	w.Close()
	args := []string{"sample", "--kafka-brokers", kafkaAddr, "--topic", topic}
	read := func(out string) []map[string]any {
		t.Helper()
		var posts []map[string]any
		for line := range strings.Lines(out) {
			var p map[string]any
			if err := json.Unmarshal([]byte(line), &p); err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			posts = append(posts, p)
		}
		return posts
	}

	// More than the topic holds: every message, the 3 that are not JSON
	// objects left out and counted, one labelled already kept as it is.
	out, errOut, status := earshot(t, "", append(args, "--n", "100", "--since", "0")...)
	posts := read(out)
	if status != 0 || len(posts) != 57 || !strings.Contains(errOut, "sampled 57 of the 60 messages of "+topic+" (all Kafka keeps) (3 sampled messages were not JSON objects: left out)") {
		t.Fatalf("status %d, %d posts\n%s", status, len(posts), errOut)
	}
	got := map[string]bool{}
	for _, p := range posts {
		got[p["id"].(string)] = true
		if want := map[bool]string{true: "on-topic", false: ""}[p["id"] == "8"]; p["label"] != want {
			t.Errorf("post %v: label %q, want %q", p["id"], p["label"], want)
		}
	}
	if !reflect.DeepEqual(got, ids) {
		t.Errorf("ids %v, want %v", got, ids)
	}

	// A sample of 10, the same for a seed, another for another seed; to a file.
	a, errA, _ := earshot(t, "", append(args, "--n", "10", "--since", "1h")...)
	b, _, _ := earshot(t, "", append(args, "--n", "10", "--since", "1h")...)
	c, _, _ := earshot(t, "", append(args, "--n", "10", "--since", "1h", "--seed", "7")...)
	if a != b || a == c || !strings.Contains(errA, "of the 60 messages of "+topic+" written since") {
		t.Errorf("seeded samples: same seed equal %v, other seed equal %v\n%s", a == b, a == c, errA)
	}
	if n := len(read(a)); n < 7 || n > 10 {
		t.Errorf("a sample of 10: %d posts (3 of 60 messages are not JSON)", n)
	}
	file := filepath.Join(t.TempDir(), "sample.jsonl")
	if _, errOut, status := earshot(t, "", append(args, "--n", "10", "--since", "1h", "--out", file)...); status != 0 || !strings.Contains(errOut, "--input "+file) {
		t.Fatalf("--out: status %d\n%s", status, errOut)
	}
	if data, _ := os.ReadFile(file); string(data) != a {
		t.Errorf("--out wrote\n%s\nnot\n%s", data, a)
	}

	// Labelled, the sample is what rules eval measures: the 30 posts with
	// sismo relevant (one of them labelled already), the others not.
	var lines []string
	for line := range strings.Lines(out) {
		label := `"label":"off-topic"`
		if strings.Contains(line, "sismo") {
			label = `"label":"on-topic"`
		}
		lines = append(lines, strings.Replace(line, `"label":""`, label, 1))
	}
	rules := writeFile(t, "rules.txt", "sismo\n")
	out, errOut, status = earshot(t, strings.Join(lines, ""), "rules", "eval", rules, "--input", "-", "--json")
	if r := readEval(t, out); status != 0 || r.Posts != 57 || r.Relevant != 30 || r.All.Matched != 30 || r.All.Relevant != 30 {
		t.Errorf("rules eval of the labelled sample: status %d, %+v\n%s", status, r, errOut)
	}

	if _, errOut, status := earshot(t, "", append(args, "--n", "0")...); status != 2 || !strings.Contains(errOut, "--n: want 1 or more") {
		t.Errorf("--n 0: status %d\n%s", status, errOut)
	}
	if _, errOut, status := earshot(t, "", "sample", "--kafka-brokers", kafkaAddr, "--topic", topic+"-none"); status != 1 || !strings.Contains(errOut, topic+"-none") {
		t.Errorf("no such topic: status %d\n%s", status, errOut)
	}
}

// FuzzLabelled: whatever a topic holds, a message taken is a JSON object
// with the label field, and its other fields are the message's.
func FuzzLabelled(f *testing.F) {
	for _, s := range []string{`{"id":"1"}`, `{}`, ` { "label" : 3 } `, `{"a":[1,{"label":""}]}`, `[]`, `{"a":`, "{\"\xff\":1}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, value []byte) {
		out, ok := labelled(value, "label", []byte(`"label"`))
		var in map[string]json.RawMessage
		if isObj := json.Unmarshal(bytes.TrimSpace(value), &in) == nil && bytes.HasPrefix(bytes.TrimSpace(value), []byte("{")); ok != isObj {
			t.Fatalf("%q: taken %v, a JSON object %v", value, ok, isObj)
		}
		if !ok {
			return
		}
		var got map[string]json.RawMessage
		if err := json.Unmarshal(out, &got); err != nil || !bytes.HasSuffix(out, []byte("\n")) {
			t.Fatalf("%q → %q: %v", value, out, err)
		}
		if _, had := in["label"]; !had {
			if string(got["label"]) != `""` {
				t.Fatalf("%q → %q: label %s", value, out, got["label"])
			}
			delete(got, "label")
		}
		if len(got) != len(in) {
			t.Fatalf("%q → %q: fields changed", value, out)
		}
	})
}
