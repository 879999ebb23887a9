package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/redisledger/redistest"
)

const (
	aclUser     = "kioskd"
	aclPassword = "acl-pass-Xk93"
	defaultPass = "default-pass-Qm27"
)

// requireAuth gives the server an ACL user for kioskd, limited to its key
// prefix (as docs/operations.md advises), and a password for
// the default user (requirepass), so that an unauthenticated client gets
// NOAUTH.
func requireAuth(t *testing.T, addr string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	ctx := context.Background()
	if err := c.Do(ctx, "ACL", "SETUSER", aclUser, "on", ">"+aclPassword, "~ck:*", "+@all").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.ConfigSet(ctx, "requirepass", defaultPass).Err(); err != nil {
		t.Fatal(err)
	}
}

// checkinsRecorded checks n citizens in and wants each recorded in the
// window ("dedupe": "ok"), not queued in the outbox.
func checkinsRecorded(t *testing.T, p *proc, ids []verifier.CitizenID) {
	t.Helper()
	for _, id := range ids {
		status, body, err := p.checkin(id, procFacilities[0])
		if err != nil || status != 200 || body["dedupe"] != verifier.DedupeOK {
			t.Fatalf("check-in %s: %d %v %v\n%s", id.Masked(), status, body, err, p.stderr.String())
		}
	}
}

// One Redis with an ACL user and requirepass: the URL's credentials, or
// -redis-username with -redis-password-file, and no password in the log.
func TestRedisWithACLUser(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	requireAuth(t, srv.Addr())
	data, keys, ids := procData(t, 5)
	pwFile := filepath.Join(t.TempDir(), "redis-password")
	if err := os.WriteFile(pwFile, []byte(aclPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, redisArgs := range [][]string{
		{"-redis", "redis://" + aclUser + ":" + aclPassword + "@" + srv.Addr() + "/6"},
		{"-redis", srv.URL(6), "-redis-username", aclUser, "-redis-password-file", pwFile},
	} {
		p := startProc(t, append([]string{"-data", data, "-keys", keys, "-pseudonym-key", procPseudonymKey, "-outbox", t.TempDir()}, redisArgs...)...)
		checkinsRecorded(t, p, ids)
		p.stop()
		if strings.Contains(p.stderr.String(), aclPassword) {
			t.Errorf("%v: the password is in the log", redisArgs)
		}
	}
}

// A Redis Cluster whose nodes require a password: the credentials reach
// every seed and every node the client discovers (before: the Cluster
// client was given the addresses only, and the start failed with NOAUTH).
func TestRedisClusterWithACLUser(t *testing.T) {
	addrs := redistest.StartCluster(t, 3)
	for _, a := range addrs {
		requireAuth(t, a)
	}
	data, keys, ids := procData(t, 30)
	for _, redisArgs := range [][]string{
		{"-redis", "redis://" + aclUser + ":" + aclPassword + "@" + strings.Join(addrs, ",")},
		{"-redis", strings.Join(addrs, ","), "-redis-username", aclUser, "-redis-password", aclPassword},
	} {
		p := startProc(t, append([]string{"-data", data, "-keys", keys, "-pseudonym-key", procPseudonymKey, "-outbox", t.TempDir()}, redisArgs...)...)
		// 30 citizens: their keys' hash slots fall on all three masters.
		checkinsRecorded(t, p, ids)
		p.stop()
	}
}

// rediss:// against a redis-server serving TLS with a certificate of a
// private CA: kioskd connects with -redis-tls-ca, and refuses to start
// without it (the certificate is checked, not skipped).
func TestRedisTLS(t *testing.T) {
	dir := t.TempDir()
	ca, key := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "key.pem")
	writeTestCAWithKey(t, ca, key)
	tlsPort := redistest.FreePort(t, false)
	srv := redistest.Start(t, redistest.Options{Args: []string{"--tls-port", strconv.Itoa(tlsPort), "--tls-cert-file", ca, "--tls-key-file", key, "--tls-auth-clients", "no"}})
	requireAuth(t, srv.Addr())
	data, keys, ids := procData(t, 3)
	url := "rediss://" + aclUser + ":" + aclPassword + "@127.0.0.1:" + strconv.Itoa(tlsPort) + "/7"
	args := []string{"-data", data, "-keys", keys, "-pseudonym-key", procPseudonymKey, "-outbox", t.TempDir(), "-redis", url}
	p := startProc(t, append(args, "-redis-tls-ca", ca)...)
	checkinsRecorded(t, p, ids)
	p.stop()

	cmd := exec.Command(kioskdBinary(t), append(args, "-addr", "127.0.0.1:0")...)
	cmd.Env = []string{}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "certificate") {
		t.Errorf("rediss:// with a certificate of an unknown CA: %v\n%s", err, out)
	}
}

// writeTestCA writes a self-signed certificate for 127.0.0.1 (its own CA).
func writeTestCA(t *testing.T, certFile string) {
	writeTestCAWithKey(t, certFile, filepath.Join(t.TempDir(), "key.pem"))
}

func writeTestCAWithKey(t *testing.T, certFile, keyFile string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kioskd test redis"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
}
