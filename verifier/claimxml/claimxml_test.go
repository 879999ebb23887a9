package claimxml_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"strings"
	"testing"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/claimxml"
)

func fields(lk string) verifier.ClaimFields {
	return verifier.ClaimFields{
		"MA_LK": lk, "MA_BN": "BN" + lk, "HO_TEN": "Nguyễn Văn An", "SO_CCCD": "008095001234", "NGAY_SINH": "199503140000",
		"GIOI_TINH": "1", "MA_THE_BHYT": "HS4010120878837", "NGAY_VAO": "202612010730", "NGAY_RA": "202612010815",
		"MA_LOAI_KCB": "01", "MA_KHOA": "K01", "MA_CSKCB": "08001", "T_TONGCHI_BV": "200000", "T_BHTT": "150000.50", "T_BNCCT": "49999.50",
	}
}

type result struct {
	claims   []verifier.Claim
	rejected []verifier.ClaimRejection
	err      error
}

func read(t *testing.T, r io.Reader) result {
	t.Helper()
	var res result
	res.err = claimxml.Read(r, claimxml.DefaultLimits(), claimxml.Handler{
		Claim:  func(c verifier.Claim) error { res.claims = append(res.claims, c); return nil },
		Reject: func(r verifier.ClaimRejection) { res.rejected = append(res.rejected, r) },
	})
	return res
}

