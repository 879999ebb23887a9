package kiosk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// The insurer gateway's card check, exactly as hospital systems call it
// (docs/domain.md §6, "How hospital systems call the gateway today"): an
// HIS points its two configured URLs (/api/token/take and
// /api/egw/KQNhanLichSuKCB2024) at this service and keeps working. The
// older /v1/gateway/check-card is an alias with the same answer, for the
// service's own API keys.
//
// On these routes every answer is the gateway's JSON: a bad parameter is
// maKetQua 205 naming the field, a bad login 401, never a /v1 error body
// or a gin page. The card check answers HTTP 200 whatever its maKetQua
// (HIS clients read the body whatever the status); a failed login is HTTP
// 401, as the contract says. Query strings carry the password: nothing
// here logs them (observe logs the route template only).

// gatewayRequest lists the fields the card check reads, from a form,
// multipart or JSON body (JSON numbers are taken as their text).
type gatewayRequest struct {
	MaThe    string `json:"maThe"`    // card code, 10-digit number or 12-digit citizen ID
	HoTen    string `json:"hoTen"`    // the holder's name
	NgaySinh string `json:"ngaySinh"` // dd/MM/yyyy, MM/yyyy or yyyy
	GioiTinh string `json:"gioiTinh"` // optional: 1 male, 2 female
	MaCSKCB  string `json:"maCSKCB"`  // optional: the checking facility (the account's)
	MaDKBD   string `json:"maDKBD"`   // optional: the registered facility as read from the card (090)
	HoTenCb  string `json:"hoTenCb"`  // the checking staff member's name
	CccdCb   string `json:"cccdCb"`   // the checking staff member's ID number
}

// gatewayFields maps the wire names to the request's fields.
func (r *gatewayRequest) fields() map[string]*string {
	return map[string]*string{
		"maThe": &r.MaThe, "hoTen": &r.HoTen, "ngaySinh": &r.NgaySinh, "gioiTinh": &r.GioiTinh,
		"maCSKCB": &r.MaCSKCB, "maDKBD": &r.MaDKBD, "hoTenCb": &r.HoTenCb, "cccdCb": &r.CccdCb,
	}
}

// gatewayResponse is the gateway's answer: every key present, even empty
// (docs/domain.md §6 item 3), plus mucHuong, this service's coverage.
type gatewayResponse struct {
	MaKetQua    string `json:"maKetQua"`
	GhiChu      string `json:"ghiChu"`
	MaThe       string `json:"maThe"`
	HoTen       string `json:"hoTen"`
	NgaySinh    string `json:"ngaySinh"`
	GioiTinh    string `json:"gioiTinh"`
	DiaChi      string `json:"diaChi"`
	MaDKBD      string `json:"maDKBD"`
	CqBHXH      string `json:"cqBHXH"`
	GtTheTu     string `json:"gtTheTu"`
	GtTheDen    string `json:"gtTheDen"`
	MaKV        string `json:"maKV"`
	NgayDu5Nam  string `json:"ngayDu5Nam"`
	MaSoBHXH    string `json:"maSoBHXH"`
	MaTheCu     string `json:"maTheCu"`
	MaTheMoi    string `json:"maTheMoi"`
	GtTheTuMoi  string `json:"gtTheTuMoi"`
	GtTheDenMoi string `json:"gtTheDenMoi"`
	MaDKBDMoi   string `json:"maDKBDMoi"`
	TenDKBDMoi  string `json:"tenDKBDMoi"`
	MucHuong    int    `json:"mucHuong"` // coverage percent at the checking facility
	// DsLichSuKCB2018 is the card's visits of the day (check-ins at any
	// facility); null when they could not be read or are not disclosed.
	DsLichSuKCB2018 []gatewayVisit `json:"dsLichSuKCB2018"`
	// DsLichSuKT2018 is every check-in and card check of the card on the
	// local day at any facility, newest first.
	DsLichSuKT2018 []gatewayCheck `json:"dsLichSuKT2018"`
}

// gatewayCheck is one look-up of the card (dsLichSuKT2018).
type gatewayCheck struct {
	UserKT     string `json:"userKT"`     // the account that checked; its first 5 characters are the facility
	ThoiGianKT string `json:"thoiGianKT"` // yyyyMMddHHmm, local time
	ThongBao   string `json:"thongBao"`   // what the check answered
	MaLoi      string `json:"maLoi"`      // its result code
}

