package main

import (
	"bytes"
	"context"
	"os"
	"testing"
)

func TestRun(t *testing.T) {
	if err := run(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
}

// TestEmbeddedPolicyIsShipped: the embedded team-guests.yaml is the shipped
// testdata/policies/team-guests.yaml, but for its first comment line.
func TestEmbeddedPolicyIsShipped(t *testing.T) {
	shipped, err := os.ReadFile("../../testdata/policies/team-guests.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, want, _ := bytes.Cut(shipped, []byte("\n"))
	_, got, _ := bytes.Cut(teamsPolicy, []byte("\n"))
	if !bytes.Equal(got, want) {
		t.Errorf("examples/teams/team-guests.yaml differs from testdata/policies/team-guests.yaml after line 1")
	}
}
