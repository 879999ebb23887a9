package httpserve

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"
)

// A request running past the grace period is cut and reported as ErrCut;
// one that finishes in time is answered and Shutdown returns nil.
func TestShutdownCutsOnlyWhatOutlivesGrace(t *testing.T) {
	for _, tc := range []struct {
		name  string
		hold  bool
		grace time.Duration
		want  error
	}{{"finishes", false, 10 * time.Second, nil}, {"hangs", true, 100 * time.Millisecond, ErrCut}} {
		t.Run(tc.name, func(t *testing.T) {
			started, release := make(chan struct{}), make(chan struct{})
			t.Cleanup(func() { close(release) })
			hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				close(started)
				if tc.hold {
					select {
					case <-release:
					case <-r.Context().Done():
					}
				}
				io.WriteString(w, "ok")
			})}
			s, err := Listen("127.0.0.1:0", hs)
			if err != nil {
				t.Fatal(err)
			}
			ctx, stop := context.WithCancel(context.Background())
			served := make(chan error, 1)
			go func() { served <- s.Serve(ctx) }()
			answered := make(chan error, 1)
			go func() {
				res, err := http.Get(s.URL() + "/")
				if err == nil {
					_, err = io.ReadAll(res.Body)
					res.Body.Close()
				}
				answered <- err
			}()
			<-started
			stop()
			if err := <-served; err != nil {
				t.Fatalf("Serve: %v", err)
			}
			sctx, cancel := context.WithTimeout(context.Background(), tc.grace)
			defer cancel()
			if err := s.Shutdown(sctx); !errors.Is(err, tc.want) {
				t.Fatalf("Shutdown: %v, want %v", err, tc.want)
			}
			if err := <-answered; (err == nil) != (tc.want == nil) {
				t.Errorf("client: %v", err)
			}
		})
	}
}
