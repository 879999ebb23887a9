// Package redistest gives tests a real Redis: the machine's shared server
// with a key prefix of the test's own (Shared, Prefix), or redis-server
// processes on free loopback ports for tests that kill, restart or cluster
// them (Start, StartCluster). Every process is killed when its test ends.
//
// Without a redis-server binary the test is skipped, except under CI=true
// where it fails.
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Binary returns the path of redis-server, or skips the test (fails it
// under CI=true) when there is none.
func Binary(t testing.TB) string {
	t.Helper()
	return lookup(t, "redis-server")
}

func lookup(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/" + name); err == nil {
		return "/usr/bin/" + name
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not found: %v", name, err)
	}
	t.Skipf("%s not found: %v", name, err)
	return ""
}

// Options configure a Server.
type Options struct {
	// AppendOnly turns the append-only file on, with AppendFsync ("always",
	// "everysec" or "no"; default "always").
	AppendOnly  bool
	AppendFsync string
	// Cluster starts the server in cluster mode (a node of a cluster that
	// StartCluster then creates).
	Cluster bool
	// Args are more redis-server arguments, e.g. "--maxmemory", "10mb".
	Args []string
}

// Server is one redis-server process on 127.0.0.1.
type Server struct {
	t    testing.TB
	bin  string
	Port int
	Dir  string // its working directory: AOF, cluster config, log
	args []string

	mu  sync.Mutex
	cmd *exec.Cmd
}

// Start starts a redis-server on a free loopback port (never 6379) and
// waits until it answers PING.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	var lastErr error
	for range 5 { // a free port can be taken between the probe and the start
		port := FreePort(t, o.Cluster)
		s := &Server{t: t, bin: bin, Port: port, Dir: dir}
		s.args = []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir,
			"--logfile", "redis.log", "--daemonize", "no", "--protected-mode", "no"}
		if o.AppendOnly {
			fsync := o.AppendFsync
			if fsync == "" {
				fsync = "always"
			}
			s.args = append(s.args, "--appendonly", "yes", "--appendfsync", fsync)
		} else {
			s.args = append(s.args, "--appendonly", "no")
		}
		if o.Cluster {
			s.args = append(s.args, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000")
		}
		s.args = append(s.args, o.Args...)
		if lastErr = s.start(); lastErr == nil {
			t.Cleanup(s.Kill)
			return s
		}
	}
	t.Fatalf("redis-server did not start: %v", lastErr)
	return nil
}

// FreePort returns a loopback TCP port that was free a moment ago; with bus
// set, port+10000 (a cluster node's bus port) was free too.
func FreePort(t testing.TB, bus bool) int {
	t.Helper()
	for range 100 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if port == 6379 || bus && port+10000 > 65535 {
			continue
		}
		if bus {
			ln2, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
			if err != nil {
				continue
			}
			ln2.Close()
		}
		return port
	}
	t.Fatal("no free port pair")
	return 0
}

func (s *Server) start() error {
	cmd := exec.Command(s.bin, s.args...)
	cmd.Dir = s.Dir
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	s.mu.Lock()
	s.cmd = cmd
	s.mu.Unlock()
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case err := <-exited:
			s.mu.Lock()
			s.cmd = nil
			s.mu.Unlock()
			return fmt.Errorf("redis-server on port %d exited (%v): %s", s.Port, err, s.logTail())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-exited
			return fmt.Errorf("redis-server on port %d does not answer: %v: %s", s.Port, err, s.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// Addr returns host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// URL returns the redis:// URL of a database of the server.
func (s *Server) URL(db int) string { return fmt.Sprintf("redis://%s/%d", s.Addr(), db) }

// Kill stops the server with SIGKILL, as a crash or an OOM kill would, and
// waits until its port is closed. Killing a stopped server does nothing.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd := s.cmd
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	for range 200 {
		c, err := net.DialTimeout("tcp", s.Addr(), 50*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(10 * time.Millisecond)
	}
}

// Restart starts the killed server again on the same port and directory
// (so with its append-only file) and waits until it answers.
func (s *Server) Restart() {
	s.t.Helper()
	s.Kill()
	var err error
	for range 20 { // the port may linger a moment after the kill
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("restarting redis-server: %v", err)
}

// Client returns a client of the server's database db, closed when the
// test ends.
func (s *Server) Client(db int) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), DB: db})
	s.t.Cleanup(func() { c.Close() })
	return c
}

