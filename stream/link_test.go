package stream

import (
	"strings"
	"testing"
)

func FuzzTextHasLink(f *testing.F) {
	for _, s := range []string{"", "http", "https:/", "see http://x", "httphttps://x", "hhttps://", "HTTP://x",
		"sismo https://t.co/abc #temblor", "http:/ https://", "xhttp://", "https", "httpss://"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := strings.Contains(s, "http://") || strings.Contains(s, "https://")
		if got := textHasLink(s); got != want {
			t.Fatalf("textHasLink(%q) = %v, want %v", s, got, want)
		}
	})
}

func BenchmarkTextHasLink(b *testing.B) {
	text := "Sismo fuerte en CDMX ahora mismo, todos salimos a la calle #temblor @ana que miedo 😱😱"
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		textHasLink(text)
	}
}
