package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/internal/storeurl"
	"github.com/charterhq/charter/policy"
)

func TestImport(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "import.db")
	for _, tt := range []struct {
		name           string
		args           []string
		code           int
		stdout, stderr string // substrings
	}{
		{"dry run", []string{"import", "-policy", teamGuests, "testdata/import.jsonl"}, exitOK,
			"checked (memory store: nothing kept) 2 records: 2 created, 0 already there", ""},
		{"bad line", []string{"import", "-policy", teamGuests, "testdata/import-bad.jsonl"}, exitFailure,
			"", `import line 2 (workspace "beta"): charter: invalid request: member "bob"`},
		{"into sqlite", []string{"import", "-policy", teamGuests, "-store", db, "testdata/import.jsonl"}, exitOK,
			"imported 2 records: 2 created, 0 already there", "2 records (2 created, 0 already there)"},
		{"into sqlite again", []string{"import", "-policy", teamGuests, "-store", db, "testdata/import.jsonl"}, exitOK,
			"imported 2 records: 0 created, 2 already there", ""},
		{"no policy", []string{"import", "testdata/import.jsonl"}, exitUsage, "", "-policy is required"},
		{"no file", []string{"import", "-policy", teamGuests, "testdata/no-such.jsonl"}, exitFailure, "", "no-such.jsonl"},
		{"bad store", []string{"import", "-policy", teamGuests, "-store", "mysql://x", "testdata/import.jsonl"}, exitFailure, "", `unknown store "mysql://x"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CHARTER_STORE", "")
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.code || !strings.Contains(stdout.String(), tt.stdout) || !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("charter %s = %d\nstdout: %s\nstderr: %s\nwant %d, stdout with %q, stderr with %q",
					strings.Join(tt.args, " "), code, stdout.String(), stderr.String(), tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}

// TestImportLogoPreferences imports into SQLite and reads the store back
// through storeurl, as the command opened it: the record's logo and
// preferences are kept.
func TestImportLogoPreferences(t *testing.T) {
	url := "sqlite:" + filepath.Join(t.TempDir(), "import.db")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"import", "-policy", teamGuests, "-store", url, "testdata/import.jsonl"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("charter import = %d: %s", code, stderr.String())
	}
	ctx := context.Background()
	store, err := storeurl.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	p, err := policy.LoadFile(teamGuests)
	if err != nil {
		t.Fatal(err)
	}
	s, err := charter.New(p, store, charter.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Workspace(ctx, "ann", "acme")
	if err != nil {
		t.Fatal(err)
	}
	if w.Logo != "https://cdn.example.com/acme.png" || len(w.Preferences) != 1 || w.Preferences["theme"] != "dark" {
		t.Errorf("imported acme: logo %q, preferences %v", w.Logo, w.Preferences)
	}
}

func TestProgressLine(t *testing.T) {
	pr := charter.ImportProgress{Records: 1000, Created: 900, Skipped: 100, Bytes: 250, Elapsed: 2 * time.Second}
	for _, tt := range []struct {
		size int64
		want string
	}{
		{0, "1000 records (900 created, 100 already there), 500 records/s"},
		{1000, "1000 records (900 created, 100 already there), 500 records/s, 25%, about 6s left"},
	} {
		if got := progressLine(pr, tt.size); got != tt.want {
			t.Errorf("progressLine(%+v, %d) = %q, want %q", pr, tt.size, got, tt.want)
		}
	}
}
