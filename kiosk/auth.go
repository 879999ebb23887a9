package kiosk

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// Role is what a key may do.
type Role string

const (
	RoleKiosk   Role = "kiosk"   // reception kiosks: decode, check in, eligibility
	RoleHIS     Role = "his"     // hospital information systems: the same, plus visit reads
	RoleAuditor Role = "auditor" // insurance auditors: duplicates and visit reads
)

// Key is one API key of the keys file. Token may be given in clear (for
// development: a warning is logged) or as "sha256:<hex>" of the token, the
// form a deployment should store.
type Key struct {
	Name     string `json:"name"`
	Role     Role   `json:"role"`
	Facility string `json:"facility,omitempty"`
	Token    string `json:"token"`
	// TokenMD5 is "sha256:<hex>" of the lowercase hex MD5 of the token
	// (kioskctl hash-token -md5), for an HIS that logs in to the gateway
	// endpoints with the MD5 of its password, as HIS clients keep it.
	// A clear Token needs none: it is computed.
	TokenMD5 string `json:"token_md5,omitempty"`

	hash    [32]byte
	md5Hash [32]byte // SHA-256 of the MD5 hex of the token; zero when unknown
	hasMD5  bool
}

// Keys is the set of API keys.
type Keys struct {
	keys   []Key
	byHash map[[32]byte]int // index in keys by the SHA-256 of the token
	byName map[string]int   // index in keys by name
	// Plain counts keys stored with a clear-text token.
	Plain int
}

// ParseKeys parses a keys file: a JSON array of keys.
func ParseKeys(b []byte) (*Keys, error) {
	var list []Key
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("keys file: %w", err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("keys file: no keys")
	}
	ks := &Keys{}
	names := map[string]bool{}
	for i, k := range list {
		switch {
		case k.Name == "":
			return nil, fmt.Errorf("keys file: key %d has no name", i+1)
		case names[k.Name]:
			return nil, fmt.Errorf("keys file: key name %q appears twice", k.Name)
		case k.Role != RoleKiosk && k.Role != RoleHIS && k.Role != RoleAuditor:
			return nil, fmt.Errorf("keys file: key %q: role must be kiosk, his or auditor", k.Name)
		case (k.Role == RoleKiosk || k.Role == RoleHIS) && len(k.Facility) != 5:
			return nil, fmt.Errorf("keys file: key %q: a %s key needs a 5-character facility", k.Name, k.Role)
		case len(k.Token) < 16 && !strings.HasPrefix(k.Token, "sha256:"):
			return nil, fmt.Errorf("keys file: key %q: token too short (at least 16 characters)", k.Name)
		}
		names[k.Name] = true
		if h, ok := strings.CutPrefix(k.Token, "sha256:"); ok {
			raw, err := hex.DecodeString(h)
			if err != nil || len(raw) != 32 {
				return nil, fmt.Errorf("keys file: key %q: sha256: must be followed by 64 hex digits", k.Name)
			}
			copy(k.hash[:], raw)
		} else {
			k.hash = hashToken(k.Token)
			k.md5Hash, k.hasMD5 = hashToken(md5Hex(k.Token)), true
			ks.Plain++
		}
		if k.TokenMD5 != "" {
			h, ok := strings.CutPrefix(k.TokenMD5, "sha256:")
			raw, err := hex.DecodeString(h)
			if !ok || err != nil || len(raw) != 32 {
				return nil, fmt.Errorf("keys file: key %q: token_md5 must be sha256: and 64 hex digits (kioskctl hash-token -md5)", k.Name)
			}
			copy(k.md5Hash[:], raw)
			k.hasMD5 = true
		}
		k.Token, k.TokenMD5 = "", "" // keep no clear token in memory beyond its hash
		ks.keys = append(ks.keys, k)
	}
	ks.index()
	if len(ks.byHash) != len(ks.keys) {
		return nil, fmt.Errorf("keys file: two keys have the same token")
	}
	return ks, nil
}

// hashToken is the SHA-256 of a token. The token is copied into a stack
// buffer: the conversion []byte(token) of a token longer than 32 bytes
// would allocate, on every request in lookup.
func hashToken(token string) [32]byte {
	var buf [128]byte
	return sha256.Sum256(append(buf[:0], token...))
}

// HashToken returns the form of a token to store in a keys file.
func HashToken(token string) string {
	h := hashToken(token)
	return "sha256:" + hex.EncodeToString(h[:])
}

