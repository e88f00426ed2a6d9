package main

import (
	"context"
	"testing"
)

// TestRun runs the quickstart on the in-memory store, as the README's first
// command does.
func TestRun(t *testing.T) {
	if err := run(context.Background(), "../../testdata/policies/spaces.yaml", ""); err != nil {
		t.Fatal(err)
	}
}

// TestRunSQLite runs it on a SQLite file, twice: the second run finds the
// first one's data and adds its own.
func TestRunSQLite(t *testing.T) {
	url := "sqlite:" + t.TempDir() + "/charter.db"
	for range 2 {
		if err := run(context.Background(), "../../testdata/policies/spaces.yaml", url); err != nil {
			t.Fatal(err)
		}
	}
}
