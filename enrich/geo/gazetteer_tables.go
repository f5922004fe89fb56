package geo

// Curated tables the GeoNames dump lacks: nicknames and abbreviations of big
// cities, first-level regions that profiles name as qualifiers ("Paris, TX",
// "São Paulo - SP", "Bandung, Jawa Barat"), extra country names, and
// strings that name no place. Keys are compared after appendKey, so case,
// accents and dots do not matter here.

// cityAlias maps a nickname to a place, found by its GeoNames name (or any
// indexed name) in the given country, the largest such place winning.
type cityAlias struct {
	alias, name, country string
}

var cityAliases = []cityAlias{
	{"nyc", "New York City", "US"}, {"ny ny", "New York City", "US"}, {"new york ny", "New York City", "US"},
	{"new york", "New York City", "US"}, {"big apple", "New York City", "US"}, {"the big apple", "New York City", "US"},
	{"la", "Los Angeles", "US"}, {"los angeles ca", "Los Angeles", "US"}, {"lax", "Los Angeles", "US"},
	{"sf", "San Francisco", "US"}, {"sf bay area", "San Francisco", "US"}, {"bay area", "San Francisco", "US"},
	{"the bay", "San Francisco", "US"}, {"san fran", "San Francisco", "US"}, {"frisco", "San Francisco", "US"},
	{"sfo", "San Francisco", "US"},
	{"chi town", "Chicago", "US"}, {"chitown", "Chicago", "US"}, {"chicagoland", "Chicago", "US"},
	{"h town", "Houston", "US"}, {"htx", "Houston", "US"}, {"phx", "Phoenix", "US"}, {"atl", "Atlanta", "US"},
	{"dc", "Washington, D.C.", "US"}, {"washington dc", "Washington, D.C.", "US"}, {"dmv", "Washington, D.C.", "US"}, {"philly", "Philadelphia", "US"}, {"nola", "New Orleans", "US"},
	{"vegas", "Las Vegas", "US"}, {"sin city", "Las Vegas", "US"}, {"motor city", "Detroit", "US"},
	{"the windy city", "Chicago", "US"}, {"windy city", "Chicago", "US"}, {"dfw", "Dallas", "US"},
	{"bmore", "Baltimore", "US"}, {"pdx", "Portland", "US"}, {"atx", "Austin", "US"},
	{"satx", "San Antonio", "US"}, {"nyc ny", "New York City", "US"}, {"manhattan", "Manhattan", "US"},
	{"cdmx", "Mexico City", "MX"}, {"df", "Mexico City", "MX"}, {"mexico df", "Mexico City", "MX"},
	{"ciudad de mexico", "Mexico City", "MX"}, {"mexico city", "Mexico City", "MX"}, {"gdl", "Guadalajara", "MX"},
	{"mty", "Monterrey", "MX"}, {"edomex", "Toluca", "MX"},
	{"bsas", "Buenos Aires", "AR"}, {"bs as", "Buenos Aires", "AR"}, {"baires", "Buenos Aires", "AR"},
	{"caba", "Buenos Aires", "AR"}, {"capital federal", "Buenos Aires", "AR"},
	{"sp", "São Paulo", "BR"}, {"sampa", "São Paulo", "BR"}, {"sao paulo sp", "São Paulo", "BR"},
	{"rj", "Rio de Janeiro", "BR"}, {"rio", "Rio de Janeiro", "BR"}, {"rio de janeiro rj", "Rio de Janeiro", "BR"},
	{"bh", "Belo Horizonte", "BR"}, {"bsb", "Brasília", "BR"}, {"poa", "Porto Alegre", "BR"},
	{"cwb", "Curitiba", "BR"}, {"floripa", "Florianópolis", "BR"}, {"sampa sp", "São Paulo", "BR"},
	{"stgo", "Santiago", "CL"}, {"santiago de chile", "Santiago", "CL"}, {"bogota dc", "Bogotá", "CO"},
	{"bog", "Bogotá", "CO"}, {"ccs", "Caracas", "VE"}, {"la habana", "Havana", "CU"}, {"habana", "Havana", "CU"},
	{"ciudad de guatemala", "Guatemala City", "GT"}, {"lima peru", "Lima", "PE"},
	{"jkt", "Jakarta", "ID"}, {"dki jakarta", "Jakarta", "ID"}, {"dki", "Jakarta", "ID"}, {"jakarta raya", "Jakarta", "ID"},
	{"jabodetabek", "Jakarta", "ID"}, {"jaksel", "Jakarta", "ID"}, {"jakpus", "Jakarta", "ID"}, {"jakbar", "Jakarta", "ID"},
	{"jaktim", "Jakarta", "ID"}, {"jakut", "Jakarta", "ID"}, {"sby", "Surabaya", "ID"}, {"jogja", "Yogyakarta", "ID"},
	{"jogjakarta", "Yogyakarta", "ID"}, {"yogya", "Yogyakarta", "ID"}, {"djogja", "Yogyakarta", "ID"},
	{"bdg", "Bandung", "ID"}, {"kl", "Kuala Lumpur", "MY"}, {"kuala lumpur", "Kuala Lumpur", "MY"},
	{"hk", "Hong Kong", "HK"}, {"hong kong sar", "Hong Kong", "HK"}, {"香港", "Hong Kong", "HK"},
	{"sg", "Singapore", "SG"}, {"sgp", "Singapore", "SG"},
	{"ldn", "London", "GB"}, {"london uk", "London", "GB"}, {"london england", "London", "GB"},
	{"mcr", "Manchester", "GB"}, {"manny", "Manchester", "GB"}, {"brum", "Birmingham", "GB"},
	{"paname", "Paris", "FR"}, {"bärlin", "Berlin", "DE"}, {"naarm", "Melbourne", "AU"},
	{"tamaki makaurau", "Auckland", "NZ"}, {"joburg", "Johannesburg", "ZA"}, {"jozi", "Johannesburg", "ZA"},
	{"jhb", "Johannesburg", "ZA"}, {"cpt", "Cape Town", "ZA"}, {"bombay", "Mumbai", "IN"}, {"bangalore", "Bengaluru", "IN"},
	{"ncr", "Delhi", "IN"}, {"madras", "Chennai", "IN"}, {"calcutta", "Kolkata", "IN"}, {"metro manila", "Manila", "PH"},
	{"mnl", "Manila", "PH"}, {"bkk", "Bangkok", "TH"}, {"krung thep", "Bangkok", "TH"}, {"กรุงเทพ", "Bangkok", "TH"},
	{"กรุงเทพฯ", "Bangkok", "TH"}, {"กรุงเทพมหานคร", "Bangkok", "TH"}, {"saigon", "Ho Chi Minh City", "VN"},
	{"hcmc", "Ho Chi Minh City", "VN"}, {"sai gon", "Ho Chi Minh City", "VN"}, {"dxb", "Dubai", "AE"},
	{"yyc", "Calgary", "CA"}, {"yeg", "Edmonton", "CA"}, {"yvr", "Vancouver", "CA"}, {"the 6ix", "Toronto", "CA"},
	{"the six", "Toronto", "CA"}, {"yyz", "Toronto", "CA"}, {"mtl", "Montréal", "CA"}, {"montreal", "Montréal", "CA"},
	{"bcn", "Barcelona", "ES"}, {"mad", "Madrid", "ES"}, {"oporto", "Porto", "PT"}, {"lx", "Lisbon", "PT"},
	{"lisboa", "Lisbon", "PT"}, {"napoli", "Naples", "IT"}, {"torino", "Turin", "IT"}, {"firenze", "Florence", "IT"},
	{"roma", "Rome", "IT"}, {"milano", "Milan", "IT"}, {"venezia", "Venice", "IT"}, {"genova", "Genoa", "IT"},
	{"moskva", "Moscow", "RU"}, {"msk", "Moscow", "RU"}, {"spb", "Saint Petersburg", "RU"}, {"питер", "Saint Petersburg", "RU"},
	{"спб", "Saint Petersburg", "RU"}, {"мск", "Moscow", "RU"}, {"ist", "Istanbul", "TR"}, {"stambul", "Istanbul", "TR"},
	{"東京都", "Tokyo", "JP"}, {"とうきょう", "Tokyo", "JP"}, {"トウキョウ", "Tokyo", "JP"}, {"大阪市", "Osaka", "JP"},
	{"北京市", "Beijing", "CN"}, {"上海市", "Shanghai", "CN"}, {"臺北", "Taipei", "TW"}, {"臺北市", "Taipei", "TW"},
	{"台北市", "Taipei", "TW"}, {"서울", "Seoul", "KR"}, {"서울시", "Seoul", "KR"}, {"서울특별시", "Seoul", "KR"},
	{"부산", "Busan", "KR"}, {"부산시", "Busan", "KR"}, {"القاهرة", "Cairo", "EG"}, {"الرياض", "Riyadh", "SA"},
	{"cairo egypt", "Cairo", "EG"}, {"nbo", "Nairobi", "KE"}, {"lag", "Lagos", "NG"}, {"naija", "Lagos", "NG"},
	{"santo domingo", "Santo Domingo", "DO"}, {"san juan pr", "San Juan", "PR"},
}

