// Package heap measures the Go heap for charter's memory tests: what a
// structure keeps alive, as the difference of Live before and after
// building it.
package heap

import "runtime"

// Live returns the bytes of live heap after a full collection (two, so
// that objects freed by finalizers of the first are gone too).
func Live() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
