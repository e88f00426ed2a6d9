// Package accesscache keeps what the SQL backends' Store.Access read, keyed by
// the workspace's access stamp, so that a repeated check costs one small
// query: "what is the workspace's stamp now?".
//
// A stamp is a number the database gives a workspace row, and gives anew in
// the same transaction as every change to the row or to any of its members
// (triggers do it, so a change made by hand in SQL counts too). Stamps come
// from one counter and are never given twice, even to a workspace deleted and
// made again with its old ID. So while a workspace's stamp is the one an
// entry was read at, its header and every membership are as that read saw
// them, and the entry is exactly what Access would read again: the cache never
// answers with a state older than the stamp it just read.
package accesscache

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/charterhq/charter/storage"
)

// Max is how many (workspace, user) entries a Cache holds, a few hundred
// bytes each, and MaxBytes how many bytes they may take together, as Size
// counts them: the cache stays bounded whatever the length of the IDs and
// names it is given. A full cache drops arbitrary entries until the new one
// fits; an entry larger than MaxBytes on its own is not kept. A check whose
// entry was dropped, or never kept, reads as it would without a cache.
const (
	Max      = 1 << 14
	MaxBytes = 16 << 20
)

// entryOverhead is what Size counts for an entry beside its strings: the
// map slot, the key and the Entry with their string and slice headers.
const entryOverhead = 256

// Size is what an entry for (id, user) counts against MaxBytes: the bytes
// of every string it holds, counted as if none shared memory, plus a fixed
// overhead, so it is an upper bound of what the entry keeps alive.
func Size(id, user string, e Entry) int {
	n := entryOverhead + len(id) + len(user)
	w, m := &e.Workspace, &e.Member
	n += len(w.ID) + len(w.Name) + len(w.Plan) + len(w.Owner) + len(w.BillingContact) + len(w.Logo)
	if w.Preferences != nil {
		n += 48 // the map's header
		for k, v := range w.Preferences {
			n += 32 + len(k) + len(v) // a slot: two string headers
		}
	}
	n += len(m.Workspace) + len(m.User) + len(m.Role)
	for _, p := range m.Projects {
		n += 16 + len(p)
	}
	return n
}

// Entry is one Access result and the stamp it was read at.
type Entry struct {
	Stamp     int64
	Workspace storage.Workspace
	Member    storage.Member
	OK        bool // user is a member
}

type key struct{ id, user string }

// Cache holds Access results. It is safe for concurrent use; its zero value
// is not: use New.
type Cache struct {
	mu      sync.RWMutex
	entries map[key]Entry
	bytes   int // the sum of Size over entries
}

// New returns an empty cache.
func New() *Cache { return &Cache{entries: make(map[key]Entry)} }

// Source is the database a Cache reads through. Both methods return
// storage.ErrNotFound (wrapped) when the workspace does not exist.
type Source interface {
	// Stamp reads the workspace's access stamp now.
	Stamp(ctx context.Context, id string) (int64, error)
	// Read reads the workspace, user's membership of it and the stamp they
	// were read at, in one consistent read.
	Read(ctx context.Context, id, user string) (Entry, error)
}

// Access returns user's access to the workspace with id. When the cache
// holds an entry whose stamp is the workspace's stamp now, it returns the
// entry; otherwise it reads anew from src and keeps the result. A workspace
// found missing has its entry dropped.
func (c *Cache) Access(ctx context.Context, src Source, id, user string) (storage.Workspace, storage.Member, bool, error) {
	k := key{id, user}
	c.mu.RLock()
	e, ok := c.entries[k]
	c.mu.RUnlock()
	if ok {
		now, err := src.Stamp(ctx, id)
		if err != nil {
			c.drop(k, err)
			return storage.Workspace{}, storage.Member{}, false, err
		}
		if now == e.Stamp {
			return e.Workspace, owned(e.Member), e.OK, nil
		}
	}
	e, err := src.Read(ctx, id, user)
	if err != nil {
		c.drop(k, err)
		return storage.Workspace{}, storage.Member{}, false, err
	}
	c.keep(k, e)
	return e.Workspace, owned(e.Member), e.OK, nil
}

// keep stores e under k, dropping arbitrary entries until it fits within Max
// and MaxBytes; an entry larger than MaxBytes is not kept.
func (c *Cache) keep(k key, e Entry) {
	size := Size(k.id, k.user, e)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.remove(k)
	if size > MaxBytes {
		return
	}
	for old := range c.entries {
		if len(c.entries) < Max && c.bytes+size <= MaxBytes {
			break
		}
		c.remove(old)
	}
	c.entries[k] = e
	c.bytes += size
}

// remove deletes k's entry, if any; c.mu is held.
func (c *Cache) remove(k key) {
	if old, ok := c.entries[k]; ok {
		c.bytes -= Size(k.id, k.user, old)
		delete(c.entries, k)
	}
}

// drop forgets the entry of k when err says the workspace is gone.
func (c *Cache) drop(k key, err error) {
	if !errors.Is(err, storage.ErrNotFound) {
		return
	}
	c.mu.Lock()
	c.remove(k)
	c.mu.Unlock()
}

// Len returns how many entries the cache holds.
func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}

// Bytes returns the sum of Size over the cache's entries.
func (c *Cache) Bytes() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.bytes
}

// owned returns m with a projects list of its own, so a caller that changes
// it does not change the entry.
func owned(m storage.Member) storage.Member {
	m.Projects = slices.Clone(m.Projects)
	return m
}
