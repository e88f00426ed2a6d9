package storagetest_test

import (
	"testing"

	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/storage/memory"
	"github.com/charterhq/charter/storage/storagetest"
)

// Example shows how a backend's tests run the conformance suite: open
// returns a fresh, empty store for each subtest. (It has no output: the
// suite needs a *testing.T, so this example is compiled, not run.)
func Example() {
	_ = func(t *testing.T) {
		storagetest.Run(t, func(t *testing.T) storage.Store { return memory.New() })
	}
}
