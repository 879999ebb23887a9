package demodata

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// Population of each province in thousands (2019 census, rounded), used as
// weights for where citizens are registered and live.
var provincePop = map[int]int{
	1: 8054, 2: 854, 4: 530, 6: 314, 8: 785, 10: 731, 11: 599, 12: 460, 14: 1248, 15: 822,
	17: 854, 19: 1287, 20: 782, 22: 1320, 24: 1804, 25: 1463, 26: 1152, 27: 1368, 30: 1893,
	31: 2028, 33: 1252, 34: 1860, 35: 852, 36: 1780, 37: 982, 38: 3640, 40: 3327, 42: 1289,
	44: 896, 45: 633, 46: 1129, 48: 1134, 49: 1496, 51: 1232, 52: 1487, 54: 873, 56: 1232,
	58: 591, 60: 1231, 62: 540, 64: 1513, 66: 1869, 67: 622, 68: 1297, 70: 995, 72: 1170,
	74: 2426, 75: 3097, 77: 1148, 79: 8993, 80: 1688, 82: 1765, 83: 1289, 84: 1009, 86: 1023,
	87: 1600, 89: 1908, 91: 1723, 92: 1236, 93: 733, 94: 1200, 95: 907, 96: 1194,
}

// Old 9-digit ID (CMND) area prefixes. An approximation of the police's
// historical allocation, good enough for demo data; unknown provinces use 0.
var cmndPrefix = map[int]int{
	1: 1, 79: 2, 31: 3, 11: 4, 12: 4, 14: 5, 10: 6, 15: 6, 2: 7, 8: 7, 20: 8, 4: 8, 19: 9, 6: 9,
	22: 10, 17: 11, 24: 12, 27: 12, 25: 13, 26: 13, 30: 14, 33: 14, 34: 15, 36: 16, 35: 16,
	37: 16, 38: 17, 40: 18, 42: 18, 44: 19, 45: 19, 46: 19, 48: 20, 49: 20, 51: 21, 52: 21,
	56: 22, 54: 22, 58: 26, 60: 26, 62: 23, 64: 23, 66: 24, 67: 24, 68: 25, 75: 27, 77: 27,
	74: 28, 70: 28, 72: 29, 80: 30, 82: 31, 83: 32, 86: 33, 84: 33, 87: 34, 89: 35, 92: 36,
	93: 36, 94: 36, 91: 37, 96: 38, 95: 38,
}

// Seats of the provinces, for the "Thành phố X" of addresses and names.
var provinceCity = map[int]string{
	2: "Hà Giang", 4: "Cao Bằng", 6: "Bắc Kạn", 8: "Tuyên Quang", 10: "Lào Cai", 11: "Điện Biên Phủ",
	12: "Lai Châu", 14: "Sơn La", 15: "Yên Bái", 17: "Hòa Bình", 19: "Thái Nguyên", 20: "Lạng Sơn",
	22: "Hạ Long", 24: "Bắc Giang", 25: "Việt Trì", 26: "Vĩnh Yên", 27: "Bắc Ninh", 30: "Hải Dương",
	33: "Hưng Yên", 34: "Thái Bình", 35: "Phủ Lý", 36: "Nam Định", 37: "Ninh Bình", 38: "Thanh Hóa",
	40: "Vinh", 42: "Hà Tĩnh", 44: "Đồng Hới", 45: "Đông Hà", 46: "Huế", 49: "Tam Kỳ",
	51: "Quảng Ngãi", 52: "Quy Nhơn", 54: "Tuy Hòa", 56: "Nha Trang", 58: "Phan Rang – Tháp Chàm",
	60: "Phan Thiết", 62: "Kon Tum", 64: "Pleiku", 66: "Buôn Ma Thuột", 67: "Gia Nghĩa", 68: "Đà Lạt",
	70: "Đồng Xoài", 72: "Tây Ninh", 74: "Thủ Dầu Một", 75: "Biên Hòa", 77: "Vũng Tàu", 80: "Tân An",
	82: "Mỹ Tho", 83: "Bến Tre", 84: "Trà Vinh", 86: "Vĩnh Long", 87: "Cao Lãnh", 89: "Long Xuyên",
	91: "Rạch Giá", 93: "Vị Thanh", 94: "Sóc Trăng", 95: "Bạc Liêu", 96: "Cà Mau",
}

