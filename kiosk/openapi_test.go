package kiosk

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"maps"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/goccy/go-yaml"
	"github.com/makiuchi-d/gozxing"
	zqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/claimxml"
	"github.com/vnhealth/cccd-checkin/verifier/inmem"
)

// The OpenAPI document (openapi.yaml) is the API's authoritative
// description. These tests keep it honest: it must be a valid OpenAPI 3.0
// document, describe exactly the routes the server registers, carry
// examples that match its own schemas, and match what the server really
// answers, field by field.

// loadDoc loads and validates the embedded document.
func loadDoc(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapiDoc)
	if err != nil {
		t.Fatalf("openapi.yaml does not load: %v", err)
	}
	if err := doc.Validate(loader.Context, openapi3.EnableExamplesValidation()); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	return doc
}

// strictDoc loads the document and closes every object schema reachable
// from a response (additionalProperties: false where the document leaves
// it open), so that validating a real response also catches a field the
// server sends but the document does not describe (a renamed or misspelt
// JSON tag). The published document stays open to additions.
func strictDoc(t *testing.T) *openapi3.T {
	t.Helper()
	doc := loadDoc(t)
	seen := map[*openapi3.Schema]bool{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, resp := range op.Responses.Map() {
				if resp.Value == nil {
					continue
				}
				for _, mt := range resp.Value.Content {
					closeSchema(mt.Schema, seen)
				}
			}
		}
	}
	return doc
}

func closeSchema(ref *openapi3.SchemaRef, seen map[*openapi3.Schema]bool) {
	if ref == nil || ref.Value == nil || seen[ref.Value] {
		return
	}
	s := ref.Value
	seen[s] = true
	if len(s.Properties) > 0 && s.AdditionalProperties.Has == nil && s.AdditionalProperties.Schema == nil {
		no := false
		s.AdditionalProperties.Has = &no
	}
	for _, p := range s.Properties {
		closeSchema(p, seen)
	}
	closeSchema(s.Items, seen)
	closeSchema(s.AdditionalProperties.Schema, seen)
	for _, list := range [][]*openapi3.SchemaRef{s.OneOf, s.AnyOf, s.AllOf} {
		for _, sub := range list {
			closeSchema(sub, seen)
		}
	}
}

// ginToOpenAPI turns gin's "/v1/citizens/:id/visits" and "/assets/*file"
// into OpenAPI's "{id}" and "{file}".
var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

func ginToOpenAPI(p string) string { return ginParam.ReplaceAllString(p, "{$1}") }

func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc := loadDoc(t)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi: got %q, want 3.0.3", doc.OpenAPI)
	}
	if _, ok := doc.Components.SecuritySchemes["bearerAuth"]; !ok {
		t.Errorf("components.securitySchemes.bearerAuth is missing")
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			secured := op.Security == nil || len(*op.Security) > 0
			// The gateway's operations answer in the gateway's format:
			// HTTP 200 with maKetQua 205/401 (docs/domain.md §6).
			gateway := slices.Contains(op.Tags, "gateway")
			if strings.HasPrefix(path, "/v1/") {
				if !secured {
					t.Errorf("%s: a /v1 operation must require bearerAuth", name)
				}
				if !strings.Contains(op.Description, "**Roles:**") {
					t.Errorf("%s: the description must name the roles allowed (**Roles:** ...)", name)
				}
				for _, code := range []string{"401", "403", "429"} {
					if op.Responses.Value(code) == nil && !gateway {
						t.Errorf("%s: response %s is not documented", name, code)
					}
				}
			} else if secured && !gateway {
				t.Errorf("%s: an operational endpoint needs no token (security: [])", name)
			}
			if op.Responses.Value("405") == nil {
				t.Errorf("%s: response 405 (wrong method) is not documented", name)
			}
		}
	}
	// The contract's status codes are all described.
	for _, code := range []string{"400", "401", "403", "404", "405", "413", "415", "422", "429", "503"} {
		found := false
		for _, item := range doc.Paths.Map() {
			for _, op := range item.Operations() {
				found = found || op.Responses.Value(code) != nil
			}
		}
		if !found {
			t.Errorf("status %s of the contract is used by no operation", code)
		}
	}
}

// TestOpenAPIRoutes checks that the document and the router agree on the
// set of operations.
func TestOpenAPIRoutes(t *testing.T) {
	doc := loadDoc(t)
	s := New(Config{})
	registered := map[string]bool{}
	for _, r := range s.Routes() {
		method, path, _ := strings.Cut(r, " ")
		registered[method+" "+ginToOpenAPI(path)] = true
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	for _, r := range slices.Sorted(maps.Keys(registered)) {
		if !documented[r] {
			t.Errorf("route %s is registered by the server but not in openapi.yaml", r)
		}
	}
	for _, r := range slices.Sorted(maps.Keys(documented)) {
		if !registered[r] {
			t.Errorf("operation %s is in openapi.yaml but the server registers no such route", r)
		}
	}
}

// TestOpenAPIExamples validates every example of the document (responses,
// request bodies, parameters) against its schema, responses strictly.
func TestOpenAPIExamples(t *testing.T) {
	doc := strictDoc(t)
	n := 0
	check := func(where string, schema *openapi3.SchemaRef, value any, asResponse bool) {
		t.Helper()
		if schema == nil || schema.Value == nil {
			t.Errorf("%s: example without a schema", where)
			return
		}
		opts := []openapi3.SchemaValidationOption{openapi3.MultiErrors()}
		if asResponse {
			opts = append(opts, openapi3.VisitAsResponse())
		} else {
			opts = append(opts, openapi3.VisitAsRequest())
		}
		n++
		if err := schema.Value.VisitJSON(value, opts...); err != nil {
			t.Errorf("%s: the example does not match its schema:\n%s", where, describe(err))
		}
	}
	examplesOf := func(mt *openapi3.MediaType) map[string]any {
		out := map[string]any{}
		if mt.Example != nil {
			out["example"] = mt.Example
		}
		for name, ex := range mt.Examples {
			if ex.Value != nil {
				out["examples/"+name] = ex.Value.Value
			}
		}
		return out
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for status, resp := range op.Responses.Map() {
				for ct, mt := range resp.Value.Content {
					if !strings.Contains(ct, "json") {
						continue
					}
					for name, ex := range examplesOf(mt) {
						check(fmt.Sprintf("%s %s response %s %s %s", method, path, status, ct, name), mt.Schema, ex, true)
					}
				}
			}
			if op.RequestBody != nil {
				for ct, mt := range op.RequestBody.Value.Content {
					for name, ex := range examplesOf(mt) {
						check(fmt.Sprintf("%s %s request %s %s", method, path, ct, name), mt.Schema, ex, false)
					}
				}
			}
			for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
				if p.Value.Example != nil {
					check(fmt.Sprintf("%s %s parameter %s", method, path, p.Value.Name), p.Value.Schema, p.Value.Example, false)
				}
			}
		}
	}
	if n < 40 {
		t.Errorf("only %d examples checked; the document should carry an example per response", n)
	}
	// Every JSON 200 response has at least one example.
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if r := op.Responses.Value("200"); r != nil {
				if mt := r.Value.Content["application/json"]; mt != nil && path != "/openapi.json" && len(examplesOf(mt)) == 0 {
					t.Errorf("%s %s: the 200 response has no example", method, path)
				}
			}
		}
	}

	// The CSV example has the BOM and the server's columns.
	mt := doc.Paths.Value("/v1/duplicates").Get.Responses.Value("200").Value.Content.Get("text/csv")
	ex, _ := mt.Example.(string)
	if !strings.HasPrefix(ex, "\ufeff") {
		t.Errorf("the text/csv example must start with the UTF-8 byte-order mark")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(ex, "\ufeff"))).ReadAll()
	if err != nil || len(rows) < 2 || !slices.Equal(rows[0], csvHeader) {
		t.Errorf("the text/csv example's header must be %v (kiosk/audit.go csvHeader), got %v (%v)", csvHeader, rows, err)
	}
	desc := strings.Join(strings.Fields(doc.Paths.Value("/v1/duplicates").Get.Description), " ")
	if !strings.Contains(desc, "`"+strings.Join(csvHeader, "`, `")+"`") {
		t.Errorf("GET /v1/duplicates: the description must list the CSV columns %v in order", csvHeader)
	}
}

// enumOf returns a component schema's enum as strings.
func enumOf(t *testing.T, doc *openapi3.T, path ...string) []string {
	t.Helper()
	ref := doc.Components.Schemas[path[0]]
	if ref == nil {
		t.Fatalf("components.schemas.%s is missing", path[0])
	}
	s := ref.Value
	for _, p := range path[1:] {
		if s.Properties[p] == nil {
			t.Fatalf("components.schemas.%s has no property %s", strings.Join(path, "."), p)
		}
		s = s.Properties[p].Value
	}
	var out []string
	for _, v := range s.Enum {
		str, ok := v.(string)
		if !ok {
			t.Fatalf("components.schemas.%s: enum value %v is not a string", strings.Join(path, "."), v)
		}
		out = append(out, str)
	}
	sort.Strings(out)
	return out
}

func sorted(s ...string) []string { return slices.Sorted(slices.Values(s)) }

