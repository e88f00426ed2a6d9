package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/charterhq/charter/storage"
)

// Group commit.
//
// The store has one writer connection, and each commit waits for the disk
// to flush the log (synchronous=FULL), so Updates that arrive together would
// queue behind one flush each. Instead, an Update that finds others queued
// hands them its open transaction: each runs in a SAVEPOINT of it, rolled
// back alone when its fn fails, panics or its context ends, and when no
// Update is left waiting, the holder commits them all with one flush.
//
// What an Update returns is true of the database:
//
//   - An Update whose fn succeeded returns once the commit that holds its
//     writes is done, with that commit's result: nil only if they are
//     committed, and an error only if none of them is.
//   - An Update whose fn failed may have read the writes of Updates before it
//     in its group. It waits for the group too, and if the group's commit
//     fails, its error wraps storage.ErrConflict as well as its fn's error:
//     what it read never existed, and it may be retried.
//   - A group that fails because one of its Updates broke the transaction
//     fails every Update in it with storage.ErrConflict.
//
// A group takes no more Updates once it has run maxGroup, once it has been
// open for maxGroupAge, or once the context of an Update waiting for its
// commit has ended. So past its own fn, an Update waits for the fns of the
// Updates that join its group within maxGroupAge (only one more once its
// context has ended), and for the commit.
//
// Statements in an Update run with its context's values but not its
// cancellation (the context's error is checked before each one instead):
// SQLite may roll back a whole transaction, which other Updates share, when
// it interrupts a statement.
const (
	maxGroup    = 64
	maxGroupAge = 2 * time.Millisecond
)

// writer hands the writer connection from one Update to the next.
type writer struct {
	db     *sql.DB
	maxAge time.Duration // maxGroupAge; tests set more

	mu      sync.Mutex
	busy    bool    // an Update (or Close) holds the writer
	queue   []*turn // those waiting for it, in arrival order
	open    *group  // the transaction the next holder continues, if any
	commits int     // groups ended, for tests
}

// turn is a queued Update's place in line.
type turn struct {
	ready  chan struct{} // closed when the writer is handed to it
	handed bool          // set with close(ready), under writer.mu
}

// group is one transaction that several Updates share. Only the writer's
// holder touches it, until done is closed; then its members read err.
type group struct {
	tx     *sql.Tx
	cancel context.CancelFunc // of the context tx began with
	began  time.Time
	ran    int               // Updates that ran in it
	kept   int               // Updates whose writes it holds
	ctxs   []context.Context // theirs
	broken error             // why it can take no more; it will be rolled back
	done   chan struct{}
	err    error // the group's result, once done is closed
}

