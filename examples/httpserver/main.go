// Command httpserver is a small JSON API over charter: create a workspace,
// invite, accept, list members, change a role, transfer ownership, set an
// allowance, spend credits, read the balance and the permission set. Its
// routes are guarded by package charterhttp, and every refusal is an RFC 9457
// problem (see charterhttp's status table).
//
//	go run ./examples/httpserver                           # SQLite file charter-example.db
//	go run ./examples/httpserver -store memory
//	go run ./examples/httpserver -store postgres://localhost/charter
//
// The store can also be given as CHARTER_STORE. Authentication is a stand-in:
// the bearer token is the user's ID ("Authorization: Bearer olga"); a real
// service puts its session or token check in actorOf. The README's "HTTP"
// section has curl lines for every route.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"log"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/internal/storeurl"
	"github.com/charterhq/charter/policy"
)

// policyFile is the policy the API runs on, embedded so that the example runs
// from any directory.
//
//go:embed policy.yaml
var policyFile []byte

func main() {
	log.SetFlags(0)
	addr := flag.String("addr", "localhost:8080", "the address to listen on")
	storeURL := os.Getenv("CHARTER_STORE")
	if storeURL == "" {
		storeURL = "sqlite:charter-example.db"
	}
	flag.StringVar(&storeURL, "store", storeURL, `where to keep state: "sqlite:PATH", "memory" or a postgres:// URL`)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *addr, storeURL); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, addr, storeURL string) error {
	p, err := policy.Load("policy.yaml", policyFile)
	if err != nil {
		return err
	}
	store, err := storeurl.Open(ctx, storeURL)
	if err != nil {
		return err
	}
	defer store.Close()
	s, err := charter.New(p, store, charter.Options{})
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: addr, Handler: newAPI(s, slog.Default()).routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	log.Printf("httpserver: listening on http://%s (store %s)", addr, storeURL)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