// TestOpenAPIEnums checks the document's enums against the code's constants.
func TestOpenAPIEnums(t *testing.T) {
	doc := loadDoc(t)
	eq := func(what string, doc, code []string) {
		t.Helper()
		if !slices.Equal(doc, code) {
			t.Errorf("%s: the document says %v, the code has %v", what, doc, code)
		}
	}
	eq("ResultCode (verifier.ResultMessages)", enumOf(t, doc, "ResultCode"), slices.Sorted(maps.Keys(verifier.ResultMessages)))
	rc := doc.Components.Schemas["ResultCode"].Value.Description
	for code, m := range verifier.ResultMessages {
		if !strings.Contains(rc, "`"+code+"`") {
			t.Errorf("ResultCode: the description does not explain %s (%s)", code, m[1])
		}
	}
	eq("VisitType", enumOf(t, doc, "VisitType"), sorted(string(verifier.Outpatient), string(verifier.Emergency), string(verifier.Referral), string(verifier.Inpatient), string(verifier.FollowUp)))
	eq("IdentitySource", enumOf(t, doc, "IdentitySource"), sorted(verifier.SourceCCCDQR, verifier.SourceCCCDQRDegraded, verifier.SourceMRZ, verifier.SourceBHYTQR, verifier.SourceManual, verifier.SourceCardNo, verifier.SourceAmendment))
	eq("EligibilityStatus", enumOf(t, doc, "EligibilityStatus"), sorted(verifier.Eligible, verifier.Ineligible, verifier.Unknown))
	eq("CheckinResult.dedupe", enumOf(t, doc, "CheckinResult", "dedupe"), sorted(verifier.DedupeOK, verifier.DedupeUnavailable))
	eq("Route", enumOf(t, doc, "Route"), sorted(string(verifier.RouteCorrect), string(verifier.RouteEmergency), string(verifier.RouteSelfReferred)))
	eq("Gender", enumOf(t, doc, "Gender"), sorted(string(verifier.Male), string(verifier.Female), ""))

	// Every field of the Go response types is a property of its schema,
	// optional exactly when the JSON tag says omitempty or omitzero.
	for schema, typ := range map[string]reflect.Type{
		"CheckinResult":      reflect.TypeFor[verifier.CheckinResult](),
		"CitizenView":        reflect.TypeFor[verifier.CitizenView](),
		"IdentityCheck":      reflect.TypeFor[verifier.IdentityCheck](),
		"Eligibility":        reflect.TypeFor[verifier.Eligibility](),
		"CardTerms":          reflect.TypeFor[verifier.CardTerms](),
		"VisitView":          reflect.TypeFor[verifier.VisitView](),
		"OtherVisit":         reflect.TypeFor[verifier.OtherVisit](),
		"DuplicateFlag":      reflect.TypeFor[verifier.DuplicateFlag](),
		"Visit":              reflect.TypeFor[verifier.Visit](),
		"DuplicateGroup":     reflect.TypeFor[verifier.DuplicateGroup](),
		"DuplicatesPage":     reflect.TypeFor[duplicatesResponse](),
		"CitizenVisits":      reflect.TypeFor[visitsResponse](),
		"DecodeResult":       reflect.TypeFor[decodeResponse](),
		"Error":              reflect.TypeFor[errorBody](),
		"CheckRecord":        reflect.TypeFor[verifier.CheckRecord](),
		"CheckinBatchResult": reflect.TypeFor[batchResponse](),
		"CheckinBatchItem":   reflect.TypeFor[batchItem](),
		"GatewayCheckResult": reflect.TypeFor[gatewayResponse](),
		"GatewayCheck":       reflect.TypeFor[gatewayCheck](),
	} {
		s := doc.Components.Schemas[schema]
		if s == nil {
			t.Errorf("components.schemas.%s is missing", schema)
			continue
		}
		props := map[string]bool{}
		for i := range typ.NumField() {
			f := typ.Field(i)
			tag := f.Tag.Get("json")
			name, opts, _ := strings.Cut(tag, ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			props[name] = true
			optional := strings.Contains(","+opts+",", ",omitempty,") || strings.Contains(","+opts+",", ",omitzero,")
			if s.Value.Properties[name] == nil {
				t.Errorf("%s: the Go type %s emits %q, which the schema does not describe", schema, typ, name)
				continue
			}
			if required := slices.Contains(s.Value.Required, name); required == optional {
				t.Errorf("%s.%s: the document says required=%v, but the Go tag %q makes it %s", schema, name, required, tag, map[bool]string{true: "optional", false: "always present"}[optional])
			}
		}
		for name := range s.Value.Properties {
			if !props[name] {
				t.Errorf("%s.%s: the schema describes a field the Go type %s never emits", schema, name, typ)
			}
		}
	}
}

// TestOpenAPIRequestFields checks that the request schemas describe
// exactly the JSON members the handlers read.
func TestOpenAPIRequestFields(t *testing.T) {
	doc := loadDoc(t)
	for schema, typ := range map[string]reflect.Type{
		"DecodeRequest":       reflect.TypeFor[decodeBody](),
		"CheckinRequest":      reflect.TypeFor[checkinBody](),
		"EligibilityRequest":  reflect.TypeFor[eligibilityBody](),
		"GatewayCheckRequest": reflect.TypeFor[gatewayRequest](),
		"CheckinBatchRequest": reflect.TypeFor[batchBody](),
	} {
		s := doc.Components.Schemas[schema]
		if s == nil {
			t.Errorf("components.schemas.%s is missing", schema)
			continue
		}
		var fields []string
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if name != "" && name != "-" {
				fields = append(fields, name)
			}
		}
		slices.Sort(fields)
		if props := slices.Sorted(maps.Keys(s.Value.Properties)); !slices.Equal(props, fields) {
			t.Errorf("%s: the schema has properties %v, the handler reads %v (%s)", schema, props, fields, typ)
		}
	}
	// The multipart forms carry the same fields, plus the image.
	for form, body := range map[string]string{"DecodeUpload": "DecodeRequest", "CheckinUpload": "CheckinRequest"} {
		want := append(slices.Collect(maps.Keys(doc.Components.Schemas[body].Value.Properties)), "image")
		slices.Sort(want)
		if got := slices.Sorted(maps.Keys(doc.Components.Schemas[form].Value.Properties)); !slices.Equal(got, want) {
			t.Errorf("%s: properties %v, want %v", form, got, want)
		}
	}
}

// errorCodeRE finds the error codes the code raises, with their kind.
var errorCodeRE = []*regexp.Regexp{
	regexp.MustCompile(`Errorf\((?:verifier\.)?Kind(\w+),\s*"(\w+)"`),
	regexp.MustCompile(`Kind:\s*(?:verifier\.)?Kind(\w+),\s*Code:\s*"(\w+)"`),
	regexp.MustCompile(`Wrap\([^,]+,\s*(?:verifier\.)?Kind(\w+),\s*"(\w+)"`),
}

var (
	badRequestRE   = regexp.MustCompile(`badRequest\("(\w+)"`)
	codeConstRE    = regexp.MustCompile(`(Code\w+)\s*=\s*"(\w+)"`)
	errorfConstRE  = regexp.MustCompile(`Errorf\((?:verifier\.)?Kind(\w+),\s*(Code\w+)\b`)
	kioskLiteralRE = regexp.MustCompile(`Code:\s*"(\w+)"`)
)

// internalCodes are codes of errors that never reach a client as such:
// the service translates them, or they are 5xx (which the generic Error
// schema describes).
var internalCodes = map[string]string{
	"facility_not_found": "inmem registry: the service answers unknown_facility (422)",
	"staff_not_found":    "inmem staff register: the gateway answers 054",
	"staff_required":     "card check without the staff member: the gateway answers 205",
	"invalid_recording":  "ledger precondition: a bug, answered 500",
	"internal":           "500",
}

