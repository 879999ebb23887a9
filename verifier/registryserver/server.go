// Package registryserver is a stand-in for the national population,
// insurance and facility registries: it serves the registry API that
// verifier/registryhttp's Client calls, over any registry the verifier
// knows (cmd/registryd serves the contract's data files with it), and can
// behave like a congested national system for tests and drills.
package registryserver

import (
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/recordjson"
)

// Options configure the stand-in registry server. The fault options
// make it behave like a congested national system, for tests and drills.
type Options struct {
	// Token, if set, is the shared secret every data request must present
	// as "Authorization: Bearer TOKEN". /healthz answers without it, but a
	// request that presents a wrong token is refused there too, so that a
	// client's Ping finds a misconfigured token.
	Token string
	// Latency is added to every answer; Jitter adds a further uniform
	// random delay in [0, Jitter).
	Latency, Jitter time.Duration
	// ErrorRate is the share of requests answered 503 (0–1).
	ErrorRate float64
	// HangRate is the share of requests never answered: the handler waits
	// until the client gives up (or the server's base context ends).
	HangRate float64
	// Seed makes the fault draws reproducible; 0 draws a random seed.
	Seed uint64
	// Logger, when set, is told of every request held open by HangRate
	// (the fault only, never the request's path, which may hold a
	// citizen ID): a drill's operator sees what was injected, and a test
	// knows a hanging request is in its handler.
	Logger *slog.Logger
}

// Registry is what the server answers from: the verifier's registries.
type Registry interface {
	verifier.PopulationRegistry
	verifier.InsuranceRegistry
	verifier.FacilityRegistry
}

// New returns the HTTP handler of the registry API over reg:
//
//	GET /citizens/{id}        the population record, 404 when unknown
//	GET /citizens/{id}/cards  the citizen's insurance cards, [] when none
//	GET /cards/{card_no}      one insurance card, 404 when unknown
//	GET /facilities/{code}    one facility, 404 when unknown
//	GET /healthz              {"status":"ok"}
//
// Records are written with their extra fields. Errors are JSON
// {"error": {"code", "message"}}, as in the kiosk API. The handler is safe
// for concurrent use.
func New(reg Registry, opts Options) http.Handler {
	seed := opts.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	s := &server{reg: reg, opt: opts, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /citizens/{id}", s.citizen)
	mux.HandleFunc("GET /citizens/{id}/cards", s.cardsOf)
	mux.HandleFunc("GET /cards/{card_no}", s.card)
	mux.HandleFunc("GET /facilities/{code}", s.facility)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "no_such_route", "no such route")
	})
	s.mux = mux
	return s
}

type server struct {
	reg Registry
	opt Options
	mux *http.ServeMux

	mu  sync.Mutex // guards rnd
	rnd *rand.Rand
}

// fault is what the server decides to do to one request.
type fault int

const (
	faultNone fault = iota
	faultError
	faultHang
)

func (s *server) draw() (fault, time.Duration) {
	if s.opt.HangRate <= 0 && s.opt.ErrorRate <= 0 && s.opt.Jitter <= 0 {
		return faultNone, s.opt.Latency
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f := faultNone
	if s.opt.HangRate > 0 || s.opt.ErrorRate > 0 {
		switch x := s.rnd.Float64(); {
		case x < s.opt.HangRate:
			f = faultHang
		case x < s.opt.HangRate+s.opt.ErrorRate:
			f = faultError
		}
	}
	d := s.opt.Latency
	if s.opt.Jitter > 0 {
		d += time.Duration(s.rnd.Int64N(int64(s.opt.Jitter)))
	}
	return f, d
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="registry"`)
		writeError(w, http.StatusUnauthorized, "unauthorized", "missing or wrong bearer token")
		return
	}
	f, delay := s.draw()
	if f == faultHang {
		if s.opt.Logger != nil {
			s.opt.Logger.Info("request held open (injected hang)")
		}
		<-r.Context().Done() // the client gave up, or the server is stopping
		return
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if f == faultError {
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "registry_unavailable", "the registry is busy (injected failure)")
		return
	}
	s.mux.ServeHTTP(w, r)
}

// authorized checks the bearer token; /healthz is open to callers that
// present none.
func (s *server) authorized(r *http.Request) bool {
	if s.opt.Token == "" {
		return true
	}
	h := r.Header.Get("Authorization")
	if h == "" && r.URL.Path == "/healthz" {
		return true
	}
	want := "Bearer " + s.opt.Token
	return subtle.ConstantTimeCompare([]byte(h), []byte(want)) == 1
}

func (s *server) citizen(w http.ResponseWriter, r *http.Request) {
	id, err := verifier.ParseCitizenID(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_citizen_id", "a citizen ID has 12 digits")
		return
	}
	c, err := s.reg.Citizen(r.Context(), id)
	answer(w, err, func() ([]byte, error) { return recordjson.Marshal(&c) })
}

func (s *server) cardsOf(w http.ResponseWriter, r *http.Request) {
	id, err := verifier.ParseCitizenID(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_citizen_id", "a citizen ID has 12 digits")
		return
	}
	cards, err := s.reg.CardsOf(r.Context(), id)
	if cards == nil {
		cards = []verifier.Card{}
	}
	answer(w, err, func() ([]byte, error) { return recordjson.MarshalList(cards) })
}

func (s *server) card(w http.ResponseWriter, r *http.Request) {
	c, err := s.reg.Card(r.Context(), r.PathValue("card_no"))
	answer(w, err, func() ([]byte, error) { return recordjson.Marshal(&c) })
}

func (s *server) facility(w http.ResponseWriter, r *http.Request) {
	f, err := s.reg.Facility(r.Context(), r.PathValue("code"))
	answer(w, err, func() ([]byte, error) { return recordjson.Marshal(&f) })
}

// answer writes the record encode returns, or err as its status: 404 for
// KindNotFound, else 500.
func answer(w http.ResponseWriter, err error, encode func() ([]byte, error)) {
	if err != nil {
		e := verifier.AsError(err)
		if e.Kind == verifier.KindNotFound {
			writeError(w, http.StatusNotFound, e.Code, e.Message)
			return
		}
		writeError(w, http.StatusInternalServerError, "internal", "internal error")
		return
	}
	writeBody(w, http.StatusOK, encode)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	writeBody(w, status, func() ([]byte, error) { return json.Marshal(v) })
}

func writeBody(w http.ResponseWriter, status int, encode func() ([]byte, error)) {
	b, err := encode()
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"cannot encode the record"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	var e errorBody
	e.Error.Code, e.Error.Message = code, message
	writeJSON(w, status, e)
}
