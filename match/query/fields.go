package query

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fields are the post attributes field filters test. The zero value of a
// string means unknown, which no filter on it matches (NOT lang:es does).
type Fields struct {
	Lang    string // BCP-47-ish language code as the source gives it ("es", "pt-BR")
	Country string // ISO 3166-1 alpha-2, upper case
	// LangOf and CountryOf, when Lang or Country is empty, are called for
	// it by the first lang: or country: filter evaluated (which then sets
	// the field and clears the function): for a value that costs
	// something to find.
	LangOf, CountryOf func() string

	Source    string // "x", "mastodon", "bluesky", …
	Followers int64  // the author's followers; negative = unknown, matching no author.followers filter
	Verified  bool
	IsRepost  bool
	IsReply   bool
	IsQuote   bool
	HasGeo    bool // the post carries GPS coordinates
	HasLink   bool // the text contains a link

	// Region is the post's first-level region as the pipeline stores it
	// with a mention ("US-TX", "MX-09": the country and the GeoNames admin1
	// code), City its populated place ("Mexico City"). When both are empty
	// and PlaceOf is set, the first region: or city: filter evaluated calls
	// it for them (and clears it): they are found by enrichment.
	Region, City string
	PlaceOf      func() (region, city string)

	// Author is the author's handle as the source gives it (a leading @
	// is ignored), Bio the author's profile description. When both are
	// empty and AuthorOf is set, the first author: or author.bio: filter
	// evaluated calls it for them (and clears it): for an author decoded
	// only when asked.
	Author, Bio string
	AuthorOf    func() (handle, bio string)
}

type fieldKind uint8

const (
	fLang fieldKind = iota
	fCountry
	fSource
	fFollowers
	fVerified
	fIsRepost
	fIsReply
	fHasGeo
	fHasLink
	fIsQuote
	fAuthor
	fBio
	fRegion
	fCity
)

type cmpOp uint8

const (
	cmpEQ cmpOp = iota
	cmpGT
	cmpGE
	cmpLT
	cmpLE
)

var cmpNames = [...]string{cmpEQ: "=", cmpGT: ">", cmpGE: ">=", cmpLT: "<", cmpLE: "<="}

// filter is one compiled field filter.
type filter struct {
	kind fieldKind
	cmp  cmpOp
	num  int64
	str  string // lang (lower case), country (upper case), source (lower case), author (without @)
	b    bool   // author.verified
	// words of an author.bio value, as written; a word of a script
	// written without spaces is matched as a substring (unspaced).
	words    []string
	unspaced []bool
}

const fieldHint = "fields: lang:es, country:MX, region:US-TX, city:\"Mexico City\", source:x, author:handle, author.bio:word, author.followers:>=1000, " +
	"author.verified:true, is:repost, is:reply, is:quote, has:geo, has:link; quote the text to search for it literally"