// TestOpenAPIErrorCodes scans the packages behind the API for the error
// codes they raise and checks that each is listed under the status its kind
// maps to.
func TestOpenAPIErrorCodes(t *testing.T) {
	doc := loadDoc(t)
	// The Go names of the kinds, as the source spells them (KindNotFound…).
	kindStatus := map[string]int{}
	for name, k := range map[string]verifier.Kind{
		"Invalid": verifier.KindInvalid, "Unprocessable": verifier.KindUnprocessable, "NotFound": verifier.KindNotFound,
		"Forbidden": verifier.KindForbidden, "TooLarge": verifier.KindTooLarge, "Unsupported": verifier.KindUnsupported,
		"Unavailable": verifier.KindUnavailable, "Internal": verifier.KindInternal,
	} {
		kindStatus[name] = statusOf[k]
	}
	documented := map[int][]string{}
	for _, st := range []int{400, 401, 403, 404, 405, 409, 413, 415, 422, 429} {
		documented[st] = enumOf(t, doc, "Error"+strconv.Itoa(st), "error", "code")
	}
	type found struct {
		code, where string
		status      int
	}
	var codes []found
	add := func(code, kind, where string) {
		st, ok := kindStatus[kind]
		if !ok {
			t.Errorf("%s: error code %s has kind %s, which maps to no status", where, code, kind)
			return
		}
		codes = append(codes, found{code, where, st})
	}
	for _, dir := range []string{".", "../verifier", "../scanner"} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			src := string(b)
			for _, re := range errorCodeRE {
				for _, m := range re.FindAllStringSubmatch(src, -1) {
					add(m[2], m[1], path)
				}
			}
			consts := map[string]string{}
			for _, m := range codeConstRE.FindAllStringSubmatch(src, -1) {
				consts[m[1]] = m[2]
			}
			for _, m := range errorfConstRE.FindAllStringSubmatch(src, -1) {
				if c, ok := consts[m[2]]; ok {
					add(c, m[1], path)
				}
			}
			if dir == "." {
				for _, m := range badRequestRE.FindAllStringSubmatch(src, -1) {
					codes = append(codes, found{m[1], path, http.StatusBadRequest})
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The HTTP layer's own errors (kiosk/errors.go, server.go).
	codes = append(codes,
		found{"unauthenticated", "kiosk/errors.go", http.StatusUnauthorized},
		found{"rate_limited", "kiosk/errors.go", http.StatusTooManyRequests},
		found{"method_not_allowed", "kiosk/server.go", http.StatusMethodNotAllowed},
		found{"idempotency_in_progress", "kiosk/idempotency.go", http.StatusConflict})
	if len(codes) < 30 {
		t.Fatalf("found only %d error codes in the source; the scan is broken", len(codes))
	}
	seen := map[string]bool{}
	reported := map[found]bool{}
	for _, c := range codes {
		seen[c.code] = true
		if _, ok := internalCodes[c.code]; ok || c.status >= 500 || reported[c] {
			continue
		}
		reported[c] = true
		if !slices.Contains(documented[c.status], c.code) {
			t.Errorf("%s raises %s with status %d, but components.schemas.Error%d does not list it (it lists %v)", c.where, c.code, c.status, c.status, documented[c.status])
		}
	}
	// And the document lists no code the source never raises.
	for st, list := range documented {
		for _, code := range list {
			if !seen[code] {
				t.Errorf("components.schemas.Error%d lists %s, which no code raises", st, code)
			}
		}
	}
	// Literal codes in the kiosk package are all found by the scan above.
	b, _ := os.ReadFile("request.go")
	for _, m := range kioskLiteralRE.FindAllStringSubmatch(string(b), -1) {
		if !seen[m[1]] {
			t.Errorf("kiosk/request.go: code %s was not picked up by the scan", m[1])
		}
	}
}

// TestOpenAPIJSONMatchesYAML checks that /openapi.json is valid JSON with
// the same content as /openapi.yaml.
func TestOpenAPIJSONMatchesYAML(t *testing.T) {
	s := New(Config{})
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
		return rec
	}
	y, j := get("/openapi.yaml"), get("/openapi.json")
	if !bytes.Equal(y.Body.Bytes(), openapiDoc) {
		t.Errorf("GET /openapi.yaml does not serve the embedded document")
	}
	if ct := j.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("GET /openapi.json: Content-Type %q", ct)
	}
	if !json.Valid(j.Body.Bytes()) {
		t.Fatalf("GET /openapi.json is not valid JSON")
	}
	var fromJSON, fromYAML any
	if err := json.Unmarshal(j.Body.Bytes(), &fromJSON); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(openapiDoc, &fromYAML); err != nil {
		t.Fatal(err)
	}
	// Normalise the YAML decoding (map[string]any, uint64 numbers…)
	// through JSON so that only content is compared.
	nb, err := json.Marshal(fromYAML)
	if err != nil {
		t.Fatalf("the YAML does not map to JSON: %v", err)
	}
	var normYAML any
	if err := json.Unmarshal(nb, &normYAML); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, normYAML) {
		t.Errorf("/openapi.json differs from /openapi.yaml: %s", firstDiff("", fromJSON, normYAML))
	}
	// The JSON form loads as the same OpenAPI document.
	doc, err := openapi3.NewLoader().LoadFromData(j.Body.Bytes())
	if err != nil {
		t.Fatalf("/openapi.json does not load as OpenAPI: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("/openapi.json is not a valid OpenAPI document: %v", err)
	}
	if got, want := len(doc.Paths.Map()), len(loadDoc(t).Paths.Map()); got != want {
		t.Errorf("/openapi.json has %d paths, /openapi.yaml %d", got, want)
	}
	// Strings survive the conversion (Vietnamese, the BOM, leading zeros).
	for _, want := range []string{"Nguyễn Văn An", `"000"`, `"008095001234"`, `\ufeff`} {
		if !strings.Contains(j.Body.String(), want) && !strings.Contains(j.Body.String(), strings.ReplaceAll(want, `\ufeff`, "\ufeff")) {
			t.Errorf("/openapi.json lost %s", want)
		}
	}
}

func firstDiff(path string, a, b any) string {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: object vs %T", path, b)
		}
		for _, k := range slices.Sorted(maps.Keys(av)) {
			if _, ok := bv[k]; !ok {
				return fmt.Sprintf("%s/%s: only in JSON", path, k)
			}
			if d := firstDiff(path+"/"+k, av[k], bv[k]); d != "" {
				return d
			}
		}
		for k := range bv {
			if _, ok := av[k]; !ok {
				return fmt.Sprintf("%s/%s: only in YAML", path, k)
			}
		}
		return ""
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return fmt.Sprintf("%s: array of %d vs %v", path, len(av), b)
		}
		for i := range av {
			if d := firstDiff(fmt.Sprintf("%s/%d", path, i), av[i], bv[i]); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(a, b) {
		return fmt.Sprintf("%s: JSON %#v, YAML %#v", path, a, b)
	}
	return ""
}

// ---- real responses ----

const (
	testKioskToken   = "kiosk-08001-token-0123456789"
	testHISToken     = "his-08002-token-0123456789ab"
	testAuditorToken = "auditor-token-0123456789abcd"
	testKiosk2Token  = "kiosk-01028-token-012345678"
)

var ict = time.FixedZone("ICT", 7*3600)

func mustDate(t *testing.T, s string) verifier.Date {
	t.Helper()
	d, err := verifier.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// testServices builds a real verifier.Service over in-memory registries and
// the in-process ledger, at a fixed clock.
func testService(t *testing.T, now time.Time, ledger verifier.Ledger) *verifier.Service {
	t.Helper()
	citizens := []verifier.Citizen{
		{ID: "008095001234", OldID: "070123456", FullName: "Nguyễn Văn An", DOB: mustDate(t, "1995-03-14"), Gender: verifier.Male,
			PermanentAddress: "Thôn 3, Xã Thái Bình, Huyện Yên Sơn, Tuyên Quang"},
		{ID: "001185012345", FullName: "Trần Thị Bích Ngọc", DOB: mustDate(t, "1985-07-02"), Gender: verifier.Female,
			PermanentAddress: "Số 12 Ngõ 34 Phố Huế, Phường Hàng Bài, Quận Hoàn Kiếm, Hà Nội"},
		{ID: "079203004567", FullName: "Phạm Minh Khôi", DOB: mustDate(t, "2003-09"), Gender: verifier.Male,
			PermanentAddress: "45 Đường Lê Lợi, Phường Bến Thành, Quận 1, Thành phố Hồ Chí Minh"},
		{ID: "008222001111", FullName: "Hoàng Gia Bảo", DOB: mustDate(t, "2022-05-01"), Gender: verifier.Male,
			PermanentAddress: "Tổ 5, Phường Phan Thiết, Tuyên Quang"},
		{ID: "008155009999", FullName: "Đỗ Thị Lan", DOB: mustDate(t, "1955"), Gender: verifier.Female,
			PermanentAddress: "Xã Kim Phú, Huyện Yên Sơn, Tuyên Quang", DeceasedOn: mustDate(t, "2025-12-01")},
	}
	cards := []verifier.Card{
		{CardNo: "DN4080812345678", CitizenID: "008095001234", FullName: "Nguyễn Văn An", DOB: mustDate(t, "1995-03-14"), Gender: verifier.Male,
			BenefitLevel: 4, ObjectCode: "DN", RegisteredFacility: "08001", ValidFrom: mustDate(t, "2026-01-01"), ValidTo: mustDate(t, "2026-12-31"),
			FiveYearsSince: mustDate(t, "2020-01-01")},
		{CardNo: "HC4010987654320", CitizenID: "001185012345", FullName: "Trần Thị Bích Ngọc", DOB: mustDate(t, "1985-07-02"), Gender: verifier.Female,
			BenefitLevel: 4, ObjectCode: "HC", RegisteredFacility: "01028", ValidFrom: mustDate(t, "2025-01-01"), ValidTo: mustDate(t, "2025-12-31"),
			ReplacedBy: "HC4010987654321"},
		{CardNo: "HC4010987654321", CitizenID: "001185012345", FullName: "Trần Thị Bích Ngọc", DOB: mustDate(t, "1985-07-02"), Gender: verifier.Female,
			BenefitLevel: 4, ObjectCode: "HC", RegisteredFacility: "01028", ValidFrom: mustDate(t, "2026-01-01"), ValidTo: mustDate(t, "2026-12-31")},
		{CardNo: "0812345678", CitizenID: "008155009999", FullName: "Đỗ Thị Lan", DOB: mustDate(t, "1955"), Gender: verifier.Female,
			BenefitLevel: 2, RegisteredFacility: "08002", ValidFrom: mustDate(t, "2026-01-01"), Status: verifier.CardRevoked},
	}
	facilities := []verifier.Facility{
		{Code: "08001", Name: "Bệnh viện Đa khoa tỉnh Tuyên Quang", Province: "08", Level: verifier.LevelProvincial},
		{Code: "08002", Name: "Trung tâm Y tế huyện Yên Sơn", Province: "08", Level: verifier.LevelDistrict},
		{Code: "01028", Name: "Bệnh viện Bạch Mai", Province: "01", Level: verifier.LevelCentral},
	}
	reg, err := inmem.NewRegistry(citizens, cards, facilities)
	if err != nil {
		t.Fatal(err)
	}
	svc := &verifier.Service{
		Population: reg, Insurance: reg, Facilities: reg, Ledger: ledger,
		Now: func() time.Time { return now }, Location: ict,
		Claims: inmem.NewClaims(0, func() time.Time { return now }),
	}
	if rs, ok := ledger.(verifier.ReviewStore); ok {
		svc.Reviews = rs
	}
	svc.Defaults()
	return svc
}

func testKeys(t *testing.T) *Keys {
	t.Helper()
	keys, err := ParseKeys([]byte(fmt.Sprintf(`[
		{"name":"desk-1","role":"kiosk","facility":"08001","token":%q},
		{"name":"desk-bachmai","role":"kiosk","facility":"01028","token":%q},
		{"name":"his-yenson","role":"his","facility":"08002","token":%q,"token_md5":%q},
		{"name":"auditor-1","role":"auditor","token":%q}]`,
		testKioskToken, testKiosk2Token, HashToken(testHISToken), HashTokenMD5(testHISToken), testAuditorToken)))
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// downLedger is a ledger whose store does not answer; with queues, Record
// says the visit is queued, as the outbox in front of a down Redis does.
type downLedger struct{ queues bool }

func (downLedger) err() error {
	return verifier.Errorf(verifier.KindUnavailable, "ledger_unavailable", "the same-day ledger does not answer")
}
func (d downLedger) Record(context.Context, verifier.Recording) (verifier.Recorded, error) {
	if d.queues {
		return verifier.Recorded{}, verifier.Errorf(verifier.KindUnavailable, verifier.CodeQueued, "queued")
	}
	return verifier.Recorded{}, d.err()
}
func (d downLedger) Visits(context.Context, verifier.CitizenID, string) ([]verifier.Visit, error) {
	return nil, d.err()
}
func (d downLedger) Duplicates(context.Context, verifier.DuplicateQuery) (verifier.DuplicatePage, error) {
	return verifier.DuplicatePage{}, d.err()
}
func (d downLedger) Checkin(context.Context, string) (verifier.Visit, error) {
	return verifier.Visit{}, d.err()
}
func (d downLedger) Amend(context.Context, string, func(*verifier.Visit) error) (verifier.Visit, error) {
	return verifier.Visit{}, d.err()
}
func (d downLedger) Ping(context.Context) error { return d.err() }

// apiChecker sends requests to a server and validates each request and
// response against the (strict) document.
type apiChecker struct {
	t      *testing.T
	srv    http.Handler
	doc    *openapi3.T
	router routers.Router
}

func newAPIChecker(t *testing.T, srv http.Handler) *apiChecker {
	t.Helper()
	doc := strictDoc(t)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &apiChecker{t: t, srv: srv, doc: doc, router: router}
}

type apiCall struct {
	method, path, token string
	contentType         string
	body                []byte
	header              map[string]string
	// badRequest marks a request that deliberately breaks the document
	// (its request is not validated, only its response).
	badRequest bool
}

type apiResult struct {
	status int
	header http.Header
	body   []byte
}

func (r apiResult) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not a JSON object (%d): %s", r.status, r.body)
	}
	return m
}

