package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

func TestPlaygroundUsage(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"playground", "a.yaml", "b.yaml"}, exitUsage, "want 0 to 1 file arguments"},
		{[]string{"playground", "-addr", "127.0.0.1:99999"}, exitFailure, "charter playground: listen tcp: address 99999: invalid port"},
		{[]string{"playground", "-nope"}, exitUsage, "flag provided but not defined: -nope"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		if code := run(tt.args, &stdout, &stderr); code != tt.code || !strings.Contains(stderr.String(), tt.stderr) {
			t.Errorf("run(%q) = %d, stderr %q; want %d and %q", tt.args, code, stderr.String(), tt.code, tt.stderr)
		}
	}
}

// TestPlaygroundServes starts "charter playground FILE" on a free port,
// reads the page's start from it and stops it with an interrupt, as Ctrl+C
// does.
func TestPlaygroundServes(t *testing.T) {
	file := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(file, []byte("policy: p\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, w := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int)
	go func() {
		defer w.Close()
		done <- run([]string{"playground", "-addr", "127.0.0.1:0", file}, w, &stderr)
	}()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the command's first line: %v (stderr %q)", err, stderr.String())
	}
	go io.Copy(io.Discard, r)
	url := regexp.MustCompile(`http://127\.0\.0\.1:\d+/`).FindString(line)
	if url == "" || !strings.Contains(line, "editing "+file) {
		t.Fatalf("first line %q: want the file and a loopback URL", line)
	}

	resp, err := http.Get(url + "api/start")
	if err != nil {
		t.Fatal(err)
	}
	var start struct {
		File   string `json:"file"`
		Source string `json:"source"`
	}
	err = json.NewDecoder(resp.Body).Decode(&start)
	resp.Body.Close()
	if err != nil || start.File != file || start.Source != "policy: p\n" {
		t.Errorf("GET /api/start = %+v, %v; want %s and its text", start, err, file)
	}

	// The server is up, so the command listens for the interrupt.
	if runtime.GOOS == "windows" {
		t.Skip("no interrupt to send on Windows")
	}
	self, err := os.FindProcess(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if err := self.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != exitOK {
		t.Errorf("after an interrupt the command exits %d, want %d (stderr %q)", code, exitOK, stderr.String())
	}
}