// parseFilter compiles name:value; off is the byte offset of the name and
// voff that of the value, for error columns.
func parseFilter(name, value string, off, voff int) (filter, *Error) {
	bad := func(msg, hint string) *Error { return &Error{Col: voff + 1, Msg: msg, Hint: hint} }
	if value == "" {
		return filter{}, bad("field "+name+": has no value", fieldHint)
	}
	switch strings.ToLower(name) {
	case "lang":
		if !isLangTag(value) {
			return filter{}, bad(fmt.Sprintf("invalid language %q", value),
				"use a language code such as es, pt or pt-BR")
		}
		return filter{kind: fLang, str: strings.ToLower(value)}, nil
	case "country":
		c := strings.ToUpper(value)
		if !isCountry(c) {
			hint := "use an ISO 3166-1 alpha-2 code such as MX, US, JP, BR, ID"
			if c == "UK" {
				hint = "the ISO code of the United Kingdom is GB"
			}
			return filter{}, bad(fmt.Sprintf("unknown country %q", value), hint)
		}
		return filter{kind: fCountry, str: c}, nil
	case "region":
		r := strings.ToUpper(value)
		if c, code, ok := strings.Cut(r, "-"); !ok || !isCountry(c) || code == "" || len(code) > 3 || strings.IndexFunc(code, func(r rune) bool { return !isAlpha(byte(r)) && !isDigit(byte(r)) || r > 0x7f }) >= 0 {
			return filter{}, bad(fmt.Sprintf("invalid region %q", value),
				"write the country's ISO code, a dash and the region's GeoNames admin1 code, as mentions store it: region:US-TX, region:MX-09")
		}
		return filter{kind: fRegion, str: r}, nil
	case "city":
		if strings.TrimSpace(value) == "" {
			return filter{}, bad("field city: has no value", `write the place's name as mentions store it: city:Tokyo, city:"Mexico City"`)
		}
		return filter{kind: fCity, str: strings.TrimSpace(value)}, nil
	case "source":
		if !isSourceName(value) {
			return filter{}, bad(fmt.Sprintf("invalid source %q", value),
				"use a source name such as x, mastodon or bluesky (letters, digits, . _ -)")
		}
		return filter{kind: fSource, str: strings.ToLower(value)}, nil
	case "author.followers":
		f := filter{kind: fFollowers}
		num := value
		for _, op := range [...]cmpOp{cmpGE, cmpLE, cmpGT, cmpLT, cmpEQ} {
			if s := cmpNames[op]; strings.HasPrefix(value, s) {
				f.cmp, num = op, value[len(s):]
				break
			}
		}
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil || n < 0 || num[0] == '+' {
			return filter{}, bad(fmt.Sprintf("invalid follower count %q", value),
				"compare with a whole number: author.followers:>=1000 (operators > >= < <= =)")
		}
		f.num = n
		return f, nil
	case "author.verified":
		switch strings.ToLower(value) {
		case "true":
			return filter{kind: fVerified, b: true}, nil
		case "false":
			return filter{kind: fVerified, b: false}, nil
		}
		return filter{}, bad(fmt.Sprintf("invalid value %q for author.verified", value), "write author.verified:true or author.verified:false")
	case "is":
		switch strings.ToLower(value) {
		case "repost":
			return filter{kind: fIsRepost}, nil
		case "reply":
			return filter{kind: fIsReply}, nil
		case "quote":
			return filter{kind: fIsQuote}, nil
		}
		return filter{}, bad(fmt.Sprintf("unknown value %q for is:", value), "valid: is:repost, is:reply, is:quote")
	case "author", "author.handle":
		h := strings.TrimPrefix(value, "@")
		if !isHandle(h) {
			return filter{}, bad(fmt.Sprintf("invalid handle %q", value),
				"write the author's handle as the network shows it, with or without @: author:usgs_quakes, author:@user@mastodon.social")
		}
		return filter{kind: fAuthor, str: h}, nil
	case "author.bio":
		f := filter{kind: fBio}
		for i := 0; ; {
			a, b := nextWord(value, i)
			if a < 0 {
				break
			}
			w := value[a:b]
			r, _ := utf8.DecodeRuneInString(w)
			f.words = append(f.words, w)
			f.unspaced = append(f.unspaced, wordClass(r) == wcUnspaced)
			i = b
		}
		if len(f.words) == 0 {
			return filter{}, bad(fmt.Sprintf("no word in %q", value),
				`search the bio for a word or a quoted phrase: author.bio:journalist, author.bio:"civil engineer"`)
		}
		return f, nil
	case "has":
		switch strings.ToLower(value) {
		case "geo":
			return filter{kind: fHasGeo}, nil
		case "link":
			return filter{kind: fHasLink}, nil
		}
		return filter{}, bad(fmt.Sprintf("unknown value %q for has:", value), "valid: has:geo, has:link")
	}
	return filter{}, &Error{Col: off + 1, Msg: fmt.Sprintf("unknown field %q", name), Hint: fieldHint}
}

// flag returns the boolean field of kind k, or nil for another kind: for
// the satisfiability search and the trace. match reads the fields itself:
// through flag, BenchmarkEval/3 took 6% longer.
func (f *Fields) flag(k fieldKind) *bool {
	switch k {
	case fVerified:
		return &f.Verified
	case fIsRepost:
		return &f.IsRepost
	case fIsReply:
		return &f.IsReply
	case fIsQuote:
		return &f.IsQuote
	case fHasGeo:
		return &f.HasGeo
	case fHasLink:
		return &f.HasLink
	}
	return nil
}

// match reports whether f satisfies the filter.
func (x *filter) match(f *Fields) bool {
	switch x.kind {
	case fLang:
		if f.Lang == "" && f.LangOf != nil {
			f.Lang, f.LangOf = f.LangOf(), nil
		}
		l := f.Lang
		if len(l) > len(x.str) && l[len(x.str)] == '-' && strings.IndexByte(x.str, '-') < 0 {
			l = l[:len(x.str)] // lang:pt matches pt-BR
		}
		return strings.EqualFold(l, x.str)
	case fCountry:
		if f.Country == "" && f.CountryOf != nil {
			f.Country, f.CountryOf = f.CountryOf(), nil
		}
		return strings.EqualFold(f.Country, x.str)
	case fSource:
		return strings.EqualFold(f.Source, x.str)
	case fRegion, fCity:
		if f.Region == "" && f.City == "" && f.PlaceOf != nil {
			f.Region, f.City = f.PlaceOf()
			f.PlaceOf = nil
		}
		if x.kind == fRegion {
			return strings.EqualFold(f.Region, x.str)
		}
		return strings.EqualFold(f.City, x.str)
	case fFollowers:
		n := f.Followers
		if n < 0 {
			return false
		}
		switch x.cmp {
		case cmpGT:
			return n > x.num
		case cmpGE:
			return n >= x.num
		case cmpLT:
			return n < x.num
		case cmpLE:
			return n <= x.num
		}
		return n == x.num
	case fVerified:
		return f.Verified == x.b
	case fIsRepost:
		return f.IsRepost
	case fIsReply:
		return f.IsReply
	case fHasGeo:
		return f.HasGeo
	case fHasLink:
		return f.HasLink
	case fIsQuote:
		return f.IsQuote
	case fAuthor, fBio:
		if f.Author == "" && f.Bio == "" && f.AuthorOf != nil {
			f.Author, f.Bio = f.AuthorOf()
			f.AuthorOf = nil
		}
		if x.kind == fAuthor {
			return f.Author != "" && strings.EqualFold(strings.TrimPrefix(f.Author, "@"), x.str)
		}
		return x.inBio(f.Bio)
	}
	return false
}

