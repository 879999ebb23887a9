package scanner

import "testing"

// TestCleanScanAllocations pins the point of the clean-scan fast path:
// a clean CCCD scan allocates only the *CCCD it returns. A change that
// sends clean text through the repair again shows here first.
func TestCleanScanAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	for _, in := range []string{
		cccdExample,
		cccdWith("008095001234", "Nguyen Van An", "Nam", "Thon 3, Xa Thai Binh"),
		cccdWith("008195001234", "Trần Thị Bình", "Nữ", "Thôn 3, Xã Thái Bình"),
	} {
		if n := testing.AllocsPerRun(100, func() {
			if _, err := Parse(in); err != nil {
				t.Fatal(err)
			}
		}); n > 1 {
			t.Errorf("Parse(%q) allocates %v times, want 1 (the *CCCD)", in, n)
		}
	}
}
