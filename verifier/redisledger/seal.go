package redisledger

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"strings"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// sealer seals the values of the check-in index (P{c:<id>}): the citizen ID
// and day a check-in ID belongs to. Window records and key names hold no
// citizen ID in clear, and the index must not either, yet Checkin must
// answer the visit's citizen: the ID is kept encrypted with AES-256-GCM
// under a key derived from Options.PseudonymKey, the check-in ID as
// additional data, so that a value copied to another check-in's key does
// not open.
type sealer struct{ aead cipher.AEAD }

// derivedCipher returns AES-256 under a key derived from pseudonymKey for
// one use (label): the check-in index's values, the check-in IDs.
func derivedCipher(pseudonymKey []byte, label string) cipher.Block {
	m := hmac.New(sha256.New, pseudonymKey)
	m.Write([]byte(label))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		panic(err) // a 32-byte key never fails
	}
	return block
}

func newSealer(pseudonymKey []byte) *sealer {
	aead, err := cipher.NewGCM(derivedCipher(pseudonymKey, "redisledger check-in index v1"))
	if err != nil {
		panic(err)
	}
	return &sealer{aead: aead}
}

// seal returns nonce || ciphertext of "<citizen id> <day>".
func (s *sealer) seal(checkinID string, id verifier.CitizenID, day string) string {
	ns := s.aead.NonceSize()
	buf := make([]byte, ns, ns+len(id)+1+len(day)+s.aead.Overhead())
	_, _ = rand.Read(buf) // crypto/rand.Read never fails (Go 1.24+)
	plain := make([]byte, 0, 32)
	plain = append(append(append(plain, id...), ' '), day...)
	return string(s.aead.Seal(buf, buf[:ns], plain, []byte(checkinID)))
}

func (s *sealer) open(checkinID, sealed string) (verifier.CitizenID, string, error) {
	ns := s.aead.NonceSize()
	if len(sealed) < ns {
		return "", "", errors.New("short value")
	}
	b := []byte(sealed)
	plain, err := s.aead.Open(nil, b[:ns], b[ns:], []byte(checkinID))
	if err != nil {
		return "", "", err
	}
	id, day, ok := strings.Cut(string(plain), " ")
	if !ok {
		return "", "", errors.New("malformed value")
	}
	return verifier.CitizenID(id), day, nil
}