// regionDef is a first-level region (GeoNames admin1 code) with the names
// and abbreviations profiles use for it.
type regionDef struct {
	country, admin1 string
	names           []string
}

var regionDefs = []regionDef{
	// United States: GeoNames uses the USPS codes.
	{"US", "AL", []string{"AL", "Alabama"}}, {"US", "AK", []string{"AK", "Alaska"}}, {"US", "AZ", []string{"AZ", "Arizona"}},
	{"US", "AR", []string{"AR", "Arkansas"}}, {"US", "CA", []string{"CA", "California", "SoCal", "NorCal"}},
	{"US", "CO", []string{"CO", "Colorado"}}, {"US", "CT", []string{"CT", "Connecticut"}}, {"US", "DE", []string{"DE", "Delaware"}},
	{"US", "DC", []string{"DC", "District of Columbia"}}, {"US", "FL", []string{"FL", "Fla", "Florida"}},
	{"US", "GA", []string{"GA", "Georgia"}}, {"US", "HI", []string{"HI", "Hawaii", "Hawai'i"}}, {"US", "ID", []string{"ID", "Idaho"}},
	{"US", "IL", []string{"IL", "Illinois"}}, {"US", "IN", []string{"IN", "Indiana"}}, {"US", "IA", []string{"IA", "Iowa"}},
	{"US", "KS", []string{"KS", "Kansas"}}, {"US", "KY", []string{"KY", "Kentucky"}}, {"US", "LA", []string{"LA", "Louisiana"}},
	{"US", "ME", []string{"ME", "Maine"}}, {"US", "MD", []string{"MD", "Maryland"}}, {"US", "MA", []string{"MA", "Mass", "Massachusetts"}},
	{"US", "MI", []string{"MI", "Michigan"}}, {"US", "MN", []string{"MN", "Minnesota"}}, {"US", "MS", []string{"MS", "Mississippi"}},
	{"US", "MO", []string{"MO", "Missouri"}}, {"US", "MT", []string{"MT", "Montana"}}, {"US", "NE", []string{"NE", "Nebraska"}},
	{"US", "NV", []string{"NV", "Nevada"}}, {"US", "NH", []string{"NH", "New Hampshire"}}, {"US", "NJ", []string{"NJ", "New Jersey"}},
	{"US", "NM", []string{"NM", "New Mexico"}}, {"US", "NY", []string{"NY", "New York State", "NYS"}},
	{"US", "NC", []string{"NC", "North Carolina"}}, {"US", "ND", []string{"ND", "North Dakota"}}, {"US", "OH", []string{"OH", "Ohio"}},
	{"US", "OK", []string{"OK", "Oklahoma"}}, {"US", "OR", []string{"OR", "Oregon"}}, {"US", "PA", []string{"PA", "Pennsylvania"}},
	{"US", "RI", []string{"RI", "Rhode Island"}}, {"US", "SC", []string{"SC", "South Carolina"}}, {"US", "SD", []string{"SD", "South Dakota"}},
	{"US", "TN", []string{"TN", "Tennessee"}}, {"US", "TX", []string{"TX", "Texas", "Tejas"}}, {"US", "UT", []string{"UT", "Utah"}},
	{"US", "VT", []string{"VT", "Vermont"}}, {"US", "VA", []string{"VA", "Virginia"}}, {"US", "WA", []string{"WA", "Washington State"}},
	{"US", "WV", []string{"WV", "West Virginia"}}, {"US", "WI", []string{"WI", "Wisconsin"}}, {"US", "WY", []string{"WY", "Wyoming"}},
	// Canada.
	{"CA", "01", []string{"AB", "Alberta"}}, {"CA", "02", []string{"BC", "British Columbia"}}, {"CA", "03", []string{"MB", "Manitoba"}},
	{"CA", "04", []string{"NB", "New Brunswick"}}, {"CA", "05", []string{"NL", "Newfoundland"}}, {"CA", "07", []string{"NS", "Nova Scotia"}},
	{"CA", "08", []string{"ON", "Ontario"}}, {"CA", "09", []string{"PEI", "Prince Edward Island"}}, {"CA", "10", []string{"QC", "Quebec", "Québec"}},
	{"CA", "11", []string{"SK", "Saskatchewan"}},
	// Australia.
	{"AU", "01", []string{"ACT"}}, {"AU", "02", []string{"NSW", "New South Wales"}}, {"AU", "04", []string{"QLD", "Queensland"}},
	{"AU", "05", []string{"SA", "South Australia"}}, {"AU", "06", []string{"TAS", "Tasmania"}}, {"AU", "07", []string{"VIC", "Victoria"}},
	{"AU", "08", []string{"Western Australia"}},
	// Brazil: state abbreviations.
	{"BR", "27", []string{"SP"}}, {"BR", "21", []string{"RJ"}}, {"BR", "15", []string{"MG", "Minas Gerais", "Minas"}},
	{"BR", "05", []string{"BA", "Bahia"}}, {"BR", "30", []string{"PE", "Pernambuco"}}, {"BR", "06", []string{"CE", "Ceará"}},
	{"BR", "18", []string{"PR", "Paraná"}}, {"BR", "07", []string{"DF", "Distrito Federal"}}, {"BR", "23", []string{"RS", "Rio Grande do Sul"}},
	{"BR", "26", []string{"SC", "Santa Catarina"}}, {"BR", "29", []string{"GO", "Goiás"}}, {"BR", "04", []string{"AM", "Amazonas"}},
	{"BR", "16", []string{"PA", "Pará"}}, {"BR", "08", []string{"ES", "Espírito Santo"}}, {"BR", "22", []string{"RN"}},
	{"BR", "17", []string{"PB", "Paraíba"}}, {"BR", "02", []string{"AL", "Alagoas"}}, {"BR", "13", []string{"MA", "Maranhão"}},
	{"BR", "20", []string{"PI", "Piauí"}}, {"BR", "28", []string{"SE", "Sergipe"}}, {"BR", "14", []string{"MT", "Mato Grosso"}},
	{"BR", "11", []string{"MS", "Mato Grosso do Sul"}},
	// Mexico.
	{"MX", "14", []string{"Jalisco", "Jal"}}, {"MX", "19", []string{"Nuevo León", "NL", "N.L."}}, {"MX", "21", []string{"Pue"}},
	{"MX", "20", []string{"Oax"}}, {"MX", "09", []string{"D.F.", "Distrito Federal"}}, {"MX", "15", []string{"Estado de México", "Edo. Méx.", "Edomex"}},
	{"MX", "30", []string{"Veracruz", "Ver"}}, {"MX", "31", []string{"Yucatán", "Yuc"}}, {"MX", "02", []string{"Baja California", "BC"}},
	{"MX", "11", []string{"Guanajuato", "Gto"}}, {"MX", "26", []string{"Sonora", "Son"}}, {"MX", "06", []string{"Chih"}},
	{"MX", "12", []string{"Guerrero", "Gro"}}, {"MX", "07", []string{"Coahuila", "Coah"}}, {"MX", "05", []string{"Chiapas", "Chis"}},
	// Indonesia.
	{"ID", "04", []string{"DKI Jakarta", "DKI"}}, {"ID", "08", []string{"Jawa Timur", "Jatim", "East Java"}},
	{"ID", "30", []string{"Jawa Barat", "Jabar", "West Java"}}, {"ID", "07", []string{"Jawa Tengah", "Jateng", "Central Java"}},
	{"ID", "26", []string{"Sumatera Utara", "Sumut", "North Sumatra"}}, {"ID", "38", []string{"Sulawesi Selatan", "Sulsel", "South Sulawesi"}},
	{"ID", "02", []string{"Bali"}}, {"ID", "10", []string{"DIY", "Daerah Istimewa Yogyakarta"}}, {"ID", "33", []string{"Banten"}},
	// Italy, Spain, Germany.
	{"IT", "04", []string{"Campania"}}, {"IT", "12", []string{"Piemonte", "Piedmont"}}, {"IT", "15", []string{"Sicilia", "Sicily"}},
	{"IT", "13", []string{"Puglia", "Apulia"}}, {"IT", "09", []string{"Lombardia", "Lombardy"}}, {"IT", "07", []string{"Lazio"}},
	{"IT", "16", []string{"Toscana", "Tuscany"}}, {"IT", "05", []string{"Emilia-Romagna"}}, {"IT", "20", []string{"Veneto"}},
	{"ES", "56", []string{"Catalunya", "Cataluña", "Catalonia"}}, {"ES", "51", []string{"Andalucía", "Andalusia"}},
	{"ES", "60", []string{"Comunidad Valenciana", "Comunitat Valenciana"}}, {"ES", "29", []string{"Comunidad de Madrid"}},
	{"ES", "59", []string{"País Vasco", "Euskadi"}}, {"ES", "58", []string{"Galicia"}},
	{"DE", "02", []string{"Bayern", "Bavaria"}}, {"DE", "07", []string{"NRW", "Nordrhein-Westfalen"}},
	// United Kingdom.
	{"GB", "ENG", []string{"England"}}, {"GB", "SCT", []string{"Scotland"}}, {"GB", "WLS", []string{"Wales"}},
	{"GB", "NIR", []string{"Northern Ireland", "NI"}},
	// India, Japan, Philippines, Nigeria.
	{"IN", "16", []string{"Maharashtra", "MH"}}, {"IN", "19", []string{"Karnataka"}}, {"IN", "25", []string{"Tamil Nadu", "TN"}},
	{"IN", "28", []string{"West Bengal", "WB"}}, {"IN", "36", []string{"Uttar Pradesh", "UP"}}, {"IN", "13", []string{"Kerala"}},
	{"JP", "12", []string{"Hokkaido", "北海道"}}, {"JP", "40", []string{"東京都"}}, {"JP", "24", []string{"Miyagi", "宮城県"}},
	{"JP", "32", []string{"大阪府"}}, {"JP", "22", []string{"京都府"}}, {"JP", "07", []string{"福岡県"}},
	{"PH", "NCR", []string{"NCR", "Metro Manila"}}, {"NG", "05", []string{"Lagos State"}},
}

