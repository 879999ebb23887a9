package kiosk

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// The insurer gateway's card check, in its own field names, so that a
// hospital system that already calls the gateway can point its card check
// at this service with a configuration change. Dates are dd/MM/yyyy (or
// yyyy, MM/yyyy for partial birth dates), as on the gateway.

type gatewayRequest struct {
	MaThe    string `json:"maThe"`
	HoTen    string `json:"hoTen"`
	NgaySinh string `json:"ngaySinh"`
	GioiTinh *int   `json:"gioiTinh"` // 1 male, 2 female
	MaCSKCB  string `json:"maCSKCB"`  // the checking facility
	HoTenCb  string `json:"hoTenCb"`  // the checking staff member (since 2024); not stored
	CccdCb   string `json:"cccdCb"`
}

type gatewayResponse struct {
	MaKetQua    string `json:"maKetQua"`
	GhiChu      string `json:"ghiChu"`
	MaThe       string `json:"maThe"`
	HoTen       string `json:"hoTen,omitempty"`
	NgaySinh    string `json:"ngaySinh,omitempty"`
	GioiTinh    string `json:"gioiTinh,omitempty"`
	MaDKBD      string `json:"maDKBD,omitempty"`
	GtTheTu     string `json:"gtTheTu,omitempty"`
	GtTheDen    string `json:"gtTheDen,omitempty"`
	NgayDu5Nam  string `json:"ngayDu5Nam,omitempty"`
	MaTheCu     string `json:"maTheCu,omitempty"`
	MaTheMoi    string `json:"maTheMoi,omitempty"`
	GtTheTuMoi  string `json:"gtTheTuMoi,omitempty"`
	GtTheDenMoi string `json:"gtTheDenMoi,omitempty"`
	MucHuong    int    `json:"mucHuong"` // coverage percent at the checking facility
	// DsLichSuKT2018 is the card's check history today at other facilities.
	DsLichSuKT2018 []gatewayCheck `json:"dsLichSuKT2018"`
}

type gatewayCheck struct {
	MaCSKCB    string `json:"maCSKCB"`
	ThoiGianKT string `json:"thoiGianKT"` // yyyyMMddHHmm, local time, as the gateway writes it
	LoaiKCB    string `json:"loaiKCB"`
	MaKetQua   string `json:"maKetQua,omitempty"`
}

// gatewayCheckCard answers POST /v1/gateway/check-card.
func (s *Server) gatewayCheckCard(c *gin.Context) {
	var b gatewayRequest
	if _, err := s.readJSONOnly(c, &b); err != nil {
		s.abort(c, err)
		return
	}
	if b.MaThe == "" {
		s.abort(c, badRequest("invalid_request", `"maThe" (the card number) is required`))
		return
	}
	fac, err := facilityFor(keyOf(c), b.MaCSKCB)
	if err != nil {
		s.abort(c, err)
		return
	}
	req := verifier.EligibilityRequest{CardNo: strings.TrimSpace(b.MaThe), Facility: fac}
	req.Stated.FullName = b.HoTen
	if b.NgaySinh != "" {
		if req.Stated.DOB, err = parseBirthDate(b.NgaySinh); err != nil {
			s.abort(c, err)
			return
		}
	}
	if b.GioiTinh != nil {
		switch *b.GioiTinh {
		case 1:
			req.Stated.Gender = verifier.Male
		case 2:
			req.Stated.Gender = verifier.Female
		default:
			s.abort(c, verifier.Errorf(verifier.KindUnprocessable, "invalid_gender", "gioiTinh must be 1 (male) or 2 (female)"))
			return
		}
	}
	e, err := s.v.Eligibility(c.Request.Context(), req)
	if err != nil {
		s.abort(c, err)
		return
	}
	s.metrics.eligCodes.WithLabelValues(e.Code).Inc()
	if e.CitizenID != "" {
		readSubjects(c, e.CitizenID)
	}
	c.JSON(http.StatusOK, toGateway(req.CardNo, e))
}

func toGateway(cardNo string, e verifier.Eligibility) gatewayResponse {
	r := gatewayResponse{
		MaKetQua: e.Code, GhiChu: e.Message, MaThe: cardNo, MaDKBD: e.RegisteredFacility,
		GtTheTu: gatewayDate(e.ValidFrom), GtTheDen: gatewayDate(e.ValidTo), NgayDu5Nam: gatewayDate(e.FiveYearsSince),
		MucHuong: e.CoveragePercent, DsLichSuKT2018: []gatewayCheck{},
	}
	if e.Holder != nil {
		r.HoTen, r.NgaySinh = e.Holder.FullName, gatewayDate(e.Holder.DOB)
		switch e.Holder.Gender {
		case verifier.Male:
			r.GioiTinh = "Nam"
		case verifier.Female:
			r.GioiTinh = "Nữ"
		}
	}
	if e.NewCard != nil {
		r.MaTheCu, r.MaTheMoi = cardNo, e.NewCard.CardNo
		r.GtTheTuMoi, r.GtTheDenMoi = gatewayDate(e.NewCard.ValidFrom), gatewayDate(e.NewCard.ValidTo)
	}
	for _, h := range e.History {
		r.DsLichSuKT2018 = append(r.DsLichSuKT2018, gatewayCheck{
			MaCSKCB: h.Facility, ThoiGianKT: h.At.Format("200601021504"), LoaiKCB: string(h.VisitType), MaKetQua: h.Code,
		})
	}
	return r
}

// gatewayDate writes a (possibly partial) date as dd/MM/yyyy, MM/yyyy or yyyy.
func gatewayDate(d verifier.Date) string {
	s := d.String() // YYYY-MM-DD, YYYY-MM or YYYY
	switch len(s) {
	case 10:
		return s[8:] + "/" + s[5:7] + "/" + s[:4]
	case 7:
		return s[5:] + "/" + s[:4]
	}
	return s
}
