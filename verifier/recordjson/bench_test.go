package recordjson

import (
	"testing"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// A citizen's line as kioskctl gen writes it, with extra members.
var benchCitizen = []byte(`{"id":"008095001234","old_id":"070123456","full_name":"Nguyễn Văn An","dob":"1995-03-14","gender":"male","permanent_address":"Thôn 3, Xã Thái Bình, Huyện Yên Sơn, Tuyên Quang","household_id":"H0812345","relationship_to_head":"head","ethnicity":"Kinh","nationality":"Việt Nam","phone":"0912345678","religion":"Không"}`)

func BenchmarkUnmarshalCitizen(b *testing.B) {
	b.SetBytes(int64(len(benchCitizen)))
	for b.Loop() {
		var c verifier.Citizen
		if err := Unmarshal(benchCitizen, &c); err != nil {
			b.Fatal(err)
		}
	}
}

// The same line decoded as recordjson did before scanExtras and decode:
// json.Unmarshal, then extraMembers.
func BenchmarkUnmarshalCitizenSlow(b *testing.B) {
	b.SetBytes(int64(len(benchCitizen)))
	for b.Loop() {
		var c verifier.Citizen
		if err := slowUnmarshal(benchCitizen, &c); err != nil {
			b.Fatal(err)
		}
	}
}
