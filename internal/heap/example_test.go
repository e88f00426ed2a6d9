package heap_test

import (
	"fmt"
	"runtime"

	"github.com/charterhq/charter/internal/heap"
)

// Measure what a slice of a million bytes keeps alive.
func ExampleLive() {
	before := heap.Live()
	b := make([]byte, 1<<20)
	after := heap.Live()
	kept := after - min(before, after)
	runtime.KeepAlive(b)
	fmt.Println(kept >= 1<<20)
	// Output: true
}
