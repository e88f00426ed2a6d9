package accesscache

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/charterhq/charter/storage"
)

// fake is a database of stamps and roles that counts its reads.
type fake struct {
	stamps                map[string]int64
	roles                 map[string]string // by user
	stampErr              error
	stampReads, fullReads int
}

func (f *fake) Stamp(_ context.Context, id string) (int64, error) {
	f.stampReads++
	if f.stampErr != nil {
		return 0, f.stampErr
	}
	n, ok := f.stamps[id]
	if !ok {
		return 0, fmt.Errorf("workspace %s: %w", id, storage.ErrNotFound)
	}
	return n, nil
}

func (f *fake) Read(_ context.Context, id, user string) (Entry, error) {
	f.fullReads++
	n, ok := f.stamps[id]
	if !ok {
		return Entry{}, fmt.Errorf("workspace %s: %w", id, storage.ErrNotFound)
	}
	role, member := f.roles[user]
	e := Entry{Stamp: n, Workspace: storage.Workspace{ID: id}, OK: member}
	if member {
		e.Member = storage.Member{Workspace: id, User: user, Role: role, Projects: []string{"x"}}
	}
	return e, nil
}

func (f *fake) access(t *testing.T, c *Cache, id, user string) (storage.Member, bool, error) {
	t.Helper()
	_, m, ok, err := c.Access(context.Background(), f, id, user)
	return m, ok, err
}

func TestAccess(t *testing.T) {
	f := &fake{stamps: map[string]int64{"a": 1}, roles: map[string]string{"bob": "member"}}
	c := New()
	want := func(step string, role string, stamps, full int) {
		t.Helper()
		m, ok, err := f.access(t, c, "a", "bob")
		if err != nil || !ok || m.Role != role {
			t.Fatalf("%s: Access = %+v, %t, %v; want role %s", step, m, ok, err, role)
		}
		if f.stampReads != stamps || f.fullReads != full {
			t.Errorf("%s: %d stamp reads and %d full reads; want %d and %d", step, f.stampReads, f.fullReads, stamps, full)
		}
	}
	want("first call", "member", 0, 1)
	want("second call", "member", 1, 1)
	want("third call", "member", 2, 1)

	f.roles["bob"], f.stamps["a"] = "admin", 2
	want("after the stamp moved", "admin", 3, 2)
	want("again", "admin", 4, 2)

	m, _, _ := f.access(t, c, "a", "bob")
	m.Projects[0] = "changed by the caller"
	if m, _, _ := f.access(t, c, "a", "bob"); m.Projects[0] != "x" {
		t.Errorf("a caller's change to Projects reached the cache: %q", m.Projects)
	}

	f.stampErr = errors.New("connection lost")
	if _, _, err := f.access(t, c, "a", "bob"); !errors.Is(err, f.stampErr) {
		t.Errorf("Access with a failing stamp read: error %v, want %v", err, f.stampErr)
	}
	if c.Len() != 1 {
		t.Errorf("a failed read that is not ErrNotFound dropped the entry")
	}
	f.stampErr = nil

	delete(f.stamps, "a")
	if _, _, err := f.access(t, c, "a", "bob"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Access of a deleted workspace: error %v, want ErrNotFound", err)
	}
	if c.Len() != 0 {
		t.Errorf("a deleted workspace's entry stayed: %d entries", c.Len())
	}
}

func TestNotMember(t *testing.T) {
	f := &fake{stamps: map[string]int64{"a": 1}, roles: map[string]string{}}
	c := New()
	for range 2 {
		if m, ok, err := f.access(t, c, "a", "zed"); err != nil || ok || m.User != "" {
			t.Fatalf("Access of a non-member = %+v, %t, %v", m, ok, err)
		}
	}
	f.roles["zed"], f.stamps["a"] = "viewer", 2
	if m, ok, err := f.access(t, c, "a", "zed"); err != nil || !ok || m.Role != "viewer" {
		t.Fatalf("Access after joining = %+v, %t, %v; want viewer", m, ok, err)
	}
}

