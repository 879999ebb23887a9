package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vnhealth/cccd-checkin/cmd/internal/syncbuf"
)

// `go run ./cmd/kioskd` with no data and no keys prints two desks' tokens
// and a citizen for each interesting answer; each printed ID really gives
// that answer through the API.
func TestDemoModePrintsWhatToTry(t *testing.T) {
	stdout, stderr := &syncbuf.Buffer{}, &syncbuf.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, func(string) string { return "" }, nil, stdout, stderr)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	kinds := []string{"valid", "same_day", "self_referred", "expired", "reduced", "cancelled"}
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(stdout.String(), "[cancelled]") {
		select {
		case err := <-done:
			t.Fatalf("kioskd exited: %v\n%s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no demo guide printed:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		}
	}
	out := stdout.String()
	base := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(out)[1]
	desk := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^  (\d{5}) .+: (demo-kiosk-\S+)$`).FindAllStringSubmatch(out, -1) {
		desk[m[1]] = m[2]
	}
	if len(desk) != 2 || desk["08001"] == "" || desk["08002"] == "" {
		t.Fatalf("desks printed: %v\n%s", desk, out)
	}
	cit, where := map[string]string{}, map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^  \[(\w+)\] (\d{12})  .*?\bat (\d{5})`).FindAllStringSubmatch(out, -1) {
		cit[m[1]], where[m[1]] = m[2], m[3]
	}
	for _, k := range kinds {
		if cit[k] == "" {
			t.Fatalf("no citizen printed for %q:\n%s", k, out)
		}
	}
	checkin := func(fac, id, extra string) map[string]any {
		t.Helper()
		r := postJSON(t, base+"/v1/checkins", desk[fac], fmt.Sprintf(`{"citizen_id":%q%s}`, id, extra))
		if r.status != 200 {
			t.Fatalf("check-in of %s at %s: %d %s", id, fac, r.status, r.body)
		}
		return r.json(t)
	}

	if e := checkin(where["valid"], cit["valid"], ""); get(e, "eligibility", "status") != "eligible" || get(e, "eligibility", "route") != "correct" || get(e, "eligibility", "coverage_percent").(float64) <= 0 {
		t.Errorf("[valid] at %s: %v", where["valid"], get(e, "eligibility"))
	}

	checkin("08001", cit["same_day"], "")
	second := checkin("08002", cit["same_day"], "")
	if get(second, "duplicate", "flagged") != true {
		t.Errorf("[same_day]: not flagged at the second facility: %v", get(second, "duplicate"))
	}
	ack := postJSON(t, base+"/v1/checkins/"+second["checkin_id"].(string)+"/acknowledgement", desk["08002"], `{"reason":"referral","note":"giấy chuyển tuyến"}`)
	if ack.status != 200 || ack.json(t)["by"] != "demo-kiosk-08002" {
		t.Errorf("[same_day] acknowledgement: %d %s", ack.status, ack.body)
	}

	sr := checkin("08001", cit["self_referred"], "")
	if get(sr, "eligibility", "status") != "eligible" || get(sr, "eligibility", "coverage_percent") != 0.0 || get(sr, "eligibility", "route") != "self_referred" {
		t.Errorf("[self_referred]: %v", get(sr, "eligibility"))
	}
	p := do(t, "PATCH", base+"/v1/checkins/"+sr["checkin_id"].(string), desk["08001"], "application/json", strings.NewReader(`{"visit_type":"referral"}`))
	if p.status != 200 || get(p.json(t), "eligibility", "coverage_percent") != 95.0 || p.json(t)["checkin_id"] != sr["checkin_id"] {
		t.Errorf("[self_referred] with a referral: %d %s", p.status, p.body)
	}

	if e := checkin("08001", cit["expired"], ""); get(e, "eligibility", "code") != "010" {
		t.Errorf("[expired]: %v", get(e, "eligibility"))
	}
	if e := checkin("08001", cit["reduced"], ""); !strings.HasPrefix(get(e, "eligibility", "code").(string), "12") {
		t.Errorf("[reduced]: %v", get(e, "eligibility"))
	}
	c := checkin("08001", cit["cancelled"], "")
	if id := get(c, "citizen", "id"); id == cit["cancelled"] || !strings.Contains(fmt.Sprint(get(c, "identity", "warnings")), "cancelled_id_presented") {
		t.Errorf("[cancelled]: citizen %v, identity %v", id, get(c, "identity"))
	}
	// The page's settings dialog checks each desk's token.
	for fac, tok := range desk {
		r := do(t, "GET", base+"/v1/desk", tok, "", nil)
		if r.status != 200 || get(r.json(t), "facility", "code") != fac || len(r.json(t)["departments"].([]any)) == 0 {
			t.Errorf("GET /v1/desk for %s: %d %s", fac, r.status, r.body)
		}
	}
}