func file(t *testing.T, recs ...verifier.ClaimFields) []byte {
	t.Helper()
	var b bytes.Buffer
	w := claimxml.NewWriter(&b, "08001")
	for i, f := range recs {
		extra := ""
		if i%2 == 0 {
			extra = "XML2"
		}
		if err := w.Add(f, "", extra); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReadsXML1(t *testing.T) {
	res := read(t, bytes.NewReader(file(t, fields("LK1"), fields("LK2"))))
	if res.err != nil || len(res.rejected) != 0 {
		t.Fatalf("err %v, rejected %v", res.err, res.rejected)
	}
	if len(res.claims) != 2 {
		t.Fatalf("%d claims, want 2", len(res.claims))
	}
	c := res.claims[0]
	want := verifier.Claim{Facility: "08001", MaLK: "LK1", MaBN: "BNLK1", FullName: "Nguyễn Văn An", SoCCCD: "008095001234",
		DOB: "199503140000", Gender: "1", CardNo: "HS4010120878837", MaLoaiKCB: "01", NgayVao: "202612010730", NgayRa: "202612010815",
		MaKhoa: "K01", TTongChi: "200000", TBHTT: "150000.5", TBNCCT: "49999.5", Day: "2026-12-01"}
	if c != want {
		t.Fatalf("claim\n %+v\nwant\n %+v", c, want)
	}
}

// A summary table is read by its fields' names whatever its root element,
// also as a list of several records, and other tables are skipped.
func TestAnyRootAndLists(t *testing.T) {
	inner := `<?xml version="1.0" encoding="utf-8"?><CHI_TIEU_TONG_HOP><DSACH><HOSO_TONGHOP><MA_LK>A</MA_LK><MA_CSKCB>08001</MA_CSKCB>` +
		`<SO_CCCD>008095001234</SO_CCCD><NGAY_VAO>202612010700</NGAY_VAO><MA_LOAI_KCB>1</MA_LOAI_KCB><T_BHTT>1</T_BHTT></HOSO_TONGHOP>` +
		`<HOSO_TONGHOP><MA_LK>B</MA_LK><MA_THE_BHYT>0111077012</MA_THE_BHYT><NGAY_VAO>202612020700</NGAY_VAO><MA_LOAI_KCB>07</MA_LOAI_KCB></HOSO_TONGHOP></DSACH></CHI_TIEU_TONG_HOP>`
	doc := `<GIAMDINHHS><THONGTINDONVI><MACSKCB>08001</MACSKCB></THONGTINDONVI><THONGTINHOSO><DANHSACHHOSO><HOSO>` +
		`<FILEHOSO><LOAIHOSO>XML3</LOAIHOSO><NOIDUNGFILE>` + base64.StdEncoding.EncodeToString([]byte("<x>not XML1 &amp; never read</x>")) + `</NOIDUNGFILE></FILEHOSO>` +
		`<FILEHOSO><NOIDUNGFILE>` + wrap(base64.StdEncoding.EncodeToString([]byte(inner))) + `</NOIDUNGFILE><LOAIHOSO> xml1 </LOAIHOSO></FILEHOSO>` +
		`<FILEHOSO><LOAIHOSO>XML15</LOAIHOSO><NOIDUNGFILE>!!not base64 but not XML1 either!!</NOIDUNGFILE></FILEHOSO>` +
		`</HOSO></DANHSACHHOSO></THONGTINHOSO></GIAMDINHHS>`
	res := read(t, strings.NewReader(doc))
	if res.err != nil || len(res.rejected) != 0 || len(res.claims) != 2 {
		t.Fatalf("err %v, rejected %v, %d claims", res.err, res.rejected, len(res.claims))
	}
	if a, b := res.claims[0], res.claims[1]; a.MaLK != "A" || a.MaLoaiKCB != "01" || b.MaLK != "B" || b.Facility != "08001" || b.CardNo != "0111077012" || b.Day != "2026-12-02" {
		t.Fatalf("claims %+v", res.claims)
	}
}

// wrap breaks base64 into 76-character lines, as many writers do.
func wrap(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	return b.String() + s
}

// Each bad record is rejected with its MA_LK and the field at fault, and
// the good ones of the same file are read.
func TestRejectsPerClaim(t *testing.T) {
	mod := func(lk string, f func(verifier.ClaimFields)) verifier.ClaimFields {
		x := fields(lk)
		f(x)
		return x
	}
	recs := []verifier.ClaimFields{
		fields("GOOD1"),
		mod("", func(f verifier.ClaimFields) { delete(f, "MA_LK") }),
		mod("NOVAO", func(f verifier.ClaimFields) { delete(f, "NGAY_VAO") }),
		mod("BADVAO", func(f verifier.ClaimFields) { f["NGAY_VAO"] = "20261301073" }),
		mod("FEB30", func(f verifier.ClaimFields) { f["NGAY_VAO"] = "202602300730" }),
		mod("RABEFORE", func(f verifier.ClaimFields) { f["NGAY_RA"] = "202611300730" }),
		mod("OTHERFAC", func(f verifier.ClaimFields) { f["MA_CSKCB"] = "01001" }),
		mod("BADLOAI", func(f verifier.ClaimFields) { f["MA_LOAI_KCB"] = "11" }),
		mod("BADCCCD", func(f verifier.ClaimFields) { f["SO_CCCD"] = "12345" }),
		mod("NOONE", func(f verifier.ClaimFields) { delete(f, "SO_CCCD"); delete(f, "MA_THE_BHYT") }),
		mod("BADMONEY", func(f verifier.ClaimFields) { f["T_BHTT"] = "1,5e6" }),
		fields("GOOD2"),
	}
	res := read(t, bytes.NewReader(file(t, recs...)))
	if res.err != nil {
		t.Fatal(res.err)
	}
	if len(res.claims) != 2 || res.claims[0].MaLK != "GOOD1" || res.claims[1].MaLK != "GOOD2" {
		t.Fatalf("claims %+v", res.claims)
	}
	want := []struct{ lk, field string }{
		{"", "MA_LK"}, {"NOVAO", "NGAY_VAO"}, {"BADVAO", "NGAY_VAO"}, {"FEB30", "NGAY_VAO"}, {"RABEFORE", "NGAY_RA"},
		{"OTHERFAC", "MA_CSKCB"}, {"BADLOAI", "MA_LOAI_KCB"}, {"BADCCCD", "SO_CCCD"}, {"NOONE", "SO_CCCD"}, {"BADMONEY", "T_BHTT"},
	}
	if len(res.rejected) != len(want) {
		t.Fatalf("rejected %v, want %d", res.rejected, len(want))
	}
	for i, w := range want {
		r := res.rejected[i]
		if r.MaLK != w.lk || !strings.Contains(r.Error, w.field) || !strings.Contains(r.Error, "HOSO ") {
			t.Errorf("rejection %d = %+v, want MA_LK %q and field %s named", i, r, w.lk, w.field)
		}
	}
}

func TestRejectsTablesAndFiles(t *testing.T) {
	env := func(hoso string) string {
		return `<?xml version="1.0"?><GIAMDINHHS><THONGTINDONVI><MACSKCB>08001</MACSKCB></THONGTINDONVI><THONGTINHOSO><DANHSACHHOSO>` + hoso +
			`</DANHSACHHOSO></THONGTINHOSO></GIAMDINHHS>`
	}
	xml1 := func(b64 string) string {
		return `<HOSO><FILEHOSO><LOAIHOSO>XML1</LOAIHOSO><NOIDUNGFILE>` + b64 + `</NOIDUNGFILE></FILEHOSO></HOSO>`
	}
	good := xml1(base64.StdEncoding.EncodeToString(mustTable(t, fields("OK"))))
	bomb := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
		`<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>`
	tests := []struct {
		name      string
		doc       string
		code      string // the file's error code; "" : read
		claims    int
		rejection string // part of the one rejection's message
	}{
		{"not base64", env(xml1("%%%not-base64%%%") + good), "", 1, "not base64"},
		{"inner not XML", env(xml1(base64.StdEncoding.EncodeToString([]byte("<TONG_HOP><MA_LK>X</MA_LK>"))) + good), "", 1, "not well-formed"},
		{"inner entity bomb", env(xml1(base64.StdEncoding.EncodeToString([]byte(bomb+"<TONG_HOP><MA_LK>&lol3;</MA_LK></TONG_HOP>"))) + good), "", 1, "entities"},
		{"inner undefined entity", env(xml1(base64.StdEncoding.EncodeToString([]byte("<TONG_HOP><MA_LK>&lol;</MA_LK></TONG_HOP>"))) + good), "", 1, "not well-formed"},
		{"empty table", env(xml1("") + good), "", 1, "empty"},
		{"table without records", env(xml1(base64.StdEncoding.EncodeToString([]byte("<X><Y>1</Y></X>"))) + good), "", 1, "no record"},
		{"no LOAIHOSO", env(`<HOSO><FILEHOSO><NOIDUNGFILE>AAAA</NOIDUNGFILE></FILEHOSO></HOSO>` + good), "", 1, "without LOAIHOSO"},
		{"entity bomb", bomb + `<GIAMDINHHS>&lol3;</GIAMDINHHS>`, "xml_entities", 0, ""},
		{"undefined entity", `<GIAMDINHHS>&lol;</GIAMDINHHS>`, "malformed_xml", 0, ""},
		{"external entity", `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><GIAMDINHHS>&e;</GIAMDINHHS>`, "xml_entities", 0, ""},
		{"wrong envelope", `<HOSO><FILEHOSO/></HOSO>`, "invalid_envelope", 0, ""},
		{"empty", ``, "invalid_envelope", 0, ""},
		{"not XML", `{"json": true}`, "invalid_envelope", 0, ""},
		{"truncated", env(good)[:len(env(good))-20], "malformed_xml", 1, ""},
		{"mismatched tags", `<GIAMDINHHS><A></B></GIAMDINHHS>`, "malformed_xml", 0, ""},
		{"two roots", `<GIAMDINHHS/><GIAMDINHHS/>`, "malformed_xml", 0, ""},
		{"latin1", `<?xml version="1.0" encoding="ISO-8859-1"?><GIAMDINHHS/>`, "malformed_xml", 0, ""},
		{"deep", `<GIAMDINHHS>` + strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100) + `</GIAMDINHHS>`, "malformed_xml", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := read(t, strings.NewReader(tt.doc))
			if tt.code == "" && res.err != nil || tt.code != "" && (res.err == nil || verifier.AsError(res.err).Code != tt.code) {
				t.Fatalf("error %v, want code %q", res.err, tt.code)
			}
			if len(res.claims) != tt.claims {
				t.Fatalf("%d claims, want %d", len(res.claims), tt.claims)
			}
			if tt.rejection != "" && (len(res.rejected) != 1 || !strings.Contains(res.rejected[0].Error, tt.rejection)) {
				t.Fatalf("rejected %v, want one with %q", res.rejected, tt.rejection)
			}
			if res.err != nil && verifier.KindOf(res.err) == verifier.KindInternal {
				t.Fatalf("a bad file is an internal error: %v", res.err)
			}
		})
	}
}