// gatewayVisit is one visit of the card (dsLichSuKCB2018): a check-in.
type gatewayVisit struct {
	MaHoSo    string `json:"maHoSo"`  // the check-in ID
	MaCSKCB   string `json:"maCSKCB"` // the facility
	NgayVao   string `json:"ngayVao"` // yyyyMMddHHmm, local time
	NgayRa    string `json:"ngayRa"`  // "": not known at check-in
	TenBenh   string `json:"tenBenh"`
	TinhTrang string `json:"tinhTrang"`
	KqDieuTri string `json:"kqDieuTri"`
	LyDoVV    string `json:"lyDoVV"` // the visit type: outpatient, emergency, referral, inpatient
}

// gatewayFault is a gateway answer without card data: 205 naming a field,
// 401, or 500.
type gatewayFault struct {
	code   string // maKetQua
	detail string // names the field or the reason, in English
}

func (f *gatewayFault) Error() string { return f.code + ": " + f.detail }

func badParam(field, format string, args ...any) *gatewayFault {
	return &gatewayFault{code: verifier.CodeBadParams, detail: field + ": " + fmt.Sprintf(format, args...)}
}

// ghiChu is the gateway's note: the code's Vietnamese meaning, then the
// detail.
func (f *gatewayFault) ghiChu() string {
	m := verifier.ResultMessages[f.code][0]
	if f.detail == "" {
		return m
	}
	return m + " (" + f.detail + ")"
}

const ctxGateway = "kiosk.gateway"

// Gateway answer modes, kept in the gin context of a gateway route.
const (
	gatewayCheckMode = "check" // always HTTP 200 with the full answer
	gatewayTokenMode = "token" // HTTP status as the error's, {"maKetQua", "ghiChu"}
)

// gatewayShaped marks a route whose errors are answered in the gateway's
// format (see abort).
func gatewayShaped(mode string) gin.HandlerFunc {
	return func(c *gin.Context) { c.Set(ctxGateway, mode) }
}

func gatewayMode(c *gin.Context) string {
	m, _ := c.Get(ctxGateway)
	s, _ := m.(string)
	return s
}

// gatewayAbort answers err on a gateway route. Errors of the shared
// middleware (authentication, rate limits, body limits) arrive here
// through abort.
func (s *Server) gatewayAbort(c *gin.Context, err error) {
	var f *gatewayFault
	status := http.StatusOK
	if !errors.As(err, &f) {
		e := verifier.AsError(err)
		f = &gatewayFault{code: verifier.CodeBadParams, detail: e.Message}
		st, ok := statusOf[e.Kind]
		if !ok {
			st = http.StatusInternalServerError
		}
		switch {
		case e.Kind == errUnauthenticated.Kind || e.Kind == verifier.KindForbidden:
			f.code = verifier.CodeAuth
		case e.Kind == errRateLimited.Kind:
			f.code = verifier.CodeGatewayError
		case st >= 500:
			f.code, f.detail = verifier.CodeGatewayError, ""
			s.log.LogAttrs(c.Request.Context(), slog.LevelError, "request failed",
				slog.String("route", c.FullPath()), slog.String("code", e.Code), slog.String("error", e.Error()))
		}
		status = st
	}
	if gatewayMode(c) == gatewayCheckMode {
		r := emptyGateway()
		r.MaKetQua, r.GhiChu = f.code, f.ghiChu()
		c.AbortWithStatusJSON(http.StatusOK, r)
		return
	}
	switch f.code {
	case verifier.CodeAuth:
		status = http.StatusUnauthorized
	case verifier.CodeBadParams:
		if status < 400 || status >= 500 {
			status = http.StatusBadRequest
		}
	}
	c.AbortWithStatusJSON(status, gatewayError{MaKetQua: f.code, GhiChu: f.ghiChu()})
}

// gatewayError is the answer of a failed login or of an unknown /api path.
type gatewayError struct {
	MaKetQua string `json:"maKetQua"`
	GhiChu   string `json:"ghiChu"`
}

// gatewayNoRoute answers an unknown path or method under /api/ in the
// gateway's format.
func gatewayNoRoute(c *gin.Context, status int, detail string) {
	c.AbortWithStatusJSON(status, gatewayError{MaKetQua: verifier.CodeBadParams, GhiChu: verifier.ResultMessages[verifier.CodeBadParams][0] + " (" + detail + ")"})
}

func emptyGateway() gatewayResponse { return gatewayResponse{DsLichSuKT2018: []gatewayCheck{}} }

