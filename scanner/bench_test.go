package scanner

import "testing"

func benchmarkParse(b *testing.B, in string) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseCCCD(b *testing.B)         { benchmarkParse(b, cccdExample) }
func BenchmarkParseCCCDMojibake(b *testing.B) { benchmarkParse(b, as1252(b, cccdExample)) }
func BenchmarkParseCCCDTelex(b *testing.B) {
	benchmarkParse(b, cccdWith("008095001234", "Nguyeenx Vawn Ddatj", "Nam", "x"))
}
func BenchmarkParseBHYT(b *testing.B)      { benchmarkParse(b, bhytExample) }
func BenchmarkParseBHYTTelex(b *testing.B) { benchmarkParse(b, imeTelex(bhytExample)) }
func BenchmarkParseMRZ(b *testing.B)       { benchmarkParse(b, mrzExample) }
