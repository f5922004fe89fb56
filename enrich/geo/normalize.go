package geo

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// appendKey appends the lookup key of name to dst: compatibility-decomposed
// (NFKD: full-width forms, ligatures), Latin/Greek/Cyrillic diacritics
// removed (U+0300–U+036F), lower-cased, dots and apostrophes dropped
// ("L.A." → "la", "Hawai'i" → "hawaii"), every other punctuation or symbol
// turned into a space, runs of spaces collapsed. Gazetteer names and
// profile strings go through the same function, so "SÃO PAULO",
// "Sao Paulo" and "são paulo" meet.
func appendKey(dst []byte, name string) []byte {
	start := len(dst)
	space := true // suppress leading spaces
	var it norm.Iter
	it.InitString(norm.NFKD, name)
	for !it.Done() {
		seg := it.Next()
		for len(seg) > 0 {
			r, n := utf8.DecodeRune(seg)
			seg = seg[n:]
			switch {
			case r >= 0x300 && r <= 0x36f:
				continue
			case r == '.' || r == '\'' || r == '’' || r == '`' || r == 'ʻ' || r == 'ʼ' || r == '´':
				continue
			case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r):
				switch r {
				case 'ß':
					dst = append(dst, "ss"...)
				case 'ı', 'İ':
					dst = append(dst, 'i')
				case 'ł', 'Ł':
					dst = append(dst, 'l')
				case 'ø', 'Ø':
					dst = append(dst, 'o')
				case 'đ', 'Đ':
					dst = append(dst, 'd')
				case 'æ', 'Æ':
					dst = append(dst, "ae"...)
				default:
					dst = utf8.AppendRune(dst, unicode.ToLower(r))
				}
				space = false
			default:
				if !space {
					dst = append(dst, ' ')
					space = true
				}
			}
		}
	}
	if len(dst) > start && dst[len(dst)-1] == ' ' {
		dst = dst[:len(dst)-1]
	}
	return dst
}

// key returns appendKey's result as a string.
func key(name string) string { return string(appendKey(nil, name)) }

// isUnspaced reports whether r belongs to a script written without spaces
// between words (Han, Kana, Hangul used in compact addresses, Thai), where
// a profile string is scanned for known names instead of split into words.
func isUnspaced(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r) ||
		unicode.Is(unicode.Thai, r)
}
