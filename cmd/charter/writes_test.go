package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// fullWriter fails every write, as stdout on a full disk (/dev/full) does.
type fullWriter struct{ n int }

func (w *fullWriter) Write(p []byte) (int, error) {
	w.n++
	return 0, errors.New("no space left on device")
}

// TestWriteFailureIsNotSuccess: a command whose output could not be written
// fails, with the write error on stderr (a review found fmt, matrix and
// check reporting success).
func TestWriteFailureIsNotSuccess(t *testing.T) {
	for _, args := range [][]string{
		{"fmt", creditPool},
		{"matrix", creditPool},
		{"check", creditPool},
	} {
		var stderr bytes.Buffer
		out := &fullWriter{}
		if code := run(args, out, &stderr); code != exitFailure || !strings.Contains(stderr.String(), "writing output: no space left on device") {
			t.Errorf("run(%q) with a failing stdout = %d, stderr %q; want %d and the write error", args, code, stderr.String(), exitFailure)
		}
	}
}