func mustTable(t *testing.T, f verifier.ClaimFields) []byte {
	var b bytes.Buffer
	w := claimxml.NewWriter(&b, "08001")
	w.Add(f, "", "")
	w.Close()
	// Cut the one NOIDUNGFILE out of the file and decode it.
	s := b.String()
	i, j := strings.Index(s, "<NOIDUNGFILE>")+len("<NOIDUNGFILE>"), strings.Index(s, "</NOIDUNGFILE>")
	out, err := base64.StdEncoding.DecodeString(s[i:j])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A NOIDUNGFILE longer than the limit rejects its table alone and is never
// held whole: the file goes on. A comment that long stops the file.
func TestHugeTextIsBounded(t *testing.T) {
	lim := claimxml.Limits{MaxText: 1 << 20, MaxTable: 1 << 20, MaxDepth: 32}
	good := base64.StdEncoding.EncodeToString(mustTable(t, fields("AFTER")))
	head := `<GIAMDINHHS><THONGTINHOSO><DANHSACHHOSO><HOSO><FILEHOSO><LOAIHOSO>XML1</LOAIHOSO><NOIDUNGFILE>`
	tail := `</NOIDUNGFILE></FILEHOSO></HOSO><HOSO><FILEHOSO><LOAIHOSO>XML1</LOAIHOSO><NOIDUNGFILE>` + good +
		`</NOIDUNGFILE></FILEHOSO></HOSO></DANHSACHHOSO></THONGTINHOSO></GIAMDINHHS>`
	// 50 MB of base64, generated as it is read.
	body := io.MultiReader(strings.NewReader(head), io.LimitReader(repeatReader('Q'), 50<<20), strings.NewReader(tail))
	var claims []verifier.Claim
	var rejected []verifier.ClaimRejection
	err := claimxml.Read(body, lim, claimxml.Handler{
		Claim:  func(c verifier.Claim) error { claims = append(claims, c); return nil },
		Reject: func(r verifier.ClaimRejection) { rejected = append(rejected, r) },
	})
	if err != nil || len(claims) != 1 || claims[0].MaLK != "AFTER" || len(rejected) != 1 || !strings.Contains(rejected[0].Error, "HOSO 1") {
		t.Fatalf("err %v, claims %v, rejected %v", err, claims, rejected)
	}
	comment := io.MultiReader(strings.NewReader(`<GIAMDINHHS><!--`), io.LimitReader(repeatReader('<'), 2<<20), strings.NewReader(`--></GIAMDINHHS>`))
	err = claimxml.Read(comment, lim, claimxml.Handler{})
	if verifier.AsError(err).Code != "xml_too_large" {
		t.Fatalf("a 2 MB comment: %v, want xml_too_large", err)
	}
	// A short comment and CDATA pass.
	ok := `<GIAMDINHHS><!-- <a> - > --><X><![CDATA[ <b> ]] ]]></X></GIAMDINHHS>`
	if err := claimxml.Read(strings.NewReader(ok), lim, claimxml.Handler{}); err != nil {
		t.Fatalf("comment and CDATA: %v", err)
	}
}

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// A reader's own error (a body over its size limit) is passed on as is.
func TestReaderErrorPassesThrough(t *testing.T) {
	want := verifier.Errorf(verifier.KindTooLarge, "body_too_large", "too large")
	err := claimxml.Read(io.MultiReader(strings.NewReader("<GIAMDINHHS>"), errAfter{want}), claimxml.DefaultLimits(), claimxml.Handler{})
	if verifier.AsError(err).Code != "body_too_large" {
		t.Fatalf("got %v", err)
	}
}

type errAfter struct{ err error }

func (e errAfter) Read([]byte) (int, error) { return 0, e.err }

func FuzzRead(f *testing.F) {
	var b bytes.Buffer
	w := claimxml.NewWriter(&b, "08001")
	w.Add(fields("F1"), "", "XML2")
	w.Close()
	f.Add(b.Bytes())
	f.Add([]byte(`<GIAMDINHHS><THONGTINHOSO><DANHSACHHOSO><HOSO><FILEHOSO><LOAIHOSO>XML1</LOAIHOSO><NOIDUNGFILE>PFg+PE1BX0xLPjE8L01BX0xLPjwvWD4=</NOIDUNGFILE></FILEHOSO></HOSO></DANHSACHHOSO></THONGTINHOSO></GIAMDINHHS>`))
	f.Add([]byte(`<!DOCTYPE a [<!ENTITY b "c">]><GIAMDINHHS>&b;</GIAMDINHHS>`))
	f.Add([]byte(`<GIAMDINHHS><!-- x --><![CDATA[y]]></GIAMDINHHS>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := claimxml.Limits{MaxText: 256, MaxTable: 192, MaxDepth: 8}
		err := claimxml.Read(bytes.NewReader(data), lim, claimxml.Handler{
			Claim: func(c verifier.Claim) error {
				if c.MaLK == "" || len(c.Facility) != 5 || len(c.Day) != 10 || c.NgayVao[:8] != strings.ReplaceAll(c.Day, "-", "") {
					t.Fatalf("an invalid claim was handed out: %+v", c)
				}
				return nil
			},
			Reject: func(r verifier.ClaimRejection) {
				if r.Error == "" {
					t.Fatal("a rejection without a reason")
				}
			},
		})
		if err != nil {
			if k := verifier.KindOf(err); k != verifier.KindUnprocessable && k != verifier.KindTooLarge {
				t.Fatalf("kind %s for bad input: %v", k, err)
			}
		}
	})
}