// DemoKeys makes one random key per role for demo mode and returns the
// clear tokens by role, to be printed once at start-up.
func DemoKeys(facility string) (*Keys, map[Role]string) {
	tokens := map[Role]string{}
	ks := &Keys{}
	for _, r := range []Role{RoleKiosk, RoleHIS, RoleAuditor} {
		tok := "demo-" + string(r) + "-" + rand.Text()
		k := Key{Name: "demo-" + string(r), Role: r, hash: hashToken(tok), md5Hash: hashToken(md5Hex(tok)), hasMD5: true}
		if r != RoleAuditor {
			k.Facility = facility
		}
		ks.keys = append(ks.keys, k)
		tokens[r] = tok
	}
	ks.index()
	return ks, tokens
}

// AddDemoKey adds a key with a fresh random token to a demo key set and
// returns the token: the demo's desk at another facility. Call it before
// the server serves (the set is not locked).
func (ks *Keys) AddDemoKey(name string, role Role, facility string) string {
	tok := "demo-" + string(role) + "-" + rand.Text()
	ks.keys = append(ks.keys, Key{Name: name, Role: role, Facility: facility, hash: hashToken(tok), md5Hash: hashToken(md5Hex(tok)), hasMD5: true})
	ks.index()
	return tok
}

// lookup finds the key of a token. The token is hashed first and the hash
// is what is looked up and compared (in constant time), so the time taken
// can tell at most how close a guess's SHA-256 came to a stored one, which
// says nothing about the token itself.
func (ks *Keys) lookup(token string) (*Key, bool) {
	h := hashToken(token)
	i, ok := ks.byHash[h] // a nil map (no keys) finds nothing
	if !ok || subtle.ConstantTimeCompare(h[:], ks.keys[i].hash[:]) != 1 {
		return nil, false
	}
	return &ks.keys[i], true
}

func (ks *Keys) index() {
	ks.byHash = make(map[[32]byte]int, len(ks.keys))
	ks.byName = make(map[string]int, len(ks.keys))
	for i := range ks.keys {
		ks.byHash[ks.keys[i].hash] = i
		ks.byName[ks.keys[i].Name] = i
	}
}

// md5Hex is the lowercase hex MD5 of a token: the form in which HIS
// clients keep and send the gateway password (docs/domain.md §6). MD5 is
// what they send, not a choice of this service; it is compared only
// through its SHA-256, like the token itself.
func md5Hex(token string) string {
	sum := md5.Sum([]byte(token))
	return hex.EncodeToString(sum[:])
}

// HashTokenMD5 returns the token_md5 form of a token for a keys file.
func HashTokenMD5(token string) string { return HashToken(md5Hex(token)) }

// login finds the key of a gateway login: a key's name and its token or
// the token's MD5 hex. Both comparisons run, in constant time, whatever
// the name, so that the time taken does not tell which part was wrong.
func (ks *Keys) login(name, password string) (*Key, bool) {
	i, known := ks.byName[name]
	var k *Key
	if known {
		k = &ks.keys[i]
	} else {
		k = &Key{} // compared against, to spend the same time
	}
	h := hashToken(password)
	plain := subtle.ConstantTimeCompare(h[:], k.hash[:])
	viaMD5 := subtle.ConstantTimeCompare(h[:], k.md5Hash[:]) & boolInt(k.hasMD5)
	if !known || plain|viaMD5 != 1 {
		return nil, false
	}
	return k, true
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

const ctxKey = "kiosk.key"

// authenticate resolves the bearer token and refuses roles not allowed.
func (s *Server) authenticate(roles ...Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		tok, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		var k *Key
		if ok {
			k, ok = s.keys.lookup(strings.TrimSpace(tok))
		}
		if !ok {
			s.abort(c, errUnauthenticated)
			return
		}
		c.Set(ctxKey, k)
		for _, r := range roles {
			if k.Role == r {
				c.Next()
				return
			}
		}
		s.abort(c, verifier.Errorf(verifier.KindForbidden, "forbidden_role", "an API key of role %q may not use this endpoint", k.Role))
	}
}

func keyOf(c *gin.Context) *Key {
	k, _ := c.Get(ctxKey)
	key, _ := k.(*Key)
	return key
}

// facilityFor returns the facility a request acts for: the one it names,
// which must be the key's own for facility-bound keys, or the key's.
func facilityFor(k *Key, requested string) (string, error) {
	if requested == "" {
		if k.Facility == "" {
			return "", verifier.Errorf(verifier.KindInvalid, "facility_required", "this key is not bound to a facility: name one in \"facility\"")
		}
		return k.Facility, nil
	}
	if k.Facility != "" && requested != k.Facility {
		return "", verifier.Errorf(verifier.KindForbidden, "forbidden_facility", "this key may only act for facility %s", k.Facility)
	}
	return requested, nil
}
