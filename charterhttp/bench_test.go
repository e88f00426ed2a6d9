package charterhttp_test

import (
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
// and the workspace and calls Service.Can itself, on the memory store.
func BenchmarkRoute(b *testing.B) {
	f := newFixture(b)
	ok := func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }
	g := &charterhttp.Guard{Service: f.s, Actor: bearer}
	mux := http.NewServeMux()
	mux.Handle("GET /guarded/{workspace}/view", g.Require("view", http.HandlerFunc(ok)))
	mux.HandleFunc("GET /by-hand/{workspace}/view", func(w http.ResponseWriter, r *http.Request) {
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
			ok(w, r)
		}
	})
	for _, route := range []string{"by-hand", "guarded"} {
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