func (r apiResult) errorCode() string {
	var e errorBody
	_ = json.Unmarshal(r.body, &e)
	return e.Error.Code
}

func (c *apiChecker) do(call apiCall, wantStatus int) apiResult {
	c.t.Helper()
	name := call.method + " " + call.path
	newReq := func() *http.Request {
		var body io.Reader
		if call.body != nil {
			body = bytes.NewReader(call.body)
		}
		req := httptest.NewRequest(call.method, "http://kiosk.example"+call.path, body)
		if call.token != "" {
			req.Header.Set("Authorization", "Bearer "+call.token)
		}
		if call.contentType != "" {
			req.Header.Set("Content-Type", call.contentType)
		}
		for k, v := range call.header {
			req.Header.Set(k, v)
		}
		return req
	}
	rec := httptest.NewRecorder()
	c.srv.ServeHTTP(rec, newReq())
	res := apiResult{rec.Code, rec.Header(), rec.Body.Bytes()}
	if res.status != wantStatus {
		c.t.Errorf("%s: status %d, want %d; body: %s", name, res.status, wantStatus, clip(res.body))
	}

	req := newReq()
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		if res.status == http.StatusNotFound && res.errorCode() == "no_such_route" {
			return res // an undocumented path: the generic 404 is all there is
		}
		if res.status == http.StatusNotFound && strings.HasPrefix(call.path, "/api/") {
			var v any
			s := c.doc.Components.Responses["GatewayNotFound"].Value.Content.Get("application/json").Schema.Value
			if err := json.Unmarshal(res.body, &v); err != nil || s.VisitJSON(v, openapi3.VisitAsResponse()) != nil {
				c.t.Errorf("%s: an unknown /api/ path is not answered in the gateway's format: %s", name, clip(res.body))
			}
			return res
		}
		if errors.Is(err, routers.ErrMethodNotAllowed) && res.status == http.StatusMethodNotAllowed {
			// No operation to validate against: check the body against
			// the document's 405 response.
			var v any
			if err := json.Unmarshal(res.body, &v); err != nil {
				c.t.Errorf("%s: the 405 answer is not JSON: %s", name, clip(res.body))
				return res
			}
			resp := "MethodNotAllowed"
			if strings.HasPrefix(call.path, "/api/") {
				resp = "GatewayNotFound" // the gateway's format under /api/
			}
			s := c.doc.Components.Responses[resp].Value.Content.Get("application/json").Schema.Value
			if err := s.VisitJSON(v, openapi3.VisitAsResponse()); err != nil {
				c.t.Errorf("%s: the 405 answer disagrees with components.responses.%s:\n%v", name, resp, err)
			}
			return res
		}
		c.t.Errorf("%s: the document has no operation for this request: %v", name, err)
		return res
	}
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	}
	if !call.badRequest {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			c.t.Errorf("%s: the request the test sends does not match the document:\n%s", name, describe(err))
		}
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 res.status,
		Header:                 res.header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	out.SetBodyBytes(res.body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		c.t.Errorf("%s: the %d response disagrees with openapi.yaml (operation %s %s):\n%s\nbody: %s",
			name, res.status, route.Method, route.Path, describe(err), clip(res.body))
	}
	return res
}

// describe renders a kin-openapi validation error as one line per
// disagreement, "at /json/pointer: reason", without the schema dumps.
func describe(err error) string {
	var lines []string
	var walk func(error)
	walk = func(err error) {
		var me openapi3.MultiError
		var se *openapi3.SchemaError
		var re *openapi3filter.ResponseError
		var qe *openapi3filter.RequestError
		switch {
		case errors.As(err, &me):
			for _, e := range me {
				walk(e)
			}
		case errors.As(err, &se):
			lines = append(lines, fmt.Sprintf("  at %q: %s", "/"+strings.Join(se.JSONPointer(), "/"), se.Reason))
		case errors.As(err, &re) && re.Err != nil:
			walk(re.Err)
		case errors.As(err, &qe) && qe.Err != nil:
			walk(qe.Err)
		default:
			lines = append(lines, "  "+err.Error())
		}
	}
	walk(err)
	return strings.Join(lines, "\n")
}

