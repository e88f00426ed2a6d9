package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
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
		w := storage.Workspace{ID: id, Name: id, Kind: workspace.Shared, Plan: "team", Owner: "ann", Version: 1}
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

// wantWorkspaces fails the test unless exactly the IDs want marks true
// exist, of those it names.
func wantWorkspaces(t *testing.T, s *Store, want map[string]bool) {
	t.Helper()
	got := exists(t, s, slices.Collect(maps.Keys(want))...)
	if !maps.Equal(got, want) {
		t.Errorf("workspaces = %v, want %v", got, want)
	}
}

// succeed fails the test now unless every Update on chans returns nil.
func succeed(t *testing.T, chans ...<-chan error) {
	t.Helper()
	for _, ch := range chans {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
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
// share a commit, and the one that fails, the one that panics and the one
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
	wantWorkspaces(t, s, want)
	// e's context ended while it waits for the commit, so the group took
	// no more: a to e, then f.
	if n := commits(s) - before; n != 2 {
		t.Errorf("%d commits, want 2", n)
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
	succeed(t, a, c)
	want := map[string]bool{"a": true, "b": false, "c": true}
	wantWorkspaces(t, s, want)
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
	wantWorkspaces(t, s, want)
}

// TestGroupStopsForAWaitingContext: once the context of an Update that
// waits for its group's commit ends, the group takes no more Updates, so
// the wait is one later Update's fn and the commit. The Update still
// returns the commit's result: its writes are committed.
func TestGroupStopsForAWaitingContext(t *testing.T) {
	s := migrated(t)
	s.wr.maxAge = time.Hour
	before := commits(s)
	ctx, cancel := context.WithCancel(context.Background())
	release, inB := make(chan struct{}), make(chan struct{})
	in, a := make(chan struct{}), make(chan error, 1)
	go func() { a <- s.Update(ctx, create("a", func() error { close(in); <-release; return nil })) }()
	<-in
	b := start(t, s, 1, context.Background(), create("b", func() error {
		close(inB)
		cancel() // a waits for the commit now, its context ended
		return nil
	}))
	c := start(t, s, 2, context.Background(), create("c", nil))
	close(release)
	succeed(t, a, b, c)
	if n := commits(s) - before; n != 2 {
		t.Errorf("%d commits, want 2: a and b, then c alone", n)
	}
}

// TestGroupFailedReaderWaits: an Update that failed on a write it read from
// an earlier Update of its group learns, when that group fails, that what it
// read never existed: ErrConflict, not ErrExists.
func TestGroupFailedReaderWaits(t *testing.T) {
	s := migrated(t)
	s.wr.maxAge = time.Hour
	release := make(chan struct{})
	a := holding(t, s, "x", release)
	b := start(t, s, 1, context.Background(), create("x", nil)) // ErrExists, on a's write
	c := start(t, s, 2, context.Background(), func(stx storage.Tx) error {
		_, err := stx.(*tx).tx.ExecContext(context.Background(), "ROLLBACK") // breaks the group
		return err
	})
	close(release)
	ea, eb, ec := <-a, <-b, <-c
	for name, err := range map[string]error{"a": ea, "b": eb, "c": ec} {
		if !errors.Is(err, storage.ErrConflict) {
			t.Errorf("Update %s: %v, want ErrConflict", name, err)
		}
	}
	if exists(t, s, "x")["x"] {
		t.Errorf("x exists")
	}
}

// TestGroupEventsStayGapless: an Update that appended an event and failed
// gives its sequence number back with its savepoint.
func TestGroupEventsStayGapless(t *testing.T) {
	s := migrated(t)
	s.wr.maxAge = time.Hour
	ctx := context.Background()
	event := func(end error) func(storage.Tx) error {
		return func(tx storage.Tx) error {
			if _, err := tx.AppendEvent(ctx, storage.Event{Workspace: "w", Actor: "ann", Type: "x"}); err != nil {
				return err
			}
			return end
		}
	}
	release := make(chan struct{})
	a := holding(t, s, "a", release)
	b := start(t, s, 1, ctx, event(nil))
	c := start(t, s, 2, ctx, event(errBoom))
	d := start(t, s, 3, ctx, event(nil))
	close(release)
	for _, ch := range []<-chan error{a, b, c, d} {
		<-ch
	}
	var seqs []int64
	err := s.View(ctx, func(tx storage.Tx) error {
		es, err := tx.Events(ctx, "", 0, 10)
		for _, e := range es {
			seqs = append(seqs, e.Seq)
		}
		return err
	})
	if err != nil || fmt.Sprint(seqs) != "[1 2]" {
		t.Errorf("events %v, %v; want [1 2]", seqs, err)
	}
}

// TestGroupClose closes the store while an Update holds the writer and
// another waits: Close waits for the first and commits it, and the one
// handed the writer after Close began finds the store closed.
func TestGroupClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "charter.db")
	s := migratedAt(t, path, -1)
	s.wr.maxAge = time.Hour
	release := make(chan struct{})
	a := holding(t, s, "a", release)
	b := start(t, s, 1, context.Background(), create("b", nil))
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	queued(t, s, 2) // Close waits for the writer behind b
	close(release)
	if err := <-a; err != nil {
		t.Errorf("Update a, running when Close began: %v", err)
	}
	if err := <-b; !errors.Is(err, storage.ErrClosed) {
		t.Errorf("Update b, queued when Close began: %v, want ErrClosed", err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	s = migratedAt(t, path, -1)
	want := map[string]bool{"a": true, "b": false}
	wantWorkspaces(t, s, want)
}

// TestGroupGoexit: an fn that ends its goroutine (t.Fatal in a callback)
// writes nothing and does not keep the writer.
func TestGroupGoexit(t *testing.T) {
	s := migrated(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Update(context.Background(), create("a", func() error { runtime.Goexit(); return nil }))
	}()
	<-done
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Update(ctx, create("b", nil)); err != nil {
		t.Fatalf("the Update after one whose fn called Goexit: %v", err)
	}
	want := map[string]bool{"a": false, "b": true}
	wantWorkspaces(t, s, want)
}

// TestBeginHonoursContext: while another connection holds the database's
// write lock, an Update returns when its context ends, not after the busy
// timeout.
func TestBeginHonoursContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "charter.db")
	s := migratedAt(t, path, -1)
	other, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	otx, err := other.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer otx.Rollback()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	began := time.Now()
	err = s.Update(ctx, create("a", nil))
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(began) > BusyTimeout/2 {
		t.Errorf("Update = %v after %v; want the deadline's error, well before the busy timeout", err, time.Since(began))
	}
}

