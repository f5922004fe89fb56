package firehose

// Background text material per language. Nothing here may contain a word of
// the built-in keywords (rules.go), a CJK character of a CJK keyword, or a
// marker letter pair of the synthetic tokens: TestDisjoint checks all three,
// and New drops any item that conflicts with custom Config.Rules.
//
// Templates use slots: {n} noun phrase, {a} adjective, {p} first name,
// {c} city name, {d} day/time expression, {num} number. Mention templates
// also have {T}, where a planted rule term goes.

type lang uint8

const (
	langEN lang = iota
	langES
	langPT
	langID
	langIT
	langJA
	langZH
	numLangs
)

var langCodes = [numLangs]string{"en", "es", "pt", "id", "it", "ja", "zh"}

// langShare is the share of authors writing in each language (‰).
var langShare = [numLangs]int{400, 180, 120, 100, 50, 100, 50}

func (l lang) cjk() bool { return l == langJA || l == langZH }

type bankText struct {
	sentences []string
	mentions  []string
	nouns     []string
	adjs      []string
	names     []string
	days      []string
	cities    []string
	tags      []string
	bios      []string
}

var banksText = [numLangs]bankText{
	langEN: {
		sentences: []string{
			"just finished {n} and honestly it was {a}",
			"good morning everyone, {d} is going to be {a}",
			"can't believe {p} brought {n} to the office",
			"who else is watching the game {d}?",
			"{n} in {c} is so {a} right now",
			"thinking about getting {n}, any tips?",
			"ok but why is {n} always so {a}",
			"new blog post about {n} is up",
			"happy birthday {p}! have a {a} day",
			"traffic on the way to {c} is {a} {d}",
			"my cat just knocked {n} off the table",
			"listening to the new album on repeat",
			"{num} days until the trip to {c}",
			"coffee first, questions later",
			"that meeting could have been an email",
			"finally home after a {a} day",
			"does anyone know a good place for {n} in {c}?",
			"we need to talk about {n}",
			"so proud of {p} for finishing the marathon",
			"the weather in {c} is {a} today",
			"lunch with {p} {d}, {n} was {a}",
			"reading a book about {n} before bed",
			"the kids are asleep, time for {n}",
			"{num} people in line for {n}, seriously?",
			"weekend plans: {n} and more {n}",
			"hot take: {n} is overrated",
			"me and {p} arguing about {n} again lol",
		},
		mentions: []string{
			"{T} right now in {c}!!",
			"did anyone else feel that {T}?",
			"breaking: {T} reported near {c}",
			"everyone talking about {T} {d}",
			"can someone explain the {T} thing?",
			"{T} again. {a}.",
			"news about {T} in {c}",
			"wow {T} 😳",
			"thoughts on {T}?",
			"{T} update from {c}: {a}",
		},
		nouns: []string{"pizza", "the game", "the new series", "the concert", "the beach", "a book",
			"the movie", "brunch", "tacos", "yoga class", "the project", "homework", "the exam",
			"the party", "the farmers market", "my bike", "the neighbor's dog", "ice cream", "pancakes",
			"sushi", "a new laptop", "the playoffs", "karaoke", "the podcast"},
		adjs:   []string{"amazing", "awful", "chill", "weird", "perfect", "endless", "chaotic", "beautiful", "exhausting", "great", "wild"},
		names:  []string{"emma", "liam", "olivia", "noah", "ava", "james", "mia", "lucas", "chloe", "ethan", "grace", "jack", "ruby", "oscar", "harper", "mason"},
		days:   []string{"today", "tomorrow", "tonight", "on monday", "on friday", "this weekend", "right now"},
		cities: []string{"London", "NYC", "LA", "Chicago", "Sydney", "Manila", "Mumbai", "Houston", "Dublin", "Seattle"},
		tags:   []string{"#MondayMotivation", "#tbt", "#foodie", "#NowPlaying", "#travel", "#weekend", "#coffee", "#photography", "#gamedev", "#fitness"},
		bios:   []string{"coffee, books and bad puns", "dad. runner. opinions my own", "photographer | traveler", "just here for the memes", "software person", "she/her ✨ music and cats"},
	},
	langES: {
		sentences: []string{
			"buenos días a todos, {d} va a ser un día {a}",
			"no puedo creer que {p} trajo {n} a la oficina",
			"alguien sabe dónde comprar {n} en {c}?",
			"el tráfico en {c} está {a} {d}",
			"qué ganas de {n} este fin de semana",
			"acabo de terminar {n} y la verdad fue {a}",
			"feliz cumpleaños {p}! que tengas un día {a}",
			"{num} días para el viaje a {c}",
			"primero el café, después hablamos",
			"por fin en casa después de un día {a}",
			"mi gato tiró {n} de la mesa otra vez",
			"escuchando el nuevo disco en bucle",
			"comiendo con {p} {d}, {n} estuvo {a}",
			"esa reunión pudo ser un correo",
			"tenemos que hablar de {n}",
			"el clima en {c} está {a} hoy",
			"{num} personas en la fila para {n}, en serio?",
			"leyendo un libro sobre {n} antes de dormir",
			"planes del finde: {n} y más {n}",
			"qué orgullo {p}, terminó el maratón",
			"opinión impopular: {n} está sobrevalorado",
		},
		mentions: []string{
			"{T} ahora mismo en {c}!!",
			"alguien más sintió el {T}?",
			"todos hablando de {T} {d}",
			"{T} otra vez. {a}.",
			"noticias sobre {T} en {c}",
			"qué onda con {T}?",
			"{T} en {c}, cuídense",
			"uff {T} 😳",
			"se reporta {T} cerca de {c}",
		},
		nouns: []string{"el café", "la pizza", "el partido", "la serie nueva", "el concierto", "la playa",
			"el libro", "la película", "el pan dulce", "los tacos", "la clase de yoga", "el proyecto",
			"la tarea", "el examen", "la fiesta", "el mercado", "la bici", "el perro del vecino",
			"la tortilla", "el helado", "las empanadas", "el podcast"},
		adjs:   []string{"increíble", "horrible", "tranquilo", "raro", "perfecto", "eterno", "caótico", "bonito", "pesado", "genial"},
		names:  []string{"ana", "sofia", "mateo", "lucia", "diego", "valentina", "javier", "camila", "carlos", "isabel", "pablo", "elena", "andres", "paula"},
		days:   []string{"hoy", "mañana", "esta noche", "el lunes", "el viernes", "este finde", "ahorita"},
		cities: []string{"CDMX", "Madrid", "Bogotá", "Lima", "Guadalajara", "Monterrey", "Barcelona", "Santiago", "Medellín", "Sevilla"},
		tags:   []string{"#BuenosDías", "#viernes", "#futbol", "#comida", "#viajes", "#música", "#LigaMX", "#Navidad"},
		bios:   []string{"café y libros", "amante de los perros 🐶", "periodista. opiniones propias", "ingeniera, corredora", "vivo en modo avión"},
	},
	langPT: {
		sentences: []string{
			"bom dia galera, {d} vai ser um dia {a}",
			"não acredito que {p} levou {n} pro trabalho",
			"alguém sabe onde comprar {n} em {c}?",
			"o trânsito em {c} está {a} {d}",
			"que vontade de {n} nesse fim de semana",
			"acabei de terminar {n} e foi {a}",
			"feliz aniversário {p}! que seu dia seja {a}",
			"faltam {num} dias pra viagem a {c}",
			"primeiro o café, depois a gente conversa",
			"finalmente em casa depois de um dia {a}",
			"meu gato derrubou {n} da mesa de novo",
			"ouvindo o álbum novo sem parar",
			"almoço com {p} {d}, {n} estava {a}",
			"essa reunião podia ser um email",
			"precisamos falar sobre {n}",
			"o tempo em {c} está {a} hoje",
			"{num} pessoas na fila pra {n}, sério?",
			"lendo um livro sobre {n} antes de dormir",
			"planos do fds: {n} e mais {n}",
			"que orgulho de {p}, terminou a maratona",
		},
		mentions: []string{
			"{T} agora em {c}!!",
			"alguém mais sentiu o {T}?",
			"todo mundo falando de {T} {d}",
			"{T} de novo. {a}.",
			"notícias sobre {T} em {c}",
			"o que houve com {T}?",
			"{T} em {c}, se cuidem",
			"nossa {T} 😳",
		},
		nouns: []string{"o café", "a pizza", "o jogo", "a série nova", "o show", "a praia", "o livro",
			"o filme", "o pão de queijo", "a feijoada", "a aula de yoga", "o projeto", "a prova",
			"a festa", "a feira", "a bike", "o cachorro do vizinho", "o açaí", "o churrasco", "o brigadeiro"},
		adjs:   []string{"incrível", "horrível", "tranquilo", "estranho", "perfeito", "eterno", "caótico", "lindo", "pesado", "massa"},
		names:  []string{"joao", "maria", "pedro", "beatriz", "gabriel", "julia", "rafael", "larissa", "thiago", "fernanda", "bruno", "leticia"},
		days:   []string{"hoje", "amanhã", "hoje à noite", "na segunda", "na sexta", "nesse fds", "agora"},
		cities: []string{"São Paulo", "Rio", "BH", "Lisboa", "Porto", "Recife", "Curitiba", "Salvador", "Fortaleza", "Brasília"},
		tags:   []string{"#bomdia", "#sextou", "#futebol", "#viagem", "#música", "#fds", "#BBB"},
		bios:   []string{"flamenguista", "café, praia e samba", "mãe de pet", "estudante de direito", "designer | ilustradora"},
	},
	langID: {
		sentences: []string{
			"selamat pagi semua, {d} pasti {a}",
			"nggak nyangka {p} bawa {n} ke kantor",
			"ada yang tahu tempat beli {n} di {c}?",
			"macet banget di {c} {d}",
			"pengen {n} akhir pekan ini",
			"baru selesai {n} dan rasanya {a}",
			"selamat ulang tahun {p}! semoga harimu {a}",
			"{num} hari lagi liburan ke {c}",
			"ngopi dulu biar semangat",
			"akhirnya sampai rumah setelah hari yang {a}",
			"kucingku menjatuhkan {n} dari meja lagi",
			"lagi dengerin album baru terus",
			"makan siang bareng {p} {d}, {n} nya {a}",
			"rapat tadi harusnya cukup lewat email",
			"kita perlu ngobrol soal {n}",
			"cuaca di {c} {a} hari ini",
			"{num} orang antri buat {n}, serius?",
			"baca buku tentang {n} sebelum tidur",
			"rencana akhir pekan: {n} dan {n} lagi",
			"bangga sama {p}, selesai maraton",
		},
		mentions: []string{
			"{T} barusan di {c}!!",
			"ada yang ngerasain {T}?",
			"semua lagi ngomongin {T} {d}",
			"{T} lagi. {a}.",
			"berita soal {T} di {c}",
			"kenapa {T}?",
			"{T} di {c}, hati-hati ya",
			"wah {T} 😳",
		},
		nouns: []string{"nasi goreng", "kopi susu", "bakso", "sate ayam", "martabak", "film baru", "konser",
			"pantai", "buku", "tugas kuliah", "ujian", "pesta", "pasar malam", "sepeda", "es teh",
			"mie ayam", "drama korea", "seblak", "gorengan", "rendang"},
		adjs:   []string{"seru", "capek", "santai", "aneh", "sempurna", "lama", "ramai", "bagus", "berat", "mantap"},
		names:  []string{"budi", "siti", "agus", "dewi", "rizki", "putri", "eko", "ayu", "fajar", "intan", "dimas", "nabila"},
		days:   []string{"hari ini", "besok", "nanti malam", "hari senin", "hari jumat", "minggu ini", "sekarang"},
		cities: []string{"Jakarta", "Bandung", "Surabaya", "Jogja", "Medan", "Bali", "Makassar", "Semarang"},
		tags:   []string{"#kuliner", "#jalanjalan", "#ngopi", "#senja", "#musik", "#liburan"},
		bios:   []string{"anak senja", "pecinta kopi", "mahasiswa tingkat akhir", "kerja, makan, tidur", "fotografer amatir"},
	},
	langIT: {
		sentences: []string{
			"buongiorno a tutti, {d} sarà una giornata {a}",
			"non ci credo che {p} ha portato {n} in ufficio",
			"qualcuno sa dove comprare {n} a {c}?",
			"il traffico a {c} è {a} {d}",
			"che voglia di {n} questo weekend",
			"ho appena finito {n} ed è stato {a}",
			"buon compleanno {p}! che sia una giornata {a}",
			"mancano {num} giorni al viaggio a {c}",
			"prima il caffè, poi parliamo",
			"finalmente a casa dopo una giornata {a}",
			"il mio gatto ha fatto cadere {n} dal tavolo",
			"ascolto il nuovo album a ripetizione",
			"pranzo con {p} {d}, {n} era {a}",
			"quella riunione poteva essere una mail",
			"dobbiamo parlare di {n}",
			"il tempo a {c} è {a} oggi",
			"{num} persone in fila per {n}, davvero?",
			"leggo un libro su {n} prima di dormire",
			"programmi del weekend: {n} e ancora {n}",
			"che orgoglio {p}, ha finito la maratona",
		},
		mentions: []string{
			"{T} adesso a {c}!!",
			"qualcuno ha sentito {T}?",
			"tutti parlano di {T} {d}",
			"{T} di nuovo. {a}.",
			"notizie su {T} a {c}",
			"che succede con {T}?",
			"{T} a {c}, state attenti",
			"mamma mia {T} 😳",
		},
		nouns: []string{"il caffè", "la pizza", "la partita", "la serie nuova", "il concerto", "il mare",
			"il libro", "il film", "la carbonara", "il tiramisù", "la lezione di yoga", "il progetto",
			"l'esame", "la festa", "il mercato", "la bici", "il cane del vicino", "il gelato",
			"la focaccia", "gli arancini"},
		adjs:   []string{"incredibile", "orribile", "tranquillo", "strano", "perfetto", "infinito", "caotico", "bellissimo", "pesante", "fantastico"},
		names:  []string{"giulia", "marco", "chiara", "luca", "francesca", "matteo", "sara", "andrea", "alessia", "davide", "martina", "simone"},
		days:   []string{"oggi", "domani", "stasera", "lunedì", "venerdì", "questo weekend", "adesso"},
		cities: []string{"Milano", "Roma", "Napoli", "Torino", "Bologna", "Firenze", "Palermo", "Bari"},
		tags:   []string{"#buongiorno", "#calcio", "#cibo", "#viaggi", "#musica", "#SerieA"},
		bios:   []string{"caffè e libri", "interista dalla nascita", "mamma, insegnante", "sviluppatore", "amo la montagna"},
	},
	langJA: {
		sentences: []string{
			"おはようございます、{d}もがんばろう",
			"{n}を食べたい気分",
			"{p}さんと{n}に行ってきた、{a}",
			"{c}は今日もいい天気",
			"{n}が{a}すぎて笑った",
			"新しいアルバム、ずっと聴いてる",
			"やっと家に着いた、今日は{a}一日でした",
			"猫が{n}を机から落とした",
			"{num}日後に{c}へ旅行",
			"まずはコーヒー、話はそれから",
			"{n}について話そう",
			"{d}の会議、メールでよかったのでは",
			"{c}で{n}のおすすめある？",
			"週末の予定：{n}と{n}",
			"{p}さん誕生日おめでとう！",
			"寝る前に{n}の本を読む",
			"{num}人も並んでる、{n}すごい",
		},
		mentions: []string{
			"{c}で{T}！揺れた",
			"今{T}？",
			"{T}のニュース見た",
			"{c}、{T}って本当？",
			"みんな{T}の話してる",
			"{T}こわい…",
			"{T}、みんな気をつけて",
		},
		nouns: []string{"ラーメン", "寿司", "カレー", "新作ゲーム", "ライブ", "映画", "カフェ", "パン屋",
			"ドラマ", "お弁当", "たこ焼き", "抹茶ラテ", "焼肉", "温泉", "公園", "本屋", "アニメ", "コンビニ"},
		adjs:   []string{"最高", "楽しい", "しんどい", "微妙", "かわいい", "おいしい", "長い", "やばい"},
		names:  []string{"yuki", "haruto", "sakura", "ren", "aoi", "sota", "hina", "kaito", "mei", "riku"},
		days:   []string{"今日", "明日", "今夜", "月曜日", "金曜日", "週末"},
		cities: []string{"東京", "大阪", "名古屋", "札幌", "福岡", "横浜", "京都", "神戸"},
		tags:   []string{"#拡散希望", "#おはよう", "#ラーメン", "#猫", "#写真好きな人と繋がりたい", "#今日の一枚"},
		bios:   []string{"猫とコーヒー", "ゲーム好き", "写真を撮ります", "会社員です", "旅行が好き"},
	},
	langZH: {
		sentences: []string{
			"早上好，{d}也要加油",
			"好想吃{n}",
			"和{p}一起去了{n}，{a}",
			"{c}今天天气不错",
			"{n}太{a}了，笑死",
			"新专辑单曲循环中",
			"终于到家了，今天真是{a}的一天",
			"猫把{n}从桌子上推下去了",
			"还有{num}天去{c}旅行",
			"先喝咖啡，其他的等会儿再说",
			"我们聊聊{n}吧",
			"{d}的会议明明发个邮件就行",
			"{c}有什么好吃的{n}推荐吗？",
			"周末计划：{n}和{n}",
			"{p}生日快乐！",
			"睡前看一本关于{n}的书",
			"排队的有{num}人，{n}这么受欢迎吗",
		},
		mentions: []string{
			"{c}刚才{T}了！",
			"{T}的新闻看到了吗",
			"大家都在说{T}",
			"{T}好可怕…",
			"{c}{T}，大家注意安全",
			"又{T}了",
		},
		nouns: []string{"奶茶", "烤鸭", "小笼包", "新游戏", "演唱会", "这部剧", "咖啡店", "面包", "饺子",
			"麻辣烫", "公园", "书店", "动漫", "烧烤", "甜品", "便利店"},
		adjs:   []string{"好玩", "累", "舒服", "奇怪", "可爱", "好吃", "无聊", "厉害"},
		names:  []string{"wei", "fang", "jing", "lei", "yan", "hao", "xin", "ming", "ling", "jun"},
		days:   []string{"今天", "明天", "今晚", "周一", "周五", "这个周末"},
		cities: []string{"北京", "广州", "深圳", "成都", "杭州", "重庆", "南京", "武汉"},
		tags:   []string{"#美食", "#周末", "#猫", "#旅行", "#日常"},
		bios:   []string{"喜欢猫", "咖啡爱好者", "程序员", "学生", "爱旅行"},
	},
}