// countryAliases adds names for countries that the ISO name lists lack.
var countryAliases = map[string][]string{
	"US": {"USA", "U.S.A.", "US", "U.S.", "America", "United States of America", "Estados Unidos", "EEUU", "EE.UU.", "EUA", "États-Unis", "Amerika"},
	"GB": {"UK", "U.K.", "Great Britain", "Britain", "United Kingdom", "Reino Unido", "GB"},
	"AE": {"UAE", "U.A.E.", "Emirates"},
	"NL": {"Holland"},
	"KR": {"Korea", "S Korea", "South Korea", "한국", "대한민국"},
	"TR": {"Türkiye", "Turkiye", "Turkey"},
	"SA": {"KSA"},
	"ZA": {"RSA"},
	"CD": {"DRC"},
	"NZ": {"NZ", "Aotearoa"},
	"AU": {"Aus", "Straya"},
	"PH": {"Pilipinas", "Phils"},
	"MX": {"Méx", "Mex"},
	"AR": {"Arg"},
	"ID": {"INA", "Indo", "RI"},
	"MY": {"Msia"},
	"BR": {"Brasil", "BR"},
	"JP": {"日本", "Nippon", "Nihon"},
	"CN": {"中国", "中華人民共和国"},
	"TW": {"台灣", "台湾", "臺灣"},
	"TH": {"ประเทศไทย", "เมืองไทย", "Thailand"},
	"RU": {"Россия", "РФ", "Rossiya"},
	"CO": {"Col"},
	"CI": {"Cote d'Ivoire"},
}

