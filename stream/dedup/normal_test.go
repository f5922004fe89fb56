package dedup

import (
	"math/rand/v2"
	"testing"
	"unicode"
	"unicode/utf8"
)

// refAppendNormal is AppendNormal as first written, rune by rune: the
// reference the faster one is held to.
func refAppendNormal(dst, text []byte) []byte {
	base := len(dst)
	first := true
	for len(text) > 0 {
		r, n := utf8.DecodeRune(text)
		if r < utf8.RuneSelf && asciiSpace[text[0]] || r >= utf8.RuneSelf && unicode.IsSpace(r) {
			text = text[n:]
			continue
		}
		end := 0
		for end < len(text) {
			r, n := utf8.DecodeRune(text[end:])
			if r < utf8.RuneSelf && asciiSpace[text[end]] || r >= utf8.RuneSelf && unicode.IsSpace(r) {
				break
			}
			end += n
		}
		word := text[:end]
		text = text[end:]
		wasFirst := first
		first = false
		switch {
		case word[0] == '@', hasPrefixFold(word, "http://"), hasPrefixFold(word, "https://"):
			continue
		case wasFirst && len(word) == 2 && (word[0]|0x20) == 'r' && (word[1]|0x20) == 't':
			continue
		}
		if len(dst) > base {
			dst = append(dst, ' ')
		}
		for i := 0; i < len(word); {
			c := word[i]
			if c < utf8.RuneSelf {
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				dst = append(dst, c)
				i++
				continue
			}
			r, n := utf8.DecodeRune(word[i:])
			if r == utf8.RuneError && n == 1 {
				dst = append(dst, c)
			} else {
				dst = utf8.AppendRune(dst, unicode.ToLower(r))
			}
			i += n
		}
	}
	return dst
}

func TestAppendNormalEqualsRef(t *testing.T) {
	parts := []string{"RT", "rt", "@ana:", "Sismo", "FUERTE", "https://t.co/x", "HTTP://X", "http", "ÉCOLE", "\u3000", "\u00a0", " ", "  ",
		"\t", "\n", "\xff", "\xe2\x80", "İstanbul", "ΣΕΙΣΜΟΣ", "地震", "😂", "x_y", "a", "\u2028", "\u0085", ".", "#tag"}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 20000; n++ {
		var text []byte
		for k := rng.IntN(12); k >= 0; k-- {
			text = append(text, parts[rng.IntN(len(parts))]...)
			if rng.IntN(3) > 0 {
				text = append(text, ' ')
			}
		}
		if got, want := AppendNormal([]byte("x"), text), refAppendNormal([]byte("x"), text); string(got) != string(want) {
			t.Fatalf("AppendNormal(%q) = %q, want %q", text, got, want)
		}
	}
}

func FuzzAppendNormalEqualsRef(f *testing.F) {
	for _, s := range []string{"RT @ana: Sismo https://t.co/x", "ÉCOLE\u3000x", "\xff\xfe", "rt", "@", "http://", "a\u00a0b\u0085c"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		if got, want := AppendNormal(nil, text), refAppendNormal(nil, text); string(got) != string(want) {
			t.Fatalf("AppendNormal(%q) = %q, want %q", text, got, want)
		}
	})
}
