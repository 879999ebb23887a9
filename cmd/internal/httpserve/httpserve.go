// Package httpserve is the start and stop that kioskd and registryd share:
// listen, serve until the process is told to stop, then stop accepting and
// let in-flight requests finish within a grace period, cutting those that
// outlive it.
package httpserve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// ErrCut reports that connections were still open when the grace period
// ended and were closed: requests still running, or connections a client
// opened without sending a request yet (net/http waits up to 5 s for
// those before it counts them idle).
var ErrCut = errors.New("connections still open at the end of the grace period were closed")

// SignalContext ends on SIGINT or SIGTERM, as a terminal or an orchestrator
// asks a process to stop.
func SignalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// Server is an http.Server on its listener.
type Server struct {
	hs   *http.Server
	ln   net.Listener
	errc chan error
}

// Listen opens addr for hs; Serve then serves on it.
func Listen(addr string, hs *http.Server) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &Server{hs: hs, ln: ln, errc: make(chan error, 1)}, nil
}

// URL is the server's base URL, with a wildcard address shown as localhost
// so that it can be pasted into a browser.
func (s *Server) URL() string {
	a := s.ln.Addr().String()
	for _, prefix := range []string{"[::]:", "0.0.0.0:"} {
		if port, ok := strings.CutPrefix(a, prefix); ok {
			a = "localhost:" + port
		}
	}
	return "http://" + a
}

// Serve serves until ctx ends (nil) or serving fails (its error). It does
// not stop the server: Shutdown does, whichever way Serve returned.
func (s *Server) Serve(ctx context.Context) error {
	go func() { s.errc <- s.hs.Serve(s.ln) }()
	select {
	case err := <-s.errc:
		return err
	case <-ctx.Done():
		return nil
	}
}

// Shutdown stops accepting and waits for in-flight requests until ctx
// ends; then it closes the connections still open and returns ErrCut. A
// server that never served only has its listener closed.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.hs.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		s.hs.Close()
		return ErrCut
	}
	s.ln.Close() // when Serve never ran; closing twice is harmless
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
