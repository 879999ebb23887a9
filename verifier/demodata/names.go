package demodata

import (
	"math/rand/v2"
	"sort"
	"strings"
)

// weighted is a table of strings drawn with integer weights.
type weighted struct {
	items []string
	cum   []int
}

func newWeighted(pairs ...any) weighted {
	var w weighted
	total := 0
	for i := 0; i < len(pairs); i += 2 {
		total += pairs[i+1].(int)
		w.items = append(w.items, pairs[i].(string))
		w.cum = append(w.cum, total)
	}
	return w
}

func (w *weighted) index(r *rand.Rand) int {
	return pickCum(r, w.cum)
}

// pickCum draws an index at random with the weights whose running sums
// are cum.
func pickCum(r *rand.Rand, cum []int) int {
	return sort.SearchInts(cum, r.IntN(cum[len(cum)-1])+1)
}

func (w *weighted) pick(r *rand.Rand) string { return w.items[w.index(r)] }

// Surnames with their approximate shares of the population (per mille).
// Hoàng and Vũ are written Huỳnh and Võ by most families in the south (see
// surname).
var surnames = newWeighted(
	"Nguyễn", 384, "Trần", 121, "Lê", 95, "Phạm", 70, "Hoàng", 51, "Phan", 45, "Vũ", 39,
	"Đặng", 21, "Bùi", 20, "Đỗ", 14, "Hồ", 13, "Ngô", 13, "Dương", 10, "Lý", 5,
	"Đào", 8, "Đoàn", 7, "Trịnh", 6, "Trương", 7, "Đinh", 6, "Lâm", 4, "Mai", 4, "Lương", 4,
	"Hà", 5, "Cao", 4, "Tạ", 3, "Lưu", 3, "Vương", 3, "Tô", 2, "Châu", 2, "Quách", 2,
	"Phùng", 2, "Kiều", 1, "Thái", 2, "Triệu", 2, "Nông", 2, "La", 1, "Hứa", 1, "Văn", 1,
	"Tăng", 1, "Chu", 2, "Lục", 1, "Ma", 1, "Lò", 1, "Đàm", 1, "Khúc", 1, "Giang", 1,
)

// surname draws a family name; south is true for provinces from Đà Nẵng
// southwards, where Huỳnh and Võ are the usual spellings.
func surname(r *rand.Rand, south bool) string {
	s := surnames.pick(r)
	if south {
		switch s {
		case "Hoàng":
			if r.IntN(10) < 7 {
				return "Huỳnh"
			}
		case "Vũ":
			if r.IntN(10) < 8 {
				return "Võ"
			}
		}
	}
	return s
}

