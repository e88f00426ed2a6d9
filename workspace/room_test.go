package workspace_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/charterhq/charter/workspace"
)

// TestNewWithRoom checks that a workspace made with room for members is
// the one New makes, and holds every member added to it.
func TestNewWithRoom(t *testing.T) {
	owner, _, _, viewer, guest, basic := fixture()
	basic.Limits.Members = 200
	for _, n := range []int{-1, 0, 1, 9, 100} {
		w, err := workspace.NewWithRoom("ws1", workspace.Shared, basic, "olga", owner, t0, n)
		if err != nil {
			t.Fatal(err)
		}
		want, err := workspace.New("ws1", workspace.Shared, basic, "olga", owner, t0)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 100 {
			u, r, projects := fmt.Sprintf("g%03d", i), guest, []string{"p"}
			if i%2 == 0 {
				r, projects = viewer, nil
			}
			for _, x := range []*workspace.Workspace{w, want} {
				if err := x.Add(u, r, projects, t0); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := w.Check(); err != nil {
			t.Fatalf("room %d: %v", n, err)
		}
		if got, want := w.Users(), want.Users(); !slices.Equal(got, want) {
			t.Fatalf("room %d: users %v, want %v", n, got, want)
		}
		for u, m := range want.Members() {
			if got, _ := w.Member(u); !reflect.DeepEqual(got, m) || w.Role(u) != m.Role {
				t.Errorf("room %d: member %v, role %v; want %v", n, got, w.Role(u), m)
			}
		}
		if w.Owner != want.Owner || w.BillingContact != want.BillingContact || w.Counts() != want.Counts() {
			t.Errorf("room %d: owner %q, contact %q, counts %v; want %q, %q, %v", n, w.Owner, w.BillingContact, w.Counts(), want.Owner, want.BillingContact, want.Counts())
		}
	}
}

// TestCheckOrder checks that Check reports broken members in user order,
// whatever the order of the map it reads them from.
func TestCheckOrder(t *testing.T) {
	w, r := newWS(t)
	users := []string{"zed", "amy", "kim", "bo", "xi", "lu"}
	for _, u := range users {
		w.Put(workspace.Member{User: u, Role: r[3], Projects: []string{"p"}, Joined: t0}) // a viewer with projects
	}
	want := ""
	for range 20 {
		err := w.Check()
		if err == nil {
			t.Fatal("Check() = nil, want the viewers with projects")
		}
		got := err.Error()
		if want == "" {
			want = got
			last := -1
			for _, u := range []string{"amy", "bo", "kim", "lu", "xi", "zed"} {
				i := strings.Index(got, fmt.Sprintf("member %q", u))
				if i < 0 || i < last {
					t.Fatalf("Check() = %v: %s out of order", err, u)
				}
				last = i
			}
		} else if got != want {
			t.Fatalf("Check() = %q, then %q", want, got)
		}
	}
}
