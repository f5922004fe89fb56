package firehose

import (
	"strings"
	"testing"
)

func TestRuleTags(t *testing.T) {
	for term, want := range map[string]string{
		"sismo": "disaster es", "地震": "disaster ja zh", "#terremoto": "disaster it", "竜巻": "disaster ja",
		`"red light flashing"`: "support en", "#outage": "support en", "#blackfriday": "brand", "xbox": "brand",
		Rules(400)[399]: "brand", // synthetic
	} {
		if got := strings.Join(RuleTags(term), " "); got != want {
			t.Errorf("RuleTags(%q) = %q, want %q", term, got, want)
		}
	}
}
