package verifier

// Result codes of the insurer's card-check gateway (docs/domain.md §6). The
// service answers in the same vocabulary so that hospital systems that
// already call the gateway need no new mapping.
const (
	CodeOK              = "000"
	CodeDefenceOffice   = "001"
	CodePoliceOffice    = "002"
	CodeReplacedExpired = "003"
	CodeReplacedValid   = "004"
	CodeExpired         = "010"
	CodeNoCard          = "050"
	CodeBadCardNo       = "051"
	CodeBadProvince     = "052"
	CodeBadBenefit      = "053"
	CodeStaffUnknown    = "054" // the checking staff member's ID is not registered for the facility
	CodeStaffName       = "055" // the checking staff member's name does not match that ID
	CodeWrongName       = "060"
	CodeWrongNameFirst  = "061"
	CodeWrongDOB        = "070"
	CodeWrongGender     = "080"
	CodeWrongFacility   = "090" // the stated registered facility is not the card's
	CodeReadError       = "100"
	CodeServerError     = "101"
	CodeRevoked         = "110"
	CodeReduced         = "120" // reduced, no reason given (or one this service does not know)
	CodeMovedOut        = "121"
	CodeMovedWithin     = "122"
	CodeReenrolled      = "123"
	CodeStopped         = "124"
	CodeChildNoCard     = "130"
	CodeBadParams       = "205" // bad or missing parameters (gateway requests)
	CodeAuth            = "401" // authentication error (gateway requests)
	CodeGatewayError    = "500" // server error, as the gateway writes it
)

// ResultMessages explains each code in plain Vietnamese (as a clerk reads
// it) and in English.
var ResultMessages = map[string][2]string{
	CodeOK:              {"Thông tin thẻ chính xác", "card data correct"},
	CodeDefenceOffice:   {"Thẻ do BHXH Bộ Quốc phòng quản lý, đề nghị kiểm tra giấy tờ", "card managed by the defence insurance office: check papers"},
	CodePoliceOffice:    {"Thẻ do BHXH Bộ Công an quản lý, đề nghị kiểm tra giấy tờ", "card managed by the police insurance office: check papers"},
	CodeReplacedExpired: {"Thẻ cũ hết giá trị sử dụng, đã được cấp thẻ mới", "old card expired, a new card was issued"},
	CodeReplacedValid:   {"Thẻ cũ còn giá trị sử dụng, đã được cấp thẻ mới", "old card still valid, a new card was issued"},
	CodeExpired:         {"Thẻ hết giá trị sử dụng", "card expired or not yet valid"},
	CodeNoCard:          {"Không có thông tin thẻ", "no card data"},
	CodeBadCardNo:       {"Mã thẻ không đúng", "wrong card code"},
	CodeBadProvince:     {"Mã tỉnh cấp thẻ (ký tự 4, 5) không đúng", "wrong province code (characters 4–5)"},
	CodeBadBenefit:      {"Mã quyền lợi thẻ (ký tự thứ 3) không đúng", "wrong benefit code (character 3)"},
	CodeStaffUnknown:    {"Số CCCD của cán bộ tra cứu (cccdCb) chưa được đăng ký cho cơ sở KCB", "the checking staff member's ID number (cccdCb) is not registered for this facility"},
	CodeStaffName:       {"Họ tên cán bộ tra cứu (hoTenCb) không khớp với số CCCD", "the checking staff member's name (hoTenCb) does not match that ID number"},
	CodeWrongName:       {"Thông tin họ tên không đúng", "wrong name"},
	CodeWrongNameFirst:  {"Thông tin họ tên không đúng (đúng ký tự đầu)", "wrong name (first letter right)"},
	CodeWrongDOB:        {"Thông tin ngày sinh không đúng", "wrong date of birth"},
	CodeWrongGender:     {"Thông tin giới tính không đúng", "wrong gender"},
	CodeWrongFacility:   {"Nơi đăng ký KCB ban đầu không đúng", "wrong registered facility"},
	CodeReadError:       {"Lỗi khi lấy dữ liệu thẻ", "error reading card data"},
	CodeServerError:     {"Lỗi máy chủ", "server error"},
	CodeRevoked:         {"Thẻ đã thu hồi", "card revoked"},
	CodeReduced:         {"Thẻ đã báo giảm", "card reported reduced"},
	CodeMovedOut:        {"Thẻ đã báo giảm: giảm chuyển ngoại tỉnh", "card reduced: moved out of the province"},
	CodeMovedWithin:     {"Thẻ đã báo giảm: giảm chuyển nội tỉnh", "card reduced: moved within the province"},
	CodeReenrolled:      {"Thẻ đã báo giảm: thu hồi do tăng lại cùng đơn vị", "card reduced: revoked because re-enrolled at the same unit"},
	CodeStopped:         {"Thẻ đã báo giảm: ngừng tham gia", "card reduced: stopped participating"},
	CodeChildNoCard:     {"Trẻ em dưới 6 tuổi không có thẻ: kiểm tra giấy khai sinh", "child under 6 presented without a card: check the birth certificate"},
	CodeBadParams:       {"Lỗi tham số đầu vào", "bad or missing parameters"},
	CodeAuth:            {"Lỗi xác thực", "authentication error"},
	CodeGatewayError:    {"Lỗi máy chủ", "server error"},
}

// Reasons a card was reported reduced (insurance.jsonl reduced_reason).
const (
	ReasonMovedOut    = "moved_out"
	ReasonMovedWithin = "moved_within"
	ReasonReenrolled  = "reenrolled"
	ReasonStopped     = "stopped"
)

// reducedCodes maps a reduced card's reason to its result code; any other
// reason, or none, is the generic 120 (contract: "Additions", data files).
var reducedCodes = map[string]string{
	ReasonMovedOut:    CodeMovedOut,
	ReasonMovedWithin: CodeMovedWithin,
	ReasonReenrolled:  CodeReenrolled,
	ReasonStopped:     CodeStopped,
}

// ReducedCode returns the result code of a card reduced for reason.
func ReducedCode(reason string) string {
	if c, ok := reducedCodes[reason]; ok {
		return c
	}
	return CodeReduced
}
