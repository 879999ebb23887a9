package scanner

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRecognition(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantKind Kind
		wantCode string
	}{
		{"CCCD", cccdExample, KindCCCD, ""},
		{"BHYT", bhytExample, KindBHYT, ""},
		{"MRZ", mrzExample, KindMRZ, ""},
		{"empty", "", "", "unreadable_scan"},
		{"only NULs and newlines", "\x00\x00\r\n \t", "", "unreadable_scan"},
		{"AIM prefix alone", "]Q1", "", "unreadable_scan"},
		{"a word", "hello", "", "unreadable_scan"},
		{"a URL", "https://example.com/?a=1|2", "", "unreadable_scan"},
		{"pipes of letters", "a|b|c|d|e|f|g", "", "unreadable_scan"},
		{"digits only", "008095001234", "", "unreadable_scan"},
		{"two MRZ-like lines", "IDVNM0910055134051091005513<<0\n9101014M3101012VNM<<<<<<<<<<<8", "", "unreadable_scan"},
		{"three lines of prose", "one\ntwo\nthree", "", "unreadable_scan"},
		{"invalid UTF-8", "\xff\xfe\xfd|\xc3", "", "unreadable_scan"},
		{"too long", cccdExample + strings.Repeat(" ", MaxScanLen), "", "scan_too_long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if code := errCode(t, err); code != tt.wantCode {
				t.Fatalf("Parse error code = %q (%v), want %q", code, err, tt.wantCode)
			}
			if got.Kind != tt.wantKind {
				t.Errorf("Kind = %q, want %q", got.Kind, tt.wantKind)
			}
		})
	}
}

func TestUnreadableMessageSaysWhatWasExpected(t *testing.T) {
	_, err := Parse("hello")
	for _, want := range []string{"CCCD", "insurance", "MRZ"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %q", err, want)
		}
	}
}

func TestFields(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // JSON of Fields()
	}{
		{"cccd", cccdExample + "|x", `{"address":"Thôn 3, Xã Thái Bình, Huyện Yên Sơn, Tuyên Quang","card_type":"cccd","dob":"1995-03-14","extra":["x"],"full_name":"Nguyễn Văn An","gender":"male","id":"008095001234","issued_on":"2021-08-15","old_id":"070123456"}`},
		{"cccd partial dob", strings.Replace(cccdExample, "14031995", "031995", 1), `{"address":"Thôn 3, Xã Thái Bình, Huyện Yên Sơn, Tuyên Quang","card_type":"cccd","dob":"1995-03","full_name":"Nguyễn Văn An","gender":"male","id":"008095001234","issued_on":"2021-08-15","old_id":"070123456"}`},
		{"can cuoc card issued on the first day", strings.Replace(cccdExample, "|15082021", "|01072024", 1) + "|008095009999|Nguyễn Văn Cha|Lê Thị Mẹ", `{"address":"Thôn 3, Xã Thái Bình, Huyện Yên Sơn, Tuyên Quang","card_type":"can_cuoc","dob":"1995-03-14","extra":["008095009999","Nguyễn Văn Cha","Lê Thị Mẹ"],"full_name":"Nguyễn Văn An","gender":"male","id":"008095001234","issued_on":"2024-07-01","old_id":"070123456"}`},
		{"cccd issued the day before", strings.Replace(cccdExample, "|15082021", "|30062024", 1), `{"address":"Thôn 3, Xã Thái Bình, Huyện Yên Sơn, Tuyên Quang","card_type":"cccd","dob":"1995-03-14","full_name":"Nguyễn Văn An","gender":"male","id":"008095001234","issued_on":"2024-06-30","old_id":"070123456"}`},
		{"no issue date: card type unknown", strings.Replace(cccdExample, "|15082021", "|", 1), `{"address":"Thôn 3, Xã Thái Bình, Huyện Yên Sơn, Tuyên Quang","card_type":"","dob":"1995-03-14","full_name":"Nguyễn Văn An","gender":"male","id":"008095001234","issued_on":"","old_id":"070123456"}`},
		{"bhyt", bhytExample, `{"address":"","area_code":"4","card_no":"0111077012","dob":"1988-03-29","extra":["4641c59ff02659c3-1202","4","5175e1baad6e2043e1baa775204769e1baa5792c205468c3a06e68207068e1bb912048c3a0204ee1bb9969"],"five_years_since":"2027-10-01","full_name":"Nguyễn Tiến Đạt","gender":"male","issued_on":"2023-07-31","managing_code":"01050111077012","parent_name":"","registered_facility":"01C54","social_insurance_no":"0111077012","valid_from":"2023-07-01","valid_to":""}`},
		{"bhyt old code", "HS4010120878837|" + hx("An") + "|1995|1|-|01 - 028|01/01/2024|-|-|-|-|-|-|$", `{"address":"","area_code":"","benefit_level":4,"card_no":"HS4010120878837","dob":"1995","five_years_since":"","full_name":"An","gender":"male","issued_on":"","managing_code":"","object_code":"HS","parent_name":"","province_code":"01","registered_facility":"01028","social_insurance_no":"0120878837","valid_from":"2024-01-01","valid_to":""}`},
		{"mrz", mrzExample, `{"dob":"1991-01-01","document_code":"ID","document_number":"091005513","expires_on":"2031-01-01","full_name":"DINH DUY TAN","gender":"male","given_names":"DUY TAN","id":"051091005513","issuing_state":"VNM","nationality":"VNM","surname":"DINH"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			b, err := json.Marshal(r.Fields())
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("Fields() =\n %s\nwant\n %s", b, tt.want)
			}
		})
	}
	if got := (Result{}).Fields(); len(got) != 0 {
		t.Errorf("Result{}.Fields() = %v, want empty", got)
	}
}

func TestCitizenID(t *testing.T) {
	for _, tt := range []struct {
		in     string
		want   string
		wantOK bool
	}{
		{cccdExample, "008095001234", true},
		{mrzExample, "051091005513", true},
		{bhytExample, "", false},
	} {
		r, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		if id, ok := r.CitizenID(); string(id) != tt.want || ok != tt.wantOK {
			t.Errorf("CitizenID() of %s = %q, %v; want %q, %v", r.Kind, id, ok, tt.want, tt.wantOK)
		}
	}
}