// Place names for generated districts and communes (seed-independent
// geography: the same province always has the same districts).
var placeNames = []string{
	"An Bình", "An Khánh", "An Phú", "Bình An", "Bình Minh", "Cẩm Giang", "Đại Đồng", "Đông Hòa",
	"Đông Sơn", "Gia Tân", "Hòa An", "Hồng Phong", "Hưng Đạo", "Kim Sơn", "Lạc Long", "Long Hưng",
	"Minh Đức", "Minh Khai", "Nam Sơn", "Nghĩa Hưng", "Phú Lâm", "Phú Thịnh", "Phúc Lộc", "Quang Trung",
	"Quyết Tiến", "Quảng Tân", "Sơn Thủy", "Tân An", "Tân Hòa", "Tân Lập", "Tân Phú", "Tân Thành",
	"Thanh Sơn", "Thành Công", "Thống Nhất", "Thuận Thành", "Tiên Lữ", "Trung Hòa", "Trung Sơn",
	"Trường Xuân", "Vĩnh Lộc", "Xuân Hòa", "Xuân Trường", "Yên Thịnh", "Yên Lạc", "Đức Hòa",
	"Mỹ Lộc", "Phong Điền", "Lộc Hà", "Hải Yên", "Hữu Lũng", "Kim Bảng", "Cát Tiên", "Đồng Xuân",
	"Long Phú", "Châu Thành", "Bình Đại", "Chợ Mới", "Tam Nông", "Phù Cát", "Hoài Nhơn", "Thăng Bình",
	"Triệu Phong", "Quảng Điền", "Hiệp Hòa", "Lương Sơn", "Mai Sơn", "Nghĩa Đàn", "Phú Lương",
	"Tân Kỳ", "Thạch Thất", "Văn Lâm", "Vũ Thư", "Yên Mô", "Hòa Thành", "Cai Lậy", "Long Điền",
	"Định Hóa", "Bảo Lâm", "Cầu Ngang", "Gò Quao", "Đầm Dơi", "Hòn Đất", "Tịnh Biên", "Hồng Ngự",
}

var streets = []string{
	"Lê Lợi", "Trần Hưng Đạo", "Nguyễn Trãi", "Hai Bà Trưng", "Quang Trung", "Lý Thường Kiệt",
	"Lê Duẩn", "Nguyễn Huệ", "Phan Chu Trinh", "Điện Biên Phủ", "Hùng Vương", "Trần Phú",
	"Nguyễn Du", "Bà Triệu", "Lê Lai", "Võ Thị Sáu", "Nguyễn Văn Cừ", "Phạm Văn Đồng",
	"Lê Thánh Tông", "Nguyễn Thị Minh Khai", "Cách Mạng Tháng Tám", "Lạc Long Quân",
}

type commune struct {
	kind, name string // "Xã", "Thái Bình"
	tail       string // ", Xã Thái Bình, Huyện Yên Sơn, Tuyên Quang"
}

type district struct {
	kind, name string // "Huyện", "Yên Sơn"
	urban      bool
	communes   []commune
}

type province struct {
	code      int    // administrative code, 1..96
	name      string // "Tuyên Quang"
	weight    int
	south     bool
	municipal bool
	districts []district
	urban     []int // indexes of urban districts
	rural     []int
}

type geography struct {
	provinces []province // in ascending code order
	byCode    [100]int   // code → index+1
	cum       []int      // cumulative population weights
}

var geoOnce = sync.OnceValue(buildGeography)