func clip(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

func jsonBody(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// multipartBody builds a multipart/form-data body with text fields and an
// optional image file.
func multipartBody(t *testing.T, fields map[string]string, image []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if err := w.WriteField(k, fields[k]); err != nil {
			t.Fatal(err)
		}
	}
	if image != nil {
		fw, err := w.CreateFormFile("image", "card.png")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(image)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), w.FormDataContentType()
}

// qrPNG renders text as a QR code PNG.
func qrPNG(t *testing.T, text string) []byte {
	t.Helper()
	hints := map[gozxing.EncodeHintType]any{
		gozxing.EncodeHintType_CHARACTER_SET: "UTF-8",
		gozxing.EncodeHintType_MARGIN:        4,
	}
	m, err := zqr.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 0, 0, hints)
	if err != nil {
		t.Fatal(err)
	}
	const module = 6
	img := image.NewGray(image.Rect(0, 0, m.GetWidth()*module, m.GetHeight()*module))
	for y := range img.Bounds().Dy() {
		for x := range img.Bounds().Dx() {
			c := color.Gray{255}
			if m.Get(x/module, y/module) {
				c = color.Gray{0}
			}
			img.SetGray(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func blankPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 200, 200))
	for i := range img.Pix {
		img.Pix[i] = 250
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const scanAn = "008095001234|070123456|Nguyễn Văn An|14031995|Nam|Thôn 3, Xã Thái Bình, Huyện Yên Sơn, Tuyên Quang|15082021"

func get(m any, path ...string) any {
	for _, p := range path {
		switch v := m.(type) {
		case map[string]any:
			m = v[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i >= len(v) {
				return nil
			}
			m = v[i]
		default:
			return nil
		}
	}
	return m
}

// TestOpenAPIRealResponses drives a real server (real verifier, in-memory
// registries, in-process ledger) through the API and validates every
// response, and the requests that are meant to be valid, against the
// document.
func TestOpenAPIRealResponses(t *testing.T) {
	// Register decoders for the non-JSON bodies the document describes.
	for _, ct := range []string{"text/html", "text/javascript", "text/css", "application/xml", "text/xml"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
	}
	now := time.Date(2026, 3, 9, 9, 0, 0, 0, ict)
	ledger := inmem.NewLedger(inmem.WithLedgerClock(func() time.Time { return now }))
	srv := New(Config{
		Verifier: testService(t, now, ledger),
		Keys:     testKeys(t),
		Ready:    map[string]Pinger{"ledger": ledger},
	})
	c := newAPIChecker(t, srv)
	post := func(path, token string, body any, want int) apiResult {
		t.Helper()
		return c.do(apiCall{method: http.MethodPost, path: path, token: token, contentType: "application/json", body: jsonBody(body)}, want)
	}
	wantCode := func(r apiResult, code string) {
		t.Helper()
		if got := r.errorCode(); got != code {
			t.Errorf("error code %q, want %q (body %s)", got, code, clip(r.body))
		}
	}

	// Operations.
	c.do(apiCall{method: http.MethodGet, path: "/healthz"}, 200)
	c.do(apiCall{method: http.MethodGet, path: "/readyz"}, 200)
	c.do(apiCall{method: http.MethodGet, path: "/metrics"}, 200)
	c.do(apiCall{method: http.MethodGet, path: "/openapi.yaml"}, 200)
	c.do(apiCall{method: http.MethodGet, path: "/openapi.json"}, 200)
	c.do(apiCall{method: http.MethodGet, path: "/"}, 200)
	c.do(apiCall{method: http.MethodGet, path: "/audit"}, 200)
	c.do(apiCall{method: http.MethodGet, path: "/assets/no-such-file.js"}, 404)
	if entries, err := fs.ReadDir(webFiles, "web/assets"); err == nil {
		for _, e := range entries {
			if !e.IsDir() && (strings.HasSuffix(e.Name(), ".js") || strings.HasSuffix(e.Name(), ".css")) {
				c.do(apiCall{method: http.MethodGet, path: "/assets/" + e.Name()}, 200)
			}
		}
	}

	// Decode: scanner text, an image, an image without a code.
	r := post("/v1/decode", testKioskToken, map[string]string{"scan": scanAn}, 200)
	if get(r.json(t), "fields", "full_name") != "Nguyễn Văn An" || get(r.json(t), "kind") != "cccd" {
		t.Errorf("decode: %s", r.body)
	}
	body, ct := multipartBody(t, nil, qrPNG(t, scanAn))
	r = c.do(apiCall{method: http.MethodPost, path: "/v1/decode", token: testHISToken, contentType: ct, body: body}, 200)
	if get(r.json(t), "fields", "id") != "008095001234" || get(r.json(t), "strategy") == nil {
		t.Errorf("decode image: %s", r.body)
	}
	body, ct = multipartBody(t, nil, blankPNG(t))
	wantCode(c.do(apiCall{method: http.MethodPost, path: "/v1/decode", token: testKioskToken, contentType: ct, body: body}, 422), "no_code_found")
	body, ct = multipartBody(t, nil, []byte("this is not an image at all"))
	wantCode(c.do(apiCall{method: http.MethodPost, path: "/v1/decode", token: testKioskToken, contentType: ct, body: body}, 415), "unsupported_image")
	wantCode(post("/v1/decode", testKioskToken, map[string]string{"scan": "hello"}, 422), "unreadable_scan")
	wantCode(post("/v1/decode", testKioskToken, map[string]string{"scan": "008095001234|070123456|Nguyễn Văn An|31021995|Nam|Thôn 3|15082021"}, 422), "invalid_date")

	// Check-in at 08001 by scan, the repeat, then at 08002 by the HIS: flagged.
	first := post("/v1/checkins", testKioskToken, map[string]string{"scan": scanAn, "kiosk": "desk-1"}, 200).json(t)
	if get(first, "repeat") != false || get(first, "duplicate", "flagged") != false || get(first, "identity", "source") != "cccd_qr" ||
		get(first, "visit", "day") != "2026-03-09" || get(first, "eligibility", "code") != "000" {
		t.Errorf("first check-in: %v", first)
	}
	again := post("/v1/checkins", testKioskToken, map[string]string{"scan": scanAn, "kiosk": "desk-1"}, 200).json(t)
	if get(again, "repeat") != true || get(again, "checkin_id") != get(first, "checkin_id") {
		t.Errorf("repeat check-in: %v", again)
	}
	flagged := post("/v1/checkins", testHISToken, map[string]string{"citizen_id": "008095001234", "facility": "08002"}, 200).json(t)
	if get(flagged, "duplicate", "flagged") != true || get(flagged, "duplicate", "others", "0", "facility") != "08001" ||
		get(flagged, "identity", "source") != "manual" || get(flagged, "eligibility", "route") != "self_referred" {
		t.Errorf("flagged check-in: %v", flagged)
	}
	// By card number (revoked card of a deceased citizen), by image, by an
	// emergency with a queued scan time.
	byCard := post("/v1/checkins", testHISToken, map[string]string{"card_no": "0812345678"}, 200).json(t)
	if get(byCard, "eligibility", "code") != "110" || get(byCard, "identity", "source") != "card_no" ||
		!slices.Contains(get(byCard, "identity", "warnings").([]any), any("citizen_deceased")) {
		t.Errorf("check-in by card: %v", byCard)
	}
	body, ct = multipartBody(t, map[string]string{"visit_type": "emergency", "kiosk": "desk-bachmai"}, qrPNG(t, "001185012345||Trần Thị Bích Ngọc|02071985|Nữ|Số 12 Ngõ 34 Phố Huế, Hà Nội|10012022"))
	img := c.do(apiCall{method: http.MethodPost, path: "/v1/checkins", token: testKiosk2Token, contentType: ct, body: body}, 200).json(t)
	if get(img, "visit", "visit_type") != "emergency" || get(img, "citizen", "id") != "001185012345" {
		t.Errorf("check-in by image: %v", img)
	}
	queued := post("/v1/checkins", testKiosk2Token, map[string]string{"citizen_id": "001185012345", "visit_type": "outpatient",
		"scanned_at": now.Add(-90 * time.Minute).Format(time.RFC3339)}, 200).json(t)
	if get(queued, "duplicate", "flagged") != false || get(queued, "visit", "at") != "2026-03-09T07:30:00+07:00" {
		t.Errorf("queued check-in: %v", queued)
	}
	post("/v1/checkins", testHISToken, map[string]string{"citizen_id": "001185012345"}, 200)
	child := post("/v1/checkins", testKioskToken, map[string]string{"citizen_id": "008222001111"}, 200).json(t)
	if get(child, "eligibility", "code") != "130" || get(child, "eligibility", "status") != "unknown" {
		t.Errorf("child check-in: %v", child)
	}

	// A check-in's visit by its ID: the kiosk of its facility, the
	// auditor; the re-scan's ID answers the visit it was merged into.
	firstID, _ := get(first, "checkin_id").(string)
	cv := c.do(apiCall{method: http.MethodGet, path: "/v1/checkins/" + firstID, token: testKioskToken}, 200).json(t)
	if get(cv, "checkin_id") != firstID || get(cv, "facility") != "08001" || get(cv, "citizen_id") != "008095001234" ||
		get(cv, "at") != get(first, "visit", "at") || get(cv, "ticket") != get(first, "visit", "ticket") {
		t.Errorf("check-in by ID: %v, check-in answered %v", cv, first)
	}
	c.do(apiCall{method: http.MethodGet, path: "/v1/checkins/" + firstID, token: testAuditorToken}, 200)
	flaggedID, _ := get(flagged, "checkin_id").(string)
	if cv := c.do(apiCall{method: http.MethodGet, path: "/v1/checkins/" + flaggedID, token: testHISToken}, 200).json(t); get(cv, "facility") != "08002" {
		t.Errorf("check-in by ID for the HIS: %v", cv)
	}
	wantCode(c.do(apiCall{method: http.MethodGet, path: "/v1/checkins/" + flaggedID, token: testKioskToken}, 403), "forbidden_facility")
	wantCode(c.do(apiCall{method: http.MethodGet, path: "/v1/checkins/" + firstID, token: testHISToken}, 403), "forbidden_facility")
	wantCode(c.do(apiCall{method: http.MethodGet, path: "/v1/checkins/nosuchcheckin0000", token: testKioskToken}, 404), "checkin_not_found")
	wantCode(c.do(apiCall{method: http.MethodGet, path: "/v1/checkins/" + strings.Repeat("a", 65), token: testAuditorToken, badRequest: true}, 404), "checkin_not_found")

	// Eligibility, one decision per important code.
	for _, tc := range []struct {
		body map[string]string
		code string
	}{
		{map[string]string{"citizen_id": "008095001234"}, "000"},
		{map[string]string{"citizen_id": "001185012345", "date": "2026-03-09"}, "000"},
		{map[string]string{"card_no": "HC4010987654320", "full_name": "Trần Thị Bích Ngọc", "dob": "02/07/1985"}, "003"},
		{map[string]string{"card_no": "HC4010987654320", "date": "2025-06-01"}, "004"},
		{map[string]string{"card_no": "DN4080812345678", "full_name": "Lê Văn An", "dob": "1995-03-14"}, "060"},
		{map[string]string{"card_no": "DN4080812345678", "full_name": "Nguyễn Văn Anh", "dob": "1995-03-14"}, "061"},
		{map[string]string{"card_no": "DN4080812345678", "full_name": "Nguyễn Văn An", "dob": "1996-03-14"}, "070"},
		{map[string]string{"card_no": "DN4080812345678", "gender": "Nữ"}, "080"},
		{map[string]string{"card_no": "DN4080812345678", "date": "2027-01-05"}, "010"},
		{map[string]string{"card_no": "DN4089999999999"}, "050"},
		{map[string]string{"card_no": "DN40808"}, "051"},
		{map[string]string{"card_no": "DN4990812345678"}, "052"},
		{map[string]string{"card_no": "DN9080812345678"}, "053"},
		{map[string]string{"card_no": "0812345678"}, "110"},
		{map[string]string{"citizen_id": "079203004567"}, "050"},
		{map[string]string{"citizen_id": "008222001111"}, "130"},
	} {
		e := post("/v1/eligibility", testKioskToken, tc.body, 200).json(t)
		if get(e, "code") != tc.code {
			t.Errorf("eligibility %v: code %v, want %s (%v)", tc.body, get(e, "code"), tc.code, e)
		}
	}

	// Auditors: duplicates (JSON, a second page, CSV both ways) and visits.
	page := c.do(apiCall{method: http.MethodGet, path: "/v1/duplicates?from=2026-03-01&to=2026-03-31", token: testAuditorToken}, 200).json(t)
	items, _ := get(page, "items").([]any)
	if len(items) != 2 || get(page, "next_cursor") != "" || get(page, "items", "0", "full_name") != "Nguyễn Văn An" {
		t.Errorf("duplicates: %v", page)
	}
	visitRows := 0
	for _, it := range items {
		vs, _ := get(it, "visits").([]any)
		visitRows += len(vs)
	}
	page = c.do(apiCall{method: http.MethodGet, path: "/v1/duplicates?from=2026-03-01&to=2026-03-31&limit=1&facility=08001", token: testAuditorToken}, 200).json(t)
	if cur, _ := get(page, "next_cursor").(string); cur != "" {
		c.do(apiCall{method: http.MethodGet, path: "/v1/duplicates?from=2026-03-01&to=2026-03-31&limit=1&cursor=" + cur, token: testAuditorToken}, 200)
	}
	c.do(apiCall{method: http.MethodGet, path: "/v1/duplicates?from=2026-03-09&to=2026-03-09&citizen_id=008095001234", token: testAuditorToken}, 200)
	for _, call := range []apiCall{
		{method: http.MethodGet, path: "/v1/duplicates?from=2026-03-01&to=2026-03-31&format=csv", token: testAuditorToken},
		{method: http.MethodGet, path: "/v1/duplicates?from=2026-03-01&to=2026-03-31", token: testAuditorToken, header: map[string]string{"Accept": "text/csv"}},
	} {
		r := c.do(call, 200)
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("CSV export: Content-Type %q", ct)
		}
		if !bytes.HasPrefix(r.body, []byte("\ufeff")) {
			t.Errorf("CSV export: no UTF-8 byte-order mark")
		}
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.body, []byte("\ufeff")))).ReadAll()
		if err != nil || len(rows) != 1+visitRows || !slices.Equal(rows[0], csvHeader) {
			t.Errorf("CSV export: want the header and one row per visit (%d), got %v (%v)", visitRows, rows, err)
		}
	}
	v := c.do(apiCall{method: http.MethodGet, path: "/v1/citizens/008095001234/visits?day=2026-03-09", token: testAuditorToken}, 200).json(t)
	if vs, _ := get(v, "visits").([]any); len(vs) != 2 {
		t.Errorf("visits: %v", v)
	}
	c.do(apiCall{method: http.MethodGet, path: "/v1/citizens/008095001234/visits", token: testHISToken}, 200)
	c.do(apiCall{method: http.MethodGet, path: "/v1/citizens/079203004567/visits?day=2026-03-09", token: testAuditorToken}, 200)

	// Eligibility shows today's check history elsewhere.
	h := post("/v1/eligibility", testHISToken, map[string]string{"citizen_id": "008095001234"}, 200).json(t)
	if get(h, "history", "0", "facility") != "08001" {
		t.Errorf("eligibility history: %v", h)
	}

	// The insurer gateway's card check.
	gw := post("/v1/gateway/check-card", testHISToken, map[string]any{"maThe": "DN4080812345678", "hoTen": "Nguyễn Văn An",
		"ngaySinh": "14/03/1995", "gioiTinh": 1, "maCSKCB": "08002", "hoTenCb": "Lê Thị Mai", "cccdCb": "008190004321"}, 200).json(t)
	seenAt08001 := false
	for _, h := range get(gw, "dsLichSuKT2018").([]any) {
		seenAt08001 = seenAt08001 || strings.HasPrefix(get(h, "userKT").(string), "08001")
	}
	if get(gw, "maKetQua") != "000" || get(gw, "gioiTinh") != "Nam" || !seenAt08001 || get(gw, "dsLichSuKT2018", "0", "userKT") != "08002_his-yenson" {
		t.Errorf("gateway check: %v", gw)
	}
	post("/v1/gateway/check-card", testKioskToken, map[string]any{"maThe": "HC4010987654320", "hoTen": "Nguyễn Văn An", "ngaySinh": "1995"}, 200)
	if gw := post("/v1/gateway/check-card", testKioskToken, map[string]any{"maThe": "DN40808", "hoTen": "Nguyễn Văn An", "ngaySinh": "1995"}, 200).json(t); get(gw, "maKetQua") != "051" {
		t.Errorf("gateway check of a malformed card: %v", gw)
	}
	// The gateway as HIS clients call it: form login, then a form body
	// with the four query parameters (the full client test is in
	// cmd/kioskd).
	login := c.do(apiCall{method: http.MethodPost, path: "/api/token/take", contentType: "application/x-www-form-urlencoded",
		body: []byte("username=his-yenson&password=" + md5Hex(testHISToken))}, 200).json(t)
	tok, idTok := get(login, "APIKey", "access_token"), get(login, "APIKey", "id_token")
	if get(login, "maKetQua") != "200" || tok == nil || idTok == nil {
		t.Fatalf("gateway login: %v", login)
	}
	q := "?token=" + tok.(string) + "&id_token=" + idTok.(string) + "&username=his-yenson&password=" + md5Hex(testHISToken)
	egw := c.do(apiCall{method: http.MethodPost, path: "/api/egw/KQNhanLichSuKCB2024" + q, contentType: "application/x-www-form-urlencoded",
		body: []byte("maThe=008095001234&hoTen=Nguy%E1%BB%85n+V%C4%83n+An&ngaySinh=14%2F03%2F1995")}, 200).json(t)
	if get(egw, "maKetQua") != "000" || get(egw, "maThe") != "DN4080812345678" {
		t.Errorf("gateway check by citizen ID: %v", egw)
	}
	for _, bad := range []struct {
		call apiCall
		want int
		code string
	}{
		{apiCall{method: http.MethodPost, path: "/api/token/take", contentType: "application/x-www-form-urlencoded", body: []byte("username=his-yenson&password=wrong")}, 401, "401"},
		{apiCall{method: http.MethodPost, path: "/api/token/take", contentType: "application/x-www-form-urlencoded", body: []byte("username=his-yenson"), badRequest: true}, 400, "205"},
		{apiCall{method: http.MethodPost, path: "/api/egw/KQNhanLichSuKCB2024?token=g1.nonsense", contentType: "application/x-www-form-urlencoded", body: []byte("maThe=008095001234"), badRequest: true}, 200, "401"},
		{apiCall{method: http.MethodPost, path: "/api/egw/nothing-here", badRequest: true}, 404, "205"},
		{apiCall{method: http.MethodPost, path: "/api/egw/KQNhanLichSuKCB2024" + q, contentType: "application/x-www-form-urlencoded", body: []byte("maThe=008095001234&hoTen=An"), badRequest: true}, 200, "205"},
		{apiCall{method: http.MethodGet, path: "/api/egw/KQNhanLichSuKCB2024" + q, badRequest: true}, 405, "205"},
	} {
		r := c.do(bad.call, bad.want)
		if got := get(r.json(t), "maKetQua"); got != bad.code {
			t.Errorf("%s %s: maKetQua %v, want %s (body %s)", bad.call.method, bad.call.path, got, bad.code, clip(r.body))
		}
	}

	// Idempotent check-ins: the retry replays the first answer.
	idem := apiCall{method: http.MethodPost, path: "/v1/checkins", token: testKioskToken, contentType: "application/json",
		body: []byte(`{"citizen_id":"079203004567","kiosk":"desk-3"}`), header: map[string]string{"Idempotency-Key": "3f9c2b1e-5d7a-4c8e-9b0f-1a2b3c4d5e6f"}}
	one, two := c.do(idem, 200), c.do(idem, 200)
	if !bytes.Equal(one.body, two.body) || two.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("idempotent retry: first %s, then %s (Idempotent-Replayed %q)", one.body, two.body, two.header.Get("Idempotent-Replayed"))
	}
	idem.body = []byte(`{"citizen_id":"079203004567","kiosk":"desk-4"}`)
	wantCode(c.do(idem, 422), "idempotency_key_reused")
	idem.header = map[string]string{"Idempotency-Key": strings.Repeat("k", 201)}
	idem.badRequest = true
	wantCode(c.do(idem, 400), "invalid_idempotency_key")

	// A batch of queued check-ins: each item answered on its own.
	batch := post("/v1/checkins/batch", testKioskToken, map[string]any{"items": []map[string]string{
		{"scan": scanAn, "scanned_at": "2026-03-08T10:00:00+07:00", "kiosk": "desk-1"},
		{"citizen_id": "008095009999", "scanned_at": "2026-03-08T10:05:00+07:00"},
		{"card_no": "0812345678", "visit_type": "inpatient"},
	}}, 200).json(t)
	if get(batch, "results", "0", "status") != 200.0 || get(batch, "results", "0", "result", "visit", "day") != "2026-03-08" ||
		get(batch, "results", "1", "status") != 404.0 || get(batch, "results", "1", "error", "code") != "citizen_not_found" {
		t.Errorf("batch: %v", batch)
	}
	wantCode(c.do(apiCall{method: http.MethodPost, path: "/v1/checkins/batch", token: testKioskToken, contentType: "application/json",
		body: []byte(`{"items":[]}`), badRequest: true}, 400), "invalid_request")
	many := make([]map[string]string, MaxBatch+1)
	for i := range many {
		many[i] = map[string]string{"citizen_id": "008095001234"}
	}
	wantCode(c.do(apiCall{method: http.MethodPost, path: "/v1/checkins/batch", token: testKioskToken, contentType: "application/json",
		body: jsonBody(map[string]any{"items": many}), badRequest: true}, 413), "batch_too_large")
	wantCode(c.do(apiCall{method: http.MethodPost, path: "/v1/checkins/batch", token: testKioskToken, contentType: "text/plain",
		body: []byte(`{"items":[]}`), badRequest: true}, 415), "unsupported_media_type")

	// Errors.
	errCases := []struct {
		call apiCall
		want int
		code string
	}{
		{apiCall{method: http.MethodPost, path: "/v1/checkins", contentType: "application/json", body: []byte(`{"citizen_id":"008095001234"}`)}, 401, "unauthenticated"},
		{apiCall{method: http.MethodPost, path: "/v1/checkins", token: "not-a-known-token-000000", contentType: "application/json", body: []byte(`{"citizen_id":"008095001234"}`)}, 401, "unauthenticated"},
		{apiCall{method: http.MethodGet, path: "/v1/duplicates?from=2026-03-01&to=2026-03-31", token: testKioskToken}, 403, "forbidden_role"},
		{apiCall{method: http.MethodPost, path: "/v1/eligibility", token: testAuditorToken, contentType: "application/json", body: []byte(`{"citizen_id":"008095001234"}`)}, 403, "forbidden_role"},
		{apiCall{method: http.MethodGet, path: "/v1/citizens/008095001234/visits", token: testKioskToken}, 403, "forbidden_role"},
		{apiCall{method: http.MethodPost, path: "/v1/checkins", token: testKioskToken, contentType: "application/json", body: []byte(`{"citizen_id":"008095001234","facility":"08002"}`)}, 403, "forbidden_facility"},
		{apiCall{method: http.MethodPost, path: "/v1/checkins", token: testKioskToken, contentType: "application/json", body: []byte(`{"citizen_id":"008095009999"}`)}, 404, "citizen_not_found"},
		{apiCall{method: http.MethodPost, path: "/v1/eligibility", token: testKioskToken, contentType: "application/json", body: []byte(`{"citizen_id":"008095009999"}`)}, 404, "citizen_not_found"},
		{apiCall{method: http.MethodPost, path: "/v1/checkins", token: testKioskToken, contentType: "application/json", body: []byte(`{"card_no":"DN4089999999999"}`)}, 404, "card_not_found"},
		{apiCall{method: http.MethodGet, path: "/v1/nothing-here", token: testKioskToken, badRequest: true}, 404, "no_such_route"},
		{apiCall{method: http.MethodGet, path: "/v1/checkins", token: testKioskToken, badRequest: true}, 405, "method_not_allowed"},
		{apiCall{method: http.MethodPost, path: "/healthz", badRequest: true}, 405, "method_not_allowed"},
		{apiCall{method: http.MethodPost, path: "/v1/checkins", token: testKioskToken, contentType: "application/json", body: []byte(`{"scan":"` + strings.Repeat("x", 70<<10) + `"}`)}, 413, "body_too_large"},
		{apiCall{method: http.MethodPost, path: "/v1/checkins", token: testKioskToken, contentType: "text/plain", body: []byte(scanAn), badRequest: true}, 415, "unsupported_media_type"},
		{apiCall{method: http.MethodPost, path: "/v1/checkins", token: testKioskToken, contentType: "application/json", body: []byte(`{"citizen_id":`), badRequest: true}, 400, "invalid_json"},
		{apiCall{method: http.MethodPost, path: "/v1/checkins", token: testKioskToken, contentType: "application/json", body: []byte(`{"citizen_id":8095001234}`), badRequest: true}, 400, "invalid_field"},
		{apiCall{method: http.MethodPost, path: "/v1/checkins", token: testKioskToken, contentType: "application/json", body: []byte(`{"citizen_id":"008095001234","scanned_at":"yesterday"}`), badRequest: true}, 400, "invalid_field"},
		{apiCall{method: http.MethodPost, path: "/v1/checkins", token: testKioskToken, contentType: "application/json", body: []byte(`{"citizen_id":"008095001234","scan":"x"}`), badRequest: true}, 400, "invalid_request"},
		{apiCall{method: http.MethodPost, path: "/v1/eligibility", token: testKioskToken, contentType: "application/json", body: []byte(`{}`), badRequest: true}, 400, "invalid_request"},
		{apiCall{method: http.MethodPost, path: "/v1/checkins", token: testKioskToken, contentType: "application/json", body: []byte(`{"citizen_id":"8095001234"}`)}, 422, "invalid_citizen_id"},
		{apiCall{method: http.MethodPost, path: "/v1/checkins", token: testKioskToken, contentType: "application/json", body: []byte(`{"card_no":"DN40808"}`)}, 422, "invalid_card_no"},
		{apiCall{method: http.MethodPost, path: "/v1/checkins", token: testKioskToken, contentType: "application/json", body: jsonBody(map[string]string{"citizen_id": "008095001234", "scanned_at": now.Add(time.Hour).Format(time.RFC3339)})}, 422, "scanned_at_in_future"},
		{apiCall{method: http.MethodPost, path: "/v1/checkins", token: testKioskToken, contentType: "application/json", body: jsonBody(map[string]string{"citizen_id": "008095001234", "scanned_at": now.Add(-100 * time.Hour).Format(time.RFC3339)})}, 422, "scanned_at_too_old"},
		{apiCall{method: http.MethodPost, path: "/v1/checkins", token: testKioskToken, contentType: "application/json", body: []byte(`{"citizen_id":"008095001234","visit_type":"walk_in"}`), badRequest: true}, 422, "invalid_visit_type"},
		{apiCall{method: http.MethodPost, path: "/v1/checkins", token: testKioskToken, contentType: "application/json", body: []byte(`{"scan":""}`)}, 422, "unreadable_scan"},
		{apiCall{method: http.MethodPost, path: "/v1/eligibility", token: testKioskToken, contentType: "application/json", body: []byte(`{"card_no":"DN4080812345678","dob":"14 March 1995"}`)}, 422, "invalid_date"},
		{apiCall{method: http.MethodPost, path: "/v1/eligibility", token: testKioskToken, contentType: "application/json", body: []byte(`{"card_no":"DN4080812345678","gender":"x"}`)}, 422, "invalid_gender"},
		{apiCall{method: http.MethodGet, path: "/v1/duplicates?to=2026-03-31", token: testAuditorToken, badRequest: true}, 400, "invalid_request"},
		{apiCall{method: http.MethodGet, path: "/v1/duplicates?from=2026-03-01&to=2026-03-31&limit=ten", token: testAuditorToken, badRequest: true}, 400, "invalid_limit"},
		{apiCall{method: http.MethodGet, path: "/v1/duplicates?from=2026-03-01&to=2026-03-31&limit=5000", token: testAuditorToken, badRequest: true}, 422, "invalid_limit"},
		{apiCall{method: http.MethodGet, path: "/v1/duplicates?from=2026-03-31&to=2026-03-01", token: testAuditorToken}, 422, "invalid_range"},
		{apiCall{method: http.MethodGet, path: "/v1/duplicates?from=2026-03&to=2026-03-31", token: testAuditorToken, badRequest: true}, 422, "invalid_date"},
		{apiCall{method: http.MethodGet, path: "/v1/duplicates?from=2026-03-01&to=2026-03-31&cursor=nonsense", token: testAuditorToken}, 400, "invalid_cursor"},
		{apiCall{method: http.MethodGet, path: "/v1/citizens/12345/visits", token: testAuditorToken}, 422, "invalid_citizen_id"},
		{apiCall{method: http.MethodGet, path: "/v1/citizens/008095001234/visits?day=9/3/2026", token: testAuditorToken, badRequest: true}, 422, "invalid_date"},
	}
	// Claims: a file with one good and one bad record, its resubmission,
	// and files that cannot be read.
	claimFile := func(recs ...claimxmlFields) []byte {
		var b bytes.Buffer
		w := claimxml.NewWriter(&b, "08001")
		for _, f := range recs {
			w.Add(f, "", "XML2")
		}
		w.Close()
		return b.Bytes()
	}
	cf := claimFile(
		claimxmlFields{"MA_LK": "LK1", "MA_CSKCB": "08001", "SO_CCCD": "008095001234", "NGAY_VAO": "202603090730", "MA_LOAI_KCB": "01", "T_BHTT": "150000"},
		claimxmlFields{"MA_LK": "LK2", "MA_CSKCB": "08001", "MA_THE_BHYT": "DN4080812345678", "NGAY_VAO": "2026030907", "MA_LOAI_KCB": "01"})
	r = c.do(apiCall{method: http.MethodPost, path: "/v1/claims", token: testAuditorToken, contentType: "application/xml", body: cf}, 200)
	if get(r.json(t), "imported") != 1.0 || get(r.json(t), "rejected_total") != 1.0 {
		t.Errorf("claims import: %s", r.body)
	}
	r = c.do(apiCall{method: http.MethodPost, path: "/v1/claims", token: testAuditorToken, contentType: "text/xml", body: cf}, 200)
	if get(r.json(t), "replaced") != 1.0 {
		t.Errorf("claims resubmission: %s", r.body)
	}
	wantCode(c.do(apiCall{method: http.MethodPost, path: "/v1/claims", token: testAuditorToken, contentType: "application/xml", body: []byte("<GIAMDINHHS><x>")}, 422), "malformed_xml")
	wantCode(c.do(apiCall{method: http.MethodPost, path: "/v1/claims", token: testAuditorToken, contentType: "application/xml", body: []byte("<HOSO/>")}, 422), "invalid_envelope")
	wantCode(c.do(apiCall{method: http.MethodPost, path: "/v1/claims", token: testAuditorToken, contentType: "application/xml", body: []byte(`<!DOCTYPE a [<!ENTITY a "a">]><GIAMDINHHS>&a;</GIAMDINHHS>`)}, 422), "xml_entities")
	wantCode(c.do(apiCall{method: http.MethodPost, path: "/v1/claims", token: testHISToken, contentType: "application/xml", body: cf}, 403), "forbidden_role")

	for _, ec := range errCases {
		r := c.do(ec.call, ec.want)
		if got := r.errorCode(); got != ec.code {
			t.Errorf("%s %s: error code %q, want %q (body %s)", ec.call.method, ec.call.path, got, ec.code, clip(r.body))
		}
	}
	// The gateway alias answers bad input in the gateway's format: HTTP
	// 200, maKetQua 205 naming the field, 401 for the key.
	for _, gc := range []struct {
		token, body, code, field string
	}{
		{testKioskToken, `{"hoTen":"Nguyễn Văn An","ngaySinh":"1995"}`, "205", "maThe"},
		{testKioskToken, `{"maThe":"DN4080812345678","ngaySinh":"1995"}`, "205", "hoTen"},
		{testKioskToken, `{"maThe":"DN4080812345678","hoTen":"An","ngaySinh":"1995","gioiTinh":3}`, "205", "gioiTinh"},
		{testKioskToken, `{"maThe":"DN4080812345678","hoTen":"An","ngaySinh":"14.03.1995"}`, "205", "ngaySinh"},
		{testKioskToken, `{"maThe":"DN4080812345678","hoTen":"An","ngaySinh":{"d":1}}`, "205", "ngaySinh"},
		{testKioskToken, `{"maThe":"DN4080812345678","hoTen":"An","ngaySinh":"1995","cccdCb":"12345"}`, "205", "cccdCb"},
		{testKioskToken, `[1,2]`, "205", "body"},
		{testKioskToken, `{"maThe":"DN4080812345678","hoTen":"An","ngaySinh":"1995","maCSKCB":"08002"}`, "401", "maCSKCB"},
		{testAuditorToken, `{"maThe":"DN4080812345678","hoTen":"An","ngaySinh":"1995"}`, "401", ""},
		{"not-a-token-at-all", `{"maThe":"DN4080812345678","hoTen":"An","ngaySinh":"1995"}`, "401", ""},
	} {
		r := c.do(apiCall{method: http.MethodPost, path: "/v1/gateway/check-card", token: gc.token, contentType: "application/json", body: []byte(gc.body), badRequest: true}, 200)
		m := r.json(t)
		if get(m, "maKetQua") != gc.code || !strings.Contains(get(m, "ghiChu").(string), gc.field) {
			t.Errorf("gateway alias %s: maKetQua %v, ghiChu %q; want %s naming %q", gc.body, get(m, "maKetQua"), get(m, "ghiChu"), gc.code, gc.field)
		}
	}
	// A facility-bound key naming a malformed facility is refused as
	// another facility, before the code's shape is checked.
	wantCode(c.do(apiCall{method: http.MethodPost, path: "/v1/checkins", token: testKioskToken, contentType: "application/json",
		body: []byte(`{"citizen_id":"008095001234","facility":"0800"}`), badRequest: true}, 403), "forbidden_facility")

	// The ledger is down but queues the visit: check-ins still answer,
	// auditors' reads are 503.
	queuing := New(Config{Verifier: testService(t, now, downLedger{queues: true}), Keys: testKeys(t), Ready: map[string]Pinger{"ledger": downLedger{queues: true}}})
	qc := newAPIChecker(t, queuing)
	u := qc.do(apiCall{method: http.MethodPost, path: "/v1/checkins", token: testKioskToken, contentType: "application/json", body: []byte(`{"citizen_id":"079203004567"}`)}, 200).json(t)
	if get(u, "dedupe") != "unavailable" {
		t.Errorf("check-in with the ledger down: %v", u)
	}
	// The ledger is down and keeps nothing: a check-in is 503
	// not_recorded, alone and in a batch, and /readyz says so.
	down := New(Config{Verifier: testService(t, now, downLedger{}), Keys: testKeys(t), Ready: map[string]Pinger{"ledger": downLedger{}}})
	dc := newAPIChecker(t, down)
	wantCode(dc.do(apiCall{method: http.MethodPost, path: "/v1/checkins", token: testKioskToken, contentType: "application/json", body: []byte(`{"citizen_id":"079203004567"}`)}, 503), "not_recorded")
	nb := dc.do(apiCall{method: http.MethodPost, path: "/v1/checkins/batch", token: testKioskToken, contentType: "application/json",
		body: []byte(`{"items":[{"citizen_id":"079203004567"},{"citizen_id":"008095009999"}]}`)}, 200).json(t)
	if get(nb, "results", "0", "status") != 503.0 || get(nb, "results", "0", "error", "code") != "not_recorded" || get(nb, "results", "1", "status") != 404.0 {
		t.Errorf("batch with the ledger down: %v", nb)
	}
	rz := dc.do(apiCall{method: http.MethodGet, path: "/readyz"}, 503).json(t)
	if get(rz, "checks", "recording", "status") != "down" || get(rz, "checks", "recording", "not_recorded") != 2.0 {
		t.Errorf("readyz after not-recorded check-ins: %v", rz)
	}
	dc.do(apiCall{method: http.MethodGet, path: "/v1/duplicates?from=2026-03-01&to=2026-03-31", token: testAuditorToken}, 503)
	dc.do(apiCall{method: http.MethodGet, path: "/v1/duplicates?from=2026-03-01&to=2026-03-31&format=csv", token: testAuditorToken}, 503)
	dc.do(apiCall{method: http.MethodGet, path: "/v1/citizens/079203004567/visits", token: testHISToken}, 503)
}