// StartCluster starts n cluster-mode servers, creates a cluster of them with
// redis-cli --cluster create (no replicas) and waits until every node reports
// cluster_state:ok and knows all n nodes. It returns the nodes' addresses.
func StartCluster(t testing.TB, n int) []string {
	t.Helper()
	var addrs []string
	for _, s := range startCluster(t, n, 0) {
		addrs = append(addrs, s.Addr())
	}
	return addrs
}

// ClusterNode is a node of a cluster started by StartClusterWithReplicas.
type ClusterNode struct {
	*Server
	// Primary is the primary a replica replicates; nil for a primary.
	Primary *Server
}

// StartClusterWithReplicas starts a cluster of n primaries with one replica
// each (redis-cli --cluster create --cluster-replicas 1), waits until every
// replica's link is up, and returns the 2n nodes.
func StartClusterWithReplicas(t testing.TB, n int) []ClusterNode {
	t.Helper()
	servers := startCluster(t, 2*n, 1)
	byPort := map[int]*Server{}
	for _, s := range servers {
		byPort[s.Port] = s
	}
	var nodes []ClusterNode
	for _, s := range servers {
		c := redis.NewClient(&redis.Options{Addr: s.Addr()})
		info, err := c.Info(context.Background(), "replication").Result()
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		node := ClusterNode{Server: s}
		if strings.Contains(info, "role:slave") {
			for _, line := range strings.Split(info, "\r\n") {
				if p, ok := strings.CutPrefix(line, "master_port:"); ok {
					port, _ := strconv.Atoi(p)
					node.Primary = byPort[port]
				}
			}
			if node.Primary == nil {
				t.Fatalf("replica %s: no primary in %q", s.Addr(), info)
			}
			s.WaitLinked()
		}
		nodes = append(nodes, node)
	}
	return nodes
}

func startCluster(t testing.TB, n, replicas int) []*Server {
	t.Helper()
	cli := lookup(t, "redis-cli")
	var servers []*Server
	var addrs []string
	for range n {
		s := Start(t, Options{Cluster: true})
		servers = append(servers, s)
		addrs = append(addrs, s.Addr())
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", strconv.Itoa(replicas), "--cluster-yes")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, a := range addrs {
		c := redis.NewClient(&redis.Options{Addr: a})
		for {
			info, err := c.ClusterInfo(context.Background()).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d", n)) {
				break
			}
			if time.Now().After(deadline) {
				c.Close()
				t.Fatalf("cluster not ok at %s: %v\n%s", a, err, info)
			}
			time.Sleep(50 * time.Millisecond)
		}
		c.Close()
	}
	return servers
}

// StartReplica starts a redis-server that replicates primary (REPLICAOF),
// with o's options, and waits until its link to the primary is up and the
// initial sync is done.
func StartReplica(t testing.TB, primary *Server, o Options) *Server {
	t.Helper()
	o.Args = append(append([]string{}, o.Args...), "--replicaof", "127.0.0.1", strconv.Itoa(primary.Port))
	s := Start(t, o)
	s.WaitLinked()
	return s
}

// WaitLinked waits until the server, a replica, reports its link to its
// primary up (master_link_status:up) and no sync in progress.
func (s *Server) WaitLinked() {
	s.t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr()})
	defer c.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		info, err := c.Info(context.Background(), "replication").Result()
		if err == nil && strings.Contains(info, "master_link_status:up") && strings.Contains(info, "master_sync_in_progress:0") {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("replica on port %d not linked: %v\n%s", s.Port, err, info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// CutOff cuts the server, a replica, off its primary while keeping its
// data in memory, as a network partition does: it is made the replica of a
// loopback port where nothing listens, so it stops receiving the primary's
// writes (and the primary sees its replica gone).
func (s *Server) CutOff() {
	s.t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr()})
	defer c.Close()
	if err := c.Do(context.Background(), "REPLICAOF", "127.0.0.1", FreePort(s.t, false)).Err(); err != nil {
		s.t.Fatalf("REPLICAOF on port %d: %v", s.Port, err)
	}
}

// Promote makes the server, a replica, a primary (REPLICAOF NO ONE), as a
// failover does.
func (s *Server) Promote() {
	s.t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr()})
	defer c.Close()
	if err := c.Do(context.Background(), "REPLICAOF", "NO", "ONE").Err(); err != nil {
		s.t.Fatalf("REPLICAOF NO ONE on port %d: %v", s.Port, err)
	}
}