// gatewayCheck answers POST /api/egw/KQNhanLichSuKCB2024 and its alias
// POST /v1/gateway/check-card.
func (s *Server) gatewayCheckCard(c *gin.Context) {
	var b gatewayRequest
	if err := s.readGatewayBody(c, b.fields()); err != nil {
		s.abort(c, err)
		return
	}
	cc, err := gatewayCardCheck(keyOf(c), b)
	if err != nil {
		s.abort(c, err)
		return
	}
	res, err := s.v.CheckCard(c.Request.Context(), cc)
	if err != nil {
		if verifier.KindOf(err) == verifier.KindInvalid {
			// The service's own parameter check (the staff member, when
			// a register is loaded).
			err = &gatewayFault{code: verifier.CodeBadParams, detail: verifier.AsError(err).Message}
		}
		s.abort(c, err)
		return
	}
	s.metrics.eligCodes.WithLabelValues(res.Eligibility.Code).Inc()
	if res.Disclosed {
		readSubjects(c, res.Eligibility.CitizenID)
	}
	c.JSON(http.StatusOK, toGateway(b.MaThe, res))
}

// gatewayCardCheck validates the fields and builds the check: 205 naming
// the first field at fault.
func gatewayCardCheck(k *Key, b gatewayRequest) (verifier.CardCheck, error) {
	var cc verifier.CardCheck
	for _, f := range []*string{&b.MaThe, &b.HoTen, &b.NgaySinh, &b.GioiTinh, &b.MaCSKCB, &b.MaDKBD, &b.HoTenCb, &b.CccdCb} {
		*f = strings.TrimSpace(*f)
	}
	switch {
	case b.MaThe == "":
		return cc, badParam("maThe", "required: the card code, its 10-digit number or the holder's 12-digit citizen ID")
	case len(b.MaThe) > 32:
		return cc, badParam("maThe", "too long")
	case b.HoTen == "":
		return cc, badParam("hoTen", "required: the holder's full name")
	case len(b.HoTen) > 200:
		return cc, badParam("hoTen", "too long")
	case b.NgaySinh == "":
		return cc, badParam("ngaySinh", "required: dd/MM/yyyy, MM/yyyy or yyyy")
	case len(b.HoTenCb) > 200:
		return cc, badParam("hoTenCb", "too long")
	}
	dob, err := parseBirthDate(b.NgaySinh)
	if err != nil {
		return cc, badParam("ngaySinh", "must be dd/MM/yyyy, MM/yyyy or yyyy")
	}
	fac, err := facilityFor(k, b.MaCSKCB)
	if err != nil {
		if verifier.KindOf(err) == verifier.KindForbidden {
			return cc, &gatewayFault{code: verifier.CodeAuth, detail: "maCSKCB: this account checks cards for facility " + k.Facility + " only"}
		}
		return cc, badParam("maCSKCB", "required with an account not bound to a facility")
	}
	if len(fac) != 5 {
		return cc, badParam("maCSKCB", "a facility code has 5 characters")
	}
	cc = verifier.CardCheck{
		Card:     strings.ToUpper(b.MaThe),
		Stated:   verifier.Stated{FullName: b.HoTen, DOB: dob, RegisteredFacility: b.MaDKBD},
		Facility: fac, User: verifier.UserKT(fac, k.Name),
	}
	switch b.GioiTinh {
	case "":
	case "1":
		cc.Stated.Gender = verifier.Male
	case "2":
		cc.Stated.Gender = verifier.Female
	default:
		g, ok := verifier.ParseGender(b.GioiTinh)
		if !ok {
			return cc, badParam("gioiTinh", "must be 1 (male) or 2 (female)")
		}
		cc.Stated.Gender = g
	}
	if b.CccdCb != "" {
		id, err := verifier.ParseCitizenID(b.CccdCb)
		if err != nil {
			return cc, badParam("cccdCb", "the checking staff member's ID number has 12 digits")
		}
		if b.HoTenCb == "" {
			return cc, badParam("hoTenCb", "required with cccdCb: the checking staff member's name")
		}
		cc.StaffID, cc.StaffName = id, b.HoTenCb
	} else if b.HoTenCb != "" {
		return cc, badParam("cccdCb", "required with hoTenCb: the checking staff member's ID number")
	}
	return cc, nil
}

