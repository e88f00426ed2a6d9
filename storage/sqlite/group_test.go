package sqlite

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/charterhq/charter/storage"
)

var errBoom = errors.New("boom")

// queued waits until n Updates wait for the writer.
func queued(t *testing.T, s *Store, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Microsecond) {
		s.wr.mu.Lock()
		got := len(s.wr.queue)
		s.wr.mu.Unlock()
		if got == n {
			return
		}
	}
	t.Fatalf("%d Updates never queued", n)
}

func commits(s *Store) int {
	s.wr.mu.Lock()
	defer s.wr.mu.Unlock()
	return s.wr.commits
}

// create returns an Update's fn that creates workspace id and then ends with
// end (nil: succeeds).
func create(id string, end func() error) func(storage.Tx) error {
	return func(tx storage.Tx) error {
		w := storage.Workspace{ID: id, Name: id, Kind: "shared", Plan: "team", Owner: "ann", Version: 1}
		if err := tx.CreateWorkspace(context.Background(), w); err != nil {
			return err
		}
		if end == nil {
			return nil
		}
		return end()
	}
}

// exists returns which of ids exist.
func exists(t *testing.T, s *Store, ids ...string) map[string]bool {
	t.Helper()
	got := map[string]bool{}
	err := s.View(context.Background(), func(tx storage.Tx) error {
		for _, id := range ids {
			_, err := tx.Workspace(context.Background(), id)
			if err != nil && !errors.Is(err, storage.ErrNotFound) {
				return err
			}
			got[id] = err == nil
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// holding starts an Update that creates workspace id and holds the writer
// until release is closed. Its result comes on the returned channel.
func holding(t *testing.T, s *Store, id string, release <-chan struct{}) <-chan error {
	t.Helper()
	in, out := make(chan struct{}), make(chan error, 1)
	go func() {
		out <- s.Update(context.Background(), create(id, func() error {
			close(in)
			<-release
			return nil
		}))
	}()
	<-in
	return out
}

// start runs an Update in the background, once the n-1 before it queued,
// and returns its result's channel; a panic comes as an error.
func start(t *testing.T, s *Store, n int, ctx context.Context, fn func(storage.Tx) error) <-chan error {
	t.Helper()
	out := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				out <- fmt.Errorf("panic: %v", r)
			}
		}()
		out <- s.Update(ctx, fn)
	}()
	queued(t, s, n)
	return out
}

// TestGroupCommit queues Updates behind one that holds the writer: they
// share one commit, and the one that fails, the one that panics and the one
// whose context ends after its fn leave no writes, while the others' stay.
func TestGroupCommit(t *testing.T) {
	s := migrated(t)
	s.wr.maxAge = time.Hour
	before := commits(s)
	release := make(chan struct{})
	a := holding(t, s, "a", release)
	cctx, cancel := context.WithCancel(context.Background())
	b := start(t, s, 1, context.Background(), create("b", nil))
	c := start(t, s, 2, context.Background(), create("c", func() error { return errBoom }))
	d := start(t, s, 3, context.Background(), create("d", func() error { panic("d panics") }))
	e := start(t, s, 4, cctx, create("e", func() error { cancel(); return nil }))
	f := start(t, s, 5, context.Background(), create("f", nil))
	close(release)
	for _, r := range []struct {
		name string
		ch   <-chan error
		want error
	}{{"a", a, nil}, {"b", b, nil}, {"c", c, errBoom}, {"e", e, context.Canceled}, {"f", f, nil}} {
		if err := <-r.ch; !errors.Is(err, r.want) {
			t.Errorf("Update %s: %v, want %v", r.name, err, r.want)
		}
	}
	if err := <-d; err == nil || err.Error() != "panic: d panics" {
		t.Errorf("Update d: %v, want its panic", err)
	}
	want := map[string]bool{"a": true, "b": true, "c": false, "d": false, "e": false, "f": true}
	if got := exists(t, s, "a", "b", "c", "d", "e", "f"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("workspaces = %v, want %v", got, want)
	}
	if n := commits(s) - before; n != 1 {
		t.Errorf("%d commits, want 1 for all six Updates", n)
	}
}

// TestGroupAge checks that an Update commits without waiting for the next
// when its group is older than maxAge.
func TestGroupAge(t *testing.T) {
	s := migrated(t)
	before := commits(s)
	release, next := make(chan struct{}), make(chan struct{})
	a := holding(t, s, "a", release)
	b := start(t, s, 1, context.Background(), create("b", func() error { <-next; return nil }))
	time.Sleep(2 * maxGroupAge)
	close(release)
	select {
	case err := <-a:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("an Update waited for the next one's fn although its group was old")
	}
	close(next)
	if err := <-b; err != nil {
		t.Fatal(err)
	}
	if n := commits(s) - before; n != 2 {
		t.Errorf("%d commits, want 2", n)
	}
}

// TestGroupCancelledInQueue cancels an Update while it waits for the
// writer: it returns at once and writes nothing, and the queue goes on.
func TestGroupCancelledInQueue(t *testing.T) {
	s := migrated(t)
	s.wr.maxAge = time.Hour
	release := make(chan struct{})
	a := holding(t, s, "a", release)
	ctx, cancel := context.WithCancel(context.Background())
	b := start(t, s, 1, ctx, create("b", nil))
	c := start(t, s, 2, context.Background(), create("c", nil))
	cancel()
	select {
	case err := <-b:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled Update: %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cancelled Update kept waiting for the writer")
	}
	queued(t, s, 1)
	close(release)
	for _, ch := range []<-chan error{a, c} {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]bool{"a": true, "b": false, "c": true}
	if got := exists(t, s, "a", "b", "c"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("workspaces = %v, want %v", got, want)
	}
}

// TestGroupBroken ends the shared transaction behind the store's back in
// one Update: every Update of that group fails and none of their writes
// stay, even those whose own fn succeeded; the next group is unharmed.
func TestGroupBroken(t *testing.T) {
	s := migrated(t)
	s.wr.maxAge = time.Hour
	release := make(chan struct{})
	a := holding(t, s, "a", release)
	b := start(t, s, 1, context.Background(), func(stx storage.Tx) error {
		_, err := stx.(*tx).tx.ExecContext(context.Background(), "ROLLBACK")
		return err
	})
	c := start(t, s, 2, context.Background(), create("c", nil))
	close(release)
	for _, r := range []struct {
		name string
		ch   <-chan error
	}{{"a", a}, {"b", b}} {
		if err := <-r.ch; err == nil {
			t.Errorf("Update %s of the broken group: nil error, want one", r.name)
		}
	}
	if err := <-c; err != nil {
		t.Errorf("Update c, after the broken group: %v", err)
	}
	want := map[string]bool{"a": false, "c": true}
	if got := exists(t, s, "a", "c"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("workspaces = %v, want %v", got, want)
	}
}