// TestOpenAPIUnknownFacility covers unknown_facility, which needs a key
// bound to a facility the registry does not know.
func TestOpenAPIUnknownFacility(t *testing.T) {
	now := time.Date(2026, 3, 9, 9, 0, 0, 0, ict)
	keys, err := ParseKeys([]byte(`[{"name":"desk-x","role":"kiosk","facility":"99999","token":"kiosk-99999-token-0123456789"}]`))
	if err != nil {
		t.Fatal(err)
	}
	srv := New(Config{Verifier: testService(t, now, inmem.NewLedger()), Keys: keys})
	c := newAPIChecker(t, srv)
	r := c.do(apiCall{method: http.MethodPost, path: "/v1/checkins", token: "kiosk-99999-token-0123456789", contentType: "application/json", body: []byte(`{"citizen_id":"008095001234"}`)}, 422)
	if r.errorCode() != "unknown_facility" {
		t.Errorf("unknown facility: %s", r.body)
	}
	r = c.do(apiCall{method: http.MethodPost, path: "/v1/eligibility", token: "kiosk-99999-token-0123456789", contentType: "application/json", body: []byte(`{"citizen_id":"008095001234"}`)}, 422)
	if r.errorCode() != "unknown_facility" {
		t.Errorf("unknown facility: %s", r.body)
	}
}

type claimxmlFields = verifier.ClaimFields