// TestGroupStress runs Updates from many goroutines with random deadlines,
// failures and panics: every Update that returns nil is committed and seen
// by the next read, every one that returns an error left nothing, and the
// writer ends free.
func TestGroupStress(t *testing.T) {
	s := migrated(t)
	type result struct {
		id   string
		err  error
		seen bool
	}
	const goroutines, each = 8, 40
	results := make(chan result, goroutines*each)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for i := range each {
				id := fmt.Sprintf("w%d-%d", g, i)
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(200+r.IntN(20000))*time.Microsecond)
				mode := r.IntN(5)
				var err error
				func() {
					defer func() {
						if p := recover(); p != nil {
							err = fmt.Errorf("panic: %v", p)
						}
					}()
					err = s.Update(ctx, create(id, func() error {
						switch mode {
						case 0:
							return errBoom
						case 1:
							panic("boom")
						case 2:
							time.Sleep(time.Duration(r.IntN(500)) * time.Microsecond)
						}
						return nil
					}))
				}()
				cancel()
				results <- result{id, err, err == nil && exists(t, s, id)[id]}
			}
		})
	}
	wg.Wait()
	close(results)
	for r := range results {
		now := exists(t, s, r.id)[r.id]
		if r.err == nil && !(r.seen && now) {
			t.Errorf("%s: Update returned nil, but its write was seen %t at return and %t now", r.id, r.seen, now)
		}
		if r.err != nil && now {
			t.Errorf("%s: Update returned %v, but its write is committed", r.id, r.err)
		}
	}
	s.wr.mu.Lock()
	busy, queue, open := s.wr.busy, len(s.wr.queue), s.wr.open
	s.wr.mu.Unlock()
	if busy || queue != 0 || open != nil {
		t.Errorf("writer left busy %t, %d queued, group %v", busy, queue, open)
	}
}

