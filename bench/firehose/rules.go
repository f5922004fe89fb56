package firehose

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// keyword is a built-in listening keyword and the language whose posts it is
// planted into by preference ("" for brand-like terms used everywhere; for
// CJK terms "ja", "zh" or "ja zh").
type keyword struct {
	term string
	lang string
}

// keywords are the real keywords Rules returns first. The earthquake family
// of DefaultBurst comes first so that even a short list contains it. None of
// their words may occur in the background vocabularies (see lexicon.go);
// TestDisjoint enforces it.
var keywords = []keyword{
	{"sismo", "es"}, {"temblor", "es"}, {"terremoto", "es"}, {"earthquake", "en"}, {"#sismo", "es"},
	{"地震", "ja zh"}, {"地震だ", "ja"}, {"gempa", "id"}, {"tsunami", "en"}, {"#temblor", "es"},
	{"quake", "en"}, {"aftershock", "en"}, {"epicenter", "en"}, {"magnitude", "en"}, {"tremor", "en"},
	{"#earthquake", "en"}, {"flood", "en"}, {"flooding", "en"}, {`"flash flood"`, "en"},
	{"wildfire", "en"}, {"bushfire", "en"}, {"hurricane", "en"}, {"typhoon", "en"}, {"cyclone", "en"},
	{"tornado", "en"}, {"landslide", "en"}, {"mudslide", "en"}, {"eruption", "en"}, {"volcano", "en"},
	{"evacuation", "en"}, {"evacuate", "en"}, {"explosion", "en"}, {"blackout", "en"},
	{`"power outage"`, "en"}, {"outage", "en"}, {`"gas leak"`, "en"}, {`"state of emergency"`, "en"},
	{`"active shooter"`, "en"}, {"heatwave", "en"}, {"drought", "en"}, {"blizzard", "en"},
	{"avalanche", "en"}, {`"storm surge"`, "en"}, {"hailstorm", "en"}, {"storm", "en"},
	{"inundación", "es"}, {"inundaciones", "es"}, {"incendio", "es"}, {`"incendio forestal"`, "es"},
	{"huracán", "es"}, {"tormenta", "es"}, {"apagón", "es"}, {"evacuación", "es"}, {"derrumbe", "es"},
	{"deslave", "es"}, {"erupción", "es"}, {"volcán", "es"}, {"explosión", "es"},
	{`"alerta sísmica"`, "es"}, {"#alertasismica", "es"}, {"damnificados", "es"}, {"sismológico", "es"},
	{"inundação", "pt"}, {"enchente", "pt"}, {"alagamento", "pt"}, {"deslizamento", "pt"},
	{"incêndio", "pt"}, {"queimada", "pt"}, {"tempestade", "pt"}, {"vendaval", "pt"},
	{"desabamento", "pt"}, {`"falta de luz"`, "pt"}, {"#enchente", "pt"}, {"desabrigados", "pt"},
	{`"gempa bumi"`, "id"}, {"banjir", "id"}, {"longsor", "id"}, {`"tanah longsor"`, "id"},
	{"kebakaran", "id"}, {"letusan", "id"}, {"erupsi", "id"}, {`"puting beliung"`, "id"},
	{`"banjir bandang"`, "id"}, {"mengungsi", "id"}, {"pengungsi", "id"}, {"bmkg", "id"},
	{"#gempa", "id"}, {"#banjir", "id"},
	{"alluvione", "it"}, {"esondazione", "it"}, {"frana", "it"}, {"scossa", "it"},
	{`"scossa di terremoto"`, "it"}, {"nubifragio", "it"}, {"grandinata", "it"},
	{`"allerta meteo"`, "it"}, {"sfollati", "it"}, {"crollo", "it"}, {"ingv", "it"}, {"#terremoto", "it"},
	{"津波", "ja"}, {"洪水", "ja zh"}, {"火事", "ja"}, {"火災", "ja"}, {"台風", "ja"}, {"停電", "ja"},
	{"噴火", "ja"}, {"避難", "ja"}, {"余震", "ja zh"}, {"緊急地震速報", "ja"}, {"震度", "ja"},
	{"豪雨", "ja"}, {"竜巻", "ja"},
	{"台风", "zh"}, {"暴雨", "zh"}, {"火灾", "zh"}, {"停电", "zh"}, {"海啸", "zh"}, {"泥石流", "zh"},
	{"山体滑坡", "zh"}, {"救援", "zh"}, {"塌方", "zh"}, {"龙卷风", "zh"},
	{`"red light flashing"`, "en"}, {`"blue screen"`, "en"}, {`"battery drain"`, "en"},
	{`"screen frozen"`, "en"}, {`"app crashing"`, "en"}, {`"no signal"`, "en"}, {`"wifi down"`, "en"},
	{`"customer service"`, "en"}, {`"data breach"`, "en"}, {"refund", "en"}, {"recall", "en"},
	{"overheating", "en"}, {`"login error"`, "en"}, {`"payment failed"`, "en"}, {`"out of stock"`, "en"},
	{"#outage", "en"}, {"#blackfriday", ""}, {"#cybermonday", ""},
	{"iphone", ""}, {"android", ""}, {"galaxy", ""}, {"pixel", ""}, {"playstation", ""}, {"xbox", ""},
	{"nintendo", ""}, {"netflix", ""}, {"spotify", ""}, {"tesla", ""}, {"starbucks", ""},
	{"mcdonalds", ""}, {"nike", ""}, {"adidas", ""}, {"uber", ""}, {"airbnb", ""}, {"amazon", ""},
	{"chatgpt", ""}, {"whatsapp", ""}, {"instagram", ""}, {"tiktok", ""}, {"youtube", ""},
	{"samsung", ""}, {"huawei", ""}, {"xiaomi", ""}, {"toyota", ""}, {"ikea", ""}, {"zara", ""},
	{"shopee", ""}, {"tokopedia", ""}, {"gojek", ""}, {"mercadolibre", ""}, {"nubank", ""},
	{"rappi", ""}, {"oxxo", ""}, {"pemex", ""}, {"petrobras", ""}, {"ryanair", ""}, {"vodafone", ""},
	{"telcel", ""}, {"movistar", ""}, {"claro", ""}, {"telkomsel", ""}, {"bukalapak", ""},
	{"lazada", ""}, {"ferrari", ""}, {"barilla", ""}, {"nutella", ""}, {"fiat", ""}, {"enel", ""},
	{"trenitalia", ""}, {"ifood", ""}, {"natura", ""}, {"havaianas", ""}, {"bimbo", ""},
	{"cemex", ""}, {"volkswagen", ""}, {"heineken", ""}, {"cocacola", ""}, {"pepsi", ""},
	{"ps5", ""}, {"switch2", ""}, {"macbook", ""}, {"airpods", ""}, {"kindle", ""}, {"roomba", ""},
}

