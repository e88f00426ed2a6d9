package workspace_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charterhq/charter/workspace"
)

// TestGrow checks that Grow keeps a workspace as it was, whole or a
// check-only snapshot, and that members added after it are all there.
func TestGrow(t *testing.T) {
	w, r := newWS(t)
	if err := w.Add("vic", r[3], nil, t0); err != nil {
		t.Fatal(err)
	}
	w.Grow(100)
	for i := range 100 {
		if err := w.Add(fmt.Sprintf("g%03d", i), r[4], []string{"p"}, t0); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Check(); err != nil {
		t.Fatal(err)
	}
	if got := w.Len(); got != 102 {
		t.Errorf("Len() = %d, want 102", got)
	}
	for _, u := range []string{"olga", "vic", "g000", "g099"} {
		if _, ok := w.Member(u); !ok {
			t.Errorf("%s is not a member after Grow", u)
		}
	}
	s := w.Snapshot()
	s.Grow(10)
	if s.Role("vic") != r[3] || s.Role("g050") != r[4] || s.Len() != 102 {
		t.Errorf("snapshot after Grow: vic %v, g050 %v, %d members", s.Role("vic"), s.Role("g050"), s.Len())
	}
	w.Grow(0)
	w.Grow(-1)
	if w.Len() != 102 {
		t.Errorf("Len() after Grow(0) = %d", w.Len())
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