// TestGroupLimit queues more Updates than one group takes: they commit in
// two groups.
func TestGroupLimit(t *testing.T) {
	s := migrated(t)
	s.wr.maxAge = time.Hour
	before := commits(s)
	release := make(chan struct{})
	a := holding(t, s, "a", release)
	var results []<-chan error
	for i := range maxGroup + 6 {
		results = append(results, start(t, s, i+1, context.Background(), create(fmt.Sprint("w", i), nil)))
	}
	close(release)
	succeed(t, append(results, a)...)
	if n := commits(s) - before; n != 2 {
		t.Errorf("%d commits for %d Updates, want 2", n, maxGroup+7)
	}
}

// TestHandedAsCancelled hands the writer to a queued Update at the moment
// its context ends, many times: whichever the Update sees first, the
// writer is passed on and ends free.
func TestHandedAsCancelled(t *testing.T) {
	w := &writer{maxAge: maxGroupAge}
	for range 200 {
		if err := w.acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		got := make(chan error, 1)
		go func() { got <- w.acquire(ctx) }()
		for queued := false; !queued; {
			w.mu.Lock()
			queued = len(w.queue) == 1
			w.mu.Unlock()
		}
		w.mu.Lock()
		cancel()
		w.handOff() // both ready at once: the select picks either
		w.mu.Unlock()
		if err := <-got; err == nil {
			w.release() // it took the writer: give it back
		}
		w.mu.Lock()
		busy := w.busy
		w.mu.Unlock()
		if busy {
			t.Fatal("the writer stayed busy after a hand-off to a cancelled Update")
		}
	}
}

// TestTxAfterUpdate uses a Tx after its Update returned: reads fail too.
func TestTxAfterUpdate(t *testing.T) {
	s := migrated(t)
	ctx := context.Background()
	var kept storage.Tx
	if err := s.Update(ctx, func(tx storage.Tx) error { kept = tx; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := kept.Workspace(ctx, "a"); err == nil || errors.Is(err, storage.ErrNotFound) {
		t.Errorf("a read after the Update ended: %v, want an error saying so", err)
	}
}

// TestCancelledStatementSparesTheGroup cancels an Update's context while a
// long statement of it runs in a group: the statement is not interrupted
// (SQLite would roll back the whole shared transaction), so only that
// Update's writes are rolled back and the one before it commits.
func TestCancelledStatementSparesTheGroup(t *testing.T) {
	s := migrated(t)
	s.wr.maxAge = time.Hour
	release := make(chan struct{})
	a := holding(t, s, "a", release)
	ctx, cancel := context.WithCancel(context.Background())
	b := start(t, s, 1, ctx, func(stx storage.Tx) error {
		time.AfterFunc(5*time.Millisecond, cancel)
		// A write that takes well over 5 ms.
		_, err := stx.(*tx).Exec(ctx, "slow update", `UPDATE workspaces SET name = name WHERE id = 'a'
			AND (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 150000) SELECT count(*) FROM c) > 0`)
		return err
	})
	close(release)
	if err := <-b; !errors.Is(err, context.Canceled) {
		t.Errorf("Update b: %v, want context.Canceled", err)
	}
	if err := <-a; err != nil {
		t.Errorf("Update a, before b in its group: %v", err)
	}
	if !exists(t, s, "a")["a"] {
		t.Error("a's write was lost with b's")
	}
}