func buildGeography() *geography {
	g := &geography{}
	total := 0
	for _, c3 := range verifier.ProvinceCodes() {
		code, err := strconv.Atoi(c3)
		if err != nil || code <= 0 || code >= 100 {
			continue
		}
		name, _ := verifier.ProvinceName(c3)
		p := province{code: code, name: name, weight: provincePop[code], south: code >= 48}
		if p.weight == 0 {
			p.weight = 1000
		}
		switch code {
		case 1, 31, 48, 79, 92:
			p.municipal = true
		}
		p.districts = districtsOf(p)
		for i, d := range p.districts {
			for j := range d.communes {
				c := &p.districts[i].communes[j]
				c.tail = ", " + c.kind + " " + c.name + ", " + d.kind + " " + d.name + ", " + name
			}
			if d.urban {
				p.urban = append(p.urban, i)
			} else {
				p.rural = append(p.rural, i)
			}
		}
		total += p.weight
		g.cum = append(g.cum, total)
		g.provinces = append(g.provinces, p)
		g.byCode[code] = len(g.provinces)
	}
	return g
}

func (g *geography) pick(r *rand.Rand) *province {
	return &g.provinces[pickCum(r, g.cum)]
}

func communesOf(kind string, names ...string) []commune {
	out := make([]commune, len(names))
	for i, n := range names {
		out[i] = commune{kind: kind, name: n}
	}
	return out
}