var (
	maleMiddle = []string{
		"Đức", "Minh", "Quang", "Hữu", "Công", "Thành", "Xuân", "Ngọc", "Anh", "Hoàng",
		"Gia", "Trọng", "Mạnh", "Duy", "Tuấn", "Thanh", "Bảo", "Đình", "Hải", "Quốc",
		"Tiến", "Việt", "Trung", "Đăng", "Khắc", "Như", "Thế", "Huy",
	}
	femaleMiddle = []string{
		"Ngọc", "Thu", "Thanh", "Minh", "Phương", "Bích", "Hồng", "Kim", "Mỹ", "Khánh",
		"Hải", "Bảo", "Diệu", "Thùy", "Quỳnh", "Mai", "Lan", "Hoài", "Thúy", "Thảo",
		"Hà", "Tuyết", "Cẩm", "Vân", "Yến", "Như", "Hương", "Kiều",
	}
	maleGiven = newWeighted(
		"An", 3, "Bình", 3, "Hùng", 4, "Dũng", 4, "Đạt", 3, "Tiến", 3, "Nam", 5, "Hải", 4,
		"Sơn", 4, "Tuấn", 5, "Minh", 5, "Long", 4, "Quân", 3, "Thắng", 3, "Cường", 3,
		"Hưng", 3, "Huy", 4, "Khoa", 2, "Phúc", 3, "Trung", 3, "Thành", 4, "Hoàng", 3,
		"Phong", 3, "Việt", 2, "Hiếu", 3, "Khánh", 2, "Tùng", 3, "Lâm", 2, "Đức", 4,
		"Vinh", 3, "Kiên", 2, "Toàn", 2, "Hiệp", 2, "Quang", 3, "Bảo", 2, "Duy", 3,
		"Nghĩa", 2, "Tâm", 2, "Thịnh", 2, "Lộc", 2, "Tài", 2, "Phát", 2, "Hòa", 2,
		"Thủy", 1, "Chiến", 2, "Hậu", 2, "Khải", 1, "Thái", 2, "Vũ", 2, "Trí", 2, "Nhân", 2,
	)
	femaleGiven = newWeighted(
		"Lan", 4, "Hương", 5, "Mai", 4, "Linh", 6, "Hoa", 4, "Hà", 4, "Thảo", 5, "Trang", 6,
		"Ngọc", 4, "Hằng", 4, "Nga", 3, "Huyền", 4, "Phương", 4, "Thủy", 4, "Yến", 3,
		"Anh", 5, "Vy", 3, "Nhung", 3, "Hạnh", 3, "Dung", 3, "Loan", 2, "Hồng", 3,
		"Oanh", 2, "Nhi", 3, "Quỳnh", 3, "Trâm", 2, "Giang", 3, "Chi", 2, "Thu", 3,
		"Ly", 2, "My", 2, "Tuyết", 2, "Hiền", 3, "Vân", 3, "Uyên", 2, "Ánh", 2,
		"Diệp", 1, "Nhàn", 2, "Liên", 2, "Xuân", 2, "Thúy", 3, "Hòa", 2, "Lụa", 1,
	)
)

// fullName draws a name for gender (female true) and birth year: older
// generations mostly carry the middle name Văn or Thị.
func fullName(r *rand.Rand, family string, female bool, birthYear int) string {
	var classic int // per mille
	switch {
	case birthYear < 1975:
		classic = 700
	case birthYear < 1995:
		classic = 450
	default:
		classic = 150
	}
	var mid, given string
	if female {
		classic += 100
		mid = "Thị"
		if r.IntN(1000) >= classic {
			mid = femaleMiddle[r.IntN(len(femaleMiddle))]
		}
		given = femaleGiven.pick(r)
	} else {
		mid = "Văn"
		if r.IntN(1000) >= classic {
			mid = maleMiddle[r.IntN(len(maleMiddle))]
		}
		given = maleGiven.pick(r)
	}
	if mid == given {
		if female {
			mid = "Thị"
		} else {
			mid = "Văn"
		}
	}
	if mid != "Văn" && r.IntN(100) < 12 { // a second middle name: Nguyễn Thị Thu Hương
		var m2 string
		if female {
			m2 = femaleMiddle[r.IntN(len(femaleMiddle))]
		} else {
			m2 = maleMiddle[r.IntN(len(maleMiddle))]
		}
		if m2 != mid && m2 != given {
			return family + " " + mid + " " + m2 + " " + given
		}
	}
	return family + " " + mid + " " + given
}

// Extra population fields. The values are stored pre-encoded as JSON.
var (
	ethnicMountainNorth = newWeighted("Kinh", 45, "Tày", 15, "Thái", 9, "H'Mông", 12, "Dao", 9, "Nùng", 6, "Mường", 3, "Sán Dìu", 1)
	ethnicHighlands     = newWeighted("Kinh", 66, "Gia Rai", 12, "Ê Đê", 10, "Ba Na", 5, "Xơ Đăng", 3, "Tày", 2, "Nùng", 2)
	ethnicKhmerSouth    = newWeighted("Kinh", 84, "Khmer", 13, "Hoa", 3)
	ethnicDefault       = newWeighted("Kinh", 960, "Mường", 12, "Hoa", 10, "Tày", 8, "Thái", 6, "Chăm", 4)
	religions           = newWeighted("Không", 820, "Phật giáo", 90, "Công giáo", 70, "Tin lành", 10, "Cao Đài", 6, "Phật giáo Hòa Hảo", 4)
)

