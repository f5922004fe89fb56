package post

import (
	"bytes"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
	"unsafe"
)

// fastCases are messages for the differential tests: take says whether
// decodeFast must take the message (else it must leave it to decodeTree).
var fastCases = []struct {
	name string
	msg  string
	take bool
}{
	{"full", full, true},
	{"minimal", `{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"hola"}`, true},
	{"nulls", `{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"x","lang":null,"source":null,"repost_of":null,
		"author":{"id":null,"handle":null,"followers":null,"created_at":null,"verified":null,"location":null,"bio":null},
		"geo":null,"place":{"name":null,"country_code":null,"bbox":null}}`, true},
	{"author null", `{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"x","author":null,"place":null}`, true},
	{"escapes", `{"id":"a\"b","created_at":"2026-11-22T10:00:00.5+02:00","text":"l\u00ednea\n\ttab \\ \/ \ud83d\ude00 \"q\" \b\f\r"}`, true},
	{"numeric id", `{"id":1852345678901234567,"created_at":"2026-11-22T10:00:00Z","text":"x","repost_of":0}`, true},
	{"empty optional ids", `{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"x","repost_of":"","author":{"id":""}}`, true},
	{"unknown fields", `{"id":"1","x":{"a":[1,2.5e-3,{"b":[true,false,null,"s\"\\"]},[]],"c":{}},"created_at":"2026-11-22T10:00:00Z",
		"text":"x","author":{"id":"9","extra":[{"k":-0.0}],"followers":1e3},"geo":{"lat":19.4,"lon":-99.1,"alt":2240},
		"place":{"name":"CDMX","country_code":"mx","bbox":[-99.3,19.0,-98.9,19.6],"type":"city"}}`, true},
	{"whitespace", " \t\r\n{ \"id\" : \"1\" , \"created_at\" :\"2026-11-22T10:00:00Z\",\n\"text\" : \"x\" } \n", true},
	{"long text", `{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"` + strings.Repeat("terremoto en Chile ", 200) + `"}`, true},
	{"truncated strings", `{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"x","lang":"` + strings.Repeat("é", 30) + `"}`, true},

	{"every string", `{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"x","lang":"es","source":"xx","repost_of":"2",
		"reply_to":"3","quote_of":"4","author":{"id":"5","handle":"ana","location":"Lima","bio":"hola"},
		"place":{"name":"Lima","country_code":"pe"}}`, true},

	{"every string and a repeated one", `{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"x","lang":"es","source":"xx",
		"repost_of":"2","reply_to":"3","quote_of":"4","author":{"id":"5","handle":"ana","location":"Lima","bio":"hola"},
		"place":{"name":"Lima","country_code":"pe"},"quote_of":"6"}`, false},
	{"missing id", `{"created_at":"2026-11-22T10:00:00Z","text":"x"}`, false},
	{"empty id", `{"id":"","created_at":"2026-11-22T10:00:00Z","text":"x"}`, false},
	{"control in id", `{"id":"a\u0001","created_at":"2026-11-22T10:00:00Z","text":"x"}`, false},
	{"negative id", `{"id":-1,"created_at":"2026-11-22T10:00:00Z","text":"x"}`, false},
	{"id 1e5", `{"id":1e5,"created_at":"2026-11-22T10:00:00Z","text":"x"}`, false},
	{"id 01 (fastjson takes it)", `{"id":01,"created_at":"2026-11-22T10:00:00Z","text":"x"}`, false},
	{"missing time", `{"id":"1","text":"x"}`, false},
	{"null time", `{"id":"1","created_at":null,"text":"x"}`, false},
	{"epoch time", `{"id":"1","created_at":1795000000000,"text":"x"}`, false},
	{"bad time", `{"id":"1","created_at":"yesterday","text":"x"}`, false},
	{"time out of range", `{"id":"1","created_at":"1999-01-01T00:00:00Z","text":"x"}`, false},
	{"null text", `{"id":"1","created_at":"2026-11-22T10:00:00Z","text":null}`, false},
	{"repeated text", `{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"a","text":"b"}`, false},
	{"escaped key", `{"id":"1","created_at":"2026-11-22T10:00:00Z","t\u0065xt":"x"}`, false},
	{"lone surrogate", `{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"\ud800x"}`, false},
	{"unknown escape", `{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"\q"}`, false},
	{"count as string", `{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"x","author":{"followers":"1200"}}`, false},
	{"negative count", `{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"x","author":{"followers":-3}}`, false},
	{"bad country", `{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"x","place":{"country_code":"mex"}}`, false},
	{"geo 0,0", `{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"x","geo":{"lat":0,"lon":0}}`, false},
	{"geo as strings", `{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"x","geo":{"lat":"19.4","lon":"-99.1"}}`, false},
	{"bbox of 3", `{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"x","place":{"bbox":[1,2,3]}}`, false},
	{"lang a number", `{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"x","lang":5}`, false},
	{"author a string", `{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"x","author":"ana"}`, false},
	{"tail", `{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"x"} {}`, false},
	{"trailing comma", `{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"x",}`, false},
	{"array", `[1]`, false},
	{"deep", `{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"x","d":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, false},
}

// TestDecodeFast: the fast path takes the common messages and leaves the
// others, and on what it takes it decodes what decodeTree does.
func TestDecodeFast(t *testing.T) {
	d := NewDecoder(Limits{})
	for _, c := range fastCases {
		var fast Post
		fast.Reset()
		took := d.decodeFast([]byte(c.msg), &fast, false)
		if took != c.take {
			t.Errorf("%s: decodeFast took it: %v, want %v", c.name, took, c.take)
			continue
		}
		if took {
			sameAsTree(t, d, []byte(c.msg), &fast)
		}
	}
	// created_at is optional for `earshot rules test`.
	opt := NewDecoder(Limits{OptionalTime: true})
	for _, msg := range []string{`{"id":"1","text":"x"}`, `{"id":"1","created_at":null,"text":"x"}`} {
		var p Post
		p.Reset()
		if !opt.decodeFast([]byte(msg), &p, false) {
			t.Errorf("%s with the time optional: not taken", msg)
			continue
		}
		sameAsTree(t, opt, []byte(msg), &p)
	}
}

// sameAsTree fails unless decodeTree accepts msg and decodes fast.
func sameAsTree(t *testing.T, d *Decoder, msg []byte, fast *Post) {
	t.Helper()
	var tree Post
	tree.Reset()
	if err := d.decodeTree(msg, &tree); err != nil {
		t.Fatalf("decodeFast took %q, decodeTree rejects it: %v", msg, err)
	}
	if !reflect.DeepEqual(*fast, tree) {
		t.Fatalf("%q:\nfast %+v\ntree %+v", msg, *fast, tree)
	}
}

// FuzzDecodeFast holds decodeFast to decodeTree on every message it takes.
func FuzzDecodeFast(f *testing.F) {
	for _, c := range fastCases {
		f.Add([]byte(c.msg))
	}
	decs := []*Decoder{NewDecoder(Limits{}), NewDecoder(Limits{OptionalTime: true, MaxTextBytes: 64, MaxIDBytes: 4})}
	f.Fuzz(func(t *testing.T, msg []byte) {
		if len(msg) == 0 || !utf8.Valid(msg) {
			return // Decode rejects these before either path
		}
		for _, d := range decs {
			var fast Post
			fast.Reset()
			if d.decodeFast(msg, &fast, false) {
				sameAsTree(t, d, msg, &fast)
			}
			sameDeferred(t, d, msg)
		}
	})
}

// sameDeferred fails unless DecodeDeferred then CompleteAuthor gives what
// Decode does, reject or post.
func sameDeferred(t *testing.T, d *Decoder, msg []byte) {
	t.Helper()
	var whole, later Post
	errWhole := d.Decode(msg, &whole)
	errLater := d.DecodeDeferred(msg, &later)
	if !reflect.DeepEqual(errWhole, errLater) {
		t.Fatalf("%q: Decode: %v, DecodeDeferred: %v", msg, errWhole, errLater)
	}
	if errWhole != nil {
		return
	}
	later.CompleteAuthor()
	later.CompleteAuthor() // a second call changes nothing
	if !reflect.DeepEqual(whole, later) {
		t.Fatalf("%q:\nDecode                       %+v\nDecodeDeferred+CompleteAuthor %+v", msg, whole, later)
	}
}

// TestDecodeDeferred: the author read later is the author read at once,
// warnings included, and the posts the fast path takes defer it.
func TestDecodeDeferred(t *testing.T) {
	d := NewDecoder(Limits{})
	msgs := []string{
		`{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"x","author":{"id":"9","created_at":"yesterday","followers":5,"handle":7}}`,
		`{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"x","author":{"id":"9","id":"10","verified":true}}`,
		`{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"x","author":{"followers":"12"}}`,
		`{"id":"1","created_at":"2026-11-22T10:00:00Z","text":"x","author":{"id":"9","location":"Lima"},"place":{"country_code":"xx1"}}`,
	}
	for _, c := range fastCases {
		msgs = append(msgs, c.msg)
	}
	for _, m := range msgs {
		sameDeferred(t, d, []byte(m))
	}
	var p Post
	if err := d.DecodeDeferred([]byte(full), &p); err != nil {
		t.Fatal(err)
	}
	if p.Author.Handle != "" || p.Author.Followers != 1200 || !p.Author.Verified {
		t.Errorf("DecodeDeferred of a full post: author %+v, want only followers and verified", p.Author)
	}
	p.CompleteAuthor()
	if p.Author.Handle != "ana" || p.Author.Location != "Ciudad de México" {
		t.Errorf("after CompleteAuthor: author %+v", p.Author)
	}
}

// TestDecodeOwnsStrings: Decode's post's strings are not views of the
// message; DecodeDeferred's are, but for those it unescaped, and its post
// is Decode's while the message stays as it was.
func TestDecodeOwnsStrings(t *testing.T) {
	var want Post
	if err := NewDecoder(Limits{}).Decode([]byte(full), &want); err != nil {
		t.Fatal(err)
	}
	d := NewDecoder(Limits{})
	msg := []byte(full)
	var p Post
	if err := d.Decode(msg, &p); err != nil {
		t.Fatal(err)
	}
	for i := range msg {
		msg[i] = 'z'
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("Decode: the post changed with its message: %+v", p)
	}

	escaped := strings.Replace(full, `"text":"`, `"text":"\u00a1`, 1)
	for _, m := range []string{full, escaped} {
		msg := []byte(m)
		if err := d.DecodeDeferred(msg, &p); err != nil {
			t.Fatal(err)
		}
		p.CompleteAuthor()
		var want Post
		if err := NewDecoder(Limits{}).Decode([]byte(m), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p, want) {
			t.Errorf("DecodeDeferred: %+v, want %+v", p, want)
		}
		in := func(s string) bool {
			_, ok := within(msg, unsafe.Slice(unsafe.StringData(s), len(s)))
			return ok
		}
		for name, s := range map[string]string{"id": p.ID, "lang": p.Lang, "handle": p.Author.Handle, "location": p.Author.Location, "place": p.Place.Name} {
			if !in(s) {
				t.Errorf("DecodeDeferred: %s %q is a copy, not a view of the message", name, s)
			}
		}
		if in(p.Text) == (m == escaped) {
			t.Errorf("DecodeDeferred: text %q a view of the message: %v, with an escape: %v", p.Text, in(p.Text), m == escaped)
		}
		// Own detaches them: the message may change then.
		p.Own()
		for _, s := range []string{p.ID, p.Text, p.Lang, p.Source, p.Author.ID, p.Author.Handle, p.Author.Location, p.Author.Bio,
			p.Place.Name, p.Place.CountryCode, p.RepostOf} {
			if in(s) {
				t.Errorf("after Own, %q is still a view of the message", s)
			}
		}
		for i := range msg {
			msg[i] = 'z'
		}
		if !reflect.DeepEqual(p, want) {
			t.Errorf("after Own, the post changed with its message: %+v", p)
		}
		if allocs := testing.AllocsPerRun(100, p.Own); allocs != 1 {
			t.Errorf("Own: %v allocations, want 1", allocs)
		}
	}
}

// TestDayTime: a time of the day decodeFast parsed last is the time
// time.Parse reads, and a time in any other form is left to it.
func TestDayTime(t *testing.T) {
	var c day
	c.learn([]byte("2026-11-22T10:00:00Z"), mustTime(t, "2026-11-22T10:00:00Z"))
	for _, s := range []string{"2026-11-22T00:00:00Z", "2026-11-22T23:59:59Z", "2026-11-22T10:00:00.1Z",
		"2026-11-22T10:00:00.123456789Z", "2026-11-22T10:00:00.1234567891234Z", "2026-11-22T07:08:09.000Z"} {
		got, ok := c.time([]byte(s))
		if want := mustTime(t, s); !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v %v, want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"2026-11-23T10:00:00Z", "2026-11-22T10:00:00+02:00", "2026-11-22T24:00:00Z",
		"2026-11-22T10:60:00Z", "2026-11-22T10:00:60Z", "2026-11-22T10:00:00.Z", "2026-11-22T10:00:00,5Z",
		"2026-11-22T1:00:00Z", "2026-11-22T10:00:00z", "2026-11-22T10:00:00", "2026-11-22T10:00:00ZZ", "2026-11-22T"} {
		if got, ok := c.time([]byte(s)); ok {
			t.Errorf("%s: took it as %v", s, got)
		}
	}
	var none day
	if _, ok := none.time([]byte("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x0010:00:00Z")); ok {
		t.Error("a day learnt from no time")
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := timeString([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// FuzzDayTime holds the day's times to time.Parse's.
func FuzzDayTime(f *testing.F) {
	f.Add("2026-11-22T10:00:00Z", "2026-11-22T10:00:00.123Z")
	f.Add("2099-12-31T23:59:59.999999999Z", "2099-12-31T23:59:59.9999999999Z")
	f.Add("2024-02-29T00:00:00Z", "2024-02-29T12:34:56+00:00")
	f.Fuzz(func(t *testing.T, first, next string) {
		var c day
		if v, err := timeString([]byte(first)); err == nil {
			c.learn([]byte(first), v)
		}
		got, ok := c.time([]byte(next))
		if !ok {
			return
		}
		want, err := timeString([]byte(next))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("after %q, %q: %v, time.Parse: %v %v", first, next, got, want, err)
		}
	})
}

// TestFloat: float reads what parseFloat (number, then fastfloat.Parse)
// reads.
func TestFloat(t *testing.T) {
	nums := []string{"0", "-0", "7", "1200", "-99.13", "19.43", "0.5", "-0.000001", "123456789012345",
		"1234567890123456", "12345678.9012345", "1234567.89012345678", "999999999999999", "1e3", "2.5e-3",
		"-1E+2", "1.5e400", "01", "-", "1.", ".5", "1.5.3", "00.1", "-01", "9007199254740993", "0.1234567890123456789"}
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		n := strconv.FormatUint(rnd.Uint64N(1e15), 10)
		if k := rnd.IntN(len(n) + 1); k < len(n) {
			n = n[:k] + "." + n[k:]
		}
		if rnd.IntN(2) == 0 {
			n = "-" + n
		}
		nums = append(nums, n)
	}
	for _, n := range nums {
		for _, tail := range []string{"", ","} {
			s, ref := scanner{b: []byte(n + tail)}, scanner{b: []byte(n + tail)}
			got, ok := s.float()
			want, wantOK := ref.parseFloat()
			if ok != wantOK || ok && (math.Float64bits(got) != math.Float64bits(want) || s.i != ref.i) {
				t.Errorf("%q: %v %v (read %d bytes), parseFloat: %v %v (%d)", n+tail, got, ok, s.i, want, wantOK, ref.i)
			}
		}
	}
}

// strEndRef is strEnd one byte at a time.
func strEndRef(b []byte, i int) (int, bool) {
	esc := false
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			return i + 1, esc
		case '\\':
			esc = true
			i++
		}
	}
	return -1, false
}

// TestStrEnd holds strEnd (eight bytes at a time) to
// the byte loop, on strings of every length up to 80 with quotes and
// backslashes at every place, escaped quotes and runs of backslashes
// among them, and on a long string of escapes (linear, not quadratic).
func TestStrEnd(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte(`ab"\\é`)
	for n := 0; n <= 80; n++ {
		for try := 0; try < 400; try++ {
			b := make([]byte, n)
			for k := range b {
				if r.IntN(8) == 0 {
					b[k] = alphabet[r.IntN(len(alphabet))]
				} else {
					b[k] = 'x'
				}
			}
			for _, start := range []int{0, min(1, n), n / 2} {
				end, esc := strEnd(b, start)
				wantEnd, wantEsc := strEndRef(b, start)
				if end != wantEnd || (end >= 0 && esc != wantEsc) {
					t.Fatalf("strEnd(%q, %d) = %d, %v; want %d, %v", b, start, end, esc, wantEnd, wantEsc)
				}
			}
		}
	}
	long := append(bytes.Repeat([]byte(`\"`), 1<<20), '"')
	if end, esc := strEnd(long, 0); end != len(long) || !esc {
		t.Fatalf("a million escaped quotes: %d, %v; want %d, true", end, esc, len(long))
	}
}
