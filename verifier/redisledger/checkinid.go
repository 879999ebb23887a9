package redisledger

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// Check-in IDs that say where their visit is. GET /v1/checkins/{id}, the
// acknowledgement and the desk's amendments must find a check-in's visit
// from its ID alone, and the visit lives under its citizen's pseudonym and
// day. Until now every check-in wrote an index entry P{c:<id>} for that:
// a key created with its expiry on every first visit, a third of the
// record script's cost to the shard's one thread (about 3.7 µs of 10;
// see BenchmarkRecordRedisCost). An ID minted by NewCheckinID carries its
// citizen and day itself, encrypted, and needs no entry.
//
// The ID is one AES-256 block under a key derived from PseudonymKey (which
// every kioskd of a deployment shares), in verifier.CheckinIDEncoding, 26
// characters:
//
//	byte 0      version (1)
//	bytes 1–5   the 12-digit citizen ID as a 40-bit integer
//	bytes 6–7   the local day, days since 1970-01-01
//	bytes 8–15  random
//
// Without the key an ID says nothing of the person, and two check-ins of
// one person share nothing (the random half differs). The block is not
// authenticated: an ID made up by someone opens, at best, to some day of
// some citizen, whose records then hold no visit with that ID, so it is
// not found, as an unknown ID always was. The random half keeps two
// check-ins of a person's day apart (64 bits), and a block cipher never
// gives two blocks one ID.
//
// IDs minted otherwise (before this, by a test, for a citizen ID that is
// not 12 digits) still get an index entry, and are read through it.
type locator struct{ block cipher.Block }

const (
	locatorVersion = 1
	locatedIDLen   = 26 // base32 of 16 bytes, unpadded
	maxCitizenID   = 999_999_999_999
)

func newLocator(pseudonymKey []byte) *locator {
	return &locator{block: derivedCipher(pseudonymKey, "redisledger check-in id v1")}
}

// NewCheckinID returns a fresh check-in ID for a visit of citizen id on
// day (YYYY-MM-DD), for verifier.Service.NewID: one that Record writes no
// index entry for when id is a 12-digit citizen ID, a random one otherwise.
func (l *Ledger) NewCheckinID(id verifier.CitizenID, day string) string {
	c, ok := citizenNumber(id)
	d, err := dayNumber(day)
	if !ok || err != nil || d < 0 || d > 0xffff {
		return verifier.RandomCheckinID()
	}
	var b [16]byte
	_, _ = rand.Read(b[8:]) // crypto/rand.Read never fails (Go 1.24+)
	b[0] = locatorVersion
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], c)
	copy(b[1:6], n[3:])
	binary.BigEndian.PutUint16(b[6:8], uint16(d))
	l.loc.block.Encrypt(b[:], b[:])
	return verifier.CheckinIDEncoding.EncodeToString(b[:])
}

// open reads an ID minted by NewCheckinID: its citizen as a number and
// its day number, ok false for any other ID.
func (l *locator) open(checkinID string) (citizen uint64, day int64, ok bool) {
	if len(checkinID) != locatedIDLen {
		return 0, 0, false
	}
	var b [16]byte
	if n, err := verifier.CheckinIDEncoding.Decode(b[:], []byte(checkinID)); err != nil || n != 16 {
		return 0, 0, false
	}
	l.block.Decrypt(b[:], b[:])
	var n [8]byte
	copy(n[3:], b[1:6])
	c := binary.BigEndian.Uint64(n[:])
	if b[0] != locatorVersion || c > maxCitizenID {
		return 0, 0, false
	}
	return c, int64(binary.BigEndian.Uint16(b[6:8])), true
}

// locate opens an ID minted by NewCheckinID: its citizen and day, ok false
// for any other ID.
func (l *locator) locate(checkinID string) (id verifier.CitizenID, day string, ok bool) {
	c, d, ok := l.open(checkinID)
	if !ok {
		return "", "", false
	}
	return citizenIDOf(c), time.Unix(d*86400, 0).UTC().Format(dayLayout), true
}

// locates reports whether checkinID opens to exactly this citizen's day:
// the visit needs no index entry. Asked on every Record, it compares
// numbers and builds no string.
func (l *locator) locates(checkinID string, id verifier.CitizenID, day string) bool {
	c, d, ok := l.open(checkinID)
	if !ok {
		return false
	}
	want, ok := citizenNumber(id)
	wantDay, err := dayNumber(day)
	return ok && err == nil && c == want && d == wantDay
}

// citizenNumber reads a 12-digit citizen ID.
func citizenNumber(id verifier.CitizenID) (uint64, bool) {
	if _, err := verifier.ParseCitizenID(string(id)); err != nil {
		return 0, false
	}
	c, err := strconv.ParseUint(string(id), 10, 64)
	return c, err == nil
}

func citizenIDOf(c uint64) verifier.CitizenID {
	return verifier.CitizenID(fmt.Sprintf("%012d", c))
}
