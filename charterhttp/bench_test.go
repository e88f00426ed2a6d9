package charterhttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/charterhq/charter/charterhttp"
)

// discard is a ResponseWriter that keeps nothing, so the benchmarks measure
// the route, not the recorder.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkRoute compares one allowed request through a ServeMux route
// behind Guard.Require with the same route whose handler finds the actor
// and the workspace and calls Service.Can itself, on the memory store, and
// with the same route handing the actor on in the request context.
func BenchmarkRoute(b *testing.B) {
	f := newFixture(b)
	ok := func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }
	g := &charterhttp.Guard{Service: f.s, Actor: bearer}
	mux := http.NewServeMux()
	mux.Handle("GET /guarded/{workspace}/view", g.Require("view", http.HandlerFunc(ok)))
	// byHand is a handler that finds the actor and the workspace, calls
	// Service.Can and, when it allows, runs then.
	byHand := func(then func(w http.ResponseWriter, r *http.Request, actor string)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			actor, err := bearer(r)
			if err != nil || actor == "" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			allowed, err := f.s.Can(r.Context(), actor, "view", r.PathValue("workspace"))
			switch {
			case err != nil:
				w.WriteHeader(http.StatusInternalServerError)
			case !allowed:
				w.WriteHeader(http.StatusForbidden)
			default:
				then(w, r, actor)
			}
		}
	}
	mux.Handle("GET /by-hand/{workspace}/view", byHand(func(w http.ResponseWriter, r *http.Request, _ string) { ok(w, r) }))
	// by-hand-ctx also hands the actor to its handler through the request
	// context, the one way net/http offers, as a guarded route hands its
	// Access: r.WithContext copies the request. That copy is the floor of
	// any middleware whose decision reaches the handler through the
	// context. Its handler is an http.Handler, as next is in any
	// middleware, so the copy escapes to the heap as it does there.
	type actorKey struct{}
	var next http.Handler = http.HandlerFunc(ok)
	mux.Handle("GET /by-hand-ctx/{workspace}/view", byHand(func(w http.ResponseWriter, r *http.Request, actor string) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), actorKey{}, actor)))
	}))
	for _, route := range []string{"by-hand", "by-hand-ctx", "guarded"} {
		b.Run(route, func(b *testing.B) {
			r := httptest.NewRequest("GET", "/"+route+"/"+f.ws+"/view", nil)
			r.Header.Set("Authorization", "Bearer eddie")
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				mux.ServeHTTP(w, r)
			}
		})
	}
}
