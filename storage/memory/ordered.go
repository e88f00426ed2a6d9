package memory

import (
	"cmp"
	"slices"
)

// holder is a member in the order FirstMembers lists them: by when they
// joined (microseconds), then by user ID.
type holder struct {
	joined int64
	user   uint32
}

// orderedMax is the most holders one chunk of an ordered list holds: an
// insert or a removal moves at most this many.
const orderedMax = 256

// ordered is a list of holders kept in order in chunks of at most
// orderedMax, so that an insert or a removal costs a binary search and a
// move within one chunk, whatever the length, and reading the first few
// costs only them. The user IDs to order by come from names.
type ordered struct {
	chunks [][]holder // each sorted and not empty; together in order
	n      int
}

func compareHolders(us *users, a, b holder) int {
	if c := cmp.Compare(a.joined, b.joined); c != 0 {
		return c
	}
	if a.user == b.user {
		return 0
	}
	return cmp.Compare(us.at(a.user).name, us.at(b.user).name)
}

// chunk returns the index of the chunk where h is or belongs: the first
// whose last holder is not before h, or the last chunk.
func (o *ordered) chunk(us *users, h holder) int {
	i, _ := slices.BinarySearchFunc(o.chunks, h, func(c []holder, h holder) int {
		return compareHolders(us, c[len(c)-1], h)
	})
	return min(i, len(o.chunks)-1)
}

// insert adds h, which the list does not hold.
func (o *ordered) insert(us *users, h holder) {
	o.n++
	if len(o.chunks) == 0 {
		o.chunks = [][]holder{{h}}
		return
	}
	ci := o.chunk(us, h)
	c := o.chunks[ci]
	i, _ := slices.BinarySearchFunc(c, h, func(a, h holder) int { return compareHolders(us, a, h) })
	c = slices.Insert(c, i, h)
	if len(c) <= orderedMax {
		o.chunks[ci] = c
		return
	}
	// Split the full chunk in two halves, each with room to grow.
	half := len(c) / 2
	left := make([]holder, half, orderedMax)
	right := make([]holder, len(c)-half, orderedMax)
	copy(left, c[:half])
	copy(right, c[half:])
	o.chunks[ci] = left
	o.chunks = slices.Insert(o.chunks, ci+1, right)
}

// remove takes out h, which the list holds.
func (o *ordered) remove(us *users, h holder) {
	ci := o.chunk(us, h)
	c := o.chunks[ci]
	i, found := slices.BinarySearchFunc(c, h, func(a, h holder) int { return compareHolders(us, a, h) })
	if !found {
		return
	}
	o.n--
	c = slices.Delete(c, i, i+1)
	o.chunks[ci] = c
	// Merge a chunk that has shrunk into its neighbour, so that removals
	// leave no trail of small chunks.
	if len(c) < orderedMax/4 {
		if ci+1 < len(o.chunks) && len(c)+len(o.chunks[ci+1]) <= orderedMax/2 {
			o.chunks[ci] = append(c, o.chunks[ci+1]...)
			o.chunks = slices.Delete(o.chunks, ci+1, ci+2)
		} else if ci > 0 && len(c)+len(o.chunks[ci-1]) <= orderedMax/2 {
			o.chunks[ci-1] = append(o.chunks[ci-1], c...)
			o.chunks = slices.Delete(o.chunks, ci, ci+1)
		} else if len(c) == 0 {
			o.chunks = slices.Delete(o.chunks, ci, ci+1)
		}
	}
}

// first returns up to limit holders from the start.
func (o *ordered) first(limit int) []holder {
	var out []holder
	for _, c := range o.chunks {
		if len(out) >= limit {
			break
		}
		out = append(out, c[:min(len(c), limit-len(out))]...)
	}
	return out
}

// from returns up to limit holders from the first for which past holds;
// past must be false for a prefix of the list and true for the rest.
func (o *ordered) from(past func(holder) bool, limit int) []holder {
	ci, _ := slices.BinarySearchFunc(o.chunks, true, func(c []holder, _ bool) int {
		if past(c[len(c)-1]) {
			return 1
		}
		return -1
	})
	var out []holder
	for ; ci < len(o.chunks) && len(out) < limit; ci++ {
		c := o.chunks[ci]
		i, _ := slices.BinarySearchFunc(c, true, func(h holder, _ bool) int {
			if past(h) {
				return 1
			}
			return -1
		})
		out = append(out, c[i:min(len(c), i+limit-len(out))]...)
	}
	return out
}