// syllables for synthetic brand-like tokens; every token contains one marker
// syllable, and each marker syllable contains a letter pair that occurs in
// no background word (markerPairs; TestDisjoint checks it).
var (
	synthSyllables = []string{
		"ka", "lim", "tra", "zor", "ve", "mi", "ro", "dan", "tel", "nu", "sa", "bri", "lo", "pen",
		"ta", "ri", "mo", "gal", "in", "or", "bel", "cu", "fo", "de", "nix", "ar", "vo", "ly",
		"sen", "to", "ha", "ren", "il", "pa", "qua", "es", "ma", "do", "un", "bo",
	}
	synthMarkers = []string{
		"zvo", "kxa", "qzi", "vqe", "jxu", "xko", "zqa", "vxi", "xvo", "qje", "fqa", "wqi",
		"zva", "kxe", "qzo", "xje", "jqo", "vqa", "xka", "zvi",
	}
	markerPairs = []string{"zv", "kx", "qz", "vq", "jx", "xk", "zq", "vx", "xv", "qj", "fq", "wq", "xj", "jq"}
)

// RuleTags returns the tags of a keyword of Rules, for rules files and the
// demo: its topic (disaster, support or brand; the synthetic tokens are
// brand-like) and the languages it is planted into by preference (none
// for terms used everywhere).
func RuleTags(term string) []string {
	i := slices.IndexFunc(keywords, func(k keyword) bool { return k.term == term })
	if i < 0 {
		return []string{"brand"}
	}
	topic := "disaster"
	switch {
	case i >= slices.IndexFunc(keywords, func(k keyword) bool { return k.term == "#blackfriday" }):
		topic = "brand"
	case i >= slices.IndexFunc(keywords, func(k keyword) bool { return k.term == `"red light flashing"` }):
		topic = "support"
	}
	return append([]string{topic}, strings.Fields(keywords[i].lang)...)
}

// Rules returns a deterministic list of n listening keywords: real
// multilingual crisis, product and brand keywords first (words, a few
// "quoted phrases", a few #tags, CJK terms), then synthetic brand-like
// tokens ("tralimzvo", "kxadan7") up to n. n up to a few million works;
// n <= 0 returns nil.
func Rules(n int) []string {
	if n <= 0 {
		return nil
	}
	out := make([]string, 0, n)
	seen := make(map[string]struct{}, n)
	for _, k := range keywords {
		if len(out) == n {
			return out
		}
		out = append(out, k.term)
		seen[k.term] = struct{}{}
	}
	r := rand.New(rand.NewPCG(0x5eed, 0xf12e4053))
	var b strings.Builder
	for len(out) < n {
		b.Reset()
		pre := r.IntN(3)
		post := r.IntN(2)
		if pre+post == 0 {
			pre = 1
		}
		for range pre {
			b.WriteString(synthSyllables[r.IntN(len(synthSyllables))])
		}
		b.WriteString(synthMarkers[r.IntN(len(synthMarkers))])
		for range post {
			b.WriteString(synthSyllables[r.IntN(len(synthSyllables))])
		}
		if r.IntN(3) == 0 {
			b.WriteString(strconv.Itoa(r.IntN(100)))
		}
		s := b.String()
		if _, dup := seen[s]; dup {
			continue
		}
		seen[s] = struct{}{}
		out = append(out, s)
	}
	return out
}