// Names used for handles beyond the per-language first names.
var surnames = []string{"lopez", "garcia", "silva", "santos", "smith", "jones", "rossi", "bianchi",
	"tanaka", "suzuki", "wang", "chen", "wijaya", "santoso", "martin", "brown", "ferreira",
	"costa", "ricci", "kim", "nguyen", "ortiz", "romero", "souza"}

// Emoji used in background text (none adjacent to words: always separated
// by a space).
var emojis = []string{"😂", "🙏", "❤️", "😭", "😍", "✨", "👀", "🙌", "😅", "🤔", "💪", "🎉", "☕", "📍", "🥲", "💯", "👏", "🌧️", "😴", "🤣"}

// URL shapes. Random ids always have a digit in their second position, so
// they never equal a rule term (terms start with two letters or a CJK
// character).
var urlPrefixes = []string{"https://t.co/", "https://t.co/", "https://t.co/", "https://t.co/",
	"https://t.co/", "https://t.co/", "https://bit.ly/", "https://youtu.be/", "https://www.example.org/posts/"}

// Words the generator itself writes around texts: the repost marker and the
// quote link. Rules equal to one of these make posts regenerate.
var fixedWords = []string{"rt", "cc", "https", "t", "co", "bit", "ly", "youtu", "be", "www", "example", "org", "posts", "x", "com", "status"}
