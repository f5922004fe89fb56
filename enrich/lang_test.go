package enrich

import (
	"strings"
	"testing"
)

// TestDetectTextFields: detectText cuts words as strings.Fields does.
func TestDetectTextFields(t *testing.T) {
	ref := func(s string, maxBytes int) string {
		var b strings.Builder
		for _, w := range strings.Fields(s) {
			if strings.HasPrefix(w, "http") || w[0] == '@' || w[0] == '#' || w == "RT" {
				continue
			}
			if b.Len()+len(w)+1 > maxBytes {
				break
			}
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(w)
		}
		return b.String()
	}
	for _, s := range []string{"", " ", "RT @ana: sismo fuerte https://t.co/x #temblor ya", "a\u00a0b\u3000c\td\ne\u2028f", "\xff x \xfe",
		"word " + strings.Repeat("long ", 60), "  lead and trail  ", "RTX RT rt"} {
		for _, max := range []int{200, 10, 0} {
			if got, want := detectText(s, max), ref(s, max); got != want {
				t.Errorf("detectText(%q, %d) = %q, want %q", s, max, got, want)
			}
		}
	}
}