// junkLocations are profile strings that name no place. Any of them as
// the whole string means "no location"; as a segment they are ignored.
var junkLocations = []string{
	"earth", "planet earth", "the earth", "world", "the world", "worldwide", "world wide", "global", "globe",
	"everywhere", "somewhere", "nowhere", "anywhere", "wherever", "here", "there", "here and there",
	"home", "at home", "my home", "online", "the internet", "internet", "the web", "web", "cyberspace",
	"heaven", "hell", "in your heart", "your heart", "my heart", "in my heart", "mars", "moon", "the moon",
	"universe", "the universe", "multiverse", "space", "outer space", "galaxy", "international",
	"your dreams", "in your dreams", "my dreams", "dreamland", "wonderland", "neverland", "narnia", "hogwarts",
	"ur moms house", "your moms house", "ur mom", "your mom", "behind you", "the matrix", "my room", "my bed", "bed",
	"404", "null", "none", "n a", "unknown", "hidden", "private", "secret", "not here", "far away", "far far away",
	"where the wifi is", "wherever the wifi is", "on the road", "on tour", "the road", "travelling", "traveling",
	"earth planet", "terra", "tierra", "mundo", "el mundo", "todo el mundo", "en tu corazon", "en mi casa", "casa",
	"no lugar", "algún lugar", "algun lugar", "bumi", "dunia", "di hatimu", "rumah", "mondo", "ovunque", "da qualche parte",
	"地球", "どこか", "宇宙", "夢の中", "ここ", "мир", "земля", "везде", "дом", "oz", "everywhere and nowhere",
	"she", "her", "he", "him", "they", "them", "she her", "he him", "they them", "she they", "he they", "it its",
	"lost", "around", "around the world", "all over", "all over the world", "out there", "up there",
	"sky", "the sky", "ocean", "the ocean", "sea", "beach", "the beach", "mountains", "city", "the city", "country",
	"town", "my town", "hometown", "local", "remote", "mobile", "ig", "instagram", "twitter", "tiktok", "youtube",
}

// phraseStopwords never start or make up a name found inside longer text.
var phraseStopwords = []string{
	"the", "in", "of", "and", "de", "del", "la", "el", "los", "las", "le", "les", "di", "da", "do", "dos", "das",
	"my", "your", "is", "at", "from", "to", "on", "by", "for", "a", "an", "i", "im", "we", "you", "me", "via",
	"living", "live", "based", "born", "raised", "now", "currently", "city", "state", "country", "area",
	"near", "north", "south", "east", "west", "central", "greater", "metro", "downtown", "uptown", "side",
	"en", "y", "e", "und", "et", "con", "with", "but", "not", "no", "yes", "love", "home", "life", "god",
	"world", "earth", "heart", "sun", "moon", "star", "stars", "sky", "hope", "peace", "music", "art",
}
