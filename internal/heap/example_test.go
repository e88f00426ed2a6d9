package heap_test

import (
	"fmt"
	"runtime"

	"github.com/charterhq/charter/internal/heap"
)

// Measure what a slice of eight million bytes keeps alive. Other objects
// may die or be born between the two measures (the race detector's and
// the test runner's), so the figure is near the slice's size, not
// exactly it; the example compares it with half the size.
func ExampleLive() {
	const size = 8 << 20
	before := heap.Live()
	b := make([]byte, size)
	after := heap.Live()
	kept := after - min(before, after)
	runtime.KeepAlive(b)
	fmt.Println(kept > size/2)
	// Output: true
}
