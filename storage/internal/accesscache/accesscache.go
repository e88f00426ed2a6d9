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
// bytes each. A full cache drops an arbitrary entry for each one it adds; a
// check whose entry was dropped reads as it would without a cache.
const Max = 1 << 14

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
	c.mu.Lock()
	if _, ok := c.entries[k]; !ok && len(c.entries) >= Max {
		for old := range c.entries {
			delete(c.entries, old)
			break
		}
	}
	c.entries[k] = e
	c.mu.Unlock()
	return e.Workspace, owned(e.Member), e.OK, nil
}

// drop forgets the entry of k when err says the workspace is gone.
func (c *Cache) drop(k key, err error) {
	if !errors.Is(err, storage.ErrNotFound) {
		return
	}
	c.mu.Lock()
	delete(c.entries, k)
	c.mu.Unlock()
}

// Len returns how many entries the cache holds.
func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}

// owned returns m with a projects list of its own, so a caller that changes
// it does not change the entry.
func owned(m storage.Member) storage.Member {
	m.Projects = slices.Clone(m.Projects)
	return m
}
