package claimxml

import (
	"bufio"
	"encoding/base64"
	"encoding/xml"
	"io"
	"strconv"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// XML1Order is the order of the XML1 fields this package writes (a subset
// of Decision 130's table 1, in its order).
var XML1Order = []string{
	"MA_LK", "STT", "MA_BN", "HO_TEN", "SO_CCCD", "NGAY_SINH", "GIOI_TINH", "DIA_CHI", "MA_THE_BHYT",
	"MA_DKBD", "GT_THE_TU", "GT_THE_DEN", "LY_DO_VV", "MA_DOITUONG_KCB", "NGAY_VAO", "NGAY_RA",
	"MA_LOAI_KCB", "MA_KHOA", "MA_CSKCB", "T_TONGCHI_BV", "T_BHTT", "T_BNCCT", "NAM_QT", "THANG_QT",
}

// Writer writes a claim file: the GIAMDINHHS envelope of one facility and
// one HOSO per Add. It is how kioskctl gen and the tests make files.
type Writer struct {
	w   *bufio.Writer
	n   int
	err error
	buf []byte
}

// NewWriter starts a file for facility (THONGTINDONVI/MACSKCB).
func NewWriter(w io.Writer, facility string) *Writer {
	x := &Writer{w: bufio.NewWriterSize(w, 64<<10)}
	x.str(xml.Header)
	x.str("<GIAMDINHHS xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n<THONGTINDONVI><MACSKCB>")
	x.esc(facility)
	x.str("</MACSKCB></THONGTINDONVI>\n<THONGTINHOSO><NGAYLAP>20260101</NGAYLAP><SOLUONGHOSO>0</SOLUONGHOSO><DANHSACHHOSO>\n")
	return x
}

// Add writes one HOSO: table XML1 with fields (in XML1Order, then any
// other field in no order), root element root ("TONG_HOP" when ""), and,
// when extra is not empty, a further table of that LOAIHOSO with a small
// body, to show that other tables are skipped.
func (x *Writer) Add(fields verifier.ClaimFields, root, extra string) error {
	if root == "" {
		root = "TONG_HOP"
	}
	x.n++
	x.buf = x.buf[:0]
	x.buf = append(x.buf, `<?xml version="1.0" encoding="utf-8"?><`...)
	x.buf = append(x.buf, root...)
	x.buf = append(x.buf, '>')
	done := map[string]bool{}
	add := func(k, v string) {
		x.buf = append(x.buf, '<')
		x.buf = append(x.buf, k...)
		x.buf = append(x.buf, '>')
		x.buf = appendEscaped(x.buf, v)
		x.buf = append(x.buf, "</"...)
		x.buf = append(x.buf, k...)
		x.buf = append(x.buf, '>')
	}
	for _, k := range XML1Order {
		if v, ok := fields[k]; ok {
			add(k, v)
			done[k] = true
		}
	}
	for k, v := range fields {
		if !done[k] {
			add(k, v)
		}
	}
	x.buf = append(x.buf, "</"...)
	x.buf = append(x.buf, root...)
	x.buf = append(x.buf, '>')
	x.str("<HOSO><FILEHOSO><LOAIHOSO>XML1</LOAIHOSO><NOIDUNGFILE>")
	x.b64(x.buf)
	x.str("</NOIDUNGFILE></FILEHOSO>")
	if extra != "" {
		x.str("<FILEHOSO><LOAIHOSO>")
		x.esc(extra)
		x.str("</LOAIHOSO><NOIDUNGFILE>")
		x.b64([]byte(`<?xml version="1.0" encoding="utf-8"?><CHITIEU_CHITIET_THUOC><DSACH_CHI_TIET_THUOC><CHI_TIET_THUOC><MA_LK>` +
			escaped(fields["MA_LK"]) + `</MA_LK><STT>1</STT><MA_THUOC>40.17</MA_THUOC></CHI_TIET_THUOC></DSACH_CHI_TIET_THUOC></CHITIEU_CHITIET_THUOC>`))
		x.str("</NOIDUNGFILE></FILEHOSO>")
	}
	x.str("</HOSO>\n")
	return x.err
}

// Close ends the envelope and flushes; it does not close the io.Writer.
func (x *Writer) Close() error {
	x.str("</DANHSACHHOSO></THONGTINHOSO>\n<CHUKYDONVI/></GIAMDINHHS>\n")
	if x.err == nil {
		x.err = x.w.Flush()
	}
	return x.err
}

// Count is the number of HOSO written.
func (x *Writer) Count() int { return x.n }

func (x *Writer) str(s string) {
	if x.err == nil {
		_, x.err = x.w.WriteString(s)
	}
}

func (x *Writer) esc(s string) {
	if x.err == nil {
		x.err = xml.EscapeText(x.w, []byte(s))
	}
}

func (x *Writer) b64(b []byte) {
	if x.err != nil {
		return
	}
	enc := base64.NewEncoder(base64.StdEncoding, x.w)
	if _, x.err = enc.Write(b); x.err == nil {
		x.err = enc.Close()
	}
}

func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '<':
			dst = append(dst, "&lt;"...)
		case '>':
			dst = append(dst, "&gt;"...)
		case '&':
			dst = append(dst, "&amp;"...)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

func escaped(s string) string { return string(appendEscaped(nil, s)) }

// Fields returns the XML1 fields of a claim, as Add writes them.
func Fields(c verifier.Claim) verifier.ClaimFields {
	f := verifier.ClaimFields{
		"MA_LK": c.MaLK, "STT": "1", "MA_BN": c.MaBN, "HO_TEN": c.FullName, "NGAY_SINH": c.DOB, "GIOI_TINH": c.Gender,
		"MA_THE_BHYT": c.CardNo, "NGAY_VAO": c.NgayVao, "NGAY_RA": c.NgayRa, "MA_LOAI_KCB": c.MaLoaiKCB,
		"MA_KHOA": c.MaKhoa, "MA_CSKCB": c.Facility, "T_TONGCHI_BV": string(c.TTongChi), "T_BHTT": string(c.TBHTT),
		"T_BNCCT": string(c.TBNCCT), "NAM_QT": c.NamQT, "THANG_QT": c.ThangQT,
	}
	if c.SoCCCD != "" {
		f["SO_CCCD"] = string(c.SoCCCD)
	}
	if len(c.NgayVao) >= 6 {
		if f["NAM_QT"] == "" {
			f["NAM_QT"] = c.NgayVao[:4]
		}
		if f["THANG_QT"] == "" {
			m, _ := strconv.Atoi(c.NgayVao[4:6])
			f["THANG_QT"] = strconv.Itoa(m)
		}
	}
	return f
}
