package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/internal/storeurl"
)

const importDoc = `Import brings existing workspaces into a store with Service.Import. FILE
(or "-" for standard input) holds one JSON record per line, a workspace
each, checked against the policy as the Service checks a creation:

  {"id": "acme", "plan": "business", "owner": "u1", "members": [{"user": "u2", "role": "admin"}],
   "logo": "https://cdn.example.com/acme.png", "preferences": {"theme": "dark"}}

It prints progress (records, rate, time left) to standard error at most
once a second and stops at the first bad record, naming its line; the
batches before it stay, and running the fixed file again finishes the
import (workspaces already there unchanged are skipped). Without -store
(or CHARTER_STORE) it imports into memory: a dry run that checks the
whole file.
`

// importFlags is "charter import -policy POLICY [-store URL] [-batch N]
// FILE": Service.Import of FILE ("-" for standard input) into the store,
// with progress on standard error at most once a second.
func importFlags(fs *flag.FlagSet) func([]string, io.Writer, io.Writer) int {
	policyFile := fs.String("policy", "", "the policy `FILE` the workspaces are checked against (required)")
	storeURL := fs.String("store", os.Getenv("CHARTER_STORE"), "the store to import into: `URL` \"sqlite:PATH\" or postgres://...; empty (memory) checks the file and keeps nothing")
	batch := fs.Int("batch", 500, "records per transaction")
	return func(files []string, stdout, stderr io.Writer) int {
		if *policyFile == "" {
			fmt.Fprintln(stderr, "charter import: -policy is required")
			fs.Usage()
			return exitUsage
		}
		p, ok := load(*policyFile, stderr)
		if !ok {
			return exitFailure
		}
		ctx := context.Background()
		in, size, err := openInput(files[0])
		if err != nil {
			fmt.Fprintf(stderr, "charter import: %v\n", err)
			return exitFailure
		}
		defer in.Close()
		store, err := storeurl.Open(ctx, *storeURL)
		if err != nil {
			fmt.Fprintf(stderr, "charter import: %v\n", err)
			return exitFailure
		}
		defer store.Close()
		s, err := charter.New(p, store, charter.Options{})
		if err != nil {
			fmt.Fprintf(stderr, "charter import: %v\n", err)
			return exitFailure
		}
		var last time.Time
		prog, err := s.Import(ctx, in, charter.ImportOptions{Batch: *batch, Progress: func(pr charter.ImportProgress) {
			if time.Since(last) >= time.Second {
				last = time.Now()
				fmt.Fprintln(stderr, progressLine(pr, size))
			}
		}})
		if err != nil {
			fmt.Fprintf(stderr, "charter import: %s: %v\n", files[0], err)
			fmt.Fprintf(stderr, "charter import: %d records committed before it (%d created, %d already there); fix the line and run again\n",
				prog.Records, prog.Created, prog.Skipped)
			return exitFailure
		}
		verb := "imported"
		if *storeURL == "" || *storeURL == "memory" {
			verb = "checked (memory store: nothing kept)"
		}
		fmt.Fprintf(stdout, "%s %d records: %d created, %d already there, in %s\n",
			verb, prog.Records, prog.Created, prog.Skipped, prog.Elapsed.Round(time.Millisecond))
		return exitOK
	}
}

// progressLine says how far an import has come: records, rate and, when the
// input's size is known, the share done and the time left.
func progressLine(pr charter.ImportProgress, size int64) string {
	rate := 0.0
	if secs := pr.Elapsed.Seconds(); secs > 0 {
		rate = float64(pr.Records) / secs
	}
	line := fmt.Sprintf("%d records (%d created, %d already there), %.0f records/s", pr.Records, pr.Created, pr.Skipped, rate)
	if size > 0 && pr.Bytes > 0 {
		done := float64(pr.Bytes) / float64(size)
		left := time.Duration(float64(pr.Elapsed) * (1 - done) / done)
		line += fmt.Sprintf(", %.0f%%, about %s left", 100*min(done, 1), left.Round(time.Second))
	}
	return line
}

// openInput opens the import file, or standard input for "-", and returns
// its size when known (0 otherwise).
func openInput(name string) (io.ReadCloser, int64, error) {
	if name == "-" {
		return io.NopCloser(os.Stdin), 0, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, 0, err
	}
	var size int64
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	return f, size, nil
}