func districtsOf(p province) []district {
	switch p.code {
	case 8:
		return []district{
			{kind: "Thành phố", name: "Tuyên Quang", urban: true, communes: communesOf("Phường", "Phan Thiết", "Tân Quang", "Minh Xuân", "Ỷ La", "Hưng Thành", "Nông Tiến")},
			{kind: "Huyện", name: "Yên Sơn", communes: communesOf("Xã", "Thái Bình", "Trung Môn", "Kim Phú", "Lang Quán", "Phú Thịnh", "Tiến Bộ", "Hoàng Khai", "Nhữ Khê")},
			{kind: "Huyện", name: "Sơn Dương", communes: communesOf("Xã", "Tân Trào", "Hợp Thành", "Sơn Nam", "Đông Thọ", "Phúc Ứng")},
			{kind: "Huyện", name: "Hàm Yên", communes: communesOf("Xã", "Thái Sơn", "Yên Thuận", "Phù Lưu", "Tân Thành", "Bạch Xa")},
			{kind: "Huyện", name: "Chiêm Hóa", communes: communesOf("Xã", "Kim Bình", "Hòa Phú", "Trung Hà", "Yên Lập", "Tân Mỹ")},
			{kind: "Huyện", name: "Na Hang", communes: communesOf("Xã", "Năng Khả", "Thanh Tương", "Sơn Phú")},
			{kind: "Huyện", name: "Lâm Bình", communes: communesOf("Xã", "Thượng Lâm", "Lăng Can", "Khuôn Hà")},
		}
	case 1:
		return []district{
			{kind: "Quận", name: "Ba Đình", urban: true, communes: communesOf("Phường", "Điện Biên", "Kim Mã", "Ngọc Hà", "Cống Vị", "Liễu Giai")},
			{kind: "Quận", name: "Hoàn Kiếm", urban: true, communes: communesOf("Phường", "Hàng Bạc", "Hàng Trống", "Tràng Tiền", "Cửa Nam")},
			{kind: "Quận", name: "Đống Đa", urban: true, communes: communesOf("Phường", "Láng Thượng", "Kim Liên", "Văn Miếu", "Ô Chợ Dừa")},
			{kind: "Quận", name: "Cầu Giấy", urban: true, communes: communesOf("Phường", "Dịch Vọng", "Nghĩa Đô", "Yên Hòa", "Quan Hoa")},
			{kind: "Quận", name: "Hoàng Mai", urban: true, communes: communesOf("Phường", "Định Công", "Giáp Bát", "Tương Mai", "Vĩnh Hưng")},
			{kind: "Huyện", name: "Đông Anh", communes: communesOf("Xã", "Uy Nỗ", "Vân Nội", "Kim Chung", "Cổ Loa")},
			{kind: "Huyện", name: "Gia Lâm", communes: communesOf("Xã", "Bát Tràng", "Đa Tốn", "Kiêu Kỵ", "Phù Đổng")},
			{kind: "Huyện", name: "Sóc Sơn", communes: communesOf("Xã", "Phù Linh", "Tiên Dược", "Mai Đình")},
		}
	case 79:
		return []district{
			{kind: "Quận", name: "1", urban: true, communes: communesOf("Phường", "Bến Nghé", "Bến Thành", "Đa Kao", "Tân Định")},
			{kind: "Quận", name: "3", urban: true, communes: communesOf("Phường", "Võ Thị Sáu", "5", "9", "12")},
			{kind: "Quận", name: "Bình Thạnh", urban: true, communes: communesOf("Phường", "1", "13", "25", "26")},
			{kind: "Quận", name: "Gò Vấp", urban: true, communes: communesOf("Phường", "5", "10", "16", "17")},
			{kind: "Quận", name: "Tân Bình", urban: true, communes: communesOf("Phường", "2", "4", "12", "15")},
			{kind: "Thành phố", name: "Thủ Đức", urban: true, communes: communesOf("Phường", "Linh Trung", "Hiệp Bình Chánh", "Thảo Điền", "Long Thạnh Mỹ")},
			{kind: "Huyện", name: "Củ Chi", communes: communesOf("Xã", "Tân Thông Hội", "Phước Vĩnh An", "Trung An")},
			{kind: "Huyện", name: "Bình Chánh", communes: communesOf("Xã", "Vĩnh Lộc A", "Bình Hưng", "Tân Kiên")},
		}
	}
	r := rand.New(rand.NewPCG(uint64(p.code), 0x6e6f2d73656564)) // geography does not depend on Options.Seed
	perm := r.Perm(len(placeNames))
	next := 0
	name := func() string { n := placeNames[perm[next%len(perm)]]; next++; return n }
	var ds []district
	if p.municipal {
		for range 4 {
			d := district{kind: "Quận", name: name(), urban: true}
			for range 5 {
				d.communes = append(d.communes, commune{kind: "Phường", name: name()})
			}
			ds = append(ds, d)
		}
	} else {
		city, ok := provinceCity[p.code]
		if !ok {
			city = p.name
		}
		d := district{kind: "Thành phố", name: city, urban: true}
		for range 6 {
			d.communes = append(d.communes, commune{kind: "Phường", name: name()})
		}
		ds = append(ds, d)
	}
	nRural := 6
	if p.municipal {
		nRural = 3
	}
	for range nRural {
		d := district{kind: "Huyện", name: name()}
		d.communes = append(d.communes, commune{kind: "Thị trấn", name: d.name})
		for range 7 {
			d.communes = append(d.communes, commune{kind: "Xã", name: name()})
		}
		ds = append(ds, d)
	}
	return ds
}

// address draws a permanent address in province p.
func address(r *rand.Rand, p *province) string {
	urbanShare := 25
	if p.municipal {
		urbanShare = 65
	}
	var d *district
	if len(p.urban) > 0 && (len(p.rural) == 0 || r.IntN(100) < urbanShare) {
		d = &p.districts[p.urban[r.IntN(len(p.urban))]]
	} else {
		d = &p.districts[p.rural[r.IntN(len(p.rural))]]
	}
	c := &d.communes[r.IntN(len(d.communes))]
	var b strings.Builder
	b.Grow(64 + len(c.tail))
	switch c.kind {
	case "Phường":
		if r.IntN(2) == 0 {
			b.WriteString("Số ")
			b.WriteString(strconv.Itoa(1 + r.IntN(300)))
			if r.IntN(4) == 0 {
				b.WriteString(", ngõ ")
				b.WriteString(strconv.Itoa(1 + r.IntN(150)))
			}
			b.WriteString(", đường ")
			b.WriteString(streets[r.IntN(len(streets))])
		} else {
			b.WriteString("Tổ ")
			b.WriteString(strconv.Itoa(1 + r.IntN(40)))
		}
	case "Thị trấn":
		b.WriteString("Khu ")
		b.WriteString(strconv.Itoa(1 + r.IntN(12)))
	default:
		switch {
		case p.code >= 70:
			b.WriteString("Ấp ")
		case r.IntN(5) == 0:
			b.WriteString("Xóm ")
		default:
			b.WriteString("Thôn ")
		}
		b.WriteString(strconv.Itoa(1 + r.IntN(15)))
	}
	b.WriteString(c.tail)
	return b.String()
}

