package firehose

// city is a real city. Lat/Lon is the point GPS coordinates are drawn
// around: for coastal cities a point a few km inland with a radius of at
// most 1.5 km, for inland cities the centre with a 3 km radius. No city is
// within 40 km of a national border (Rome, Milan, Toronto, Seoul, Buenos
// Aires, Singapore, Hong Kong, Vienna and the like are left out on purpose).
type city struct {
	Name     string // display name, used as place.name
	Country  string // ISO 3166-1 alpha-2
	Lat, Lon float64
	RadiusKm float64
	Lang     lang     // language most posts from here are written in
	Variants []string // profile-location spellings
}

var cities = []city{
	// United States
	{"New York City, NY", "US", 40.6501, -73.9496, 1.5, langEN, []string{"NYC", "New York", "Brooklyn, NY", "new york city 🗽", "NY, NY"}},
	{"Los Angeles, CA", "US", 34.0522, -118.2437, 3, langEN, []string{"Los Angeles", "LA", "Los Angeles, CA", "L.A. ☀️"}},
	{"Chicago, IL", "US", 41.8500, -87.7000, 3, langEN, []string{"Chicago", "Chicago, IL", "chi-town", "Chicagoland"}},
	{"Houston, TX", "US", 29.7604, -95.3698, 3, langEN, []string{"Houston", "Houston, TX", "H-Town", "Houston, Texas"}},
	{"Phoenix, AZ", "US", 33.4484, -112.0740, 3, langEN, []string{"Phoenix, AZ", "phoenix", "PHX"}},
	{"Denver, CO", "US", 39.7392, -104.9903, 3, langEN, []string{"Denver", "Denver, CO", "Denver, Colorado"}},
	{"Atlanta, GA", "US", 33.7490, -84.3880, 3, langEN, []string{"Atlanta", "ATL", "Atlanta, GA"}},
	{"San Francisco, CA", "US", 37.7599, -122.4348, 1.5, langEN, []string{"San Francisco", "SF", "San Francisco, CA", "the bay"}},
	{"Seattle, WA", "US", 47.6205, -122.3047, 1.5, langEN, []string{"Seattle", "Seattle, WA", "seattle wa"}},
	// Canada
	{"Calgary, Alberta", "CA", 51.0447, -114.0719, 3, langEN, []string{"Calgary", "Calgary, AB", "YYC"}},
	{"Edmonton, Alberta", "CA", 53.5461, -113.4938, 3, langEN, []string{"Edmonton", "Edmonton, AB", "YEG"}},
	{"Winnipeg, Manitoba", "CA", 49.8951, -97.1384, 3, langEN, []string{"Winnipeg", "Winnipeg, MB"}},
	// Mexico
	{"Ciudad de México", "MX", 19.4326, -99.1332, 3, langES, []string{"CDMX", "Ciudad de México", "Mexico City", "México, D.F.", "cdmx 🇲🇽", "DF"}},
	{"Guadalajara, Jalisco", "MX", 20.6597, -103.3496, 3, langES, []string{"Guadalajara", "GDL", "Guadalajara, Jalisco"}},
	{"Monterrey, Nuevo León", "MX", 25.6866, -100.3161, 3, langES, []string{"Monterrey", "MTY", "Monterrey, N.L."}},
	{"Puebla, Puebla", "MX", 19.0414, -98.2063, 3, langES, []string{"Puebla", "Puebla, México"}},
	{"Oaxaca de Juárez", "MX", 17.0732, -96.7266, 3, langES, []string{"Oaxaca", "Oaxaca, México"}},
	// Brazil
	{"São Paulo, SP", "BR", -23.5505, -46.6333, 3, langPT, []string{"São Paulo - SP", "São Paulo", "Sampa", "SP", "sao paulo, brasil"}},
	{"Rio de Janeiro, RJ", "BR", -22.9000, -43.2800, 1.5, langPT, []string{"Rio de Janeiro", "Rio de Janeiro - RJ", "RJ", "rio 🇧🇷"}},
	{"Brasília, DF", "BR", -15.7939, -47.8828, 3, langPT, []string{"Brasília", "Brasília - DF", "BSB"}},
	{"Belo Horizonte, MG", "BR", -19.9167, -43.9345, 3, langPT, []string{"Belo Horizonte", "BH", "Belo Horizonte - MG"}},
	{"Salvador, BA", "BR", -12.9500, -38.4600, 1.5, langPT, []string{"Salvador", "Salvador - BA", "Salvador, Bahia"}},
	{"Recife, PE", "BR", -8.0600, -34.9300, 1.5, langPT, []string{"Recife", "Recife - PE"}},
	{"Fortaleza, CE", "BR", -3.7800, -38.5600, 1.5, langPT, []string{"Fortaleza", "Fortaleza - CE"}},
	{"Curitiba, PR", "BR", -25.4284, -49.2733, 3, langPT, []string{"Curitiba", "Curitiba - PR", "CWB"}},
	// Portugal, Spain
	{"Lisboa", "PT", 38.7500, -9.1700, 1.5, langPT, []string{"Lisboa", "Lisbon, Portugal", "Lisboa, Portugal"}},
	{"Porto", "PT", 41.1700, -8.6000, 1.5, langPT, []string{"Porto", "Porto, Portugal", "Oporto"}},
	{"Madrid", "ES", 40.4168, -3.7038, 3, langES, []string{"Madrid", "Madrid, España", "MAD", "madrid 🇪🇸"}},
	{"Barcelona", "ES", 41.4036, 2.1520, 1.5, langES, []string{"Barcelona", "BCN", "Barcelona, Catalunya"}},
	{"Valencia, España", "ES", 39.4699, -0.3763, 1.5, langES, []string{"Valencia, Spain", "València, España", "Valencia, España"}},
	{"Sevilla", "ES", 37.3891, -5.9845, 3, langES, []string{"Sevilla", "Seville, Spain"}},
	// South America
	{"Córdoba, Argentina", "AR", -31.4201, -64.1888, 3, langES, []string{"Córdoba, Argentina", "Cordoba AR"}},
	{"Rosario, Santa Fe", "AR", -32.9442, -60.6505, 3, langES, []string{"Rosario", "Rosario, Argentina"}},
	{"Bogotá", "CO", 4.7110, -74.0721, 3, langES, []string{"Bogotá", "Bogotá, Colombia", "BOG"}},
	{"Medellín", "CO", 6.2442, -75.5812, 3, langES, []string{"Medellín", "Medellin, Colombia"}},
	{"Cali", "CO", 3.4516, -76.5320, 3, langES, []string{"Cali", "Cali, Colombia"}},
	{"Santiago de Chile", "CL", -33.4489, -70.6693, 3, langES, []string{"Santiago", "Santiago, Chile", "Stgo"}},
	{"Lima", "PE", -12.0464, -77.0428, 1.5, langES, []string{"Lima", "Lima, Perú"}},
	{"Quito", "EC", -0.1807, -78.4678, 3, langES, []string{"Quito", "Quito, Ecuador"}},
	{"Caracas", "VE", 10.4806, -66.9036, 1.5, langES, []string{"Caracas", "Caracas, Venezuela"}},
	{"La Habana", "CU", 23.0800, -82.3700, 1.5, langES, []string{"La Habana", "Havana, Cuba"}},
	{"Ciudad de Guatemala", "GT", 14.6349, -90.5069, 3, langES, []string{"Guatemala", "Ciudad de Guatemala"}},
	// Indonesia, Malaysia
	{"Jakarta", "ID", -6.2088, 106.8456, 1.5, langID, []string{"Jakarta, Indonesia", "Jakarta", "JKT", "DKI Jakarta", "jakarta 🇮🇩"}},
	{"Surabaya", "ID", -7.2900, 112.7400, 1.5, langID, []string{"Surabaya", "Surabaya, Jawa Timur", "SBY"}},
	{"Bandung", "ID", -6.9175, 107.6191, 3, langID, []string{"Bandung", "Bandung, Jawa Barat"}},
	{"Medan", "ID", 3.5952, 98.6722, 3, langID, []string{"Medan", "Medan, Sumut"}},
	{"Yogyakarta", "ID", -7.7956, 110.3695, 3, langID, []string{"Yogyakarta", "Jogja", "Jogjakarta"}},
	{"Makassar", "ID", -5.1600, 119.4600, 1.5, langID, []string{"Makassar", "Makassar, Sulsel"}},
	{"Denpasar", "ID", -8.6500, 115.2200, 1.5, langID, []string{"Denpasar", "Bali", "Denpasar, Bali"}},
	{"Kuala Lumpur", "MY", 3.1390, 101.6869, 3, langID, []string{"Kuala Lumpur", "KL", "Kuala Lumpur, Malaysia"}},
	// Italy
	{"Napoli", "IT", 40.8800, 14.2800, 1.5, langIT, []string{"Napoli", "Naples, Italy", "Napoli, Campania"}},
	{"Torino", "IT", 45.0703, 7.6869, 3, langIT, []string{"Torino", "Turin", "Torino, Piemonte"}},
	{"Bologna", "IT", 44.4949, 11.3426, 3, langIT, []string{"Bologna", "Bologna, Italia"}},
	{"Firenze", "IT", 43.7696, 11.2558, 3, langIT, []string{"Firenze", "Florence, Italy"}},
	{"Palermo", "IT", 38.1000, 13.3300, 1.5, langIT, []string{"Palermo", "Palermo, Sicilia"}},
	{"Bari", "IT", 41.0900, 16.8600, 1.5, langIT, []string{"Bari", "Bari, Puglia"}},
	// Japan
	{"Tokyo", "JP", 35.6762, 139.6503, 3, langJA, []string{"東京", "Tokyo", "東京都", "Tokyo, Japan", "とうきょう"}},
	{"Osaka", "JP", 34.6937, 135.5023, 1.5, langJA, []string{"大阪", "Osaka", "大阪市"}},
	{"Nagoya", "JP", 35.1815, 136.9066, 3, langJA, []string{"名古屋", "Nagoya"}},
	{"Sapporo", "JP", 43.0618, 141.3545, 3, langJA, []string{"札幌", "Sapporo", "北海道札幌市"}},
	{"Fukuoka", "JP", 33.5700, 130.4200, 1.5, langJA, []string{"福岡", "Fukuoka", "福岡市"}},
	{"Sendai", "JP", 38.2682, 140.8694, 3, langJA, []string{"仙台", "Sendai", "宮城県仙台市"}},
	// China, Taiwan
	{"Beijing", "CN", 39.9042, 116.4074, 3, langZH, []string{"北京", "Beijing", "北京市"}},
	{"Shanghai", "CN", 31.2304, 121.4737, 3, langZH, []string{"上海", "Shanghai"}},
	{"Guangzhou", "CN", 23.1291, 113.2644, 3, langZH, []string{"广州", "Guangzhou"}},
	{"Chengdu", "CN", 30.5728, 104.0668, 3, langZH, []string{"成都", "Chengdu"}},
	{"Wuhan", "CN", 30.5928, 114.3055, 3, langZH, []string{"武汉", "Wuhan"}},
	{"Hangzhou", "CN", 30.2741, 120.1551, 3, langZH, []string{"杭州", "Hangzhou"}},
	{"Taipei", "TW", 25.0330, 121.5654, 3, langZH, []string{"台北", "Taipei", "臺北市"}},
	// English-speaking and others
	{"London", "GB", 51.5074, -0.1278, 3, langEN, []string{"London", "London, UK", "Londres", "ldn"}},
	{"Manchester", "GB", 53.4808, -2.2426, 3, langEN, []string{"Manchester", "Manchester, England", "MCR"}},
	{"Birmingham", "GB", 52.4862, -1.8904, 3, langEN, []string{"Birmingham, UK", "Brum"}},
	{"Dublin", "IE", 53.3400, -6.3000, 1.5, langEN, []string{"Dublin", "Dublin, Ireland"}},
	{"Sydney", "AU", -33.8800, 151.1000, 1.5, langEN, []string{"Sydney", "Sydney, Australia", "Sydney NSW"}},
	{"Melbourne", "AU", -37.7900, 145.0000, 1.5, langEN, []string{"Melbourne", "Melbourne, VIC", "Naarm"}},
	{"Brisbane", "AU", -27.4698, 153.0251, 3, langEN, []string{"Brisbane", "Brisbane, QLD"}},
	{"Auckland", "NZ", -36.8800, 174.7500, 1.0, langEN, []string{"Auckland", "Auckland, NZ", "Tāmaki Makaurau"}},
	{"Mumbai", "IN", 19.1000, 72.8900, 1.5, langEN, []string{"Mumbai", "Bombay", "Mumbai, India"}},
	{"New Delhi", "IN", 28.6139, 77.2090, 3, langEN, []string{"New Delhi", "Delhi", "Delhi, India"}},
	{"Bengaluru", "IN", 12.9716, 77.5946, 3, langEN, []string{"Bengaluru", "Bangalore", "Bangalore, India"}},
	{"Manila", "PH", 14.6000, 121.0300, 1.5, langEN, []string{"Manila", "Metro Manila", "Manila, Philippines"}},
	{"Paris", "FR", 48.8566, 2.3522, 3, langEN, []string{"Paris", "Paris, France", "paname"}},
	{"Lyon", "FR", 45.7640, 4.8357, 3, langEN, []string{"Lyon", "Lyon, France"}},
	{"Berlin", "DE", 52.5200, 13.4050, 3, langEN, []string{"Berlin", "Berlin, Germany", "Bärlin"}},
	{"Hamburg", "DE", 53.5511, 9.9937, 3, langEN, []string{"Hamburg", "Hamburg, Deutschland"}},
	{"Moscow", "RU", 55.7558, 37.6173, 3, langEN, []string{"Москва", "Moscow", "Moscow, Russia"}},
	{"Ankara", "TR", 39.9334, 32.8597, 3, langEN, []string{"Ankara", "Ankara, Türkiye"}},
	{"Lagos", "NG", 6.6018, 3.3515, 1.5, langEN, []string{"Lagos", "Lagos, Nigeria", "Ikeja, Lagos"}},
	{"Nairobi", "KE", -1.2921, 36.8219, 3, langEN, []string{"Nairobi", "Nairobi, Kenya"}},
	{"Johannesburg", "ZA", -26.2041, 28.0473, 3, langEN, []string{"Johannesburg", "Joburg", "Jozi"}},
	{"Cairo", "EG", 30.0444, 31.2357, 3, langEN, []string{"Cairo", "Cairo, Egypt", "القاهرة"}},
	{"Busan", "KR", 35.1796, 129.0756, 1.5, langEN, []string{"Busan", "부산", "Busan, Korea"}},
	{"Bangkok", "TH", 13.7563, 100.5018, 3, langEN, []string{"Bangkok", "กรุงเทพ", "BKK"}},
	{"Hanoi", "VN", 21.0278, 105.8342, 3, langEN, []string{"Hanoi", "Hà Nội"}},
	{"Riyadh", "SA", 24.7136, 46.6753, 3, langEN, []string{"Riyadh", "الرياض"}},
	{"Dubai", "AE", 25.1600, 55.3300, 1.5, langEN, []string{"Dubai", "Dubai, UAE", "DXB"}},
}

// junkLocations are profile locations that name no place.
var junkLocations = []string{"in your heart", "earth", "worldwide", "🌍", "✨🌙✨", "somewhere",
	"here and there", "planet earth", "the internet", "ur mom's house", "everywhere", "online",
	"mars", "🇺🇳", "nowhere", "at home", "wherever the wifi is", "your dreams", "⭐️", "404"}