// Update runs fn in a transaction of the writer connection (begun with
// BEGIN IMMEDIATE) and commits if fn returns nil and ctx is not done; it
// rolls back fn's writes if fn returns an error or panics.
//
// Updates that queue for the writer share a transaction and its commit:
// each runs in a savepoint, and each returns once the commit that holds its
// writes is done, with that commit's result, even if ctx ends while it
// waits (see the top of this file).
func (s *Store) Update(ctx context.Context, fn func(storage.Tx) error) error {
	if s.closed.Load() {
		return storage.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.wr.acquire(ctx); err != nil {
		return err
	}
	if s.closed.Load() {
		s.wr.release()
		return storage.ErrClosed
	}
	g, err := s.wr.begin(ctx)
	if err == nil {
		err = g.enter()
	}
	if err != nil {
		s.wr.release()
		return err
	}
	shared := g.kept > 0 // fn may read writes that are not committed yet
	t := newTx(s.d, g.tx, s.ws, true)
	returned := false
	defer func() {
		if !returned {
			// fn panicked (the panic goes on) or called runtime.Goexit.
			t.done = true
			g.leave(ctx, false)
			s.wr.release()
		}
		t.stmts.warm(t.missed) // have what t lacked prepared for later Updates
	}()
	err = fn(t)
	returned = true
	t.done = true
	if err == nil {
		err = ctx.Err()
	}
	kept := g.leave(ctx, err == nil)
	if !kept && shared {
		g.ctxs = append(g.ctxs, ctx) // it waits for the commit too
	}
	s.wr.release()
	if !kept && !shared {
		return err
	}
	<-g.done
	if kept {
		return g.err
	}
	if g.err != nil {
		return fmt.Errorf("sqlite: this Update failed (%w) after reading writes of others that were then not committed: %w: %w", err, storage.ErrConflict, g.err)
	}
	return err
}

// acquire waits for the writer. It returns ctx's error if ctx ends first.
func (w *writer) acquire(ctx context.Context) error {
	w.mu.Lock()
	if !w.busy {
		w.busy = true
		w.mu.Unlock()
		return nil
	}
	t := &turn{ready: make(chan struct{})}
	w.queue = append(w.queue, t)
	w.mu.Unlock()
	select {
	case <-t.ready:
		return nil
	case <-ctx.Done():
	}
	w.mu.Lock()
	if !t.handed {
		w.queue = slices.DeleteFunc(w.queue, func(x *turn) bool { return x == t })
		w.mu.Unlock()
		return ctx.Err()
	}
	w.mu.Unlock()
	w.release() // it was handed over as ctx ended: pass it on
	return ctx.Err()
}

// begin returns the open group, or begins one. The holder calls it.
func (w *writer) begin(ctx context.Context) (*group, error) {
	w.mu.Lock()
	g := w.open
	w.mu.Unlock()
	if g != nil {
		return g, nil
	}
	// database/sql rolls a transaction back when the context it began with
	// ends, and this one outlives its first Update: it begins with a context
	// of its own, which ctx cancels only until BEGIN is through.
	gctx, cancel := context.WithCancel(context.Background())
	stop := context.AfterFunc(ctx, cancel)
	tx, err := w.db.BeginTx(gctx, nil)
	if !stop() {
		if err == nil {
			tx.Rollback()
		}
		cancel()
		return nil, ctx.Err()
	}
	if err != nil {
		cancel()
		return nil, fmt.Errorf("sqlite: begin: %w", translate(err))
	}
	g = &group{tx: tx, cancel: cancel, began: time.Now(), done: make(chan struct{})}
	w.mu.Lock()
	w.open = g
	w.mu.Unlock()
	return g, nil
}

// release is called by the holder when it is through with the transaction.
// It hands the writer to the next queued Update, which continues the open
// group; when none waits, or the group takes no more, it ends the group
// first.
func (w *writer) release() {
	w.mu.Lock()
	if len(w.queue) > 0 && (w.open == nil || w.open.takes(w.maxAge)) {
		w.handOff()
		w.mu.Unlock()
		return
	}
	w.mu.Unlock()
	w.end()
	w.mu.Lock()
	if len(w.queue) > 0 {
		w.handOff()
	} else {
		w.busy = false
	}
	w.mu.Unlock()
}

// end ends the open group, if any. The holder calls it.
func (w *writer) end() {
	w.mu.Lock()
	g := w.open
	w.open = nil
	w.mu.Unlock()
	if g == nil {
		return
	}
	g.end()
	w.mu.Lock()
	w.commits++
	w.mu.Unlock()
}

// handOff gives the writer to the first queued Update. w.mu is held.
func (w *writer) handOff() {
	t := w.queue[0]
	w.queue = w.queue[1:]
	t.handed = true
	close(t.ready)
}

// takes reports whether g takes another Update.
func (g *group) takes(maxAge time.Duration) bool {
	if g.broken != nil || g.ran >= maxGroup || time.Since(g.began) >= maxAge {
		return false
	}
	for _, ctx := range g.ctxs {
		if ctx.Err() != nil {
			return false // its Update waits for the commit: commit now
		}
	}
	return true
}

// end commits the group, or rolls it back if it is broken, and tells its
// members.
func (g *group) end() {
	defer close(g.done)
	defer g.cancel()
	if g.broken != nil {
		g.tx.Rollback()
		g.err = fmt.Errorf("sqlite: a transaction shared with other Updates failed, and none of their writes were committed: %w: %w", storage.ErrConflict, g.broken)
		return
	}
	if err := g.tx.Commit(); err != nil {
		g.err = fmt.Errorf("sqlite: commit: %w", translate(err))
	}
}

// savepoint names the savepoint each Update in a group runs in. Updates take
// turns, so one name serves.
const savepoint = "charter_update"

// enter starts an Update's part of the group.
func (g *group) enter() error {
	if _, err := g.tx.ExecContext(context.Background(), "SAVEPOINT "+savepoint); err != nil {
		g.broken = err
		return fmt.Errorf("sqlite: begin: %w", translate(err))
	}
	g.ran++
	return nil
}

// leave ends the part of the Update with context ctx: its writes stay in the
// group when keep is true, and are rolled back otherwise. It reports whether
// they stay.
func (g *group) leave(ctx context.Context, keep bool) bool {
	bg := context.Background()
	if keep {
		if _, err := g.tx.ExecContext(bg, "RELEASE "+savepoint); err != nil {
			// The transaction is in doubt: roll it all back.
			g.broken = err
		}
		g.kept++
		g.ctxs = append(g.ctxs, ctx) // it waits for the commit
		return true
	}
	if _, err := g.tx.ExecContext(bg, "ROLLBACK TO "+savepoint); err != nil {
		// SQLite rolled the whole transaction back (it may, on some
		// errors), with the other members' writes.
		g.broken = err
		return false
	}
	if _, err := g.tx.ExecContext(bg, "RELEASE "+savepoint); err != nil {
		g.broken = err
	}
	return false
}