func TestBounded(t *testing.T) {
	f := &fake{stamps: map[string]int64{}, roles: map[string]string{}}
	c := New()
	for i := range Max + 100 {
		id := fmt.Sprint("w", i)
		f.stamps[id] = 1
		if _, _, err := f.access(t, c, id, "bob"); err != nil {
			t.Fatal(err)
		}
	}
	if c.Len() != Max {
		t.Errorf("Len = %d after %d workspaces, want %d", c.Len(), Max+100, Max)
	}
}

// TestBoundedBytes fills the cache with entries of 256 KiB user IDs (denied
// checks of hostile actors, as once kept 271 MB): the bytes stay under
// MaxBytes, the count of the bytes stays exact through replacements and
// drops, and an entry larger than MaxBytes is not kept.
func TestBoundedBytes(t *testing.T) {
	f := &fake{stamps: map[string]int64{"a": 1}, roles: map[string]string{}}
	c := New()
	big := strings.Repeat("u", 256<<10)
	n := 2 * MaxBytes / len(big)
	for i := range n {
		if _, _, err := f.access(t, c, "a", fmt.Sprint(big, i)); err != nil {
			t.Fatal(err)
		}
		if c.Bytes() > MaxBytes {
			t.Fatalf("after %d entries: %d bytes > MaxBytes %d", i+1, c.Bytes(), MaxBytes)
		}
	}
	if c.Len() >= n || c.Len() == 0 {
		t.Errorf("Len = %d after %d entries of %d bytes", c.Len(), n, len(big))
	}
	if got := sumSizes(c); got != c.Bytes() {
		t.Errorf("Bytes = %d, but the entries' sizes sum to %d", c.Bytes(), got)
	}

	// A stamp move replaces entries in place; a deletion drops them.
	f.stamps["a"] = 2
	for i := range n {
		f.access(t, c, "a", fmt.Sprint(big, i))
	}
	if got := sumSizes(c); got != c.Bytes() || c.Bytes() > MaxBytes {
		t.Errorf("after replacements: Bytes = %d, sizes sum to %d", c.Bytes(), got)
	}
	delete(f.stamps, "a")
	for i := range n {
		f.access(t, c, "a", fmt.Sprint(big, i))
	}
	if c.Len() != 0 || c.Bytes() != 0 {
		t.Errorf("after deletion: %d entries, %d bytes", c.Len(), c.Bytes())
	}

	f.stamps["a"] = 3
	if _, _, err := f.access(t, c, "a", strings.Repeat("x", MaxBytes)); err != nil {
		t.Fatal(err)
	}
	if c.Len() != 0 || c.Bytes() != 0 {
		t.Errorf("an entry larger than MaxBytes was kept: %d entries, %d bytes", c.Len(), c.Bytes())
	}
}

func sumSizes(c *Cache) int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := 0
	for k, e := range c.entries {
		n += Size(k.id, k.user, e)
	}
	return n
}

// TestSizeCountsLogoAndPreferences checks that an entry's size grows with
// every byte of the logo and of each preference's key and value, so large
// preferences count against MaxBytes.
func TestSizeCountsLogoAndPreferences(t *testing.T) {
	base := Entry{Workspace: storage.Workspace{ID: "a", Name: "A"}}
	plain := Size("a", "bob", base)
	withLogo := base
	withLogo.Workspace.Logo = strings.Repeat("l", 2048)
	if got := Size("a", "bob", withLogo) - plain; got < 2048 {
		t.Errorf("a 2,048-byte logo adds %d bytes, want at least 2048", got)
	}
	withPrefs := base
	withPrefs.Workspace.Preferences = map[string]string{}
	strs := 0
	for i := range 32 {
		k, v := fmt.Sprintf("key%02d", i), strings.Repeat("v", 1024)
		withPrefs.Workspace.Preferences[k] = v
		strs += len(k) + len(v)
	}
	if got := Size("a", "bob", withPrefs) - plain; got < strs {
		t.Errorf("32 preferences of %d bytes add %d bytes, want at least %d", strs, got, strs)
	}
}