// inBio reports whether the filter's words occur one after another among
// bio's words, case-insensitively; a word of a script without spaces needs
// only to occur inside one of bio's.
func (x *filter) inBio(bio string) bool {
	for a, b := nextWord(bio, 0); a >= 0; a, b = nextWord(bio, b) {
		if x.wordsFrom(bio, a, b) {
			return true
		}
	}
	return false
}

// wordsFrom reports whether the filter's words are bio's from its word at
// [a, b) on.
func (x *filter) wordsFrom(bio string, a, b int) bool {
	for k, w := range x.words {
		if k > 0 {
			a, b = nextWord(bio, b)
		}
		if a < 0 {
			return false
		}
		if x.unspaced[k] && !strings.Contains(bio[a:b], w) || !x.unspaced[k] && !strings.EqualFold(bio[a:b], w) {
			return false
		}
	}
	return true
}

// nextWord returns the bounds of the first word of s at or after byte i, as
// the rules count words (wordClass: a run of letters, digits and '_' of one
// script class, marks and format characters inside it); a < 0 when there
// is none.
func nextWord(s string, i int) (a, b int) {
	a, cls := -1, wcNone
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch c := wordClass(r); {
		case c == wcMark || c == wcIgnore: // inside a word, or nothing
		case c == wcNone:
			if a >= 0 {
				return a, i
			}
		case a < 0:
			a, cls = i, c
		case c != cls:
			return a, i
		}
		i += n
	}
	if a < 0 {
		return -1, -1
	}
	return a, len(s)
}

// isHandle accepts what networks use in handles: letters, digits and
// . _ - @ (user@instance on Mastodon), 1 to 256 bytes.
func isHandle(h string) bool {
	if h == "" || len(h) > 256 {
		return false
	}
	for _, r := range h {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' && r != '_' && r != '-' && r != '@' {
			return false
		}
	}
	return true
}

// String renders the filter in canonical form.
func (x *filter) String() string {
	switch x.kind {
	case fLang:
		return "lang:" + x.str
	case fCountry:
		return "country:" + x.str
	case fSource:
		return "source:" + x.str
	case fRegion:
		return "region:" + x.str
	case fCity:
		if strings.IndexFunc(x.str, func(r rune) bool { return isDelim(r) || r == ':' }) >= 0 {
			return `city:"` + x.str + `"`
		}
		return "city:" + x.str
	case fFollowers:
		op := cmpNames[x.cmp]
		return "author.followers:" + op + strconv.FormatInt(x.num, 10)
	case fVerified:
		return "author.verified:" + strconv.FormatBool(x.b)
	case fIsRepost:
		return "is:repost"
	case fIsReply:
		return "is:reply"
	case fHasGeo:
		return "has:geo"
	case fHasLink:
		return "has:link"
	case fIsQuote:
		return "is:quote"
	case fAuthor:
		return "author:" + x.str
	case fBio:
		if len(x.words) == 1 {
			return "author.bio:" + x.words[0]
		}
		return `author.bio:"` + strings.Join(x.words, " ") + `"`
	}
	return "?"
}

func isAlpha(c byte) bool { c |= 0x20; return c >= 'a' && c <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isLangTag accepts a primary language subtag of 2–3 letters followed by
// optional subtags of 1–8 letters or digits: es, fil, pt-BR, zh-Hant-TW.
func isLangTag(s string) bool {
	parts := strings.Split(s, "-")
	if n := len(parts[0]); n < 2 || n > 3 {
		return false
	}
	for i, p := range parts {
		if len(p) == 0 || len(p) > 8 {
			return false
		}
		for j := 0; j < len(p); j++ {
			if !isAlpha(p[j]) && (i == 0 || !isDigit(p[j])) {
				return false
			}
		}
	}
	return true
}

func isSourceName(s string) bool {
	if len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !isDigit(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// countries lists the officially assigned ISO 3166-1 alpha-2 codes, plus XK
// (Kosovo), which geocoders and social networks use.
const countries = "" +
	"AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ " +
	"BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ " +
	"DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY " +
	"HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY " +
	"MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ " +
	"NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY " +
	"QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ " +
	"TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ " +
	"VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW"

func isCountry(c string) bool {
	if len(c) != 2 || !isAlpha(c[0]) || !isAlpha(c[1]) {
		return false
	}
	for i := 0; i+2 <= len(countries); i += 3 {
		if countries[i:i+2] == c {
			return true
		}
	}
	return false
}
