package golden_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/charterhq/charter/internal/golden"
)

// fake records whether Check failed the test.
type fake struct {
	testing.TB
	failed bool
}

func (f *fake) Helper()               {}
func (f *fake) Errorf(string, ...any) { f.failed = true }
func (f *fake) Fatalf(string, ...any) { f.failed = true }
func (f *fake) Fatal(...any)          { f.failed = true }

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "out.golden")
	f := &fake{TB: t}
	golden.Check(f, path, "a\n", false)
	if !f.failed {
		t.Error("a missing golden file passed")
	}
	f = &fake{TB: t}
	golden.Check(f, path, "a\n", true)
	if b, err := os.ReadFile(path); f.failed || err != nil || string(b) != "a\n" {
		t.Fatalf("update wrote %q, %v (failed %v)", b, err, f.failed)
	}
	f = &fake{TB: t}
	golden.Check(f, path, "a\n", false)
	if f.failed {
		t.Error("the same output failed")
	}
	f = &fake{TB: t}
	golden.Check(f, path, "b\n", false)
	if !f.failed {
		t.Error("different output passed")
	}
}

// Example checks output against a golden file, the way a test does with
// its -update flag: the first run with update writes the file, later runs
// compare.
func Example() {
	dir, _ := os.MkdirTemp("", "golden")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "matrix.golden")
	t := &fake{TB: &testing.T{}}
	golden.Check(t, path, "| action | admin |\n", true)
	golden.Check(t, path, "| action | admin |\n", false)
	fmt.Println("failed:", t.failed)
	// Output: failed: false
}
