package kiosk

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// The gateway's login (POST /api/token/take) issues tokens that act as the
// HIS key they were issued for, facility binding included, until they
// expire. They are stateless: "g1.<name>.<expiry>.<mac>", the MAC an
// HMAC-SHA-256 over the purpose, the key's name, the expiry and the key's
// token hash, with Config.GatewaySecret. Any kioskd sharing the secret
// accepts the others' tokens (an HIS behind a load balancer logs in on one
// and checks cards on another), no store is needed, and a key removed from
// the keys file or given a new token takes its tokens with it.

// DefaultGatewayTokenTTL is how long a gateway token lives by default.
const DefaultGatewayTokenTTL = time.Hour

const (
	tokenAccess = "access"
	tokenID     = "id"
)

// issueToken returns a token of purpose for k, valid until exp.
func (s *Server) issueToken(purpose string, k *Key, exp time.Time) string {
	name := base64.RawURLEncoding.EncodeToString([]byte(k.Name))
	e := strconv.FormatInt(exp.Unix(), 10)
	return "g1." + name + "." + e + "." + s.tokenMAC(purpose, k, name, e)
}

func (s *Server) tokenMAC(purpose string, k *Key, name, exp string) string {
	m := hmac.New(sha256.New, s.gatewaySecret)
	m.Write([]byte(purpose + "\x00" + name + "\x00" + exp + "\x00"))
	m.Write(k.hash[:])
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:24])
}

// tokenKey returns the key a token of purpose was issued for, if the token
// is genuine and unexpired.
func (s *Server) tokenKey(purpose, tok string) (*Key, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 4 || parts[0] != "g1" {
		return nil, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, false
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || !s.now().Before(time.Unix(exp, 0)) {
		return nil, false
	}
	i, ok := s.keys.byName[string(raw)]
	if !ok {
		return nil, false
	}
	k := &s.keys.keys[i]
	if !hmac.Equal([]byte(s.tokenMAC(purpose, k, parts[1], parts[2])), []byte(parts[3])) {
		return nil, false
	}
	return k, true
}

// tokenTakeBody is the login's form or JSON body.
type tokenTakeBody struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// tokenTakeResponse is the login's answer.
type tokenTakeResponse struct {
	MaKetQua string       `json:"maKetQua"`
	APIKey   gatewayToken `json:"APIKey"`
}

type gatewayToken struct {
	AccessToken string `json:"access_token"`
	IDToken     string `json:"id_token"`
	TokenType   string `json:"token_type"`
	Username    string `json:"username"`
	ExpiresIn   int64  `json:"expires_in"` // seconds
}

var errGatewayLogin = &gatewayFault{code: verifier.CodeAuth, detail: "wrong username or password"}

// tokenTake answers POST /api/token/take: username is the name of an his
// key, password its token or the token's lowercase hex MD5.
func (s *Server) tokenTake(c *gin.Context) {
	// Every login counts against its address: a guesser of passwords is
	// held to the anonymous rate whatever it sends.
	if !s.chargeAnonymous(c) {
		return
	}
	var b tokenTakeBody
	if err := s.readGatewayBody(c, map[string]*string{"username": &b.Username, "password": &b.Password}); err != nil {
		s.abort(c, err)
		return
	}
	switch {
	case b.Username == "":
		s.abort(c, badParam("username", "required: the facility's account"))
		return
	case b.Password == "":
		s.abort(c, badParam("password", "required"))
		return
	}
	k, ok := s.keys.login(b.Username, b.Password)
	if !ok || k.Role != RoleHIS {
		s.metrics.gatewayLogins.WithLabelValues("refused").Inc()
		s.abort(c, errGatewayLogin)
		return
	}
	s.metrics.gatewayLogins.WithLabelValues("ok").Inc()
	exp := s.now().Add(s.gatewayTTL)
	c.JSON(http.StatusOK, tokenTakeResponse{MaKetQua: "200", APIKey: gatewayToken{
		AccessToken: s.issueToken(tokenAccess, k, exp), IDToken: s.issueToken(tokenID, k, exp),
		TokenType: "Bearer", Username: k.Name, ExpiresIn: int64(s.gatewayTTL / time.Second),
	}})
}

// gatewayAuthenticate resolves the card check's credentials, in the order
// HIS clients send them: a bearer token (a gateway token, or the his key's
// own API token), else the query's token (with its id_token, when sent,
// of the same key), else the query's username and password. A token that
// is sent but expired or false is a 401 even when a password comes with
// it: the client logs in again, as with the insurer's gateway.
func (s *Server) gatewayAuthenticate(c *gin.Context) {
	q := c.Request.URL.Query()
	var k *Key
	ok := false
	if tok, bearer := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer "); bearer {
		tok = strings.TrimSpace(tok)
		if k, ok = s.tokenKey(tokenAccess, tok); !ok {
			k, ok = s.keys.lookup(tok)
		}
	} else if tok := q.Get("token"); tok != "" {
		k, ok = s.tokenKey(tokenAccess, tok)
		if id := q.Get("id_token"); ok && id != "" {
			var ik *Key
			ik, ok = s.tokenKey(tokenID, id)
			ok = ok && ik == k
		}
	} else if u := q.Get("username"); u != "" {
		k, ok = s.keys.login(u, q.Get("password"))
	}
	if !ok || k.Role != RoleHIS {
		if !s.chargeAnonymous(c) {
			return
		}
		s.abort(c, &gatewayFault{code: verifier.CodeAuth, detail: "send the token from /api/token/take (token and id_token in the query, or Authorization: Bearer), or username and password"})
		return
	}
	c.Set(ctxKey, k)
	c.Next()
}