// Facilities always present, whatever n: demos and tests rely on them.
var fixedFacilities = []verifier.Facility{
	{Code: "08001", Name: "Bệnh viện Đa khoa tỉnh Tuyên Quang", Province: "08", Level: verifier.LevelProvincial},
	{Code: "08002", Name: "Trung tâm Y tế huyện Yên Sơn", Province: "08", Level: verifier.LevelDistrict},
	{Code: "08101", Name: "Trạm Y tế xã Thái Bình", Province: "08", Level: verifier.LevelCommune},
	{Code: "01001", Name: "Bệnh viện Bạch Mai", Province: "01", Level: verifier.LevelCentral},
}

// Central hospitals added before the generated ones.
var centralFacilities = []verifier.Facility{
	{Code: "79001", Name: "Bệnh viện Chợ Rẫy", Province: "79", Level: verifier.LevelCentral},
	{Code: "46001", Name: "Bệnh viện Trung ương Huế", Province: "46", Level: verifier.LevelCentral},
	{Code: "01002", Name: "Bệnh viện Hữu nghị Việt Đức", Province: "01", Level: verifier.LevelCentral},
}

// DefaultFacilities is the number of facilities when Options.Facilities is 0:
// enough for a provincial hospital in every province plus some district
// centres and commune stations.
const DefaultFacilities = 120

// GenerateFacilities returns n facilities (at least the fixed demo set:
// 08001, 08002, 08101, 01001), deterministic for (n, seed). Codes are
// PPNNN: NNN 001 is the provincial hospital, 002–099 district centres,
// 101–999 commune stations. After the fixed set come central hospitals,
// then one provincial hospital per province (most populous first), then
// district and commune facilities spread by population. n is capped by the
// number of districts and communes the demo geography has (several
// thousand).
func GenerateFacilities(n int, seed int64) []verifier.Facility {
	out := generateFacilities(n, seed)
	for i := range out {
		out[i].Departments = departmentsOf(out[i].Level)
	}
	return out
}

// departmentsOf returns the departments and rooms a desk of a facility of
// the given level sends patients to (a fresh slice).
func departmentsOf(level string) []verifier.Department {
	var ds []verifier.Department
	switch level {
	case verifier.LevelCentral, verifier.LevelProvincial:
		ds = []verifier.Department{
			{Code: "KKB", Name: "Khoa Khám bệnh"}, {Code: "NOI", Name: "Phòng khám Nội"}, {Code: "NHI", Name: "Phòng khám Nhi"},
			{Code: "SAN", Name: "Phòng khám Sản"}, {Code: "NGOAI", Name: "Phòng khám Ngoại"}, {Code: "TMH", Name: "Phòng khám Tai Mũi Họng"},
			{Code: "MAT", Name: "Phòng khám Mắt"}, {Code: "CC", Name: "Khoa Cấp cứu"},
		}
	case verifier.LevelDistrict:
		ds = []verifier.Department{
			{Code: "NOI", Name: "Phòng khám Nội"}, {Code: "NHI", Name: "Phòng khám Nhi"}, {Code: "SAN", Name: "Phòng khám Sản"},
			{Code: "NGOAI", Name: "Phòng khám Ngoại"}, {Code: "CC", Name: "Khoa Cấp cứu"},
		}
	default:
		ds = []verifier.Department{{Code: "KB", Name: "Phòng khám bệnh"}, {Code: "SAN", Name: "Phòng khám Sản - Kế hoạch hóa gia đình"}}
	}
	return ds
}

