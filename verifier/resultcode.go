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
	CodeWrongName       = "060"
	CodeWrongNameFirst  = "061"
	CodeWrongDOB        = "070"
	CodeWrongGender     = "080"
	CodeReadError       = "100"
	CodeServerError     = "101"
	CodeRevoked         = "110"
	CodeMovedOut        = "120"
	CodeMovedWithin     = "121"
	CodeReenrolled      = "122"
	CodeStopped         = "123"
	CodeReducedOther    = "124"
	CodeChildNoCard     = "130"
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
	CodeWrongName:       {"Thông tin họ tên không đúng", "wrong name"},
	CodeWrongNameFirst:  {"Thông tin họ tên không đúng (đúng ký tự đầu)", "wrong name (first letter right)"},
	CodeWrongDOB:        {"Thông tin ngày sinh không đúng", "wrong date of birth"},
	CodeWrongGender:     {"Thông tin giới tính không đúng", "wrong gender"},
	CodeReadError:       {"Lỗi khi lấy dữ liệu thẻ", "error reading card data"},
	CodeServerError:     {"Lỗi máy chủ", "server error"},
	CodeRevoked:         {"Thẻ đã thu hồi", "card revoked"},
	CodeMovedOut:        {"Thẻ đã báo giảm: chuyển ngoại tỉnh", "card reduced: moved out of province"},
	CodeMovedWithin:     {"Thẻ đã báo giảm: chuyển nội tỉnh", "card reduced: moved within province"},
	CodeReenrolled:      {"Thẻ đã báo giảm: tăng lại cùng đơn vị", "card reduced: re-enrolled"},
	CodeStopped:         {"Thẻ đã báo giảm: ngừng tham gia", "card reduced: stopped contributing"},
	CodeReducedOther:    {"Thẻ đã báo giảm", "card reduced"},
	CodeChildNoCard:     {"Trẻ em dưới 6 tuổi không có thẻ: kiểm tra giấy khai sinh", "child under 6 presented without a card: check the birth certificate"},
}

// reducedCodes maps a reduced card's reason to its result code.
var reducedCodes = map[string]string{
	"moved_out":    CodeMovedOut,
	"moved_within": CodeMovedWithin,
	"reenrolled":   CodeReenrolled,
	"stopped":      CodeStopped,
}