func ethnicTable(code int) *weighted {
	switch code {
	case 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 20:
		return &ethnicMountainNorth
	case 62, 64, 66, 67:
		return &ethnicHighlands
	case 84, 89, 91, 94, 95:
		return &ethnicKhmerSouth
	}
	return &ethnicDefault
}

// Mobile prefixes of the Vietnamese carriers (10-digit numbers).
var phonePrefixes = []string{
	"032", "033", "034", "035", "036", "037", "038", "039", "056", "058", "070", "076",
	"077", "078", "079", "081", "082", "083", "084", "085", "086", "088", "089", "090",
	"091", "092", "093", "094", "096", "097", "098", "099",
}

// Vietnamese letters with diacritics and their bare ASCII letter.
var bare = func() map[rune]rune {
	m := map[rune]rune{}
	groups := map[rune]string{
		'a': "àáảãạăằắẳẵặâầấẩẫậ", 'A': "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ",
		'e': "èéẻẽẹêềếểễệ", 'E': "ÈÉẺẼẸÊỀẾỂỄỆ",
		'i': "ìíỉĩị", 'I': "ÌÍỈĨỊ",
		'o': "òóỏõọôồốổỗộơờớởỡợ", 'O': "ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ",
		'u': "ùúủũụưừứửữự", 'U': "ÙÚỦŨỤƯỪỨỬỮỰ",
		'y': "ỳýỷỹỵ", 'Y': "ỲÝỶỸỴ",
		'd': "đ", 'D': "Đ",
	}
	for base, s := range groups {
		for _, c := range s {
			m[c] = base
		}
	}
	return m
}()

// stripDiacritics returns s with Vietnamese letters replaced by ASCII ones.
func stripDiacritics(s string) string {
	return strings.Map(func(c rune) rune {
		if b, ok := bare[c]; ok {
			return b
		}
		return c
	}, s)
}

// oldStyleTones are the two accepted placements of a tone mark in some
// syllables (Hòa / Hoà, Thủy / Thuỷ): both are NFC and compare unequal, a
// common difference between a card and the population record.
var oldStyleTones = [][2]string{
	{"òa", "oà"}, {"óa", "oá"}, {"ỏa", "oả"}, {"õa", "oã"}, {"ọa", "oạ"},
	{"ủy", "uỷ"}, {"úy", "uý"}, {"ùy", "uỳ"}, {"ũy", "uỹ"}, {"ụy", "uỵ"},
	{"òe", "oè"}, {"óe", "oé"},
}

// nameVariant returns a slightly different spelling of a full name, as
// printed on an insurance card: old-style tone placement, one word without
// diacritics, or i/y exchanged. It never returns name itself.
func nameVariant(r *rand.Rand, name string) string {
	if r.IntN(3) == 0 {
		for _, p := range oldStyleTones {
			if strings.Contains(name, p[0]) {
				return strings.Replace(name, p[0], p[1], 1)
			}
		}
	}
	words := strings.Fields(name)
	start := r.IntN(len(words))
	for k := range words {
		i := (start + k) % len(words)
		if w := stripDiacritics(words[i]); w != words[i] {
			words[i] = w
			return strings.Join(words, " ")
		}
	}
	last := words[len(words)-1]
	switch {
	case strings.HasSuffix(last, "y"):
		words[len(words)-1] = last[:len(last)-1] + "i"
	case strings.HasSuffix(last, "i"):
		words[len(words)-1] = last[:len(last)-1] + "y"
	default:
		words[len(words)-1] = last + "h"
	}
	return strings.Join(words, " ")
}
