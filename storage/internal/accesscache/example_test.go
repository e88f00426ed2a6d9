package accesscache_test

import (
	"context"
	"fmt"

	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/storage/internal/accesscache"
)

// db stands in for a backend's database: one workspace, its stamp and
// bob's role.
type db struct {
	stamp int64
	role  string
	reads int
}

func (d *db) Stamp(context.Context, string) (int64, error) { return d.stamp, nil }

func (d *db) Read(_ context.Context, id, user string) (accesscache.Entry, error) {
	d.reads++
	return accesscache.Entry{Stamp: d.stamp, Workspace: storage.Workspace{ID: id},
		Member: storage.Member{Workspace: id, User: user, Role: d.role}, OK: true}, nil
}

func Example() {
	ctx := context.Background()
	d := &db{stamp: 1, role: "admin"}
	c := accesscache.New()
	for range 3 {
		_, m, _, _ := c.Access(ctx, d, "ws1", "bob")
		fmt.Println(m.Role, d.reads)
	}
	d.stamp, d.role = 2, "viewer" // a change moves the stamp
	_, m, _, _ := c.Access(ctx, d, "ws1", "bob")
	fmt.Println(m.Role, d.reads)
	// Output:
	// admin 1
	// admin 1
	// admin 1
	// viewer 2
}