func generateFacilities(n int, seed int64) []verifier.Facility {
	g := geoOnce()
	out := make([]verifier.Facility, 0, max(n, len(fixedFacilities)))
	out = append(out, fixedFacilities...)
	used := map[string]bool{}
	for _, f := range out {
		used[f.Code] = true
	}
	add := func(f verifier.Facility) bool {
		if len(out) >= n || used[f.Code] {
			return len(out) < n
		}
		used[f.Code] = true
		out = append(out, f)
		return len(out) < n
	}
	for _, f := range centralFacilities {
		if !add(f) {
			return out
		}
	}
	// Provincial hospitals, most populous province first.
	order := make([]*province, len(g.provinces))
	for i := range g.provinces {
		order[i] = &g.provinces[i]
	}
	sortProvinces(order)
	for _, p := range order {
		if p.code == 1 || p.code == 79 || p.code == 46 {
			continue // central hospitals serve these in the demo set
		}
		kind := "tỉnh"
		if p.municipal {
			kind = "thành phố"
		}
		if !add(verifier.Facility{Code: code5(p.code, 1), Name: "Bệnh viện Đa khoa " + kind + " " + p.name, Province: code2(p.code), Level: verifier.LevelProvincial}) {
			return out
		}
	}
	// District centres and commune stations, by population.
	type cursor struct{ district, commune, nextD, nextC int }
	cur := map[int]*cursor{}
	r := rand.New(rand.NewPCG(uint64(seed), 0xfac111e5))
	for tries := 0; len(out) < n && tries < 50*n+1000; tries++ {
		p := g.pick(r)
		c := cur[p.code]
		if c == nil {
			c = &cursor{nextD: 2, nextC: 101}
			cur[p.code] = c
		}
		if r.IntN(100) < 45 && c.district < len(p.districts) {
			d := &p.districts[c.district]
			c.district++
			if p.code == 8 && d.name == "Yên Sơn" {
				continue // 08002
			}
			for used[code5(p.code, c.nextD)] {
				c.nextD++
			}
			if c.nextD > 99 {
				continue
			}
			name := "Trung tâm Y tế " + strings.ToLower(d.kind[:1]) + d.kind[1:] + " " + d.name
			if d.kind == "Thành phố" {
				name = "Trung tâm Y tế thành phố " + d.name
			}
			add(verifier.Facility{Code: code5(p.code, c.nextD), Name: name, Province: code2(p.code), Level: verifier.LevelDistrict})
			c.nextD++
			continue
		}
		// next commune, walking the districts' communes in order
		total := 0
		for _, d := range p.districts {
			total += len(d.communes)
		}
		if c.commune >= total {
			continue
		}
		k := c.commune
		c.commune++
		var cm commune
		for _, d := range p.districts {
			if k < len(d.communes) {
				cm = d.communes[k]
				break
			}
			k -= len(d.communes)
		}
		if p.code == 8 && cm.name == "Thái Bình" {
			continue // 08101
		}
		for used[code5(p.code, c.nextC)] {
			c.nextC++
		}
		if c.nextC > 999 {
			continue
		}
		kind := strings.ToLower(cm.kind[:1]) + cm.kind[1:]
		add(verifier.Facility{Code: code5(p.code, c.nextC), Name: "Trạm Y tế " + kind + " " + cm.name, Province: code2(p.code), Level: verifier.LevelCommune})
		c.nextC++
	}
	return out
}

func sortProvinces(ps []*province) {
	// insertion sort: 63 elements, stable and dependency-free
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && (ps[j].weight > ps[j-1].weight || ps[j].weight == ps[j-1].weight && ps[j].code < ps[j-1].code); j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

func code2(code int) string { return string(append2(nil, code)) }

func code5(province, n int) string {
	b := append2(make([]byte, 0, 5), province)
	return string(appendPadded(b, uint64(n), 3))
}
