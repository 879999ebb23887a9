package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vnhealth/cccd-checkin/kiosk"
)

// redisPoolSize is the connections kept per Redis node. go-redis's default
// (10 per core: 20 here) is fewer than the requests a server has in flight
// under load; measured at 64 connections, check-ins then queued for a
// Redis connection rather than for CPU. A redis:// URL's pool_size wins.
const redisPoolSize = 128

// redisConn is how to reach -redis: one server, or the seeds of a Cluster.
type redisConn struct {
	single  *redis.Options
	cluster *redis.ClusterOptions
}

// redisOptions reads -redis with its credentials and TLS settings:
//
//	redis[s]://[user[:password]@]host:port[/db][?options]   one Redis
//	redis[s]://[user[:password]@]host:port,host:port[?options]  Cluster seeds
//	redis[s]://[user[:password]@]host:port?addr=host:port…  Cluster (go-redis's form)
//	host:port,host:port…                                    Cluster seeds, plain TCP
//
// rediss:// turns TLS on (certificates checked against -redis-tls-ca or the
// system's CAs); -redis-username and -redis-password win over the URL's.
// Every seed of a Cluster is dialled with the same credentials and TLS
// settings, and each node's certificate is checked against its own address.
func redisOptions(c config) (redisConn, error) {
	var rc redisConn
	var err error
	scheme, rest, isURL := strings.Cut(c.Redis, "://")
	switch {
	case !isURL:
		var addrs []string
		for _, a := range strings.Split(c.Redis, ",") {
			if a = strings.TrimSpace(a); a != "" {
				addrs = append(addrs, a)
			}
		}
		if len(addrs) == 0 {
			return rc, errors.New("no Redis Cluster seed")
		}
		rc.cluster = &redis.ClusterOptions{Addrs: addrs}
	default:
		authority, tail := rest, ""
		if i := strings.IndexAny(rest, "/?"); i >= 0 {
			authority, tail = rest[:i], rest[i:]
		}
		userinfo, hosts := "", authority
		if i := strings.LastIndex(authority, "@"); i >= 0 {
			userinfo, hosts = authority[:i+1], authority[i+1:]
		}
		seeds := strings.Split(hosts, ",")
		u, perr := url.Parse(scheme + "://" + userinfo + seeds[0] + tail)
		if perr != nil {
			return rc, fmt.Errorf("not a Redis URL: %v", redactURLError(perr))
		}
		if len(seeds) == 1 && !u.Query().Has("addr") {
			if rc.single, err = redis.ParseURL(u.String()); err != nil {
				return rc, err
			}
			break
		}
		if u.Path != "" && u.Path != "/" && u.Path != "/0" {
			return rc, errors.New("a Redis Cluster has only database 0: leave the /db out of a Cluster URL")
		}
		u.Path = ""
		q := u.Query()
		for _, s := range seeds[1:] {
			if s = strings.TrimSpace(s); s != "" {
				q.Add("addr", s)
			}
		}
		u.RawQuery = q.Encode()
		if rc.cluster, err = redis.ParseClusterURL(u.String()); err != nil {
			return rc, err
		}
		if rc.cluster.TLSConfig != nil {
			// go-redis names the first seed as every node's server name;
			// empty, each node is checked against the address it is
			// dialled at, as the cluster announces it.
			rc.cluster.TLSConfig.ServerName = ""
		}
	}

	tlsConfig := rc.tlsConfig()
	if rc.cluster != nil {
		rc.cluster.Username = cmp.Or(c.RedisUsername, rc.cluster.Username)
		rc.cluster.Password = cmp.Or(c.RedisPassword, rc.cluster.Password)
	} else {
		rc.single.Username = cmp.Or(c.RedisUsername, rc.single.Username)
		rc.single.Password = cmp.Or(c.RedisPassword, rc.single.Password)
	}
	if c.RedisTLSCA != "" {
		if tlsConfig == nil {
			return rc, errors.New("-redis-tls-ca needs a rediss:// URL")
		}
		pem, err := os.ReadFile(c.RedisTLSCA)
		if err != nil {
			return rc, fmt.Errorf("-redis-tls-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return rc, fmt.Errorf("-redis-tls-ca %s: no PEM certificate in it", c.RedisTLSCA)
		}
		tlsConfig.RootCAs = pool
	}
	if tlsConfig != nil && tlsConfig.MinVersion < tls.VersionTLS12 {
		tlsConfig.MinVersion = tls.VersionTLS12
	}
	if rc.single != nil && rc.single.PoolSize == 0 {
		rc.single.PoolSize = redisPoolSize
	}
	if rc.cluster != nil && rc.cluster.PoolSize == 0 {
		rc.cluster.PoolSize = redisPoolSize
	}
	return rc, nil
}

func (rc redisConn) tlsConfig() *tls.Config {
	if rc.cluster != nil {
		return rc.cluster.TLSConfig
	}
	return rc.single.TLSConfig
}

// connectRedis connects -redis, with go-redis's log and metrics, and
// checks that it answers: an unreachable Redis (or refused credentials)
// stops the start, never a silent fallback to the in-process window.
func connectRedis(ctx context.Context, c config, log *slog.Logger, metrics *kiosk.Metrics) (client redis.UniversalClient, newPipeClient func() redis.UniversalClient, err error) {
	redis.SetLogger(redisLogger{log})
	rc, err := redisOptions(c)
	if err != nil {
		return nil, nil, fmt.Errorf("-redis: %w", err)
	}
	hook := newRedisMetrics(metrics.Registry())
	// The AutoPipeliner's client leaves the context's deadline off the
	// connection (see openLedger); the main client puts it on, so that the
	// outbox's timeout, a context deadline set just before each call to
	// the window, bounds the command itself (one that misses it closes its
	// connection).
	pipe := rc.copy()
	newPipeClient = func() redis.UniversalClient {
		pc := pipe.newClient()
		pc.AddHook(hook)
		return pc
	}
	rc.setContextTimeout()
	client = rc.newClient()
	client.AddHook(hook)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		client.Close()
		return nil, nil, fmt.Errorf("-redis %s: cannot reach Redis: %w", maskURL(c.Redis), err)
	}
	return client, newPipeClient, nil
}

// newClient makes the client the options describe.
func (rc redisConn) newClient() redis.UniversalClient {
	if rc.cluster != nil {
		return redis.NewClusterClient(rc.cluster)
	}
	return redis.NewClient(rc.single)
}

// copy returns options of their own (the same TLS configuration).
func (rc redisConn) copy() redisConn {
	out := rc
	if rc.single != nil {
		o := *rc.single
		out.single = &o
	}
	if rc.cluster != nil {
		o := *rc.cluster
		out.cluster = &o
	}
	return out
}

// setContextTimeout makes the clients put a command's context deadline on
// its connection.
func (rc redisConn) setContextTimeout() {
	if rc.single != nil {
		rc.single.ContextTimeoutEnabled = true
	}
	if rc.cluster != nil {
		rc.cluster.ContextTimeoutEnabled = true
	}
}

// redactURLError keeps a password in the URL out of an error message.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
