package memory

// chunkLen is how many values a full chunk of a chunked list holds.
const chunkLen = 1024

// chunked is a list that grows and shrinks only at its end (an append, an
// append undone), kept in chunks of chunkLen values: growing it never
// copies more than the first chunk, where growing one slice would copy
// every value before, again and again, in a list that only grows. The
// first chunk grows as a slice does, so that a short list is small; the
// others are made full size. Every chunk but the last is full, and none is
// empty. A journal's entries and a workspace's idempotency records are
// kept so.
type chunked[T any] struct {
	chunks [][]T
	n      int // values in all
}

// push appends v.
func (c *chunked[T]) push(v T) {
	if c.n == len(c.chunks)*chunkLen {
		var next []T
		if c.n > 0 {
			next = make([]T, 0, chunkLen)
		}
		c.chunks = append(c.chunks, next)
	}
	last := &c.chunks[len(c.chunks)-1]
	*last = append(*last, v)
	c.n++
}

// at returns the ith value (0-based).
func (c *chunked[T]) at(i int) *T {
	return &c.chunks[i/chunkLen][i%chunkLen]
}

// truncate drops the values from the nth on, zeroing them, so that the
// list keeps nothing they point to.
func (c *chunked[T]) truncate(n int) {
	keep := (n + chunkLen - 1) / chunkLen
	clear(c.chunks[keep:])
	c.chunks = c.chunks[:keep]
	if keep > 0 {
		last := &c.chunks[keep-1]
		cut := n - (keep-1)*chunkLen
		clear((*last)[cut:])
		*last = (*last)[:cut]
	}
	c.n = n
}
