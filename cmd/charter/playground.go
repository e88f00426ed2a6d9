package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/charterhq/charter/cmd/charter/internal/playground"
)

func playgroundFlags(fs *flag.FlagSet) func([]string, io.Writer, io.Writer) int {
	addr := fs.String("addr", "127.0.0.1:7878", "the `ADDRESS` to serve the page on; anyone who can reach it can read and save FILE")
	return func(files []string, stdout, stderr io.Writer) int {
		file := ""
		if len(files) > 0 {
			file = files[0]
		}
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			fmt.Fprintf(stderr, "charter playground: %v\n", err)
			return exitFailure
		}
		if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
			fmt.Fprintf(stderr, "charter playground: warning: %s is not a loopback address: other machines can reach the page\n", ln.Addr())
		}
		what := "a shipped policy (download to keep your changes)"
		if file != "" {
			what = file
		}
		// Ctrl+C or a kill shuts the server down, letting a save in
		// progress finish.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		fmt.Fprintf(stdout, "charter playground: editing %s at http://%s/ (Ctrl+C stops)\n", what, ln.Addr())
		srv := &http.Server{Handler: playground.New(file), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			<-ctx.Done()
			shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			srv.Shutdown(shutdown)
		}()
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(stderr, "charter playground: %v\n", err)
			return exitFailure
		}
		return exitOK
	}
}

const playgroundDoc = `Playground serves a page, on 127.0.0.1:7878 unless -addr says otherwise,
to write a policy in: the loader's errors appear at their lines as you type,
the role x action matrix follows every edit, and a panel decides a request
(role, action, plan, workspace kind, project) with the reason and the policy
line of the rule that decided it. The shipped policies are one click away.
Save writes FILE back (that file only, atomically); Download gives a copy.
The page's assets are in the binary: it works offline.`