// toGateway writes a card check in the gateway's keys. sent is maThe as
// the caller sent it, answered back when no card is disclosed.
func toGateway(sent string, res verifier.CardCheckResult) gatewayResponse {
	e := res.Eligibility
	r := emptyGateway()
	r.MaKetQua, r.GhiChu, r.MaThe = e.Code, e.Message, strings.TrimSpace(sent)
	if !res.Disclosed {
		return r
	}
	r.MaThe, r.MaDKBD, r.CqBHXH, r.MaKV, r.MaSoBHXH = e.CardNo, e.RegisteredFacility, e.InsurerOffice, e.AreaCode, e.SocialInsuranceNo
	r.GtTheTu, r.GtTheDen, r.NgayDu5Nam = gatewayDate(e.ValidFrom), gatewayDate(e.ValidTo), gatewayDate(e.FiveYearsSince)
	r.MucHuong, r.DiaChi = e.CoveragePercent, res.Address
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
		r.MaTheCu, r.MaTheMoi = e.CardNo, e.NewCard.CardNo
		r.GtTheTuMoi, r.GtTheDenMoi = gatewayDate(e.NewCard.ValidFrom), gatewayDate(e.NewCard.ValidTo)
		r.MaDKBDMoi, r.TenDKBDMoi = e.NewCard.RegisteredFacility, res.NewCardFacilityName
	}
	for _, h := range res.History {
		msg := verifier.ResultMessages[h.Code][0]
		if h.Checkin {
			msg = "Tiếp đón (check-in): " + msg
		}
		r.DsLichSuKT2018 = append(r.DsLichSuKT2018, gatewayCheck{UserKT: h.User, ThoiGianKT: h.At.Format(gatewayTime), ThongBao: msg, MaLoi: h.Code})
	}
	if res.Visits != nil {
		r.DsLichSuKCB2018 = make([]gatewayVisit, 0, len(res.Visits))
		for _, v := range res.Visits {
			r.DsLichSuKCB2018 = append(r.DsLichSuKCB2018, gatewayVisit{MaHoSo: v.CheckinID, MaCSKCB: v.Facility, NgayVao: v.At.Format(gatewayTime), LyDoVV: string(v.VisitType)})
		}
	}
	return r
}

// gatewayTime is the gateway's yyyyMMddHHmm, in local time.
const gatewayTime = "200601021504"

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

// readGatewayBody reads a gateway request's fields from a form-urlencoded,
// multipart or JSON body into dst (by wire name; other fields are
// ignored). A body whose type is missing or unusual is read as JSON when
// it starts with "{", else as a form: HIS clients differ. Query strings
// are never read here: they carry the credentials.
func (s *Server) readGatewayBody(c *gin.Context, dst map[string]*string) error {
	mt, params, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil {
		mt = ""
	}
	if mt == "multipart/form-data" {
		if params["boundary"] == "" {
			return badParam("Content-Type", "multipart/form-data needs a boundary")
		}
		c.Request.Body = limitBody(c, s.maxBody)
		var fields map[string]string
		img, err := s.readMultipart(c, &fields)
		if err != nil {
			return badParam("body", "the multipart body is malformed or too large")
		}
		if img != nil {
			return badParam("image", "this endpoint takes no image")
		}
		for k, v := range fields {
			if p, ok := dst[k]; ok {
				*p = v
			}
		}
		return nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.maxBody))
	if err != nil {
		if isMaxBytes(err) {
			return badParam("body", "larger than %d bytes", s.maxBody)
		}
		return badParam("body", "could not be read")
	}
	trimmed := bytes.TrimSpace(body)
	if mt == "application/json" || mt != "application/x-www-form-urlencoded" && len(trimmed) > 0 && trimmed[0] == '{' {
		return gatewayJSON(trimmed, dst)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return badParam("body", "not a valid form (application/x-www-form-urlencoded)")
	}
	for k, p := range dst {
		if v, ok := form[k]; ok && len(v) > 0 {
			*p = v[0]
		}
	}
	return nil
}

// gatewayJSON reads the fields of a JSON object: strings as they are,
// numbers as their text (gioiTinh: 1), null as absent.
func gatewayJSON(b []byte, dst map[string]*string) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		if len(b) == 0 {
			return badParam("maThe", "required (the body is empty)")
		}
		return badParam("body", "not a JSON object")
	}
	for k, p := range dst {
		raw, ok := obj[k]
		if !ok {
			continue
		}
		switch raw[0] {
		case '"':
			if err := json.Unmarshal(raw, p); err != nil {
				return badParam(k, "not a valid string")
			}
		case 'n': // null
		case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			*p = string(raw)
		default:
			return badParam(k, "must be a string")
		}
	}
	return nil
}
