package main

import (
	"bytes"
	"context"
	"os"
	"testing"
)

// TestRun runs the quickstart on the in-memory store, as the README's first
// command does.
func TestRun(t *testing.T) {
	if err := run(context.Background(), "", ""); err != nil {
		t.Fatal(err)
	}
}

// TestRunSQLite runs it on a SQLite file, twice: the second run finds the
// first one's data and adds its own.
func TestRunSQLite(t *testing.T) {
	url := "sqlite:" + t.TempDir() + "/charter.db"
	for range 2 {
		if err := run(context.Background(), "", url); err != nil {
			t.Fatal(err)
		}
	}
}

// TestEmbeddedPolicyIsShipped: the embedded spaces.yaml is the shipped
// testdata/policies/spaces.yaml, but for its first comment line.
func TestEmbeddedPolicyIsShipped(t *testing.T) {
	shipped, err := os.ReadFile("../../testdata/policies/spaces.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, want, _ := bytes.Cut(shipped, []byte("\n"))
	_, got, _ := bytes.Cut(spacesPolicy, []byte("\n"))
	if !bytes.Equal(got, want) {
		t.Errorf("examples/quickstart/spaces.yaml differs from testdata/policies/spaces.yaml after line 1")
	}
}
