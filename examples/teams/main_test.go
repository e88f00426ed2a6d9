package main

import (
	"context"
	"testing"
)

func TestRun(t *testing.T) {
	if err := run(context.Background(), "../../testdata/policies/team-guests.yaml"); err != nil {
		t.Fatal(err)
	}
}
