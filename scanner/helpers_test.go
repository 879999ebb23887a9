package scanner

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// The docs/domain.md examples (§2, §4, §5), verbatim.
const (
	cccdExample = "008095001234|070123456|Nguyễn Văn An|14031995|Nam|Thôn 3, Xã Thái Bình, Huyện Yên Sơn, Tuyên Quang|15082021"
	bhytExample = "0111077012|4e677579e1bb856e205469e1babf6e20c490e1baa174|29/03/1988|1|-|01 - C54|01/07/2023|-|31/07/2023|01050111077012|-|4| 01/10/2027|4641c59ff02659c3-1202|4|5175e1baad6e2043e1baa775204769e1baa5792c205468c3a06e68207068e1bb912048c3a0204ee1bb9969|$"
	mrzExample  = "IDVNM0910055134051091005513<<0\r\n9101014M3101012VNM<<<<<<<<<<<8\r\nDINH<<DUY<TAN<<<<<<<<<<<<<<<<<"
)

// as1252 is what a keyboard wedge on a Windows-1252 machine delivers for
// UTF-8 text: each byte read as one Windows-1252 character (the five
// undefined bytes become U+FFFD, as golang.org/x/text decodes them).
func as1252(t testing.TB, s string) string {
	t.Helper()
	out, err := charmap.Windows1252.NewDecoder().String(s)
	if err != nil {
		t.Fatalf("building Windows-1252 mojibake: %v", err)
	}
	return out
}

// asLatin1 is the same through ISO 8859-1, where 0x80–0x9F become C1
// control characters.
func asLatin1(t testing.TB, s string) string {
	t.Helper()
	out, err := charmap.ISO8859_1.NewDecoder().String(s)
	if err != nil {
		t.Fatalf("building Latin-1 mojibake: %v", err)
	}
	return out
}

// imeTelex simulates a Vietnamese Telex input method rewriting typed
// ASCII: doubled letters and a following "f" (huyền) combine.
func imeTelex(s string) string {
	r := strings.NewReplacer("dd", "đ", "DD", "Đ", "aa", "â", "ee", "ê", "oo", "ô").Replace(s)
	return strings.NewReplacer("âf", "ầ", "êf", "ề", "af", "à", "ef", "è").Replace(r)
}

// errCode returns the code of a *verifier.Error, failing the test if err
// is some other error.
func errCode(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var e *verifier.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v is not a *verifier.Error", err, err)
	}
	if e.Kind != verifier.KindUnprocessable {
		t.Errorf("error kind = %q, want %q", e.Kind, verifier.KindUnprocessable)
	}
	return e.Code
}

func sameWarnings(got, want []string) bool {
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(g, w)
}

// checkPrivacy fails if an error message repeats personal data.
func checkPrivacy(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains personal data %q", err.Error(), s)
		}
	}
}
